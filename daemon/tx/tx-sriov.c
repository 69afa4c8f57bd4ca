/* SetNumVFs and GetSriov, and the desired VF counts kept in the state directory (see tx.h).
 *
 * A VF count change goes through the stages of every operation (tx.c): the PF's key, exclusively
 * (its VFs share it, so no attach of one of them runs meanwhile) -> verdicts against the picture
 * (a PF, the count, the PF itself not assigned) -> a worker reads the PF's sysfs (count,
 * autoprobe, its VFs) -> the verdict on the VFs a new count destroys, and the plan: one
 * set_num_vfs step, none when nothing changes (a dry run ends here) -> one job: the step, then a
 * bounded wait until libvirt reports the new VFs and no longer the old ones, then the state
 * file -> the fresh reads applied -> locks released -> reply. */
#define G_LOG_DOMAIN "passd"

#include "tx-private.h"

#include <string.h>

#include "pass-address.h"
#include "pass-error.h"
#include "state-file.h"

#define WAIT_POLL_MS 100

typedef struct {
  int count;
  int autoprobe; /* 0 or 1; -1: not recorded */
} Desired;

struct _TxSriov {
  char *path;           /* the state file; NULL: nothing is recorded */
  GHashTable *desired;  /* PF address -> Desired* */
  GHashTable *messages; /* PF address -> why it is not as recorded (its re-apply failed) */
};

static TxSriov *
sriov_get(PassTx *tx)
{
  if (!tx->sriov) {
    tx->sriov = g_new0(TxSriov, 1);
    tx->sriov->desired = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    tx->sriov->messages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  }
  return tx->sriov;
}

void
tx_sriov_free(TxSriov *sriov)
{
  if (!sriov)
    return;
  g_free(sriov->path);
  g_hash_table_unref(sriov->desired);
  g_hash_table_unref(sriov->messages);
  g_free(sriov);
}

static void
add_unique(GPtrArray *strings, const char *value)
{
  if (value && !g_ptr_array_find_with_equal_func(strings, value, g_str_equal, NULL))
    g_ptr_array_add(strings, g_strdup(value));
}

static int
string_compare(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys of @table, copied and sorted. */
static GPtrArray *
sorted_keys(GHashTable *table)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init(&iter, table);
  while (g_hash_table_iter_next(&iter, &key, NULL))
    g_ptr_array_add(keys, g_strdup(key));
  g_ptr_array_sort(keys, string_compare);
  return keys;
}

/* ---- the state file: [PF address] NumVFs=N Autoprobe=true|false ---- */

static char *
desired_to_text(GHashTable *desired)
{
  g_autoptr(GKeyFile) file = g_key_file_new();
  g_autoptr(GPtrArray) keys = sorted_keys(desired);

  for (guint i = 0; i < keys->len; i++) {
    const char *pf = g_ptr_array_index(keys, i);
    const Desired *d = g_hash_table_lookup(desired, pf);

    g_key_file_set_integer(file, pf, "NumVFs", d->count);
    if (d->autoprobe >= 0)
      g_key_file_set_boolean(file, pf, "Autoprobe", d->autoprobe);
  }
  if (keys->len)
    g_key_file_set_comment(file, NULL, NULL,
                           " passd's desired VF counts (SetNumVFs), re-applied when it starts. "
                           "Written by passd.",
                           NULL);
  return g_key_file_to_data(file, NULL, NULL);
}

