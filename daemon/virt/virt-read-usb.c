/* USB devices from libvirt's node-device API, and which of them a domain's <hostdev
 * type='usb'> names (see virt-private.h). */
#define G_LOG_DOMAIN "passd-virt"

#include <stdlib.h>

#include "pass-error.h"
#include "virt-private.h"
#include "xml-usb.h"

gboolean
pass_virt_read_usb_devices(virConnectPtr conn, GPtrArray *devices, GError **error)
{
  virNodeDevicePtr *devs = NULL;
  int n = virConnectListAllNodeDevices(conn, &devs, VIR_CONNECT_LIST_NODE_DEVICES_CAP_USB_DEV);
  gboolean ok = TRUE;

  if (n < 0)
    return pass_virt_set_call_error(conn, error, "listing USB devices");
  for (int i = 0; i < n; i++) {
    g_autoptr(GError) local = NULL;
    char *xml = ok ? virNodeDeviceGetXMLDesc(devs[i], 0) : NULL;
    PassDevice *device = NULL;

    if (ok && xml == NULL) {
      pass_virt_set_call_error(conn, &local, "reading node device");
      /* A picture with holes where libvirt went away is no picture (as for PCI). */
      if (g_error_matches(local, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE)) {
        g_propagate_error(error, g_steal_pointer(&local));
        ok = FALSE;
      }
    } else if (xml != NULL) {
      device = pass_xml_read_usb_nodedev(xml, &local);
    }
    if (device != NULL)
      g_ptr_array_add(devices, device);
    else if (local != NULL) /* root hubs, devices gone while listing */
      g_debug("skipping node device %s: %s", virNodeDeviceGetName(devs[i]), local->message);
    free(xml);
    virNodeDeviceFree(devs[i]);
  }
  free(devs);
  return ok;
}

void
pass_virt_usb_resolver_clear(PassVirtUsbResolver *resolver)
{
  g_clear_pointer(&resolver->devices, g_ptr_array_unref);
}

/* Bus and device number name one device while it stays plugged in; without them libvirt takes
 * the one device with that vendor and product (and refuses several), so passd does too. */
char *
pass_virt_usb_resolve(const PassUsbSource *source, gpointer user_data)
{
  PassVirtUsbResolver *resolver = user_data;
  const PassDevice *found = NULL;
  guint matches = 0;

  if (resolver->devices == NULL) {
    g_autoptr(GError) error = NULL;

    resolver->devices = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
    if (!pass_virt_read_usb_devices(resolver->conn, resolver->devices, &error))
      g_debug("cannot list USB devices: %s", error->message);
  }
  for (guint i = 0; i < resolver->devices->len; i++) {
    const PassDevice *d = g_ptr_array_index(resolver->devices, i);
    gboolean ids = source->vendor_id == 0 ||
                   (d->vendor_id == source->vendor_id && d->product_id == source->product_id);

    if (source->bus != 0 && source->devnum != 0) {
      if ((guint)d->usb->bus == source->bus && (guint)d->usb->devnum == source->devnum && ids)
        return g_strdup(d->address);
    } else if (source->vendor_id != 0 && ids) {
      found = d;
      matches++;
    }
  }
  return matches == 1 ? g_strdup(found->address) : NULL;
}
