/* passctl monitor: one line per Watch event. */
#include "format.h"

static void
append_added(GString *line, JsonObject *device)
{
  g_autofree char *ids = passctl_device_ids(device);
  g_autofree char *sriov = passctl_device_sriov(device);
  g_autofree char *owners = passctl_device_owners(device, ",");

  g_string_append_printf(line, "  %s %s", ids, passctl_json_string(device, "driver") ?: "-");
  if (g_strcmp0(sriov, "-") != 0)
    g_string_append_printf(line, "  %s", sriov);
  if (owners != NULL)
    g_string_append_printf(line, "  owners %s", owners);
}

static void
append_changed(GString *line, JsonObject *device)
{
  g_autofree char *owners = passctl_device_owners(device, ",");

  g_string_append_printf(line, "  driver %s owners %s",
                         passctl_json_string(device, "driver") ?: "-", owners ? owners : "-");
}

char *
passctl_format_event(JsonObject *event, const char *time)
{
  const char *type = passctl_json_string(event, "type");
  const char *address = passctl_json_string(event, "address");
  JsonObject *device = passctl_json_object(event, "device");
  g_autoptr(GString) line = g_string_new(NULL);

  if (type == NULL || g_str_equal(type, "subscribed"))
    return NULL;

  g_string_append_printf(line, "%s  ", time);
  if (g_str_equal(type, "hypervisor")) {
    gboolean connected = FALSE;
    const char *message = passctl_json_string(event, "message");

    passctl_json_bool(event, "connected", &connected);
    g_string_append_printf(line, "hypervisor %s", connected ? "connected" : "disconnected");
    if (message != NULL) {
      g_autofree char *flat = g_strdelimit(g_strdup(message), "\r\n", ' ');

      g_string_append_printf(line, ": %s", flat);
    }
  } else {
    g_string_append_printf(line, "%-8s %s", type, address ? address : "?");
    /* Types passd may add later print as "TYPE ADDRESS", the same as "removed". */
    if (device != NULL && g_str_equal(type, "added"))
      append_added(line, device);
    else if (device != NULL && (g_str_equal(type, "changed") || g_str_equal(type, "owners")))
      append_changed(line, device);
  }
  g_string_append_c(line, '\n');
  return g_string_free(g_steal_pointer(&line), FALSE);
}

char *
passctl_event_time(JsonObject *event, GTimeZone *tz)
{
  JsonNode *node = json_object_get_member(event, "timestamp");
  g_autoptr(GDateTime) time = NULL;

  if (node != NULL && json_node_get_value_type(node) == G_TYPE_INT64) {
    g_autoptr(GDateTime) utc =
        g_date_time_new_from_unix_utc(json_node_get_int(node) / G_USEC_PER_SEC);

    time = utc ? g_date_time_to_timezone(utc, tz) : NULL;
  }
  if (time == NULL)
    time = g_date_time_new_now(tz);
  return g_date_time_format(time, "%H:%M:%S");
}
