/* passctl pools, balance and attach --pool: ListPools' pools, GetBalance's loads and plan, and
 * the VFs a pool attach chose with why. */
#include "format.h"

static JsonObject *
element(JsonArray *array, guint i)
{
  JsonNode *node = json_array_get_element(array, i);

  return JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static char *
int_text(JsonObject *object, const char *member)
{
  gint64 value;

  return passctl_json_int(object, member, &value) ? g_strdup_printf("%" G_GINT64_FORMAT, value)
                                                  : NULL;
}

/* Strings of @member joined with @separator; NULL when none. */
static char *
strings(JsonObject *object, const char *member, const char *separator)
{
  JsonArray *array = passctl_json_array(object, member);
  g_autoptr(GPtrArray) items = g_ptr_array_new();
  guint n = array ? json_array_get_length(array) : 0;

  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(array, i);

    if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
      g_ptr_array_add(items, (gpointer)json_node_get_string(node));
  }
  if (items->len == 0)
    return NULL;
  g_ptr_array_add(items, NULL);
  return g_strjoinv(separator, (char **)items->pdata);
}

/* The per-PF table of a Pool's pf_usage or GetBalance's pfs. */
static void
append_pf_table(GString *out, JsonArray *pfs, const char *indent)
{
  static const char *const headers[] = {"PF", "NUMA", "TOTAL", "FREE", "IN USE", "GUESTS"};
  g_autoptr(PassctlTable) table = passctl_table_new(G_N_ELEMENTS(headers), headers);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = pfs ? json_array_get_length(pfs) : 0;

  for (guint i = 0; i < n; i++) {
    JsonObject *pf = element(pfs, i);
    g_autofree char *numa = NULL, *total = NULL, *free_ = NULL, *in_use = NULL, *guests = NULL;

    if (!pf)
      continue;
    numa = int_text(pf, "numa_node");
    total = int_text(pf, "total");
    free_ = int_text(pf, "free");
    in_use = int_text(pf, "in_use");
    guests = strings(pf, "guests", ",");
    passctl_table_add_row(table, (const char *const[]){passctl_json_string(pf, "address"), numa,
                                                       total, free_, in_use, guests});
  }
  if (n == 0) {
    g_string_append_printf(out, "%sno VFs\n", indent);
    return;
  }
  text = passctl_table_render(table, 0);
  lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*lines[i])
      g_string_append_printf(out, "%s%s\n", indent, lines[i]);
}

/* "vendor 0x8086, driver nvme, PFs 0000:3b:00.0#0-3, NUMA 0". */
static char *
selectors(JsonObject *pool)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *pfs = strings(pool, "pfs", ";");
  g_autofree char *numa = int_text(pool, "numa_node");
  const char *value;

  if ((value = passctl_json_string(pool, "vendor_id")))
    g_ptr_array_add(parts, g_strdup_printf("vendor %s", value));
  if ((value = passctl_json_string(pool, "product_id")))
    g_ptr_array_add(parts, g_strdup_printf("product %s", value));
  if ((value = passctl_json_string(pool, "driver")))
    g_ptr_array_add(parts, g_strdup_printf("driver %s", value));
  if (pfs)
    g_ptr_array_add(parts, g_strdup_printf("PF %s", pfs));
  if (numa)
    g_ptr_array_add(parts, g_strdup_printf("NUMA %s", numa));
  g_ptr_array_add(parts, NULL);
  return g_strjoinv(", ", (char **)parts->pdata);
}

char *
passctl_format_pools(JsonArray *pools)
{
  g_autoptr(GString) out = g_string_new(NULL);
  guint n = pools ? json_array_get_length(pools) : 0;

  if (n == 0)
    return g_strdup("no pools (pools.d files, or passctl pool define)\n");
  for (guint i = 0; i < n; i++) {
    JsonObject *pool = element(pools, i);
    g_autofree char *sel = NULL, *line = NULL;
    gint64 total = 0, free_ = 0, in_use = 0;
    const char *file;

    if (!pool)
      continue;
    sel = selectors(pool);
    passctl_json_int(pool, "total", &total);
    passctl_json_int(pool, "free", &free_);
    passctl_json_int(pool, "in_use", &in_use);
    file = passctl_json_string(pool, "file");
    line = int_text(pool, "line");
    g_string_append_printf(out,
                           "%s%s (%s): %" G_GINT64_FORMAT " VFs, %" G_GINT64_FORMAT
                           " free, %" G_GINT64_FORMAT " in use\n",
                           i ? "\n" : "", passctl_json_string(pool, "name") ?: "?",
                           passctl_json_string(pool, "kind") ?: "?", total, free_, in_use);
    g_string_append_printf(out, "  selectors: %s\n", sel);
    g_string_append_printf(
        out, "  defined: %s%s%s%s%s\n",
        g_strcmp0(passctl_json_string(pool, "origin"), "file") == 0 ? "in a file" : "at run time",
        file ? ", " : "", file ? file : "", line ? ":" : "", line ? line : "");
    append_pf_table(out, passctl_json_array(pool, "pf_usage"), "  ");
  }
  return g_string_free(g_steal_pointer(&out), FALSE);
}

