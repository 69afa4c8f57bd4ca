/* passctl's Action lines for attach, detach and reattach, done and --dry-run. */
#include <string.h>

#include "format.h"

static JsonArray *
parse_array(const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data(parser, text, -1, &error);
  g_assert_no_error(error);
  return json_array_ref(json_node_get_array(json_parser_get_root(parser)));
}

#define HOSTDEV_XML                                                                                \
  "<hostdev mode='subsystem' type='pci' managed='no'>\\n"                                          \
  "  <source>\\n"                                                                                  \
  "    <address domain='0x0000' bus='0x02' slot='0x00' function='0x1'/>\\n"                        \
  "  </source>\\n"                                                                                 \
  "</hostdev>\\n"

static const char *const attach_actions =
    "[{\"action\": \"detach_host\", \"address\": \"0000:02:00.1\", \"driver_from\": \"nvme\","
    "  \"driver_to\": \"vfio-pci\", \"domain\": null, \"live\": null, \"config\": null,"
    "  \"xml\": null},"
    " {\"action\": \"attach\", \"address\": \"0000:02:00.1\", \"driver_from\": null,"
    "  \"driver_to\": null, \"domain\": \"vm1\", \"live\": true, \"config\": true,"
    "  \"xml\": \"" HOSTDEV_XML "\"}]";

static void
test_attach_done(void)
{
  g_autoptr(JsonArray) actions = parse_array(attach_actions);
  g_autofree char *text = passctl_format_actions(actions, FALSE);

  /* Done: one line per step, no XML. */
  g_assert_cmpstr(text, ==,
                  "0000:02:00.1: nvme -> vfio-pci\n"
                  "0000:02:00.1: attached to vm1 (live, config)\n");
}

static void
test_attach_dry_run(void)
{
  g_autoptr(JsonArray) actions = parse_array(attach_actions);
  g_autofree char *text = passctl_format_actions(actions, TRUE);

  /* The XML sits under its step, indented past the number, without blank lines. */
  g_assert_cmpstr(text, ==,
                  "Would:\n"
                  "  1. 0000:02:00.1: nvme -> vfio-pci\n"
                  "  2. 0000:02:00.1: attach to vm1 (live, config)\n"
                  "       <hostdev mode='subsystem' type='pci' managed='no'>\n"
                  "         <source>\n"
                  "           <address domain='0x0000' bus='0x02' slot='0x00' function='0x1'/>\n"
                  "         </source>\n"
                  "       </hostdev>\n");
}

static void
test_detach(void)
{
  g_autoptr(JsonArray) actions =
      parse_array("[{\"action\": \"detach\", \"address\": \"0000:02:00.1\", \"domain\": \"vm1\","
                  "  \"live\": true, \"config\": false, \"xml\": \"<hostdev/>\"},"
                  " {\"action\": \"reattach_host\", \"address\": \"0000:02:00.1\","
                  "  \"driver_from\": \"vfio-pci\", \"driver_to\": \"nvme\"}]");
  g_autofree char *done = passctl_format_actions(actions, FALSE);
  g_autofree char *would = passctl_format_actions(actions, TRUE);

  g_assert_cmpstr(done, ==,
                  "0000:02:00.1: detached from vm1 (live)\n"
                  "0000:02:00.1: vfio-pci -> nvme\n");
  g_assert_cmpstr(would, ==,
                  "Would:\n"
                  "  1. 0000:02:00.1: detach from vm1 (live)\n"
                  "       <hostdev/>\n"
                  "  2. 0000:02:00.1: vfio-pci -> nvme\n");
}

