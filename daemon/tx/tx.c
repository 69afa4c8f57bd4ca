/* Attach, Detach and Reattach as transactions (see tx.h).
 *
 * Every operation goes through the same stages on the main context:
 *   locks (per device and domain, FIFO) -> verdicts against the engine's current picture (an
 *   attach asks a worker first whether the host needs the device: that reads sysfs) -> plan
 *   the steps (PassAction; a dry run ends here) -> run them in one PassOps job on a worker
 *   (undoing the done ones in reverse on failure) -> apply the job's fresh re-reads -> release
 *   the locks -> reply.
 * Validation happens after the locks are granted, so a request that waited behind another one
 * for the same device sees that one's outcome (e.g. the new owner: DeviceInUse).
 *
 * A live detach splits the job: the unplug request, then a wait for libvirt's DEVICE_REMOVED
 * (the waiter is registered before the request, so the event cannot slip past), then the rest.
 * When the wait times out the client gets RemovalPending, the locks are released, and the
 * operation stays registered until the guest lets go; then it takes its locks again and
 * finishes by itself. */
#define G_LOG_DOMAIN "passd"

#include "tx-private.h"

#include <string.h>

#include "iommu.h"
#include "pass-address.h"
#include "pass-error.h"
#include "pass-mac.h"
#include "xml-hostdev.h"
#include "xml-mdev.h"
#include "xml-usb.h"

static void op_granted(PassLockRequest *request, gpointer user_data);
static void detach_continue(Op *op);

/* ---- small helpers ---- */

static void
add_unique(GPtrArray *strings, const char *value)
{
  if (value && !g_ptr_array_find_with_equal_func(strings, value, g_str_equal, NULL))
    g_ptr_array_add(strings, g_strdup(value));
}

static gboolean
is_vfio(const char *driver)
{
  return g_strcmp0(driver, VFIO_DRIVER) == 0;
}

static GPtrArray *
actions_copy(GPtrArray *steps)
{
  GPtrArray *copy = g_ptr_array_new_full(steps->len, (GDestroyNotify)pass_action_free);

  for (guint i = 0; i < steps->len; i++)
    g_ptr_array_add(copy, pass_action_copy(g_ptr_array_index(steps, i)));
  return copy;
}

/* ---- lifetime ---- */

static void on_engine_event(PassEngine *engine, const PassEngineEvent *event, gpointer user_data);
static void op_free(Op *op);

PassTx *
pass_tx_new(PassEngine *engine)
{
  PassTx *tx = g_new0(PassTx, 1);

  tx->engine = engine;
  tx->locks = pass_locks_new();
  tx->originals = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  tx->ops_alive = g_ptr_array_new();
  tx->intents =
      g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)tx_intent_free);
  tx->parked = g_ptr_array_new();
  tx->mdev_made = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  tx->mdev_busy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  tx->mdev_parked = g_ptr_array_new();
  tx->recovered = g_ptr_array_new_with_free_func((GDestroyNotify)tx_recovery_free);
  tx->removal_timeout_ms = PASS_TX_DEFAULT_REMOVAL_TIMEOUT_MS;
  tx->reask_delay_ms = PASS_TX_DEFAULT_REASK_DELAY_MS;
  tx->watch_id = pass_engine_add_watch(engine, on_engine_event, tx);
  return tx;
}

void
pass_tx_free(PassTx *tx)
{
  if (!tx)
    return;
  pass_engine_remove_watch(tx->engine, tx->watch_id);
  g_clear_handle_id(&tx->retry_id, g_source_remove);
  /* Only pending unplugs can be left (nothing of theirs is running); others would be a bug. */
  for (guint i = 0; i < tx->ops_alive->len; i++) {
    Op *op = g_ptr_array_index(tx->ops_alive, i);

    if (op->wait != WAIT_PENDING && !g_ptr_array_find(tx->parked, op, NULL))
      g_warning("operation on %s still running at shutdown", op->address);
    g_clear_handle_id(&op->timeout_id, g_source_remove);
    g_clear_handle_id(&op->reask_id, g_source_remove);
    op->tx = NULL;
    op_free(op);
  }
  g_ptr_array_unref(tx->ops_alive);
  /* Requests still waiting for recovery (their clients are gone with the server). */
  g_ptr_array_unref(tx->parked);
  tx_mdev_stop(tx);
  g_ptr_array_unref(tx->mdev_parked);
  g_hash_table_unref(tx->mdev_made);
  g_hash_table_unref(tx->mdev_busy);
  g_hash_table_unref(tx->intents);
  g_ptr_array_unref(tx->recovered);
  pass_journal_free(tx->journal);
  pass_locks_free(tx->locks);
  g_hash_table_unref(tx->originals);
  pass_ops_free(tx->ops);
  g_clear_pointer(&tx->cpu_nodes, g_array_unref);
  g_strfreev(tx->protected);
  g_free(tx->protected_why);
  tx_sriov_free(tx->sriov);
  g_free(tx);
}

void
pass_tx_set_ops(PassTx *tx, PassOps *ops)
{
  pass_ops_free(tx->ops);
  tx->ops = ops;
}

void
pass_tx_set_removal_timeout(PassTx *tx, guint timeout_ms)
{
  tx->removal_timeout_ms = timeout_ms;
}

guint
pass_tx_get_removal_timeout(PassTx *tx)
{
  return tx->removal_timeout_ms;
}

void
pass_tx_set_protected(PassTx *tx, const char *const *addresses, const char *why)
{
  g_strfreev(tx->protected);
  g_free(tx->protected_why);
  tx->protected = addresses && *addresses ? g_strdupv((char **)addresses) : NULL;
  tx->protected_why = g_strdup(why ? why : "listed as protected");
}

guint
pass_tx_get_n_operations(PassTx *tx)
{
  return tx->ops_alive->len;
}

