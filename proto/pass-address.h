/* PCI addresses as the API spells them. Both sides parse user input with this, so passctl can
 * reject a typo before it reaches the daemon and the daemon never trusts the client. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint16 domain;
  guint8 bus;
  guint8 slot;     /* 0..0x1f */
  guint8 function; /* 0..7 */
} PassAddress;

/* Accepts "dddd:bb:ss.f", "bb:ss.f" (domain 0) and libvirt node-device names "pci_dddd_bb_ss_f",
 * any hex case, surrounding white space not allowed. FALSE with a reason in @error
 * (PASS_ERROR_INVALID_PARAMETER) when malformed or out of range. */
gboolean pass_address_parse(const char *text, PassAddress *out, GError **error);

/* "dddd:bb:ss.f", lower case. */
char *pass_address_to_string(const PassAddress *addr);

/* "pci_dddd_bb_ss_f", libvirt's node-device name. */
char *pass_address_to_nodedev_name(const PassAddress *addr);

/* Parse and re-print; NULL with @error when malformed. */
char *pass_address_canonicalize(const char *text, GError **error);

G_END_DECLS
