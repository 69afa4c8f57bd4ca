/* Blocking libvirt operations for attach/detach (see virt-ops.h). */
#include "virt-ops.h"

#include "pass-address.h"
#include "pass-error.h"
#include "virt.h"

/* libvirt's last error as a GError, its message after ours ("Cannot ...: libvirt's"). */
static gboolean op_failed(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
op_failed(GError **error, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start(args, format);
  what = g_strdup_vprintf(format, args);
  va_end(args);
  return pass_virt_set_error(error, what);
}

static virNodeDevicePtr
lookup_nodedev(virConnectPtr conn, const char *address, char **canonical, GError **error)
{
  g_autofree char *name = NULL;
  PassAddress addr;
  virNodeDevicePtr dev;

  if (!pass_address_parse(address, &addr, error))
    return NULL;
  *canonical = pass_address_to_string(&addr);
  name = pass_address_to_nodedev_name(&addr);
  dev = virNodeDeviceLookupByName(conn, name);
  if (dev == NULL)
    op_failed(error, "Cannot find host device %s", *canonical);
  return dev;
}

static virDomainPtr
lookup_domain(virConnectPtr conn, const char *name, GError **error)
{
  virDomainPtr dom = virDomainLookupByName(conn, name);

  if (dom == NULL)
    op_failed(error, "Cannot find domain %s", name);
  return dom;
}

gboolean
pass_virt_op_detach_host(virConnectPtr conn, const char *address, GError **error)
{
  g_autofree char *canonical = NULL;
  g_autoptr(virNodeDevice) dev = lookup_nodedev(conn, address, &canonical, error);

  if (dev == NULL)
    return FALSE;
  if (virNodeDeviceDetachFlags(dev, "vfio", 0) < 0)
    return op_failed(error, "Cannot detach %s from its host driver", canonical);
  return TRUE;
}

gboolean
pass_virt_op_reattach_host(virConnectPtr conn, const char *address, GError **error)
{
  g_autofree char *canonical = NULL;
  g_autoptr(virNodeDevice) dev = lookup_nodedev(conn, address, &canonical, error);

  if (dev == NULL)
    return FALSE;
  if (virNodeDeviceReAttach(dev) < 0)
    return op_failed(error, "Cannot give %s back to the host", canonical);
  return TRUE;
}

gboolean
pass_virt_op_attach_domain(virConnectPtr conn, const char *domain, const char *xml,
                           unsigned int flags, GError **error)
{
  g_autoptr(virDomain) dom = lookup_domain(conn, domain, error);

  if (dom == NULL)
    return FALSE;
  if (virDomainAttachDeviceFlags(dom, xml, flags) < 0)
    return op_failed(error, "Cannot attach the device to %s", domain);
  return TRUE;
}

gboolean
pass_virt_op_detach_domain(virConnectPtr conn, const char *domain, const char *xml,
                           unsigned int flags, GError **error)
{
  g_autoptr(virDomain) dom = lookup_domain(conn, domain, error);

  if (dom == NULL)
    return FALSE;
  if (virDomainDetachDeviceFlags(dom, xml, flags) < 0)
    return op_failed(error, "Cannot detach the device from %s", domain);
  return TRUE;
}

gboolean
pass_virt_op_detach_alias(virConnectPtr conn, const char *domain, const char *alias,
                          unsigned int flags, GError **error)
{
  g_autoptr(virDomain) dom = lookup_domain(conn, domain, error);

  if (dom == NULL)
    return FALSE;
  if (virDomainDetachDeviceAlias(dom, alias, flags) < 0)
    return op_failed(error, "Cannot detach %s from %s", alias, domain);
  return TRUE;
}

gboolean
pass_virt_op_domain_info(virConnectPtr conn, const char *name, PassVirtDomainInfo *info,
                         GError **error)
{
  g_autoptr(virDomain) dom = lookup_domain(conn, name, error);
  g_autofree char *what = NULL;
  int state = VIR_DOMAIN_NOSTATE;
  int reason = 0;
  int active, persistent;

  if (dom == NULL)
    return FALSE;
  what = g_strdup_printf("Cannot read the state of %s", name);
  if (virDomainGetState(dom, &state, &reason, 0) < 0)
    return pass_virt_set_error(error, what);
  active = virDomainIsActive(dom);
  if (active < 0)
    return pass_virt_set_error(error, what);
  persistent = virDomainIsPersistent(dom);
  if (persistent < 0)
    return pass_virt_set_error(error, what);
  info->state = state;
  info->active = active == 1;
  info->persistent = persistent == 1;
  return TRUE;
}