static Op *
op_new(PassTx *tx, PassRequest *request, OpKind kind, const char *domain, const char *address,
       guint flags, gboolean whole_group_keys, PassOpDoneFunc done, gpointer user_data)
{
  Op *op = g_new0(Op, 1);

  op->whole_group_keys = whole_group_keys;
  op->tx = tx;
  op->request = request ? pass_request_ref(request) : NULL;
  op->kind = kind;
  op->domain = g_strdup(domain);
  op->address = g_strdup(address);
  op->flags = flags;
  op->done = done;
  op->user_data = user_data;
  op->result = pass_op_result_new(address, domain);
  op->devices = g_ptr_array_new_with_free_func(g_free);
  op->protect = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
  op->steps = g_ptr_array_new_with_free_func((GDestroyNotify)pass_action_free);
  op->reread = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(tx->ops_alive, op);
  return op;
}

static void
op_free(Op *op)
{
  if (op->tx)
    g_ptr_array_remove(op->tx->ops_alive, op);
  g_free(op->domain);
  g_free(op->address);
  g_free(op->alias);
  g_free(op->mac);
  g_strfreev(op->lock_exclusive);
  g_strfreev(op->lock_shared);
  pass_op_result_free(op->result);
  pass_request_unref(op->request);
  g_ptr_array_unref(op->devices);
  g_ptr_array_unref(op->protect);
  g_ptr_array_unref(op->steps);
  g_ptr_array_unref(op->reread);
  if (op->pool)
    pass_pool_unref(op->pool);
  g_free(op);
}

/* Reply (once) and keep going: a pending unplug lives on after its client got its answer. */
static void
op_reply(Op *op)
{
  PassOpDoneFunc done = op->done;

  op->done = NULL;
  /* A refusal changed nothing; a failure after the steps began is part of the history. */
  if (op->result->error)
    tx_log_event(op, op->started ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_INFO, op->result->error,
                 "%s %s%s%s: %s", tx_op_name(op), op->address, op->domain ? " / " : "",
                 op->domain ? op->domain : "", op->result->error->message);
  if (done)
    done(op->result, op->user_data);
  op->recovers = NULL; /* its recovery is told; the intent may be gone */
}

static void
op_release(Op *op)
{
  PassLockRequest *lock = op->lock;

  op->lock = NULL;
  if (lock)
    pass_locks_release(op->tx->locks, lock);
  lock = op->pool_lock;
  op->pool_lock = NULL;
  if (lock)
    pass_locks_release(op->tx->locks, lock);
}

/* Done: reply if nobody was answered yet, give the keys back, forget the operation. */
void
tx_op_finish(Op *op)
{
  /* On disk before the client hears of it. */
  tx_journal_end(op);
  op_reply(op);
  tx_mdev_detached(op);
  g_clear_handle_id(&op->timeout_id, g_source_remove);
  g_clear_handle_id(&op->reask_id, g_source_remove);
  op_release(op);
  op_free(op);
}

/* Takes @error. */
static void
op_fail_error(Op *op, GError *error)
{
  tx_verdict_error(op, error);
  tx_op_finish(op);
}

/* The explicit live/config flags as PassHostdevWhere bits (0: none given). */
static guint
flags_where(guint flags)
{
  return ((flags & PASS_OP_LIVE) ? PASS_HOSTDEV_LIVE : 0) |
         ((flags & PASS_OP_CONFIG) ? PASS_HOSTDEV_CONFIG : 0);
}

/* ---- locks ---- */

static void
keys_for_device(PassEngine *engine, const char *address, GPtrArray *exclusive, GPtrArray *shared)
{
  PassDevice *device = pass_engine_lookup_device(engine, address);
  g_autofree char *key = g_strconcat("dev:", address, NULL);

  add_unique(exclusive, key);
  /* A VF shares its PF's key, which a PF operation takes exclusively: a PF and its VF never
   * run together, two VFs of one PF do. */
  if (device && device->physfn) {
    g_autofree char *pf = g_strconcat("dev:", device->physfn, NULL);

    add_unique(shared, pf);
  }
}

/* The keys of @addresses, and of the domain unless @without_domain (a pool attach holds it
 * already), then @extra (exclusive; NULL-terminated, may be NULL). */
static void
op_lock(Op *op, GPtrArray *addresses, gboolean without_domain, const char *const *extra)
{
  PassEngine *engine = op->tx->engine;
  g_autoptr(GPtrArray) exclusive = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) shared = g_ptr_array_new_with_free_func(g_free);

  for (guint i = 0; addresses && i < addresses->len; i++)
    keys_for_device(engine, g_ptr_array_index(addresses, i), exclusive, shared);
  for (guint i = 0; extra && extra[i]; i++)
    add_unique(exclusive, extra[i]);
  if (op->domain && !without_domain) {
    g_autofree char *key = g_strconcat("dom:", op->domain, NULL);

    add_unique(exclusive, key);
  }
  /* A key held both ways is simply exclusive. */
  for (guint i = shared->len; i > 0; i--)
    if (g_ptr_array_find_with_equal_func(exclusive, g_ptr_array_index(shared, i - 1), g_str_equal,
                                         NULL))
      g_ptr_array_remove_index(shared, i - 1);
  g_ptr_array_add(exclusive, NULL);
  g_ptr_array_add(shared, NULL);
  g_strfreev(op->lock_exclusive);
  g_strfreev(op->lock_shared);
  op->lock_exclusive = g_strdupv((char **)exclusive->pdata);
  op->lock_shared = g_strdupv((char **)shared->pdata);
  pass_locks_acquire(op->tx->locks, (const char *const *)op->lock_exclusive,
                     (const char *const *)op->lock_shared, op_granted, op);
}

/* Lock keys are decided from the picture when the request is submitted: the device, the rest
 * of its group when the whole group goes, and the domain. */
