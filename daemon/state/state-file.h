/* passd's own files under its state directory (--state-dir, StateDirectory): written so that a
 * crash or power loss at any moment leaves either the old file or the new one, never a torn
 * one. GLib only; sees no other layer. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Replace @path with @length bytes of @contents (-1: a NUL-terminated string): write
 * "@path.tmp", fsync it, rename it over @path, fsync the directory. The directory is created
 * (0755) when missing; the file is 0644. FALSE with a G_FILE_ERROR naming the file. */
gboolean pass_state_write_file(const char *path, const char *contents, gssize length,
                               GError **error);

G_END_DECLS
