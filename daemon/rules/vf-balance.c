/* The balance summary and the balance plan (see vf-pick.h). */
#include "vf-table.h"

#include <stdlib.h>

/* ---- the summary ---- */

static int
compare_ints(const void *pa, const void *pb)
{
  int a = *(const int *)pa, b = *(const int *)pb;

  return (a > b) - (a < b);
}

static void
pf_load_free(gpointer data)
{
  PassVfPfLoad *pf = data;

  g_free(pf->address);
  g_strfreev(pf->guests);
  g_free(pf);
}

/* The names of the guests in @ids (indices into the sorted guest table): sorted, each once. */
static GStrv
guest_names(const PassVfTable *t, int *ids, guint n)
{
  GStrv names = g_new(char *, n + 1);
  guint k = 0;

  qsort(ids, n, sizeof(int), compare_ints);
  for (guint i = 0; i < n; i++) {
    if (i == 0 || ids[i] != ids[i - 1])
      names[k++] = g_strdup(t->guests[ids[i]]);
  }
  names[k] = NULL;
  return names;
}

static PassVfNodeLoad *
node_entry(GArray *nodes, int node)
{
  for (guint i = 0; i < nodes->len; i++) {
    PassVfNodeLoad *entry = &g_array_index(nodes, PassVfNodeLoad, i);

    if (entry->numa_node == node)
      return entry;
  }
  g_array_append_val(nodes, ((PassVfNodeLoad){.numa_node = node}));
  return &g_array_index(nodes, PassVfNodeLoad, nodes->len - 1);
}

static int
compare_node_loads(gconstpointer pa, gconstpointer pb)
{
  const PassVfNodeLoad *a = pa, *b = pb;

  return (a->numa_node > b->numa_node) - (a->numa_node < b->numa_node);
}

PassVfBalance *
pass_vf_balance_compute(const PassVfTable *t, const gboolean *in_use, const gboolean *eligible,
                        const gint *guest)
{
  PassVfBalance *balance = g_new0(PassVfBalance, 1);
  g_autofree int *ids = NULL;
  /* per node: the least and most VFs in use over its PFs (in the parallel array) */
  g_autoptr(GArray) node_min = g_array_new(FALSE, TRUE, sizeof(guint));
  g_autoptr(GArray) node_max = g_array_new(FALSE, TRUE, sizeof(guint));
  guint max_vfs = 0;

  balance->pfs = g_ptr_array_new_full(t->n_pfs, pf_load_free);
  balance->nodes = g_array_new(FALSE, TRUE, sizeof(PassVfNodeLoad));
  for (guint p = 0; p < t->n_pfs; p++)
    max_vfs = MAX(max_vfs, t->pfs[p].n_vfs);
  ids = g_new(int, max_vfs + 1);

  for (guint p = 0; p < t->n_pfs; p++) {
    const PassVfPf *pf = &t->pfs[p];
    PassVfPfLoad *out = g_new0(PassVfPfLoad, 1);
    PassVfNodeLoad *node;
    guint n_ids = 0, index;

    out->address = g_strdup(pf->address);
    out->numa_node = pf->node;
    out->n_vfs = pf->n_vfs;
    for (guint v = pf->first; v < pf->first + pf->n_vfs; v++) {
      gboolean used = in_use != NULL ? in_use[v] : t->vfs[v].in_use;
      gboolean free = eligible != NULL ? eligible[v] : t->vfs[v].eligible;
      gint owner = guest != NULL ? guest[v] : t->vfs[v].guest;

      node = node_entry(balance->nodes, t->vfs[v].node);
      node->n_vfs++;
      node->in_use += used;
      node->eligible += free;
      out->in_use += used;
      out->eligible += free;
      if (used && owner >= 0)
        ids[n_ids++] = owner;
    }
    out->guests = guest_names(t, ids, n_ids);
    g_ptr_array_add(balance->pfs, out);

    balance->in_use += out->in_use;
    balance->min_in_use = p == 0 ? out->in_use : MIN(balance->min_in_use, out->in_use);
    balance->max_in_use = MAX(balance->max_in_use, out->in_use);
    node = node_entry(balance->nodes, pf->node);
    index = (guint)(node - &g_array_index(balance->nodes, PassVfNodeLoad, 0));
    if (node_min->len <= index) {
      g_array_set_size(node_min, balance->nodes->len);
      g_array_set_size(node_max, balance->nodes->len);
    }
    if (node->n_pfs++ == 0 || out->in_use < g_array_index(node_min, guint, index))
      g_array_index(node_min, guint, index) = out->in_use;
    g_array_index(node_max, guint, index) = MAX(g_array_index(node_max, guint, index), out->in_use);
  }
  balance->skew = balance->max_in_use - balance->min_in_use;
  for (guint i = 0; i < balance->nodes->len; i++) {
    PassVfNodeLoad *node = &g_array_index(balance->nodes, PassVfNodeLoad, i);

    if (node->n_pfs > 0)
      node->skew = g_array_index(node_max, guint, i) - g_array_index(node_min, guint, i);
  }
  g_array_sort(balance->nodes, compare_node_loads);
  return balance;
}