static gboolean
desired_load(GHashTable *desired, const char *path, GError **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new();
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, &local)) {
    if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return TRUE;
    g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s: ", path);
    return FALSE;
  }
  groups = g_key_file_get_groups(file, NULL);
  for (guint i = 0; groups[i]; i++) {
    g_autofree char *pf = pass_address_canonicalize(groups[i], NULL);
    g_autoptr(GError) bad = NULL;
    Desired *d;
    int count;

    if (!pf) {
      g_warning("%s: [%s] is not a PCI address; ignored", path, groups[i]);
      continue;
    }
    count = g_key_file_get_integer(file, groups[i], "NumVFs", &bad);
    if (bad || count < 0 || count > PASS_TX_MAX_NUM_VFS) {
      g_warning("%s: [%s] NumVFs: %s; ignored", path, groups[i],
                bad ? bad->message : "not a count from 0 to 4096");
      continue;
    }
    d = g_new(Desired, 1);
    d->count = count;
    d->autoprobe = -1;
    if (g_key_file_has_key(file, groups[i], "Autoprobe", NULL)) {
      gboolean on = g_key_file_get_boolean(file, groups[i], "Autoprobe", &bad);

      if (bad)
        g_warning("%s: [%s] Autoprobe: %s; left as the host has it", path, groups[i], bad->message);
      else
        d->autoprobe = on ? 1 : 0;
    }
    g_hash_table_replace(desired, g_steal_pointer(&pf), d);
  }
  return TRUE;
}

gboolean
pass_tx_set_state_dir(PassTx *tx, const char *dir, GError **error)
{
  TxSriov *sriov = sriov_get(tx);

  g_free(sriov->path);
  sriov->path = dir ? g_build_filename(dir, PASS_TX_SRIOV_FILE, NULL) : NULL;
  g_hash_table_remove_all(sriov->desired);
  return !sriov->path || desired_load(sriov->desired, sriov->path, error);
}

/* The state file's text with @pf recorded as @count and @autoprobe; NULL when that is what it
 * holds already (or nothing is recorded). */
static char *
desired_text_with(TxSriov *sriov, const char *pf, int count, int autoprobe)
{
  g_autoptr(GHashTable) copy = NULL;
  const Desired *old = g_hash_table_lookup(sriov->desired, pf);
  GHashTableIter iter;
  gpointer key, value;
  Desired *d;

  if (!sriov->path || (old && old->count == count && old->autoprobe == autoprobe))
    return NULL;
  copy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_iter_init(&iter, sriov->desired);
  while (g_hash_table_iter_next(&iter, &key, &value))
    g_hash_table_insert(copy, g_strdup(key), g_memdup2(value, sizeof(Desired)));
  d = g_new(Desired, 1);
  d->count = count;
  d->autoprobe = autoprobe;
  g_hash_table_replace(copy, g_strdup(pf), d);
  return desired_to_text(copy);
}

static void
desired_set(TxSriov *sriov, const char *pf, int count, int autoprobe)
{
  Desired *d = g_new(Desired, 1);

  d->count = count;
  d->autoprobe = autoprobe;
  g_hash_table_replace(sriov->desired, g_strdup(pf), d);
}

/* ---- SetNumVFs: verdicts and plan ---- */

Op *
tx_sriov_op_new(PassTx *tx, PassRequest *request, const char *pf, guint count, int autoprobe,
                guint flags, PassOpDoneFunc done, gpointer user_data)
{
  Op *op = tx_op_new(tx, request, OP_SET_NUM_VFS, NULL, pf, flags, done, user_data);

  op->count = (int)MIN(count, (guint)PASS_TX_MAX_NUM_VFS + 1);
  op->autoprobe = autoprobe < 0 ? -1 : autoprobe != 0;
  op->sriov_numvfs = op->sriov_autoprobe = -1;
  return op;
}

void
pass_tx_set_num_vfs(PassTx *tx, PassRequest *request, const char *pf, guint count, int autoprobe,
                    guint flags, PassOpDoneFunc done, gpointer user_data)
{
  /* The PF's key, exclusively: no operation on one of its VFs runs meanwhile. */
  tx_op_submit(tx_sriov_op_new(tx, request, pf, count, autoprobe, flags, done, user_data));
}