static void
test_single_actions(void)
{
  static const struct {
    const char *action;
    gboolean dry_run;
    const char *line;
  } cases[] = {
      {"{\"action\": \"attach\", \"address\": \"0000:03:00.0\", \"domain\": \"db\", "
       "\"config\": true}",
       FALSE, "0000:03:00.0: attached to db (config)"},
      /* Neither live nor config said: no parentheses rather than a guess. */
      {"{\"action\": \"attach\", \"address\": \"0000:03:00.0\", \"domain\": \"db\"}", TRUE,
       "0000:03:00.0: attach to db"},
      /* No driver before or after: said in words, not "(null)". */
      {"{\"action\": \"detach_host\", \"address\": \"0000:03:00.0\", \"driver_from\": null, "
       "\"driver_to\": \"vfio-pci\"}",
       FALSE, "0000:03:00.0: no driver -> vfio-pci"},
      {"{\"action\": \"reattach_host\", \"address\": \"0000:03:00.0\", \"driver_from\": "
       "\"vfio-pci\"}",
       TRUE, "0000:03:00.0: vfio-pci -> no driver"},
      /* passd does not know the driver it had: the kernel picks, which a dry run cannot say. */
      {"{\"action\": \"reattach_host\", \"address\": \"0000:03:00.0\", \"driver_from\": "
       "\"vfio-pci\", \"driver_to\": null, \"driver_to_default\": true}",
       TRUE, "0000:03:00.0: vfio-pci -> the kernel's default driver"},
      {"{\"action\": \"reattach_host\", \"address\": \"0000:03:00.0\", \"driver_from\": "
       "\"vfio-pci\", \"driver_to\": \"e1000e\", \"driver_to_default\": true}",
       FALSE, "0000:03:00.0: vfio-pci -> e1000e"},
      /* A step from a newer passd still names its device. */
      {"{\"action\": \"reset\", \"address\": \"0000:03:00.0\"}", FALSE, "0000:03:00.0: reset"},
      {"{\"live\": \"yes\"}", FALSE, "?: ?"},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree char *line = NULL;

    g_assert_true(json_parser_load_from_data(parser, cases[i].action, -1, NULL));
    line =
        passctl_format_action(json_node_get_object(json_parser_get_root(parser)), cases[i].dry_run);
    g_assert_cmpstr(line, ==, cases[i].line);
  }
}

static void
test_nothing_to_do(void)
{
  g_autoptr(JsonArray) empty = json_array_new();
  g_autofree char *done = passctl_format_actions(empty, FALSE);
  g_autofree char *would = passctl_format_actions(NULL, TRUE);

  g_assert_cmpstr(done, ==, "nothing to do\n");
  g_assert_cmpstr(would, ==, "Would: nothing (no step needed)\n");
}

static void
test_many_steps_align(void)
{
  g_autoptr(JsonArray) actions = json_array_new();
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  /* A whole group of eleven: numbers right-aligned, text and XML in one column. */
  for (int i = 0; i < 11; i++) {
    JsonObject *action = json_object_new();

    json_object_set_string_member(action, "action", "attach");
    json_object_set_string_member(action, "address", "0000:04:00.0");
    json_object_set_string_member(action, "domain", "vm1");
    json_object_set_string_member(action, "xml", "<hostdev/>");
    json_array_add_object_element(actions, action);
  }
  json_array_add_string_element(actions, "not an object");
  text = passctl_format_actions(actions, TRUE);
  lines = g_strsplit(text, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 1 + 2 * 11 + 1);
  g_assert_cmpstr(lines[1], ==, "   1. 0000:04:00.0: attach to vm1");
  g_assert_cmpstr(lines[2], ==, "        <hostdev/>");
  g_assert_cmpstr(lines[21], ==, "  11. 0000:04:00.0: attach to vm1");
  g_assert_cmpstr(lines[22], ==, "        <hostdev/>");
}

