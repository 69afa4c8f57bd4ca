/* Blocking libvirt calls for the steps of a transaction (see virt-calls.h). */
#include "virt-calls.h"

#include "pass-address.h"
#include "pass-error.h"
#include "virt-private.h"

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

/* "Cannot find host device ADDR" / "Cannot find domain NAME", with libvirt's reason. */
virNodeDevicePtr
pass_virt_lookup_nodedev(virConnectPtr conn, const char *address, GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *canonical = NULL;
  PassAddress addr;
  virNodeDevicePtr dev;

  if (!pass_address_parse(address, &addr, error))
    return NULL;
  name = pass_address_to_nodedev_name(&addr);
  dev = virNodeDeviceLookupByName(conn, name);
  if (dev == NULL) {
    canonical = pass_address_to_string(&addr);
    op_failed(error, "Cannot find host device %s", canonical);
  }
  return dev;
}

virDomainPtr
pass_virt_lookup_domain(virConnectPtr conn, const char *name, GError **error)
{
  virDomainPtr dom = virDomainLookupByName(conn, name);

  if (dom == NULL)
    op_failed(error, "Cannot find domain %s", name);
  return dom;
}

PassDomain *
pass_virt_call_read_domain(virConnectPtr conn, const char *name, GError **error)
{
  g_autoptr(virDomain) dom = pass_virt_lookup_domain(conn, name, error);

  return dom != NULL ? pass_virt_read_domain(dom, error) : NULL;
}

PassDevice *
pass_virt_call_read_device(virConnectPtr conn, const char *address, GError **error)
{
  g_autoptr(virNodeDevice) dev = pass_virt_lookup_nodedev(conn, address, error);

  return dev != NULL ? pass_virt_read_device(dev, error) : NULL;
}

static unsigned int
affect_flags(guint where)
{
  return ((where & PASS_HOSTDEV_LIVE) ? VIR_DOMAIN_AFFECT_LIVE : 0) |
         ((where & PASS_HOSTDEV_CONFIG) ? VIR_DOMAIN_AFFECT_CONFIG : 0);
}

gboolean
pass_virt_call_detach_host(virConnectPtr conn, const char *address, GError **error)
{
  g_autoptr(virNodeDevice) dev = pass_virt_lookup_nodedev(conn, address, error);
  g_autofree char *canonical = NULL;

  if (dev == NULL)
    return FALSE;
  if (virNodeDeviceDetachFlags(dev, "vfio", 0) < 0) {
    canonical = pass_address_canonicalize(address, NULL);
    return op_failed(error, "Cannot detach %s from its host driver", canonical);
  }
  return TRUE;
}

gboolean
pass_virt_call_reattach_host(virConnectPtr conn, const char *address, GError **error)
{
  g_autoptr(virNodeDevice) dev = pass_virt_lookup_nodedev(conn, address, error);
  g_autofree char *canonical = NULL;

  if (dev == NULL)
    return FALSE;
  if (virNodeDeviceReAttach(dev) < 0) {
    canonical = pass_address_canonicalize(address, NULL);
    return op_failed(error, "Cannot give %s back to the host", canonical);
  }
  return TRUE;
}

gboolean
pass_virt_call_attach_domain(virConnectPtr conn, const char *domain, const char *xml, guint where,
                             GError **error)
{
  g_autoptr(virDomain) dom = pass_virt_lookup_domain(conn, domain, error);

  if (dom == NULL)
    return FALSE;
  if (virDomainAttachDeviceFlags(dom, xml, affect_flags(where)) < 0)
    return op_failed(error, "Cannot attach the device to %s", domain);
  return TRUE;
}

gboolean
pass_virt_call_detach_domain(virConnectPtr conn, const char *domain, const char *xml, guint where,
                             GError **error)
{
  g_autoptr(virDomain) dom = pass_virt_lookup_domain(conn, domain, error);

  if (dom == NULL)
    return FALSE;
  if (virDomainDetachDeviceFlags(dom, xml, affect_flags(where)) < 0)
    return op_failed(error, "Cannot detach the device from %s", domain);
  return TRUE;
}

gboolean
pass_virt_call_unplug_alias(virConnectPtr conn, const char *domain, const char *alias,
                            GError **error)
{
  g_autoptr(virDomain) dom = pass_virt_lookup_domain(conn, domain, error);

  if (dom == NULL)
    return FALSE;
  if (virDomainDetachDeviceAlias(dom, alias, VIR_DOMAIN_AFFECT_LIVE) < 0)
    return op_failed(error, "Cannot detach %s from %s", alias, domain);
  return TRUE;
}
