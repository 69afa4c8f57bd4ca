/* Ethernet MAC addresses as the API spells them. Like PCI addresses, both sides parse user input
 * with this: passctl rejects a typo before it reaches the daemon, and the daemon never trusts the
 * client. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PASS_MAC_LEN 6

/* Accepts "xx:xx:xx:xx:xx:xx", any hex case, exactly two digits a byte. Only an address a NIC
 * can have: unicast (the multicast bit of the first byte clear, so broadcast too is refused) and
 * not all zero. FALSE with a reason in @error (PASS_ERROR_INVALID_PARAMETER) otherwise. */
gboolean pass_mac_parse(const char *text, guint8 out[PASS_MAC_LEN], GError **error);

/* "xx:xx:xx:xx:xx:xx", lower case (libvirt's own spelling). */
char *pass_mac_to_string(const guint8 mac[PASS_MAC_LEN]);

/* Parse and re-print; NULL with @error when not acceptable. */
char *pass_mac_canonicalize(const char *text, GError **error);

G_END_DECLS