PassVfBalance *
pass_vf_table_balance(const PassVfTable *table)
{
  return pass_vf_balance_compute(table, NULL, NULL, NULL);
}

void
pass_vf_balance_free(PassVfBalance *balance)
{
  if (balance == NULL)
    return;
  g_ptr_array_unref(balance->pfs);
  g_array_unref(balance->nodes);
  g_free(balance);
}

/* ---- the plan ---- */

typedef struct {
  const PassVfTable *t;
  gboolean *in_use, *eligible, *fixed; /* per VF; fixed: freed or plugged by a move */
  gint *guest;                         /* per VF */
  guint *guest_vfs;                    /* the table's, kept current as VFs move */
  guint *cursor;                       /* per group: its eligible VFs used as targets so far */
  guint *load;                         /* per PF */
  guint *order;                        /* PFs by load (most first), then address */
  guint *pos;                          /* per PF: its place in order */
} Plan;

static gboolean
ranks_before(const Plan *plan, guint a, guint b)
{
  return plan->load[a] > plan->load[b] || (plan->load[a] == plan->load[b] && a < b);
}

static void
swap_places(Plan *plan, guint i, guint j)
{
  guint a = plan->order[i], b = plan->order[j];

  plan->order[i] = b;
  plan->order[j] = a;
  plan->pos[b] = i;
  plan->pos[a] = j;
}

/* Keeps order sorted after @p's load went down (@down) or up by one. */
static void
reposition(Plan *plan, guint p, gboolean down)
{
  guint i = plan->pos[p];

  if (down) {
    for (; i + 1 < plan->t->n_pfs && ranks_before(plan, plan->order[i + 1], p); i++)
      swap_places(plan, i, i + 1);
  } else {
    for (; i > 0 && ranks_before(plan, p, plan->order[i - 1]); i--)
      swap_places(plan, i, i - 1);
  }
}

static gboolean
guest_on_pf(const Plan *plan, gint guest, guint pf)
{
  const PassVfTable *t = plan->t;

  for (guint i = t->guest_first[guest]; i < t->guest_first[guest + 1]; i++) {
    if (t->vfs[plan->guest_vfs[i]].pf == pf)
      return TRUE;
  }
  return FALSE;
}

/* A VF of PF @a that may move to PF @b: the lowest-addressed one with an owner that has no VF
 * on @b yet, and for which @b has a target on its node. */
static gboolean
find_pair(const Plan *plan, guint a, guint b, guint *from, guint *group)
{
  const PassVfTable *t = plan->t;
  const PassVfPf *pa = &t->pfs[a], *pb = &t->pfs[b];

  if ((pa->node_mask & pb->node_mask) == 0)
    return FALSE;
  for (guint v = pa->first; v < pa->first + pa->n_vfs; v++) {
    if (!plan->in_use[v] || plan->guest[v] < 0 || plan->fixed[v])
      continue;
    for (guint g = pb->first_group; g < pb->first_group + pb->n_groups; g++) {
      if (t->groups[g].node != t->vfs[v].node || plan->cursor[g] >= t->groups[g].n)
        continue;
      if (guest_on_pf(plan, plan->guest[v], b))
        break;
      *from = v;
      *group = g;
      return TRUE;
    }
  }
  return FALSE;
}

/* The next move (see vf-pick.h): sources by rank, targets least-loaded first (ties: lowest
 * address), only pairs whose loads differ by 2 or more. */
static gboolean
find_move(const Plan *plan, guint *from, guint *group)
{
  guint n = plan->t->n_pfs;

  for (guint si = 0; si < n; si++) {
    guint a = plan->order[si];
    gint j = (gint)n - 1;

    if (plan->load[a] < plan->load[plan->order[n - 1]] + 2)
      break;
    while (j >= 0) {
      guint level = plan->load[plan->order[j]];
      gint s = j;

      if (plan->load[a] < level + 2)
        break;
      while (s > 0 && plan->load[plan->order[s - 1]] == level)
        s--;
      for (gint k = s; k <= j; k++) {
        if (find_pair(plan, a, plan->order[k], from, group))
          return TRUE;
      }
      j = s - 1;
    }
  }
  return FALSE;
}

static void
move_free(gpointer data)
{
  PassVfMove *move = data;

  g_free(move->guest);
  g_free(move->from);
  g_free(move->from_pf);
  g_free(move->to);
  g_free(move->to_pf);
  g_free(move->reason);
  g_free(move);
}

