/* Attach by pool against the recording fake ops: which VFs spread and pack choose over two PFs,
 * one guest taking VFs of two PFs, NUMA required and preferred, racing pool attaches (and a
 * pool attach racing a named one) getting different VFs, PF/VF exclusion both ways, the
 * all-or-none steps of a multi-VF attach, dry runs, net pools and the tables behind ListPools
 * and GetBalance (and which guests a balance plan may take to another NUMA node). */
#include <string.h>

#include "fake-ops.h"
#include "pass-error.h"
#include "pool-parse.h"
#include "tx-pool.h"
#include "tx.h"

#define PF_A "0000:10:00.0" /* NUMA node 0: VFs 10:00.1-4, unbound */
#define PF_B "0000:20:00.0" /* NUMA node 1: VFs 20:00.1-4 on vfio-pci, 20:00.5 on a host driver */

typedef struct {
  PassEngine *engine;
  PassTx *tx;
  FakeOps *fake;
  PassPool *pool; /* both PFs */
} Fixture;

static void
add_pf(Fixture *f, const char *pf, int bus, int group, int node, const char *vf_driver)
{
  fake_ops_add_device(f->fake, pf, group, NULL, 0x010802, "nvme", "nvme");
  fake_ops_set_numa_node(f->fake, pf, node);
  for (int i = 1; i <= 4; i++) {
    g_autofree char *vf = g_strdup_printf("0000:%02x:00.%d", bus, i);

    fake_ops_add_device(f->fake, vf, group + i, pf, 0x010802, vf_driver, "nvme");
    fake_ops_set_numa_node(f->fake, vf, node);
  }
}

static PassPool *
pool_of(const char *name, const char *const *pfs)
{
  PassPool *pool = pass_pool_new(name);

  for (guint i = 0; pfs[i]; i++)
    g_assert_true(pass_pool_add_pf(pool, pass_pool_parse_pf_selector(pfs[i], NULL), NULL));
  return pool;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  f->engine = pass_engine_new();
  f->tx = pass_tx_new(f->engine);
  f->fake = fake_ops_new();
  add_pf(f, PF_A, 0x10, 10, 0, NULL);
  add_pf(f, PF_B, 0x20, 20, 1, "vfio-pci");
  fake_ops_add_device(f->fake, "0000:20:00.5", 29, PF_B, 0x010802, "nvme", "nvme");
  fake_ops_set_numa_node(f->fake, "0000:20:00.5", 1);
  for (int i = 1; i <= 4; i++) {
    g_autofree char *name = g_strdup_printf("g%d", i);

    fake_ops_add_domain(f->fake, name, FALSE, TRUE);
  }
  fake_ops_add_domain(f->fake, "live", TRUE, TRUE);
  fake_ops_add_domain(f->fake, "node1", FALSE, TRUE);
  fake_ops_set_domain_nodes(f->fake, "node1", "1");
  fake_ops_load(f->fake, f->engine);
  pass_tx_set_ops(f->tx, fake_ops_get_ops(f->fake));
  f->pool = pool_of("nvme", (const char *const[]){PF_A, PF_B, NULL});
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  g_assert_cmpuint(pass_tx_get_n_operations(f->tx), ==, 0);
  pass_pool_unref(f->pool);
  pass_tx_free(f->tx);
  pass_engine_free(f->engine);
}

typedef struct {
  gboolean finished;
  int code; /* -1: success */
  char *message, *parameter, *pool, *numa_note;
  GStrv devices;
  GStrv picks; /* "ADDRESS local|remote: reason" */
  GStrv actions;
  GStrv owners;
  char *xml; /* the first attach step's */
} Outcome;

static void
outcome_clear(Outcome *o)
{
  g_free(o->message);
  g_free(o->parameter);
  g_free(o->pool);
  g_free(o->numa_note);
  g_strfreev(o->devices);
  g_strfreev(o->picks);
  g_strfreev(o->actions);
  g_strfreev(o->owners);
  g_free(o->xml);
  memset(o, 0, sizeof *o);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Outcome, outcome_clear)

