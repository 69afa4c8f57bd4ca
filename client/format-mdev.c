/* passctl mdev types: one line a parent's type, with what it can still create. */
#include "format.h"

char *
passctl_format_mdev_types(JsonArray *types, int max_width)
{
  static const char *const headers[] = {"PARENT", "TYPE", "AVAILABLE", "API", "NAME"};
  g_autoptr(PassctlTable) table = passctl_table_new(G_N_ELEMENTS(headers), headers);
  guint n = types ? json_array_get_length(types) : 0;

  if (n == 0)
    return g_strdup("No mediated device types on this host.\n");
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(types, i);
    JsonObject *type = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    g_autofree char *available = NULL;
    gint64 value;

    if (type == NULL)
      continue;
    available = passctl_json_int(type, "available", &value)
                    ? g_strdup_printf("%" G_GINT64_FORMAT, value)
                    : NULL;
    passctl_table_add_row(table, (const char *const[]){passctl_json_string(type, "parent"),
                                                       passctl_json_string(type, "id"), available,
                                                       passctl_json_string(type, "device_api"),
                                                       passctl_json_string(type, "name")});
  }
  return passctl_table_render(table, max_width);
}

char *
passctl_mdev_state(JsonObject *mdev)
{
  gboolean active = FALSE, persistent = FALSE, autostart = FALSE;

  passctl_json_bool(mdev, "active", &active);
  passctl_json_bool(mdev, "persistent", &persistent);
  passctl_json_bool(mdev, "autostart", &autostart);
  return g_strdup_printf("%s, %s%s", active ? "active" : "not created",
                         persistent ? "persistent" : "transient", autostart ? ", autostart" : "");
}
