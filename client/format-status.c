/* passctl status: the daemon's GetStatus reply. */
#include "format.h"

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
  return g_string_free(g_steal_pointer(&out), FALSE);
}