static GStrv
strv_from(GPtrArray *strings)
{
  GStrv out = g_new0(char *, (strings ? strings->len : 0) + 1);

  for (guint i = 0; strings && i < strings->len; i++)
    out[i] = g_strdup(g_ptr_array_index(strings, i));
  return out;
}

static void
on_done(const PassOpResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  g_assert_false(o->finished);
  o->finished = TRUE;
  o->code = result->error ? result->error->code : -1;
  if (result->error)
    o->message = g_strdup(result->error->message);
  o->parameter = g_strdup(result->parameter);
  o->pool = g_strdup(result->pool);
  o->numa_note = g_strdup(result->numa_note);
  o->devices = result->devices ? strv_from(result->devices) : NULL;
  o->owners = result->owners ? strv_from(result->owners) : NULL;
  if (result->picks) {
    o->picks = g_new0(char *, result->picks->len + 1);
    for (guint i = 0; i < result->picks->len; i++) {
      const PassPoolPick *p = g_ptr_array_index(result->picks, i);

      o->picks[i] =
          g_strdup_printf("%s %s: %s", p->address, p->local ? "local" : "remote", p->reason);
    }
  }
  if (result->actions) {
    o->actions = g_new0(char *, result->actions->len + 1);
    for (guint i = 0; i < result->actions->len; i++) {
      const PassAction *a = g_ptr_array_index(result->actions, i);

      o->actions[i] = g_strdup_printf("%s %s",
                                      a->type == PASS_ACTION_DETACH_HOST ? "detach_host"
                                      : a->type == PASS_ACTION_ATTACH    ? "attach"
                                                                         : "other",
                                      a->address);
      if (a->type == PASS_ACTION_ATTACH && !o->xml)
        o->xml = g_strdup(a->xml);
    }
  }
}

static void
wait_for(Outcome *o)
{
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

  while (!o->finished) {
    g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    g_main_context_iteration(NULL, TRUE);
  }
}

static void
attach_pool(Fixture *f, PassPool *pool, const char *domain, guint count, PassVfPolicy policy,
            PassVfNumaMode numa, guint flags, Outcome *o)
{
  pass_tx_attach_pool(f->tx, NULL, domain, pool, count, policy, numa, flags, on_done, o);
  wait_for(o);
}

/* "PF=in_use" for each PF of @pool's table (NULL: the host's). */
static char *
loads(Fixture *f, PassPool *pool)
{
  g_autoptr(PassVfTable) table = pass_tx_vf_table(f->tx, pool);
  g_autoptr(PassVfBalance) balance = pass_vf_table_balance(table);
  g_autoptr(GString) text = g_string_new(NULL);

  for (guint i = 0; i < balance->pfs->len; i++) {
    const PassVfPfLoad *load = g_ptr_array_index(balance->pfs, i);

    g_string_append_printf(text, "%s%s=%u/%u free %u", i ? " " : "", load->address, load->in_use,
                           load->n_vfs, load->eligible);
  }
  return g_string_free(g_steal_pointer(&text), FALSE);
}

static void
assert_owners(Fixture *f, const char *address, const char *expected)
{
  GPtrArray *owners = pass_engine_get_owners(f->engine, address);
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) copy = g_ptr_array_copy(owners, NULL, NULL);

  g_ptr_array_set_free_func(copy, NULL); /* borrowed */
  g_ptr_array_add(copy, NULL);
  text = g_strjoinv(",", (char **)copy->pdata);
  g_assert_cmpstr(text, ==, expected);
}

/* ---- placement ---- */

static void
test_spread_four_guests(Fixture *f, gconstpointer data)
{
  const char *expected[] = {"0000:10:00.1", "0000:20:00.1", "0000:10:00.2", "0000:20:00.2"};
  g_autofree char *after = NULL;

  for (int i = 0; i < 4; i++) {
    g_auto(Outcome) o = {0};
    g_autofree char *guest = g_strdup_printf("g%d", i + 1);

    attach_pool(f, f->pool, guest, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, 0, &o);
    g_assert_cmpint(o.code, ==, -1);
    g_assert_cmpstr(o.devices[0], ==, expected[i]);
    g_assert_null(o.devices[1]);
    g_assert_cmpstr(o.pool, ==, "nvme");
    g_assert_nonnull(o.picks);
    g_assert_true(g_str_has_prefix(o.picks[0], expected[i]));
    assert_owners(f, expected[i], guest);
  }
  after = loads(f, f->pool);
  /* 20:00.5 is on a host driver: counted, never free. */
  g_assert_cmpstr(after, ==, PF_A "=2/4 free 2 " PF_B "=2/5 free 2");
}

