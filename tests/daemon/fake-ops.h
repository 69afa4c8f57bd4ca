/* A PassOps for unit tests: a tiny model of a host (devices with their drivers) and of libvirt
 * domains, changed by the blocking ops like the real ones would, recording every call. Jobs run
 * on GLib's worker threads, so operations really overlap. A chosen call can fail, and a guest
 * keeps a hot-unplugged device until the test releases it (then the test delivers the event). */
#pragma once

#include "tx.h"

G_BEGIN_DECLS

typedef struct _FakeOps FakeOps;

FakeOps *fake_ops_new(void);
PassOps *fake_ops_get_ops(FakeOps *fake);
/* @where_default_driver: the driver the kernel picks for it (reattach without a known one). */
void fake_ops_add_device(FakeOps *fake, const char *address, int group, const char *physfn,
                         guint32 class_code, const char *driver, const char *default_driver);
/* A USB device at @address ("usb:1-2") with those ids, bus and device number, bound to "usb"
 * (libvirt's name for every USB device); attach/detach find it from the XML's ids. */
void fake_ops_add_usb_device(FakeOps *fake, const char *address, guint16 vendor, guint16 product,
                             int bus, int devnum);
/* @pf is an SR-IOV PF of @totalvfs VFs; set_num_vfs creates VFs with @vf_driver bound when
 * @autoprobe is on (as sriov_drivers_autoprobe then is), none otherwise. */
void fake_ops_set_sriov(FakeOps *fake, const char *pf, int totalvfs, int autoprobe,
                        const char *vf_driver);
/* Behind passd's back: rebind, or let a device vanish (the engine learns only by reading). */
void fake_ops_set_driver(FakeOps *fake, const char *address, const char *driver);
void fake_ops_remove_device(FakeOps *fake, const char *address);
void fake_ops_add_domain(FakeOps *fake, const char *name, gboolean active, gboolean persistent);
/* Put @address into @domain (PassHostdevWhere bits). */
void fake_ops_add_hostdev(FakeOps *fake, const char *domain, const char *address, guint where);
/* The same as an <interface type='hostdev'> with @mac: a detach must name that MAC. */
void fake_ops_add_interface(FakeOps *fake, const char *domain, const char *address, guint where,
                            const char *mac);
void fake_ops_set_protected(FakeOps *fake, const char *address, const char *reason);
/* The next call whose text starts with @prefix fails (once; each call adds one). */
void fake_ops_fail_call(FakeOps *fake, const char *prefix);
/* Fresh reads (read_domain, read_device) fail as if libvirt were gone. */
void fake_ops_set_reads_fail(FakeOps *fake, gboolean fail);
/* Each attach_domain takes this long (to make operations overlap). */
void fake_ops_set_attach_delay(FakeOps *fake, guint ms);
/* A live unplug of @address in @domain completes (the guest let go); returns its alias. */
char *fake_ops_release(FakeOps *fake, const char *domain, const char *address);

/* @address's NUMA node (default -1, unknown). */
void fake_ops_set_numa_node(FakeOps *fake, const char *address, int node);
/* @domain's <numatune> nodeset, e.g. "1" (default: none). */
void fake_ops_set_domain_nodes(FakeOps *fake, const char *domain, const char *nodeset);

/* From now on, read_device still finds an mdev after its remove_mdev, as libvirt does until udev
 * reports the instance gone. */
void fake_ops_set_mdevs_linger(FakeOps *fake);
/* A type create_mdev can make @available instances of on @parent (libvirt's @parent_name);
 * created mdevs are devices "mdev:UUID" (driver mtty, a group of their own). */
void fake_ops_add_mdev_type(FakeOps *fake, const char *parent, const char *parent_name,
                            const char *type_id, int available);
/* Feed @engine the whole model (a snapshot) and mark it connected. */
void fake_ops_load(FakeOps *fake, PassEngine *engine);
/* What passd does when the kernel adds a PCI function libvirt does not list yet: a provisional
 * device (an unbound NVMe function of @physfn, or none) in @engine only, not in the model. */
void fake_ops_announce(PassEngine *engine, const char *address, const char *physfn, int numa_node);

/* Calls so far, one string each, e.g. "detach_host 0000:02:00.0",
 * "attach vm1 0000:02:00.0 live+config", "reattach_host 0000:02:00.0 nvme" (or "(none)",
 * "(default)"), "detach vm1 0000:02:00.0 config", "unplug vm1 hostdev0",
 * "set_num_vfs 0000:04:00.0 3 autoprobe=keep" (or =0, =1); attach and detach of an interface
 * end in " mac=M" and " vlan=N" as far as the XML has them. */
GStrv fake_ops_get_calls(FakeOps *fake);
/* The calls so far are exactly @expected (NULL-terminated); the test fails, showing them, if not.
 */
void fake_ops_assert_calls(FakeOps *fake, const char *const *expected);
guint fake_ops_count_calls(FakeOps *fake, const char *prefix);
char *fake_ops_get_driver(FakeOps *fake, const char *address);
guint fake_ops_get_max_parallel(FakeOps *fake);

G_END_DECLS
