#define G_LOG_DOMAIN "passd-xml"

#include "xml-read.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "cpulist.h"
#include "pass-address.h"
#include "pass-error.h"
#include "xml-mdev.h"
#include "xml-usb.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)

/* One parser context per thread, reused: setting one up and tearing it down again cost as much
 * as parsing a node device's XML. xmlCtxtReadMemory() resets it for each document. */
static GPrivate parser_context = G_PRIVATE_INIT((GDestroyNotify)xmlFreeParserCtxt);

static xmlDoc *
read_doc(const char *xml, const char *what, GError **error)
{
  xmlParserCtxt *ctxt;
  xmlDoc *doc;

  if (xml == NULL) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR, "%s: no XML", what);
    return NULL;
  }
  /* libxml2's first-use initialisation is not thread safe before 2.11; do it once. */
  static gsize inited = 0;
  if (g_once_init_enter(&inited)) {
    xmlInitParser();
    g_once_init_leave(&inited, 1);
  }

  ctxt = g_private_get(&parser_context);
  if (ctxt == NULL) {
    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
      g_set_error(error, PASS_ERROR, PASS_ERROR_FAILED, "%s: out of memory", what);
      return NULL;
    }
    g_private_set(&parser_context, ctxt);
  }
  /* NOERROR/NOWARNING: errors come back in @error instead of on stderr. */
  doc = xmlCtxtReadMemory(ctxt, xml, (int)strlen(xml), "libvirt.xml", NULL,
                          XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                              XML_PARSE_NOWARNING);
  if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
    const xmlError *err = xmlCtxtGetLastError(ctxt);
    /* libxml2 quotes the input in its messages, bytes that are not UTF-8 too (a tag name cut
     * in the middle of a character): made valid, so the message can go into JSON and logs. */
    g_autofree char *msg = g_utf8_make_valid(
        err != NULL && err->message != NULL ? err->message : "empty document", -1);

    g_strstrip(msg);
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR, "%s: malformed XML: %s", what, msg);
    if (doc != NULL)
      xmlFreeDoc(doc);
    return NULL;
  }
  return doc;
}

/* The nodes @expr selects at @node (possibly none). */
static xmlXPathObject *
xpath_nodes(xmlXPathContext *xpath, xmlNode *node, const char *expr)
{
  xpath->node = node;
  return xmlXPathEvalExpression((const xmlChar *)expr, xpath);
}

static guint
xpath_count(xmlXPathObject *obj)
{
  if (obj == NULL || obj->type != XPATH_NODESET || obj->nodesetval == NULL)
    return 0;
  return (guint)obj->nodesetval->nodeNr;
}

/* libvirt prints addresses in hex with "0x" in domain XML and in decimal in nodedev XML. */
static gboolean
parse_number(const char *text, guint64 max, guint64 *out)
{
  guint base = 10;
  char *end = NULL;
  guint64 value;

  if (text == NULL || *text == '\0')
    return FALSE;
  if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) {
    base = 16;
    text += 2;
  }
  if (!g_ascii_isxdigit(*text))
    return FALSE;
  /* Overflow gives G_MAXUINT64, above every @max used here, so errno is not needed: and it
   * must not be trusted, because a successful call may leave it set. The first calls of two
   * threads meet in GLib's one-time locale set-up, where the loser's futex wait sets EAGAIN;
   * that once lost a device from the parallel snapshot parse. */
  g_assert(max < G_MAXUINT64);
  value = g_ascii_strtoull(text, &end, base);
  if (end == text || *end != '\0' || value > max)
    return FALSE;
  *out = value;
  return TRUE;
}

static gboolean
parse_int_or(const char *text, int fallback, int *out)
{
  guint64 value;

  if (text == NULL) {
    *out = fallback;
    return TRUE;
  }
  /* libvirt prints -1 for "no NUMA node" on some versions */
  if (g_strcmp0(text, "-1") == 0) {
    *out = -1;
    return TRUE;
  }
  if (!parse_number(text, G_MAXINT, &value))
    return FALSE;
  *out = (int)value;
  return TRUE;
}

static gboolean
fill_address(const char *domain, const char *bus, const char *slot, const char *function,
             gboolean parts_optional, PassAddress *out)
{
  const char *parts[] = {domain, bus, slot, function};
  const guint64 max[] = {0xffff, 0xff, 0x1f, 0x7};
  guint64 values[4];

  for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
    if (parts[i] == NULL && parts_optional) {
      values[i] = 0;
      continue;
    }
    if (!parse_number(parts[i], max[i], &values[i]))
      return FALSE;
  }
  out->domain = (guint16)values[0];
  out->bus = (guint8)values[1];
  out->slot = (guint8)values[2];
  out->function = (guint8)values[3];
  return TRUE;
}