/* A VF the kernel has added and libvirt does not list yet is no candidate; once libvirt lists
 * it, it is. */
static void
test_provisional(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_autofree char *before = NULL;
  g_autofree char *listed = NULL;

  fake_ops_announce(f->engine, "0000:10:00.1", PF_A, 0); /* as if just recreated */
  before = loads(f, f->pool);
  g_assert_cmpstr(before, ==, PF_A "=0/4 free 3 " PF_B "=0/5 free 4");
  attach_pool(f, f->pool, "g1", 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, 0, &o);
  g_assert_cmpint(o.code, ==, -1);
  g_assert_cmpstr(o.devices[0], ==, "0000:10:00.2"); /* not 10:00.1 */
  fake_ops_load(f->fake, f->engine);                 /* libvirt's reading replaces it */
  listed = loads(f, f->pool);
  g_assert_cmpstr(listed, ==, PF_A "=1/4 free 3 " PF_B "=0/5 free 4");
}

static void
test_pack_four_guests(Fixture *f, gconstpointer data)
{
  g_autofree char *after = NULL;

  for (int i = 0; i < 4; i++) {
    g_auto(Outcome) o = {0};
    g_autofree char *guest = g_strdup_printf("g%d", i + 1);
    g_autofree char *vf = g_strdup_printf("0000:10:00.%d", i + 1);

    attach_pool(f, f->pool, guest, 1, PASS_VF_POLICY_PACK, PASS_VF_NUMA_IGNORE, 0, &o);
    g_assert_cmpint(o.code, ==, -1);
    g_assert_cmpstr(o.devices[0], ==, vf);
  }
  after = loads(f, f->pool);
  g_assert_cmpstr(after, ==, PF_A "=4/4 free 0 " PF_B "=0/5 free 4");
}

/* One guest, two VFs: one per PF (anti-affinity), one operation, all steps of both. */
static void
test_one_guest_two_pfs(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};

  attach_pool(f, f->pool, "g1", 2, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, 0, &o);
  g_assert_cmpint(o.code, ==, -1);
  g_assert_true(g_strv_equal((const char *const *)o.devices,
                             (const char *const[]){"0000:10:00.1", "0000:20:00.1", NULL}));
  /* Only the unbound VF needs taking; both go into the definition. */
  g_assert_true(
      g_strv_equal((const char *const *)o.actions,
                   (const char *const[]){"detach_host 0000:10:00.1", "attach 0000:10:00.1",
                                         "attach 0000:20:00.1", NULL}));
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "attach g1 "), ==, 2);
  assert_owners(f, "0000:10:00.1", "g1");
  assert_owners(f, "0000:20:00.1", "g1");
}

/* All or none: the second VF's attach fails, the first is undone. */
static void
test_all_or_none(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_autofree char *driver = NULL;

  fake_ops_fail_call(f->fake, "attach g1 0000:20:00.1");
  attach_pool(f, f->pool, "g1", 2, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, 0, &o);
  g_assert_cmpint(o.code, !=, -1);
  assert_owners(f, "0000:10:00.1", "");
  assert_owners(f, "0000:20:00.1", "");
  driver = fake_ops_get_driver(f->fake, "0000:10:00.1");
  g_assert_null(driver); /* back to unbound, as it was */
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "detach g1 0000:10:00.1"), ==, 1);
}