/* What the picture alone decides: a PF that can have the count, and no domain holds. */
static gboolean
sriov_check(Op *op)
{
  PassEngine *engine = op->tx->engine;
  PassDevice *pf;
  GPtrArray *owners;

  if (!tx_check_connected(op) || !(pf = tx_need_device(op, op->address)))
    return FALSE;
  if (pf->physfn)
    return tx_verdict(op, PASS_ERROR_SRIOV_NOT_SUPPORTED,
                      "%s is a VF of %s; only a physical function has VFs", op->address,
                      pf->physfn);
  if (pf->totalvfs <= 0)
    return tx_verdict(op, PASS_ERROR_SRIOV_NOT_SUPPORTED,
                      "%s is not an SR-IOV physical function (libvirt reports no SR-IOV "
                      "capability for it)",
                      op->address);
  if (op->count > pf->totalvfs)
    return tx_fail_parameter(op, "count", "%s supports at most %d VFs (sriov_totalvfs), not %d",
                             op->address, pf->totalvfs, op->count);
  owners = pass_engine_get_owners(engine, op->address);
  if (owners->len) {
    g_autofree char *names = pass_strings_join(owners, ", ");

    return tx_fail_in_use(
        op, op->address, owners,
        g_strdup_printf("%s is assigned to %s; its VFs cannot change while a domain holds it",
                        op->address, names));
  }
  return TRUE;
}

/* VfsInUse: @in_use ("ADDR: why" each); @held when a domain holds one (force does not help). */
static gboolean
fail_vfs_in_use(Op *op, GPtrArray *in_use, gboolean held)
{
  g_autofree char *list = pass_strings_join(in_use, "; ");

  op->result->vfs = pass_strings_copy(in_use);
  return tx_verdict(op, PASS_ERROR_VFS_IN_USE,
                    "Changing the VF count of %s from %d to %d destroys every VF, and these are in "
                    "use: %s%s",
                    op->address, op->sriov_numvfs, op->count, list,
                    held ? " (passd never destroys a VF a domain holds: detach it first)"
                         : " (force destroys VFs that are merely bound to vfio-pci)");
}

/* After the worker's read: the VFs a new count destroys, and the plan in op->steps (empty
 * when nothing changes). FALSE: op->result says why not. */
static gboolean
sriov_plan(Op *op)
{
  PassEngine *engine = op->tx->engine;
  gboolean recreate = op->count != op->sriov_numvfs;
  gboolean probe = op->autoprobe >= 0 && op->autoprobe != op->sriov_autoprobe;
  g_autoptr(GPtrArray) in_use = g_ptr_array_new_with_free_func(g_free);
  gboolean held = FALSE;
  PassAction *step;

  /* Only a PF still in the picture: its VFs may have been attached while we read. */
  if (!tx_check_connected(op) || !tx_need_device(op, op->address))
    return FALSE;
  for (guint i = 0; recreate && i < op->devices->len; i++) {
    const char *vf = g_ptr_array_index(op->devices, i);
    GPtrArray *owners = pass_engine_get_owners(engine, vf);
    PassDevice *device = pass_engine_lookup_device(engine, vf);

    if (owners->len) {
      g_autofree char *names = pass_strings_join(owners, ", ");

      g_ptr_array_add(in_use, g_strdup_printf("%s: assigned to %s", vf, names));
      held = TRUE;
    } else if (device && g_strcmp0(device->driver, VFIO_DRIVER) == 0) {
      g_ptr_array_add(in_use, g_strdup_printf("%s: bound to %s", vf, VFIO_DRIVER));
    }
  }
  if (in_use->len && (held || !(op->flags & PASS_OP_FORCE)))
    return fail_vfs_in_use(op, in_use, held);
  if (!recreate && !probe)
    return TRUE;
  step = pass_action_new(PASS_ACTION_SET_NUM_VFS, op->address);
  step->numvfs_from = op->sriov_numvfs;
  step->numvfs_to = op->count;
  step->autoprobe = probe ? op->autoprobe : -1;
  g_ptr_array_add(op->steps, step);
  return TRUE;
}

/* ---- SetNumVFs: the job ---- */

