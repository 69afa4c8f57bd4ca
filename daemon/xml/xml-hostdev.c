/* <hostdev>/<interface type='hostdev'> XML for one host PCI function (see xml-hostdev.h). */
#include "xml-hostdev.h"

#include <string.h>

#include <libxml/tree.h>

#include "pass-address.h"
#include "pass-error.h"
#include "pass-mac.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)

/* libvirt's own spelling: "0x" and zero-padded hex, @digits wide. */
static void
set_hex_prop(xmlNodePtr node, const char *name, unsigned value, int digits)
{
  g_autofree char *text = g_strdup_printf("0x%0*x", digits, value);

  xmlNewProp(node, BAD_CAST name, BAD_CAST text);
}

char *
pass_xml_build_hostdev(const char *address, gboolean as_interface, const char *mac, guint vlan,
                       GError **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(xmlBuffer) buffer = NULL;
  g_autofree char *mac_text = NULL;
  PassAddress addr;
  guint8 mac_bytes[PASS_MAC_LEN];
  xmlNodePtr root, node, source, source_address;

  if (!pass_address_parse(address, &addr, error))
    return NULL;
  if ((mac != NULL || vlan != 0) && !as_interface) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                        mac != NULL ? "A MAC address applies only to a network interface"
                                    : "A VLAN applies only to a network interface");
    return NULL;
  }
  if (mac != NULL && !pass_mac_parse(mac, mac_bytes, error))
    return NULL;
  if (vlan > PASS_VLAN_MAX) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                "VLAN %u is out of range (1 to %u)", vlan, PASS_VLAN_MAX);
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
    mac_text = pass_mac_to_string(mac_bytes);
    node = xmlNewChild(root, NULL, BAD_CAST "mac", NULL);
    xmlNewProp(node, BAD_CAST "address", BAD_CAST mac_text);
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
  /* After the source, where libvirt itself puts it. */
  if (vlan != 0) {
    g_autofree char *id = g_strdup_printf("%u", vlan);

    node = xmlNewChild(xmlNewChild(root, NULL, BAD_CAST "vlan", NULL), NULL, BAD_CAST "tag", NULL);
    xmlNewProp(node, BAD_CAST "id", BAD_CAST id);
  }

  buffer = xmlBufferCreate();
  if (xmlNodeDump(buffer, doc, root, 0, 1) < 0) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_FAILED, "Cannot serialise device XML");
    return NULL;
  }
  return g_strdup((const char *)xmlBufferContent(buffer));
}

char *
pass_xml_generate_mac(const char *domain, const char *address)
{
  static const char context[] = "passd-mac-v1";
  g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
  g_autofree char *canonical = pass_address_canonicalize(address, NULL);
  guint8 digest[32];
  gsize length = sizeof digest;

  if (canonical == NULL || domain == NULL)
    return NULL;
  /* The NUL bytes keep ("ab", "c") and ("a", "bc") apart. */
  g_checksum_update(checksum, (const guchar *)context, sizeof context);
  g_checksum_update(checksum, (const guchar *)domain, (gssize)strlen(domain) + 1);
  g_checksum_update(checksum, (const guchar *)canonical, (gssize)strlen(canonical) + 1);
  g_checksum_get_digest(checksum, digest, &length);
  digest[0] = (guint8)((digest[0] & 0xfc) | 0x02);
  return pass_mac_to_string(digest);
}