static void
test_numa(Fixture *f, gconstpointer data)
{
  g_autoptr(PassPool) node0 = pool_of("node0", (const char *const[]){PF_A, NULL});
  g_auto(Outcome) required = {0};
  g_auto(Outcome) preferred = {0};
  g_auto(Outcome) local = {0};
  g_auto(Outcome) unknown = {0};

  /* node1 runs on node 1; the pool has only node-0 VFs. */
  attach_pool(f, node0, "node1", 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, 0, &required);
  g_assert_cmpint(required.code, ==, PASS_ERROR_NO_ELIGIBLE_DEVICE);
  g_assert_cmpstr(required.pool, ==, "node0");
  g_assert_nonnull(strstr(required.message, "node0"));
  g_test_message("required: %s", required.message);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, ""), ==, 0);

  attach_pool(f, node0, "node1", 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, 0, &preferred);
  g_assert_cmpint(preferred.code, ==, -1);
  g_assert_nonnull(preferred.numa_note);
  g_assert_true(g_str_has_prefix(preferred.picks[0], "0000:10:00.1 remote"));

  /* The two-PF pool has node-1 VFs: required takes one of them, even though PF A is emptier. */
  attach_pool(f, f->pool, "node1", 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, 0, &local);
  g_assert_cmpint(local.code, ==, -1);
  g_assert_cmpstr(local.devices[0], ==, "0000:20:00.1");
  g_assert_true(g_str_has_prefix(local.picks[0], "0000:20:00.1 local"));
  g_assert_null(local.numa_note);

  /* g1's placement is unknown: required cannot hold. */
  attach_pool(f, f->pool, "g1", 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, 0, &unknown);
  g_assert_cmpint(unknown.code, ==, PASS_ERROR_NO_ELIGIBLE_DEVICE);
}

/* The domain's NUMA nodes: <numatune> and pinned CPUs through the host's map. */
static void
test_domain_nodes(Fixture *f, gconstpointer data)
{
  g_autoptr(PassDomain) domain = pass_domain_new("d");
  g_autoptr(GArray) map = g_array_new(FALSE, FALSE, sizeof(int));
  g_autoptr(GArray) nodes = NULL;
  const int cpu_nodes[] = {0, 0, 1, 1, -1};
  const int two = 2, five = 5, three = 3;

  g_array_append_vals(map, cpu_nodes, G_N_ELEMENTS(cpu_nodes));
  pass_tx_set_cpu_nodes(f->tx, map);
  g_array_append_val(domain->cpus, two);
  g_array_append_val(domain->cpus, five); /* beyond the map: unknown */
  g_array_append_val(domain->numa_nodes, three);
  nodes = pass_tx_domain_nodes(f->tx, domain);
  g_assert_cmpuint(nodes->len, ==, 2);
  g_assert_cmpint(g_array_index(nodes, int, 0), ==, 1);
  g_assert_cmpint(g_array_index(nodes, int, 1), ==, 3);
}

/* ---- concurrency ---- */

static void
test_racing_pool_attaches(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) a = {0};
  g_auto(Outcome) b = {0};
  g_auto(Outcome) c = {0};

  fake_ops_set_attach_delay(f->fake, 30);
  /* Pack makes both want the same VF if the second picked before the first was done. */
  pass_tx_attach_pool(f->tx, NULL, "g1", f->pool, 1, PASS_VF_POLICY_PACK, PASS_VF_NUMA_IGNORE, 0,
                      on_done, &a);
  pass_tx_attach_pool(f->tx, NULL, "g2", f->pool, 1, PASS_VF_POLICY_PACK, PASS_VF_NUMA_IGNORE, 0,
                      on_done, &b);
  /* Another pool over the same VFs does not share the pool lock: reservation keeps it apart. */
  {
    g_autoptr(PassPool) other = pool_of("other", (const char *const[]){PF_A, PF_B, NULL});

    pass_tx_attach_pool(f->tx, NULL, "g3", other, 1, PASS_VF_POLICY_PACK, PASS_VF_NUMA_IGNORE, 0,
                        on_done, &c);
  }
  wait_for(&a);
  wait_for(&b);
  wait_for(&c);
  g_assert_cmpint(a.code, ==, -1);
  g_assert_cmpint(b.code, ==, -1);
  g_assert_cmpint(c.code, ==, -1);
  g_assert_cmpstr(a.devices[0], !=, b.devices[0]);
  g_assert_cmpstr(a.devices[0], !=, c.devices[0]);
  g_assert_cmpstr(b.devices[0], !=, c.devices[0]);
  assert_owners(f, a.devices[0], "g1");
  assert_owners(f, b.devices[0], "g2");
  assert_owners(f, c.devices[0], "g3");
}