static GPtrArray *
request_devices(PassEngine *engine, const char *address, gboolean whole_group)
{
  GPtrArray *addresses = g_ptr_array_new_with_free_func(g_free);
  PassDevice *device = pass_engine_lookup_device(engine, address);

  add_unique(addresses, address);
  if (whole_group && device) {
    GPtrArray *members = pass_engine_get_group_members(engine, device);

    for (guint i = 0; i < members->len; i++)
      add_unique(addresses, g_ptr_array_index(members, i));
  }
  return addresses;
}

void
tx_op_submit(Op *op)
{
  g_autoptr(GPtrArray) devices = NULL;

  /* A client's request waits for recovery: it must see what recovery leaves. */
  if (op->tx->recovering && op->request) {
    g_ptr_array_add(op->tx->parked, op);
    return;
  }
  /* A pool attach locks its pool and domain first, its VFs once they are chosen. */
  if (op->pool && !op->picked) {
    g_autofree char *key = g_strconcat("pool:", op->pool->name, NULL);
    const char *const keys[] = {key, NULL};

    op_lock(op, NULL, FALSE, keys);
    return;
  }
  devices = request_devices(op->tx->engine, op->address, op->whole_group_keys);
  op_lock(op, devices, FALSE, NULL);
}

/* ---- applying a job's outcome ---- */

static void
apply_reread(Op *op, JobResult *result)
{
  PassEngine *engine = op->tx->engine;

  if (result->domain) {
    pass_engine_domain_changed(engine, result->domain);
    if (op->tx->ops->klass->refresh_domain)
      op->tx->ops->klass->refresh_domain(op->tx->ops, op->domain);
  } else if (result->domain_gone)
    pass_engine_domain_removed(engine, op->domain);
  for (guint i = 0; i < result->devices->len; i++)
    pass_engine_device_changed(engine, g_ptr_array_index(result->devices, i));
  for (guint i = 0; i < result->gone->len; i++)
    pass_engine_device_removed(engine, g_ptr_array_index(result->gone, i));
}

static PassDevice *
fresh_device(JobResult *result, const char *address)
{
  for (guint i = 0; result->devices && i < result->devices->len; i++) {
    PassDevice *device = g_ptr_array_index(result->devices, i);

    if (g_str_equal(device->address, address))
      return device;
  }
  return NULL;
}

static void
steps_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
  Op *op = user_data;
  PassTx *tx = op->tx;
  g_autoptr(GError) error = NULL;
  JobResult *result = tx->ops->klass->run_finish(tx->ops, res, &error);
  g_autoptr(GPtrArray) actions = g_ptr_array_new_with_free_func((GDestroyNotify)pass_action_free);

  if (!result) {
    op->stale = TRUE; /* the steps' job ended without a word: nothing is known of the host */
    op_fail_error(op, g_steal_pointer(&error));
    return;
  }
  /* Remember where devices came from (and forget it once they are back), in the journal too:
   * a device that stays on vfio-pci after a failed rollback is still passd's to give back. */
  for (guint i = 0; i < result->done->len; i++) {
    PassAction *step = g_ptr_array_index(result->done, i);
    PassAction *action = pass_action_copy(step);

    if (step->type == PASS_ACTION_DETACH_HOST) {
      PassDevice *device = fresh_device(result, step->address);

      if (!result->error || !device || is_vfio(device->driver))
        tx_journal_original(tx, step->address, step->driver_from);
      else
        tx_journal_returned(tx, step->address);
    }
    if (step->type == PASS_ACTION_REATTACH_HOST) {
      PassDevice *device = fresh_device(result, step->address);

      tx_journal_returned(tx, step->address);
      /* The kernel's pick is known only now. */
      if (step->to_default && device) {
        g_free(action->driver_to);
        action->driver_to = g_strdup(device->driver);
      }
    }
    g_ptr_array_add(actions, action);
  }
  apply_reread(op, result);
  op->stale = result->stale;
  if (result->error) {
    g_clear_error(&op->result->error);
    op->result->error = g_steal_pointer(&result->error);
  } else {
    op->result->actions = g_steal_pointer(&actions);
    tx_log_event(op, G_LOG_LEVEL_MESSAGE, NULL, "%s %s%s%s: done (%u steps)", tx_op_name(op),
                 op->address, op->domain ? " / " : "", op->domain ? op->domain : "",
                 op->result->actions->len);
  }
  tx_job_result_free(result);
  tx_op_finish(op);
}

static void
run_steps(Op *op)
{
  PassOps *ops = op->tx->ops;

  ops->klass->run(ops, tx_job_steps, op, NULL, steps_done, op);
}

/* After the plan: TRUE when the operation ends here (a verdict said no, a dry run, or nothing
 * to do), after answering with the plan as its actions. */
static gboolean
op_ends_at_plan(Op *op, gboolean planned)
{
  if (planned && !(op->flags & PASS_OP_DRY_RUN) && op->steps->len > 0)
    return FALSE;
  if (!op->result->error)
    op->result->actions = actions_copy(op->steps);
  tx_op_finish(op);
  return TRUE;
}

/* The steps are about to run: the intent journal records the plan first (FALSE: it cannot,
 * and the operation has ended), and the log says so, naming who asked. */
static gboolean
op_start(Op *op, const char *what)
{
  g_autofree char *who = pass_request_describe(op->request);

  if (!tx_journal_begin(op)) {
    tx_op_finish(op);
    return FALSE;
  }
  op->started = TRUE;
  tx_log_event(op, G_LOG_LEVEL_MESSAGE, NULL, "%s, for %s", what, who);
  return TRUE;
}

/* ---- Attach ---- */

