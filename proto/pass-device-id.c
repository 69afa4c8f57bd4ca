#include "pass-device-id.h"

#include <string.h>

#include "pass-address.h"
#include "pass-error.h"

#define USB_PREFIX  "usb:"
#define MDEV_PREFIX "mdev:"

static gboolean
invalid(GError **error, const char *text, const char *why)
{
  g_autofree char *quoted = pass_error_quote_input(text);

  g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER, "%s is not a device: %s", quoted,
              why);
  return FALSE;
}

/* A decimal number in [1, max] at *p, advancing past it; leading zeros are tolerated on input. */
static gboolean
read_decimal(const char **p, guint max, guint *out)
{
  guint value = 0;
  const char *start = *p;

  while (g_ascii_isdigit(**p)) {
    value = value * 10 + (guint)(**p - '0');
    if (value > max)
      return FALSE;
    (*p)++;
  }
  *out = value;
  return *p != start && value >= 1;
}

static char *
usb_port(const char *text, const char *body, GError **error)
{
  GString *out = g_string_new(USB_PREFIX);
  const char *p = body;
  guint value, depth = 0;

  if (!read_decimal(&p, PASS_USB_MAX_BUS, &value) || *p != '-') {
    invalid(error, text, "expected usb:BUS-PORT[.PORT...] (bus 1-999)");
    return g_string_free(out, TRUE), NULL;
  }
  g_string_append_printf(out, "%u", value);
  do {
    p++; /* the '-' or '.' */
    if (!read_decimal(&p, PASS_USB_MAX_PORT, &value) || ++depth > PASS_USB_MAX_DEPTH) {
      invalid(error, text, "expected usb:BUS-PORT[.PORT...] (ports 1-255, at most 7 deep)");
      return g_string_free(out, TRUE), NULL;
    }
    g_string_append_printf(out, "%c%u", depth == 1 ? '-' : '.', value);
  } while (*p == '.');
  if (*p != '\0') {
    invalid(error, text, "expected usb:BUS-PORT[.PORT...]");
    return g_string_free(out, TRUE), NULL;
  }
  return g_string_free(out, FALSE);
}

static gboolean
hex4(const char *p)
{
  for (int i = 0; i < 4; i++)
    if (!g_ascii_isxdigit(p[i]))
      return FALSE;
  return TRUE;
}

static char *
usb_vendor(const char *text, const char *body, GError **error)
{
  if (strlen(body) != 9 || body[4] != ':' || !hex4(body) || !hex4(body + 5)) {
    invalid(error, text, "expected usb:VVVV:PPPP (four hex digits each)");
    return NULL;
  }
  return g_ascii_strdown(text, -1);
}

static char *
mdev_uuid(const char *text, const char *body, GError **error)
{
  /* 8-4-4-4-12 hex digits, as libvirt and mdevctl print them */
  static const int dashes[] = {8, 13, 18, 23};
  gsize n = strlen(body);

  if (n != 36)
    goto bad;
  for (gsize i = 0, d = 0; i < n; i++) {
    if (d < G_N_ELEMENTS(dashes) && (int)i == dashes[d]) {
      if (body[i] != '-')
        goto bad;
      d++;
    } else if (!g_ascii_isxdigit(body[i])) {
      goto bad;
    }
  }
  return g_ascii_strdown(text, -1);
bad:
  invalid(error, text, "expected mdev:UUID (8-4-4-4-12 hex digits)");
  return NULL;
}

char *
pass_device_id_canonicalize(const char *text, PassDeviceIdKind *kind, GError **error)
{
  PassDeviceIdKind found;
  char *canonical;

  g_return_val_if_fail(text != NULL, NULL);
  if (g_ascii_strncasecmp(text, USB_PREFIX, strlen(USB_PREFIX)) == 0) {
    const char *body = text + strlen(USB_PREFIX);

    /* "usb:3-1" has a dash, "usb:0930:6545" a colon: the two forms cannot be confused. */
    if (strchr(body, ':')) {
      found = PASS_DEVICE_ID_USB_VENDOR;
      canonical = usb_vendor(text, body, error);
    } else {
      found = PASS_DEVICE_ID_USB_PORT;
      canonical = usb_port(text, body, error);
    }
  } else if (g_ascii_strncasecmp(text, MDEV_PREFIX, strlen(MDEV_PREFIX)) == 0) {
    found = PASS_DEVICE_ID_MDEV;
    canonical = mdev_uuid(text, text + strlen(MDEV_PREFIX), error);
  } else {
    found = PASS_DEVICE_ID_PCI;
    canonical = pass_address_canonicalize(text, error);
  }
  if (canonical && kind)
    *kind = found;
  return canonical;
}