static char *
attr(xmlNode *node, const char *name)
{
  xmlChar *value = xmlGetProp(node, (const xmlChar *)name);
  char *copy = value != NULL && value[0] != '\0' ? g_strdup((const char *)value) : NULL;

  xmlFree(value);
  return copy;
}

/* An <address domain= bus= slot= function=/> element -> canonical text, or NULL. */
static char *
address_from_attrs(xmlNode *node)
{
  g_autofree char *domain = attr(node, "domain");
  g_autofree char *bus = attr(node, "bus");
  g_autofree char *slot = attr(node, "slot");
  g_autofree char *function = attr(node, "function");
  PassAddress addr;

  /* libvirt defaults omitted parts to 0 when it parses domain XML; mirror that. */
  if (!fill_address(domain, bus, slot, function, TRUE, &addr))
    return NULL;
  return pass_address_to_string(&addr);
}

static char *
nodedev_name_to_address(const char *name)
{
  PassAddress addr;

  if (name == NULL || !g_str_has_prefix(name, "pci_"))
    return NULL;
  if (!pass_address_parse(name, &addr, NULL))
    return NULL;
  return pass_address_to_string(&addr);
}

static xmlNode *child(xmlNode *node, const char *name);

/* ---- node devices: one walk over the element tree ----
 * A snapshot parses thousands of these; evaluating XPath per field was most of passd's start-up.
 * The helpers below give what the equivalent XPath string() would: the first match in document
 * order, its text (CDATA included) stripped, NULL when empty. */

static gboolean
is_element(xmlNode *node, const char *name)
{
  return node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

/* Whether @node has attribute @name equal to @value. */
static gboolean
attr_is(xmlNode *node, const char *name, const char *value)
{
  for (xmlAttr *a = node->properties; a != NULL; a = a->next) {
    if (a->ns == NULL && strcmp((const char *)a->name, name) == 0) {
      xmlChar *text = xmlNodeGetContent((xmlNode *)a);
      gboolean equal = text != NULL && strcmp((const char *)text, value) == 0;
      xmlFree(text);
      return equal;
    }
  }
  return FALSE;
}

/* string(.): the element's text, NULL when it has none. */
static char *
node_text(xmlNode *node)
{
  xmlChar *text = node != NULL ? xmlNodeGetContent(node) : NULL;
  char *copy = text != NULL && text[0] != '\0' ? g_strstrip(g_strdup((const char *)text)) : NULL;

  xmlFree(text);
  return copy;
}

/* The attribute node @name of @node, or NULL. */
static xmlNode *
attr_node(xmlNode *node, const char *name)
{
  for (xmlAttr *a = node->properties; a != NULL; a = a->next)
    if (a->ns == NULL && strcmp((const char *)a->name, name) == 0)
      return (xmlNode *)a;
  return NULL;
}

/* string(./@step): first child element @step, text of its child element @leaf (or of itself
 * when @leaf is NULL), the first in document order that has one. With @attribute, the value of
 * that attribute instead of a child element. */
static char *
child_text(xmlNode *node, const char *step, const char *leaf, const char *attribute)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next) {
    if (!is_element(c, step))
      continue;
    if (leaf == NULL && attribute == NULL)
      return node_text(c);
    if (leaf == NULL) {
      xmlNode *a = attr_node(c, attribute);
      if (a != NULL)
        return node_text(a);
      continue;
    }
    for (xmlNode *l = c->children; l != NULL; l = l->next)
      if (is_element(l, leaf))
        return node_text(l);
  }
  return NULL;
}

/* The first child <capability type=@type> of @node, optionally the first one that has a child
 * element @having; *@count, if given, counts the matches. */
static xmlNode *
capability(xmlNode *node, const char *type, const char *having, guint *count)
{
  xmlNode *first = NULL;

  if (count)
    *count = 0;
  for (xmlNode *c = node->children; c != NULL; c = c->next) {
    if (!is_element(c, "capability") || !attr_is(c, "type", type))
      continue;
    if (having != NULL && child(c, having) == NULL)
      continue;
    if (count)
      (*count)++;
    if (first == NULL)
      first = c;
  }
  return first;
}

static guint
count_children(xmlNode *node, const char *name)
{
  guint n = 0;

  for (xmlNode *c = node->children; c != NULL; c = c->next)
    n += is_element(c, name);
  return n;
}