static int
string_compare(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first verdicts of an attach: the domain, where the device goes (op->where) and which
 * devices go (op->devices, and op->protect unless forced). FALSE: op->result says why not. */
static gboolean
attach_check(Op *op)
{
  PassEngine *engine = op->tx->engine;
  PassDevice *device;
  PassDomain *domain;
  guint where = flags_where(op->flags);
  g_autoptr(GError) error = NULL;
  g_autofree char *mac = NULL;

  /* The service checked them; passd's own callers are held to the same. */
  if (op->mac && !(mac = pass_mac_canonicalize(op->mac, &error)))
    return tx_fail_parameter(op, "mac", "%s", error->message);
  if (mac) {
    g_free(op->mac);
    op->mac = g_steal_pointer(&mac);
  }
  if (op->vlan > PASS_VLAN_MAX)
    return tx_fail_parameter(op, "vlan", "VLAN %u is out of range (1 to %u)", op->vlan,
                             PASS_VLAN_MAX);
  if (!tx_check_connected(op) || !(device = tx_need_device(op, op->address)) ||
      !(domain = tx_need_domain(op)) || !tx_mdev_attach_check(op, device))
    return FALSE;

  /* Default: config if persistent, live too if running. */
  if ((where & PASS_HOSTDEV_LIVE) && !domain->active)
    return tx_fail_parameter(op, "live", "%s is not running, so nothing can be hot-plugged into it",
                             op->domain);
  if ((where & PASS_HOSTDEV_CONFIG) && !domain->persistent)
    return tx_fail_parameter(op, "config", "%s is transient: it has no persistent definition",
                             op->domain);
  if (!where)
    where =
        (domain->persistent ? PASS_HOSTDEV_CONFIG : 0) | (domain->active ? PASS_HOSTDEV_LIVE : 0);
  op->where = where;

  /* The devices: the target, and with whole_group every endpoint of its group; a pool
   * attach's are its picks. */
  if (!op->pool) {
    g_ptr_array_set_size(op->devices, 0);
    add_unique(op->devices, device->address);
  }
  if (!op->pool && (op->flags & PASS_OP_WHOLE_GROUP) && device->iommu_group >= 0) {
    guint n;
    g_autofree PassIommuMember *table = pass_tx_group_table(engine, device, &n);
    g_auto(GStrv) endpoints = pass_iommu_group_endpoints(table, n);
    for (guint i = 0; endpoints[i]; i++)
      add_unique(op->devices, endpoints[i]);
  }
  g_ptr_array_sort(op->devices, string_compare);

  for (guint i = 0; i < op->devices->len; i++) {
    PassDevice *d = tx_need_device(op, g_ptr_array_index(op->devices, i));

    if (!d)
      return FALSE;
    /* an mdev is a slice the host made for guests: nothing of the host's own */
    if (!(op->flags & PASS_OP_FORCE) && d->kind != PASS_DEVICE_KIND_MDEV)
      g_ptr_array_add(op->protect, pass_device_ref(d));
  }
  return TRUE;
}

/* The verdicts after the host's (ownership, PF/VF, the IOMMU group) and the plan in op->steps.
 * FALSE: op->result says why not. */
static gboolean
attach_plan(Op *op)
{
  PassDevice *device = tx_need_device(op, op->address);

  if (!device)
    return FALSE;
  for (guint i = 0; i < op->devices->len; i++)
    if (!tx_check_unowned(op, g_ptr_array_index(op->devices, i)))
      return FALSE;
  /* an mdev's group is its own, and its parent's driver (not vfio-pci) serves it */
  if (device->kind != PASS_DEVICE_KIND_MDEV && !tx_check_group(op, device))
    return FALSE;
  /* A pool's VFs are each in a group of their own (or not): every group must be viable. */
  for (guint i = 0; op->pool && i < op->devices->len; i++) {
    PassDevice *d = tx_need_device(op, g_ptr_array_index(op->devices, i));

    if (!d || (d != device && !tx_check_group(op, d)))
      return FALSE;
  }

  /* Plan: every device onto vfio-pci first (the group must be whole before QEMU opens it),
   * then into the domain. */
  for (guint i = 0; i < op->devices->len; i++) {
    PassDevice *d = tx_need_device(op, g_ptr_array_index(op->devices, i));
    PassAction *step;

    if (!d)
      return FALSE; /* vanished while the host was asked */
    add_unique(op->reread, d->address);
    /* USB: libvirt and QEMU claim it themselves (managed='yes'); no host driver to take. */
    if (is_vfio(d->driver) || d->kind == PASS_DEVICE_KIND_MDEV || d->kind == PASS_DEVICE_KIND_USB)
      continue;
    step = pass_action_new(PASS_ACTION_DETACH_HOST, d->address);
    step->driver_from = g_strdup(d->driver);
    step->driver_to = g_strdup(VFIO_DRIVER);
    g_ptr_array_add(op->steps, step);
  }
  for (guint i = 0; i < op->devices->len; i++) {
    const char *address = g_ptr_array_index(op->devices, i);
    g_autoptr(GError) error = NULL;
    PassAction *step = pass_action_new(PASS_ACTION_ATTACH, address);
    gboolean interface = (op->flags & PASS_OP_INTERFACE) != 0;
    gboolean target = g_str_equal(address, op->address);
    g_autofree char *mac = NULL;

    /* An interface always gets its MAC from passd: one the domain can be given again. */
    if (interface)
      mac = target && op->mac ? g_strdup(op->mac) : pass_xml_generate_mac(op->domain, address);
    step->domain = g_strdup(op->domain);
    step->where = op->where;
    if (g_str_has_prefix(address, "usb:"))
      step->xml = tx_usb_hostdev_xml(op->tx->engine, address, &error);
    else if (tx_mdev_is(address))
      step->xml = pass_xml_build_mdev_hostdev(pass_xml_mdev_uuid(address), &error);
    else
      step->xml = pass_xml_build_hostdev(address, interface, mac, target ? op->vlan : 0, &error);
    g_ptr_array_add(op->steps, step);
    if (!step->xml)
      return tx_verdict_error(op, g_steal_pointer(&error));
  }
  op->result->devices = pass_strings_copy(op->devices);
  return TRUE;
}

static void
attach_continue(Op *op)
{
  g_autofree char *what = NULL;

  if (op_ends_at_plan(op, attach_plan(op)))
    return;
  what = g_strdup_printf("attach %s to %s (%s): %u steps", op->address, op->domain,
                         pass_hostdev_where_text(op->where), op->steps->len);
  if (op_start(op, what))
    run_steps(op);
}

/* The host's verdict came back from the worker. */
static void
protect_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
  Op *op = user_data;
  PassOps *ops = op->tx->ops;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) verdict = ops->klass->run_finish(ops, res, &error);

  if (error) {
    op_fail_error(op, g_steal_pointer(&error));
    return;
  }
  if (verdict) {
    tx_fail_protected(op, verdict[0], verdict[1]);
    tx_op_finish(op);
    return;
  }
  attach_continue(op);
}