typedef struct {
  Op *op;
  char *path, *contents; /* the state file to write once the kernel has the count; NULL: none */
  int autoprobe;         /* what is recorded */
  /* filled on the worker */
  GError *error;         /* the step's, or the wait's */
  GError *persist_error; /* the state file's */
  gboolean applied;      /* the kernel has the count asked for */
  GPtrArray *devices;    /* fresh PassDevice*: the PF and its VFs */
  GPtrArray *gone;       /* char*: VFs libvirt no longer has */
} Job;

static void
job_free(Job *job)
{
  g_free(job->path);
  g_free(job->contents);
  g_clear_error(&job->error);
  g_clear_error(&job->persist_error);
  g_ptr_array_unref(job->devices);
  g_ptr_array_unref(job->gone);
  g_free(job);
}

/* One look at libvirt: fresh reads of the PF and of the VFs sysfs has, and which old VFs are
 * gone. Returns the first VF libvirt does not agree on yet (not reported, or still reported
 * though gone), or NULL. */
static char *
job_look(PassOps *ops, gpointer worker, Job *job)
{
  Op *op = job->op;
  g_auto(PassOpsSriov) sriov = {0};
  g_autoptr(GPtrArray) now = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  PassDevice *device;
  char *missing = NULL;

  g_ptr_array_set_size(job->devices, 0);
  g_ptr_array_set_size(job->gone, 0);
  if ((device = ops->klass->read_device(ops, worker, op->address, &error)))
    g_ptr_array_add(job->devices, device);
  g_clear_error(&error);
  if (ops->klass->read_sriov(ops, worker, op->address, &sriov, &error))
    for (guint i = 0; i < sriov.vfs->len; i++)
      add_unique(now, g_ptr_array_index(sriov.vfs, i));
  else
    g_debug("cannot read the SR-IOV state of %s: %s", op->address, error->message);
  for (guint i = 0; i < now->len; i++) {
    const char *vf = g_ptr_array_index(now, i);
    g_autoptr(GError) local = NULL;

    if ((device = ops->klass->read_device(ops, worker, vf, &local)))
      g_ptr_array_add(job->devices, device);
    else if (!missing)
      missing = g_strdup(vf);
  }
  for (guint i = 0; i < op->devices->len; i++) {
    const char *vf = g_ptr_array_index(op->devices, i);
    g_autoptr(GError) local = NULL;

    if (g_ptr_array_find_with_equal_func(now, vf, g_str_equal, NULL))
      continue;
    if ((device = ops->klass->read_device(ops, worker, vf, &local))) {
      pass_device_unref(device);
      if (!missing)
        missing = g_strdup(vf);
    } else if (g_error_matches(local, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE)) {
      g_ptr_array_add(job->gone, g_strdup(vf));
    }
  }
  return missing;
}

/* The step, then the wait for libvirt (bounded: its node-device events come a little after the
 * kernel's, and the reply must not come before the inventory has the new VFs), then the state
 * file. Returns @data. */
static gpointer
job_steps(PassOps *ops, gpointer worker, gpointer data, GError **error)
{
  Job *job = data;
  Op *op = job->op;
  gint64 deadline = g_get_monotonic_time() + PASS_TX_SRIOV_WAIT_MS * G_TIME_SPAN_MILLISECOND;
  gboolean recreate = FALSE;

  for (guint i = 0; i < op->steps->len && !job->error; i++) {
    const PassAction *step = g_ptr_array_index(op->steps, i);

    /* Fault injection's points: "set_num_vfs:set-num-vfs", "set_num_vfs:set-num-vfs-done". */
    tx_fault("set_num_vfs", "set-num-vfs");
    if (ops->klass->set_num_vfs(ops, worker, step->address, (guint)step->numvfs_to, step->autoprobe,
                                &job->error)) {
      recreate = recreate || step->numvfs_from != step->numvfs_to;
      tx_fault("set_num_vfs", "set-num-vfs-done");
    }
  }
  job->applied = job->error == NULL;
  for (;;) {
    g_autofree char *missing = job_look(ops, worker, job);

    if (!missing || !recreate || !job->applied)
      break;
    if (g_get_monotonic_time() >= deadline) {
      g_set_error(&job->error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                  "%s has %d VFs now, but libvirt did not report the change of %s within %d s",
                  op->address, op->count, missing, PASS_TX_SRIOV_WAIT_MS / 1000);
      break;
    }
    g_usleep(WAIT_POLL_MS * 1000);
  }
  return job;
}

