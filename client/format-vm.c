/* passctl vm: the host devices one domain holds (GetDomain), host side next to guest side. */
#include "format.h"

static const char *
assignment_where(JsonObject *assignment)
{
  gboolean live = FALSE, config = FALSE;

  passctl_json_bool(assignment, "live", &live);
  passctl_json_bool(assignment, "config", &config);
  if (live && config)
    return "live+config";
  if (live || config)
    return live ? "live" : "config";
  return "-";
}

/* "8086:10ca"; "-" when passd knows neither id (a device that left the host). */
static char *
assignment_ids(JsonObject *assignment)
{
  if (passctl_json_string(assignment, "vendor_id") == NULL &&
      passctl_json_string(assignment, "product_id") == NULL)
    return g_strdup("-");
  return passctl_device_ids(assignment);
}

/* The name, with the marker last so it is never mistaken for part of a column. */
static char *
assignment_name(JsonObject *assignment)
{
  g_autofree char *names = passctl_device_names(assignment);
  gboolean pending = FALSE;

  passctl_json_bool(assignment, "removal_pending", &pending);
  if (!pending)
    return g_steal_pointer(&names);
  if (names == NULL)
    return g_strdup("(removal pending)");
  return g_strdup_printf("%s (removal pending)", names);
}

char *
passctl_format_domain(JsonObject *domain)
{
  static const char *const headers[] = {"HOST ADDRESS", "GUEST ADDRESS", "VENDOR:PRODUCT", "WHERE",
                                        "KIND",         "MAC",           "VLAN",           "NAME"};
  g_autoptr(GString) out = g_string_new(NULL);
  g_autoptr(PassctlTable) table = NULL;
  g_autofree char *text = NULL;
  JsonArray *devices = passctl_json_array(domain, "devices");
  guint n = devices ? json_array_get_length(devices) : 0;
  gboolean persistent = FALSE;
  const char *persistence = "?";

  if (passctl_json_bool(domain, "persistent", &persistent))
    persistence = persistent ? "persistent" : "transient";
  g_string_append_printf(out, "%s (%s, %s)\n", passctl_json_string(domain, "name") ?: "?",
                         passctl_json_string(domain, "state") ?: "?", persistence);
  if (n == 0) {
    g_string_append(out, "no host devices\n");
    return g_string_free(g_steal_pointer(&out), FALSE);
  }

  table = passctl_table_new(G_N_ELEMENTS(headers), headers);
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(devices, i);
    JsonObject *assignment = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    g_autofree char *ids = NULL;
    g_autofree char *name = NULL;
    g_autofree char *vlan = NULL;
    gboolean interface = FALSE;
    gint64 tag;

    if (assignment == NULL)
      continue;
    ids = assignment_ids(assignment);
    name = assignment_name(assignment);
    passctl_json_bool(assignment, "interface", &interface);
    if (passctl_json_int(assignment, "vlan", &tag))
      vlan = g_strdup_printf("%" G_GINT64_FORMAT, tag);
    passctl_table_add_row(table, (const char *const[]){
                                     passctl_json_string(assignment, "address"),
                                     passctl_json_string(assignment, "guest_address"),
                                     ids,
                                     assignment_where(assignment),
                                     interface ? "interface" : "hostdev",
                                     passctl_json_string(assignment, "mac"),
                                     vlan,
                                     name,
                                 });
  }
  /* Never cut: the last column carries the removal marker. */
  text = passctl_table_render(table, 0);
  g_string_append(out, text);
  return g_string_free(g_steal_pointer(&out), FALSE);
}