static void
attach_granted(Op *op)
{
  /* A pool attach holds its pool and domain now: pick, then lock the VFs picked. Nothing runs
   * on the main context in between, so no other operation takes them first. */
  if (op->pool && !op->picked) {
    if (!tx_pool_pick(op)) {
      tx_op_finish(op);
      return;
    }
    op->picked = TRUE;
    op->pool_lock = g_steal_pointer(&op->lock);
    op_lock(op, op->devices, TRUE, NULL);
    return;
  }
  /* The configured list first: it needs no worker. */
  if (!attach_check(op) || !tx_check_listed(op)) {
    tx_op_finish(op);
    return;
  }
  /* Whether the host needs a device is read from procfs and sysfs: on a worker. */
  if (op->protect->len) {
    op->tx->ops->klass->run(op->tx->ops, tx_job_protect, op, NULL, protect_done, op);
    return;
  }
  attach_continue(op);
}

Op *
tx_attach_new(PassTx *tx, PassRequest *request, const char *domain, const char *address,
              guint flags, PassOpDoneFunc done, gpointer user_data)
{
  return op_new(tx, request, OP_ATTACH, domain, address, flags, (flags & PASS_OP_WHOLE_GROUP) != 0,
                done, user_data);
}

void
pass_tx_attach(PassTx *tx, PassRequest *request, const char *domain, const char *address,
               guint flags, PassOpDoneFunc done, gpointer user_data)
{
  tx_op_submit(tx_attach_new(tx, request, domain, address, flags, done, user_data));
}

void
pass_tx_attach_interface(PassTx *tx, PassRequest *request, const char *domain, const char *address,
                         guint flags, const char *mac, guint vlan, PassOpDoneFunc done,
                         gpointer user_data)
{
  Op *op = op_new(tx, request, OP_ATTACH, domain, address, flags | PASS_OP_INTERFACE,
                  (flags & PASS_OP_WHOLE_GROUP) != 0, done, user_data);

  op->mac = g_strdup(mac);
  op->vlan = vlan;
  tx_op_submit(op);
}

/* ---- Detach ---- */

/* May the device go back to a host driver once out of @domain's @where? Not while anything
 * still holds it, nor while a domain holds another member of its IOMMU group. */
static gboolean
detach_may_reattach(Op *op, const PassHostdev *hostdev, guint where, PassDevice *device)
{
  PassEngine *engine = op->tx->engine;
  GPtrArray *owners = pass_engine_get_owners(engine, op->address);
  const char *member;

  if (!device || !is_vfio(device->driver) || (hostdev->where & ~where) != 0)
    return FALSE;
  for (guint i = 0; i < owners->len; i++)
    if (!g_str_equal(g_ptr_array_index(owners, i), op->domain))
      return FALSE;
  member = tx_group_member_owned(op, device);
  if (member) {
    tx_log_event(op, G_LOG_LEVEL_INFO, NULL,
                 "%s stays on %s: %s of its IOMMU group is still assigned", op->address,
                 VFIO_DRIVER, member);
    return FALSE;
  }
  return TRUE;
}

static PassAction *
reattach_step(PassTx *tx, PassDevice *device)
{
  PassAction *step = pass_action_new(PASS_ACTION_REATTACH_HOST, device->address);
  gpointer original;

  step->driver_from = g_strdup(device->driver);
  if (g_hash_table_lookup_extended(tx->originals, device->address, NULL, &original))
    step->driver_to = g_strdup(original);
  else
    step->to_default = TRUE;
  return step;
}

/* The last assigned member of an IOMMU group is leaving: members passd took along earlier
 * (--whole-group) and held on vfio-pci while the group was in use go back with it. */
static void
add_group_leftovers(Op *op, PassDevice *device)
{
  PassEngine *engine = op->tx->engine;
  GPtrArray *members = pass_engine_get_group_members(engine, device);

  for (guint i = 0; i < members->len; i++) {
    const char *member = g_ptr_array_index(members, i);
    PassDevice *other = pass_engine_lookup_device(engine, member);

    if (g_str_equal(member, op->address) || !other || !is_vfio(other->driver) ||
        pass_engine_get_owners(engine, member)->len > 0 ||
        !g_hash_table_contains(op->tx->originals, member))
      continue;
    g_ptr_array_add(op->steps, reattach_step(op->tx, other));
    add_unique(op->reread, member);
  }
}

static gboolean removal_timeout_cb(gpointer user_data);

static void
unplug_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
  Op *op = user_data;
  PassOps *ops = op->tx->ops;
  g_autoptr(GError) error = NULL;

  if (!ops->klass->run_finish(ops, res, &error)) {
    /* Recovery asks again for an unplug the guest may be carrying out still, which QEMU can
     * refuse as in progress: wait for the device to leave all the same. */
    if (op->recovers && !g_error_matches(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE)) {
      tx_log_event(op, G_LOG_LEVEL_INFO, NULL,
                   "detach %s from %s: unplug request refused (%s); waiting for the guest anyway",
                   op->address, op->domain, error->message);
    } else {
      /* libvirt went away: it may have passed the request on before it did. */
      if (g_error_matches(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE))
        op->stale = TRUE;
      op->wait = WAIT_NONE;
      op_fail_error(op, g_steal_pointer(&error));
      return;
    }
  }
  op->unplug_done = TRUE;
  if (op->event != EVENT_NONE) {
    detach_continue(op);
    return;
  }
  tx_log_event(op, G_LOG_LEVEL_INFO, NULL,
               "detach %s from %s: unplug requested, waiting up to %u ms for the guest",
               op->address, op->domain, op->timeout_ms);
  op->timeout_id = g_timeout_add(op->timeout_ms, removal_timeout_cb, op);
}

