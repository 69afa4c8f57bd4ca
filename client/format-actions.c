/* passctl attach, detach, reattach, sriov set: the Action steps passd did, or would do with
 * --dry-run. */
#include "format.h"

/* "(live, config)", "(live)", "(config)"; "" when the action says neither. */
static char *
where_suffix(JsonObject *action)
{
  gboolean live = FALSE, config = FALSE;

  passctl_json_bool(action, "live", &live);
  passctl_json_bool(action, "config", &config);
  if (live && config)
    return g_strdup(" (live, config)");
  if (live || config)
    return g_strdup(live ? " (live)" : " (config)");
  return g_strdup("");
}

/* A null driver means the device was (or will be) bound to none. */
static const char *
driver_name(JsonObject *action, const char *member)
{
  return passctl_json_string(action, member) ?: "no driver";
}

/* "0000:41:00.0: 0 -> 3 VFs (autoprobe off)", "0000:41:00.0: autoprobe off, 3 VFs kept". */
static char *
sriov_step(JsonObject *action, const char *address)
{
  gint64 from = -1, to = -1;
  gboolean autoprobe = FALSE;
  gboolean probe = passctl_json_bool(action, "autoprobe", &autoprobe);
  const char *probe_text = autoprobe ? "autoprobe on" : "autoprobe off";

  passctl_json_int(action, "numvfs_from", &from);
  passctl_json_int(action, "numvfs_to", &to);
  if (from == to && probe)
    return g_strdup_printf("%s: %s, %" G_GINT64_FORMAT " VFs kept", address, probe_text, to);
  return g_strdup_printf("%s: %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT " VFs%s%s%s", address,
                         from, to, probe ? " (" : "", probe ? probe_text : "", probe ? ")" : "");
}

char *
passctl_format_action(JsonObject *action, gboolean dry_run)
{
  const char *kind = passctl_json_string(action, "action") ?: "?";
  const char *address = passctl_json_string(action, "address") ?: "?";
  const char *domain = passctl_json_string(action, "domain") ?: "?";
  g_autofree char *where = where_suffix(action);

  if (g_str_equal(kind, "detach_host") || g_str_equal(kind, "reattach_host")) {
    gboolean to_default = FALSE;

    /* The kernel's pick is known only once it has picked. */
    passctl_json_bool(action, "driver_to_default", &to_default);
    return g_strdup_printf("%s: %s -> %s", address, driver_name(action, "driver_from"),
                           to_default && !passctl_json_string(action, "driver_to")
                               ? "the kernel's default driver"
                               : driver_name(action, "driver_to"));
  }
  if (g_str_equal(kind, "attach"))
    return g_strdup_printf("%s: %s %s%s", address, dry_run ? "attach to" : "attached to", domain,
                           where);
  if (g_str_equal(kind, "detach"))
    return g_strdup_printf("%s: %s %s%s", address, dry_run ? "detach from" : "detached from",
                           domain, where);
  if (g_str_equal(kind, "set_num_vfs"))
    return sriov_step(action, address);
  /* A step a newer passd knows and we do not: still say which device it touches. */
  return g_strdup_printf("%s: %s", address, kind);
}

/* Each line of @xml under the step, @indent blanks in; blank lines and the final newline
 * dropped so the block reads as one piece. */
static void
append_xml(GString *out, const char *xml, gsize indent)
{
  g_auto(GStrv) lines = g_strsplit(xml, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++) {
    g_strchomp(lines[i]);
    if (*lines[i] == '\0')
      continue;
    g_string_append_printf(out, "%*s%s\n", (int)indent, "", lines[i]);
  }
}

char *
passctl_format_actions(JsonArray *actions, gboolean dry_run)
{
  g_autoptr(GString) out = g_string_new(NULL);
  guint n = actions ? json_array_get_length(actions) : 0;
  int digits = n >= 100 ? 3 : n >= 10 ? 2 : 1;

  if (n == 0)
    return g_strdup(dry_run ? "Would: nothing (no step needed)\n" : "nothing to do\n");
  if (dry_run)
    g_string_append(out, "Would:\n");
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(actions, i);
    JsonObject *action = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    g_autofree char *line = NULL;
    const char *xml;

    if (action == NULL)
      continue;
    line = passctl_format_action(action, dry_run);
    if (!dry_run) {
      g_string_append_printf(out, "%s\n", line);
      continue;
    }
    g_string_append_printf(out, "  %*u. %s\n", digits, i + 1, line);
    /* The XML is what libvirt would be given: shown whole, two blanks past the step's text. */
    xml = passctl_json_string(action, "xml");
    if (xml != NULL)
      append_xml(out, xml, 2 + digits + 2 + 2);
  }
  return g_string_free(g_steal_pointer(&out), FALSE);
}
