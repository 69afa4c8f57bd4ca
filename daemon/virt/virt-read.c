#define G_LOG_DOMAIN "passd-virt"

#include "virt-private.h"

#include <libvirt/virterror.h>
#include <stdlib.h>
#include <string.h>

#include "pass-address.h"
#include "pass-error.h"
#include "virt-mdev.h"
#include "xml-read.h"
#include "xml-usb.h"

gboolean
pass_virt_set_error(GError **error, const char *what)
{
  return pass_virt_set_call_error(NULL, error, what);
}

gboolean
pass_virt_set_call_error(virConnectPtr conn, GError **error, const char *what)
{
  return pass_virt_set_call_error_full(conn, error, what, what);
}

gboolean
pass_virt_set_call_error_full(virConnectPtr conn, GError **error, const char *what,
                              const char *lost_what)
{
  virError err = {0};
  PassError code = PASS_ERROR_HYPERVISOR_ERROR;
  const char *message;

  /* Copied first: every libvirt call below resets the thread's last error. */
  virCopyLastError(&err);
  message = err.message != NULL ? err.message : "unknown error";
  if (err.code == VIR_ERR_NO_DOMAIN) {
    code = PASS_ERROR_NO_SUCH_DOMAIN;
  } else if (err.code == VIR_ERR_NO_NODE_DEVICE) {
    code = PASS_ERROR_NO_SUCH_DEVICE;
  } else if (conn != NULL && virConnectIsAlive(conn) == 0) {
    /* The remote client is closed once the socket hit EOF or keep-alive gave up. */
    char *uri = virConnectGetURI(conn);

    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE,
                "%s: libvirt at %s went away (%s)", lost_what, uri != NULL ? uri : "?", message);
    free(uri);
    virResetError(&err);
    return FALSE;
  }
  g_set_error(error, PASS_ERROR, code, "%s: %s", what, message);
  virResetError(&err);
  return FALSE;
}

/* Network interfaces: libvirt's net_* node devices, below their PCI device. Only network
 * controllers (PCI class 0x02) that are not VFs are asked about: pools name PFs by interface,
 * and a read of each of dozens of NIC VFs would cost a round trip per interface on the host. */
static gboolean
is_network_controller(const PassDevice *device)
{
  return (device->class_code >> 16) == 0x02 && device->physfn == NULL;
}

static void
string_array_unref(gpointer data)
{
  g_ptr_array_unref(data);
}

/* Parent node device name -> GPtrArray of interface names, from every net_* node device (only
 * those below @only when it is not NULL); @names, when not NULL, gets interface node device
 * name -> parent address. A device that vanishes or does not parse meanwhile is skipped. */
static GHashTable *
read_netdevs(virConnectPtr conn, const char *only, GHashTable *names)
{
  GHashTable *by_parent =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, string_array_unref);
  virNodeDevicePtr *devs = NULL;
  int n = virConnectListAllNodeDevices(conn, &devs, VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET);

  if (n < 0) {
    g_autoptr(GError) error = NULL;

    pass_virt_set_call_error(conn, &error, "listing network interfaces");
    g_debug("%s", error->message);
    return by_parent;
  }
  for (int i = 0; i < n; i++) {
    const char *parent_name = virNodeDeviceGetParent(devs[i]);
    g_autofree char *parent = NULL, *interface = NULL;
    g_autoptr(GError) error = NULL;
    char *xml = NULL;
    GPtrArray *list;

    if (only != NULL && g_strcmp0(parent_name, only) != 0) {
      virNodeDeviceFree(devs[i]);
      continue;
    }
    xml = virNodeDeviceGetXMLDesc(devs[i], 0);
    if (xml == NULL || !pass_xml_read_nodedev_net(xml, &parent, &interface, &error)) {
      g_debug("skipping network interface %s: %s", virNodeDeviceGetName(devs[i]),
              error != NULL ? error->message : "no XML");
      virResetLastError();
    } else {
      list = g_hash_table_lookup(by_parent, parent);
      if (list == NULL) {
        list = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(by_parent, g_strdup(parent), list);
      }
      g_ptr_array_add(list, g_steal_pointer(&interface));
      if (names != NULL) {
        PassAddress addr;

        if (g_str_has_prefix(parent, "pci_") && pass_address_parse(parent, &addr, NULL))
          g_hash_table_insert(names, g_strdup(virNodeDeviceGetName(devs[i])),
                              pass_address_to_string(&addr));
      }
    }
    free(xml);
    virNodeDeviceFree(devs[i]);
  }
  free(devs);
  return by_parent;
}