static gboolean
parse_id(xmlNode *cap, const char *element, guint16 *out, GError **error)
{
  g_autofree char *text = child_text(cap, element, NULL, "id");
  guint64 value;

  if (text == NULL) {
    *out = 0;
    return TRUE;
  }
  if (!parse_number(text, 0xffff, &value)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR, "node device XML: bad id '%s'",
                text);
    return FALSE;
  }
  *out = (guint16)value;
  return TRUE;
}

gboolean
pass_xml_read_nodedev_net(const char *xml, char **parent, char **interface, GError **error)
{
  g_autoptr(xmlDoc) doc = read_doc(xml, "node device XML", error);
  g_autofree char *up = NULL, *name = NULL;
  xmlNode *root, *cap;

  if (doc == NULL)
    return FALSE;
  root = xmlDocGetRootElement(doc);
  cap = g_strcmp0((const char *)root->name, "device") == 0 ? capability(root, "net", NULL, NULL)
                                                           : NULL;
  if (cap == NULL) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "node device XML: not a network interface");
    return FALSE;
  }
  up = child_text(root, "parent", NULL, NULL);
  name = child_text(cap, "interface", NULL, NULL);
  if (up == NULL || *up == '\0' || name == NULL || *name == '\0') {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "node device XML: a network interface without <parent> or <interface>");
    return FALSE;
  }
  *parent = g_steal_pointer(&up);
  *interface = g_steal_pointer(&name);
  return TRUE;
}

PassDevice *
pass_xml_read_nodedev(const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = read_doc(xml, "node device XML", error);
  g_autoptr(PassDevice) device = NULL;
  g_autofree char *domain = NULL, *bus = NULL, *slot = NULL, *function = NULL;
  g_autofree char *klass = NULL, *parent = NULL, *group = NULL, *numa = NULL;
  g_autofree char *maxcount = NULL;
  xmlNode *root, *cap, *pf, *vfs;
  PassAddress addr;
  guint64 value;
  guint n_caps;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement(doc);
  if (g_strcmp0((const char *)root->name, "device") != 0) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "node device XML: root is <%s>, not <device>", (const char *)root->name);
    return NULL;
  }
  cap = capability(root, "pci", NULL, &n_caps);
  if (n_caps == 0 && capability(root, "usb_device", NULL, NULL) != NULL)
    return pass_xml_usb_device_from_node(root, error);
  if (n_caps != 1) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "node device XML: not a PCI device");
    return NULL;
  }

  device = pass_device_new();
  device->name = child_text(root, "name", NULL, NULL);
  device->driver = child_text(root, "driver", "name", NULL);

  /* The address elements are decimal in nodedev XML; parse_number also takes 0x. */
  domain = child_text(cap, "domain", NULL, NULL);
  bus = child_text(cap, "bus", NULL, NULL);
  slot = child_text(cap, "slot", NULL, NULL);
  function = child_text(cap, "function", NULL, NULL);
  if (!fill_address(domain, bus, slot, function, FALSE, &addr)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "node device XML %s: bad or missing PCI address",
                device->name != NULL ? device->name : "(unnamed)");
    return NULL;
  }
  device->address = pass_address_to_string(&addr);
  if (device->name == NULL)
    device->name = pass_address_to_nodedev_name(&addr);

  klass = child_text(cap, "class", NULL, NULL);
  /* Old libvirt has no <class>; 0 then ("unclassified") rather than failing. */
  if (klass != NULL) {
    if (!g_str_has_prefix(klass, "0x")) {
      g_autofree char *hex = g_strconcat("0x", klass, NULL);
      g_free(g_steal_pointer(&klass));
      klass = g_steal_pointer(&hex);
    }
    if (!parse_number(klass, 0xffffff, &value)) {
      g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                  "node device XML %s: bad class '%s'", device->name, klass);
      return NULL;
    }
    device->class_code = (guint32)value;
  }

  if (!parse_id(cap, "vendor", &device->vendor_id, error) ||
      !parse_id(cap, "product", &device->product_id, error))
    return NULL;
  device->vendor = child_text(cap, "vendor", NULL, NULL);
  device->product = child_text(cap, "product", NULL, NULL);

  group = child_text(cap, "iommuGroup", NULL, "number");
  numa = child_text(cap, "numa", NULL, "node");
  if (!parse_int_or(group, -1, &device->iommu_group) ||
      !parse_int_or(numa, -1, &device->numa_node)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "node device XML %s: bad IOMMU group or NUMA node", device->name);
    return NULL;
  }

  pf = capability(cap, "phys_function", "address", NULL);
  if (pf != NULL) {
    device->physfn = address_from_attrs(child(pf, "address"));
    if (device->physfn == NULL) {
      g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                  "node device XML %s: bad phys_function address", device->name);
      return NULL;
    }
  }

  vfs = capability(cap, "virt_functions", NULL, NULL);
  if (vfs != NULL) {
    /* maxCount is the PF's sriov_totalvfs; without it count the listed VFs. */
    maxcount = attr(vfs, "maxCount");
    if (maxcount != NULL) {
      if (!parse_int_or(maxcount, -1, &device->totalvfs)) {
        g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                    "node device XML %s: bad maxCount '%s'", device->name, maxcount);
        return NULL;
      }
    } else {
      device->totalvfs = (int)count_children(vfs, "address");
    }
  }

  /* The parent is a PCI device (bridge, root port) or something else, e.g. "computer". */
  parent = child_text(root, "parent", NULL, NULL);
  device->parent = nodedev_name_to_address(parent);

  return g_steal_pointer(&device);
}

