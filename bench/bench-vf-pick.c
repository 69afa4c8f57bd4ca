/* The VF picker and the balance planner (daemon/rules/vf-pick.h) on large synthetic hosts,
 * no libvirt, no engine: what one pool attach's choice and one `balance --plan` cost.
 *
 *   pick: 256 PFs x 64 VFs on 2 NUMA nodes, half of the VFs in use (chosen at random, so the
 *         PFs' loads differ); the median of 10 000 picks over one prepared table, per policy
 *         and NUMA mode; also building that table from the rows, and both in one call.
 *   plan: 1 000 guests (800 with one VF, 200 with two on distinct PFs) over 256 PFs x 64 VFs,
 *         each guest on its NUMA node: packed onto the first PFs (the worst skew), and placed
 *         at random; the median of the plans' times.
 *
 * Usage: bench-vf-pick [PICKS] [PLANS] */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench-clock.h"

#include "vf-pick.h"

#define N_PFS 256
#define N_VFS 64

/* "median X us (min Y, p90 Z)" of @n times in ns. */
static void
report(const char *what, gint64 *times, guint n)
{
  bench_sort_times(times, n);
  printf("%-58s median %9.2f us  (min %9.2f, p90 %9.2f; %u runs)\n", what,
         (double)times[n / 2] / 1000.0, (double)times[0] / 1000.0,
         (double)times[n * 9 / 10] / 1000.0, n);
}

typedef struct {
  GPtrArray *strings;
  GArray *rows; /* PassVfRow */
} Host;

static int
pf_node(guint p)
{
  return p < N_PFS / 2 ? 0 : 1;
}

static Host *
host_new(void)
{
  Host *host = g_new0(Host, 1);

  host->strings = g_ptr_array_new_with_free_func(g_free);
  host->rows = g_array_new(FALSE, TRUE, sizeof(PassVfRow));
  for (guint p = 0; p < N_PFS; p++) {
    char *pf = g_strdup_printf("0000:%02x:00.0", p);

    g_ptr_array_add(host->strings, pf);
    for (guint i = 0; i < N_VFS; i++) {
      char *vf = g_strdup_printf("0000:%02x:%02x.%u", p, 1 + i / 8, i % 8);
      PassVfRow row = {vf, pf, pf_node(p), TRUE, FALSE, NULL};

      g_ptr_array_add(host->strings, vf);
      g_array_append_val(host->rows, row);
    }
  }
  return host;
}

static void
host_free(Host *host)
{
  g_ptr_array_unref(host->strings);
  g_array_unref(host->rows);
  g_free(host);
}

static PassVfRow *
row_of(Host *host, guint p, guint i)
{
  return &g_array_index(host->rows, PassVfRow, p * N_VFS + i);
}

static void
use(Host *host, guint p, guint i, const char *owner)
{
  PassVfRow *row = row_of(host, p, i);

  row->in_use = TRUE;
  row->eligible = FALSE;
  row->owner = owner;
}

/* Rows come from the engine in no useful order: shuffle them (after the placement). */
static void
shuffle(Host *host, guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
  GArray *rows = host->rows;

  for (guint i = rows->len; i > 1; i--) {
    guint j = (guint)g_rand_int_range(rand, 0, (gint32)i);
    PassVfRow swap = g_array_index(rows, PassVfRow, i - 1);

    g_array_index(rows, PassVfRow, i - 1) = g_array_index(rows, PassVfRow, j);
    g_array_index(rows, PassVfRow, j) = swap;
  }
}

/* Half of all VFs in use, chosen at random, by guests of 1 VF each. */
static Host *
half_used_host(void)
{
  Host *host = host_new();
  g_autoptr(GRand) rand = g_rand_new_with_seed(42);
  guint n = 0;

  while (n < N_PFS * N_VFS / 2) {
    guint j = (guint)g_rand_int_range(rand, 0, N_PFS * N_VFS);
    PassVfRow *row = &g_array_index(host->rows, PassVfRow, j);
    char *owner;

    if (row->in_use)
      continue;
    owner = g_strdup_printf("vm%u", n++);
    g_ptr_array_add(host->strings, owner);
    use(host, j / N_VFS, j % N_VFS, owner);
  }
  shuffle(host, 1);
  return host;
}

/* 1 000 guests, each on the PFs of its node (guest % 2): @packed fills PF after PF, else PFs at
 * random. Every 5th guest has two VFs, on two PFs. */
static Host *
guests_host(gboolean packed)
{
  Host *host = host_new();
  g_autoptr(GRand) rand = g_rand_new_with_seed(7);
  guint fill[N_PFS] = {0};
  guint cursor[2] = {0, N_PFS / 2};

  for (guint g = 0; g < 1000; g++) {
    char *owner = g_strdup_printf("guest%04u", g);
    guint node = g % 2, first = node * (N_PFS / 2);
    guint n_vfs = g % 5 == 0 ? 2 : 1;
    guint taken = N_PFS;

    g_ptr_array_add(host->strings, owner);
    for (guint k = 0; k < n_vfs; k++) {
      guint p;

      if (packed) {
        while (fill[cursor[node]] == N_VFS)
          cursor[node]++;
        p = cursor[node];
        if (p == taken) {
          p++;
          while (fill[p] == N_VFS)
            p++;
        }
      } else {
        do
          p = first + (guint)g_rand_int_range(rand, 0, N_PFS / 2);
        while (p == taken || fill[p] == N_VFS);
      }
      use(host, p, fill[p]++, owner);
      taken = p;
    }
  }
  shuffle(host, 2);
  return host;
}