static gboolean
removal_timeout_cb(gpointer user_data)
{
  Op *op = user_data;

  op->timeout_id = 0;
  op->wait = WAIT_PENDING;
  g_clear_error(&op->result->error);
  op->result->error = g_error_new(
      PASS_ERROR, PASS_ERROR_REMOVAL_PENDING,
      "%s has not released %s yet; it stays assigned and passd gives it back to the host "
      "once the guest lets go",
      op->domain, op->address);
  op_reply(op);
  g_clear_error(&op->result->error);
  op_release(op);
  return G_SOURCE_REMOVE;
}

/* Every unplug request goes through here: the journal knows of it before the guest does. */
static void
ask_unplug(Op *op, GAsyncReadyCallback done)
{
  op->unplug_done = FALSE;
  tx_journal_unplug(op);
  op->tx->ops->klass->run(op->tx->ops, tx_job_unplug, op, NULL, done, op);
}

static gboolean
ask_again_cb(gpointer user_data)
{
  Op *op = user_data;

  op->timeout_id = 0;
  if (op->reasks) { /* the guest reset meanwhile and was asked again: that request is waited */
    op->timeout_id = g_timeout_add(op->timeout_ms, removal_timeout_cb, op);
    return G_SOURCE_REMOVE;
  }
  tx_log_event(op, G_LOG_LEVEL_MESSAGE, NULL,
               "detach %s from %s: the guest has not let go since the request before the "
               "restart; asking again",
               op->address, op->domain);
  ask_unplug(op, unplug_done);
  return G_SOURCE_REMOVE;
}

/* Recovery of a detach whose request the guest may still be carrying out: a second press of
 * the slot's attention button while the guest counts down would cancel the unplug, so the
 * guest gets the removal timeout from the first request (TRUE: waiting, the request counts
 * as returned) before passd asks again. */
static gboolean
await_earlier_request(Op *op)
{
  gint64 asked_us = op->recovers ? op->recovers->asked_us : 0; /* only a detach's is set */
  gint64 timeout_us = (gint64)op->timeout_ms * 1000;
  gint64 left_us = asked_us ? asked_us + timeout_us - g_get_real_time() : 0;

  if (left_us <= 0)
    return FALSE;
  left_us = MIN(left_us, timeout_us); /* the clock went back */
  op->unplug_done = TRUE;
  tx_log_event(op, G_LOG_LEVEL_INFO, NULL,
               "detach %s from %s: the unplug asked before the restart may be under way; "
               "waiting up to %" G_GINT64_FORMAT " ms before asking again",
               op->address, op->domain, left_us / 1000);
  op->timeout_id = g_timeout_add((guint)(left_us / 1000) + 1, ask_again_cb, op);
  return TRUE;
}

static void
finish_granted(Op *op)
{
  tx_log_event(op, G_LOG_LEVEL_MESSAGE, NULL, "detach %s from %s: the guest released it, finishing",
               op->address, op->domain);
  tx_fault("detach", "unplug-done");
  run_steps(op);
}

/* The unplug request returned and the event is in: go on. */
static void
detach_continue(Op *op)
{
  g_clear_handle_id(&op->timeout_id, g_source_remove);
  if (op->event == EVENT_FAILED) {
    gboolean pending = op->wait == WAIT_PENDING;

    op->wait = WAIT_NONE;
    if (pending)
      tx_log_event(op, G_LOG_LEVEL_WARNING, NULL,
                   "%s refused to release %s (DEVICE_REMOVAL_FAILED); it stays assigned",
                   op->domain, op->address);
    tx_verdict(op, PASS_ERROR_REMOVAL_FAILED,
               "%s refused to release %s (DEVICE_REMOVAL_FAILED); it stays assigned", op->domain,
               op->address);
    tx_op_finish(op);
    return;
  }
  if (op->wait == WAIT_PENDING) {
    /* Our client is gone with RemovalPending; take the keys again to finish. */
    op->wait = WAIT_NONE;
    pass_locks_acquire(op->tx->locks, (const char *const *)op->lock_exclusive,
                       (const char *const *)op->lock_shared, op_granted, op);
    return;
  }
  op->wait = WAIT_NONE;
  tx_fault("detach", "unplug-done");
  run_steps(op);
}

