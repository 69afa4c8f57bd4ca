/* Fake host trees (sysfs, procfs, /etc) in a temporary directory, for the host/ tests. Every
 * @path is relative to @root; parent directories are made as needed; failures abort the test. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void fake_root_put(const char *root, const char *path, const char *contents);
void fake_root_put_bytes(const char *root, const char *path, const void *contents, gsize length);
void fake_root_mkdirs(const char *root, const char *path);
void fake_root_link(const char *root, const char *path, const char *target);
/* rm -rf @root (symlinks are removed, never followed); TRUE when it is gone. */
gboolean fake_root_remove(const char *root);

G_END_DECLS
