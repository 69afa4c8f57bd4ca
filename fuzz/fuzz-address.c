/* PCI addresses: pass_address_parse() against an independent reading of its grammar (the
 * header's), and the round trips: the canonical text and the node-device name parse back to the
 * same address, and the canonical text is a fixed point of canonicalisation. Device ids
 * (pass_device_id_canonicalize()) the same way: USB port paths, USB vendor:product pairs and
 * mdev UUIDs against their documented grammar, PCI input exactly as above. */
#include <string.h>

#include "fuzz-common.h"
#include "pass-address.h"
#include "pass-device-id.h"
#include "pass-error.h"

/* Whether @p starts with 1..@max hex digits, consumed, with their value in *@value. */
static gboolean
hex(const char **p, guint max, guint *value)
{
  guint n = 0;

  *value = 0;
  while (n < max && g_ascii_isxdigit(**p)) {
    *value = *value * 16 + (guint)g_ascii_xdigit_value(**p);
    (*p)++;
    n++;
  }
  return n > 0 && !g_ascii_isxdigit(**p);
}

/* The grammar as documented: "dddd:bb:ss.f", "bb:ss.f", "pci_dddd_bb_ss_f". */
static gboolean
reference_parse(const char *text, PassAddress *out)
{
  const char *p = text;
  guint d = 0, b, s, f;

  if (g_str_has_prefix(p, "pci_")) {
    p += 4;
    if (!(hex(&p, 4, &d) && *p++ == '_' && hex(&p, 2, &b) && *p++ == '_' && hex(&p, 2, &s) &&
          *p++ == '_' && hex(&p, 1, &f) && *p == '\0'))
      return FALSE;
  } else {
    const char *q = p;
    guint first;
    /* Either "dddd:" then "bb:ss.f", or "bb:ss.f" alone. */
    if (!hex(&q, 4, &first) || *q != ':')
      return FALSE;
    q++;
    const char *r = q;
    guint second;
    if (hex(&r, 2, &second) && *r == ':') {
      d = first;
      p = q;
    } else if (q - p > 3) {
      return FALSE; /* a bus of more than two digits */
    }
    if (!(hex(&p, 2, &b) && *p++ == ':' && hex(&p, 2, &s) && *p++ == '.' && hex(&p, 1, &f) &&
          *p == '\0'))
      return FALSE;
  }
  if (s > 0x1f || f > 7)
    return FALSE;
  out->domain = (guint16)d;
  out->bus = (guint8)b;
  out->slot = (guint8)s;
  out->function = (guint8)f;
  return TRUE;
}

static gboolean
same(const PassAddress *a, const PassAddress *b)
{
  return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot &&
         a->function == b->function;
}

/* An error message is printable ASCII and short: the input is escaped and cut. */
static void
check_message(const GError *error)
{
  FUZZ_CHECK(error != NULL);
  FUZZ_CHECK(error->domain == PASS_ERROR && error->code == PASS_ERROR_INVALID_PARAMETER);
  FUZZ_CHECK(strlen(error->message) < 200);
  for (const char *c = error->message; *c; c++)
    FUZZ_CHECK(*c >= 0x20 && *c < 0x7f);
}

/* A decimal number in [1, max], leading zeros allowed; NULL when there is none. */
static const char *
decimal(const char *p, guint max, guint *value)
{
  const char *start = p;
  guint64 v = 0;

  while (g_ascii_isdigit(*p)) {
    v = MIN(v * 10 + (guint)(*p - '0'), G_MAXUINT32);
    p++;
  }
  if (p == start || v < 1 || v > max)
    return NULL;
  *value = (guint)v;
  return p;
}

