/* The <hostdev type='usb'> of an attach (see tx-private.h). */
#define G_LOG_DOMAIN "passd-tx"

#include "pass-error.h"
#include "tx-private.h"
#include "xml-usb.h"

char *
tx_usb_hostdev_xml(PassEngine *engine, const char *address, GError **error)
{
  PassDevice *device = pass_engine_lookup_device(engine, address);
  g_autoptr(GPtrArray) devices = NULL;
  PassUsbSource source = {0};
  guint same = 0;

  if (device == NULL || device->usb == NULL) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE, "No USB device at %s", address);
    return NULL;
  }
  source.vendor_id = device->vendor_id;
  source.product_id = device->product_id;
  devices = pass_engine_list_devices(engine);
  for (guint i = 0; i < devices->len; i++) {
    const PassDevice *d = g_ptr_array_index(devices, i);

    same += d->kind == PASS_DEVICE_KIND_USB && d->vendor_id == device->vendor_id &&
            d->product_id == device->product_id;
  }
  /* Ids alone survive re-plugging (and a host reboot) but name this device only while it is
   * the one with them; libvirt refuses to start a guest whose ids match several. */
  if (same > 1 && device->usb->bus > 0 && device->usb->devnum > 0) {
    source.bus = (guint)device->usb->bus;
    source.devnum = (guint)device->usb->devnum;
  }
  return pass_xml_build_usb_hostdev(&source, error);
}