static int
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* @device->netdevs from @by_parent: sorted, each once. */
static void
set_netdevs(PassDevice *device, GHashTable *by_parent)
{
  GPtrArray *list = g_hash_table_lookup(by_parent, device->name);
  GPtrArray *out;

  if (list == NULL || list->len == 0)
    return;
  g_ptr_array_sort(list, compare_strings);
  out = g_ptr_array_new();
  for (guint i = 0; i < list->len; i++) {
    if (i == 0 || strcmp(list->pdata[i], list->pdata[i - 1]) != 0)
      g_ptr_array_add(out, g_strdup(list->pdata[i]));
  }
  g_ptr_array_add(out, NULL);
  device->netdevs = (GStrv)g_ptr_array_free(out, FALSE);
}

char *
pass_virt_read_net_parent(virNodeDevicePtr dev)
{
  const char *name = virNodeDeviceGetParent(dev);
  PassAddress addr;

  if (name == NULL || !g_str_has_prefix(name, "pci_") || !pass_address_parse(name, &addr, NULL)) {
    g_debug("network interface %s: no PCI parent (%s)", virNodeDeviceGetName(dev),
            name != NULL ? name : "libvirt does not say");
    virResetLastError();
    return NULL;
  }
  return pass_address_to_string(&addr);
}

PassDevice *
pass_virt_read_device(virConnectPtr conn, virNodeDevicePtr dev, GError **error)
{
  char *xml;
  PassDevice *device;

  if (g_str_has_prefix(virNodeDeviceGetName(dev), "mdev_"))
    return pass_virt_read_mdev(conn, dev, error);
  xml = virNodeDeviceGetXMLDesc(dev, 0);
  if (xml == NULL) {
    g_autofree char *what = g_strdup_printf("reading node device %s", virNodeDeviceGetName(dev));
    pass_virt_set_call_error(conn, error, what);
    return NULL;
  }
  device = pass_xml_read_nodedev(xml, error);
  free(xml);
  if (device != NULL && is_network_controller(device)) {
    g_autoptr(GHashTable) by_parent = read_netdevs(conn, device->name, NULL);

    set_netdevs(device, by_parent);
  }
  return device;
}

/* Both definitions are fetched before either is parsed: USB hostdevs cost more libvirt calls
 * (the resolver lists the USB devices), and a read spread over a concurrent change of the
 * persistent definition (a detach) would deliver a picture that never existed. */
static char *
fetch_domain_xml(virDomainPtr dom, unsigned int flags, const char *name, GError **error)
{
  char *xml = virDomainGetXMLDesc(dom, flags);

  if (xml == NULL) {
    g_autofree char *what = g_strdup_printf("reading domain %s", name);
    pass_virt_set_call_error(virDomainGetConnect(dom), error, what);
  }
  return xml;
}

static gboolean
parse_domain_xml(const char *xml, PassHostdevWhere where, PassDomain *domain,
                 PassVirtUsbResolver *resolver, GError **error)
{
  return pass_xml_read_domain_hostdevs(xml, where, domain, error) &&
         pass_xml_read_domain_usb_hostdevs(xml, where, domain, pass_virt_usb_resolve, resolver,
                                           error);
}

