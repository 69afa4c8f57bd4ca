/* passctl sriov show: each SR-IOV PF on a line (its counts, the one passd keeps, autoprobe),
 * then a table of its VFs. */
#include "format.h"

static char *
int_text(JsonObject *object, const char *member)
{
  gint64 value;

  if (!passctl_json_int(object, member, &value))
    return g_strdup("-");
  return g_strdup_printf("%" G_GINT64_FORMAT, value);
}

/* "0000:41:00.0 (nvme, NUMA node 0): 3 of 4 VFs, 3 kept by passd, settled; autoprobe on" */
static void
append_pf(GString *out, JsonObject *pf)
{
  const char *address = passctl_json_string(pf, "address") ?: "?";
  const char *state = passctl_json_string(pf, "state") ?: "?";
  const char *message = passctl_json_string(pf, "message");
  gboolean present = TRUE, autoprobe = FALSE;
  gint64 desired, numa;
  g_autofree char *numvfs = int_text(pf, "numvfs"), *totalvfs = int_text(pf, "totalvfs");
  g_autofree char *kept = NULL, *where = NULL;

  passctl_json_bool(pf, "present", &present);
  kept = passctl_json_int(pf, "desired", &desired)
             ? g_strdup_printf("%" G_GINT64_FORMAT " kept by passd", desired)
             : g_strdup("no count kept");
  if (!present) {
    g_string_append_printf(out, "%s: not on this host; %s, %s\n", address, kept, state);
  } else {
    where = passctl_json_int(pf, "numa_node", &numa)
                ? g_strdup_printf(", NUMA node %" G_GINT64_FORMAT, numa)
                : g_strdup("");
    g_string_append_printf(
        out, "%s (%s%s): %s of %s VFs, %s, %s; autoprobe %s\n", address,
        passctl_json_string(pf, "driver") ?: "no driver", where, numvfs, totalvfs, kept, state,
        passctl_json_bool(pf, "autoprobe", &autoprobe) ? (autoprobe ? "on" : "off") : "unknown");
  }
  if (message)
    g_string_append_printf(out, "  %s\n", message);
}

static void
append_vfs(GString *out, JsonArray *vfs)
{
  static const char *const headers[] = {"INDEX", "VF", "DRIVER", "OWNERS", "NUMA"};
  g_autoptr(PassctlTable) table = passctl_table_new(G_N_ELEMENTS(headers), headers);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = vfs ? json_array_get_length(vfs) : 0;

  if (n == 0)
    return;
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(vfs, i);
    JsonObject *vf = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    g_autofree char *index = NULL, *owners = NULL, *numa = NULL;
    const char *cells[5];

    if (vf == NULL)
      continue;
    index = int_text(vf, "index");
    owners = passctl_device_owners(vf, ",");
    numa = int_text(vf, "numa_node");
    cells[0] = index;
    cells[1] = passctl_json_string(vf, "address");
    cells[2] = passctl_json_string(vf, "driver");
    cells[3] = owners;
    cells[4] = numa;
    passctl_table_add_row(table, cells);
  }
  text = passctl_table_render(table, 0);
  lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_string_append_printf(out, "  %s\n", lines[i]);
}

char *
passctl_format_sriov(JsonArray *pfs)
{
  g_autoptr(GString) out = g_string_new(NULL);
  guint n = pfs ? json_array_get_length(pfs) : 0;

  if (n == 0)
    return g_strdup("no SR-IOV physical functions\n");
  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(pfs, i);
    JsonObject *pf = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;

    if (pf == NULL)
      continue;
    if (i > 0)
      g_string_append_c(out, '\n');
    append_pf(out, pf);
    append_vfs(out, passctl_json_array(pf, "vfs"));
  }
  return g_string_free(g_steal_pointer(&out), FALSE);
}
