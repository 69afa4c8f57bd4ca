/* passctl status: the daemon's GetStatus reply. */
#include "format.h"

/* The journal's part: what passd holds, and what it recovered after a crash. */
static void
format_journal(GString *out, JsonObject *status)
{
  const char *journal = passctl_json_string(status, "journal");
  JsonArray *held = passctl_json_array(status, "held");
  JsonArray *recovered = passctl_json_array(status, "recovered");
  gboolean recovering = FALSE;
  gint64 open = 0;

  if (journal == NULL)
    return;
  g_string_append_printf(out, "Journal:     %s\n", journal);
  if (passctl_json_int(status, "open_operations", &open) && open > 0)
    g_string_append_printf(out, "Open:        %" G_GINT64_FORMAT " operation%s not ended%s\n", open,
                           open == 1 ? "" : "s",
                           passctl_json_bool(status, "recovering", &recovering) && recovering
                               ? " (recovering; writes wait)"
                               : "");
  for (guint i = 0; held && i < json_array_get_length(held); i++) {
    JsonObject *device = json_array_get_object_element(held, i);
    const char *driver = passctl_json_string(device, "driver");

    g_string_append_printf(out, "%s %s (from %s)\n", i == 0 ? "Held:       " : "            ",
                           passctl_json_string(device, "address") ?: "?",
                           driver ? driver : "no driver");
  }
  for (guint i = 0; recovered && i < json_array_get_length(recovered); i++) {
    JsonObject *recovery = json_array_get_object_element(recovered, i);
    const char *domain = passctl_json_string(recovery, "domain");
    gboolean resolved = TRUE;

    passctl_json_bool(recovery, "resolved", &resolved);
    g_string_append_printf(out, "%s %s %s %s%s%s%s: %s\n", i == 0 ? "Recovered:  " : "            ",
                           passctl_json_string(recovery, "time") ?: "?",
                           passctl_json_string(recovery, "operation") ?: "?",
                           passctl_json_string(recovery, "address") ?: "?", domain ? " / " : "",
                           domain ? domain : "", resolved ? "" : " (NOT settled, retried)",
                           passctl_json_string(recovery, "outcome") ?: "");
  }
}

char *
passctl_format_status(JsonObject *status, const char *socket_path)
{
  g_autoptr(GString) out = g_string_new(NULL);
  gboolean connected = FALSE;
  gint64 devices;

  g_string_append_printf(out, "Version:     %s\n", passctl_json_string(status, "version") ?: "?");
  if (socket_path != NULL)
    g_string_append_printf(out, "Socket:      %s\n", socket_path);
  g_string_append_printf(out, "URI:         %s\n", passctl_json_string(status, "uri") ?: "?");
  if (passctl_json_bool(status, "connected", &connected))
    g_string_append_printf(out, "Hypervisor:  %s\n", connected ? "connected" : "not connected");
  else
    g_string_append(out, "Hypervisor:  unknown\n");
  if (passctl_json_int(status, "devices", &devices))
    g_string_append_printf(out, "Devices:     %" G_GINT64_FORMAT "\n", devices);
  else
    g_string_append(out, "Devices:     unknown\n");
  format_journal(out, status);
  return g_string_free(g_steal_pointer(&out), FALSE);
}