static gint
compare_hostdevs(gconstpointer a, gconstpointer b)
{
  const PassHostdev *x = *(PassHostdev *const *)a;
  const PassHostdev *y = *(PassHostdev *const *)b;

  /* Canonical addresses are fixed-width lower-case hex: text order is numeric order. */
  return g_strcmp0(x->address, y->address);
}

static PassHostdev *
find_entry(PassDomain *domain, const char *address)
{
  return (PassHostdev *)pass_domain_find_hostdev(domain, address);
}

/* The first element child of @node named @name. */
static xmlNode *
child(xmlNode *node, const char *name)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && g_strcmp0((const char *)c->name, name) == 0)
      return c;
  return NULL;
}

static gboolean
add_hostdev(xmlNode *node, gboolean interface, PassHostdevWhere where, PassDomain *domain,
            GError **error)
{
  xmlNode *source = child(node, "source");
  xmlNode *src_addr = source != NULL ? child(source, "address") : NULL;
  xmlNode *alias = child(node, "alias");
  g_autofree char *address = NULL;
  g_autofree char *managed = attr(node, "managed");
  g_autofree char *guest = NULL;
  g_autofree char *mac = NULL;
  int vlan = -1;
  PassHostdev *entry;

  if (src_addr == NULL) {
    /* An <interface type='hostdev'> may still lack its source while being defined. */
    g_debug("hostdev without a source address in %s: skipped", domain->name);
    return TRUE;
  }
  /* a mediated device is named by its UUID */
  if (attr_is(node, "type", "mdev")) {
    g_autofree char *uuid = attr(src_addr, "uuid");

    address = pass_xml_mdev_address(uuid);
  } else {
    address = address_from_attrs(src_addr);
  }
  if (address == NULL) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "domain XML %s: bad hostdev source address", domain->name);
    return FALSE;
  }

  /* Only the guest address that is a direct child (not the one in <source>), and only PCI. */
  for (xmlNode *c = node->children; c != NULL; c = c->next) {
    g_autofree char *type = NULL;

    if (c->type != XML_ELEMENT_NODE || g_strcmp0((const char *)c->name, "address") != 0)
      continue;
    type = attr(c, "type");
    if (g_strcmp0(type, "pci") == 0)
      guest = address_from_attrs(c);
    break;
  }

  if (interface) {
    xmlNode *mac_node = child(node, "mac");
    g_autofree char *text = mac_node != NULL ? attr(mac_node, "address") : NULL;

    xmlNode *vlan_node = child(node, "vlan");
    xmlNode *tag = vlan_node != NULL ? child(vlan_node, "tag") : NULL;
    g_autofree char *id = tag != NULL ? attr(tag, "id") : NULL;

    /* libvirt writes it lower case; anything else is kept as it is, not guessed at. */
    mac = text != NULL ? g_ascii_strdown(text, -1) : NULL;
    /* libvirt accepts 0-4095 only; a tag it would not write is no tag. */
    if (id != NULL && (!parse_int_or(id, -1, &vlan) || vlan < 0 || vlan > 4095))
      vlan = -1;
  }

  entry = find_entry(domain, address);
  if (entry == NULL) {
    entry = pass_hostdev_new();
    entry->address = g_steal_pointer(&address);
    entry->interface = interface;
    entry->managed = g_strcmp0(managed, "yes") == 0;
    g_ptr_array_add(domain->hostdevs, entry);
  }
  if (where & PASS_HOSTDEV_LIVE) {
    /* The live definition is the authority; aliases exist only there. */
    entry->interface = interface;
    entry->vlan = vlan;
    entry->managed = g_strcmp0(managed, "yes") == 0;
    g_free(entry->alias);
    entry->alias = alias != NULL ? attr(alias, "name") : NULL;
    if (guest != NULL) {
      g_free(entry->guest_address);
      entry->guest_address = g_steal_pointer(&guest);
    }
  } else {
    if (entry->guest_address == NULL)
      entry->guest_address = g_steal_pointer(&guest);
    if (!(entry->where & PASS_HOSTDEV_LIVE))
      entry->vlan = vlan;
  }
  /* The persistent definition's MAC wins: a config detach names it (see domain.h). */
  if (mac != NULL && (entry->mac == NULL || (where & PASS_HOSTDEV_CONFIG))) {
    g_free(entry->mac);
    entry->mac = g_steal_pointer(&mac);
  }
  entry->where |= where;
  return TRUE;
}

