/* The host doctor's probes: every file CheckHost reads, below the PassHost's root. Read-only
 * (stat, open for reading); blocking, a few dozen small reads, so call them on a worker. The
 * verdicts over what was read come from rules/doctor.h; libvirt's state and IOMMU group
 * viability are the service's (they come from the engine). */
#pragma once

#include "check.h"
#include "host.h"

G_BEGIN_DECLS

/* Appends the host-wide checks (PassCheck*) to @checks, in this order: cpu-virtualization,
 * kvm-device, iommu-firmware, iommu-enabled, interrupt-remapping, kernel-cmdline-iommu,
 * kernel-cmdline-passthrough, module-vfio, module-vfio-pci, module-vfio-iommu-type1. */
void pass_host_doctor_host(PassHost *host, GPtrArray *checks);

/* Appends the checks of PCI function @address (canonical): device-sysfs and, when it exists,
 * device-acs, device-reset, device-sriov, device-host-critical. */
void pass_host_doctor_device(PassHost *host, const char *address, GPtrArray *checks);

G_END_DECLS
