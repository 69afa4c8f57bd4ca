/* "usb:VVVV:PPPP" names the device with that vendor and product while there is exactly one:
 * resolved to its port address before any method sees it, so locks, owners and the journal
 * only ever hold port addresses. */
#define G_LOG_DOMAIN "passd"

#include "service-private.h"

#include <stdio.h>

#include "pass-device-id.h"
#include "pass-error.h"
#include "service-params.h"
#include "string-array.h"

gboolean
pass_service_resolve_device(PassService *service, PassVarlinkCall *call, PassArgs *args)
{
  PassDeviceIdKind kind;
  guint vendor, product;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GPtrArray) matches = g_ptr_array_new();
  g_autoptr(JsonObject) extra = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *names = NULL;

  g_autofree char *canonical = NULL;

  if (args->address == NULL || !g_str_has_prefix(args->address, "usb:") ||
      (canonical = pass_device_id_canonicalize(args->address, &kind, NULL)) == NULL)
    return TRUE;
  if (kind != PASS_DEVICE_ID_USB_VENDOR ||
      sscanf(args->address, "usb:%4x:%4x", &vendor, &product) != 2)
    return TRUE;
  /* Without an inventory the method says so itself (HypervisorUnavailable). */
  if (!pass_engine_has_inventory(service->engine))
    return TRUE;
  devices = pass_engine_list_devices(service->engine);
  for (guint i = 0; i < devices->len; i++) {
    const PassDevice *d = g_ptr_array_index(devices, i);

    if (d->kind == PASS_DEVICE_KIND_USB && d->vendor_id == vendor && d->product_id == product)
      g_ptr_array_add(matches, d->address);
  }
  if (matches->len == 1) {
    g_free(args->address);
    args->address = g_strdup(g_ptr_array_index(matches, 0));
    return TRUE;
  }
  names = pass_strings_join(matches, ", ");
  error = matches->len == 0
              ? g_error_new(PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE,
                            "No USB device has vendor and product %s", args->address + 4)
              : g_error_new(PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE,
                            "%u USB devices have vendor and product %s: %s; name one by its "
                            "port address",
                            matches->len, args->address + 4, names);
  extra = json_object_new();
  json_object_set_string_member(extra, "address", args->address);
  pass_varlink_call_reply_gerror(call, error, extra);
  return FALSE;
}
