/* Mediated devices in libvirt's XML (see xml-mdev.h). */
#define G_LOG_DOMAIN "passd-xml"

#include "xml-mdev.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pass-address.h"
#include "pass-device-id.h"
#include "pass-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)

char *
pass_xml_mdev_address(const char *uuid)
{
  g_autofree char *id = g_strconcat("mdev:", uuid != NULL ? uuid : "", NULL);
  PassDeviceIdKind kind;
  char *canonical = pass_device_id_canonicalize(id, &kind, NULL);

  if (canonical != NULL && kind != PASS_DEVICE_ID_MDEV)
    g_clear_pointer(&canonical, g_free);
  return canonical;
}

const char *
pass_xml_mdev_uuid(const char *address)
{
  return address != NULL && g_str_has_prefix(address, "mdev:") ? address + 5 : NULL;
}

static xmlDoc *
read_doc(const char *xml, const char *what, GError **error)
{
  xmlDoc *doc = NULL;

  if (xml != NULL)
    doc = xmlReadMemory(xml, (int)strlen(xml), "libvirt.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
  if (doc == NULL || xmlDocGetRootElement(doc) == NULL ||
      strcmp((const char *)xmlDocGetRootElement(doc)->name, "device") != 0) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR, "%s: malformed XML", what);
    if (doc != NULL)
      xmlFreeDoc(doc);
    return NULL;
  }
  return doc;
}

static gboolean
is_element(xmlNode *node, const char *name)
{
  return node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0;
}

static xmlNode *
child(xmlNode *node, const char *name)
{
  for (xmlNode *c = node != NULL ? node->children : NULL; c != NULL; c = c->next)
    if (is_element(c, name))
      return c;
  return NULL;
}

/* The element's text (stripped), NULL when it is missing or empty. */
static char *
text_of(xmlNode *node)
{
  xmlChar *text = node != NULL ? xmlNodeGetContent(node) : NULL;
  char *copy = text != NULL ? g_strstrip(g_strdup((const char *)text)) : NULL;

  xmlFree(text);
  if (copy != NULL && *copy == '\0')
    g_clear_pointer(&copy, g_free);
  return copy;
}

static char *
attr(xmlNode *node, const char *name)
{
  xmlChar *value = node != NULL ? xmlGetProp(node, BAD_CAST name) : NULL;
  char *copy = value != NULL && value[0] != '\0' ? g_strdup((const char *)value) : NULL;

  xmlFree(value);
  return copy;
}

/* The first <capability type=@type> child of @node. */
static xmlNode *
capability(xmlNode *node, const char *type)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next) {
    g_autofree char *t = is_element(c, "capability") ? attr(c, "type") : NULL;

    if (g_strcmp0(t, type) == 0)
      return c;
  }
  return NULL;
}

/* A parent as the API names it: a PCI address canonical, anything else as it is. */
static char *
parent_id(const char *text)
{
  char *canonical = pass_address_canonicalize(text, NULL);

  return canonical != NULL ? canonical : g_strdup(text);
}

PassDevice *
pass_xml_read_mdev(const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = read_doc(xml, "mdev node device XML", error);
  g_autoptr(PassDevice) device = NULL;
  g_autofree char *uuid = NULL, *parent_addr = NULL, *group = NULL;
  xmlNode *root, *cap;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement(doc);
  cap = capability(root, "mdev");
  if (cap == NULL) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR, "node device XML: not an mdev");
    return NULL;
  }
  device = pass_device_new();
  device->kind = PASS_DEVICE_KIND_MDEV;
  device->name = text_of(child(root, "name"));
  device->driver = text_of(child(child(root, "driver"), "name"));
  uuid = text_of(child(cap, "uuid"));
  device->address = pass_xml_mdev_address(uuid);
  if (device->address == NULL) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "node device XML %s: bad or missing mdev UUID",
                device->name != NULL ? device->name : "(unnamed)");
    return NULL;
  }
  device->mdev_type = attr(child(cap, "type"), "id");
  /* <parent_addr> (libvirt 7.3+) is the parent's sysfs name; without it, libvirt's name. */
  parent_addr = text_of(child(cap, "parent_addr"));
  if (parent_addr == NULL)
    parent_addr = text_of(child(root, "parent"));
  device->mdev_parent = parent_addr != NULL ? parent_id(parent_addr) : NULL;
  /* A defined mdev that is not active has no group. */
  group = attr(child(cap, "iommuGroup"), "number");
  if (group != NULL) {
    guint64 value;

    if (!g_ascii_string_to_unsigned(group, 10, 0, G_MAXINT, &value, NULL)) {
      g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                  "node device XML %s: bad IOMMU group '%s'", device->address, group);
      return NULL;
    }
    device->iommu_group = (int)value;
  }
  if (device->name == NULL)
    device->name = g_strdup(device->address);
  return g_steal_pointer(&device);
}

