/* The domain device XML passd hands to libvirt for one host PCI function. Built with libxml2
 * from parsed values only, so no user string is ever pasted into markup. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A <hostdev mode='subsystem' type='pci' managed='no'> (or, with @as_interface, an
 * <interface type='hostdev' managed='no'>, optionally with <mac address='@mac'/>) that passes
 * host function @address (any form pass_address_parse accepts) with the vfio driver.
 *
 * managed='no': passd detaches the device from its host driver and restores the original one
 * itself; libvirt's managed mode would rebind it on domain shutdown behind passd's back.
 *
 * The same XML detaches the device again (libvirt matches a hostdev by its source address).
 * Returns indented XML without an XML declaration; NULL with PASS_ERROR_INVALID_PARAMETER when
 * @address or @mac ("xx:xx:xx:xx:xx:xx") is malformed or @mac is given without @as_interface. */
char *pass_xml_build_hostdev(const char *address, gboolean as_interface, const char *mac,
                             GError **error);

G_END_DECLS