static PassVfMove *
apply_move(Plan *plan, guint v, guint g)
{
  const PassVfTable *t = plan->t;
  const PassVfGroup *group = &t->groups[g];
  guint w = t->group_vfs[group->first + plan->cursor[g]++];
  guint a = t->vfs[v].pf, b = group->pf;
  gint guest = plan->guest[v];
  PassVfMove *move = g_new0(PassVfMove, 1);
  g_autofree char *node = group->node < 0 ? g_strdup("an unknown NUMA node")
                                          : g_strdup_printf("NUMA node %d", group->node);

  move->guest = g_strdup(t->guests[guest]);
  move->from = g_strdup(t->vfs[v].address);
  move->from_pf = g_strdup(t->pfs[a].address);
  move->to = g_strdup(t->vfs[w].address);
  move->to_pf = g_strdup(t->pfs[b].address);
  move->numa_node = group->node;
  move->reason = g_strdup_printf("PF %s has %u VFs in use, PF %s %u: the least-loaded PF with a "
                                 "free VF on %s (as %s is) where %s has no VF yet",
                                 move->from_pf, plan->load[a], move->to_pf, plan->load[b], node,
                                 move->from, move->guest);

  plan->in_use[v] = FALSE;
  plan->eligible[v] = TRUE;
  plan->guest[v] = -1;
  plan->in_use[w] = TRUE;
  plan->eligible[w] = FALSE;
  plan->guest[w] = guest;
  plan->fixed[v] = plan->fixed[w] = TRUE;
  for (guint i = t->guest_first[guest]; i < t->guest_first[guest + 1]; i++) {
    if (plan->guest_vfs[i] == v)
      plan->guest_vfs[i] = w;
  }
  plan->load[a]--;
  reposition(plan, a, TRUE);
  plan->load[b]++;
  reposition(plan, b, FALSE);
  return move;
}

static int
compare_u64(const void *pa, const void *pb)
{
  guint64 a = *(const guint64 *)pa, b = *(const guint64 *)pb;

  return (a > b) - (a < b);
}

PassVfPlan *
pass_vf_table_plan(const PassVfTable *t)
{
  PassVfPlan *result = g_new0(PassVfPlan, 1);
  guint n = t->n_vfs;
  g_autofree gboolean *in_use = g_new(gboolean, n + 1);
  g_autofree gboolean *eligible = g_new(gboolean, n + 1);
  g_autofree gboolean *fixed = g_new0(gboolean, n + 1);
  g_autofree gint *guest = g_new(gint, n + 1);
  g_autofree guint *guest_vfs =
      g_memdup2(t->guest_vfs, sizeof(guint) * (t->guest_first[t->n_guests] + 1));
  g_autofree guint *cursor = g_new0(guint, t->n_groups + 1);
  g_autofree guint *load = g_new(guint, t->n_pfs + 1);
  g_autofree guint *order = g_new(guint, t->n_pfs + 1);
  g_autofree guint *pos = g_new(guint, t->n_pfs + 1);
  Plan plan = {t, in_use, eligible, fixed, guest, guest_vfs, cursor, load, order, pos};
  g_autofree guint64 *ranks = g_new(guint64, t->n_pfs + 1);
  guint from, group;

  for (guint v = 0; v < n; v++) {
    in_use[v] = t->vfs[v].in_use;
    eligible[v] = t->vfs[v].eligible;
    guest[v] = t->vfs[v].guest;
  }
  /* order: most load first, then PF index (= address) */
  for (guint p = 0; p < t->n_pfs; p++) {
    load[p] = t->pfs[p].in_use;
    ranks[p] = (guint64)(G_MAXUINT32 - load[p]) << 32 | p;
  }
  qsort(ranks, t->n_pfs, sizeof(guint64), compare_u64);
  for (guint i = 0; i < t->n_pfs; i++) {
    order[i] = (guint)(ranks[i] & G_MAXUINT32);
    pos[order[i]] = i;
  }

  result->moves = g_ptr_array_new_with_free_func(move_free);
  /* Each move lowers the sum of the squared loads by 2 or more, so this ends. */
  while (t->n_pfs > 1 && find_move(&plan, &from, &group))
    g_ptr_array_add(result->moves, apply_move(&plan, from, group));
  result->before = pass_vf_balance_compute(t, NULL, NULL, NULL);
  result->after = pass_vf_balance_compute(t, in_use, eligible, guest);
  return result;
}

void
pass_vf_plan_free(PassVfPlan *plan)
{
  if (plan == NULL)
    return;
  g_ptr_array_unref(plan->moves);
  pass_vf_balance_free(plan->before);
  pass_vf_balance_free(plan->after);
  g_free(plan);
}
