/* USB devices in libvirt's XML (see xml-usb.h). */
#define G_LOG_DOMAIN "passd-xml"

#include "xml-usb.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "pass-address.h"
#include "pass-device-id.h"
#include "pass-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)

static xmlDoc *
read_doc(const char *xml, const char *what, GError **error)
{
  xmlDoc *doc = xml != NULL ? xmlReadMemory(xml, (int)strlen(xml), "libvirt.xml", NULL,
                                            XML_PARSE_NONET | XML_PARSE_NOBLANKS |
                                                XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
                            : NULL;

  if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR, "%s: malformed XML", what);
    if (doc != NULL)
      xmlFreeDoc(doc);
    return NULL;
  }
  return doc;
}

static xmlNode *
child(xmlNode *node, const char *name)
{
  for (xmlNode *c = node != NULL ? node->children : NULL; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
      return c;
  return NULL;
}

static char *
attr(xmlNode *node, const char *name)
{
  xmlChar *value = node != NULL ? xmlGetProp(node, (const xmlChar *)name) : NULL;
  char *copy = value != NULL && value[0] != '\0' ? g_strdup((const char *)value) : NULL;

  xmlFree(value);
  return copy;
}

static char *
text(xmlNode *node)
{
  xmlChar *content = node != NULL ? xmlNodeGetContent(node) : NULL;
  char *copy = content != NULL ? g_strstrip(g_strdup((const char *)content)) : NULL;

  xmlFree(content);
  if (copy != NULL && *copy == '\0')
    g_clear_pointer(&copy, g_free);
  return copy;
}

/* Decimal, or hex with "0x" (domain XML writes ids in hex, bus and device in decimal). */
static gboolean
parse_number(const char *text, guint64 max, guint64 *out)
{
  guint base = 10;
  char *end = NULL;
  guint64 value;

  if (text == NULL)
    return FALSE;
  if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) {
    base = 16;
    text += 2;
  }
  if (!g_ascii_isxdigit(*text))
    return FALSE;
  value = g_ascii_strtoull(text, &end, base);
  if (*end != '\0' || value > max)
    return FALSE;
  *out = value;
  return TRUE;
}

static xmlNode *
usb_capability(xmlNode *root)
{
  for (xmlNode *c = root->children; c != NULL; c = c->next) {
    g_autofree char *type = NULL;

    if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "capability") != 0)
      continue;
    type = attr(c, "type");
    if (g_strcmp0(type, "usb_device") == 0)
      return c;
  }
  return NULL;
}

char *
pass_xml_usb_nodedev_name_to_address(const char *name)
{
  g_autoptr(GString) port = NULL;
  const char *rest;
  const char *sep;

  if (name == NULL || !g_str_has_prefix(name, "usb_"))
    return NULL;
  rest = name + 4;
  sep = strchr(rest, '_');
  if (sep == NULL)
    return NULL;
  port = g_string_new("usb:");
  g_string_append_len(port, rest, sep - rest);
  g_string_append_c(port, '-');
  g_string_append(port, sep + 1);
  for (gsize i = strlen("usb:") + (gsize)(sep - rest) + 1; i < port->len; i++)
    if (port->str[i] == '_')
      port->str[i] = '.';
  return pass_device_id_canonicalize(port->str, NULL, NULL);
}

char *
pass_xml_usb_address_to_nodedev_name(const char *address)
{
  PassDeviceIdKind kind;
  g_autofree char *canonical = pass_device_id_canonicalize(address, &kind, NULL);
  char *name;

  if (canonical == NULL || kind != PASS_DEVICE_ID_USB_PORT)
    return NULL;
  name = g_strconcat("usb_", canonical + strlen("usb:"), NULL);
  for (char *p = name; *p; p++)
    if (*p == '-' || *p == '.')
      *p = '_';
  return name;
}

/* The PCI function whose child is the root hub "usbN" in a sysfs path such as
 * /sys/devices/pci0000:00/0000:00:14.0/usb3/3-1/3-1.2. */
static char *
controller_from_path(const char *path)
{
  g_auto(GStrv) parts = g_strsplit(path, "/", -1);

  for (guint i = 1; parts[i] != NULL; i++) {
    PassAddress addr;

    if (!g_str_has_prefix(parts[i], "usb") || !g_ascii_isdigit(parts[i][3]))
      continue;
    if (pass_address_parse(parts[i - 1], &addr, NULL) && strchr(parts[i - 1], ':') != NULL)
      return pass_address_to_string(&addr);
    return NULL;
  }
  return NULL;
}