char *
passctl_format_picks(JsonObject *reply, gboolean dry_run)
{
  g_autoptr(GString) out = g_string_new(NULL);
  JsonArray *picks = passctl_json_array(reply, "picks");
  guint n = picks ? json_array_get_length(picks) : 0;
  const char *note = passctl_json_string(reply, "numa_note");

  g_string_append_printf(out, "%s from pool %s:\n", dry_run ? "Would take" : "Took",
                         passctl_json_string(reply, "pool") ?: "?");
  for (guint i = 0; i < n; i++) {
    JsonObject *pick = element(picks, i);

    if (pick)
      g_string_append_printf(out, "  %s: %s\n", passctl_json_string(pick, "address") ?: "?",
                             passctl_json_string(pick, "reason") ?: "");
  }
  if (note)
    g_string_append_printf(out, "  NUMA: %s\n", note);
  return g_string_free(g_steal_pointer(&out), FALSE);
}

char *
passctl_format_moves(JsonArray *moves)
{
  g_autoptr(GString) out = g_string_new(NULL);
  guint n = moves ? json_array_get_length(moves) : 0;

  if (n == 0)
    return g_strdup("no moves: the skew cannot be reduced\n");
  for (guint i = 0; i < n; i++) {
    JsonObject *move = element(moves, i);

    if (move)
      g_string_append_printf(
          out, "%u. %s: %s (PF %s) -> %s (PF %s)\n   %s\n", i + 1,
          passctl_json_string(move, "guest") ?: "?", passctl_json_string(move, "from") ?: "?",
          passctl_json_string(move, "from_pf") ?: "?", passctl_json_string(move, "to") ?: "?",
          passctl_json_string(move, "to_pf") ?: "?", passctl_json_string(move, "reason") ?: "");
  }
  return g_string_free(g_steal_pointer(&out), FALSE);
}

char *
passctl_format_balance(JsonObject *reply)
{
  g_autoptr(GString) out = g_string_new(NULL);
  JsonArray *nodes = passctl_json_array(reply, "nodes");
  JsonArray *moves = passctl_json_array(reply, "moves");
  guint n = nodes ? json_array_get_length(nodes) : 0;
  gint64 in_use = 0, skew = 0, after = 0;

  passctl_json_int(reply, "in_use", &in_use);
  passctl_json_int(reply, "skew", &skew);
  g_string_append_printf(out,
                         "%" G_GINT64_FORMAT " VFs in use, skew %" G_GINT64_FORMAT
                         " (most minus fewest in use over the PFs)\n",
                         in_use, skew);
  append_pf_table(out, passctl_json_array(reply, "pfs"), "");
  for (guint i = 0; i < n; i++) {
    JsonObject *node = element(nodes, i);
    g_autofree char *id = NULL;
    gint64 pfs = 0, used = 0, node_skew = 0;

    if (!node)
      continue;
    id = int_text(node, "numa_node");
    passctl_json_int(node, "pfs", &pfs);
    passctl_json_int(node, "in_use", &used);
    passctl_json_int(node, "skew", &node_skew);
    g_string_append_printf(out,
                           "NUMA node %s: %" G_GINT64_FORMAT " PFs, %" G_GINT64_FORMAT
                           " VFs in use, skew %" G_GINT64_FORMAT "\n",
                           id ? id : "unknown", pfs, used, node_skew);
  }
  if (moves) {
    g_autofree char *text = passctl_format_moves(moves);

    passctl_json_int(reply, "skew_after", &after);
    g_string_append_printf(out, "Plan (skew %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT "):\n%s",
                           skew, after, text);
  }
  return g_string_free(g_steal_pointer(&out), FALSE);
}
