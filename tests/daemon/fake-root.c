/* Fake host trees for the host/ tests (see fake-root.h). */
#include "fake-root.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

static void
put(const char *root, const char *path, const void *contents, gssize length)
{
  g_autofree char *full = g_build_filename(root, path, NULL);
  g_autofree char *dir = g_path_get_dirname(full);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_file_set_contents(full, contents, length, &error);
  g_assert_no_error(error);
}

void
fake_root_put(const char *root, const char *path, const char *contents)
{
  put(root, path, contents, -1);
}

void
fake_root_put_bytes(const char *root, const char *path, const void *contents, gsize length)
{
  put(root, path, contents, (gssize)length);
}

void
fake_root_mkdirs(const char *root, const char *path)
{
  g_autofree char *full = g_build_filename(root, path, NULL);

  g_assert_cmpint(g_mkdir_with_parents(full, 0755), ==, 0);
}

void
fake_root_link(const char *root, const char *path, const char *target)
{
  g_autofree char *full = g_build_filename(root, path, NULL);
  g_autofree char *dir = g_path_get_dirname(full);

  g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
  g_assert_cmpint(symlink(target, full), ==, 0);
}

gboolean
fake_root_remove(const char *root)
{
  g_autoptr(GFile) file = g_file_new_for_path(root);
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *next;

  children = g_file_enumerate_children(file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                       G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children != NULL && (next = g_file_enumerator_next_file(children, NULL, NULL)) != NULL) {
    g_autoptr(GFileInfo) info = next;
    g_autofree char *child = g_build_filename(root, g_file_info_get_name(info), NULL);

    if (g_file_info_get_file_type(info) == G_FILE_TYPE_DIRECTORY)
      fake_root_remove(child);
    else
      g_unlink(child);
  }
  return g_rmdir(root) == 0;
}

void
fake_host_setup(FakeHost *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fx->root = g_dir_make_tmp("passd-host-XXXXXX", &error);
  g_assert_no_error(error);
  fx->host = pass_host_new(fx->root);
  g_assert_nonnull(fx->host);
}

void
fake_host_teardown(FakeHost *fx, gconstpointer data)
{
  pass_host_free(fx->host);
  g_assert_true(fake_root_remove(fx->root));
  g_free(fx->root);
}