static PassDomainState
domain_state(int state)
{
  switch (state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
      return PASS_DOMAIN_STATE_RUNNING;
    case VIR_DOMAIN_PAUSED:
    case VIR_DOMAIN_PMSUSPENDED:
      return PASS_DOMAIN_STATE_PAUSED;
    case VIR_DOMAIN_SHUTOFF:
      return PASS_DOMAIN_STATE_SHUTOFF;
    default:
      return PASS_DOMAIN_STATE_OTHER;
  }
}

PassDomain *
pass_virt_read_domain(virDomainPtr dom, GError **error)
{
  g_autoptr(PassDomain) domain = pass_domain_new(virDomainGetName(dom));
  virConnectPtr conn = virDomainGetConnect(dom);
  char uuid[VIR_UUID_STRING_BUFLEN];
  int state, reason, active, persistent;

  if (virDomainGetUUIDString(dom, uuid) < 0 || virDomainGetState(dom, &state, &reason, 0) < 0 ||
      (active = virDomainIsActive(dom)) < 0 || (persistent = virDomainIsPersistent(dom)) < 0) {
    g_autofree char *what = g_strdup_printf("reading domain %s", domain->name);
    pass_virt_set_call_error(conn, error, what);
    return NULL;
  }
  domain->uuid = g_strdup(uuid);
  domain->state = domain_state(state);
  domain->active = active > 0;
  domain->persistent = persistent > 0;
  {
    PassVirtUsbResolver resolver = {conn, NULL};
    char *live = NULL, *config = NULL;
    gboolean ok = (!domain->active || (live = fetch_domain_xml(dom, 0, domain->name, error))) &&
                  (!domain->persistent ||
                   (config = fetch_domain_xml(dom, VIR_DOMAIN_XML_INACTIVE, domain->name, error)));

    ok = ok && (!live || parse_domain_xml(live, PASS_HOSTDEV_LIVE, domain, &resolver, error)) &&
         (!config || parse_domain_xml(config, PASS_HOSTDEV_CONFIG, domain, &resolver, error));
    pass_virt_usb_resolver_clear(&resolver);
    free(live);
    free(config);
    if (!ok)
      return NULL;
  }
  return g_steal_pointer(&domain);
}

/* Parsing node device XML is pure (no libvirt), so a large snapshot spreads it over a few
 * short-lived threads; libvirt is only called from the reading thread. */
#define PARSE_CHUNK 256

typedef struct {
  char **xmls;
  PassDevice **parsed;
  char **errors;
  guint start, end;
} ParseChunk;

static void
parse_chunk(gpointer data, gpointer user_data)
{
  ParseChunk *chunk = data;

  for (guint i = chunk->start; i < chunk->end; i++) {
    g_autoptr(GError) local = NULL;

    if (chunk->xmls[i] == NULL)
      continue; /* not read: its error is set already */
    chunk->parsed[i] = pass_xml_read_nodedev(chunk->xmls[i], &local);
    if (chunk->parsed[i] == NULL)
      chunk->errors[i] = g_strdup(local->message);
  }
}

/* Parses @xmls[0..@n) into @parsed (NULL with @errors set where one fails), in parallel when
 * there are enough of them to be worth threads. */
static void
parse_nodedevs(char **xmls, PassDevice **parsed, char **errors, guint n)
{
  guint n_chunks = (n + PARSE_CHUNK - 1) / PARSE_CHUNK;
  guint n_threads = MIN(MIN(g_get_num_processors(), 4u), n_chunks);
  g_autofree ParseChunk *chunks = g_new0(ParseChunk, MAX(n_chunks, 1));
  GThreadPool *pool = NULL;

  if (n_threads > 1)
    pool = g_thread_pool_new(parse_chunk, NULL, (int)n_threads, TRUE, NULL);
  for (guint c = 0; c < n_chunks; c++) {
    chunks[c] = (ParseChunk){xmls, parsed, errors, c * PARSE_CHUNK, MIN((c + 1) * PARSE_CHUNK, n)};
    if (pool == NULL || !g_thread_pool_push(pool, &chunks[c], NULL))
      parse_chunk(&chunks[c], NULL);
  }
  if (pool != NULL)
    g_thread_pool_free(pool, FALSE, TRUE); /* waits for every chunk */
}

