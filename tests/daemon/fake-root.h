/* Fake host trees (sysfs, procfs, /etc) in a temporary directory, for the host/ tests. Every
 * @path is relative to @root; parent directories are made as needed; failures abort the test. */
#pragma once

#include <glib.h>

#include "host.h"

G_BEGIN_DECLS

void fake_root_put(const char *root, const char *path, const char *contents);
void fake_root_put_bytes(const char *root, const char *path, const void *contents, gsize length);
void fake_root_mkdirs(const char *root, const char *path);
void fake_root_link(const char *root, const char *path, const char *target);
/* rm -rf @root (symlinks are removed, never followed); TRUE when it is gone. */
gboolean fake_root_remove(const char *root);

/* A test fixture's host: a PassHost over a fresh temporary root (g_test_add's setup/teardown
 * shape); the teardown removes the tree. */
typedef struct {
  char *root;
  PassHost *host;
} FakeHost;
void fake_host_setup(FakeHost *fx, gconstpointer data);
void fake_host_teardown(FakeHost *fx, gconstpointer data);

G_END_DECLS
