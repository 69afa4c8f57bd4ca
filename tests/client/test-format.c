/* passctl's pure formatting: canned replies shaped like io.passd.Manager's types in, text out. */
#include <string.h>

#include "format.h"

static JsonObject *
load_reply(const char *name)
{
  g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", name, NULL);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file(parser, path, &error);
  g_assert_no_error(error);
  return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static JsonObject *
parse_object(const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data(parser, text, -1, &error);
  g_assert_no_error(error);
  return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static JsonObject *
find_device(JsonObject *reply, const char *address)
{
  JsonArray *devices = json_object_get_array_member(reply, "devices");

  for (guint i = 0; i < json_array_get_length(devices); i++) {
    JsonObject *device = json_array_get_object_element(devices, i);

    if (g_str_equal(json_object_get_string_member(device, "address"), address))
      return device;
  }
  g_assert_not_reached();
}

static const char *
find_line(char **lines, const char *prefix)
{
  for (; *lines; lines++)
    if (g_str_has_prefix(*lines, prefix))
      return *lines;
  g_assert_not_reached();
}

/* The cell of @line under @header's column (columns are split by two blanks). */
static char *
cell_under(const char *header_line, const char *line, const char *header)
{
  const char *at = strstr(header_line, header);
  gsize offset;
  const char *end;

  g_assert_nonnull(at);
  offset = at - header_line;
  g_assert_cmpuint(strlen(line), >, offset);
  /* A column starts after the separator, never in the middle of the cell before it. */
  if (offset > 0)
    g_assert_cmpint(line[offset - 1], ==, ' ');
  end = strstr(line + offset, "  ");
  return end ? g_strndup(line + offset, end - (line + offset)) : g_strdup(line + offset);
}

static void
assert_no_trailing_blanks(char **lines)
{
  for (; *lines; lines++)
    if (**lines)
      g_assert_cmpint((*lines)[strlen(*lines) - 1], !=, ' ');
}

static void
assert_cell(const char *header_line, const char *line, const char *header, const char *expected)
{
  g_autofree char *cell = cell_under(header_line, line, header);

  g_assert_cmpstr(cell, ==, expected);
}

static void
test_table(void)
{
  g_autoptr(JsonObject) reply = load_reply("devices.json");
  g_autofree char *text =
      passctl_format_device_table(json_object_get_array_member(reply, "devices"), 0);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  const char *header = lines[0];
  const char *host = find_line(lines, "0000:00:00.0");
  const char *pf = find_line(lines, "0000:02:00.0");
  const char *vf = find_line(lines, "0000:02:10.2");
  const char *xhci = find_line(lines, "0000:05:00.0");

  g_assert_true(g_str_has_suffix(text, "\n"));
  g_assert_cmpuint(g_strv_length(lines), ==, 1 + 7 + 1); /* header, rows, "" after the last \n */
  g_assert_true(g_regex_match_simple("^ADDRESS +VENDOR:PRODUCT +CLASS +DRIVER +IOMMU +NUMA "
                                     "+SR-IOV +OWNERS +NAME$",
                                     header, 0, 0));
  assert_no_trailing_blanks(lines);

  assert_cell(header, host, "VENDOR:PRODUCT", "8086:29c0");
  assert_cell(header, host, "CLASS", "060000");
  assert_cell(header, host, "DRIVER", "-");
  assert_cell(header, host, "IOMMU", "0");
  assert_cell(header, host, "NUMA", "-");
  assert_cell(header, host, "SR-IOV", "-");
  assert_cell(header, host, "OWNERS", "-");
  assert_cell(header, host, "NAME", "Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller");

  assert_cell(header, pf, "DRIVER", "igb");
  assert_cell(header, pf, "IOMMU", "12");
  assert_cell(header, pf, "SR-IOV", "PF 2/7");

  assert_cell(header, vf, "DRIVER", "vfio-pci");
  assert_cell(header, vf, "SR-IOV", "VF of 0000:02:00.0");
  assert_cell(header, vf, "OWNERS", "vm1,web-2");
  assert_cell(header, vf, "NAME", "Intel Corporation");

  assert_cell(header, xhci, "VENDOR:PRODUCT", "1b36:000d");
  assert_cell(header, xhci, "IOMMU", "-");
  assert_cell(header, xhci, "NAME", "-");
}

/* A device passd shows from sysfs before libvirt lists it has no names: the NAME cell says so. */
static void
test_names_provisional(void)
{
  g_autoptr(JsonObject) device = json_object_new();
  g_autofree char *none = NULL;
  g_autofree char *said = NULL;

  json_object_set_string_member(device, "address", "0000:41:00.3");
  json_object_set_null_member(device, "vendor");
  json_object_set_null_member(device, "product");
  none = passctl_device_names(device);
  g_assert_null(none);
  json_object_set_boolean_member(device, "provisional", TRUE);
  said = passctl_device_names(device);
  g_assert_cmpstr(said, ==, "(new: libvirt does not list it yet)");
}

static void
test_table_width(void)
{
  g_autoptr(JsonObject) reply = load_reply("devices.json");
  JsonArray *devices = json_object_get_array_member(reply, "devices");
  g_autofree char *full = passctl_format_device_table(devices, 0);
  g_autofree char *cut = passctl_format_device_table(devices, 100);
  g_auto(GStrv) full_lines = g_strsplit(full, "\n", -1);
  g_auto(GStrv) cut_lines = g_strsplit(cut, "\n", -1);
  gboolean any_cut = FALSE;

  g_assert_cmpuint(g_strv_length(full_lines), ==, g_strv_length(cut_lines));
  for (guint i = 0; full_lines[i]; i++) {
    g_assert_cmpuint(strlen(cut_lines[i]), <=, 100);
    /* Only the tail gives way: a cut line is a prefix of the full one. */
    g_assert_true(g_str_has_prefix(full_lines[i], cut_lines[i]));
    if (strlen(full_lines[i]) > 100) {
      g_assert_cmpuint(strlen(cut_lines[i]), ==, 100);
      any_cut = TRUE;
    }
  }
  g_assert_true(any_cut);
}

static void
test_table_empty(void)
{
  g_autoptr(JsonArray) devices = json_array_new();
  g_autofree char *text = passctl_format_device_table(devices, 0);

  g_assert_true(g_str_has_prefix(text, "ADDRESS  VENDOR:PRODUCT  CLASS  DRIVER"));
  g_assert_cmpstr(strchr(text, '\n'), ==, "\n");
}

static void
test_table_utf8_alignment(void)
{
  g_autoptr(PassctlTable) table = passctl_table_new(3, (const char *[]){"A", "B", "C"});
  g_autofree char *text = NULL;

  passctl_table_add_row(table, (const char *[]){"Ä€ö", "x", "end"});
  passctl_table_add_row(table, (const char *[]){"abcd", NULL, ""});
  text = passctl_table_render(table, 0);
  /* Width counts characters, not bytes; a NULL cell is "-", an empty last cell no blanks. */
  g_assert_cmpstr(text, ==,
                  "A     B  C\n"
                  "Ä€ö   x  end\n"
                  "abcd  -\n");
}

static void
test_table_skips_empty_columns(void)
{
  g_autoptr(PassctlTable) table = passctl_table_new(3, NULL);
  g_autofree char *text = NULL;

  passctl_table_add_row(table, (const char *[]){"a", "", "c"});
  passctl_table_add_row(table, (const char *[]){"bb", "", "d"});
  text = passctl_table_render(table, 0);
  g_assert_cmpstr(text, ==, "a   c\nbb  d\n");
}

static void
test_text_truncate(void)
{
  g_autofree char *a = passctl_text_truncate("Ä€öx", 2);
  g_autofree char *b = passctl_text_truncate("abc", 10);

  g_assert_cmpstr(a, ==, "Ä€");
  g_assert_cmpstr(b, ==, "abc");
  g_assert_cmpuint(passctl_text_width("Ä€ö"), ==, 3);
  g_assert_cmpuint(passctl_text_width("a\xff"
                                      "b"),
                   ==, 3);
}

static void
test_tree_ascii(void)
{
  g_autoptr(JsonObject) reply = load_reply("devices.json");
  g_autofree char *text =
      passctl_format_device_tree(json_object_get_array_member(reply, "devices"), FALSE, 0);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

  g_assert_cmpuint(g_strv_length(lines), ==, 7 + 1);
  assert_no_trailing_blanks(lines);
  /* Roots sorted; VFs under their PF although PCI puts them behind the bridge; the last child
   * gets the closing connector and its subtree no pipe; a parent that is not listed
   * (0000:00:1e.0) makes a root; empty owners leave no brackets. */
  g_assert_cmpstr(text, ==,
                  "0000:00:00.0        8086:29c0  -                      Intel Corporation "
                  "82G33/G31/P35/P31 Express DRAM Controller\n"
                  "0000:00:1c.0        8086:2940  pcieport               Intel Corporation "
                  "82801I PCI Express Port 1\n"
                  "+- 0000:02:00.0     8086:10c9  igb                    Intel Corporation "
                  "82576 Gigabit Network Connection\n"
                  "|  +- 0000:02:10.0  8086:10ca  igbvf                  Intel Corporation "
                  "82576 Virtual Function\n"
                  "|  `- 0000:02:10.2  8086:10ca  vfio-pci  [vm1,web-2]  Intel Corporation\n"
                  "`- 0000:02:00.1     8086:10c9  igb                    Intel Corporation "
                  "82576 Gigabit Network Connection\n"
                  "0000:05:00.0        1b36:000d  -\n");
  g_assert_cmpstr(lines[7], ==, "");
}

static void
test_tree_alignment(void)
{
  g_autoptr(JsonObject) reply = load_reply("devices.json");
  g_autofree char *text =
      passctl_format_device_tree(json_object_get_array_member(reply, "devices"), FALSE, 0);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  const char *col = strstr(lines[0], "8086:29c0");

  /* The ids column starts at the same place whatever the depth. */
  for (guint i = 0; lines[i] && *lines[i]; i++) {
    const char *ids = lines[i] + (col - lines[0]);

    g_assert_true(g_ascii_isxdigit(ids[0]));
    g_assert_cmpint(ids[4], ==, ':');
    g_assert_cmpint(ids[-1], ==, ' ');
  }
}

static void
test_tree_utf8(void)
{
  g_autoptr(JsonObject) reply = load_reply("devices.json");
  g_autofree char *text =
      passctl_format_device_tree(json_object_get_array_member(reply, "devices"), TRUE, 0);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

  g_assert_true(g_str_has_prefix(lines[2], "├─ 0000:02:00.0  "));
  g_assert_true(g_str_has_prefix(lines[3], "│  ├─ 0000:02:10.0  "));
  g_assert_true(g_str_has_prefix(lines[4], "│  └─ 0000:02:10.2  "));
  g_assert_true(g_str_has_prefix(lines[5], "└─ 0000:02:00.1  "));
  /* Aligned by characters, not bytes: the ids start in the same column as in ASCII. */
  g_assert_cmpuint(g_utf8_pointer_to_offset(lines[3], strstr(lines[3], "8086")), ==,
                   g_utf8_pointer_to_offset(lines[0], strstr(lines[0], "8086")));
}

static void
test_tree_bridge_and_orphan_vf(void)
{
  /* A bridge with an endpoint; a VF whose PF is filtered out goes under its bridge. */
  g_autoptr(JsonObject) reply = parse_object(
      "{\"devices\": ["
      " {\"address\": \"0000:00:01.0\", \"vendor_id\": \"0x8086\", \"product_id\": \"0x0001\","
      "  \"driver\": \"pcieport\", \"parent\": null, \"owners\": []},"
      " {\"address\": \"0000:01:00.0\", \"vendor_id\": \"0x10de\", \"product_id\": \"0x1eb8\","
      "  \"driver\": \"vfio-pci\", \"parent\": \"0000:00:01.0\", \"owners\": [\"gpu-vm\"]},"
      " {\"address\": \"0000:01:10.0\", \"vendor_id\": \"0x15b3\", \"product_id\": \"0x101c\","
      "  \"driver\": null, \"parent\": \"0000:00:01.0\", \"physfn\": \"0000:01:00.1\","
      "  \"owners\": []}"
      "]}");
  g_autofree char *text =
      passctl_format_device_tree(json_object_get_array_member(reply, "devices"), FALSE, 0);

  g_assert_cmpstr(text, ==,
                  "0000:00:01.0     8086:0001  pcieport\n"
                  "+- 0000:01:00.0  10de:1eb8  vfio-pci  [gpu-vm]\n"
                  "`- 0000:01:10.0  15b3:101c  -\n");
}

static void
test_tree_cycle(void)
{
  /* Bad data must not hang or drop devices. */
  g_autoptr(JsonObject) reply = parse_object(
      "{\"devices\": ["
      " {\"address\": \"0000:00:02.0\", \"vendor_id\": \"0x1\", \"product_id\": \"0x2\","
      "  \"parent\": \"0000:00:03.0\"},"
      " {\"address\": \"0000:00:03.0\", \"vendor_id\": \"0x1\", \"product_id\": \"0x2\","
      "  \"parent\": \"0000:00:02.0\"}"
      "]}");
  g_autofree char *text =
      passctl_format_device_tree(json_object_get_array_member(reply, "devices"), FALSE, 0);

  g_assert_nonnull(strstr(text, "0000:00:02.0"));
  g_assert_nonnull(strstr(text, "0000:00:03.0"));
}

static void
test_show_pf(void)
{
  g_autoptr(JsonObject) reply = load_reply("devices.json");
  g_autoptr(GHashTable) group = g_hash_table_new(g_str_hash, g_str_equal);
  g_autofree char *text = NULL;

  /* 0000:02:00.2 is in the group but could not be fetched. */
  g_hash_table_insert(group, "0000:02:00.1", find_device(reply, "0000:02:00.1"));
  text = passctl_format_device_show(find_device(reply, "0000:02:00.0"), group);
  g_assert_cmpstr(text, ==,
                  "Address:            0000:02:00.0\n"
                  "Name:               pci_0000_02_00_0\n"
                  "Vendor:             Intel Corporation (0x8086)\n"
                  "Product:            82576 Gigabit Network Connection (0x10c9)\n"
                  "Class:              0x020000 (network controller)\n"
                  "Driver:             igb\n"
                  "IOMMU group:        12 (3 devices)\n"
                  "                    0000:02:00.0  igb  (this device)\n"
                  "                    0000:02:00.1  igb\n"
                  "                    0000:02:00.2  ?\n"
                  "NUMA node:          0\n"
                  "Parent:             0000:00:1c.0\n"
                  "Interfaces:         enp2s0f0, enp2s0f0d1\n"
                  "Virtual functions:  2 of 7\n"
                  "                    0000:02:10.0\n"
                  "                    0000:02:10.2\n"
                  "Owners:             none\n");
}

/* An mdev: its type, parent and state instead of PCI ids; the types table. */
static void
test_show_mdev(void)
{
  g_autoptr(JsonObject) device = parse_object(
      "{\"address\": \"mdev:0b5e9a7e-1d4c-4a8e-9f3e-2c4d5e6f7a80\", \"kind\": \"mdev\", "
      "\"name\": \"mdev_0b5e9a7e_1d4c_4a8e_9f3e_2c4d5e6f7a80_mtty\", \"driver\": \"mtty\", "
      "\"iommu_group\": 16, \"iommu_group_members\": "
      "[\"mdev:0b5e9a7e-1d4c-4a8e-9f3e-2c4d5e6f7a80\"], \"owners\": [\"vm1\"], \"mdev\": "
      "{\"type\": \"mtty-2\", \"parent\": \"mtty\", \"active\": true, \"persistent\": true, "
      "\"autostart\": true}}");
  g_autoptr(JsonObject) types = parse_object(
      "{\"types\": [{\"parent\": \"0000:3b:00.0\", \"parent_name\": \"pci_0000_3b_00_0\", "
      "\"id\": \"nvidia-222\", \"name\": null, \"device_api\": \"vfio-pci\", \"available\": 16},"
      "{\"parent\": \"mtty\", \"parent_name\": \"mtty_mtty\", \"id\": \"mtty-1\", \"name\": "
      "\"Single port serial\", \"device_api\": \"vfio-pci\", \"available\": 0}]}");
  g_autoptr(JsonObject) none = parse_object("{\"types\": []}");
  g_autofree char *text = passctl_format_device_show(device, NULL);
  g_autofree char *table = passctl_format_mdev_types(passctl_json_array(types, "types"), 0);
  g_autofree char *empty = passctl_format_mdev_types(passctl_json_array(none, "types"), 0);

  g_assert_cmpstr(
      text, ==,
      "Address:            mdev:0b5e9a7e-1d4c-4a8e-9f3e-2c4d5e6f7a80\n"
      "Name:               mdev_0b5e9a7e_1d4c_4a8e_9f3e_2c4d5e6f7a80_mtty\n"
      "Type:               mtty-2\n"
      "Parent:             mtty\n"
      "State:              active, persistent, autostart\n"
      "Driver:             mtty\n"
      "IOMMU group:        16 (1 device)\n"
      "                    mdev:0b5e9a7e-1d4c-4a8e-9f3e-2c4d5e6f7a80  mtty  (this device)\n"
      "Owners:             vm1\n");
  g_assert_cmpstr(table, ==,
                  "PARENT        TYPE        AVAILABLE  API       NAME\n"
                  "0000:3b:00.0  nvidia-222  16         vfio-pci  -\n"
                  "mtty          mtty-1      0          vfio-pci  Single port serial\n");
  g_assert_cmpstr(empty, ==, "No mediated device types on this host.\n");
}

static void
test_show_vf(void)
{
  g_autoptr(JsonObject) reply = load_reply("devices.json");
  g_autofree char *text = passctl_format_device_show(find_device(reply, "0000:02:10.2"), NULL);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

  g_assert_cmpstr(find_line(lines, "Product:"), ==, "Product:            unknown (0x10ca)");
  g_assert_cmpstr(find_line(lines, "IOMMU group:"), ==, "IOMMU group:        20 (1 device)");
  g_assert_cmpstr(find_line(lines, "Physical function:"), ==, "Physical function:  0000:02:00.0");
  g_assert_cmpstr(find_line(lines, "Owners:"), ==, "Owners:             vm1, web-2");
  g_assert_null(strstr(text, "Virtual functions:"));
}

static void
test_show_nulls(void)
{
  g_autoptr(JsonObject) reply = load_reply("devices.json");
  g_autofree char *text = passctl_format_device_show(find_device(reply, "0000:05:00.0"), NULL);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

  g_assert_cmpstr(find_line(lines, "Vendor:"), ==, "Vendor:             unknown (0x1b36)");
  g_assert_cmpstr(find_line(lines, "Class:"), ==,
                  "Class:              0x0c0330 (serial bus controller)");
  g_assert_cmpstr(find_line(lines, "Driver:"), ==, "Driver:             none");
  g_assert_cmpstr(find_line(lines, "IOMMU group:"), ==, "IOMMU group:        none");
  g_assert_cmpstr(find_line(lines, "NUMA node:"), ==, "NUMA node:          unknown");
  g_assert_null(strstr(text, "Physical function:"));
  g_assert_null(strstr(text, "Virtual functions:"));
}

static void
test_status(void)
{
  g_autoptr(JsonObject) up = parse_object("{\"version\": \"0.1.0\", \"uri\": \"test:///default\", "
                                          "\"connected\": true, \"devices\": 9}");
  g_autoptr(JsonObject) down = parse_object("{\"version\": \"0.1.0\", \"uri\": \"qemu:///system\", "
                                            "\"connected\": false, \"devices\": 0}");
  g_autofree char *a = passctl_format_status(up, "/run/x.sock");
  g_autofree char *b = passctl_format_status(down, NULL);

  g_assert_cmpstr(a, ==,
                  "Version:     0.1.0\n"
                  "Socket:      /run/x.sock\n"
                  "URI:         test:///default\n"
                  "Hypervisor:  connected\n"
                  "Devices:     9\n");
  g_assert_nonnull(strstr(b, "Hypervisor:  not connected\n"));
  g_assert_null(strstr(b, "Socket:"));
}

static void
test_events(void)
{
  static const struct {
    const char *event;
    const char *line; /* NULL: nothing printed */
  } cases[] = {
      {"{\"type\": \"subscribed\"}", NULL},
      {"{\"type\": \"added\", \"address\": \"0000:02:00.1\", \"device\": {\"address\": "
       "\"0000:02:00.1\", \"vendor_id\": \"0x8086\", \"product_id\": \"0x10ca\", \"driver\": "
       "\"igbvf\", \"physfn\": \"0000:02:00.0\", \"owners\": []}}",
       "12:00:01  added    0000:02:00.1  8086:10ca igbvf  VF of 0000:02:00.0\n"},
      {"{\"type\": \"added\", \"address\": \"0000:03:00.0\", \"device\": {\"vendor_id\": "
       "\"0x1af4\", \"product_id\": \"0x1041\", \"driver\": null, \"totalvfs\": null}}",
       "12:00:01  added    0000:03:00.0  1af4:1041 -\n"},
      {"{\"type\": \"removed\", \"address\": \"0000:02:00.1\", \"device\": null}",
       "12:00:01  removed  0000:02:00.1\n"},
      {"{\"type\": \"changed\", \"address\": \"0000:02:00.1\", \"device\": {\"driver\": "
       "\"vfio-pci\", \"owners\": [\"vm1\"]}}",
       "12:00:01  changed  0000:02:00.1  driver vfio-pci owners vm1\n"},
      {"{\"type\": \"changed\", \"address\": \"0000:02:00.1\", \"device\": {\"driver\": null, "
       "\"owners\": []}}",
       "12:00:01  changed  0000:02:00.1  driver - owners -\n"},
      {"{\"type\": \"owners\", \"address\": \"0000:02:00.1\", \"device\": {\"driver\": "
       "\"vfio-pci\", \"owners\": [\"vm1\", \"vm2\"]}}",
       "12:00:01  owners   0000:02:00.1  driver vfio-pci owners vm1,vm2\n"},
      {"{\"type\": \"hypervisor\", \"connected\": true}", "12:00:01  hypervisor connected\n"},
      {"{\"type\": \"hypervisor\", \"connected\": false, \"message\": \"libvirtd went\\naway\"}",
       "12:00:01  hypervisor disconnected: libvirtd went away\n"},
      {"{\"type\": \"rebalanced\", \"address\": \"0000:02:00.1\"}",
       "12:00:01  rebalanced 0000:02:00.1\n"},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(JsonObject) event = parse_object(cases[i].event);
    g_autofree char *line = passctl_format_event(event, "12:00:01");

    g_assert_cmpstr(line, ==, cases[i].line);
  }
}

/* The time is passd's, in the given zone; without a stamp it is now. */
static void
test_event_time(void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
  g_autoptr(GTimeZone) plus2 = g_time_zone_new_identifier("+02:00");
  g_autoptr(JsonObject) stamped =
      parse_object("{\"type\":\"removed\",\"timestamp\":1764650000123456,\"address\":\"x\"}");
  g_autoptr(JsonObject) bad = parse_object("{\"type\":\"removed\",\"timestamp\":\"soon\"}");
  g_autoptr(JsonObject) old = parse_object("{\"type\":\"removed\",\"address\":\"x\"}");
  g_autofree char *a = passctl_event_time(stamped, utc);
  g_autofree char *b = passctl_event_time(stamped, plus2);
  g_autofree char *c = passctl_event_time(bad, utc);
  g_autofree char *d = passctl_event_time(old, utc);

  g_assert_cmpstr(a, ==, "04:33:20");
  g_assert_cmpstr(b, ==, "06:33:20");
  g_assert_cmpuint(strlen(c), ==, 8);
  g_assert_cmpuint(strlen(d), ==, 8);
}

static void
test_fields(void)
{
  g_autoptr(JsonObject) odd =
      parse_object("{\"vendor_id\": 32902, \"product_id\": \"10d3\", \"class\": \"0x02\", \"vfs\": "
                   "[\"0000:01:10.0\"], \"totalvfs\": \"7\", \"owners\": [\"a\", 3, \"b\"], "
                   "\"iommu_group\": null, \"product\": \"X\"}");
  g_autofree char *ids = passctl_device_ids(odd);
  g_autofree char *class = passctl_device_class_short(odd);
  g_autofree char *sriov = passctl_device_sriov(odd);
  g_autofree char *owners = passctl_device_owners(odd, ",");
  g_autofree char *names = passctl_device_names(odd);
  gint64 value = 42;

  /* Mistyped members read as absent instead of asserting. */
  g_assert_cmpstr(ids, ==, "?:10d3");
  g_assert_cmpstr(class, ==, "02");
  g_assert_cmpstr(sriov, ==, "PF 1/?");
  g_assert_cmpstr(owners, ==, "a,b");
  g_assert_cmpstr(names, ==, "X");
  g_assert_false(passctl_json_int(odd, "iommu_group", &value));
  g_assert_false(passctl_json_int(odd, "missing", &value));
  g_assert_cmpint(value, ==, 42);
  g_assert_null(passctl_json_string(odd, "vendor_id"));
  g_assert_null(passctl_json_array(odd, "class"));
  g_assert_null(passctl_json_object(NULL, "x"));
  g_assert_cmpstr(passctl_class_name(odd), ==, "network controller");
  {
    g_autoptr(JsonObject) bad = parse_object("{\"class\": \"0xzz0000\"}");
    g_autoptr(JsonObject) high = parse_object("{\"class\": \"0xff0000\"}");

    g_assert_null(passctl_class_name(bad));
    g_assert_null(passctl_class_name(high));
  }
}

static void
test_json_text(void)
{
  g_autoptr(JsonObject) object = parse_object("{\"a\": [1, 2], \"b\": null}");
  g_autofree char *pretty = passctl_json_to_text(object, TRUE);
  g_autofree char *compact = passctl_json_to_text(object, FALSE);

  g_assert_cmpstr(pretty, ==,
                  "{\n"
                  "  \"a\" : [\n"
                  "    1,\n"
                  "    2\n"
                  "  ],\n"
                  "  \"b\" : null\n"
                  "}\n");
  g_assert_cmpstr(compact, ==, "{\"a\":[1,2],\"b\":null}\n");
}

static void
test_checks(void)
{
  g_autoptr(JsonObject) reply = parse_object(
      "{\"checks\": ["
      "{\"id\": \"cpu-virtualization\", \"title\": \"CPU virtualisation\", \"status\": \"pass\","
      " \"evidence\": \"/proc/cpuinfo: flags include vmx\", \"fix\": null},"
      "{\"id\": \"iommu-enabled\", \"title\": \"IOMMU enabled\", \"status\": \"fail\","
      " \"evidence\": \"/sys/kernel/iommu_groups: no groups\", \"fix\": \"reboot\"},"
      "{\"id\": \"kernel-cmdline-passthrough\", \"title\": \"iommu=pt\", \"status\": \"warn\","
      " \"evidence\": \"no iommu=pt\", \"fix\": \"add it\"},"
      "{\"id\": \"future\", \"status\": \"maybe\", \"evidence\": \"?\", \"fix\": null}]}");
  JsonArray *checks = json_object_get_array_member(reply, "checks");
  g_autofree char *text = passctl_format_checks(checks);
  g_autofree char *empty = passctl_format_checks(NULL);

  g_assert_cmpstr(text, ==,
                  "PASS  CPU virtualisation\n"
                  "FAIL  IOMMU enabled\n"
                  "      found: /sys/kernel/iommu_groups: no groups\n"
                  "      fix:   reboot\n"
                  "WARN  iommu=pt\n"
                  "      found: no iommu=pt\n"
                  "      fix:   add it\n"
                  "????  future\n"
                  "      found: ?\n"
                  "\n4 checks: 1 failed, 1 warned\n");
  g_assert_cmpuint(passctl_checks_failed(checks), ==, 1);
  g_assert_cmpuint(passctl_checks_failed(NULL), ==, 0);
  g_assert_cmpstr(empty, ==, "\n0 checks: 0 failed, 0 warned\n");
}

/* ---- pools ---- */

static void
test_pools(void)
{
  g_autoptr(JsonObject) reply = parse_object(
      "{\"pools\": [{\"name\": \"nvme\", \"kind\": \"pci\", \"vendor_id\": \"0x1b36\", "
      "\"product_id\": null, \"driver\": null, \"pfs\": [\"0000:01:00.0\", "
      "\"0000:02:00.0#0-3\"], \"numa_node\": null, \"origin\": \"file\", \"file\": "
      "\"/etc/passd/pools.d/nvme.conf\", \"line\": 2, \"total\": 6, \"free\": 3, \"in_use\": 2, "
      "\"pf_usage\": [{\"address\": \"0000:01:00.0\", \"numa_node\": 0, \"total\": 2, "
      "\"free\": 0, \"in_use\": 2, \"guests\": [\"g1\", \"g2\"]}, {\"address\": "
      "\"0000:02:00.0\", \"numa_node\": null, \"total\": 4, \"free\": 3, \"in_use\": 0, "
      "\"guests\": []}]}]}");
  g_autofree char *text = passctl_format_pools(passctl_json_array(reply, "pools"));
  g_autofree char *none = passctl_format_pools(NULL);

  g_assert_cmpstr(text, ==,
                  "nvme (pci): 6 VFs, 3 free, 2 in use\n"
                  "  selectors: vendor 0x1b36, PF 0000:01:00.0;0000:02:00.0#0-3\n"
                  "  defined: in a file, /etc/passd/pools.d/nvme.conf:2\n"
                  "  PF            NUMA  TOTAL  FREE  IN USE  GUESTS\n"
                  "  0000:01:00.0  0     2      0     2       g1,g2\n"
                  "  0000:02:00.0  -     4      3     0       -\n");
  g_assert_cmpstr(none, ==, "no pools (pools.d files, or passctl pool define)\n");
}

static void
test_balance_plan(void)
{
  g_autoptr(JsonObject) reply = parse_object(
      "{\"in_use\": 3, \"skew\": 3, \"pfs\": [{\"address\": \"0000:01:00.0\", "
      "\"numa_node\": 0, \"total\": 4, \"free\": 1, \"in_use\": 3, \"guests\": [\"a\", \"b\", "
      "\"c\"]}, {\"address\": \"0000:02:00.0\", \"numa_node\": 0, \"total\": 4, \"free\": 4, "
      "\"in_use\": 0, \"guests\": []}], \"nodes\": [{\"numa_node\": 0, \"pfs\": 2, \"total\": 8, "
      "\"free\": 5, \"in_use\": 3, \"skew\": 3}], \"moves\": [{\"guest\": \"a\", \"from\": "
      "\"0000:01:00.1\", \"from_pf\": \"0000:01:00.0\", \"to\": \"0000:02:00.1\", \"to_pf\": "
      "\"0000:02:00.0\", \"numa_node\": 0, \"reason\": \"evens 3/0\"}], \"skew_after\": 1}");
  g_autofree char *text = passctl_format_balance(reply);

  g_assert_cmpstr(text, ==,
                  "3 VFs in use, skew 3 (most minus fewest in use over the PFs)\n"
                  "PF            NUMA  TOTAL  FREE  IN USE  GUESTS\n"
                  "0000:01:00.0  0     4      1     3       a,b,c\n"
                  "0000:02:00.0  0     4      4     0       -\n"
                  "NUMA node 0: 2 PFs, 3 VFs in use, skew 3\n"
                  "Plan (skew 3 -> 1):\n"
                  "1. a: 0000:01:00.1 (PF 0000:01:00.0) -> 0000:02:00.1 (PF 0000:02:00.0)\n"
                  "   evens 3/0\n");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/client/table", test_table);
  g_test_add_func("/client/show/mdev", test_show_mdev);
  g_test_add_func("/client/table/width", test_table_width);
  g_test_add_func("/client/names/provisional", test_names_provisional);
  g_test_add_func("/client/table/empty", test_table_empty);
  g_test_add_func("/client/table/utf8", test_table_utf8_alignment);
  g_test_add_func("/client/table/empty-columns", test_table_skips_empty_columns);
  g_test_add_func("/client/text/truncate", test_text_truncate);
  g_test_add_func("/client/tree/ascii", test_tree_ascii);
  g_test_add_func("/client/tree/alignment", test_tree_alignment);
  g_test_add_func("/client/tree/utf8", test_tree_utf8);
  g_test_add_func("/client/tree/bridge", test_tree_bridge_and_orphan_vf);
  g_test_add_func("/client/tree/cycle", test_tree_cycle);
  g_test_add_func("/client/show/pf", test_show_pf);
  g_test_add_func("/client/show/vf", test_show_vf);
  g_test_add_func("/client/show/nulls", test_show_nulls);
  g_test_add_func("/client/status", test_status);
  g_test_add_func("/client/events", test_events);
  g_test_add_func("/client/event-time", test_event_time);
  g_test_add_func("/client/fields", test_fields);
  g_test_add_func("/client/json", test_json_text);
  g_test_add_func("/client/checks", test_checks);
  g_test_add_func("/format/pools", test_pools);
  g_test_add_func("/format/balance-plan", test_balance_plan);
  return g_test_run();
}
