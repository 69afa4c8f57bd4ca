/* Mediated devices in libvirt's XML, with libxml2: the mdev node device and its parent's
 * mdev_types capability read, the hostdev and node-device definitions built. Pure functions: no
 * libvirt calls. */
#pragma once

#include "device.h"
#include "mdev.h"

G_BEGIN_DECLS

/* "mdev:" and the lower-case UUID for @uuid (any case), NULL when it is no UUID. */
char *pass_xml_mdev_address(const char *uuid);
/* The UUID of a canonical "mdev:UUID" (a pointer into @address), NULL for any other id. */
const char *pass_xml_mdev_uuid(const char *address);

/* A <device> with <capability type='mdev'> (virNodeDeviceGetXMLDesc()): kind MDEV, address
 * "mdev:UUID", name, driver, type, parent and IOMMU group. mdev_state is not in the XML (the
 * caller asks libvirt). NULL with @error when it is no mdev or is malformed. */
PassDevice *pass_xml_read_mdev(const char *xml, GError **error);

/* Appends the types of every mdev_types capability of a parent's <device> (a PCI function's
 * nested one, or a virtual parent's top-level one) to @types (PassMdevType*). A device without
 * one adds nothing; FALSE with @error on malformed XML. */
gboolean pass_xml_read_mdev_types(const char *xml, GPtrArray *types, GError **error);

/* <hostdev mode='subsystem' type='mdev' model='vfio-pci'> with <source><address uuid=/>: the
 * same XML attaches and detaches (libvirt matches mdevs by UUID). NULL with
 * PASS_ERROR_INVALID_PARAMETER when @uuid is no UUID. */
char *pass_xml_build_mdev_hostdev(const char *uuid, GError **error);
/* A node device definition for virNodeDeviceCreateXML/DefineXML: parent @parent_name (libvirt's
 * node-device name), type @type_id, @uuid (NULL: libvirt picks one). */
char *pass_xml_build_mdev_nodedev(const char *parent_name, const char *type_id, const char *uuid,
                                  GError **error);

G_END_DECLS
