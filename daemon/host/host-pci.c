/* A PCI function's sysfs directory read into model's PassDevice (host-pci.h). */
#include "host-private.h"

#include "host-pci.h"
#include "pass-address.h"

/* The basename of the link @name in @address's directory; NULL when there is none. */
static char *
link_name(PassHost *host, const char *address, const char *name)
{
  g_autofree char *path = g_strdup_printf("/sys/bus/pci/devices/%s/%s", address, name);
  g_autofree char *full = pass_host_path(host, path);
  g_autofree char *target = g_file_read_link(full, NULL);

  return target ? g_path_get_basename(target) : NULL;
}

/* The number in @address's file @name ("0x1b36", "-1", "8"); FALSE when missing or malformed. */
static gboolean
read_int(PassHost *host, const char *address, const char *name, guint base, gint64 min, gint64 max,
         gint64 *out)
{
  g_autofree char *path = g_strdup_printf("/sys/bus/pci/devices/%s/%s", address, name);
  g_autofree char *text = pass_host_read(host, path);
  const char *digits;

  if (text == NULL)
    return FALSE;
  digits = g_strstrip(text);
  if (base == 16 && (g_str_has_prefix(digits, "0x") || g_str_has_prefix(digits, "0X")))
    digits += 2;
  return g_ascii_string_to_signed(digits, base, min, max, out, NULL);
}

/* The canonical address of @text when it is a PCI function's, else NULL. */
static char *
pci_or_null(const char *text)
{
  PassAddress addr;

  return text && pass_address_parse(text, &addr, NULL) ? pass_address_to_string(&addr) : NULL;
}

/* The upstream device: the directory above the function's own in /sys/devices, when that is a
 * PCI function (a bridge or root port), as libvirt's node-device parent. */
static char *
read_parent(PassHost *host, const char *address)
{
  g_autofree char *path = g_strdup_printf("/sys/bus/pci/devices/%s", address);
  g_autofree char *real = pass_host_resolve(host, path);
  g_autofree char *up = real ? g_path_get_dirname(real) : NULL;
  g_autofree char *name = up ? g_path_get_basename(up) : NULL;

  return pci_or_null(name);
}

PassDevice *
pass_host_read_pci_device(PassHost *host, const char *address)
{
  g_autoptr(PassDevice) device = NULL;
  g_autofree char *canonical = address ? pass_address_canonicalize(address, NULL) : NULL;
  g_autofree char *group = NULL;
  g_autofree char *physfn = NULL;
  PassAddress addr;
  gint64 vendor, product, class_code, value;

  /* Only a canonical address becomes a path. A function whose ids cannot be read is not there
   * (or not yet): nothing to show. */
  if (!canonical || !g_str_equal(canonical, address) || !pass_address_parse(address, &addr, NULL) ||
      !read_int(host, address, "vendor", 16, 0, G_MAXUINT16, &vendor) ||
      !read_int(host, address, "device", 16, 0, G_MAXUINT16, &product) ||
      !read_int(host, address, "class", 16, 0, 0xffffff, &class_code))
    return NULL;
  device = pass_device_new();
  device->kind = PASS_DEVICE_KIND_PCI;
  device->provisional = TRUE;
  device->address = pass_address_to_string(&addr);
  device->name = pass_address_to_nodedev_name(&addr);
  device->vendor_id = (guint16)vendor;
  device->product_id = (guint16)product;
  device->class_code = (guint32)class_code;
  device->driver = link_name(host, address, "driver");
  group = link_name(host, address, "iommu_group");
  if (group && g_ascii_string_to_signed(group, 10, 0, G_MAXINT, &value, NULL))
    device->iommu_group = (int)value;
  /* the kernel says -1 where the platform has no NUMA information */
  if (read_int(host, address, "numa_node", 10, -1, G_MAXINT, &value))
    device->numa_node = (int)value;
  device->parent = read_parent(host, address);
  physfn = link_name(host, address, "physfn");
  device->physfn = pci_or_null(physfn);
  if (read_int(host, address, "sriov_totalvfs", 10, 0, G_MAXINT, &value))
    device->totalvfs = (int)value;
  return g_steal_pointer(&device);
}
