/* SR-IOV of a physical function in sysfs: sriov_totalvfs, sriov_numvfs, sriov_drivers_autoprobe
 * and the virtfnN links (see host.h). */
#include "host-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pass-address.h"
#include "pass-error.h"

void
pass_host_sriov_clear(PassHostSriov *sriov)
{
  g_clear_pointer(&sriov->vfs, g_ptr_array_unref);
}

static gboolean
canonical(const char *address, GError **error)
{
  g_autofree char *canonical = pass_address_canonicalize(address, error);

  if (canonical == NULL)
    return FALSE;
  if (g_str_equal(canonical, address))
    return TRUE;
  g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
              "\"%s\" is not a canonical PCI address (expected %s)", address, canonical);
  return FALSE;
}

static char *
device_file(const char *address, const char *name)
{
  return g_strdup_printf("/sys/bus/pci/devices/%s/%s", address, name);
}

/* A non-negative number in @name of @address's directory; -1 when missing or malformed. */
static int
read_number(PassHost *host, const char *address, const char *name)
{
  g_autofree char *path = device_file(address, name);
  g_autofree char *text = pass_host_read(host, path);
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned(g_strstrip(text), 10, 0, G_MAXINT, &value, NULL))
    return -1;
  return (int)value;
}

/* virtfnN -> its target's basename, at index N. */
static GPtrArray *
read_vfs(PassHost *host, const char *address)
{
  g_autofree char *dir_path = g_strdup_printf("/sys/bus/pci/devices/%s", address);
  g_autofree char *full = pass_host_path(host, dir_path);
  g_autoptr(GDir) dir = g_dir_open(full, 0, NULL);
  GPtrArray *vfs = g_ptr_array_new_with_free_func(g_free);
  const char *name;

  while (dir && (name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *link = NULL;
    g_autofree char *target = NULL;
    guint64 index;

    if (!g_str_has_prefix(name, "virtfn") ||
        !g_ascii_string_to_unsigned(name + 6, 10, 0, 4095, &index, NULL))
      continue;
    link = g_build_filename(full, name, NULL);
    target = g_file_read_link(link, NULL);
    if (target == NULL)
      continue;
    if (index >= vfs->len)
      g_ptr_array_set_size(vfs, (guint)index + 1);
    g_free(g_ptr_array_index(vfs, index));
    g_ptr_array_index(vfs, index) = g_path_get_basename(target);
  }
  return vfs;
}

gboolean
pass_host_read_sriov(PassHost *host, const char *address, PassHostSriov *sriov, GError **error)
{
  if (!canonical(address, error))
    return FALSE;
  sriov->totalvfs = read_number(host, address, "sriov_totalvfs");
  sriov->numvfs = read_number(host, address, "sriov_numvfs");
  if (sriov->totalvfs < 0 || sriov->numvfs < 0) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_SRIOV_NOT_SUPPORTED,
                "%s has no SR-IOV capability (no readable sriov_totalvfs and sriov_numvfs in "
                "/sys/bus/pci/devices/%s)",
                address, address);
    return FALSE;
  }
  sriov->autoprobe = read_number(host, address, "sriov_drivers_autoprobe");
  if (sriov->autoprobe > 1)
    sriov->autoprobe = 1;
  g_clear_pointer(&sriov->vfs, g_ptr_array_unref);
  sriov->vfs = read_vfs(host, address);
  return TRUE;
}

/* Write @value to @name of @address in one write(); 0 or the errno. @opened tells an open
 * failure (the file is missing) from the kernel refusing the value. */
static int
write_value(PassHost *host, const char *address, const char *name, const char *value,
            gboolean *opened)
{
  g_autofree char *path = device_file(address, name);
  g_autofree char *full = pass_host_path(host, path);
  size_t len = strlen(value);
  ssize_t written;
  int fd, saved;

  *opened = FALSE;
  fd = open(full, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return errno;
  *opened = TRUE;
  do
    written = write(fd, value, len);
  while (written < 0 && errno == EINTR);
  saved = written < 0 ? errno : (size_t)written != len ? EIO : 0;
  close(fd);
  return saved;
}

/* The kernel's refusal of @value in @name as the error passd reports. */
static gboolean
write_error(PassHost *host, const char *address, const char *name, const char *value, int saved,
            gboolean opened, GError **error)
{
  g_autofree char *driver = pass_host_get_driver(host, address);
  g_autofree char *what = g_strdup_printf("writing %s to /sys/bus/pci/devices/%s/%s failed: %s",
                                          value, address, name, g_strerror(saved));

  if (!opened && saved == ENOENT) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_SRIOV_NOT_SUPPORTED,
                "%s has no SR-IOV capability (%s)", address, what);
    return FALSE;
  }
  switch (saved) {
    case ENOENT:
    case EOPNOTSUPP:
    case ENODEV:
      if (driver == NULL)
        g_set_error(error, PASS_ERROR, PASS_ERROR_SRIOV_NOT_SUPPORTED,
                    "%s has no driver bound, and only the PF's driver can create VFs (%s)", address,
                    what);
      else
        g_set_error(error, PASS_ERROR, PASS_ERROR_SRIOV_NOT_SUPPORTED,
                    "the driver of %s (%s) cannot change its VF count (%s)", address, driver, what);
      return FALSE;
    case ERANGE:
      g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                  "%s: more VFs than sriov_totalvfs (%s)", address, what);
      return FALSE;
    case EBUSY:
      g_set_error(error, PASS_ERROR, PASS_ERROR_FAILED,
                  "the kernel refused: VFs of %s are still enabled or in use (%s)", address, what);
      return FALSE;
    default:
      g_set_error(error, PASS_ERROR, PASS_ERROR_FAILED, "%s", what);
      g_prefix_error(error, "%s: ", address);
      return FALSE;
  }
}

static gboolean
write_checked(PassHost *host, const char *address, const char *name, const char *value,
              GError **error)
{
  gboolean opened;
  int saved = write_value(host, address, name, value, &opened);

  return saved == 0 || write_error(host, address, name, value, saved, opened, error);
}

gboolean
pass_host_set_num_vfs(PassHost *host, const char *address, guint count, int autoprobe,
                      GError **error)
{
  g_autofree char *value = g_strdup_printf("%u", count);
  int numvfs;

  if (!canonical(address, error))
    return FALSE;
  if (autoprobe >= 0 &&
      !write_checked(host, address, "sriov_drivers_autoprobe", autoprobe ? "1" : "0", error))
    return FALSE;
  numvfs = read_number(host, address, "sriov_numvfs");
  if (numvfs < 0) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_SRIOV_NOT_SUPPORTED,
                "%s has no SR-IOV capability (no readable /sys/bus/pci/devices/%s/sriov_numvfs)",
                address, address);
    return FALSE;
  }
  if ((guint)numvfs == count)
    return TRUE;
  if (numvfs > 0 && count > 0) {
    if (!write_checked(host, address, "sriov_numvfs", "0", error))
      return FALSE;
    /* Its VFs are gone now: a refusal of the new count must say so. */
    if (!write_checked(host, address, "sriov_numvfs", value, error)) {
      g_prefix_error(error, "%s has no VFs now (its %d VFs were removed first): ", address, numvfs);
      return FALSE;
    }
    return TRUE;
  }
  return write_checked(host, address, "sriov_numvfs", value, error);
}