static gboolean
read_id(xmlNode *cap, const char *element, guint16 *id, char **name)
{
  xmlNode *node = child(cap, element);
  g_autofree char *value = attr(node, "id");
  guint64 number = 0;

  if (value != NULL && !parse_number(value, 0xffff, &number))
    return FALSE;
  *id = (guint16)number;
  *name = text(node);
  return TRUE;
}

PassDevice *
pass_xml_usb_device_from_node(xmlNode *root, GError **error)
{
  xmlNode *cap = usb_capability(root);
  g_autoptr(PassDevice) device = NULL;
  g_autofree char *bus = NULL, *devnum = NULL, *port = NULL;
  guint64 value;

  if (cap == NULL) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "node device XML: not a USB device");
    return NULL;
  }
  device = pass_device_new();
  device->kind = PASS_DEVICE_KIND_USB;
  device->usb = pass_usb_info_new();
  device->name = text(child(root, "name"));
  device->driver = text(child(child(root, "driver"), "name"));
  device->usb->path = text(child(root, "path"));
  if (device->usb->path != NULL) {
    port = g_path_get_basename(device->usb->path);
    device->address = g_strconcat("usb:", port, NULL);
    device->usb->controller = controller_from_path(device->usb->path);
  } else {
    device->address = pass_xml_usb_nodedev_name_to_address(device->name);
  }
  if (device->address != NULL) {
    /* The sysfs name must be a port path: root hubs ("usb3") are buses, not devices. */
    g_autofree char *canonical = pass_device_id_canonicalize(device->address, NULL, NULL);

    g_free(device->address);
    device->address = g_steal_pointer(&canonical);
  }
  if (device->address == NULL || !g_str_has_prefix(device->address, "usb:") ||
      strchr(device->address, '-') == NULL) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "node device XML %s: a root hub or no USB port path",
                device->name != NULL ? device->name : "(unnamed)");
    return NULL;
  }
  device->usb->port = g_strdup(device->address + strlen("usb:"));
  if (device->name == NULL)
    device->name = pass_xml_usb_address_to_nodedev_name(device->address);

  /* While the kernel re-enumerates a device (a guest let go of it) libvirt may print it
   * without its numbers: unknown then, the next update has them. */
  bus = text(child(cap, "bus"));
  devnum = text(child(cap, "device"));
  if (bus != NULL && parse_number(bus, PASS_USB_MAX_BUS, &value) && value > 0)
    device->usb->bus = (int)value;
  else if (bus != NULL && !g_str_equal(bus, "0"))
    g_clear_pointer(&device->usb->port, g_free);
  if (devnum != NULL && parse_number(devnum, 999, &value) && value > 0)
    device->usb->devnum = (int)value;
  else if (devnum != NULL && !g_str_equal(devnum, "0"))
    g_clear_pointer(&device->usb->port, g_free);
  if (device->usb->port == NULL || !read_id(cap, "vendor", &device->vendor_id, &device->vendor) ||
      !read_id(cap, "product", &device->product_id, &device->product)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "node device XML %s: bad bus, device number or id", device->name);
    return NULL;
  }
  return g_steal_pointer(&device);
}

PassDevice *
pass_xml_read_usb_nodedev(const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = read_doc(xml, "node device XML", error);
  xmlNode *root;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement(doc);
  if (strcmp((const char *)root->name, "device") != 0) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "node device XML: root is <%s>, not <device>", (const char *)root->name);
    return NULL;
  }
  return pass_xml_usb_device_from_node(root, error);
}

static gboolean
read_source(xmlNode *source, PassUsbSource *out)
{
  g_autofree char *vendor = attr(child(source, "vendor"), "id");
  g_autofree char *product = attr(child(source, "product"), "id");
  xmlNode *address = child(source, "address");
  g_autofree char *bus = attr(address, "bus");
  g_autofree char *devnum = attr(address, "device");
  guint64 v = 0, p = 0, b = 0, d = 0;

  if ((vendor != NULL && !parse_number(vendor, 0xffff, &v)) ||
      (product != NULL && !parse_number(product, 0xffff, &p)) ||
      (bus != NULL && !parse_number(bus, PASS_USB_MAX_BUS, &b)) ||
      (devnum != NULL && !parse_number(devnum, 999, &d)))
    return FALSE;
  *out = (PassUsbSource){(guint16)v, (guint16)p, (guint)b, (guint)d};
  return TRUE;
}

static gint
compare_hostdevs(gconstpointer a, gconstpointer b)
{
  return g_strcmp0((*(PassHostdev *const *)a)->address, (*(PassHostdev *const *)b)->address);
}