/* Fills @devices (PassDevice*) and @domains (PassDomain*). */
gboolean
pass_virt_read_snapshot(virConnectPtr conn, GPtrArray *devices, GPtrArray *domains,
                        GHashTable *net_parents, GError **error)
{
  g_autoptr(GHashTable) by_parent = NULL;
  virNodeDevicePtr *devs = NULL;
  virDomainPtr *doms = NULL;
  g_autoptr(GError) lost = NULL; /* the connection went away while reading */
  int n;

  n = virConnectListAllNodeDevices(conn, &devs, VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV);
  if (n < 0)
    return pass_virt_set_call_error(conn, error, "listing node devices");
  {
    g_autofree char **xmls = g_new0(char *, n + 1);
    g_autofree PassDevice **parsed = g_new0(PassDevice *, n + 1);
    g_autofree char **errors = g_new0(char *, n + 1);

    for (int i = 0; i < n; i++) {
      xmls[i] = virNodeDeviceGetXMLDesc(devs[i], 0);
      if (xmls[i] == NULL) {
        g_autoptr(GError) local = NULL;
        pass_virt_set_call_error(conn, &local, "reading node device");
        errors[i] = g_strdup(local->message);
        if (lost == NULL && g_error_matches(local, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE))
          lost = g_steal_pointer(&local);
      }
    }
    parse_nodedevs(xmls, parsed, errors, (guint)n);
    by_parent = read_netdevs(conn, NULL, net_parents);
    for (int i = 0; i < n; i++) {
      /* A device may vanish while we list; a bad one must not hide the rest. */
      if (parsed[i] != NULL && is_network_controller(parsed[i]))
        set_netdevs(parsed[i], by_parent);
      if (parsed[i] != NULL)
        g_ptr_array_add(devices, parsed[i]);
      else
        g_debug("skipping node device %s: %s", virNodeDeviceGetName(devs[i]), errors[i]);
      g_free(errors[i]);
      free(xmls[i]);
      virNodeDeviceFree(devs[i]);
    }
  }
  free(devs);
  /* Mediated devices, active and defined; too few to be worth the parallel parse. */
  if (lost == NULL && !pass_virt_read_mdevs(conn, devices, &lost) &&
      !g_error_matches(lost, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE)) {
    g_debug("no mediated devices: %s", lost->message);
    g_clear_error(&lost);
  }
  if (lost == NULL && !pass_virt_read_usb_devices(conn, devices, &lost))
    g_assert(lost != NULL);
  /* A picture with holes where libvirt went away mid-read would drop owners: none at all. */
  if (lost != NULL) {
    g_propagate_error(error, g_steal_pointer(&lost));
    return FALSE;
  }

  n = virConnectListAllDomains(conn, &doms, 0);
  if (n < 0)
    return pass_virt_set_call_error(conn, error, "listing domains");
  for (int i = 0; i < n; i++) {
    g_autoptr(GError) local = NULL;
    PassDomain *domain = pass_virt_read_domain(doms[i], &local);

    if (domain != NULL)
      g_ptr_array_add(domains, domain);
    else if (g_error_matches(local, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE)) {
      if (lost == NULL)
        lost = g_steal_pointer(&local);
    } else if (g_error_matches(local, PASS_ERROR, PASS_ERROR_NO_SUCH_DOMAIN))
      g_debug("domain %s vanished while listing", virDomainGetName(doms[i]));
    else
      g_warning("skipping domain %s: %s", virDomainGetName(doms[i]), local->message);
    virDomainFree(doms[i]);
  }
  free(doms);
  if (lost != NULL) {
    g_propagate_error(error, g_steal_pointer(&lost));
    return FALSE;
  }
  return TRUE;
}
