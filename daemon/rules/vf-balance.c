/* The balance summary and the balance plan (see vf-pick.h). */
#include "vf-table.h"

#include <stdlib.h>
#include <string.h>

/* ---- the guests ---- */

/* The owners of the VFs in use, indexed: names sorted, each VF's guest, each guest's VFs. */
typedef struct {
  const char **names; /* in the table's string chunk */
  guint n;
  gint *of_vf;        /* per VF: index into names, -1 none */
  guint *first;       /* n + 1 offsets into vfs */
  guint *vfs;         /* each guest's VFs in use, by VF index */
  gboolean *unplaced; /* per guest: no NUMA affinity (every one of its VFs says so) */
} Guests;

typedef struct {
  const char *name;
  guint id; /* in order of first appearance */
} Named;

static int
compare_names(const void *pa, const void *pb)
{
  return strcmp(((const Named *)pa)->name, ((const Named *)pb)->name);
}

static void
guests_init(Guests *guests, const PassVfTable *t)
{
  g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
  g_autofree Named *seen = g_new(Named, t->n_vfs + 1);
  g_autofree guint *rank = NULL;
  g_autofree guint *fill = NULL;
  guint n = 0;

  guests->of_vf = g_new(gint, t->n_vfs + 1);
  for (guint v = 0; v < t->n_vfs; v++) {
    gpointer id;

    guests->of_vf[v] = -1;
    if (t->vfs[v].owner == NULL)
      continue;
    if (!g_hash_table_lookup_extended(ids, t->vfs[v].owner, NULL, &id)) {
      id = GUINT_TO_POINTER(n);
      seen[n] = (Named){t->vfs[v].owner, n};
      n++;
      g_hash_table_insert(ids, (gpointer)t->vfs[v].owner, id);
    }
    guests->of_vf[v] = (gint)GPOINTER_TO_UINT(id);
  }

  /* renumber by name */
  rank = g_new(guint, n + 1);
  qsort(seen, n, sizeof(Named), compare_names);
  guests->n = n;
  guests->names = g_new(const char *, n + 1);
  for (guint i = 0; i < n; i++) {
    guests->names[i] = seen[i].name;
    rank[seen[i].id] = i;
  }
  guests->first = g_new0(guint, n + 1);
  guests->unplaced = g_new(gboolean, n + 1);
  for (guint g = 0; g < n; g++)
    guests->unplaced[g] = TRUE;
  for (guint v = 0; v < t->n_vfs; v++) {
    if (guests->of_vf[v] >= 0) {
      guests->of_vf[v] = (gint)rank[guests->of_vf[v]];
      guests->first[guests->of_vf[v] + 1]++;
      guests->unplaced[guests->of_vf[v]] &= t->vfs[v].unplaced;
    }
  }
  for (guint g = 0; g < n; g++)
    guests->first[g + 1] += guests->first[g];
  guests->vfs = g_new(guint, guests->first[n] + 1);
  fill = g_memdup2(guests->first, sizeof(guint) * (n + 1));
  for (guint v = 0; v < t->n_vfs; v++) {
    if (guests->of_vf[v] >= 0)
      guests->vfs[fill[guests->of_vf[v]]++] = v;
  }
}

static void
guests_clear(Guests *guests)
{
  g_free(guests->names);
  g_free(guests->of_vf);
  g_free(guests->first);
  g_free(guests->vfs);
  g_free(guests->unplaced);
}

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
guest_names(const Guests *guests, int *ids, guint n)
{
  GStrv names = g_new(char *, n + 1);
  guint k = 0;

  qsort(ids, n, sizeof(int), compare_ints);
  for (guint i = 0; i < n; i++) {
    if (i == 0 || ids[i] != ids[i - 1])
      names[k++] = g_strdup(guests->names[ids[i]]);
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

/* The summary of @t with the VFs' state replaced by @in_use, @eligible and @guest (per VF
 * index; NULL: the table's own). */
static PassVfBalance *
balance_compute(const PassVfTable *t, const Guests *guests, const gboolean *in_use,
                const gboolean *eligible, const gint *guest)
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
      gint owner = guest != NULL ? guest[v] : guests->of_vf[v];

      node = node_entry(balance->nodes, t->vfs[v].node);
      node->n_vfs++;
      node->in_use += used;
      node->eligible += free;
      out->in_use += used;
      out->eligible += free;
      if (used && owner >= 0)
        ids[n_ids++] = owner;
    }
    out->guests = guest_names(guests, ids, n_ids);
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
  Guests guests;
  PassVfBalance *balance;

  guests_init(&guests, table);
  balance = balance_compute(table, &guests, NULL, NULL, NULL);
  guests_clear(&guests);
  return balance;
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
  const Guests *guests;
  guint *guest_vfs; /* guests->vfs, kept current as VFs move */
  guint *cursor;    /* per group: its eligible VFs used as targets so far */
  guint *load;      /* per PF */
  guint *movable;   /* per PF: VFs in use with an owner, not fixed */
  guint *targets;   /* per PF: eligible VFs not yet a move's target */
  guint *order;     /* PFs by load (most first), then address */
  guint *pos;       /* per PF: its place in order */
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

  for (guint i = plan->guests->first[guest]; i < plan->guests->first[guest + 1]; i++) {
    if (t->vfs[plan->guest_vfs[i]].pf == pf)
      return TRUE;
  }
  return FALSE;
}

/* @b's group with a target for VF @v: the one on @v's node, else (for a guest without NUMA
 * affinity only) the first with a target left, groups being ordered by node. */
