/* Attach by pool: the VF rows of rules/vf-pick.h built from the engine's picture, the pick, and
 * what the rest of the attach (tx.c) needs from it. The pick runs while the operation holds
 * pool:NAME and its domain; the chosen VFs are locked right after, before anything else can
 * run on the main context, so no other operation can take them in between. */
#define G_LOG_DOMAIN "passd"

#include "tx-private.h"

#include <string.h>

#include "cpulist.h"
#include "pass-error.h"
#include "pool-match.h"

void
pass_tx_set_cpu_nodes(PassTx *tx, GArray *cpu_nodes)
{
  g_clear_pointer(&tx->cpu_nodes, g_array_unref);
  if (cpu_nodes) {
    tx->cpu_nodes = g_array_sized_new(FALSE, FALSE, sizeof(int), cpu_nodes->len);
    g_array_append_vals(tx->cpu_nodes, cpu_nodes->data, cpu_nodes->len);
  }
}

GArray *
pass_tx_domain_nodes(PassTx *tx, const PassDomain *domain)
{
  GArray *nodes = g_array_new(FALSE, FALSE, sizeof(int));

  for (guint i = 0; domain->numa_nodes && i < domain->numa_nodes->len; i++)
    pass_int_set_add(nodes, g_array_index(domain->numa_nodes, int, i));
  for (guint i = 0; domain->cpus && tx->cpu_nodes && i < domain->cpus->len; i++) {
    int cpu = g_array_index(domain->cpus, int, i);

    if (cpu >= 0 && (guint)cpu < tx->cpu_nodes->len && g_array_index(tx->cpu_nodes, int, cpu) >= 0)
      pass_int_set_add(nodes, g_array_index(tx->cpu_nodes, int, cpu));
  }
  return nodes;
}

/* Is another operation about @address (key "dev:ADDRESS" held or waited for exclusively, or an
 * attach taking it)? Then it is not free, whatever the picture says yet. */
static gboolean
busy(PassTx *tx, const Op *self, const char *address)
{
  g_autofree char *key = g_strconcat("dev:", address, NULL);

  for (guint i = 0; i < tx->ops_alive->len; i++) {
    const Op *op = g_ptr_array_index(tx->ops_alive, i);

    if (op == self)
      continue;
    if (op->lock_exclusive && g_strv_contains((const char *const *)op->lock_exclusive, key))
      return TRUE;
    if (op->kind == OP_ATTACH &&
        g_ptr_array_find_with_equal_func(op->devices, address, g_str_equal, NULL))
      return TRUE;
  }
  return FALSE;
}

/* Does @vf belong to @pool? Its index among its PF's VFs for the range selectors, its PF's
 * network interfaces for the PF selectors by name, and the driver it had before passd took it
 * for a Driver= selector. */
static gboolean
in_pool(PassTx *tx, const PassPool *pool, const PassDevice *vf)
{
  GPtrArray *siblings = pass_engine_get_vfs(tx->engine, vf->physfn);
  int index = pass_pool_vf_index(vf->address, (const char *const *)siblings->pdata, siblings->len);
  PassDevice copy = *vf;
  PassDevice *pf = pass_engine_lookup_device(tx->engine, vf->physfn);
  gpointer original = NULL;

  if (pool->driver && g_strcmp0(vf->driver, VFIO_DRIVER) == 0 &&
      g_hash_table_lookup_extended(tx->originals, vf->address, NULL, &original) && original)
    copy.driver = original;
  return pass_pool_match(pool, &copy, index, pf != NULL ? (const char *const *)pf->netdevs : NULL,
                         NULL);
}

