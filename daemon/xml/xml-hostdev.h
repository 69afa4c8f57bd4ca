/* The domain device XML passd hands to libvirt for one host PCI function. Built with libxml2
 * from parsed values only, so no user string is ever pasted into markup. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The highest 802.1Q VLAN id (0 and 4095 are reserved). */
#define PASS_VLAN_MAX 4094

/* A <hostdev mode='subsystem' type='pci' managed='no'> (or, with @as_interface, an
 * <interface type='hostdev' managed='no'>, optionally with <mac address='@mac'/> and, for
 * @vlan 1..PASS_VLAN_MAX, <vlan><tag id='@vlan'/></vlan>) that passes host function @address
 * (any form pass_address_parse accepts) with the vfio driver. libvirt programs the MAC and the
 * VLAN on the VF through its PF before the guest gets it, and restores them when it leaves.
 *
 * managed='no': passd detaches the device from its host driver and restores the original one
 * itself; libvirt's managed mode would rebind it on domain shutdown behind passd's back.
 *
 * The same XML detaches the device again: libvirt matches a <hostdev> by its source address,
 * an <interface> by its MAC (any interface when none is given, which is ambiguous as soon as
 * the domain has two), so a detach passes the MAC the domain shows. Returns indented XML
 * without an XML declaration; NULL with PASS_ERROR_INVALID_PARAMETER when @address or @mac
 * (pass_mac_parse) is malformed, @vlan is out of range, or @mac or @vlan is given without
 * @as_interface. */
char *pass_xml_build_hostdev(const char *address, gboolean as_interface, const char *mac,
                             guint vlan, GError **error);

/* The MAC passd gives a VF attached as an interface without one: stable, so re-attaching the
 * same VF to the same domain gives the guest the same MAC (its network configuration and DHCP
 * leases stay valid), and distinct for other VFs and domains with overwhelming likelihood.
 *
 * Derivation (version 1): SHA-256 over "passd-mac-v1", a NUL byte, @domain (the domain's name
 * as given), a NUL byte, @address in canonical form ("dddd:bb:ss.f", lower case) and a NUL
 * byte; the MAC is the digest's first six bytes with the first byte's two low bits set to
 * 0b10: locally administered (bit 1), unicast (bit 0 clear). 46 bits of the digest remain.
 * NULL when @address is malformed. */
char *pass_xml_generate_mac(const char *domain, const char *address);

G_END_DECLS
