/* Atomic replacement of a small file (see state-file.h). */
#include "state-file.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean
fail_errno(GError **error, int errsv, const char *what, const char *path)
{
  g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s %s: %s", what, path,
              g_strerror(errsv));
  return FALSE;
}

gboolean
pass_state_write_all(int fd, const char *data, gsize length)
{
  while (length > 0) {
    ssize_t n = write(fd, data, length);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return FALSE;
    data += n;
    length -= (gsize)n;
  }
  return TRUE;
}

/* A rename is durable only once its directory is on disk. */
static gboolean
sync_dir_of(const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(path);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int errsv;

  if (fd < 0)
    return fail_errno(error, errno, "cannot open", dir);
  if (fsync(fd) < 0) {
    errsv = errno;
    close(fd);
    return fail_errno(error, errsv, "cannot sync", dir);
  }
  close(fd);
  return TRUE;
}

gboolean
pass_state_write_file(const char *path, const char *contents, gssize length, GError **error)
{
  g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
  gsize size = length < 0 ? strlen(contents) : (gsize)length;
  int fd, errsv;

  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return fail_errno(error, errno, "cannot create", tmp);
  if (!pass_state_write_all(fd, contents, size) || fsync(fd) < 0) {
    errsv = errno;
    close(fd);
    g_unlink(tmp);
    return fail_errno(error, errsv, "cannot write", tmp);
  }
  if (close(fd) < 0) {
    errsv = errno;
    g_unlink(tmp);
    return fail_errno(error, errsv, "cannot write", tmp);
  }
  if (rename(tmp, path) < 0) {
    errsv = errno;
    g_unlink(tmp);
    return fail_errno(error, errsv, "cannot replace", path);
  }
  return sync_dir_of(path, error);
}

gboolean
pass_state_make_dir(const char *dir, GError **error)
{
  if (g_mkdir_with_parents(dir, 0700) < 0)
    return fail_errno(error, errno, "cannot create the state directory", dir);
  if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY, "%s is not a directory", dir);
    return FALSE;
  }
  return TRUE;
}
