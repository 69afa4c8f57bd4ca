/* libvirt's XML for USB host devices: the usb_device node device, <hostdev type='usb'> in
 * domain XML, and the <hostdev> passd writes for one. Pure like xml-read.h. */
#pragma once

#include "device.h"
#include "domain.h"

G_BEGIN_DECLS

/* A <device> with a usb_device capability -> a USB PassDevice: address "usb:" and the sysfs
 * name (from <path>; without one, from the node-device name), bus and device numbers, ids and
 * names, driver, and the PCI host controller (the PCI function in <path> above the root hub).
 * Class, speed and interface drivers are sysfs's (host-usb.h). NULL with
 * PASS_ERROR_HYPERVISOR_ERROR when it is no USB device, a root hub (not assignable: a bus, not a
 * device) or malformed. */
PassDevice *pass_xml_read_usb_nodedev(const char *xml, GError **error);
/* The same for a parsed document's root element (xml-read.c hands USB devices over). */
struct _xmlNode;
PassDevice *pass_xml_usb_device_from_node(struct _xmlNode *root, GError **error);

/* Which host device a <hostdev type='usb'> names: its canonical address ("usb:3-1.2"), or NULL
 * when no device in the host's inventory matches (then "usb:vvvv:pppp" stands for it). */
typedef char *(*PassXmlUsbResolve)(const PassUsbSource *source, gpointer user_data);

/* Add the <hostdev mode='subsystem' type='usb'> entries of one domain XML to @domain->hostdevs
 * like pass_xml_read_domain_hostdevs does for PCI (merged by address, marked with @where, live
 * alias), each with its PassUsbSource. FALSE with @error on malformed XML. */
gboolean pass_xml_read_domain_usb_hostdevs(const char *xml, PassHostdevWhere where,
                                           PassDomain *domain, PassXmlUsbResolve resolve,
                                           gpointer user_data, GError **error);

/* <hostdev mode='subsystem' type='usb' managed='yes'> naming @source: <vendor id/> and
 * <product id/>, and <address bus device/> when @source has both (needed when two identical
 * devices are plugged in). managed='yes': libvirt and QEMU claim a USB device through usbfs,
 * there is no host driver to take it from. NULL with PASS_ERROR_INVALID_PARAMETER when neither
 * ids nor bus and device are given. */
char *pass_xml_build_usb_hostdev(const PassUsbSource *source, GError **error);

/* "usb_3_1_2" -> "usb:3-1.2" (libvirt names USB devices "usb_" and the sysfs name with every
 * '-' and '.' made '_'; the first is the bus's '-'), NULL for anything else (root hubs
 * "usb_usb1", interfaces ending in a port 0). */
char *pass_xml_usb_nodedev_name_to_address(const char *name);
/* "usb:3-1.2" -> "usb_3_1_2"; NULL when @address is not a USB port address. */
char *pass_xml_usb_address_to_nodedev_name(const char *address);

G_END_DECLS
