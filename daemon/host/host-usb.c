/* USB devices in sysfs (see host-usb.h). */
#define G_LOG_DOMAIN "passd-host"

#include "host-usb.h"

#include <string.h>

#include "host-private.h"
#include "pass-device-id.h"

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

void
pass_host_usb_fill(PassHost *host, PassUsbInfo *info)
{
  g_autofree char *dir_path = NULL;
  g_autofree char *klass = NULL, *speed = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) drivers = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *prefix = NULL;
  const char *entry;

  if (info == NULL || info->port == NULL || strchr(info->port, '/') != NULL)
    return;
  klass = pass_host_read(
      host, (dir_path = g_strdup_printf("/sys/bus/usb/devices/%s/bDeviceClass", info->port)));
  g_clear_pointer(&dir_path, g_free);
  speed = pass_host_read(host,
                         (dir_path = g_strdup_printf("/sys/bus/usb/devices/%s/speed", info->port)));
  g_clear_pointer(&dir_path, g_free);
  if (klass != NULL) {
    char *end = NULL;
    guint64 value = g_ascii_strtoull(g_strstrip(klass), &end, 16);

    if (end != klass && *end == '\0' && value <= 0xff)
      info->device_class = (int)value;
  }
  if (speed != NULL && *g_strstrip(speed) != '\0') {
    g_free(info->speed);
    info->speed = g_steal_pointer(&speed);
  }

  /* Interfaces are "PORT:CONFIG.INTERFACE" next to the device in /sys/bus/usb/devices. */
  dir_path = pass_host_path(host, "/sys/bus/usb/devices");
  dir = g_dir_open(dir_path, 0, NULL);
  prefix = g_strconcat(info->port, ":", NULL);
  while (dir != NULL && (entry = g_dir_read_name(dir)) != NULL) {
    g_autofree char *link = NULL, *target = NULL, *driver = NULL;

    if (!g_str_has_prefix(entry, prefix))
      continue;
    link = g_strdup_printf("%s/%s/driver", dir_path, entry);
    target = g_file_read_link(link, NULL);
    if (target == NULL)
      continue;
    driver = g_path_get_basename(target);
    if (!g_ptr_array_find_with_equal_func(drivers, driver, g_str_equal, NULL))
      g_ptr_array_add(drivers, g_steal_pointer(&driver));
  }
  g_ptr_array_sort(drivers, compare_strings);
  g_strfreev(info->drivers);
  info->drivers = g_new0(char *, drivers->len + 1);
  for (guint i = 0; i < drivers->len; i++)
    info->drivers[i] = g_strdup(g_ptr_array_index(drivers, i));
}

/* udev's test for a keyboard: the key bitmap's lowest word has KEY_ESC (1) .. KEY_S (31). The
 * capabilities file lists the bitmap's words in hex, most significant first. */
static gboolean
is_keyboard(PassHost *host, const char *input)
{
  g_autofree char *path = g_strdup_printf("/sys/class/input/%s/capabilities/key", input);
  g_autofree char *text = pass_host_read(host, path);
  g_auto(GStrv) words = NULL;
  guint n;
  guint64 low;

  if (text == NULL)
    return FALSE;
  words = g_strsplit(g_strstrip(text), " ", -1);
  n = g_strv_length(words);
  if (n == 0)
    return FALSE;
  low = g_ascii_strtoull(words[n - 1], NULL, 16);
  return (low & 0xfffffffeu) == 0xfffffffeu;
}

static void
check_keyboard(PassHost *host, const char *port, const char *address, GPtrArray *reasons)
{
  g_autofree char *dir_path = pass_host_path(host, "/sys/class/input");
  g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
  g_autoptr(GPtrArray) mine = g_ptr_array_new_with_free_func(g_free);
  guint others = 0;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *link = NULL, *devpath = NULL;

    /* inputN are the devices; eventN, mouseN are their handlers' nodes. */
    if (!g_str_has_prefix(name, "input") || !is_keyboard(host, name))
      continue;
    link = g_strdup_printf("/sys/class/input/%s", name);
    devpath = pass_host_resolve(host, link);
    if (pass_host_path_below(devpath, port))
      g_ptr_array_add(mine, g_strdup(name));
    else
      others++;
  }
  if (mine->len > 0 && others == 0)
    g_ptr_array_add(reasons, g_strdup_printf("%s is the host's only keyboard (%s)", address,
                                             (const char *)g_ptr_array_index(mine, 0)));
}

gboolean
pass_host_usb_check_protected(PassHost *host, const char *address, char **reason)
{
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func(g_free);
  PassDeviceIdKind kind;
  g_autofree char *canonical = pass_device_id_canonicalize(address, &kind, NULL);
  const char *port;

  if (reason != NULL)
    *reason = NULL;
  /* The port becomes a path component: only a canonical port address may. */
  if (canonical == NULL || kind != PASS_DEVICE_ID_USB_PORT || !g_str_equal(canonical, address))
    return FALSE;
  port = address + strlen("usb:");
  pass_host_check_storage(host, port, address, reasons);
  pass_host_check_network(host, port, address, reasons);
  check_keyboard(host, port, address, reasons);
  if (reasons->len == 0)
    return FALSE;
  if (reason != NULL) {
    g_ptr_array_add(reasons, NULL);
    *reason = g_strjoinv("; ", (char **)reasons->pdata);
  }
  return TRUE;
}
