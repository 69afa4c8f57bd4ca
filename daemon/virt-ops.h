/* The blocking libvirt calls behind attach and detach, one per step so the engine can undo
 * each. Run them on a worker thread (pass_virt_run_async() gives the connection); never call
 * them on the main context. Each returns FALSE with @error mapped by pass_virt_set_error():
 * PASS_ERROR_NO_SUCH_DOMAIN / PASS_ERROR_NO_SUCH_DEVICE when libvirt does not know the
 * domain / node device, else PASS_ERROR_HYPERVISOR_ERROR carrying libvirt's message. Addresses
 * take any form pass_address_parse() accepts (PASS_ERROR_INVALID_PARAMETER otherwise). */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

/* Host side: take @address from its host driver and bind it to vfio-pci
 * (virNodeDeviceDetachFlags(dev, "vfio", 0)). Does not record the previous driver: read it
 * first with pass_host_get_driver(). */
gboolean pass_virt_op_detach_host(virConnectPtr conn, const char *address, GError **error);

/* Host side: give @address back (virNodeDeviceReAttach: unbind from vfio-pci, clear the
 * override, let the kernel probe). When the device had another driver (or none) before,
 * restore that with the pass_host_* helpers afterwards. */
gboolean pass_virt_op_reattach_host(virConnectPtr conn, const char *address, GError **error);

/* Guest side: @flags are virDomainDeviceModifyFlags (VIR_DOMAIN_AFFECT_LIVE and/or
 * VIR_DOMAIN_AFFECT_CONFIG); @xml from pass_hostdev_xml_build(). */
gboolean pass_virt_op_attach_domain(virConnectPtr conn, const char *domain, const char *xml,
                                    unsigned int flags, GError **error);

/* TRUE means libvirt accepted the request, NOT that the guest let go: a live unplug is only
 * complete on DEVICE_REMOVED (see PassVirtCallbacks.domain_device_removed). */
gboolean pass_virt_op_detach_domain(virConnectPtr conn, const char *domain, const char *xml,
                                    unsigned int flags, GError **error);

/* As pass_virt_op_detach_domain(), naming the device by its live alias ("hostdev0"). */
gboolean pass_virt_op_detach_alias(virConnectPtr conn, const char *domain, const char *alias,
                                   unsigned int flags, GError **error);

typedef struct {
  int state;           /* virDomainState */
  gboolean active;     /* running or paused (has a live definition) */
  gboolean persistent; /* has a persistent definition */
} PassVirtDomainInfo;

/* State and persistence of domain @name, to pick the AFFECT flags. */
gboolean pass_virt_op_domain_info(virConnectPtr conn, const char *name, PassVirtDomainInfo *info,
                                  GError **error);

G_END_DECLS
