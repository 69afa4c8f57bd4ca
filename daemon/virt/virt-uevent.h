/* Kernel uevents for PCI driver (un)binding. libvirt 9.0's udev backend handles only
 * add/change/remove (and move), so a driver bind or unbind raises no node-device event even
 * though the node device XML (read fresh each time) shows the new driver. passd listens itself. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The canonical PCI address of a "bind"/"unbind" uevent of the pci subsystem in @buf (one
 * kernel netlink datagram: "action@devpath\0KEY=VALUE\0..."), else NULL. */
char *pass_virt_uevent_parse(const char *buf, gsize len);

typedef struct _PassUeventWatch PassUeventWatch;
typedef void (*PassUeventFunc)(const char *address, gpointer user_data);

/* Listen on a NETLINK_KOBJECT_UEVENT socket (kernel group) from a source on @context; @func gets
 * the address of every PCI device whose driver binding changed. */
PassUeventWatch *pass_uevent_watch_new(GMainContext *context, PassUeventFunc func,
                                       gpointer user_data, GError **error);
void pass_uevent_watch_free(PassUeventWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassUeventWatch, pass_uevent_watch_free)

G_END_DECLS
