/* Blocking libvirt calls for the steps of a transaction (see virt-calls.h). */
#define G_LOG_DOMAIN "passd-virt"

#include "virt-calls.h"

#include "pass-address.h"
#include "pass-error.h"
#include "virt-mdev.h"
#include "virt-private.h"
#include "xml-usb.h"

/* The lookups of a step name a lost libvirt as the step's failure (@step, "Cannot attach
 * ..."), since that is what the caller asked for; a device or domain libvirt does not know is
 * "Cannot find ...". */
static virNodeDevicePtr
lookup_nodedev(virConnectPtr conn, const char *address, const char *step, GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *what = NULL;
  PassAddress addr;
  virNodeDevicePtr dev;

  if (g_str_has_prefix(address, "mdev:"))
    return pass_virt_lookup_mdev(conn, address, error);
  if (g_str_has_prefix(address, "usb:")) {
    name = pass_xml_usb_address_to_nodedev_name(address);
    if (name == NULL) {
      g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER, "'%s' is no USB port address",
                  address);
      return NULL;
    }
    dev = virNodeDeviceLookupByName(conn, name);
    if (dev == NULL) {
      what = g_strdup_printf("Cannot find host device %s", address);
      pass_virt_set_call_error_full(conn, error, what, step != NULL ? step : what);
    }
    return dev;
  }
  if (!pass_address_parse(address, &addr, error))
    return NULL;
  name = pass_address_to_nodedev_name(&addr);
  dev = virNodeDeviceLookupByName(conn, name);
  if (dev == NULL) {
    g_autofree char *canonical = pass_address_to_string(&addr);

    what = g_strdup_printf("Cannot find host device %s", canonical);
    pass_virt_set_call_error_full(conn, error, what, step != NULL ? step : what);
  }
  return dev;
}

static virDomainPtr
lookup_domain(virConnectPtr conn, const char *name, const char *step, GError **error)
{
  virDomainPtr dom = virDomainLookupByName(conn, name);

  if (dom == NULL) {
    g_autofree char *what = g_strdup_printf("Cannot find domain %s", name);

    pass_virt_set_call_error_full(conn, error, what, step != NULL ? step : what);
  }
  return dom;
}

virNodeDevicePtr
pass_virt_lookup_nodedev(virConnectPtr conn, const char *address, GError **error)
{
  return lookup_nodedev(conn, address, NULL, error);
}

virDomainPtr
pass_virt_lookup_domain(virConnectPtr conn, const char *name, GError **error)
{
  return lookup_domain(conn, name, NULL, error);
}

PassDomain *
pass_virt_call_read_domain(virConnectPtr conn, const char *name, GError **error)
{
  g_autoptr(virDomain) dom = lookup_domain(conn, name, NULL, error);

  return dom != NULL ? pass_virt_read_domain(dom, error) : NULL;
}

PassDevice *
pass_virt_call_read_device(virConnectPtr conn, const char *address, GError **error)
{
  g_autoptr(virNodeDevice) dev = lookup_nodedev(conn, address, NULL, error);

  return dev != NULL ? pass_virt_read_device(conn, dev, error) : NULL;
}

static unsigned int
affect_flags(guint where)
{
  return ((where & PASS_HOSTDEV_LIVE) ? VIR_DOMAIN_AFFECT_LIVE : 0) |
         ((where & PASS_HOSTDEV_CONFIG) ? VIR_DOMAIN_AFFECT_CONFIG : 0);
}

static const char *
where_text(guint where)
{
  return (where & PASS_HOSTDEV_LIVE) && (where & PASS_HOSTDEV_CONFIG) ? "live, config"
         : (where & PASS_HOSTDEV_LIVE)                                ? "live"
                                                                      : "config";
}

/* Each step logs the libvirt call it is about to make (debug), so a stuck call shows where. */

gboolean
pass_virt_call_detach_host(virConnectPtr conn, const char *address, GError **error)
{
  g_autofree char *canonical = pass_address_canonicalize(address, NULL);
  g_autofree char *step =
      g_strdup_printf("Cannot detach %s from its host driver", canonical ? canonical : address);
  g_autoptr(virNodeDevice) dev = lookup_nodedev(conn, address, step, error);

  if (dev == NULL)
    return FALSE;
  g_debug("libvirt: detaching %s from its host driver (vfio)", canonical);
  if (virNodeDeviceDetachFlags(dev, "vfio", 0) < 0)
    return pass_virt_set_call_error(conn, error, step);
  return TRUE;
}

gboolean
pass_virt_call_reattach_host(virConnectPtr conn, const char *address, GError **error)
{
  g_autofree char *canonical = pass_address_canonicalize(address, NULL);
  g_autofree char *step =
      g_strdup_printf("Cannot give %s back to the host", canonical ? canonical : address);
  g_autoptr(virNodeDevice) dev = lookup_nodedev(conn, address, step, error);

  if (dev == NULL)
    return FALSE;
  g_debug("libvirt: giving %s back to the host", canonical);
  if (virNodeDeviceReAttach(dev) < 0)
    return pass_virt_set_call_error(conn, error, step);
  return TRUE;
}

gboolean
pass_virt_call_attach_domain(virConnectPtr conn, const char *domain, const char *xml, guint where,
                             GError **error)
{
  g_autofree char *step = g_strdup_printf("Cannot attach the device to %s", domain);
  g_autoptr(virDomain) dom = lookup_domain(conn, domain, step, error);

  if (dom == NULL)
    return FALSE;
  g_debug("libvirt: attaching the device to %s (%s)", domain, where_text(where));
  if (virDomainAttachDeviceFlags(dom, xml, affect_flags(where)) < 0)
    return pass_virt_set_call_error(conn, error, step);
  return TRUE;
}

gboolean
pass_virt_call_detach_domain(virConnectPtr conn, const char *domain, const char *xml, guint where,
                             GError **error)
{
  g_autofree char *step = g_strdup_printf("Cannot detach the device from %s", domain);
  g_autoptr(virDomain) dom = lookup_domain(conn, domain, step, error);

  if (dom == NULL)
    return FALSE;
  g_debug("libvirt: detaching the device from %s (%s)", domain, where_text(where));
  if (virDomainDetachDeviceFlags(dom, xml, affect_flags(where)) < 0)
    return pass_virt_set_call_error(conn, error, step);
  return TRUE;
}

gboolean
pass_virt_call_unplug_alias(virConnectPtr conn, const char *domain, const char *alias,
                            GError **error)
{
  g_autofree char *step = g_strdup_printf("Cannot detach %s from %s", alias, domain);
  g_autoptr(virDomain) dom = lookup_domain(conn, domain, step, error);

  if (dom == NULL)
    return FALSE;
  g_debug("libvirt: unplugging %s from the running %s", alias, domain);
  if (virDomainDetachDeviceAlias(dom, alias, VIR_DOMAIN_AFFECT_LIVE) < 0)
    return pass_virt_set_call_error(conn, error, step);
  return TRUE;
}