static gboolean
find_group(const Plan *plan, guint v, guint b, gboolean anywhere, guint *group)
{
  const PassVfTable *t = plan->t;
  const PassVfPf *pb = &t->pfs[b];
  gint other = -1;

  for (guint g = pb->first_group; g < pb->first_group + pb->n_groups; g++) {
    if (plan->cursor[g] >= t->groups[g].n)
      continue;
    if (t->groups[g].node == t->vfs[v].node) {
      *group = g;
      return TRUE;
    }
    if (anywhere && other < 0)
      other = (gint)g;
  }
  if (other < 0)
    return FALSE;
  *group = (guint)other;
  return TRUE;
}

/* A VF of PF @a that may move to PF @b: the lowest-addressed one with an owner that has no VF
 * on @b yet, and for which @b has a target on its node (on any node when the owner has no
 * NUMA affinity). */
static gboolean
find_pair(const Plan *plan, guint a, guint b, guint *from, guint *group)
{
  const PassVfTable *t = plan->t;
  const PassVfPf *pa = &t->pfs[a], *pb = &t->pfs[b];
  gboolean shares_node = (pa->node_mask & pb->node_mask) != 0;

  if (plan->movable[a] == 0 || plan->targets[b] == 0)
    return FALSE;
  for (guint v = pa->first; v < pa->first + pa->n_vfs; v++) {
    gboolean anywhere;

    if (!plan->in_use[v] || plan->guest[v] < 0 || plan->fixed[v])
      continue;
    anywhere = plan->guests->unplaced[plan->guest[v]];
    if (!anywhere && !shares_node)
      continue;
    if (find_group(plan, v, b, anywhere, group) && !guest_on_pf(plan, plan->guest[v], b)) {
      *from = v;
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

  move->guest = g_strdup(plan->guests->names[guest]);
  move->from = g_strdup(t->vfs[v].address);
  move->from_pf = g_strdup(t->pfs[a].address);
  move->to = g_strdup(t->vfs[w].address);
  move->to_pf = g_strdup(t->pfs[b].address);
  move->numa_node = group->node;
  move->from_numa_node = t->vfs[v].node;
  if (group->node == t->vfs[v].node)
    move->reason = g_strdup_printf("PF %s has %u VFs in use, PF %s %u: the least-loaded PF with a "
                                   "free VF on %s (as %s is) where %s has no VF yet",
                                   move->from_pf, plan->load[a], move->to_pf, plan->load[b], node,
                                   move->from, move->guest);
  else {
    g_autofree char *from_node = t->vfs[v].node < 0
                                     ? g_strdup("an unknown NUMA node")
                                     : g_strdup_printf("NUMA node %d", t->vfs[v].node);

    move->reason = g_strdup_printf(
        "PF %s has %u VFs in use, PF %s %u: the least-loaded PF with a free VF where %s has no "
        "VF yet; it is on %s and %s on %s, but %s has no NUMA affinity (no <numatune>, vcpu "
        "pinning or guest <numa> cells), so it loses no locality",
        move->from_pf, plan->load[a], move->to_pf, plan->load[b], move->guest, node, move->from,
        from_node, move->guest);
  }

  plan->in_use[v] = FALSE;
  plan->eligible[v] = TRUE;
  plan->guest[v] = -1;
  plan->in_use[w] = TRUE;
  plan->eligible[w] = FALSE;
  plan->guest[w] = guest;
  plan->fixed[v] = plan->fixed[w] = TRUE;
  for (guint i = plan->guests->first[guest]; i < plan->guests->first[guest + 1]; i++) {
    if (plan->guest_vfs[i] == v)
      plan->guest_vfs[i] = w;
  }
  plan->movable[a]--;
  plan->targets[b]--;
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
  Guests guests;
  g_autofree guint *guest_vfs = NULL;
  g_autofree guint *cursor = g_new0(guint, t->n_groups + 1);
  g_autofree guint *load = g_new(guint, t->n_pfs + 1);
  g_autofree guint *order = g_new(guint, t->n_pfs + 1);
  g_autofree guint *pos = g_new(guint, t->n_pfs + 1);
  g_autofree guint *movable = g_new0(guint, t->n_pfs + 1);
  g_autofree guint *targets = g_new(guint, t->n_pfs + 1);
  Plan plan = {.t = t,
               .guests = &guests,
               .in_use = in_use,
               .eligible = eligible,
               .fixed = fixed,
               .guest = guest,
               .guest_vfs = guest_vfs,
               .cursor = cursor,
               .load = load,
               .movable = movable,
               .targets = targets,
               .order = order,
               .pos = pos};
  g_autofree guint64 *ranks = g_new(guint64, t->n_pfs + 1);
  guint from, group;

  guests_init(&guests, t);
  guest_vfs = g_memdup2(guests.vfs, sizeof(guint) * (guests.first[guests.n] + 1));
  plan.guest_vfs = guest_vfs;
  for (guint v = 0; v < n; v++) {
    in_use[v] = t->vfs[v].in_use;
    eligible[v] = t->vfs[v].eligible;
    guest[v] = guests.of_vf[v];
    movable[t->vfs[v].pf] += t->vfs[v].in_use && guest[v] >= 0;
  }
  /* order: most load first, then PF index (= address) */
  for (guint p = 0; p < t->n_pfs; p++) {
    load[p] = t->pfs[p].in_use;
    targets[p] = t->pfs[p].eligible;
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
  result->before = balance_compute(t, &guests, NULL, NULL, NULL);
  result->after = balance_compute(t, &guests, in_use, eligible, guest);
  guests_clear(&guests);
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