static void
add_usb_hostdev(xmlNode *node, const PassUsbSource *source, char *address, PassHostdevWhere where,
                PassDomain *domain)
{
  PassHostdev *entry = (PassHostdev *)pass_domain_find_hostdev(domain, address);

  if (entry == NULL) {
    entry = pass_hostdev_new();
    entry->address = address;
    entry->managed = TRUE;
    g_ptr_array_add(domain->hostdevs, entry);
  } else {
    g_free(address);
  }
  /* The config's source names the device the way a config detach must; the live one has bus
   * and device filled in by libvirt. */
  if (entry->usb == NULL || (where & PASS_HOSTDEV_CONFIG)) {
    g_free(entry->usb);
    entry->usb = g_memdup2(source, sizeof(*source));
  }
  if (where & PASS_HOSTDEV_LIVE) {
    g_autofree char *managed = attr(node, "managed");

    entry->managed = g_strcmp0(managed, "yes") == 0;
    g_free(entry->alias);
    entry->alias = attr(child(node, "alias"), "name");
  }
  entry->where |= where;
}

gboolean
pass_xml_read_domain_usb_hostdevs(const char *xml, PassHostdevWhere where, PassDomain *domain,
                                  PassXmlUsbResolve resolve, gpointer user_data, GError **error)
{
  g_autoptr(xmlDoc) doc = read_doc(xml, "domain XML", error);
  g_autoptr(xmlXPathContext) xpath = NULL;
  g_autoptr(xmlXPathObject) nodes = NULL;
  guint n;

  if (doc == NULL)
    return FALSE;
  xpath = xmlXPathNewContext(doc);
  nodes = xmlXPathEvalExpression(
      (const xmlChar *)"/domain/devices/hostdev[@mode='subsystem' and @type='usb']", xpath);
  n = nodes != NULL && nodes->nodesetval != NULL ? (guint)nodes->nodesetval->nodeNr : 0;
  for (guint i = 0; i < n; i++) {
    xmlNode *node = nodes->nodesetval->nodeTab[i];
    PassUsbSource source;
    char *address;

    if (!read_source(child(node, "source"), &source)) {
      g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                  "domain XML %s: bad USB hostdev source", domain->name);
      return FALSE;
    }
    address = resolve != NULL ? resolve(&source, user_data) : NULL;
    if (address == NULL)
      address = g_strdup_printf("usb:%04x:%04x", source.vendor_id, source.product_id);
    add_usb_hostdev(node, &source, address, where, domain);
  }
  if (n > 0)
    g_ptr_array_sort(domain->hostdevs, compare_hostdevs);
  return TRUE;
}

static void
set_hex_prop(xmlNode *node, const char *name, guint value)
{
  g_autofree char *text = g_strdup_printf("0x%04x", value);

  xmlNewProp(node, BAD_CAST name, BAD_CAST text);
}

char *
pass_xml_build_usb_hostdev(const PassUsbSource *source, GError **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(xmlBuffer) buffer = NULL;
  gboolean by_ids = source->vendor_id != 0 || source->product_id != 0;
  gboolean by_address = source->bus != 0 && source->devnum != 0;
  xmlNode *root, *src;

  if (!by_ids && !by_address) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                        "A USB device needs its vendor and product ids or its bus and device");
    return NULL;
  }
  doc = xmlNewDoc(BAD_CAST "1.0");
  root = xmlNewNode(NULL, BAD_CAST "hostdev");
  xmlDocSetRootElement(doc, root);
  xmlNewProp(root, BAD_CAST "mode", BAD_CAST "subsystem");
  xmlNewProp(root, BAD_CAST "type", BAD_CAST "usb");
  xmlNewProp(root, BAD_CAST "managed", BAD_CAST "yes");
  src = xmlNewChild(root, NULL, BAD_CAST "source", NULL);
  if (by_ids) {
    set_hex_prop(xmlNewChild(src, NULL, BAD_CAST "vendor", NULL), "id", source->vendor_id);
    set_hex_prop(xmlNewChild(src, NULL, BAD_CAST "product", NULL), "id", source->product_id);
  }
  if (by_address) {
    xmlNode *address = xmlNewChild(src, NULL, BAD_CAST "address", NULL);
    g_autofree char *bus = g_strdup_printf("%u", source->bus);
    g_autofree char *devnum = g_strdup_printf("%u", source->devnum);

    xmlNewProp(address, BAD_CAST "bus", BAD_CAST bus);
    xmlNewProp(address, BAD_CAST "device", BAD_CAST devnum);
  }
  buffer = xmlBufferCreate();
  if (xmlNodeDump(buffer, doc, root, 0, 1) < 0) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_FAILED, "Cannot serialise device XML");
    return NULL;
  }
  return g_strdup((const char *)xmlBufferContent(buffer));
}
