/* The host's own view of its PCI devices: the only code that reads or writes sysfs and procfs.
 * Every path is taken below a root directory ("/" in production) so unit tests can point it at
 * a fake tree in a temporary directory. All functions are blocking but quick (a few small file
 * reads or one write); they are safe to call from any thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PassHost PassHost;

/* @root: absolute directory standing for "/" ("/" on a real host). There is no default: NULL
 * or a relative path is a programming error (returns NULL), so a test cannot reach the real
 * /sys by forgetting to pass its temp dir. */
PassHost *pass_host_new(const char *root);
void pass_host_free(PassHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassHost, pass_host_free)

const char *pass_host_get_root(PassHost *host);

/* IPv4 addresses per interface. procfs has no per-interface IPv4 list, so with root "/" they
 * come from getifaddrs(); with any other root there are none unless a test sets them here:
 * @addresses maps interface name (char*) to one address (char*, dotted quad). The table is
 * referenced, not copied; NULL goes back to the default source. */
void pass_host_set_ipv4_addresses(PassHost *host, GHashTable *addresses);

/* Does the host itself need this device? TRUE with @reason (one sentence per cause, joined with
 * "; ", no final period) when any of these holds:
 *  - a block device below it holds a mounted file system or active swap (partitions and dm/md
 *    slaves are followed), whatever its class (a USB controller with the root disk counts too);
 *  - a network interface on it (or a bridge/bond/VLAN stacked on that interface) carries an
 *    IPv4 or IPv6 default route, or has an address (IPv6 link-local and loopback-scope
 *    addresses are ignored: every IPv6 link has one, so they say nothing about use);
 *  - it is the boot VGA device;
 *  - it is a bridge (PCI base class 0x06: host, ISA, PCI-to-PCI and other bridges).
 * @class_code: the 24-bit PCI class (e.g. 0x010802). @address must be canonical; a malformed
 * one is never protected. Unreadable files count as "not in use". */
gboolean pass_host_check_protected(PassHost *host, const char *address, guint32 class_code,
                                   char **reason);

/* Driver state of one PCI function, for putting a device back exactly as it was.
 * The write helpers fail with a G_IO_ERROR naming the file (as seen from the host, e.g.
 * "/sys/bus/pci/drivers_probe"); they never create files. @address must be canonical
 * ("dddd:bb:ss.f"); anything else fails with PASS_ERROR_INVALID_PARAMETER. */

/* The bound driver's name (basename of .../devices/ADDR/driver), or NULL when unbound. */
char *pass_host_get_driver(PassHost *host, const char *address);

/* Unbind from the current driver (writes ADDR to .../devices/ADDR/driver/unbind). TRUE without
 * writing anything when already unbound. */
gboolean pass_host_unbind(PassHost *host, const char *address, GError **error);

/* Set .../devices/ADDR/driver_override to @driver, or clear it when @driver is NULL (writes
 * "\n", which the kernel takes as "no override"). */
gboolean pass_host_set_driver_override(PassHost *host, const char *address, const char *driver,
                                       GError **error);

/* The current driver_override, or NULL when none is set or the file is unreadable. */
char *pass_host_get_driver_override(PassHost *host, const char *address);

/* Ask the kernel to bind the device to the driver it would pick (writes ADDR to
 * /sys/bus/pci/drivers_probe); honours driver_override. */
gboolean pass_host_probe(PassHost *host, const char *address, GError **error);

/* The NUMA node of each host CPU (index: CPU number; -1: not in any node's cpulist), from
 * /sys/devices/system/node/nodeN/cpulist. Empty on a host without NUMA information. */
GArray *pass_host_read_cpu_nodes(PassHost *host);
/* ---- SR-IOV of a physical function (host-sriov.c) ---- */

typedef struct {
  int totalvfs;   /* sriov_totalvfs */
  int numvfs;     /* sriov_numvfs */
  int autoprobe;  /* sriov_drivers_autoprobe: 0 or 1; -1 when unreadable */
  GPtrArray *vfs; /* char*: the VFs' addresses by index (virtfnN); NULL entries for gaps */
} PassHostSriov;

void pass_host_sriov_clear(PassHostSriov *sriov);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PassHostSriov, pass_host_sriov_clear)

/* Read the SR-IOV files of PF @address into @sriov. FALSE with PASS_ERROR_SRIOV_NOT_SUPPORTED
 * when it has no sriov_totalvfs or sriov_numvfs (no SR-IOV capability),
 * PASS_ERROR_INVALID_PARAMETER for a malformed address. */
gboolean pass_host_read_sriov(PassHost *host, const char *address, PassHostSriov *sriov,
                              GError **error);

/* Write sriov_drivers_autoprobe (@autoprobe 0 or 1; -1: leave it), then, when @count differs
 * from sriov_numvfs, 0 (unless it is 0 already) and @count: the kernel creates VFs only from 0.
 * The kernel's refusals become clear errors: no driver or one without SR-IOV support (ENOENT,
 * EOPNOTSUPP) PASS_ERROR_SRIOV_NOT_SUPPORTED, a count above sriov_totalvfs (ERANGE)
 * PASS_ERROR_INVALID_PARAMETER, anything else (EBUSY: VFs still in use) PASS_ERROR_FAILED; each
 * names the file, the value and the kernel's reason. */
gboolean pass_host_set_num_vfs(PassHost *host, const char *address, guint count, int autoprobe,
                               GError **error);

G_END_DECLS