/* Add the list in attribute @name of every node @expr selects to @set; a malformed one is only
 * logged (placement is a hint for pool attaches, not a reason to lose the domain). */
static void
read_lists(xmlXPathContext *xpath, xmlNode *root, const char *expr, const char *name, GArray *set,
           const char *domain)
{
  g_autoptr(xmlXPathObject) nodes = xpath_nodes(xpath, root, expr);

  for (guint i = 0; i < xpath_count(nodes); i++) {
    g_autofree char *text = attr(nodes->nodesetval->nodeTab[i], name);

    if (text && !pass_cpulist_parse(text, set))
      g_debug("domain %s: %s='%s' is not a list; ignored", domain, name, text);
  }
}

/* Where the domain runs: host NUMA nodes from <numatune>, host CPUs from its pinning. */
static void
read_placement(xmlXPathContext *xpath, xmlNode *root, PassDomain *domain)
{
  g_autoptr(xmlXPathObject) cells = xpath_nodes(xpath, root, "./cpu/numa/cell");

  g_array_set_size(domain->numa_nodes, 0);
  g_array_set_size(domain->cpus, 0);
  /* placement='auto' (numad) names no nodeset: unknown, as it should be. */
  read_lists(xpath, root, "./numatune/memory | ./numatune/memnode", "nodeset", domain->numa_nodes,
             domain->name);
  read_lists(xpath, root, "./vcpu | ./cputune/vcpupin | ./cputune/emulatorpin", "cpuset",
             domain->cpus, domain->name);
  domain->numa_cells = xpath_count(cells);
}

gboolean
pass_xml_read_domain_hostdevs(const char *xml, PassHostdevWhere where, PassDomain *domain,
                              GError **error)
{
  g_autoptr(xmlDoc) doc = read_doc(xml, "domain XML", error);
  g_autoptr(xmlXPathContext) xpath = NULL;
  g_autoptr(xmlXPathObject) nodes = NULL;
  xmlNode *root;

  g_return_val_if_fail(domain != NULL, FALSE);

  if (doc == NULL)
    return FALSE;
  root = xmlDocGetRootElement(doc);
  if (g_strcmp0((const char *)root->name, "domain") != 0) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "domain XML: root is <%s>, not <domain>", (const char *)root->name);
    return FALSE;
  }
  xpath = xmlXPathNewContext(doc);
  /* The live definition says where it runs; the persistent one only when it does not. */
  if ((where & PASS_HOSTDEV_LIVE) || !domain->active)
    read_placement(xpath, root, domain);
  nodes = xpath_nodes(xpath, root,
                      "./devices/hostdev[@mode='subsystem' and (@type='pci' or @type='mdev')] | "
                      "./devices/interface[@type='hostdev']");
  for (guint i = 0; i < xpath_count(nodes); i++) {
    xmlNode *node = nodes->nodesetval->nodeTab[i];
    gboolean interface = g_strcmp0((const char *)node->name, "interface") == 0;

    if (interface) {
      /* <interface type='hostdev'> may name a USB device too; only PCI sources count. */
      xmlNode *source = child(node, "source");
      xmlNode *addr = source != NULL ? child(source, "address") : NULL;
      g_autofree char *type = addr != NULL ? attr(addr, "type") : NULL;

      if (addr != NULL && type != NULL && g_strcmp0(type, "pci") != 0)
        continue;
    }
    if (!add_hostdev(node, interface, where, domain, error))
      return FALSE;
  }
  g_ptr_array_sort(domain->hostdevs, compare_hostdevs);
  return TRUE;
}