static void
steps_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
  Job *job = user_data;
  Op *op = job->op;
  PassTx *tx = op->tx;
  PassEngine *engine = tx->engine;
  TxSriov *sriov = sriov_get(tx);
  g_autoptr(GError) error = NULL;

  if (!tx->ops->klass->run_finish(tx->ops, res, &error)) {
    tx_verdict_error(op, g_steal_pointer(&error));
    job_free(job);
    tx_op_finish(op);
    return;
  }
  for (guint i = 0; i < job->devices->len; i++)
    pass_engine_device_changed(engine, g_ptr_array_index(job->devices, i));
  for (guint i = 0; i < job->gone->len; i++)
    pass_engine_device_removed(engine, g_ptr_array_index(job->gone, i));
  if (job->applied) {
    desired_set(sriov, op->address, op->count, job->autoprobe);
    g_hash_table_remove(sriov->messages, op->address);
    /* Written here, from the whole table as it is now: changes of two PFs run in parallel,
     * and each must keep the other's count. */
    if (job->contents) {
      g_autofree char *dir = g_path_get_dirname(job->path);
      g_autofree char *contents = desired_to_text(sriov->desired);

      if (pass_state_make_dir(dir, &job->persist_error))
        pass_state_write_file(job->path, contents, -1, &job->persist_error);
    }
  }
  /* Whether a failed change left the PF at its old count or at 0 only sysfs tells, and the
   * picture lags behind it: recovery looks again. */
  if (job->error)
    op->stale = TRUE;
  if (job->persist_error)
    tx_log_event(op, G_LOG_LEVEL_WARNING, NULL,
                 "set_num_vfs %s: %d VFs are set but not recorded, so a restart will not "
                 "re-apply them: %s",
                 op->address, op->count, job->persist_error->message);
  if (job->error) {
    tx_verdict_error(op, g_steal_pointer(&job->error));
  } else {
    op->result->actions = g_ptr_array_new_with_free_func((GDestroyNotify)pass_action_free);
    for (guint i = 0; i < op->steps->len; i++)
      g_ptr_array_add(op->result->actions, pass_action_copy(g_ptr_array_index(op->steps, i)));
    if (op->steps->len)
      tx_log_event(op, G_LOG_LEVEL_MESSAGE, NULL, "set_num_vfs %s: done, %d VFs", op->address,
                   op->count);
  }
  job_free(job);
  tx_op_finish(op);
}

static void
sriov_run(Op *op)
{
  PassTx *tx = op->tx;
  Job *job = g_new0(Job, 1);

  job->op = op;
  job->autoprobe = op->autoprobe >= 0 ? op->autoprobe : op->sriov_autoprobe;
  job->contents = desired_text_with(sriov_get(tx), op->address, op->count, job->autoprobe);
  job->path = g_strdup(sriov_get(tx)->path);
  job->devices = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
  job->gone = g_ptr_array_new_with_free_func(g_free);
  if (op->steps->len) {
    const PassAction *step = g_ptr_array_index(op->steps, 0);
    g_autofree char *what = NULL;

    if (step->numvfs_from == step->numvfs_to)
      what = g_strdup_printf("set_num_vfs %s: autoprobe %s, %d VFs kept", op->address,
                             step->autoprobe ? "on" : "off", step->numvfs_to);
    else
      what = g_strdup_printf("set_num_vfs %s: %d -> %d VFs%s", op->address, step->numvfs_from,
                             step->numvfs_to,
                             step->autoprobe < 0 ? ""
                             : step->autoprobe   ? " (autoprobe on)"
                                                 : " (autoprobe off)");
    /* The intent journal first; without it nothing is done (op_start ended the operation). */
    if (!tx_op_start(op, what)) {
      job_free(job);
      return;
    }
  }
  tx->ops->klass->run(tx->ops, job_steps, job, NULL, steps_done, job);
}

