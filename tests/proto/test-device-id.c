/* pass_device_id_canonicalize(): every kind's accepted spellings and its refusals. */
#include <string.h>

#include "pass-device-id.h"
#include "pass-error.h"

static const struct {
  const char *text;
  const char *canonical;
  PassDeviceIdKind kind;
} valid[] = {
    {"0000:3B:00.2", "0000:3b:00.2", PASS_DEVICE_ID_PCI},
    {"pci_0000_00_1d_7", "0000:00:1d.7", PASS_DEVICE_ID_PCI},
    {"usb:3-1", "usb:3-1", PASS_DEVICE_ID_USB_PORT},
    {"usb:3-1.2", "usb:3-1.2", PASS_DEVICE_ID_USB_PORT},
    {"USB:003-01.02", "usb:3-1.2", PASS_DEVICE_ID_USB_PORT},
    {"usb:999-255.1.2.3.4.5.6", "usb:999-255.1.2.3.4.5.6", PASS_DEVICE_ID_USB_PORT},
    {"usb:0930:6545", "usb:0930:6545", PASS_DEVICE_ID_USB_VENDOR},
    {"usb:46F4:0001", "usb:46f4:0001", PASS_DEVICE_ID_USB_VENDOR},
    {"mdev:8D1D4A4C-2B5E-4A0B-9C2E-0123456789AB", "mdev:8d1d4a4c-2b5e-4a0b-9c2e-0123456789ab",
     PASS_DEVICE_ID_MDEV},
};

static const struct {
  const char *text;
  const char *message_part;
} invalid[] = {
    {"usb:", "expected usb:BUS-PORT"},
    {"usb:3", "expected usb:BUS-PORT"},
    {"usb:3-", "ports 1-255"},
    {"usb:0-1", "bus 1-999"},
    {"usb:1000-1", "bus 1-999"},
    {"usb:3-0", "ports 1-255"},
    {"usb:3-256", "ports 1-255"},
    {"usb:3-1.", "ports 1-255"},
    {"usb:3-1..2", "ports 1-255"},
    {"usb:3-1.2.3.4.5.6.7.8", "at most 7 deep"},
    {"usb:3-1x", "expected usb:BUS-PORT"},
    {"usb:3-1 ", "expected usb:BUS-PORT"},
    {"usb:-1", "bus 1-999"},
    {"usb:+3-1", "bus 1-999"},
    {"usb:0930", "expected usb:BUS-PORT"},
    {"usb:0930:654", "four hex digits"},
    {"usb:0930:65456", "four hex digits"},
    {"usb:093g:6545", "four hex digits"},
    {"usb:0930:6545:1", "four hex digits"},
    {"usb::", "four hex digits"},
    {"mdev:", "expected mdev:UUID"},
    {"mdev:8d1d4a4c2b5e4a0b9c2e0123456789ab", "expected mdev:UUID"},
    {"mdev:8d1d4a4c-2b5e-4a0b-9c2e-0123456789a", "expected mdev:UUID"},
    {"mdev:8d1d4a4c-2b5e-4a0b-9c2e-0123456789ag", "expected mdev:UUID"},
    {"mdev:8d1d4a4c-2b5e-4a0b-9c2e_0123456789ab", "expected mdev:UUID"},
    {"mdev:8d1d4a4c-2b5e-4a0b-9c2e-0123456789abc", "expected mdev:UUID"},
    {"0000:00:20.0", "slot 0x20 out of range"},
    {"bogus", "is not a PCI address"},
};

static void
test_valid(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(valid); i++) {
    g_autoptr(GError) error = NULL;
    PassDeviceIdKind kind = (PassDeviceIdKind)-1;

    g_test_message("valid: %s", valid[i].text);
    g_autofree char *canonical = pass_device_id_canonicalize(valid[i].text, &kind, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(canonical, ==, valid[i].canonical);
    g_assert_cmpint(kind, ==, valid[i].kind);
    /* the canonical form is a fixed point */
    g_autofree char *again = pass_device_id_canonicalize(canonical, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(again, ==, canonical);
  }
}

static void
test_invalid(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(invalid); i++) {
    g_autoptr(GError) error = NULL;
    PassDeviceIdKind kind = PASS_DEVICE_ID_MDEV;

    g_test_message("invalid: %s", invalid[i].text);
    g_assert_null(pass_device_id_canonicalize(invalid[i].text, &kind, &error));
    g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
    g_assert_nonnull(strstr(error->message, invalid[i].message_part));
    /* a refusal leaves the kind alone */
    g_assert_cmpint(kind, ==, PASS_DEVICE_ID_MDEV);
  }
}

static void
test_long_input_is_cut(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strnfill(4096, '1');
  g_autofree char *usb = g_strconcat("usb:", text, NULL);

  g_assert_null(pass_device_id_canonicalize(usb, NULL, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpuint(strlen(error->message), <, 200);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/device-id/valid", test_valid);
  g_test_add_func("/device-id/invalid", test_invalid);
  g_test_add_func("/device-id/long-input-is-cut", test_long_input_is_cut);
  return g_test_run();
}
