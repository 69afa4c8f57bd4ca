/* pass_address_parse() and friends: every accepted spelling, every rejected one. */
#include "pass-address.h"
#include "pass-error.h"

static const struct {
  const char *text;
  const char *canonical;
} valid[] = {
    {"0000:00:00.0", "0000:00:00.0"},     {"0000:3b:00.2", "0000:3b:00.2"},
    {"0000:3B:00.2", "0000:3b:00.2"},     {"ffff:ff:1f.7", "ffff:ff:1f.7"},
    {"FFFF:FF:1F.7", "ffff:ff:1f.7"},     {"1:2:3.4", "0001:02:03.4"},
    {"abcd:ef:1a.5", "abcd:ef:1a.5"},     {"00:1d.7", "0000:00:1d.7"},
    {"3b:00.2", "0000:3b:00.2"},          {"0:0.0", "0000:00:00.0"},
    {"pci_0000_00_1d_7", "0000:00:1d.7"}, {"pci_0000_3B_00_2", "0000:3b:00.2"},
    {"pci_ffff_ff_1f_7", "ffff:ff:1f.7"}, {"pci_1_2_3_4", "0001:02:03.4"},
};

static const struct {
  const char *text;
  const char *message_part;
} invalid[] = {
    {"", "'' is not a PCI address (expected DDDD:BB:SS.F)"},
    {"00:1g.0", "'00:1g.0' is not a PCI address (expected DDDD:BB:SS.F)"},
    {" 0000:00:1d.7", "is not a PCI address"},
    {"0000:00:1d.7 ", "is not a PCI address"},
    {"0000:00:1d.7\n", "is not a PCI address"},
    {"+000:00:1d.7", "is not a PCI address"},
    {"-1:00:1d.7", "is not a PCI address"},
    {"0000:-0:1d.7", "is not a PCI address"},
    {"0x00:00:1d.7", "is not a PCI address"},
    {"00000:00:1d.7", "is not a PCI address"},
    {"0000:000:1d.7", "is not a PCI address"},
    {"0000:00:01d.7", "is not a PCI address"},
    {"0000:00:1d.07", "is not a PCI address"},
    {"0000:00:1d", "is not a PCI address"},
    {"0000:00:1d.", "is not a PCI address"},
    {"0000:00.1d.7", "is not a PCI address"},
    {"0000:00:1d:7", "is not a PCI address"},
    {"0000::1d.7", "is not a PCI address"},
    {":00:1d.7", "is not a PCI address"},
    {"0000:00:00:1d.7", "is not a PCI address"},
    {"1d.7", "is not a PCI address"},
    {"0000:00:1d.7x", "is not a PCI address"},
    {"0000:00:20.0", "slot 0x20 out of range (max 0x1f)"},
    {"00:ff.0", "slot 0xff out of range (max 0x1f)"},
    {"0000:00:1f.8", "function 8 out of range (max 7)"},
    {"0000:00:1f.f", "function 15 out of range (max 7)"},
    {"pci_0000_00_20_0", "slot 0x20 out of range"},
    {"pci_0000_00_1d_8", "function 8 out of range"},
    {"pci_0000_00_1d", "is not a PCI address"},
    {"pci_0000_00_1d_7_", "is not a PCI address"},
    {"pci_00000_00_1d_7", "is not a PCI address"},
    {"pci_0000:00:1d.7", "is not a PCI address"},
    {"PCI_0000_00_1d_7", "is not a PCI address"},
    {"pci_", "is not a PCI address"},
    {"pci-0000-00-1d-7", "is not a PCI address"},
    {"0000_00_1d_7", "is not a PCI address"},
    {"bogus\x01", "'bogus\\001' is not a PCI address"},
};

static void
test_valid(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(valid); i++) {
    g_autoptr(GError) error = NULL;
    PassAddress addr = {0};

    g_test_message("valid: %s", valid[i].text);
    g_assert_true(pass_address_parse(valid[i].text, &addr, &error));
    g_assert_no_error(error);
    g_autofree char *text = pass_address_to_string(&addr);
    g_assert_cmpstr(text, ==, valid[i].canonical);
    g_autofree char *canonical = pass_address_canonicalize(valid[i].text, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(canonical, ==, valid[i].canonical);
  }
}

static void
test_invalid(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(invalid); i++) {
    g_autoptr(GError) error = NULL;
    PassAddress addr = {0};

    g_autofree char *escaped = g_strescape(invalid[i].text, NULL);
    g_test_message("invalid: %s", escaped);
    g_assert_false(pass_address_parse(invalid[i].text, &addr, &error));
    g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
    if (!g_str_has_prefix(error->message, invalid[i].message_part))
      g_assert_nonnull(strstr(error->message, invalid[i].message_part));
    g_clear_error(&error);
    g_assert_null(pass_address_canonicalize(invalid[i].text, &error));
    g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  }
}

static void
test_fields(void)
{
  PassAddress addr = {0};

  g_assert_true(pass_address_parse("abcd:ef:1a.5", &addr, NULL));
  g_assert_cmpuint(addr.domain, ==, 0xabcd);
  g_assert_cmpuint(addr.bus, ==, 0xef);
  g_assert_cmpuint(addr.slot, ==, 0x1a);
  g_assert_cmpuint(addr.function, ==, 5);

  g_autofree char *name = pass_address_to_nodedev_name(&addr);
  g_assert_cmpstr(name, ==, "pci_abcd_ef_1a_5");

  /* NULL input and NULL output are tolerated. */
  g_assert_false(pass_address_parse(NULL, &addr, NULL));
  g_assert_true(pass_address_parse("00:00.0", NULL, NULL));
}

static void
test_long_input_is_cut(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *longer = g_strnfill(500, 'a');

  g_assert_false(pass_address_parse(longer, NULL, &error));
  g_assert_cmpuint(strlen(error->message), <, 200);
  g_assert_nonnull(strstr(error->message, "..."));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/address/valid", test_valid);
  g_test_add_func("/address/invalid", test_invalid);
  g_test_add_func("/address/fields", test_fields);
  g_test_add_func("/address/long-input", test_long_input_is_cut);
  return g_test_run();
}
