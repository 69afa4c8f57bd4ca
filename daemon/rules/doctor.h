/* The host doctor's pure parts: reading /proc/cpuinfo, the kernel command line, the boot
 * loader's configuration, module lists and PCI config space, all given as strings or bytes
 * (host/host-doctor.c reads the files). No I/O, so each is table-tested. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  PASS_CPU_OTHER,
  PASS_CPU_INTEL, /* vendor_id GenuineIntel: VT-x, VT-d (DMAR), intel_iommu= */
  PASS_CPU_AMD,   /* AuthenticAMD (or HygonGenuine): AMD-V, AMD-Vi (IVRS), amd_iommu= */
} PassCpuVendor;

/* From the first "vendor_id" line of /proc/cpuinfo @cpuinfo (may be NULL). */
PassCpuVendor pass_doctor_cpu_vendor(const char *cpuinfo);

/* TRUE when the first "flags" line of @cpuinfo (may be NULL) lists @flag as a whole word. */
gboolean pass_doctor_cpu_flag(const char *cpuinfo, const char *flag);

/* Looks up parameter @name on kernel command line @cmdline (may be NULL) as the kernel does:
 * words split on blanks, double quotes group ("a=\"b c\""), '-' and '_' are the same in a
 * name, the last occurrence wins and nothing after a lone "--" (init's arguments) counts.
 * TRUE when present; *@value (when not NULL) gets its value without quotes, NULL for a bare
 * word ("quiet"). */
gboolean pass_doctor_cmdline_get(const char *cmdline, const char *name, char **value);

/* The command line GRUB passes to Linux, from the contents of /etc/default/grub: the values of
 * GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT (last assignment of each, quotes removed)
 * joined with a blank. NULL when @grub_default is NULL; "" when it sets neither. */
char *pass_doctor_grub_cmdline(const char *grub_default);

/* How the host makes its kernel command line, from which configuration files exist. */
typedef enum {
  PASS_BOOT_UNKNOWN = 0,
  PASS_BOOT_GRUB = 1 << 0,           /* /etc/default/grub */
  PASS_BOOT_KERNEL_INSTALL = 1 << 1, /* /etc/kernel/cmdline (systemd-boot, UKIs) */
} PassBootloader;

/* @grub_default, @kernel_cmdline: the files' contents, NULL when absent. Both may be set (a
 * host moving from one to the other); then both are named. */
PassBootloader pass_doctor_bootloader(const char *grub_default, const char *kernel_cmdline);

/* The exact steps to add @params (e.g. "intel_iommu=on iommu=pt") to the kernel command line
 * with @boot, ending in a reboot; for PASS_BOOT_UNKNOWN the steps for both. */
char *pass_doctor_cmdline_fix(PassBootloader boot, const char *params);

/* TRUE when module @name ("vfio_pci") is listed in @list, the contents of modules.dep or
 * modules.builtin ("kernel/drivers/vfio/pci/vfio-pci.ko.xz: ..."): '-' and '_' are the same,
 * any compression suffix is ignored. @list may be NULL. */
gboolean pass_doctor_module_listed(const char *list, const char *name);

/* Offset of PCI Express extended capability @id (e.g. 0x000d, ACS) in config space @config of
 * @length bytes: > 0 when found, 0 when the list does not have it, -1 when unknown (@length
 * covers no extended space: sysfs shows only 64 or 256 bytes to non-root readers and for
 * conventional PCI). */
int pass_doctor_pci_ext_cap(const guint8 *config, gsize length, guint16 id);

/* From an Intel IOMMU's extended capability register as sysfs shows it (.../intel-iommu/ecap,
 * hex): 1 when it supports interrupt remapping (bit 3, IR), 0 when not, -1 when unreadable. */
int pass_doctor_intel_ecap_ir(const char *ecap);

G_END_DECLS