/* ---- SetNumVFs: the worker's read ---- */

static gpointer
job_read(PassOps *ops, gpointer worker, gpointer data, GError **error)
{
  Op *op = data;
  PassOpsSriov *sriov = g_new0(PassOpsSriov, 1);

  if (ops->klass->read_sriov(ops, worker, op->address, sriov, error))
    return sriov;
  pass_ops_sriov_clear(sriov);
  g_free(sriov);
  return NULL;
}

static void
read_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
  Op *op = user_data;
  PassOps *ops = op->tx->ops;
  g_autoptr(GError) error = NULL;
  PassOpsSriov *sriov = ops->klass->run_finish(ops, res, &error);
  GPtrArray *vfs;

  if (!sriov) {
    tx_verdict_error(op, g_steal_pointer(&error));
    tx_op_finish(op);
    return;
  }
  op->sriov_numvfs = sriov->numvfs;
  op->sriov_autoprobe = sriov->autoprobe;
  /* The VFs a new count destroys: sysfs's and the picture's (libvirt may lag behind). */
  for (guint i = 0; i < sriov->vfs->len; i++)
    add_unique(op->devices, g_ptr_array_index(sriov->vfs, i));
  vfs = pass_engine_get_vfs(op->tx->engine, op->address);
  for (guint i = 0; i < vfs->len; i++)
    add_unique(op->devices, g_ptr_array_index(vfs, i));
  g_ptr_array_sort(op->devices, string_compare);
  pass_ops_sriov_clear(sriov);
  g_free(sriov);

  if (!sriov_plan(op) || (op->flags & PASS_OP_DRY_RUN)) {
    tx_op_ends_at_plan(op, !op->result->error);
    return;
  }
  sriov_run(op);
}

void
tx_sriov_granted(Op *op)
{
  if (!sriov_check(op)) {
    tx_op_finish(op);
    return;
  }
  /* sysfs says what the kernel has now: on a worker. */
  op->tx->ops->klass->run(op->tx->ops, job_read, op, NULL, read_done, op);
}

/* ---- re-applying the recorded counts ---- */

static void
reapply_done(const PassOpResult *result, gpointer user_data)
{
  TxSriov *sriov = sriov_get(user_data);
  char *message;

  if (!result->error)
    return;
  message = g_strdup_printf("re-applying the recorded count failed: %s", result->error->message);
  g_warning("%s: %s", result->address, message);
  g_hash_table_replace(sriov->messages, g_strdup(result->address), message);
}

void
pass_tx_sriov_reapply(PassTx *tx)
{
  TxSriov *sriov = sriov_get(tx);
  g_autoptr(GPtrArray) pfs = sorted_keys(sriov->desired);

  for (guint i = 0; i < pfs->len; i++) {
    const char *pf = g_ptr_array_index(pfs, i);
    const Desired *d = g_hash_table_lookup(sriov->desired, pf);
    int count = d->count, autoprobe = d->autoprobe;

    if (!pass_engine_lookup_device(tx->engine, pf)) {
      g_warning("%s has %d VFs recorded in %s, but the host has no such device; it is left "
                "as recorded",
                pf, count, sriov->path);
      g_hash_table_replace(
          sriov->messages, g_strdup(pf),
          g_strdup_printf("the host has no device %s (recorded with %d VFs)", pf, count));
      continue;
    }
    /* Its interrupted change is recovery's (to the count asked then, recorded or not). */
    if (tx_intent_open_for(tx, OP_SET_NUM_VFS, pf)) {
      g_info("%s: its interrupted VF count change is being finished, not re-applied", pf);
      continue;
    }
    g_info("%s: re-applying the recorded %d VFs", pf, count);
    pass_tx_set_num_vfs(tx, NULL, pf, (guint)count, autoprobe, 0, reapply_done, tx);
  }
}

