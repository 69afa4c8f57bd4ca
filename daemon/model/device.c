#define G_LOG_DOMAIN "passd"

#include "device.h"

/* Atomic refcounted boxes: devices are built on worker threads and read on the main thread. */

static void
device_clear(gpointer data)
{
  PassDevice *device = data;

  g_free(device->address);
  g_free(device->name);
  g_free(device->vendor);
  g_free(device->product);
  g_free(device->driver);
  g_free(device->parent);
  g_free(device->physfn);
  g_strfreev(device->netdevs);
  g_free(device->mdev_type);
  g_free(device->mdev_parent);
  pass_usb_info_free(device->usb);
}

PassDevice *
pass_device_new(void)
{
  PassDevice *device = g_atomic_rc_box_new0(PassDevice);

  device->iommu_group = -1;
  device->numa_node = -1;
  device->totalvfs = -1;
  return device;
}

PassDevice *
pass_device_ref(PassDevice *device)
{
  g_return_val_if_fail(device != NULL, NULL);
  return g_atomic_rc_box_acquire(device);
}

void
pass_device_unref(PassDevice *device)
{
  if (device != NULL)
    g_atomic_rc_box_release_full(device, device_clear);
}

/* NULL and empty are the same: no interfaces. */
static gboolean
strv_equal(const char *const *a, const char *const *b)
{
  if (a == NULL || b == NULL)
    return (a == NULL || a[0] == NULL) && (b == NULL || b[0] == NULL);
  return g_strv_equal(a, b);
}

gboolean
pass_device_equal(const PassDevice *a, const PassDevice *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;
  return a->kind == b->kind && g_strcmp0(a->address, b->address) == 0 &&
         g_strcmp0(a->name, b->name) == 0 && a->vendor_id == b->vendor_id &&
         a->product_id == b->product_id && g_strcmp0(a->vendor, b->vendor) == 0 &&
         g_strcmp0(a->product, b->product) == 0 && a->class_code == b->class_code &&
         g_strcmp0(a->driver, b->driver) == 0 && a->iommu_group == b->iommu_group &&
         a->numa_node == b->numa_node && g_strcmp0(a->parent, b->parent) == 0 &&
         g_strcmp0(a->physfn, b->physfn) == 0 && a->totalvfs == b->totalvfs &&
         strv_equal((const char *const *)a->netdevs, (const char *const *)b->netdevs) &&
         g_strcmp0(a->mdev_type, b->mdev_type) == 0 &&
         g_strcmp0(a->mdev_parent, b->mdev_parent) == 0 && a->mdev_state == b->mdev_state &&
         pass_usb_info_equal(a->usb, b->usb) && a->provisional == b->provisional;
}

static const char *const kind_names[] = {
    [PASS_DEVICE_KIND_PCI] = "pci",
    [PASS_DEVICE_KIND_USB] = "usb",
    [PASS_DEVICE_KIND_MDEV] = "mdev",
};

const char *
pass_device_kind_to_string(PassDeviceKind kind)
{
  g_return_val_if_fail((gsize)kind < G_N_ELEMENTS(kind_names), "?");
  return kind_names[kind];
}

gboolean
pass_device_kind_from_string(const char *text, PassDeviceKind *out)
{
  for (gsize i = 0; text && i < G_N_ELEMENTS(kind_names); i++)
    if (g_str_equal(text, kind_names[i])) {
      *out = (PassDeviceKind)i;
      return TRUE;
    }
  return FALSE;
}
