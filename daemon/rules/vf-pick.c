/* The VF table and the pick (see vf-pick.h). */
#include "vf-table.h"

#include <stdlib.h>
#include <string.h>

/* ---- the table ---- */

static inline int
hex_value(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Canonical "dddd:bb:ss.f" (lower case; a domain of 4 hex digits, or up to 8 without a leading
 * zero) as one number that orders like the address; G_MAXUINT64 for anything else. Equal
 * numbers then mean equal text, so sorting compares text only when neither parses. */
static guint64
address_key(const char *s)
{
  guint64 domain = 0, bus, slot;
  int n = 0, v;

  if (s == NULL)
    return G_MAXUINT64;
  for (; n < 8 && (v = hex_value(s[n])) >= 0; n++)
    domain = domain << 4 | (guint)v;
  if ((n != 4 && (n < 4 || s[0] == '0')) || s[n] != ':')
    return G_MAXUINT64;
  s += n + 1;
  if (hex_value(s[0]) < 0 || hex_value(s[1]) < 0 || s[2] != ':' || hex_value(s[3]) < 0 ||
      hex_value(s[4]) < 0 || s[5] != '.' || s[6] < '0' || s[6] > '7' || s[7] != '\0')
    return G_MAXUINT64;
  bus = (guint64)(hex_value(s[0]) << 4 | hex_value(s[1]));
  slot = (guint64)(hex_value(s[3]) << 4 | hex_value(s[4]));
  if (slot > 0x1f)
    return G_MAXUINT64;
  return domain << 16 | bus << 8 | slot << 3 | (guint64)(s[6] - '0');
}

typedef struct {
  guint64 pf_key, vf_key;
  const PassVfRow *row;
} SortRow;

static int
compare_keyed(guint64 ka, const char *a, guint64 kb, const char *b)
{
  if (ka != kb)
    return ka < kb ? -1 : 1;
  return ka == G_MAXUINT64 ? g_strcmp0(a, b) : 0;
}

static int
compare_rows(const void *pa, const void *pb)
{
  const SortRow *a = pa, *b = pb;
  int c = compare_keyed(a->pf_key, a->row->pf, b->pf_key, b->row->pf);

  return c != 0 ? c : compare_keyed(a->vf_key, a->row->address, b->vf_key, b->row->address);
}

/* Stable LSD radix sort of @rows by one key (the PF's or the VF's), skipping the bytes all
 * keys share (a host's addresses differ in a byte or two); @tmp is as large as @rows. */
static void
radix_sort(SortRow *rows, SortRow *tmp, gsize n, gboolean by_pf)
{
  g_autofree gsize *count = g_new0(gsize, 8 * 256);
  SortRow *from = rows, *to = tmp;

  for (gsize i = 0; i < n; i++) {
    guint64 key = by_pf ? rows[i].pf_key : rows[i].vf_key;

    for (guint b = 0; b < 8; b++)
      count[b * 256 + ((key >> (8 * b)) & 0xff)]++;
  }
  for (guint b = 0; b < 8; b++) {
    gsize *c = &count[b * 256], sum = 0;
    guint64 first = by_pf ? from[0].pf_key : from[0].vf_key;
    SortRow *swap;

    if (c[(first >> (8 * b)) & 0xff] == n)
      continue;
    for (guint v = 0; v < 256; v++) {
      gsize here = c[v];

      c[v] = sum;
      sum += here;
    }
    for (gsize i = 0; i < n; i++) {
      guint64 key = by_pf ? from[i].pf_key : from[i].vf_key;

      to[c[(key >> (8 * b)) & 0xff]++] = from[i];
    }
    swap = from;
    from = to;
    to = swap;
  }
  if (from != rows)
    memcpy(rows, from, n * sizeof(SortRow));
}

/* By PF, then VF (compare_rows()), in O(n): radix by the VF's key, then stably by the PF's;
 * only runs whose order the text decides (addresses that do not parse) are sorted by it. */
static void
sort_rows(SortRow *rows, gsize n)
{
  g_autofree SortRow *tmp = NULL;

  if (n < 2)
    return;
  tmp = g_new(SortRow, n);
  radix_sort(rows, tmp, n, FALSE);
  radix_sort(rows, tmp, n, TRUE);
  for (gsize i = 0, j; i < n; i = j) {
    gboolean by_text = rows[i].pf_key == G_MAXUINT64 || rows[i].vf_key == G_MAXUINT64;

    for (j = i + 1; j < n && rows[j].pf_key == rows[i].pf_key &&
                    (rows[i].pf_key == G_MAXUINT64 || rows[j].vf_key == rows[i].vf_key);
         j++)
      ;
    if (by_text && j - i > 1)
      qsort(&rows[i], j - i, sizeof(SortRow), compare_rows);
  }
}

static int
compare_ints(const void *pa, const void *pb)
{
  int a = *(const int *)pa, b = *(const int *)pb;

  return (a > b) - (a < b);
}

/* The groups of PF @p: one per node its VFs are on, each listing its eligible VFs. */
static void
add_groups(PassVfTable *t, guint p, gboolean mixed, GArray *groups, guint *n_group_vfs)
{
  PassVfPf *pf = &t->pfs[p];
  g_autofree int *nodes = NULL;
  guint n_nodes = 0;

  if (!mixed) {
    nodes = g_new(int, 1);
    nodes[n_nodes++] = pf->node;
  } else {
    nodes = g_new(int, pf->n_vfs);
    for (guint i = 0; i < pf->n_vfs; i++)
      nodes[i] = t->vfs[pf->first + i].node;
    qsort(nodes, pf->n_vfs, sizeof(int), compare_ints);
    for (guint i = 0; i < pf->n_vfs; i++) {
      if (n_nodes == 0 || nodes[n_nodes - 1] != nodes[i])
        nodes[n_nodes++] = nodes[i];
    }
    pf->node = -1;
  }
  pf->first_group = groups->len;
  pf->n_groups = n_nodes;
  for (guint k = 0; k < n_nodes; k++) {
    PassVfGroup group = {.pf = p, .node = nodes[k], .first = *n_group_vfs, .n = 0};

    for (guint i = pf->first; i < pf->first + pf->n_vfs; i++) {
      if (t->vfs[i].eligible && t->vfs[i].node == group.node) {
        t->group_vfs[(*n_group_vfs)++] = i;
        group.n++;
      }
    }
    g_array_append_val(groups, group);
  }
}

PassVfTable *
pass_vf_table_new(const PassVfRow *rows, gsize n_rows)
{
  PassVfTable *t = g_new0(PassVfTable, 1);
  g_autofree SortRow *sorted = g_new(SortRow, n_rows + 1);
  g_autofree gboolean *mixed = NULL;
  g_autoptr(GArray) groups = g_array_new(FALSE, FALSE, sizeof(PassVfGroup));
  guint n_group_vfs = 0, n_pfs = 0;

  g_return_val_if_fail(rows != NULL || n_rows == 0, NULL);
  g_return_val_if_fail(n_rows < G_MAXINT, NULL);

  t->strings = g_string_chunk_new(MAX(n_rows * 16, 64));
  for (gsize i = 0; i < n_rows; i++) {
    sorted[i].pf_key = address_key(rows[i].pf);
    sorted[i].vf_key = address_key(rows[i].address);
    sorted[i].row = &rows[i];
  }
  sort_rows(sorted, n_rows);

  t->n_vfs = (guint)n_rows;
  for (guint i = 0; i < t->n_vfs; i++)
    n_pfs += i == 0 || compare_keyed(sorted[i - 1].pf_key, sorted[i - 1].row->pf, sorted[i].pf_key,
                                     sorted[i].row->pf) != 0;
  t->vfs = g_new(PassVfEntry, n_rows + 1);
  t->pfs = g_new(PassVfPf, n_pfs + 1);
  mixed = g_new0(gboolean, n_pfs + 1);
  for (guint i = 0; i < t->n_vfs; i++) {
    const PassVfRow *r = sorted[i].row;
    PassVfEntry *vf = &t->vfs[i];
    PassVfPf *pf;

    if (i == 0 ||
        compare_keyed(sorted[i - 1].pf_key, sorted[i - 1].row->pf, sorted[i].pf_key, r->pf) != 0) {
      pf = &t->pfs[t->n_pfs++];
      *pf = (PassVfPf){.address = g_string_chunk_insert(t->strings, r->pf != NULL ? r->pf : ""),
                       .first = i,
                       .node = r->numa_node};
    }
    pf = &t->pfs[t->n_pfs - 1];
    vf->address = g_string_chunk_insert(t->strings, r->address != NULL ? r->address : "");
    vf->pf = t->n_pfs - 1;
    vf->node = r->numa_node;
    vf->in_use = r->in_use;
    vf->eligible = r->eligible && !r->in_use;
    vf->owner = r->in_use && r->owner != NULL ? g_string_chunk_insert(t->strings, r->owner) : NULL;
    vf->unplaced = vf->owner != NULL && r->owner_unplaced;
    pf->n_vfs++;
    pf->in_use += vf->in_use;
    pf->eligible += vf->eligible;
    pf->node_mask |= pass_vf_node_bit(vf->node);
    if (vf->node != pf->node)
      mixed[vf->pf] = TRUE;
    t->n_in_use += vf->in_use;
    t->n_eligible += vf->eligible;
  }

  t->group_vfs = g_new(guint, t->n_eligible + 1);
  for (guint p = 0; p < t->n_pfs; p++)
    add_groups(t, p, mixed[p], groups, &n_group_vfs);
  t->n_groups = groups->len;
  t->groups = (PassVfGroup *)g_array_free(g_steal_pointer(&groups), FALSE);
  return t;
}

void
pass_vf_table_free(PassVfTable *table)
{
  if (table == NULL)
    return;
  g_string_chunk_free(table->strings);
  g_free(table->vfs);
  g_free(table->pfs);
  g_free(table->groups);
  g_free(table->group_vfs);
  g_free(table);
}

guint
pass_vf_table_get_n_vfs(const PassVfTable *table)
{
  return table->n_vfs;
}

guint
pass_vf_table_get_n_pfs(const PassVfTable *table)
{
  return table->n_pfs;
}

/* ---- the pick ---- */

typedef enum {
  TIER_LOCAL,
  TIER_OTHER,
  TIER_ALL,
} Tier;

typedef struct {
  const PassVfTable *t;
  const PassVfRequest *req;
  gboolean pack;
  gboolean *local;  /* per group */
  guint *taken;     /* per group: its VFs chosen so far (always its first ones) */
  guint *pf_picked; /* per PF: this request's VFs on it so far */
} Pick;

static gboolean
node_is_local(const PassVfRequest *req, int node)
{
  if (node < 0)
    return FALSE;
  for (gsize i = 0; i < req->n_domain_nodes; i++) {
    if (req->domain_nodes[i] == node)
      return TRUE;
  }
  return FALSE;
}

static guint
load(const Pick *pick, guint pf)
{
  return pick->t->pfs[pf].in_use + pick->pf_picked[pf];
}

static gboolean
in_tier(const Pick *pick, guint g, Tier tier)
{
  if (pick->taken[g] >= pick->t->groups[g].n)
    return FALSE;
  return tier == TIER_ALL || (tier == TIER_LOCAL) == pick->local[g];
}

/* Does PF @a come before PF @b by the policy (addresses aside)? 0: tied. */
static int
compare_pfs(const Pick *pick, guint a, guint b)
{
  guint la = load(pick, a), lb = load(pick, b);

  if (pick->pack)
    return (la < lb) - (la > lb);
  if (pick->pf_picked[a] != pick->pf_picked[b])
    return pick->pf_picked[a] < pick->pf_picked[b] ? -1 : 1;
  return (la > lb) - (la < lb);
}

static guint
next_vf(const Pick *pick, guint g)
{
  const PassVfGroup *group = &pick->t->groups[g];

  return pick->t->group_vfs[group->first + pick->taken[g]];
}

/* The group to take the next VF from, or -1. Groups are in PF order, so the first best wins
 * ties by PF address; within a PF (several nodes) the lower VF address. */
static gint
best_group(const Pick *pick, Tier tier)
{
  gint best = -1;

  for (guint g = 0; g < pick->t->n_groups; g++) {
    int c;

    if (!in_tier(pick, g, tier))
      continue;
    if (best < 0) {
      best = (gint)g;
      continue;
    }
    c = compare_pfs(pick, pick->t->groups[g].pf, pick->t->groups[best].pf);
    if (c < 0 || (c == 0 && pick->t->groups[g].pf == pick->t->groups[best].pf &&
                  next_vf(pick, g) < next_vf(pick, (guint)best)))
      best = (gint)g;
  }
  return best;
}

/* "NUMA node 1" or "NUMA nodes 0, 1" for the domain's nodes, sorted, each once. */
static char *
format_domain_nodes(const PassVfRequest *req)
{
  g_autofree int *nodes = g_memdup2(req->domain_nodes, sizeof(int) * req->n_domain_nodes);
  GString *text = g_string_new("NUMA node");
  guint n = 0;

  qsort(nodes, req->n_domain_nodes, sizeof(int), compare_ints);
  for (gsize i = 0; i < req->n_domain_nodes; i++) {
    if (n > 0 && nodes[n - 1] == nodes[i])
      continue;
    nodes[n++] = nodes[i];
  }
  if (n > 1)
    g_string_append_c(text, 's');
  for (guint i = 0; i < n; i++)
    g_string_append_printf(text, "%s%d", i == 0 ? " " : ", ", nodes[i]);
  return g_string_free(text, FALSE);
}

static void
append_node(GString *text, int node)
{
  if (node < 0)
    g_string_append(text, "NUMA node unknown");
  else
    g_string_append_printf(text, "NUMA node %d", node);
}

static char *
pick_reason(const Pick *pick, guint g, Tier tier)
{
  const PassVfTable *t = pick->t;
  guint p = t->groups[g].pf;
  const PassVfPf *pf = &t->pfs[p];
  GString *text = g_string_new(NULL);
  guint min_load = G_MAXUINT;
  gint tie = -1;

  /* The other candidates: a tie (the next PF of equal rank) and the least load of them all. */
  for (guint h = 0; h < t->n_groups; h++) {
    guint q = t->groups[h].pf;

    if (!in_tier(pick, h, tier))
      continue;
    min_load = MIN(min_load, load(pick, q));
    if (q != p && tie < 0 && compare_pfs(pick, p, q) == 0)
      tie = (gint)q;
  }

  g_string_append_printf(text, "lowest free VF of PF %s, ", pf->address);
  if (pick->pack)
    g_string_append_printf(text, "the most-loaded PF with a free VF (%u of %u in use",
                           load(pick, p), pf->n_vfs);
  else
    g_string_append_printf(text, "which has the fewest VFs in use (%u of %u", load(pick, p),
                           pf->n_vfs);
  if (pick->pf_picked[p] > 0)
    g_string_append_printf(text, ", %u of them this request's", pick->pf_picked[p]);
  g_string_append_c(text, ')');
  if (!pick->pack && pick->pf_picked[p] == 0 && load(pick, p) > min_load)
    g_string_append(text, " of the PFs this request does not use yet");
  else if (!pick->pack && pick->pf_picked[p] > 0)
    g_string_append_printf(text,
                           ", reused: every %sPF with a free VF already has one of this "
                           "request's",
                           tier == TIER_LOCAL ? "local " : "");
  if (tie >= 0)
    g_string_append_printf(text, ", tied with PF %s (lower address first)", t->pfs[tie].address);
  g_string_append(text, "; ");

  append_node(text, t->groups[g].node);
  if (pick->req->numa == PASS_VF_NUMA_IGNORE) {
    g_string_append(text, " (NUMA ignored)");
  } else if (pick->req->n_domain_nodes == 0) {
    g_string_append(text, " (the domain's NUMA placement is unknown)");
  } else if (pick->local[g]) {
    g_string_append(text, ", local to the domain");
  } else {
    g_autofree char *nodes = format_domain_nodes(pick->req);

    g_string_append_printf(text, ", not local to the domain (no free VF left on %s)", nodes);
  }
  return g_string_free(text, FALSE);
}

/* Where the eligible VFs that are not local are: "node 0: 3 (PFs 0000:3b:00.0, 0000:3c:00.0)",
 * nodes in order, at most 3 PFs named per node. */
static char *
format_elsewhere(const Pick *pick)
{
  const PassVfTable *t = pick->t;
  g_autofree int *nodes = g_new(int, t->n_groups + 1);
  GString *text = g_string_new(NULL);
  guint n_nodes = 0;

  for (guint g = 0; g < t->n_groups; g++) {
    if (!pick->local[g] && t->groups[g].n > 0)
      nodes[n_nodes++] = t->groups[g].node;
  }
  qsort(nodes, n_nodes, sizeof(int), compare_ints);
  for (guint i = 0; i < n_nodes; i++) {
    guint count = 0, n_pfs = 0;
    g_autoptr(GString) pfs = g_string_new(NULL);

    if (i > 0 && nodes[i] == nodes[i - 1])
      continue;
    for (guint g = 0; g < t->n_groups; g++) {
      if (pick->local[g] || t->groups[g].n == 0 || t->groups[g].node != nodes[i])
        continue;
      count += t->groups[g].n;
      if (n_pfs++ < 3)
        g_string_append_printf(pfs, "%s%s", n_pfs > 1 ? ", " : "", t->pfs[t->groups[g].pf].address);
    }
    if (n_pfs > 3)
      g_string_append_printf(pfs, " and %u more", n_pfs - 3);
    if (text->len > 0)
      g_string_append(text, "; ");
    if (nodes[i] < 0)
      g_string_append(text, "node unknown");
    else
      g_string_append_printf(text, "node %d", nodes[i]);
    g_string_append_printf(text, ": %u (PF%s %s)", count, n_pfs > 1 ? "s" : "", pfs->str);
  }
  if (text->len == 0)
    g_string_append(text, "none");
  return g_string_free(text, FALSE);
}

static PassVfPick *
fail(PassVfPick *result, PassVfVerdict verdict, char *message)
{
  result->verdict = verdict;
  result->message = message;
  return result;
}

static void
choice_free(gpointer data)
{
  PassVfChoice *choice = data;

  g_free(choice->address);
  g_free(choice->pf);
  g_free(choice->reason);
  g_free(choice);
}

PassVfPick *
pass_vf_table_pick(const PassVfTable *table, const PassVfRequest *request)
{
  PassVfPick *result;
  g_autofree gboolean *local = NULL;
  g_autofree guint *taken = NULL;
  g_autofree guint *pf_picked = NULL;
  gboolean known = request->n_domain_nodes > 0;
  Pick pick = {.t = table, .req = request, .pack = request->policy == PASS_VF_POLICY_PACK};
  Tier tiers[2];
  guint n_tiers = 0, n_other = 0;

  g_return_val_if_fail(request != NULL && request->count >= 1, NULL);
  g_return_val_if_fail(request->domain_nodes != NULL || request->n_domain_nodes == 0, NULL);
  result = g_new0(PassVfPick, 1);
  result->choices = g_ptr_array_new_with_free_func(choice_free);
  result->n_eligible = table->n_eligible;

  local = g_new(gboolean, table->n_groups + 1);
  for (guint g = 0; g < table->n_groups; g++) {
    local[g] = known && node_is_local(request, table->groups[g].node);
    if (local[g])
      result->n_local += table->groups[g].n;
  }
  pick.local = local;

  if (table->n_eligible < request->count)
    return fail(result, PASS_VF_PICK_NOT_ENOUGH,
                g_strdup_printf("not enough eligible VFs: %u eligible, %u needed (of %u VFs, %u "
                                "of them in use)",
                                table->n_eligible, request->count, table->n_vfs, table->n_in_use));
  if (request->numa == PASS_VF_NUMA_REQUIRED && !known)
    return fail(result, PASS_VF_PICK_NUMA_UNKNOWN,
                g_strdup("NUMA required, but the domain's NUMA placement is unknown (it has no "
                         "<numatune>, vCPU pinning or guest NUMA cells)"));
  if (request->numa == PASS_VF_NUMA_REQUIRED && result->n_local < request->count) {
    g_autofree char *nodes = format_domain_nodes(request);
    g_autofree char *elsewhere = format_elsewhere(&pick);

    if (result->n_local == 0)
      return fail(result, PASS_VF_PICK_NOT_LOCAL,
                  g_strdup_printf("NUMA required: no eligible VF on %s, the domain's (%u "
                                  "needed); the eligible VFs are on %s",
                                  nodes, request->count, elsewhere));
    return fail(result, PASS_VF_PICK_NOT_LOCAL,
                g_strdup_printf("NUMA required: only %u eligible VF%s on %s, the domain's, and "
                                "%u needed; the other eligible VFs are on %s",
                                result->n_local, result->n_local == 1 ? "" : "s", nodes,
                                request->count, elsewhere));
  }

  if (request->numa == PASS_VF_NUMA_IGNORE || !known) {
    tiers[n_tiers++] = TIER_ALL;
  } else {
    tiers[n_tiers++] = TIER_LOCAL;
    if (request->numa == PASS_VF_NUMA_PREFERRED)
      tiers[n_tiers++] = TIER_OTHER;
  }
  taken = g_new0(guint, table->n_groups + 1);
  pf_picked = g_new0(guint, table->n_pfs + 1);
  pick.taken = taken;
  pick.pf_picked = pf_picked;

  for (guint i = 0; i < request->count; i++) {
    PassVfChoice *choice = g_new0(PassVfChoice, 1);
    gint g = -1;
    Tier tier = TIER_ALL;
    const PassVfEntry *vf;

    for (guint k = 0; k < n_tiers && g < 0; k++) {
      tier = tiers[k];
      g = best_group(&pick, tier);
    }
    g_assert(g >= 0); /* the counts above guarantee one */
    vf = &table->vfs[next_vf(&pick, (guint)g)];
    choice->address = g_strdup(vf->address);
    choice->pf = g_strdup(table->pfs[vf->pf].address);
    choice->numa_node = vf->node;
    choice->local = local[g];
    choice->reason = pick_reason(&pick, (guint)g, tier);
    g_ptr_array_add(result->choices, choice);
    taken[g]++;
    pf_picked[vf->pf]++;
    n_other += !local[g];
  }

  if (request->numa == PASS_VF_NUMA_PREFERRED && !known) {
    result->numa_note = g_strdup("the domain's NUMA placement is unknown: VFs chosen without "
                                 "regard to NUMA");
  } else if (request->numa == PASS_VF_NUMA_PREFERRED && n_other > 0) {
    g_autofree char *nodes = format_domain_nodes(request);
    GString *note = g_string_new(NULL);
    guint listed = 0;

    result->numa_fallback = TRUE;
    g_string_append_printf(
        note, "%u of the %u VFs %s not on %s, the domain's (%u eligible there):", n_other,
        request->count, n_other == 1 ? "is" : "are", nodes, result->n_local);
    for (guint i = 0; i < result->choices->len; i++) {
      PassVfChoice *c = result->choices->pdata[i];

      if (c->local)
        continue;
      g_string_append_printf(note, "%s %s on ", listed++ > 0 ? "," : "", c->address);
      if (c->numa_node < 0)
        g_string_append(note, "an unknown node");
      else
        g_string_append_printf(note, "node %d", c->numa_node);
    }
    result->numa_note = g_string_free(note, FALSE);
  }
  return result;
}

PassVfPick *
pass_vf_pick(const PassVfRow *rows, gsize n_rows, const PassVfRequest *request)
{
  g_autoptr(PassVfTable) table = pass_vf_table_new(rows, n_rows);

  return pass_vf_table_pick(table, request);
}

void
pass_vf_pick_free(PassVfPick *pick)
{
  if (pick == NULL)
    return;
  g_free(pick->message);
  g_free(pick->numa_note);
  if (pick->choices != NULL)
    g_ptr_array_unref(pick->choices);
  g_free(pick);
}