/* A named attach in flight holds its VF: the pool attach takes another. */
static void
test_racing_named_attach(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) named = {0};
  g_auto(Outcome) pooled = {0};

  fake_ops_set_attach_delay(f->fake, 30);
  pass_tx_attach(f->tx, NULL, "g1", "0000:10:00.1", 0, on_done, &named);
  pass_tx_attach_pool(f->tx, NULL, "g2", f->pool, 1, PASS_VF_POLICY_PACK, PASS_VF_NUMA_IGNORE, 0,
                      on_done, &pooled);
  wait_for(&named);
  wait_for(&pooled);
  g_assert_cmpint(named.code, ==, -1);
  g_assert_cmpint(pooled.code, ==, -1);
  g_assert_cmpstr(pooled.devices[0], ==, "0000:10:00.2");
}

/* ---- PF/VF exclusion ---- */

static void
test_pf_vf_exclusion(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) pf = {0};
  g_auto(Outcome) pooled = {0};
  g_auto(Outcome) vf = {0};
  g_auto(Outcome) pf_b = {0};

  /* PF A to g1: none of its VFs is free any more. */
  pass_tx_attach(f->tx, NULL, "g1", PF_A, 0, on_done, &pf);
  wait_for(&pf);
  g_assert_cmpint(pf.code, ==, -1);
  attach_pool(f, f->pool, "g2", 1, PASS_VF_POLICY_PACK, PASS_VF_NUMA_IGNORE, 0, &pooled);
  g_assert_cmpint(pooled.code, ==, -1);
  g_assert_cmpstr(pooled.devices[0], ==, "0000:20:00.1");
  /* A VF of the assigned PF by name: DeviceInUse naming the PF's owner. */
  pass_tx_attach(f->tx, NULL, "g3", "0000:10:00.2", 0, on_done, &vf);
  wait_for(&vf);
  g_assert_cmpint(vf.code, ==, PASS_ERROR_DEVICE_IN_USE);
  g_assert_nonnull(strstr(vf.message, PF_A));
  g_assert_cmpstr(vf.owners[0], ==, "g1");
  /* And the reverse: PF B while its VF is in g2. */
  pass_tx_attach(f->tx, NULL, "g3", PF_B, 0, on_done, &pf_b);
  wait_for(&pf_b);
  g_assert_cmpint(pf_b.code, ==, PASS_ERROR_DEVICE_IN_USE);
  g_assert_nonnull(strstr(pf_b.message, "0000:20:00.1"));
  g_assert_cmpstr(pf_b.owners[0], ==, "g2");
}

/* ---- the rest ---- */

static void
test_not_enough(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};

  /* 8 free VFs (20:00.5 is on a host driver). */
  attach_pool(f, f->pool, "g1", 9, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_IGNORE, 0, &o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_NO_ELIGIBLE_DEVICE);
  g_test_message("%s", o.message);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, ""), ==, 0);
}

static void
test_dry_run(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_autofree char *after = NULL;

  attach_pool(f, f->pool, "live", 2, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, PASS_OP_DRY_RUN,
              &o);
  g_assert_cmpint(o.code, ==, -1);
  g_assert_cmpuint(g_strv_length(o.picks), ==, 2);
  g_assert_nonnull(strstr(o.picks[0], "0000:10:00.0"));
  /* Placement unknown: said so. */
  g_assert_nonnull(o.numa_note);
  g_assert_cmpuint(g_strv_length(o.actions), ==, 3);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, ""), ==, 0);
  after = loads(f, f->pool);
  g_assert_cmpstr(after, ==, PF_A "=0/4 free 4 " PF_B "=0/5 free 4");
}