/* set_num_vfs: the counts, autoprobe when the step writes it, and autoprobe alone. */
static void
test_set_num_vfs(void)
{
  g_autoptr(JsonArray) actions = parse_array(
      "[{\"action\": \"set_num_vfs\", \"address\": \"0000:41:00.0\", \"numvfs_from\": 0,"
      "  \"numvfs_to\": 3, \"autoprobe\": false},"
      " {\"action\": \"set_num_vfs\", \"address\": \"0000:81:00.0\", \"numvfs_from\": 4,"
      "  \"numvfs_to\": 2, \"autoprobe\": null},"
      " {\"action\": \"set_num_vfs\", \"address\": \"0000:81:00.0\", \"numvfs_from\": 2,"
      "  \"numvfs_to\": 2, \"autoprobe\": true}]");
  g_autofree char *done = passctl_format_actions(actions, FALSE);
  g_autofree char *dry = passctl_format_actions(actions, TRUE);

  g_assert_cmpstr(done, ==,
                  "0000:41:00.0: 0 -> 3 VFs (autoprobe off)\n"
                  "0000:81:00.0: 4 -> 2 VFs\n"
                  "0000:81:00.0: autoprobe on, 2 VFs kept\n");
  g_assert_cmpstr(dry, ==,
                  "Would:\n"
                  "  1. 0000:41:00.0: 0 -> 3 VFs (autoprobe off)\n"
                  "  2. 0000:81:00.0: 4 -> 2 VFs\n"
                  "  3. 0000:81:00.0: autoprobe on, 2 VFs kept\n");
}

/* passctl sriov show: a PF with VFs, one without, one passd keeps a count for that is gone. */
static void
test_sriov_show(void)
{
  g_autoptr(JsonArray) pfs = parse_array(
      "[{\"address\": \"0000:41:00.0\", \"present\": true, \"totalvfs\": 4, \"numvfs\": 2,"
      "  \"desired\": 2, \"autoprobe\": false, \"driver\": \"nvme\", \"numa_node\": 0,"
      "  \"state\": \"settled\", \"message\": null, \"vfs\": ["
      "   {\"address\": \"0000:41:00.1\", \"index\": 0, \"driver\": \"vfio-pci\","
      "    \"owners\": [\"vm1\", \"vm2\"], \"numa_node\": 0},"
      "   {\"address\": \"0000:41:00.2\", \"index\": 1, \"driver\": null, \"owners\": [],"
      "    \"numa_node\": 0}]},"
      " {\"address\": \"0000:81:00.0\", \"present\": true, \"totalvfs\": 4, \"numvfs\": 0,"
      "  \"desired\": 3, \"autoprobe\": null, \"driver\": \"nvme\", \"numa_node\": null,"
      "  \"state\": \"differs\", \"message\": \"3 VFs are recorded, the PF has 0\","
      "  \"vfs\": []},"
      " {\"address\": \"0000:66:00.0\", \"present\": false, \"totalvfs\": null,"
      "  \"numvfs\": null, \"desired\": 2, \"autoprobe\": null, \"driver\": null,"
      "  \"numa_node\": null, \"state\": \"vanished\","
      "  \"message\": \"the host has no device 0000:66:00.0\", \"vfs\": []}]");
  g_autoptr(JsonArray) none = parse_array("[]");
  g_autofree char *text = passctl_format_sriov(pfs);
  g_autofree char *empty = passctl_format_sriov(none);

  g_assert_cmpstr(text, ==,
                  "0000:41:00.0 (nvme, NUMA node 0): 2 of 4 VFs, 2 kept by passd, settled; "
                  "autoprobe off\n"
                  "  INDEX  VF            DRIVER    OWNERS   NUMA\n"
                  "  0      0000:41:00.1  vfio-pci  vm1,vm2  0\n"
                  "  1      0000:41:00.2  -         -        0\n"
                  "\n"
                  "0000:81:00.0 (nvme): 0 of 4 VFs, 3 kept by passd, differs; autoprobe unknown\n"
                  "  3 VFs are recorded, the PF has 0\n"
                  "\n"
                  "0000:66:00.0: not on this host; 2 kept by passd, vanished\n"
                  "  the host has no device 0000:66:00.0\n");
  g_assert_cmpstr(empty, ==, "no SR-IOV physical functions\n");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/client/actions/set-num-vfs", test_set_num_vfs);
  g_test_add_func("/client/sriov/show", test_sriov_show);
  g_test_add_func("/client/actions/attach", test_attach_done);
  g_test_add_func("/client/actions/attach-dry-run", test_attach_dry_run);
  g_test_add_func("/client/actions/detach", test_detach);
  g_test_add_func("/client/actions/single", test_single_actions);
  g_test_add_func("/client/actions/nothing", test_nothing_to_do);
  g_test_add_func("/client/actions/align", test_many_steps_align);
  return g_test_run();
}
