/* passd's own files under its state directory. Plain file I/O: no other layer. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Replace @path by @contents (@length -1: NUL-terminated) so that a crash at any moment leaves
 * either the old file or the new one: write PATH.tmp, fsync it, rename it over PATH, fsync the
 * directory. Mode 0600. */
gboolean pass_state_write_file(const char *path, const char *contents, gssize length,
                               GError **error);

/* write(2) all of @data, again after EINTR and short writes; FALSE with errno set. */
gboolean pass_state_write_all(int fd, const char *data, gsize length);

/* Create @dir (and its parents) with mode 0700 unless it exists; a directory that exists keeps
 * its mode. FALSE when it cannot be made or is not a directory. */
gboolean pass_state_make_dir(const char *dir, GError **error);

G_END_DECLS
