/* Mediated devices through libvirt's node-device API: reading instances (with libvirt's
 * active/persistent/autostart view) and parents' types, creating and removing instances.
 * Blocking: worker threads only, like virt-calls.h. Persistent mdevs go through
 * virNodeDeviceDefineXML/SetAutostart, which libvirt hands to mdevctl. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "device.h"

G_BEGIN_DECLS

/* "mdev:UUID" for an mdev's node-device name ("mdev_UUID_PARENT", "mdev_UUID"), else NULL. */
char *pass_virt_mdev_address_from_name(const char *name);

/* The node device of "mdev:UUID", defined or active; NULL with PASS_ERROR_NO_SUCH_DEVICE. */
virNodeDevicePtr pass_virt_lookup_mdev(virConnectPtr conn, const char *address, GError **error);
/* @dev's PassDevice, its mdev_state from libvirt. */
PassDevice *pass_virt_read_mdev(virConnectPtr conn, virNodeDevicePtr dev, GError **error);
/* Appends every mdev (active and defined) to @devices; a vanished or bad one is skipped. FALSE
 * only when the list itself fails. */
gboolean pass_virt_read_mdevs(virConnectPtr conn, GPtrArray *devices, GError **error);

/* PassMdevType* of every parent, sorted (pass_mdev_types_sort). */
GPtrArray *pass_virt_call_list_mdev_types(virConnectPtr conn, GError **error);
/* Create an instance of @type_id on parent @parent_name (libvirt's name) with @uuid (NULL:
 * libvirt picks one): transient (virNodeDeviceCreateXML), or with @persistent defined and
 * started (and with @autostart marked so). Returns "mdev:UUID". A persistent one whose start
 * fails is undefined again. */
char *pass_virt_call_create_mdev(virConnectPtr conn, const char *parent_name, const char *type_id,
                                 const char *uuid, gboolean persistent, gboolean autostart,
                                 GError **error);
/* Remove "mdev:UUID": destroyed when active, undefined when persistent. */
gboolean pass_virt_call_remove_mdev(virConnectPtr conn, const char *address, GError **error);

G_END_DECLS
