/* pass_xml_build_hostdev: exact XML for libvirt, and refusal of malformed input. */
#include <glib.h>
#include <string.h>

#include "xml-hostdev.h"
#include "pass-error.h"

static void
test_hostdev(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = pass_xml_build_hostdev("0000:02:00.1", FALSE, NULL, &error);

  g_assert_no_error(error);
  g_assert_cmpstr(xml, ==,
                  "<hostdev mode=\"subsystem\" type=\"pci\" managed=\"no\">\n"
                  "  <driver name=\"vfio\"/>\n"
                  "  <source>\n"
                  "    <address domain=\"0x0000\" bus=\"0x02\" slot=\"0x00\" function=\"0x1\"/>\n"
                  "  </source>\n"
                  "</hostdev>");
}

static void
test_address_forms(void)
{
  /* Short form, node-device name and upper case all give the same canonical source. */
  const char *inputs[] = {"3b:1f.7", "pci_10de_3b_1f_7", "10DE:3B:1F.7"};
  const char *expected[] = {
      "<address domain=\"0x0000\" bus=\"0x3b\" slot=\"0x1f\" function=\"0x7\"/>",
      "<address domain=\"0x10de\" bus=\"0x3b\" slot=\"0x1f\" function=\"0x7\"/>",
      "<address domain=\"0x10de\" bus=\"0x3b\" slot=\"0x1f\" function=\"0x7\"/>",
  };

  for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = pass_xml_build_hostdev(inputs[i], FALSE, NULL, &error);

    g_assert_no_error(error);
    g_assert_nonnull(strstr(xml, expected[i]));
  }
}

static void
test_interface(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = pass_xml_build_hostdev("0000:3b:02.3", TRUE, NULL, &error);

  g_assert_no_error(error);
  g_assert_cmpstr(xml, ==,
                  "<interface type=\"hostdev\" managed=\"no\">\n"
                  "  <driver name=\"vfio\"/>\n"
                  "  <source>\n"
                  "    <address type=\"pci\" domain=\"0x0000\" bus=\"0x3b\" slot=\"0x02\" "
                  "function=\"0x3\"/>\n"
                  "  </source>\n"
                  "</interface>");
}

static void
test_interface_mac(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = pass_xml_build_hostdev("0000:3b:02.3", TRUE, "52:54:00:AB:cd:01", &error);

  g_assert_no_error(error);
  g_assert_cmpstr(xml, ==,
                  "<interface type=\"hostdev\" managed=\"no\">\n"
                  "  <mac address=\"52:54:00:ab:cd:01\"/>\n"
                  "  <driver name=\"vfio\"/>\n"
                  "  <source>\n"
                  "    <address type=\"pci\" domain=\"0x0000\" bus=\"0x3b\" slot=\"0x02\" "
                  "function=\"0x3\"/>\n"
                  "  </source>\n"
                  "</interface>");
}

static void
test_invalid(void)
{
  struct {
    const char *address;
    gboolean as_interface;
    const char *mac;
  } cases[] = {
      {"0000:02:00.8", FALSE, NULL},      /* function out of range */
      {"0000:02:00.1'/><x", FALSE, NULL}, /* markup in the address */
      {"", FALSE, NULL},
      {"0000:02:00.1", TRUE, "52:54:00:ab:cd"}, /* short MAC */
      {"0000:02:00.1", TRUE, "52:54:00:ab:cd:0g"},
      {"0000:02:00.1", TRUE, "52:54:00:ab:cd:01'/>"},
      {"0000:02:00.1", FALSE, "52:54:00:ab:cd:01"}, /* MAC on a plain hostdev */
  };

  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *xml =
        pass_xml_build_hostdev(cases[i].address, cases[i].as_interface, cases[i].mac, &error);

    g_assert_null(xml);
    g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/hostdev-xml/hostdev", test_hostdev);
  g_test_add_func("/hostdev-xml/address-forms", test_address_forms);
  g_test_add_func("/hostdev-xml/interface", test_interface);
  g_test_add_func("/hostdev-xml/interface-mac", test_interface_mac);
  g_test_add_func("/hostdev-xml/invalid", test_invalid);
  return g_test_run();
}