static PassVfTable *
build_table(PassTx *tx, const Op *self, const PassPool *pool)
{
  PassEngine *engine = tx->engine;
  g_autoptr(GPtrArray) devices = pass_engine_list_devices(engine);
  g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(PassVfRow));

  for (guint i = 0; i < devices->len; i++) {
    const PassDevice *vf = g_ptr_array_index(devices, i);
    GPtrArray *owners;
    gboolean driver_free;
    PassVfRow row = {0};

    if (!vf->physfn || (pool && !in_pool(tx, pool, vf)))
      continue;
    owners = pass_engine_get_owners(engine, vf->address);
    row.address = vf->address;
    row.pf = vf->physfn;
    row.numa_node = vf->numa_node;
    row.in_use = owners->len > 0 || busy(tx, self, vf->address);
    row.owner = owners->len ? g_ptr_array_index(owners, 0) : NULL;
    /* Every owner must be free of NUMA affinity for the VF to change node (an unknown
     * domain counts as placed). */
    row.owner_unplaced = owners->len > 0;
    for (guint o = 0; o < owners->len; o++) {
      PassDomain *domain = pass_engine_lookup_domain(engine, g_ptr_array_index(owners, o));

      if (!domain || pass_domain_has_numa_affinity(domain))
        row.owner_unplaced = FALSE;
    }
    /* A host driver may be in use; only these are free for the taking. */
    driver_free = !vf->driver || g_str_equal(vf->driver, VFIO_DRIVER) ||
                  (pool && g_strcmp0(pool->driver, vf->driver) == 0);
    row.eligible =
        !row.in_use && driver_free && !vf->provisional &&
        pass_engine_get_owners(engine, vf->physfn)->len == 0 && !busy(tx, self, vf->physfn) &&
        !(tx->protected && g_strv_contains((const char *const *)tx->protected, vf->address));
    g_array_append_val(rows, row);
  }
  /* The table copies what it keeps: the devices may go with the array. */
  return pass_vf_table_new((const PassVfRow *)(gpointer)rows->data, rows->len);
}

PassVfTable *
pass_tx_vf_table(PassTx *tx, const PassPool *pool)
{
  return build_table(tx, NULL, pool);
}

void
pass_tx_attach_pool(PassTx *tx, PassRequest *request, const char *domain, PassPool *pool,
                    guint count, PassVfPolicy policy, PassVfNumaMode numa, guint flags,
                    PassOpDoneFunc done, gpointer user_data)
{
  g_autofree char *what = g_strdup_printf("pool %s", pool->name);
  Op *op = tx_attach_new(tx, request, domain, what, flags & ~PASS_OP_WHOLE_GROUP, done, user_data);

  op->pool = pass_pool_ref(pool);
  op->pick_request.count = count;
  op->pick_request.policy = policy;
  op->pick_request.numa = numa;
  g_clear_pointer(&op->result->address, g_free);
  op->result->pool = g_strdup(pool->name);
  tx_op_submit(op);
}

static int
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

gboolean
tx_pool_pick(Op *op)
{
  PassTx *tx = op->tx;
  PassDomain *domain;
  g_autoptr(GArray) nodes = NULL;
  g_autoptr(PassVfTable) table = NULL;
  g_autoptr(PassVfPick) pick = NULL;

  if (!tx_check_connected(op) || !(domain = tx_need_domain(op)))
    return FALSE;
  if (op->pick_request.count == 0)
    return tx_fail_parameter(op, "count", "A pool attach takes at least one VF");
  nodes = pass_tx_domain_nodes(tx, domain);
  op->pick_request.domain_nodes = (const int *)(gpointer)nodes->data;
  op->pick_request.n_domain_nodes = nodes->len;
  table = build_table(tx, op, op->pool);
  pick = pass_vf_table_pick(table, &op->pick_request);
  op->pick_request.domain_nodes = NULL;
  op->pick_request.n_domain_nodes = 0;
  if (pick->verdict != PASS_VF_PICK_OK)
    return tx_verdict(op, PASS_ERROR_NO_ELIGIBLE_DEVICE, "Pool %s: %s", op->pool->name,
                      pick->message);

  g_ptr_array_set_size(op->devices, 0);
  op->result->picks = g_ptr_array_new_with_free_func((GDestroyNotify)pass_pool_pick_free);
  for (guint i = 0; i < pick->choices->len; i++) {
    const PassVfChoice *choice = g_ptr_array_index(pick->choices, i);

    g_ptr_array_add(op->devices, g_strdup(choice->address));
    g_ptr_array_add(op->result->picks,
                    pass_pool_pick_new(choice->address, choice->pf, choice->numa_node,
                                       choice->local, choice->reason));
  }
  op->result->numa_note = g_strdup(pick->numa_note);
  /* The first chosen VF names the operation (the journal, the log); all of them go. */
  g_free(op->address);
  op->address = g_strdup(g_ptr_array_index(op->devices, 0));
  g_free(op->result->address);
  op->result->address = g_strdup(op->address);
  g_ptr_array_sort(op->devices, compare_strings);
  if (op->pool->kind == PASS_POOL_KIND_NET)
    op->flags |= PASS_OP_INTERFACE;
  tx_log_event(op, G_LOG_LEVEL_INFO, NULL, "pool %s for %s: picked %u VFs, first %s",
               op->pool->name, op->domain, op->devices->len, op->address);
  return TRUE;
}
