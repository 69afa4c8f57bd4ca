#include "pass-mac.h"

#include <string.h>

#include "pass-error.h"

static gboolean
parse_bytes(const char *text, guint8 out[PASS_MAC_LEN])
{
  /* Six pairs of hex digits separated by colons: exactly 17 characters. */
  for (guint i = 0; i < 17; i++) {
    if (i % 3 == 2 ? text[i] != ':' : !g_ascii_isxdigit(text[i]))
      return FALSE;
  }
  if (text[17] != '\0')
    return FALSE;
  for (guint i = 0; i < PASS_MAC_LEN; i++)
    out[i] =
        (guint8)(g_ascii_xdigit_value(text[3 * i]) * 16 + g_ascii_xdigit_value(text[3 * i + 1]));
  return TRUE;
}

gboolean
pass_mac_parse(const char *text, guint8 out[PASS_MAC_LEN], GError **error)
{
  g_autofree char *quoted = pass_error_quote_input(text ? text : "");
  guint8 mac[PASS_MAC_LEN];
  static const guint8 zero[PASS_MAC_LEN];

  if (text == NULL || !parse_bytes(text, mac)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                "%s is not a MAC address (expected xx:xx:xx:xx:xx:xx)", quoted);
    return FALSE;
  }
  if (mac[0] & 0x01) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                "%s is a multicast address; a NIC needs a unicast one", quoted);
    return FALSE;
  }
  if (memcmp(mac, zero, PASS_MAC_LEN) == 0) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                "%s is not a station address; a NIC needs a unicast one", quoted);
    return FALSE;
  }
  memcpy(out, mac, PASS_MAC_LEN);
  return TRUE;
}

char *
pass_mac_to_string(const guint8 mac[PASS_MAC_LEN])
{
  return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                         mac[5]);
}

char *
pass_mac_canonicalize(const char *text, GError **error)
{
  guint8 mac[PASS_MAC_LEN];

  if (!pass_mac_parse(text, mac, error))
    return NULL;
  return pass_mac_to_string(mac);
}