static gboolean
read_types(xmlNode *cap, const char *parent, const char *parent_name, GPtrArray *types,
           GError **error)
{
  for (xmlNode *c = cap->children; c != NULL; c = c->next) {
    g_autoptr(PassMdevType) type = NULL;
    g_autofree char *available = NULL;
    guint64 value = 0;

    if (is_element(c, "capability")) {
      /* libvirt 9 nests a virtual parent's list in a second mdev_types capability */
      if (!read_types(c, parent, parent_name, types, error))
        return FALSE;
      continue;
    }
    if (!is_element(c, "type"))
      continue;
    type = pass_mdev_type_new();
    type->id = attr(c, "id");
    type->name = text_of(child(c, "name"));
    type->device_api = text_of(child(c, "deviceAPI"));
    available = text_of(child(c, "availableInstances"));
    if (type->id == NULL || (available != NULL && !g_ascii_string_to_unsigned(
                                                      available, 10, 0, G_MAXINT, &value, NULL))) {
      g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                  "node device XML %s: bad mdev type", parent_name);
      return FALSE;
    }
    type->available = (int)value;
    type->parent = g_strdup(parent);
    type->parent_name = g_strdup(parent_name);
    g_ptr_array_add(types, g_steal_pointer(&type));
  }
  return TRUE;
}

gboolean
pass_xml_read_mdev_types(const char *xml, GPtrArray *types, GError **error)
{
  g_autoptr(xmlDoc) doc = read_doc(xml, "node device XML", error);
  g_autofree char *name = NULL, *path = NULL, *parent = NULL;
  xmlNode *root, *cap, *pci;

  if (doc == NULL)
    return FALSE;
  root = xmlDocGetRootElement(doc);
  name = text_of(child(root, "name"));
  if (name == NULL) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR, "node device XML: no name");
    return FALSE;
  }
  pci = capability(root, "pci");
  cap = capability(pci != NULL ? pci : root, "mdev_types");
  if (cap == NULL)
    return TRUE;
  /* Parents as mdevs name them (<parent_addr>): the PCI address, else the sysfs name. */
  if (pci != NULL) {
    PassAddress addr;

    if (pass_address_parse(name, &addr, NULL))
      parent = pass_address_to_string(&addr);
  }
  if (parent == NULL) {
    path = text_of(child(root, "path"));
    parent = path != NULL ? g_path_get_basename(path) : g_strdup(name);
  }
  return read_types(cap, parent, name, types, error);
}

static char *
dump(xmlDoc *doc, xmlNode *root, GError **error)
{
  g_autoptr(xmlBuffer) buffer = xmlBufferCreate();

  if (xmlNodeDump(buffer, doc, root, 0, 1) < 0) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_FAILED, "Cannot serialise device XML");
    return NULL;
  }
  return g_strdup((const char *)xmlBufferContent(buffer));
}

/* @uuid canonical (lower case), or NULL with @error. */
static char *
canonical_uuid(const char *uuid, GError **error)
{
  g_autofree char *address = pass_xml_mdev_address(uuid);

  if (address == NULL) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER, "'%s' is not a UUID",
                uuid != NULL ? uuid : "");
    return NULL;
  }
  return g_strdup(pass_xml_mdev_uuid(address));
}

char *
pass_xml_build_mdev_hostdev(const char *uuid, GError **error)
{
  g_autofree char *canonical = canonical_uuid(uuid, error);
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *root, *source, *address;

  if (canonical == NULL)
    return NULL;
  doc = xmlNewDoc(BAD_CAST "1.0");
  root = xmlNewNode(NULL, BAD_CAST "hostdev");
  xmlNewProp(root, BAD_CAST "mode", BAD_CAST "subsystem");
  xmlNewProp(root, BAD_CAST "type", BAD_CAST "mdev");
  xmlNewProp(root, BAD_CAST "model", BAD_CAST "vfio-pci");
  xmlDocSetRootElement(doc, root);
  source = xmlNewChild(root, NULL, BAD_CAST "source", NULL);
  address = xmlNewChild(source, NULL, BAD_CAST "address", NULL);
  xmlNewProp(address, BAD_CAST "uuid", BAD_CAST canonical);
  return dump(doc, root, error);
}

char *
pass_xml_build_mdev_nodedev(const char *parent_name, const char *type_id, const char *uuid,
                            GError **error)
{
  g_autofree char *canonical = NULL;
  g_autoptr(xmlDoc) doc = NULL;
  xmlNode *root, *cap, *type;

  if (uuid != NULL && (canonical = canonical_uuid(uuid, error)) == NULL)
    return NULL;
  if (parent_name == NULL || *parent_name == '\0' || type_id == NULL || *type_id == '\0') {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                        "An mdev needs a parent and a type");
    return NULL;
  }
  doc = xmlNewDoc(BAD_CAST "1.0");
  root = xmlNewNode(NULL, BAD_CAST "device");
  xmlDocSetRootElement(doc, root);
  /* xmlNewTextChild escapes: names come from libvirt and the user */
  xmlNewTextChild(root, NULL, BAD_CAST "parent", BAD_CAST parent_name);
  cap = xmlNewChild(root, NULL, BAD_CAST "capability", NULL);
  xmlNewProp(cap, BAD_CAST "type", BAD_CAST "mdev");
  type = xmlNewChild(cap, NULL, BAD_CAST "type", NULL);
  xmlNewProp(type, BAD_CAST "id", BAD_CAST type_id);
  if (canonical != NULL)
    xmlNewTextChild(cap, NULL, BAD_CAST "uuid", BAD_CAST canonical);
  return dump(doc, root, error);
}
