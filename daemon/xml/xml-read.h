/* libvirt XML -> passd structures, with libxml2. Pure functions: no libvirt calls, so unit tests
 * feed them real-world XML from files. */
#pragma once

#include "device.h"
#include "domain.h"

G_BEGIN_DECLS

/* A <device> from virNodeDeviceGetXMLDesc(). NULL with @error when it is not a PCI device or
 * is malformed. */
PassDevice *pass_xml_read_nodedev(const char *xml, GError **error);

/* A network interface's <device> (<capability type='net'>): its <parent> node device name and
 * its <interface> name, both required. FALSE with @error when it is not one or is malformed. */
gboolean pass_xml_read_nodedev_net(const char *xml, char **parent, char **interface,
                                   GError **error);

/* Add the PCI host devices of one domain XML (<hostdev mode='subsystem' type='pci'> and
 * <interface type='hostdev'>) to @domain->hostdevs, marking each with @where; an entry for an
 * address already there gets @where added (and the live alias/guest address when @where is
 * LIVE). With @where LIVE, or for a domain not active, also where it runs (@domain's
 * numa_nodes, cpus and numa_cells). Returns FALSE with @error on malformed XML. */
gboolean pass_xml_read_domain_hostdevs(const char *xml, PassHostdevWhere where, PassDomain *domain,
                                       GError **error);

G_END_DECLS
