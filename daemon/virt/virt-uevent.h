/* Kernel uevents for PCI driver (un)binding and PCI devices coming and going. libvirt 9.0's udev
 * backend handles only add/change/remove (and move), so a driver bind or unbind raises no
 * node-device event even though the node device XML (read fresh each time) shows the new driver.
 * passd listens itself, and reads what changed from libvirt. An "add" or "remove" is passed on
 * as it is: libvirt hears of the device only after udevd, seconds later on a loaded host. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  PASS_UEVENT_BINDING, /* "bind" or "unbind" */
  PASS_UEVENT_ADD,     /* "add": a new PCI device */
  PASS_UEVENT_REMOVE,  /* "remove": a PCI device went */
} PassUeventKind;

/* The canonical PCI address of a "bind", "unbind", "add" or "remove" uevent of the pci subsystem
 * in @buf (one kernel netlink datagram: "action@devpath\0KEY=VALUE\0..."), and in @kind (may be
 * NULL) which; else NULL. The address is PCI_SLOT_NAME's, else DEVPATH's last component's. */
char *pass_virt_uevent_parse(const char *buf, gsize len, PassUeventKind *kind);

typedef struct _PassUeventWatch PassUeventWatch;
typedef void (*PassUeventFunc)(const char *address, PassUeventKind kind, gpointer user_data);

/* Listen on a NETLINK_KOBJECT_UEVENT socket (kernel group) from a source on @context; @func gets
 * the address of every PCI device whose driver binding changed or that was added or removed. */
PassUeventWatch *pass_uevent_watch_new(GMainContext *context, PassUeventFunc func,
                                       gpointer user_data, GError **error);
void pass_uevent_watch_free(PassUeventWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassUeventWatch, pass_uevent_watch_free)

G_END_DECLS
