/* Mediated devices through libvirt's node-device API (see virt-mdev.h). */
#define G_LOG_DOMAIN "passd-virt"

#include "virt-mdev.h"

#include <stdlib.h>
#include <string.h>

#include "pass-error.h"
#include "virt-private.h"
#include "xml-mdev.h"

#define UUID_LEN 36

char *
pass_virt_mdev_address_from_name(const char *name)
{
  char uuid[UUID_LEN + 1];

  /* libvirt 7.3+: mdev_<uuid with _>_<parent>; older: mdev_<uuid with _> */
  if (name == NULL || !g_str_has_prefix(name, "mdev_") || strlen(name) < 5 + UUID_LEN ||
      (name[5 + UUID_LEN] != '\0' && name[5 + UUID_LEN] != '_'))
    return NULL;
  memcpy(uuid, name + 5, UUID_LEN);
  uuid[UUID_LEN] = '\0';
  g_strdelimit(uuid, "_", '-');
  return pass_xml_mdev_address(uuid);
}

static const unsigned int all_mdevs = VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV |
                                      VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE |
                                      VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE;

virNodeDevicePtr
pass_virt_lookup_mdev(virConnectPtr conn, const char *address, GError **error)
{
  virNodeDevicePtr *devs = NULL;
  virNodeDevicePtr found = NULL;
  int n = virConnectListAllNodeDevices(conn, &devs, all_mdevs);

  if (n < 0) {
    pass_virt_set_call_error(conn, error, "listing mediated devices");
    return NULL;
  }
  /* There is no lookup by UUID, and the name holds the parent's: a handful to compare. */
  for (int i = 0; i < n; i++) {
    g_autofree char *a = pass_virt_mdev_address_from_name(virNodeDeviceGetName(devs[i]));

    if (found == NULL && g_strcmp0(a, address) == 0)
      found = devs[i];
    else
      virNodeDeviceFree(devs[i]);
  }
  free(devs);
  if (found == NULL)
    g_set_error(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE, "Cannot find host device %s",
                address);
  return found;
}

PassDevice *
pass_virt_read_mdev(virConnectPtr conn, virNodeDevicePtr dev, GError **error)
{
  g_autoptr(PassDevice) device = NULL;
  char *xml = virNodeDeviceGetXMLDesc(dev, 0);
  int active, persistent, autostart = 0;

  if (xml == NULL) {
    g_autofree char *what = g_strdup_printf("reading node device %s", virNodeDeviceGetName(dev));
    pass_virt_set_call_error(conn, error, what);
    return NULL;
  }
  device = pass_xml_read_mdev(xml, error);
  free(xml);
  if (device == NULL)
    return NULL;
  if ((active = virNodeDeviceIsActive(dev)) < 0 ||
      (persistent = virNodeDeviceIsPersistent(dev)) < 0 ||
      (persistent > 0 && virNodeDeviceGetAutostart(dev, &autostart) < 0)) {
    g_autofree char *what = g_strdup_printf("reading node device %s", device->name);
    pass_virt_set_call_error(conn, error, what);
    return NULL;
  }
  device->mdev_state = (active > 0 ? PASS_MDEV_ACTIVE : 0) |
                       (persistent > 0 ? PASS_MDEV_PERSISTENT : 0) |
                       (autostart ? PASS_MDEV_AUTOSTART : 0);
  return g_steal_pointer(&device);
}

gboolean
pass_virt_read_mdevs(virConnectPtr conn, GPtrArray *devices, GError **error)
{
  virNodeDevicePtr *devs = NULL;
  int n = virConnectListAllNodeDevices(conn, &devs, all_mdevs);

  if (n < 0)
    return pass_virt_set_call_error(conn, error, "listing mediated devices");
  for (int i = 0; i < n; i++) {
    g_autoptr(GError) local = NULL;
    PassDevice *device = pass_virt_read_mdev(conn, devs[i], &local);

    if (device != NULL)
      g_ptr_array_add(devices, device);
    else
      g_debug("skipping node device %s: %s", virNodeDeviceGetName(devs[i]), local->message);
    virNodeDeviceFree(devs[i]);
  }
  free(devs);
  return TRUE;
}

