/* Atomic replacement of a state file (see state-file.h). */
#include "state-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static gboolean
fail(GError **error, int saved, const char *what, const char *path)
{
  g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "Cannot %s %s: %s", what, path,
              g_strerror(saved));
  return FALSE;
}

static gboolean
write_all(int fd, const char *data, gsize length)
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

/* The rename is only durable once the directory's entry is on disk too. */
static gboolean
sync_dir(const char *dir, GError **error)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved;

  if (fd < 0)
    return fail(error, errno, "open", dir);
  if (fsync(fd) < 0) {
    saved = errno;
    close(fd);
    return fail(error, saved, "sync", dir);
  }
  close(fd);
  return TRUE;
}

gboolean
pass_state_write_file(const char *path, const char *contents, gssize length, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(path);
  g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
  gsize size = length < 0 ? strlen(contents) : (gsize)length;
  int fd, saved;

  if (g_mkdir_with_parents(dir, 0755) < 0)
    return fail(error, errno, "create", dir);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return fail(error, errno, "create", tmp);
  if (!write_all(fd, contents, size) || fsync(fd) < 0) {
    saved = errno;
    close(fd);
    g_unlink(tmp);
    return fail(error, saved, "write", tmp);
  }
  if (close(fd) < 0) {
    saved = errno;
    g_unlink(tmp);
    return fail(error, saved, "write", tmp);
  }
  if (g_rename(tmp, path) < 0) {
    saved = errno;
    g_unlink(tmp);
    return fail(error, saved, "replace", path);
  }
  return sync_dir(dir, error);
}