/* ---- GetSriov ---- */

static gboolean
is_pf(PassEngine *engine, const PassDevice *device)
{
  return !device->physfn &&
         (device->totalvfs > 0 || pass_engine_get_vfs(engine, device->address)->len > 0);
}

static gboolean
applying(PassTx *tx, const char *pf)
{
  for (guint i = 0; i < tx->ops_alive->len; i++) {
    Op *op = g_ptr_array_index(tx->ops_alive, i);

    if (op->kind == OP_SET_NUM_VFS && g_str_equal(op->address, pf))
      return TRUE;
  }
  return FALSE;
}

static PassSriovPf *
report_pf(PassTx *tx, const char *address)
{
  PassEngine *engine = tx->engine;
  TxSriov *sriov = sriov_get(tx);
  PassSriovPf *pf = pass_sriov_pf_new(address);
  PassDevice *device = pass_engine_lookup_device(engine, address);
  const Desired *desired = g_hash_table_lookup(sriov->desired, address);
  const char *message = g_hash_table_lookup(sriov->messages, address);

  pf->desired = desired ? desired->count : -1;
  if (device) {
    GPtrArray *vfs = pass_engine_get_vfs(engine, address);

    pf->present = TRUE;
    pf->totalvfs = device->totalvfs;
    pf->numvfs = (int)vfs->len;
    pf->driver = g_strdup(device->driver);
    pf->numa_node = device->numa_node;
    /* Sorted by address, which is by index for every PF seen so far; sysfs says for sure. */
    for (guint i = 0; i < vfs->len; i++) {
      PassDevice *vf = pass_engine_lookup_device(engine, g_ptr_array_index(vfs, i));
      PassSriovVf *v = pass_sriov_vf_new(g_ptr_array_index(vfs, i), (int)i);
      GPtrArray *owners = pass_engine_get_owners(engine, v->address);

      for (guint j = 0; j < owners->len; j++)
        g_ptr_array_add(v->owners, g_strdup(g_ptr_array_index(owners, j)));
      if (vf) {
        v->driver = g_strdup(vf->driver);
        v->numa_node = vf->numa_node;
      }
      g_ptr_array_add(pf->vfs, v);
    }
  }
  if (applying(tx, address))
    pf->state = PASS_SRIOV_APPLYING;
  else if (!desired)
    pf->state = PASS_SRIOV_SETTLED;
  else if (!device)
    pf->state = PASS_SRIOV_VANISHED;
  else if (pf->numvfs != desired->count)
    pf->state = PASS_SRIOV_DIFFERS;
  else
    pf->state = PASS_SRIOV_SETTLED;
  if (pf->state == PASS_SRIOV_VANISHED)
    pf->message = g_strdup(message ? message : "the host has no such device");
  else if (pf->state == PASS_SRIOV_DIFFERS)
    pf->message =
        message ? g_strdup(message)
                : g_strdup_printf("%d VFs are recorded, the PF has %d", desired->count, pf->numvfs);
  return pf;
}

typedef struct {
  PassTx *tx;
  GPtrArray *pfs; /* PassSriovPf* */
  PassTxSriovFunc done;
  gpointer user_data;
} Report;

static void
report_free(Report *report)
{
  g_ptr_array_unref(report->pfs);
  g_free(report);
}

static int
vf_compare(gconstpointer a, gconstpointer b)
{
  const PassSriovVf *va = *(PassSriovVf *const *)a, *vb = *(PassSriovVf *const *)b;

  if (va->index != vb->index)
    return va->index < vb->index ? -1 : 1;
  return strcmp(va->address, vb->address);
}

