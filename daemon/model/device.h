/* One host PCI device as libvirt's node-device API describes it. Immutable once built and
 * shared by reference: a change replaces the whole object, so readers never see half an update.
 * Relations that span devices (IOMMU group members, a PF's VFs, owners) are not stored here:
 * the engine derives them from the whole inventory, so they cannot go stale. */
#pragma once

#include <glib.h>

#include "usb.h"

G_BEGIN_DECLS

/* What kind of host device: each kind is a parser in virt/ and an XML builder in xml/, the rest
 * of the daemon works on the common fields. The API names them "pci", "usb" and "mdev". */
typedef enum {
  PASS_DEVICE_KIND_PCI,
  PASS_DEVICE_KIND_USB,
  PASS_DEVICE_KIND_MDEV,
} PassDeviceKind;

const char *pass_device_kind_to_string(PassDeviceKind kind);
/* FALSE when @text names no kind. */
gboolean pass_device_kind_from_string(const char *text, PassDeviceKind *out);

typedef struct {
  PassDeviceKind kind;
  char *address; /* canonical "dddd:bb:ss.f" */
  char *name;    /* libvirt node-device name "pci_dddd_bb_ss_f" */
  guint16 vendor_id;
  guint16 product_id;
  char *vendor;  /* NULL when unknown */
  char *product; /* NULL when unknown */
  guint32 class_code;
  char *driver;    /* NULL when unbound */
  int iommu_group; /* -1: none */
  int numa_node;   /* -1: unknown */
  char *parent;    /* address of the upstream PCI device; NULL when the parent is not PCI */
  char *physfn;    /* PF address when this is a VF, else NULL */
  int totalvfs;    /* -1: not SR-IOV capable */
  /* Its network interfaces as libvirt shows them (net_* node devices whose parent it is):
   * sorted, each once; NULL when none (or not a network controller, or a VF: not asked). */
  GStrv netdevs;
  /* mdev only (NULL/0 otherwise): its type id ("mtty-1"), its parent as the API names it (a PCI
   * address, or a virtual parent's sysfs name such as "mtty") and libvirt's view of it. */
  char *mdev_type;
  char *mdev_parent;
  guint mdev_state; /* PassMdevState bits */
  PassUsbInfo *usb; /* kind USB only, else NULL */
  /* Announced by the kernel and read from sysfs, not yet listed by libvirt (which learns of a
   * new device only once udevd has run its rules, seconds later on a loaded host): shown, so
   * the inventory follows the kernel, but no operation takes it. No names, no netdevs. */
  gboolean provisional;
} PassDevice;

typedef enum {
  PASS_MDEV_ACTIVE = 1 << 0,     /* created on the host now */
  PASS_MDEV_PERSISTENT = 1 << 1, /* defined (mdevctl): libvirt can create it again */
  PASS_MDEV_AUTOSTART = 1 << 2,  /* created again at boot */
} PassMdevState;

PassDevice *pass_device_new(void); /* all pointers NULL, ints -1 */
PassDevice *pass_device_ref(PassDevice *device);
void pass_device_unref(PassDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassDevice, pass_device_unref)

/* TRUE when every field is equal (used to tell "changed" from "re-read, same"). */
gboolean pass_device_equal(const PassDevice *a, const PassDevice *b);

G_END_DECLS