/* The verdicts of a detach; the plan in op->steps, op->alias for a live unplug. */
static gboolean
detach_plan(Op *op)
{
  PassEngine *engine = op->tx->engine;
  PassDomain *domain;
  const PassHostdev *hostdev;
  PassDevice *device;
  guint where, asked = flags_where(op->flags);
  PassAction *step;

  if (!tx_check_connected(op) || !(domain = tx_need_domain(op)))
    return FALSE;
  hostdev = pass_domain_find_hostdev(domain, op->address);
  if (!hostdev)
    return tx_verdict(op, PASS_ERROR_DEVICE_NOT_ASSIGNED, "%s is not assigned to %s", op->address,
                      op->domain);
  if (pass_tx_removal_pending(op->tx, op->domain, op->address))
    return tx_verdict(op, PASS_ERROR_REMOVAL_PENDING,
                      "An unplug of %s from %s is pending already; passd finishes it once the "
                      "guest lets go",
                      op->address, op->domain);
  where = hostdev->where & (PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG);
  if (asked) {
    if ((asked & where) != asked)
      return tx_verdict(
          op, PASS_ERROR_DEVICE_NOT_ASSIGNED, "%s is not in the %s of %s", op->address,
          (asked & ~where & PASS_HOSTDEV_LIVE) ? "running domain" : "persistent definition",
          op->domain);
    where = asked;
  }

  device = pass_engine_lookup_device(engine, op->address);
  step = pass_action_new(PASS_ACTION_DETACH, op->address);
  step->domain = g_strdup(op->domain);
  step->where = where;
  /* An interface is found by its MAC (xml-hostdev.h); the VLAN is not needed to find it. */
  if (hostdev->usb)
    step->xml = pass_xml_build_usb_hostdev(hostdev->usb, NULL);
  else if (tx_mdev_is(op->address))
    step->xml = pass_xml_build_mdev_hostdev(pass_xml_mdev_uuid(op->address), NULL);
  else
    step->xml = pass_xml_build_hostdev(op->address, hostdev->interface,
                                       hostdev->interface ? hostdev->mac : NULL, 0, NULL);
  /* a MAC passd would not write itself: libvirt's match by address is all */
  if (!step->xml && !hostdev->usb && !tx_mdev_is(op->address))
    step->xml = pass_xml_build_hostdev(op->address, hostdev->interface, NULL, 0, NULL);
  g_ptr_array_add(op->steps, step);
  if (detach_may_reattach(op, hostdev, where, device)) {
    g_ptr_array_add(op->steps, reattach_step(op->tx, device));
    add_group_leftovers(op, device);
  }
  add_unique(op->devices, op->address);
  if (device)
    add_unique(op->reread, op->address);
  if (where & PASS_HOSTDEV_LIVE) {
    op->alias = g_strdup(hostdev->alias);
    op->live_unplug = TRUE;
  }
  return TRUE;
}

static void
detach_granted(Op *op)
{
  g_autofree char *what = NULL;

  if (op_ends_at_plan(op, detach_plan(op)))
    return;
  what = g_strdup_printf(
      "detach %s from %s (%s)", op->address, op->domain,
      pass_hostdev_where_text(((PassAction *)g_ptr_array_index(op->steps, 0))->where));
  if (!op_start(op, what))
    return;
  if (!op->live_unplug) {
    run_steps(op);
    return;
  }
  /* Waiter first, then the request: the event cannot come before we listen. */
  op->wait = WAIT_REQUESTED;
  op->event = EVENT_NONE;
  if (await_earlier_request(op))
    return;
  tx_fault("detach", "unplug");
  ask_unplug(op, unplug_done);
}

Op *
tx_detach_new(PassTx *tx, PassRequest *request, const char *domain, const char *address,
              guint flags, guint timeout_ms, PassOpDoneFunc done, gpointer user_data)
{
  /* The whole group: members held back earlier may go back to the host with this device. */
  Op *op = op_new(tx, request, OP_DETACH, domain, address, flags, TRUE, done, user_data);

  op->timeout_ms =
      timeout_ms == PASS_TX_REMOVAL_TIMEOUT_DEFAULT ? tx->removal_timeout_ms : timeout_ms;
  return op;
}

void
pass_tx_detach(PassTx *tx, PassRequest *request, const char *domain, const char *address,
               guint flags, guint timeout_ms, PassOpDoneFunc done, gpointer user_data)
{
  tx_op_submit(tx_detach_new(tx, request, domain, address, flags, timeout_ms, done, user_data));
}

/* ---- Reattach ---- */

static gboolean
reattach_plan(Op *op)
{
  PassEngine *engine = op->tx->engine;
  PassDevice *device;
  GPtrArray *owners;
  const char *member;

  if (!tx_check_connected(op) || !(device = tx_need_device(op, op->address)))
    return FALSE;
  owners = pass_engine_get_owners(engine, op->address);
  if (owners->len) {
    g_autofree char *names = pass_strings_join(owners, ", ");

    return tx_fail_in_use(op, op->address, owners,
                          g_strdup_printf("%s is assigned to %s", op->address, names));
  }
  member = tx_group_member_owned(op, device);
  if (member) {
    GPtrArray *member_owners = pass_engine_get_owners(engine, member);
    g_autofree char *names = pass_strings_join(member_owners, ", ");

    return tx_fail_in_use(
        op, op->address, member_owners,
        g_strdup_printf("%s shares IOMMU group %d with %s, which is assigned to %s", op->address,
                        device->iommu_group, member, names));
  }
  add_unique(op->devices, op->address);
  add_unique(op->reread, op->address);
  /* Only a device on vfio-pci has somewhere to go back to. */
  if (is_vfio(device->driver))
    g_ptr_array_add(op->steps, reattach_step(op->tx, device));
  return TRUE;
}

static void
reattach_granted(Op *op)
{
  g_autofree char *what = NULL;

  if (op_ends_at_plan(op, reattach_plan(op)))
    return;
  what = g_strdup_printf("reattach %s to the host", op->address);
  if (op_start(op, what))
    run_steps(op);
}

Op *
tx_reattach_new(PassTx *tx, PassRequest *request, const char *address, guint flags,
                PassOpDoneFunc done, gpointer user_data)
{
  return op_new(tx, request, OP_REATTACH, NULL, address, flags, FALSE, done, user_data);
}

void
pass_tx_reattach(PassTx *tx, PassRequest *request, const char *address, guint flags,
                 PassOpDoneFunc done, gpointer user_data)
{
  tx_op_submit(tx_reattach_new(tx, request, address, flags, done, user_data));
}

/* ---- locks granted ---- */

static void
op_granted(PassLockRequest *request, gpointer user_data)
{
  Op *op = user_data;

  op->lock = request;
  /* A pending unplug that got its event back: finish, nothing to validate. */
  if (op->kind == OP_DETACH && op->live_unplug && op->unplug_done) {
    finish_granted(op);
    return;
  }
  switch (op->kind) {
    case OP_ATTACH:
      attach_granted(op);
      break;
    case OP_DETACH:
      detach_granted(op);
      break;
    case OP_REATTACH:
      reattach_granted(op);
      break;
    case OP_SET_NUM_VFS:
      tx_sriov_granted(op);
      break;
  }
}

/* ---- for operations in other files ---- */