GPtrArray *
pass_virt_call_list_mdev_types(virConnectPtr conn, GError **error)
{
  g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func((GDestroyNotify)pass_mdev_type_free);
  virNodeDevicePtr *devs = NULL;
  gboolean ok = TRUE;
  int n = virConnectListAllNodeDevices(conn, &devs, VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES);

  if (n < 0) {
    pass_virt_set_call_error(conn, error, "listing mdev parents");
    return NULL;
  }
  for (int i = 0; i < n; i++) {
    char *xml = ok ? virNodeDeviceGetXMLDesc(devs[i], 0) : NULL;

    if (ok && xml == NULL) {
      g_autoptr(GError) local = NULL;

      /* a parent going away while listed is not an error; a lost libvirt is */
      pass_virt_set_call_error(conn, &local, "reading an mdev parent");
      if (!g_error_matches(local, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE)) {
        g_propagate_error(error, g_steal_pointer(&local));
        ok = FALSE;
      }
    } else if (ok) {
      ok = pass_xml_read_mdev_types(xml, types, error);
    }
    free(xml);
    virNodeDeviceFree(devs[i]);
  }
  free(devs);
  if (!ok)
    return NULL;
  pass_mdev_types_sort(types);
  return g_steal_pointer(&types);
}

char *
pass_virt_call_create_mdev(virConnectPtr conn, const char *parent_name, const char *type_id,
                           const char *uuid, gboolean persistent, gboolean autostart,
                           GError **error)
{
  g_autofree char *xml = pass_xml_build_mdev_nodedev(parent_name, type_id, uuid, error);
  g_autofree char *step =
      g_strdup_printf("Cannot create an mdev of type %s on %s", type_id, parent_name);
  g_autoptr(virNodeDevice) dev = NULL;

  if (xml == NULL)
    return NULL;
  g_debug("libvirt: creating an mdev of type %s on %s (%s)", type_id, parent_name,
          persistent ? "persistent" : "transient");
  if (!persistent) {
    dev = virNodeDeviceCreateXML(conn, xml, 0);
    if (dev == NULL) {
      pass_virt_set_call_error(conn, error, step);
      return NULL;
    }
  } else {
    dev = virNodeDeviceDefineXML(conn, xml, 0);
    if (dev == NULL) {
      pass_virt_set_call_error(conn, error, step);
      return NULL;
    }
    if (virNodeDeviceCreate(dev, 0) < 0 || (autostart && virNodeDeviceSetAutostart(dev, 1) < 0)) {
      pass_virt_set_call_error(conn, error, step);
      /* all or nothing: the definition goes again */
      if (virNodeDeviceIsActive(dev) > 0)
        virNodeDeviceDestroy(dev);
      virNodeDeviceUndefine(dev, 0);
      return NULL;
    }
  }
  {
    char *address = pass_virt_mdev_address_from_name(virNodeDeviceGetName(dev));

    if (address == NULL)
      g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                  "%s: libvirt named it %s, which holds no UUID", step, virNodeDeviceGetName(dev));
    return address;
  }
}

/* libvirt forgets a stopped instance only when udev reports it gone, a moment after mdevctl's
 * stop returns (CI saw 0.9 s under load): wait for that, bounded, so that a removal's reply is
 * not followed by libvirt still listing the instance. */
#define FORGET_WAIT_MS 10000
#define FORGET_POLL_MS 50

static void
wait_forgotten(virConnectPtr conn, const char *address)
{
  for (guint waited = 0; waited < FORGET_WAIT_MS; waited += FORGET_POLL_MS) {
    g_autoptr(GError) local = NULL;
    g_autoptr(virNodeDevice) dev = pass_virt_lookup_mdev(conn, address, &local);

    if (dev == NULL) {
      if (!g_error_matches(local, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE))
        g_debug("libvirt: waiting for %s to go: %s", address, local->message);
      return;
    }
    g_usleep(FORGET_POLL_MS * G_TIME_SPAN_MILLISECOND);
  }
  g_debug("libvirt: still lists %s %u ms after its removal", address, FORGET_WAIT_MS);
}

gboolean
pass_virt_call_remove_mdev(virConnectPtr conn, const char *address, GError **error)
{
  g_autofree char *step = g_strdup_printf("Cannot remove %s", address);
  g_autoptr(virNodeDevice) dev = pass_virt_lookup_mdev(conn, address, error);
  int active, persistent;

  if (dev == NULL)
    return FALSE;
  active = virNodeDeviceIsActive(dev);
  persistent = virNodeDeviceIsPersistent(dev);
  if (active < 0 || persistent < 0)
    return pass_virt_set_call_error(conn, error, step);
  g_debug("libvirt: removing %s (%s%s)", address, active ? "destroy" : "",
          persistent ? " undefine" : "");
  if (active > 0 && virNodeDeviceDestroy(dev) < 0)
    return pass_virt_set_call_error(conn, error, step);
  if (persistent > 0 && virNodeDeviceUndefine(dev, 0) < 0)
    return pass_virt_set_call_error(conn, error, step);
  if (active > 0)
    wait_forgotten(conn, address);
  return TRUE;
}
