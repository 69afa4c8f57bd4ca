/* A libvirt domain as far as passthrough cares: its identity, state and the host PCI devices
 * its live and persistent definitions hold. Immutable and shared by reference, like PassDevice. */
#pragma once

#include <glib.h>

#include "usb.h"

G_BEGIN_DECLS

typedef enum {
  PASS_HOSTDEV_LIVE = 1 << 0,   /* in the running domain's live XML */
  PASS_HOSTDEV_CONFIG = 1 << 1, /* in the persistent (inactive) XML */
} PassHostdevWhere;

typedef struct {
  char *address;       /* host PCI address, canonical */
  char *alias;         /* live alias ("hostdev0"); NULL in config-only entries */
  char *guest_address; /* guest PCI address, canonical; NULL when not assigned yet */
  gboolean interface;  /* <interface type='hostdev'> rather than <hostdev> */
  /* An interface's <mac address>, lower case: the persistent definition's when it has the
   * device (a config detach must name it: libvirt finds interfaces by MAC; live unplugs go by
   * alias), else the live one. NULL for a <hostdev>. */
  char *mac;
  /* An interface's VLAN tag (<vlan><tag id>, the first one): the live definition's when it has
   * the device (what the PF programs now), else the persistent one's. -1: none. */
  int vlan;
  gboolean managed;
  guint where; /* PassHostdevWhere bits */
  /* A <hostdev type='usb'>: how it names its device (detaching names it the same way); the
   * address is the device passd found for it, or "usb:vvvv:pppp" while none is found. */
  PassUsbSource *usb;
} PassHostdev;

/* What the guest is doing, as far as passthrough cares (virt/ maps libvirt's states). */
typedef enum {
  PASS_DOMAIN_STATE_OTHER,   /* libvirt has none, or one of its transitional ones */
  PASS_DOMAIN_STATE_RUNNING, /* running or blocked */
  PASS_DOMAIN_STATE_PAUSED,  /* paused or suspended to memory */
  PASS_DOMAIN_STATE_SHUTOFF,
} PassDomainState;

typedef struct {
  char *name;
  char *uuid;
  gboolean active;
  gboolean persistent;
  PassDomainState state;
  GPtrArray *hostdevs; /* PassHostdev*, live and config merged by host address; sorted */
  /* Where it runs, from the live definition (the persistent one when not running), for pool
   * attaches' NUMA choice: host NUMA nodes from <numatune> (memory and memnode nodesets), and
   * host CPUs from <vcpu cpuset>, <cputune> vcpupin and emulatorpin (mapped to nodes by tx).
   * Both sorted, each once; empty: not given. */
  GArray *numa_nodes; /* int */
  GArray *cpus;       /* int */
  guint numa_cells;   /* guest <numa> cells (informative: host nodes come from numatune) */
} PassDomain;

PassHostdev *pass_hostdev_new(void);
void pass_hostdev_free(PassHostdev *hostdev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassHostdev, pass_hostdev_free)

PassDomain *pass_domain_new(const char *name); /* hostdevs: empty array owning its items */
PassDomain *pass_domain_ref(PassDomain *domain);
void pass_domain_unref(PassDomain *domain);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassDomain, pass_domain_unref)

/* "live", "config", "live+config" or "nowhere": for log lines. */
const char *pass_hostdev_where_text(guint where);

/* The entry for host @address, or NULL. */
const PassHostdev *pass_domain_find_hostdev(const PassDomain *domain, const char *address);

/* Does @domain ask for any NUMA placement (<numatune>, vcpu or emulator pinning, guest <numa>
 * cells)? One that does not loses no locality when its VFs move to another node. */
gboolean pass_domain_has_numa_affinity(const PassDomain *domain);

G_END_DECLS
