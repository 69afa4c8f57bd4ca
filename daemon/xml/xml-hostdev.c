/* <hostdev>/<interface type='hostdev'> XML for one host PCI function (see xml-hostdev.h). */
#include "xml-hostdev.h"

#include <libxml/tree.h>

#include "pass-address.h"
#include "pass-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)

static gboolean
mac_is_valid(const char *mac)
{
  /* Six pairs of hex digits separated by colons: exactly 17 characters. */
  for (guint i = 0; i < 17; i++) {
    if (i % 3 == 2 ? mac[i] != ':' : !g_ascii_isxdigit(mac[i]))
      return FALSE;
  }
  return mac[17] == '\0';
}

/* libvirt's own spelling: "0x" and zero-padded hex, @digits wide. */
static void
set_hex_prop(xmlNodePtr node, const char *name, unsigned value, int digits)
{
  g_autofree char *text = g_strdup_printf("0x%0*x", digits, value);

  xmlNewProp(node, BAD_CAST name, BAD_CAST text);
}

char *
pass_xml_build_hostdev(const char *address, gboolean as_interface, const char *mac, GError **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(xmlBuffer) buffer = NULL;
  PassAddress addr;
  xmlNodePtr root, node, source, source_address;

  if (!pass_address_parse(address, &addr, error))
    return NULL;
  if (mac != NULL && !as_interface) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                        "A MAC address applies only to a network interface");
    return NULL;
  }
  if (mac != NULL && !mac_is_valid(mac)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                "\"%s\" is not a MAC address (expected xx:xx:xx:xx:xx:xx)", mac);
    return NULL;
  }

  doc = xmlNewDoc(BAD_CAST "1.0");
  if (as_interface) {
    root = xmlNewNode(NULL, BAD_CAST "interface");
    xmlNewProp(root, BAD_CAST "type", BAD_CAST "hostdev");
    xmlNewProp(root, BAD_CAST "managed", BAD_CAST "no");
  } else {
    root = xmlNewNode(NULL, BAD_CAST "hostdev");
    xmlNewProp(root, BAD_CAST "mode", BAD_CAST "subsystem");
    xmlNewProp(root, BAD_CAST "type", BAD_CAST "pci");
    xmlNewProp(root, BAD_CAST "managed", BAD_CAST "no");
  }
  xmlDocSetRootElement(doc, root);
  if (mac != NULL) {
    g_autofree char *lower = g_ascii_strdown(mac, -1);

    node = xmlNewChild(root, NULL, BAD_CAST "mac", NULL);
    xmlNewProp(node, BAD_CAST "address", BAD_CAST lower);
  }
  node = xmlNewChild(root, NULL, BAD_CAST "driver", NULL);
  xmlNewProp(node, BAD_CAST "name", BAD_CAST "vfio");
  source = xmlNewChild(root, NULL, BAD_CAST "source", NULL);
  source_address = xmlNewChild(source, NULL, BAD_CAST "address", NULL);
  /* <interface> sources need the address type; <hostdev type='pci'> implies it. */
  if (as_interface)
    xmlNewProp(source_address, BAD_CAST "type", BAD_CAST "pci");
  set_hex_prop(source_address, "domain", addr.domain, 4);
  set_hex_prop(source_address, "bus", addr.bus, 2);
  set_hex_prop(source_address, "slot", addr.slot, 2);
  set_hex_prop(source_address, "function", addr.function, 1);

  buffer = xmlBufferCreate();
  if (xmlNodeDump(buffer, doc, root, 0, 1) < 0) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_FAILED, "Cannot serialise device XML");
    return NULL;
  }
  return g_strdup((const char *)xmlBufferContent(buffer));
}
