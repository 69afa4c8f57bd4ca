/* The USB parts of passctl list and show (a Device's "usb" member). */
#include "format.h"

static char *
joined_drivers(JsonObject *usb)
{
  JsonArray *drivers = passctl_json_array(usb, "drivers");
  g_autoptr(GString) out = g_string_new(NULL);
  guint n = drivers ? json_array_get_length(drivers) : 0;

  for (guint i = 0; i < n; i++) {
    const char *name = json_array_get_string_element(drivers, i);

    if (name == NULL)
      continue;
    if (out->len > 0)
      g_string_append_c(out, ',');
    g_string_append(out, name);
  }
  return out->len > 0 ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}

char *
passctl_usb_driver_cell(JsonObject *device)
{
  JsonObject *usb = passctl_json_object(device, "usb");

  /* libvirt calls every USB device's driver "usb": its interfaces' drivers say more. */
  return usb != NULL ? joined_drivers(usb) : NULL;
}

void
passctl_format_usb_show(GString *out, JsonObject *device, int label_width)
{
  JsonObject *usb = passctl_json_object(device, "usb");
  g_autofree char *drivers = NULL;
  g_autofree char *numbers = NULL;
  const char *speed, *klass, *controller;
  gint64 bus, devnum;

  if (usb == NULL)
    return;
  drivers = joined_drivers(usb);
  speed = passctl_json_string(usb, "speed");
  klass = passctl_json_string(usb, "class");
  controller = passctl_json_string(usb, "controller");
  if (passctl_json_int(usb, "bus", &bus) && passctl_json_int(usb, "device", &devnum))
    numbers = g_strdup_printf("%03" G_GINT64_FORMAT "/%03" G_GINT64_FORMAT, bus, devnum);
  g_string_append_printf(out, "%-*s%s\n", label_width, "USB bus/device:", numbers ? numbers : "?");
  g_string_append_printf(out, "%-*s%s%s\n", label_width, "USB speed:", speed ? speed : "unknown",
                         speed ? " Mbit/s" : "");
  g_string_append_printf(out, "%-*s%s\n", label_width, "USB class:", klass ? klass : "unknown");
  g_string_append_printf(out, "%-*s%s\n", label_width,
                         "Interface drivers:", drivers ? drivers : "none");
  g_string_append_printf(out, "%-*s%s\n", label_width,
                         "Host controller:", controller ? controller : "not PCI");
}
