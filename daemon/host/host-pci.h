/* A PCI function as sysfs describes it: what passd shows of a device the kernel has announced
 * and libvirt has not listed yet (model's PassDevice, provisional). */
#pragma once

#include "device.h"
#include "host.h"

G_BEGIN_DECLS

/* <root>/sys/bus/pci/devices/@address read into a new provisional PassDevice: ids, class,
 * driver, IOMMU group, NUMA node, upstream PCI device, PF (for a VF) and totalvfs (for a PF),
 * as libvirt would report them; no names or netdevs. NULL when @address is not canonical or
 * sysfs has no such function (it went again, or its files are not there yet). */
PassDevice *pass_host_read_pci_device(PassHost *host, const char *address);

G_END_DECLS