/* The documented device-id grammar: the canonical text, or NULL when @text is not one. */
static char *
reference_device_id(const char *text, PassDeviceIdKind *kind)
{
  if (g_ascii_strncasecmp(text, "usb:", 4) == 0) {
    const char *p = text + 4;
    guint bus, port, depth = 0;
    GString *out;

    if (strlen(p) == 9 && p[4] == ':') {
      for (int i = 0; i < 9; i++)
        if (i != 4 && !g_ascii_isxdigit(p[i]))
          return NULL;
      *kind = PASS_DEVICE_ID_USB_VENDOR;
      return g_ascii_strdown(text, -1);
    }
    if (!(p = decimal(p, 999, &bus)) || *p != '-')
      return NULL;
    out = g_string_new(NULL);
    g_string_printf(out, "usb:%u", bus);
    do {
      if (!(p = decimal(p + 1, 255, &port)) || ++depth > 7)
        return g_string_free(out, TRUE), NULL;
      g_string_append_printf(out, "%c%u", depth == 1 ? '-' : '.', port);
    } while (*p == '.');
    if (*p)
      return g_string_free(out, TRUE), NULL;
    *kind = PASS_DEVICE_ID_USB_PORT;
    return g_string_free(out, FALSE);
  }
  if (g_ascii_strncasecmp(text, "mdev:", 5) == 0) {
    const char *u = text + 5;

    if (strlen(u) != 36)
      return NULL;
    for (int i = 0; i < 36; i++)
      if ((i == 8 || i == 13 || i == 18 || i == 23) ? u[i] != '-' : !g_ascii_isxdigit(u[i]))
        return NULL;
    *kind = PASS_DEVICE_ID_MDEV;
    return g_ascii_strdown(text, -1);
  }
  *kind = PASS_DEVICE_ID_PCI;
  return pass_address_canonicalize(text, NULL);
}

static void
check_device_id(const char *text)
{
  g_autoptr(GError) error = NULL;
  PassDeviceIdKind kind = (PassDeviceIdKind)-1, expected_kind = (PassDeviceIdKind)-1;
  g_autofree char *canonical = pass_device_id_canonicalize(text, &kind, &error);
  g_autofree char *expected = reference_device_id(text, &expected_kind);

  FUZZ_CHECK((canonical != NULL) == (expected != NULL));
  if (!canonical) {
    check_message(error);
    FUZZ_CHECK(kind == (PassDeviceIdKind)-1);
    return;
  }
  FUZZ_CHECK(error == NULL && strcmp(canonical, expected) == 0 && kind == expected_kind);
  g_autofree char *again = pass_device_id_canonicalize(canonical, &kind, NULL);
  FUZZ_CHECK(again != NULL && strcmp(again, canonical) == 0 && kind == expected_kind);
  for (const char *c = canonical; *c; c++)
    FUZZ_CHECK(!g_ascii_isupper(*c) && *c > 0x20 && *c < 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_string(data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) canon_error = NULL;
  PassAddress addr, expected;
  gboolean ok = pass_address_parse(text, &addr, &error);
  g_autofree char *canonical = pass_address_canonicalize(text, &canon_error);

  check_device_id(text);
  FUZZ_CHECK(ok == reference_parse(text, &expected));
  FUZZ_CHECK(ok == (canonical != NULL));
  FUZZ_CHECK(pass_address_parse(text, NULL, NULL) == ok);
  if (!ok) {
    check_message(error);
    check_message(canon_error);
    return 0;
  }
  FUZZ_CHECK(error == NULL && canon_error == NULL);
  FUZZ_CHECK(same(&addr, &expected));
  FUZZ_CHECK(addr.slot <= 0x1f && addr.function <= 7);

  g_autofree char *printed = pass_address_to_string(&addr);
  g_autofree char *again = pass_address_canonicalize(canonical, NULL);
  g_autofree char *name = pass_address_to_nodedev_name(&addr);
  PassAddress reparsed, from_name;

  FUZZ_CHECK(strcmp(printed, canonical) == 0);
  FUZZ_CHECK(strlen(canonical) == 12);
  FUZZ_CHECK(again != NULL && strcmp(again, canonical) == 0);
  FUZZ_CHECK(pass_address_parse(canonical, &reparsed, NULL) && same(&reparsed, &addr));
  FUZZ_CHECK(pass_address_parse(name, &from_name, NULL) && same(&from_name, &addr));
  for (const char *c = canonical; *c; c++)
    FUZZ_CHECK(!g_ascii_isupper(*c));
  return 0;
}
