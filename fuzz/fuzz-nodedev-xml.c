/* The node device XML reader: no crash or leak on any input; a device it returns has a
 * canonical address matching its name's form, canonical parent and PF addresses, and sane
 * numbers; an input it refuses has an error of the hypervisor kind. */
#include <string.h>

#include "fuzz-common.h"
#include "pass-address.h"
#include "pass-error.h"
#include "xml-read.h"

FUZZ_DEFINE_INITIALIZE_QUIET()

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *xml = fuzz_string(data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(PassDevice) device = pass_xml_read_nodedev(xml, &error);

  if (device == NULL) {
    FUZZ_CHECK(error != NULL && error->domain == PASS_ERROR);
    FUZZ_CHECK(g_utf8_validate(error->message, -1, NULL));
    return 0;
  }
  FUZZ_CHECK(error == NULL);
  FUZZ_CHECK(device->address != NULL && device->name != NULL);
  if (device->kind == PASS_DEVICE_KIND_USB) {
    /* A port address whose port is the sysfs name; bus and device numbers as the kernel's, or
     * unknown (-1) while it re-enumerates. */
    fuzz_check_canonical_id(device->address);
    FUZZ_CHECK(g_str_has_prefix(device->address, "usb:") && device->usb != NULL);
    FUZZ_CHECK(strcmp(device->address + strlen("usb:"), device->usb->port) == 0);
    FUZZ_CHECK(device->usb->bus == -1 ||
               (device->usb->bus >= 1 && device->usb->bus <= PASS_USB_MAX_BUS));
    FUZZ_CHECK(device->usb->devnum == -1 ||
               (device->usb->devnum >= 1 && device->usb->devnum <= PASS_USB_MAX_BUS));
    FUZZ_CHECK(device->usb->drivers != NULL);
    if (device->usb->controller)
      fuzz_check_canonical(device->usb->controller);
  } else {
    FUZZ_CHECK(device->kind == PASS_DEVICE_KIND_PCI && device->usb == NULL);
    fuzz_check_canonical(device->address);
  }
  if (device->parent)
    fuzz_check_canonical(device->parent);
  if (device->physfn)
    fuzz_check_canonical(device->physfn);
  FUZZ_CHECK(device->class_code <= 0xffffff);
  FUZZ_CHECK(device->iommu_group >= -1 && device->numa_node >= -1 && device->totalvfs >= -1);
  /* Strings reach JSON replies: they must be UTF-8 (libxml2 guarantees it for text). */
  const char *strings[] = {device->name, device->vendor, device->product, device->driver};
  for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
    FUZZ_CHECK(strings[i] == NULL || g_utf8_validate(strings[i], -1, NULL));

  /* A device is equal to itself and to a second reading of the same XML. */
  g_autoptr(PassDevice) again = pass_xml_read_nodedev(xml, NULL);
  FUZZ_CHECK(again != NULL && pass_device_equal(device, again));
  return 0;
}
