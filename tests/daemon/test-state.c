/* state/state-file.c: a state file is replaced whole (no temporary left behind, mode 0600), its
 * directory made 0700 when missing, and a failure names the file. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "state-file.h"

static void
test_write(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("passd-state-XXXXXX", &error);
  g_autofree char *sub = g_build_filename(dir, "lib", "passd", NULL);
  g_autofree char *path = g_build_filename(sub, "sriov.conf", NULL);
  g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
  g_autofree char *lib = g_path_get_dirname(sub);
  g_autofree char *first = NULL, *second = NULL;
  gsize length;
  struct stat st;

  g_assert_no_error(error);
  /* No directory yet: the write fails, naming the file; the directory is made on demand. */
  g_assert_false(pass_state_write_file(path, "x", -1, &error));
  g_assert_nonnull(strstr(error->message, tmp));
  g_clear_error(&error);
  g_assert_true(pass_state_make_dir(sub, &error));
  g_assert_no_error(error);
  g_assert_cmpint(g_stat(sub, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0700);

  g_assert_true(pass_state_write_file(path, "[0000:41:00.0]\nNumVFs=3\n", -1, &error));
  g_assert_no_error(error);
  g_assert_true(g_file_get_contents(path, &first, NULL, NULL));
  g_assert_cmpstr(first, ==, "[0000:41:00.0]\nNumVFs=3\n");
  g_assert_cmpint(g_stat(path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
  /* Replaced whole, with an explicit length (a NUL inside is kept). */
  g_assert_true(pass_state_write_file(path, "a\0b", 3, &error));
  g_assert_true(g_file_get_contents(path, &second, &length, NULL));
  g_assert_cmpuint(length, ==, 3);
  g_assert_cmpmem(second, 3, "a\0b", 3);
  g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));

  g_assert_cmpint(g_unlink(path), ==, 0);
  g_assert_cmpint(g_rmdir(sub), ==, 0);
  g_assert_cmpint(g_rmdir(lib), ==, 0);
  g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void
test_not_a_directory(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("passd-state-XXXXXX", &error);
  g_autofree char *file = g_build_filename(dir, "plain", NULL);

  g_assert_no_error(error);
  g_assert_true(g_file_set_contents(file, "x", -1, NULL));
  g_assert_false(pass_state_make_dir(file, &error));
  g_assert_true(error && error->domain == G_IO_ERROR);
  g_assert_nonnull(strstr(error->message, file));
  g_assert_cmpint(g_unlink(file), ==, 0);
  g_assert_cmpint(g_rmdir(dir), ==, 0);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/state/write", test_write);
  g_test_add_func("/state/not-a-directory", test_not_a_directory);
  return g_test_run();
}
