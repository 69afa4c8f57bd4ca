/* Kernel uevents for PCI driver (un)binding and new PCI devices. libvirt 9.0's udev backend
 * handles only add/change/remove (and move), so a driver bind or unbind raises no node-device
 * event even though the node device XML (read fresh each time) shows the new driver. passd
 * listens itself, and reads what changed from libvirt. An "add" is only logged: libvirt has the
 * device no sooner than its own "created" event, which trails it (udevd first). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  PASS_UEVENT_BINDING, /* "bind" or "unbind" */
  PASS_UEVENT_ADD,     /* "add": a new PCI device */
} PassUeventKind;

/* The canonical PCI address of a "bind", "unbind" or "add" uevent of the pci subsystem in @buf
 * (one kernel netlink datagram: "action@devpath\0KEY=VALUE\0..."), and in @kind (may be NULL)
 * which; else NULL. */
char *pass_virt_uevent_parse(const char *buf, gsize len, PassUeventKind *kind);

typedef struct _PassUeventWatch PassUeventWatch;
typedef void (*PassUeventFunc)(const char *address, PassUeventKind kind, gpointer user_data);

/* Listen on a NETLINK_KOBJECT_UEVENT socket (kernel group) from a source on @context; @func gets
 * the address of every PCI device whose driver binding changed or that was added. */
PassUeventWatch *pass_uevent_watch_new(GMainContext *context, PassUeventFunc func,
                                       gpointer user_data, GError **error);
void pass_uevent_watch_free(PassUeventWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassUeventWatch, pass_uevent_watch_free)

G_END_DECLS