static void
test_net_pool(Fixture *f, gconstpointer data)
{
  g_autoptr(PassPool) net = pool_of("net", (const char *const[]){PF_B, NULL});
  g_auto(Outcome) o = {0};

  net->kind = PASS_POOL_KIND_NET;
  attach_pool(f, net, "g1", 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, PASS_OP_DRY_RUN, &o);
  g_assert_cmpint(o.code, ==, -1);
  g_assert_nonnull(o.xml);
  g_assert_true(g_str_has_prefix(o.xml, "<interface"));
}

static void
test_no_domain(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};

  attach_pool(f, f->pool, "nope", 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, 0, &o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_NO_SUCH_DOMAIN);
}

/* Selectors: VF index ranges, and a Driver= pool keeps VFs passd moved to vfio-pci. */
static void
test_selectors(Fixture *f, gconstpointer data)
{
  g_autoptr(PassPool) ranged = pool_of("r", (const char *const[]){PF_A "#2-3", NULL});
  g_autoptr(PassPool) drv = pool_of("drv", (const char *const[]){PF_B, NULL});
  g_autofree char *ranged_loads = NULL, *drv_loads = NULL;

  ranged_loads = loads(f, ranged);
  g_assert_cmpstr(ranged_loads, ==, PF_A "=0/2 free 2");
  /* VFs on nvme, and their index 4 (20:00.5) is one of them. */
  drv->driver = g_strdup("nvme");
  drv_loads = loads(f, drv);
  g_assert_cmpstr(drv_loads, ==, PF_B "=0/1 free 1");
}

/* The balance plan over the host's table knows which guests have a NUMA affinity: node1
 * (numatune node 1, given PF_A's lowest VF anyway) stays, g1 (no affinity) crosses to node 1. */
static void
test_balance_affinity(Fixture *f, gconstpointer data)
{
  const char *guests[] = {"node1", "g1", "g2"};
  g_autoptr(PassVfTable) table = NULL;
  g_autoptr(PassVfPlan) plan = NULL;
  const PassVfMove *move;

  for (guint i = 0; i < G_N_ELEMENTS(guests); i++) {
    g_auto(Outcome) o = {0};

    attach_pool(f, f->pool, guests[i], 1, PASS_VF_POLICY_PACK, PASS_VF_NUMA_IGNORE, 0, &o);
    g_assert_cmpint(o.code, ==, -1);
  }
  assert_owners(f, "0000:10:00.1", "node1");
  table = pass_tx_vf_table(f->tx, NULL);
  plan = pass_vf_table_plan(table);
  g_assert_cmpuint(plan->moves->len, ==, 1);
  move = plan->moves->pdata[0];
  g_assert_cmpstr(move->guest, ==, "g1");
  g_assert_cmpstr(move->from, ==, "0000:10:00.2");
  g_assert_cmpstr(move->to, ==, "0000:20:00.1");
  g_assert_cmpint(move->from_numa_node, ==, 0);
  g_assert_cmpint(move->numa_node, ==, 1);
  g_assert_cmpuint(plan->before->skew, ==, 3);
  g_assert_cmpuint(plan->after->skew, ==, 1);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD("/tx-pool/spread-four-guests", test_spread_four_guests);
  ADD("/tx-pool/pack-four-guests", test_pack_four_guests);
  ADD("/tx-pool/provisional", test_provisional);
  ADD("/tx-pool/one-guest-two-pfs", test_one_guest_two_pfs);
  ADD("/tx-pool/all-or-none", test_all_or_none);
  ADD("/tx-pool/numa", test_numa);
  ADD("/tx-pool/domain-nodes", test_domain_nodes);
  ADD("/tx-pool/racing-pool-attaches", test_racing_pool_attaches);
  ADD("/tx-pool/racing-named-attach", test_racing_named_attach);
  ADD("/tx-pool/pf-vf-exclusion", test_pf_vf_exclusion);
  ADD("/tx-pool/not-enough", test_not_enough);
  ADD("/tx-pool/dry-run", test_dry_run);
  ADD("/tx-pool/net-pool", test_net_pool);
  ADD("/tx-pool/no-domain", test_no_domain);
  ADD("/tx-pool/selectors", test_selectors);
  ADD("/tx-pool/balance-affinity", test_balance_affinity);
#undef ADD
  return g_test_run();
}
