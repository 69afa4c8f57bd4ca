/* passctl vm: a GetDomain reply as a header line and a table of assignments. */
#include <string.h>

#include "format.h"

static JsonObject *
parse_object(const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data(parser, text, -1, &error);
  g_assert_no_error(error);
  return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static void
test_table(void)
{
  g_autoptr(JsonObject) domain = parse_object(
      "{\"name\": \"vm1\", \"state\": \"running\", \"persistent\": true, \"devices\": ["
      " {\"address\": \"0000:02:00.1\", \"guest_address\": \"0000:07:00.0\","
      "  \"vendor_id\": \"0x8086\", \"product_id\": \"0x10c9\", \"vendor\": \"Intel Corporation\","
      "  \"product\": \"82576 Gigabit Network Connection\", \"live\": true, \"config\": true,"
      "  \"interface\": false, \"removal_pending\": false},"
      " {\"address\": \"0000:02:10.2\", \"guest_address\": \"0000:08:00.0\","
      "  \"vendor_id\": \"0x8086\", \"product_id\": \"0x10ca\", \"vendor\": \"Intel Corporation\","
      "  \"product\": null, \"live\": true, \"config\": false, \"interface\": true,"
      "  \"mac\": \"52:54:00:aa:bb:01\", \"vlan\": 42, \"removal_pending\": true},"
      " {\"address\": \"0000:05:00.0\", \"guest_address\": null, \"vendor_id\": null,"
      "  \"product_id\": null, \"vendor\": null, \"product\": null, \"live\": false,"
      "  \"config\": true, \"interface\": false, \"removal_pending\": false}"
      "]}");
  g_autofree char *text = passctl_format_domain(domain);

  g_assert_cmpstr(
      text, ==,
      "vm1 (running, persistent)\n"
      "HOST ADDRESS  GUEST ADDRESS  VENDOR:PRODUCT  WHERE        KIND       MAC                "
      "VLAN  NAME\n"
      "0000:02:00.1  0000:07:00.0   8086:10c9       live+config  hostdev    -                  "
      "-     Intel Corporation 82576 Gigabit Network Connection\n"
      "0000:02:10.2  0000:08:00.0   8086:10ca       live         interface  52:54:00:aa:bb:01  "
      "42    Intel Corporation (removal pending)\n"
      "0000:05:00.0  -              -               config       hostdev    -                  "
      "-     -\n");
}

static void
test_empty(void)
{
  g_autoptr(JsonObject) domain = parse_object(
      "{\"name\": \"web-2\", \"state\": \"shutoff\", \"persistent\": false, \"devices\": []}");
  g_autofree char *text = passctl_format_domain(domain);

  g_assert_cmpstr(text, ==, "web-2 (shutoff, transient)\nno host devices\n");
}

static void
test_odd_reply(void)
{
  /* Missing or mistyped members read as unknown instead of asserting. */
  g_autoptr(JsonObject) domain =
      parse_object("{\"name\": 3, \"devices\": [7, {\"address\": \"0000:01:00.0\", "
                   "\"removal_pending\": true, \"live\": \"yes\"}]}");
  g_autofree char *text = passctl_format_domain(domain);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

  g_assert_cmpstr(lines[0], ==, "? (?, ?)");
  g_assert_true(g_str_has_prefix(lines[1], "HOST ADDRESS  "));
  g_assert_cmpstr(lines[2], ==,
                  "0000:01:00.0  -              -               -      hostdev  -    -     "
                  "(removal pending)");
  g_assert_cmpstr(lines[3], ==, "");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/client/vm/table", test_table);
  g_test_add_func("/client/vm/empty", test_empty);
  g_test_add_func("/client/vm/odd", test_odd_reply);
  return g_test_run();
}
