/* Root-relative sysfs access and the driver helpers (see host.h). */
#include "host-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "pass-address.h"
#include "pass-error.h"

#define MAX_SYMLINK_HOPS 40

PassHost *
pass_host_new(const char *root)
{
  PassHost *host;

  /* No fallback to "/": a test that forgets its temp root must fail, not touch the real /sys. */
  g_return_val_if_fail(root != NULL, NULL);
  g_return_val_if_fail(g_path_is_absolute(root), NULL);

  host = g_new0(PassHost, 1);
  host->root = g_canonicalize_filename(root, NULL);
  return host;
}

void
pass_host_free(PassHost *host)
{
  if (host == NULL)
    return;
  g_clear_pointer(&host->ipv4, g_hash_table_unref);
  g_free(host->root);
  g_free(host);
}

const char *
pass_host_get_root(PassHost *host)
{
  return host->root;
}

void
pass_host_set_ipv4_addresses(PassHost *host, GHashTable *addresses)
{
  g_clear_pointer(&host->ipv4, g_hash_table_unref);
  if (addresses != NULL)
    host->ipv4 = g_hash_table_ref(addresses);
}

char *
pass_host_path(PassHost *host, const char *path)
{
  return g_build_filename(host->root, path, NULL);
}

char *
pass_host_read(PassHost *host, const char *path)
{
  g_autofree char *full = pass_host_path(host, path);
  char *contents = NULL;

  if (!g_file_get_contents(full, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static void
push_components(GQueue *queue, const char *path)
{
  g_auto(GStrv) parts = g_strsplit(path, "/", -1);

  /* Pushed in reverse so the first component is taken first. */
  for (gssize i = (gssize)g_strv_length(parts) - 1; i >= 0; i--)
    g_queue_push_head(queue, g_strdup(parts[i]));
}

static char *
join_components(GPtrArray *stack)
{
  GString *out = g_string_new(NULL);

  for (guint i = 0; i < stack->len; i++) {
    g_string_append_c(out, '/');
    g_string_append(out, g_ptr_array_index(stack, i));
  }
  if (out->len == 0)
    g_string_append_c(out, '/');
  return g_string_free(out, FALSE);
}

char *
pass_host_resolve(PassHost *host, const char *path)
{
  g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GQueue) queue = g_queue_new();
  guint hops = 0;
  char *component;

  push_components(queue, path);
  while ((component = g_queue_pop_head(queue)) != NULL) {
    g_autofree char *comp = component;
    g_autofree char *prefix = NULL;
    g_autofree char *full = NULL;
    g_autofree char *target = NULL;

    if (*comp == '\0' || g_str_equal(comp, "."))
      continue;
    if (g_str_equal(comp, "..")) {
      if (stack->len > 0)
        g_ptr_array_remove_index(stack, stack->len - 1);
      continue;
    }

    prefix = join_components(stack);
    full = g_build_filename(host->root, prefix, comp, NULL);
    target = g_file_read_link(full, NULL);
    if (target == NULL) {
      g_ptr_array_add(stack, g_steal_pointer(&comp));
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) {
      g_queue_free_full(g_steal_pointer(&queue), g_free);
      return NULL;
    }
    if (g_path_is_absolute(target))
      g_ptr_array_set_size(stack, 0);
    push_components(queue, target);
  }
  return join_components(stack);
}

gboolean
pass_host_path_below(const char *path, const char *address)
{
  g_auto(GStrv) parts = NULL;

  if (path == NULL)
    return FALSE;
  parts = g_strsplit(path, "/", -1);
  return g_strv_contains((const char *const *)parts, address);
}

/* Only canonical addresses reach a path: anything else could name another file. */
static gboolean
check_address(const char *address, GError **error)
{
  g_autofree char *canonical = NULL;

  canonical = pass_address_canonicalize(address, error);
  if (canonical == NULL)
    return FALSE;
  if (!g_str_equal(canonical, address)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                "\"%s\" is not a canonical PCI address (expected %s)", address, canonical);
    return FALSE;
  }
  return TRUE;
}

/* Write @value to an existing file; sysfs takes the whole value in one write(). */
static gboolean
write_file(PassHost *host, const char *path, const char *value, GError **error)
{
  g_autofree char *full = pass_host_path(host, path);
  size_t len = strlen(value);
  ssize_t written;
  int fd;
  int saved;

  fd = open(full, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "Cannot open %s: %s", path,
                g_strerror(saved));
    return FALSE;
  }
  do
    written = write(fd, value, len);
  while (written < 0 && errno == EINTR);
  saved = errno;
  close(fd);
  if (written < 0) {
    g_autofree char *shown = g_strchomp(g_strdup(value));

    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "Writing \"%s\" to %s failed: %s",
                shown, path, g_strerror(saved));
    return FALSE;
  }
  if ((size_t)written != len) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Short write to %s", path);
    return FALSE;
  }
  return TRUE;
}

char *
pass_host_get_driver(PassHost *host, const char *address)
{
  g_autofree char *path = NULL;
  g_autofree char *full = NULL;
  g_autofree char *target = NULL;

  if (!check_address(address, NULL))
    return NULL;
  path = g_strdup_printf("/sys/bus/pci/devices/%s/driver", address);
  full = pass_host_path(host, path);
  target = g_file_read_link(full, NULL);
  if (target == NULL)
    return NULL;
  return g_path_get_basename(target);
}

gboolean
pass_host_unbind(PassHost *host, const char *address, GError **error)
{
  g_autofree char *driver = NULL;
  g_autofree char *path = NULL;

  if (!check_address(address, error))
    return FALSE;
  driver = pass_host_get_driver(host, address);
  if (driver == NULL)
    return TRUE;
  path = g_strdup_printf("/sys/bus/pci/devices/%s/driver/unbind", address);
  return write_file(host, path, address, error);
}

gboolean
pass_host_set_driver_override(PassHost *host, const char *address, const char *driver,
                              GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *value = NULL;

  if (!check_address(address, error))
    return FALSE;
  if (driver != NULL && (*driver == '\0' || strpbrk(driver, "/\n") != NULL)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER, "\"%s\" is not a driver name",
                driver);
    return FALSE;
  }
  path = g_strdup_printf("/sys/bus/pci/devices/%s/driver_override", address);
  value = g_strdup_printf("%s\n", driver != NULL ? driver : "");
  return write_file(host, path, value, error);
}

char *
pass_host_get_driver_override(PassHost *host, const char *address)
{
  g_autofree char *path = NULL;
  g_autofree char *value = NULL;

  if (!check_address(address, NULL))
    return NULL;
  path = g_strdup_printf("/sys/bus/pci/devices/%s/driver_override", address);
  value = pass_host_read(host, path);
  if (value == NULL)
    return NULL;
  g_strstrip(value);
  /* The kernel shows "(null)" when no override is set. */
  if (*value == '\0' || g_str_equal(value, "(null)"))
    return NULL;
  return g_steal_pointer(&value);
}

gboolean
pass_host_probe(PassHost *host, const char *address, GError **error)
{
  if (!check_address(address, error))
    return FALSE;
  return write_file(host, "/sys/bus/pci/drivers_probe", address, error);
}