/* autoprobe and the VFs' indexes from sysfs; touches nothing the main context reads. */
static gpointer
job_report(PassOps *ops, gpointer worker, gpointer data, GError **error)
{
  Report *report = data;

  for (guint i = 0; i < report->pfs->len; i++) {
    PassSriovPf *pf = g_ptr_array_index(report->pfs, i);
    g_auto(PassOpsSriov) sriov = {0};
    g_autoptr(GError) local = NULL;

    if (!pf->present)
      continue;
    if (!ops->klass->read_sriov(ops, worker, pf->address, &sriov, &local)) {
      g_debug("GetSriov: %s", local->message);
      continue;
    }
    pf->autoprobe = sriov.autoprobe;
    for (guint j = 0; j < pf->vfs->len; j++) {
      PassSriovVf *vf = g_ptr_array_index(pf->vfs, j);
      guint index;

      if (g_ptr_array_find_with_equal_func(sriov.vfs, vf->address, g_str_equal, &index))
        vf->index = (int)index;
    }
    g_ptr_array_sort(pf->vfs, vf_compare);
  }
  return report;
}

static void
report_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
  Report *report = user_data;
  PassOps *ops = report->tx->ops;
  g_autoptr(GError) error = NULL;

  if (!ops->klass->run_finish(ops, res, &error))
    report->done(NULL, error, report->user_data);
  else
    report->done(report->pfs, NULL, report->user_data);
  report_free(report);
}

static void report_error(PassTxSriovFunc done, gpointer user_data, int code, const char *format,
                         ...) G_GNUC_PRINTF(4, 5);

static void
report_error(PassTxSriovFunc done, gpointer user_data, int code, const char *format, ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start(args, format);
  error = g_error_new_valist(PASS_ERROR, code, format, args);
  va_end(args);
  done(NULL, error, user_data);
}

void
pass_tx_get_sriov(PassTx *tx, const char *pf, PassTxSriovFunc done, gpointer user_data)
{
  PassEngine *engine = tx->engine;
  TxSriov *sriov = sriov_get(tx);
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func(g_free);
  Report *report;

  if (!tx->ops || !pass_engine_has_inventory(engine) || !pass_engine_is_connected(engine)) {
    const char *why = pass_engine_get_message(engine);

    report_error(done, user_data, PASS_ERROR_HYPERVISOR_UNAVAILABLE, "Not connected to libvirt%s%s",
                 why ? ": " : "", why ? why : "");
    return;
  }
  if (pf) {
    PassDevice *device = pass_engine_lookup_device(engine, pf);
    gboolean recorded = g_hash_table_contains(sriov->desired, pf);

    if (!device && !recorded) {
      report_error(done, user_data, PASS_ERROR_NO_SUCH_DEVICE, "No PCI device at %s", pf);
      return;
    }
    if (device && !recorded && !is_pf(engine, device)) {
      report_error(done, user_data, PASS_ERROR_SRIOV_NOT_SUPPORTED,
                   "%s is not an SR-IOV physical function", pf);
      return;
    }
    add_unique(addresses, pf);
  } else {
    g_autoptr(GPtrArray) devices = pass_engine_list_devices(engine);
    g_autoptr(GPtrArray) recorded = sorted_keys(sriov->desired);

    for (guint i = 0; i < devices->len; i++) {
      const PassDevice *device = g_ptr_array_index(devices, i);

      if (is_pf(engine, device))
        add_unique(addresses, device->address);
    }
    for (guint i = 0; i < recorded->len; i++)
      add_unique(addresses, g_ptr_array_index(recorded, i));
    g_ptr_array_sort(addresses, string_compare);
  }
  report = g_new0(Report, 1);
  report->tx = tx;
  report->pfs = g_ptr_array_new_with_free_func((GDestroyNotify)pass_sriov_pf_free);
  report->done = done;
  report->user_data = user_data;
  for (guint i = 0; i < addresses->len; i++)
    g_ptr_array_add(report->pfs, report_pf(tx, g_ptr_array_index(addresses, i)));
  tx->ops->klass->run(tx->ops, job_report, report, NULL, report_done, report);
}