Op *
tx_op_new(PassTx *tx, PassRequest *request, OpKind kind, const char *domain, const char *address,
          guint flags, PassOpDoneFunc done, gpointer user_data)
{
  return op_new(tx, request, kind, domain, address, flags, FALSE, done, user_data);
}

gboolean
tx_op_ends_at_plan(Op *op, gboolean planned)
{
  return op_ends_at_plan(op, planned);
}

gboolean
tx_op_start(Op *op, const char *what)
{
  return op_start(op, what);
}

/* ---- unplug events ---- */

static Op *
find_waiter(PassTx *tx, const char *domain, const char *alias, const char *address)
{
  for (guint i = 0; i < tx->ops_alive->len; i++) {
    Op *op = g_ptr_array_index(tx->ops_alive, i);

    if (op->wait == WAIT_NONE || g_strcmp0(op->domain, domain) != 0)
      continue;
    if ((alias && g_strcmp0(op->alias, alias) == 0) ||
        (address && g_strcmp0(op->address, address) == 0))
      return op;
  }
  return NULL;
}

static void
waiter_event(Op *op, EventState event)
{
  if (op->event != EVENT_NONE)
    return;
  op->event = event;
  /* Before the request returned, unplug_done goes on. */
  if (op->unplug_done)
    detach_continue(op);
}

void
pass_tx_device_removal(PassTx *tx, const char *domain, const char *alias, gboolean failed)
{
  Op *op = find_waiter(tx, domain, alias, NULL);

  g_debug("%s: device %s %s", domain, alias, failed ? "removal failed" : "removed");
  if (op)
    waiter_event(op, failed ? EVENT_FAILED : EVENT_REMOVED);
}

/* ---- a guest that reset while an unplug was pending ---- */

static gboolean reask_cb(gpointer user_data);

static void
reask_schedule(Op *op)
{
  g_clear_handle_id(&op->reask_id, g_source_remove);
  op->reask_id = g_timeout_add(op->tx->reask_delay_ms, reask_cb, op);
}

static void
reask_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
  Op *op = user_data;
  PassOps *ops = op->tx->ops;
  g_autoptr(GError) error = NULL;

  /* QEMU refuses a repeat while the guest still counts down the last one: harmless. */
  if (!ops->klass->run_finish(ops, res, &error))
    tx_log_event(op, G_LOG_LEVEL_INFO, NULL,
                 "detach %s from %s: repeated unplug request refused (%s); waiting for the guest",
                 op->address, op->domain, error->message);
  op->unplug_done = TRUE;
  if (op->event != EVENT_NONE) {
    detach_continue(op);
    return;
  }
  if (op->reasks < PASS_TX_REASK_MAX)
    reask_schedule(op);
}

static gboolean
reask_cb(gpointer user_data)
{
  Op *op = user_data;

  op->reask_id = 0;
  if (op->wait == WAIT_NONE || op->event != EVENT_NONE)
    return G_SOURCE_REMOVE;
  if (!op->unplug_done) { /* the first request has not returned yet */
    reask_schedule(op);
    return G_SOURCE_REMOVE;
  }
  op->reasks++;
  tx_log_event(
      op, G_LOG_LEVEL_MESSAGE, NULL,
      "detach %s from %s: the guest reset with the unplug pending; asking again (%u of %u)",
      op->address, op->domain, op->reasks, PASS_TX_REASK_MAX);
  /* As for the first request: an event that comes meanwhile waits for the request's return. */
  ask_unplug(op, reask_done);
  return G_SOURCE_REMOVE;
}

void
pass_tx_domain_rebooted(PassTx *tx, const char *domain)
{
  for (guint i = 0; i < tx->ops_alive->len; i++) {
    Op *op = g_ptr_array_index(tx->ops_alive, i);

    if (op->wait == WAIT_NONE || op->event != EVENT_NONE || g_strcmp0(op->domain, domain) != 0)
      continue;
    tx_log_event(op, G_LOG_LEVEL_INFO, NULL,
                 "detach %s from %s: the guest reset; the unplug is asked again in %u ms",
                 op->address, op->domain, tx->reask_delay_ms);
    /* A request still running counts: the reset may have come before the guest saw it. */
    op->reasks = 0;
    reask_schedule(op);
  }
}

void
pass_tx_set_reask_delay(PassTx *tx, guint delay_ms)
{
  tx->reask_delay_ms = MAX(delay_ms, 1);
}

/* After the engine applied a change of domain @name (or its removal; NULL: a whole new
 * picture): a pending unplug whose device left the live domain (or whose domain stopped) is
 * complete. */
static void
domain_changed(PassTx *tx, const char *name)
{
  PassDomain *domain = pass_engine_lookup_domain(tx->engine, name);

  /* A missed event must not leave a device pending forever: once the live domain no longer
   * holds it (or stopped), the guest has let go. */
  for (guint i = 0; i < tx->ops_alive->len; i++) {
    Op *op = g_ptr_array_index(tx->ops_alive, i);
    const PassHostdev *hostdev;

    if (op->wait == WAIT_NONE || !op->unplug_done || op->event != EVENT_NONE ||
        (name && g_strcmp0(op->domain, name) != 0))
      continue;
    if (!name)
      domain = pass_engine_lookup_domain(tx->engine, op->domain);
    hostdev = domain ? pass_domain_find_hostdev(domain, op->address) : NULL;
    if (!domain || !domain->active || !hostdev || !(hostdev->where & PASS_HOSTDEV_LIVE)) {
      waiter_event(op, EVENT_REMOVED);
      return; /* the array may have changed; one per change is plenty */
    }
  }
}

gboolean
pass_tx_removal_pending(PassTx *tx, const char *domain, const char *address)
{
  return find_waiter(tx, domain, NULL, address) != NULL;
}

static void
on_engine_event(PassEngine *engine, const PassEngineEvent *event, gpointer user_data)
{
  if (event->type == PASS_ENGINE_EVENT_DOMAIN)
    domain_changed(user_data, event->domain);
}
