#include "pass-address.h"

#include <string.h>

#include "pass-error.h"

/* Reads 1..@max_digits hex digits; FALSE when there are none or too many. */
static gboolean
read_hex(const char **p, guint max_digits, guint *out)
{
  guint value = 0;
  guint n = 0;

  while (g_ascii_isxdigit(**p)) {
    if (++n > max_digits)
      return FALSE;
    value = value * 16 + (guint)g_ascii_xdigit_value(**p);
    (*p)++;
  }
  *out = value;
  return n > 0;
}

static gboolean
expect_char(const char **p, char c)
{
  if (**p != c)
    return FALSE;
  (*p)++;
  return TRUE;
}

static gboolean
parse_fields(const char *text, guint *domain, guint *bus, guint *slot, guint *function)
{
  const char *p = text;

  if (g_str_has_prefix(text, "pci_")) {
    p += 4;
    return read_hex(&p, 4, domain) && expect_char(&p, '_') && read_hex(&p, 2, bus) &&
           expect_char(&p, '_') && read_hex(&p, 2, slot) && expect_char(&p, '_') &&
           read_hex(&p, 1, function) && *p == '\0';
  }

  /* Two colons: the domain is given; one colon: "bb:ss.f" on domain 0. */
  guint colons = 0;
  for (const char *c = text; *c; c++)
    colons += *c == ':';
  *domain = 0;
  if (colons == 2 && !(read_hex(&p, 4, domain) && expect_char(&p, ':')))
    return FALSE;
  if (colons != 1 && colons != 2)
    return FALSE;
  return read_hex(&p, 2, bus) && expect_char(&p, ':') && read_hex(&p, 2, slot) &&
         expect_char(&p, '.') && read_hex(&p, 1, function) && *p == '\0';
}

gboolean
pass_address_parse(const char *text, PassAddress *out, GError **error)
{
  guint domain = 0, bus = 0, slot = 0, function = 0;

  if (text == NULL || !parse_fields(text, &domain, &bus, &slot, &function)) {
    g_autofree char *quoted = pass_error_quote_input(text ? text : "");
    g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                "%s is not a PCI address (expected DDDD:BB:SS.F)", quoted);
    return FALSE;
  }
  /* Field widths bound domain and bus; slot and function have narrower ranges. */
  if (slot > 0x1f || function > 7) {
    g_autofree char *quoted = pass_error_quote_input(text);
    if (slot > 0x1f)
      g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                  "%s is not a PCI address: slot 0x%02x out of range (max 0x1f)", quoted, slot);
    else
      g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                  "%s is not a PCI address: function %u out of range (max 7)", quoted, function);
    return FALSE;
  }

  if (out) {
    out->domain = (guint16)domain;
    out->bus = (guint8)bus;
    out->slot = (guint8)slot;
    out->function = (guint8)function;
  }
  return TRUE;
}

char *
pass_address_to_string(const PassAddress *addr)
{
  return g_strdup_printf("%04x:%02x:%02x.%x", addr->domain, addr->bus, addr->slot, addr->function);
}

char *
pass_address_to_nodedev_name(const PassAddress *addr)
{
  return g_strdup_printf("pci_%04x_%02x_%02x_%x", addr->domain, addr->bus, addr->slot,
                         addr->function);
}

char *
pass_address_canonicalize(const char *text, GError **error)
{
  PassAddress addr;

  if (!pass_address_parse(text, &addr, error))
    return NULL;
  return pass_address_to_string(&addr);
}
