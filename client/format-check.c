/* passctl check: CheckHost's reply as one line per check, details under the ones to act on. */
#include "format.h"

static const char *
status_label(const char *status)
{
  if (g_strcmp0(status, "pass") == 0)
    return "PASS";
  if (g_strcmp0(status, "warn") == 0)
    return "WARN";
  if (g_strcmp0(status, "fail") == 0)
    return "FAIL";
  return "????"; /* a status newer than this passctl */
}

guint
passctl_checks_failed(JsonArray *checks)
{
  guint failed = 0;

  for (guint i = 0; checks != NULL && i < json_array_get_length(checks); i++) {
    JsonObject *check = json_array_get_object_element(checks, i);

    if (check != NULL && g_strcmp0(passctl_json_string(check, "status"), "fail") == 0)
      failed++;
  }
  return failed;
}

char *
passctl_format_checks(JsonArray *checks)
{
  g_autoptr(GString) out = g_string_new(NULL);
  guint n = checks ? json_array_get_length(checks) : 0;
  guint warned = 0;

  for (guint i = 0; i < n; i++) {
    JsonObject *check = json_array_get_object_element(checks, i);
    const char *status = check ? passctl_json_string(check, "status") : NULL;
    const char *title = check ? passctl_json_string(check, "title") : NULL;
    const char *evidence = check ? passctl_json_string(check, "evidence") : NULL;
    const char *fix = check ? passctl_json_string(check, "fix") : NULL;

    g_string_append_printf(out, "%s  %s\n", status_label(status),
                           title ? title : passctl_json_string(check, "id") ?: "?");
    if (g_strcmp0(status, "pass") == 0)
      continue;
    warned += g_strcmp0(status, "warn") == 0;
    if (evidence != NULL)
      g_string_append_printf(out, "      found: %s\n", evidence);
    if (fix != NULL)
      g_string_append_printf(out, "      fix:   %s\n", fix);
  }
  g_string_append_printf(out, "\n%u checks: %u failed, %u warned\n", n,
                         passctl_checks_failed(checks), warned);
  return g_string_free(g_steal_pointer(&out), FALSE);
}
