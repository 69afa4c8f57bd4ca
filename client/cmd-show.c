/* passctl show: one device in full (GetDevice), with its IOMMU group mates. */
#include "passctl.h"

#include <stdio.h>

#include "format.h"
#include "pass-address.h"

/* The group mates' drivers say whether the group can be passed through as a whole; fetch
 * each mate once. A mate that vanished meanwhile simply shows as unknown. */
static GHashTable *
fetch_group(PassVarlinkClient *client, JsonObject *device)
{
  GHashTable *group =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_object_unref);
  const char *self = passctl_json_string(device, "address");
  JsonArray *members = passctl_json_array(device, "iommu_group_members");
  guint n = members ? json_array_get_length(members) : 0;

  for (guint i = 0; i < n; i++) {
    const char *mate = json_array_get_string_element(members, i);
    g_autoptr(JsonObject) params = NULL;
    g_autoptr(JsonObject) reply = NULL;
    JsonObject *other;

    if (mate == NULL || g_strcmp0(mate, self) == 0)
      continue;
    params = json_object_new();
    json_object_set_string_member(params, "address", mate);
    reply = pass_varlink_client_call(client, "io.passd.Manager.GetDevice", params, NULL, NULL);
    other = passctl_json_object(reply, "device");
    if (other != NULL)
      g_hash_table_insert(group, g_strdup(mate), json_object_ref(other));
  }
  return group;
}

int
passctl_cmd_show(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("ADDRESS");
  g_autoptr(GError) error = NULL;
  g_autoptr(PassVarlinkClient) client = NULL;
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GHashTable) group = NULL;
  g_autofree char *address = NULL;
  g_autofree char *text = NULL;
  gboolean json = FALSE;
  int exit_code = PASSCTL_EXIT_OK;
  JsonObject *device;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(optctx,
                               "Show every field of one PCI device. ADDRESS is dddd:bb:ss.f, "
                               "bb:ss.f or a libvirt name (pci_dddd_bb_ss_f).");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "show", &argc, &argv, &exit_code))
    return exit_code;
  if (argc < 2)
    return passctl_usage_error("show", "missing the device address");
  if (argc > 2)
    return passctl_usage_error("show", "unexpected argument '%s'", argv[2]);

  /* Checked locally: a typo should not cost a round trip or look like a daemon failure. */
  address = passctl_parse_device("show", argv[1], &exit_code);
  if (address == NULL)
    return exit_code;

  client = passctl_connect(ctx, &exit_code);
  if (client == NULL)
    return exit_code;
  json_object_set_string_member(params, "address", address);
  reply = passctl_call(client, "io.passd.Manager.GetDevice", params, &exit_code);
  if (reply == NULL)
    return exit_code;
  if (json) {
    text = passctl_json_to_text(reply, TRUE);
  } else {
    device = passctl_json_object(reply, "device");
    if (device == NULL) {
      passctl_print_error("passd sent a reply passctl cannot read: no device in it");
      return PASSCTL_EXIT_FAILED;
    }
    group = fetch_group(client, device);
    text = passctl_format_device_show(device, group);
  }
  fputs(text, stdout);
  return PASSCTL_EXIT_OK;
}
