/* The blocking libvirt calls behind a transaction's steps, one per step so each can be undone,
 * and the lookups every libvirt caller shares. Run them on a worker thread
 * (pass_virt_run_async() gives the connection); never on the main context. Each fails with
 * @error mapped by pass_virt_set_error(): PASS_ERROR_NO_SUCH_DOMAIN / PASS_ERROR_NO_SUCH_DEVICE
 * when libvirt does not know the domain / node device, else PASS_ERROR_HYPERVISOR_ERROR carrying
 * libvirt's message. Addresses take any form pass_address_parse() accepts
 * (PASS_ERROR_INVALID_PARAMETER otherwise). */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "device.h"
#include "domain.h"

G_BEGIN_DECLS

/* The one way to find a node device by PCI address, or a domain by name. */
virNodeDevicePtr pass_virt_lookup_nodedev(virConnectPtr conn, const char *address, GError **error);
virDomainPtr pass_virt_lookup_domain(virConnectPtr conn, const char *name, GError **error);

/* Fresh reads of one domain or device. */
PassDomain *pass_virt_call_read_domain(virConnectPtr conn, const char *name, GError **error);
PassDevice *pass_virt_call_read_device(virConnectPtr conn, const char *address, GError **error);

/* Host side: take @address from its host driver and bind it to vfio-pci
 * (virNodeDeviceDetachFlags(dev, "vfio", 0)). Does not record the previous driver: read it
 * first. */
gboolean pass_virt_call_detach_host(virConnectPtr conn, const char *address, GError **error);
/* Host side: give @address back (virNodeDeviceReAttach: unbind from vfio-pci, clear the
 * override, let the kernel probe). When the device had another driver (or none) before,
 * restore that through the host layer afterwards. */
gboolean pass_virt_call_reattach_host(virConnectPtr conn, const char *address, GError **error);

/* Guest side: @where are PassHostdevWhere bits (live and/or config); @xml from
 * pass_xml_build_hostdev(). */
gboolean pass_virt_call_attach_domain(virConnectPtr conn, const char *domain, const char *xml,
                                      guint where, GError **error);
/* TRUE means libvirt accepted the request, NOT that the guest let go: a live unplug is only
 * complete on DEVICE_REMOVED (see PassVirtCallbacks.domain_device_removed). */
gboolean pass_virt_call_detach_domain(virConnectPtr conn, const char *domain, const char *xml,
                                      guint where, GError **error);
/* A live unplug of the device with alias @alias ("hostdev0"); the same caveat. */
gboolean pass_virt_call_unplug_alias(virConnectPtr conn, const char *domain, const char *alias,
                                     GError **error);

G_END_DECLS