static void
bench_picks(guint n_picks)
{
  Host *host = half_used_host();
  const PassVfRow *rows = (const PassVfRow *)host->rows->data;
  g_autoptr(PassVfTable) table = pass_vf_table_new(rows, host->rows->len);
  g_autofree gint64 *times = g_new(gint64, n_picks);
  const int nodes[2][1] = {{0}, {1}};
  const struct {
    const char *what;
    guint count;
    PassVfPolicy policy;
    PassVfNumaMode numa;
  } cases[] = {
      {"pick 1, spread, NUMA preferred (the default)", 1, PASS_VF_POLICY_SPREAD,
       PASS_VF_NUMA_PREFERRED},
      {"pick 1, pack, NUMA preferred", 1, PASS_VF_POLICY_PACK, PASS_VF_NUMA_PREFERRED},
      {"pick 1, spread, NUMA required", 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED},
      {"pick 1, spread, NUMA ignore", 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_IGNORE},
      {"pick 2 (a bond), spread, NUMA preferred", 2, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED},
  };
  guint n_builds = MAX(n_picks / 200, 5);

  printf("pick: %u PFs x %u VFs, %u in use, 2 NUMA nodes; the domain on node 0 or 1 in turn\n",
         pass_vf_table_get_n_pfs(table), N_VFS, N_PFS * N_VFS / 2);
  for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
    for (guint i = 0; i < n_picks; i++) {
      PassVfRequest request = {cases[c].count, cases[c].policy, cases[c].numa, nodes[i % 2], 1};
      gint64 start = bench_now_ns();
      PassVfPick *pick = pass_vf_table_pick(table, &request);

      times[i] = bench_now_ns() - start;
      if (pick->verdict != PASS_VF_PICK_OK || pick->choices->len != cases[c].count) {
        fprintf(stderr, "%s: no pick: %s\n", cases[c].what, pick->message);
        exit(1);
      }
      pass_vf_pick_free(pick);
    }
    report(cases[c].what, times, n_picks);
  }

  for (guint i = 0; i < n_builds; i++) {
    gint64 start = bench_now_ns();
    PassVfTable *built = pass_vf_table_new(rows, host->rows->len);

    times[i] = bench_now_ns() - start;
    pass_vf_table_free(built);
  }
  report("build the table from the rows (once per picture)", times, n_builds);
  for (guint i = 0; i < n_builds; i++) {
    PassVfRequest request = {1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, nodes[i % 2], 1};
    gint64 start = bench_now_ns();
    PassVfPick *pick = pass_vf_pick(rows, host->rows->len, &request);

    times[i] = bench_now_ns() - start;
    pass_vf_pick_free(pick);
  }
  report("pass_vf_pick(): build + pick 1 in one call", times, n_builds);
  host_free(host);
}

static void
bench_plan(const char *what, gboolean packed, guint n_plans)
{
  Host *host = guests_host(packed);
  const PassVfRow *rows = (const PassVfRow *)host->rows->data;
  g_autoptr(PassVfTable) table = pass_vf_table_new(rows, host->rows->len);
  g_autofree gint64 *times = g_new(gint64, n_plans);
  g_autofree gint64 *totals = g_new(gint64, n_plans);
  g_autofree char *label = NULL;
  g_autofree char *total_label = NULL;
  PassVfPlan *plan = pass_vf_table_plan(table);

  printf("plan, %s: 1000 guests, %u VFs in use, skew %u -> %u (node 0: %u -> %u, node 1: %u -> "
         "%u), %u moves\n",
         what, plan->before->in_use, plan->before->skew, plan->after->skew,
         g_array_index(plan->before->nodes, PassVfNodeLoad, 0).skew,
         g_array_index(plan->after->nodes, PassVfNodeLoad, 0).skew,
         g_array_index(plan->before->nodes, PassVfNodeLoad, 1).skew,
         g_array_index(plan->after->nodes, PassVfNodeLoad, 1).skew, plan->moves->len);
  pass_vf_plan_free(plan);

  for (guint i = 0; i < n_plans; i++) {
    gint64 start = bench_now_ns(), planned;
    PassVfTable *fresh;

    plan = pass_vf_table_plan(table);
    planned = bench_now_ns();
    times[i] = planned - start;
    pass_vf_plan_free(plan);

    start = bench_now_ns();
    fresh = pass_vf_table_new(rows, host->rows->len);
    plan = pass_vf_table_plan(fresh);
    totals[i] = bench_now_ns() - start;
    pass_vf_plan_free(plan);
    pass_vf_table_free(fresh);
  }
  label = g_strdup_printf("plan (%s), over the prepared table", what);
  report(label, times, n_plans);
  total_label = g_strdup_printf("plan (%s), table build included", what);
  report(total_label, totals, n_plans);
  host_free(host);
}

int
main(int argc, char **argv)
{
  guint n_picks = argc > 1 ? (guint)atoi(argv[1]) : 10000;
  guint n_plans = argc > 2 ? (guint)atoi(argv[2]) : 50;

  if (n_picks < 10 || n_plans < 1) {
    fprintf(stderr, "usage: %s [PICKS >= 10] [PLANS >= 1]\n", argv[0]);
    return 2;
  }
  bench_picks(n_picks);
  bench_plan("packed", TRUE, n_plans);
  bench_plan("random", FALSE, n_plans);
  return 0;
}
