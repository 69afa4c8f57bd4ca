/* The worker side of the transactions: running a plan's steps through PassOps,
 * undoing them in reverse on failure, and re-reading what they touched. */
#define G_LOG_DOMAIN "passd"

#include "tx-private.h"

#include "pass-error.h"

/* Rollback of a hot-plug: how long to wait for the guest to let go before giving up. */
#define ROLLBACK_UNPLUG_TIMEOUT_MS 10000
#define ROLLBACK_POLL_MS           100

static const char *
driver_text(const char *driver)
{
  return driver ? driver : "no driver";
}

static JobResult *
job_result_new(void)
{
  JobResult *result = g_new0(JobResult, 1);

  result->done = g_ptr_array_new();
  result->devices = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
  result->gone = g_ptr_array_new_with_free_func(g_free);
  return result;
}

void
tx_job_result_free(JobResult *result)
{
  g_clear_error(&result->error);
  g_clear_pointer(&result->done, g_ptr_array_unref);
  g_clear_pointer(&result->domain, pass_domain_unref);
  g_clear_pointer(&result->devices, g_ptr_array_unref);
  g_clear_pointer(&result->gone, g_ptr_array_unref);
  g_free(result);
}

/* ---- worker jobs ---- */

static gboolean
step_run(PassOps *ops, gpointer worker, const PassAction *step, GError **error)
{
  switch (step->type) {
    case PASS_ACTION_DETACH_HOST:
      return ops->klass->detach_host(ops, worker, step->address, error);
    case PASS_ACTION_ATTACH:
      return ops->klass->attach_domain(ops, worker, step->domain, step->xml, step->where, error);
    case PASS_ACTION_DETACH:
      /* The live part of a detach is the unplug the transaction waits for; only config is left. */
      if (!(step->where & PASS_HOSTDEV_CONFIG))
        return TRUE;
      return ops->klass->detach_domain(ops, worker, step->domain, step->xml, PASS_HOSTDEV_CONFIG,
                                       error);
    case PASS_ACTION_REATTACH_HOST:
      return ops->klass->reattach_host(ops, worker, step->address, !step->to_default,
                                       step->driver_to, error);
    case PASS_ACTION_SET_NUM_VFS:
      return ops->klass->set_num_vfs(ops, worker, step->address, (guint)step->numvfs_to,
                                     step->autoprobe, error);
  }
  return TRUE;
}

/* Hot-unplug during a rollback: the device must be out of the guest before its host driver
 * can have it back, and a job cannot wait for events from here, so poll the live
 * definition. */
static gboolean
rollback_unplug(PassOps *ops, gpointer worker, const PassAction *step, GError **error)
{
  gint64 deadline = g_get_monotonic_time() + ROLLBACK_UNPLUG_TIMEOUT_MS * 1000;

  if (!ops->klass->detach_domain(ops, worker, step->domain, step->xml, PASS_HOSTDEV_LIVE, error))
    return FALSE;
  for (;;) {
    g_autoptr(GError) local = NULL;
    g_autoptr(PassDomain) domain = ops->klass->read_domain(ops, worker, step->domain, &local);
    const PassHostdev *hostdev = domain ? pass_domain_find_hostdev(domain, step->address) : NULL;

    if (g_error_matches(local, PASS_ERROR, PASS_ERROR_NO_SUCH_DOMAIN) ||
        (domain && (!domain->active || !hostdev || !(hostdev->where & PASS_HOSTDEV_LIVE))))
      return TRUE;
    if (g_get_monotonic_time() >= deadline) {
      g_set_error(error, PASS_ERROR, PASS_ERROR_REMOVAL_PENDING, "the guest has not released it");
      return FALSE;
    }
    g_usleep(ROLLBACK_POLL_MS * 1000);
  }
}

/* Undo @steps[0..n) in reverse; a sentence for the error message. */
static char *
rollback(PassOps *ops, gpointer worker, GPtrArray *steps, guint n)
{
  g_autoptr(GPtrArray) undone = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) stuck = g_ptr_array_new(); /* addresses still in the guest */
  GString *text = g_string_new(NULL);

  if (n == 0) {
    g_string_append(text, "; nothing was changed");
    return g_string_free(text, FALSE);
  }
  for (guint i = n; i > 0; i--) {
    const PassAction *step = g_ptr_array_index(steps, i - 1);
    g_autoptr(GError) error = NULL;

    switch (step->type) {
      case PASS_ACTION_DETACH_HOST:
        if (g_ptr_array_find_with_equal_func(stuck, step->address, g_str_equal, NULL)) {
          g_ptr_array_add(failed, g_strdup_printf("%s stays on %s", step->address, VFIO_DRIVER));
          break;
        }
        if (ops->klass->reattach_host(ops, worker, step->address, TRUE, step->driver_from, &error))
          g_ptr_array_add(undone, g_strdup_printf("%s is back %s%s", step->address,
                                                  step->driver_from ? "on " : "with ",
                                                  driver_text(step->driver_from)));
        else
          g_ptr_array_add(failed, g_strdup_printf("%s stays on %s (%s)", step->address, VFIO_DRIVER,
                                                  error->message));
        break;
      case PASS_ACTION_ATTACH: {
        gboolean ok = TRUE;

        if (step->where & PASS_HOSTDEV_LIVE) {
          ok = rollback_unplug(ops, worker, step, &error);
          if (!ok) {
            g_ptr_array_add(stuck, step->address);
            g_ptr_array_add(failed, g_strdup_printf("%s is still in the running %s (%s)",
                                                    step->address, step->domain, error->message));
          }
        }
        if (step->where & PASS_HOSTDEV_CONFIG) {
          g_clear_error(&error);
          if (!ops->klass->detach_domain(ops, worker, step->domain, step->xml, PASS_HOSTDEV_CONFIG,
                                         &error)) {
            ok = FALSE;
            g_ptr_array_add(failed, g_strdup_printf("%s is still in the definition of %s (%s)",
                                                    step->address, step->domain, error->message));
          }
        }
        if (ok)
          g_ptr_array_add(undone,
                          g_strdup_printf("%s removed from %s", step->address, step->domain));
        break;
      }
      case PASS_ACTION_DETACH:
      case PASS_ACTION_REATTACH_HOST:
      case PASS_ACTION_SET_NUM_VFS:
        /* Never undone: a detach is not rolled back into the guest. */
        break;
    }
  }
  if (undone->len) {
    g_autofree char *list = NULL;

    g_ptr_array_add(undone, NULL);
    list = g_strjoinv(", ", (char **)undone->pdata);
    g_string_append_printf(text, "; rolled back: %s", list);
  }
  if (failed->len) {
    g_autofree char *list = NULL;

    g_ptr_array_add(failed, NULL);
    list = g_strjoinv(", ", (char **)failed->pdata);
    g_string_append_printf(text, "; could NOT roll back: %s", list);
  }
  return g_string_free(text, FALSE);
}

/* Read what the job touched, so the engine has it before the locks go. */
static void
job_reread(PassOps *ops, gpointer worker, Op *op, JobResult *result)
{
  if (op->domain) {
    g_autoptr(GError) error = NULL;

    result->domain = ops->klass->read_domain(ops, worker, op->domain, &error);
    if (g_error_matches(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DOMAIN))
      result->domain_gone = TRUE;
    else if (error) {
      result->stale = TRUE;
      g_debug("cannot re-read %s: %s", op->domain, error->message);
    }
  }
  for (guint i = 0; i < op->reread->len; i++) {
    const char *address = g_ptr_array_index(op->reread, i);
    g_autoptr(GError) error = NULL;
    PassDevice *device = ops->klass->read_device(ops, worker, address, &error);

    if (device)
      g_ptr_array_add(result->devices, device);
    else if (g_error_matches(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE))
      g_ptr_array_add(result->gone, g_strdup(address));
    else {
      result->stale = TRUE;
      g_debug("cannot re-read %s: %s", address, error->message);
    }
  }
}

/* The plan, all or nothing. Returns a JobResult even on failure (it carries the error and the
 * re-reads), so the engine always sees the world as the job left it. */
gpointer
tx_job_steps(PassOps *ops, gpointer worker, gpointer data, GError **error)
{
  Op *op = data;
  JobResult *result = job_result_new();

  for (guint i = 0; i < op->steps->len; i++) {
    PassAction *step = g_ptr_array_index(op->steps, i);
    /* Fault injection's points: "attach:detach-host", "attach:detach-host-done", ... */
    g_autofree char *done = g_strconcat(tx_action_name(step->type), "-done", NULL);

    tx_fault(tx_op_name(op), tx_action_name(step->type));
    if (!step_run(ops, worker, step, &result->error)) {
      /* Detach/reattach steps are not undone (a device half back is better than one put back
       * into a guest that wants it gone); attaches are. */
      if (op->kind == OP_ATTACH) {
        g_autofree char *undo = rollback(ops, worker, op->steps, i);
        GError *failed = result->error;

        result->error = g_error_new(failed->domain, failed->code, "%s%s", failed->message, undo);
        g_error_free(failed);
      } else if (op->live_unplug) {
        g_prefix_error(&result->error, "%s was unplugged from the running %s, but: ", op->address,
                       op->domain);
      }
      break;
    }
    g_ptr_array_add(result->done, step);
    tx_fault(tx_op_name(op), done);
  }
  job_reread(ops, worker, op, result);
  return result;
}

gpointer
tx_job_unplug(PassOps *ops, gpointer worker, gpointer data, GError **error)
{
  Op *op = data;

  const PassAction *step = g_ptr_array_index(op->steps, 0);

  /* libvirt names live devices by alias; without one (not QEMU) by XML, and the wait then
   * ends when the device leaves the live definition (domain_changed in tx.c). */
  if (op->alias ? !ops->klass->unplug_live(ops, worker, op->domain, op->alias, error)
                : !ops->klass->detach_domain(ops, worker, op->domain, step->xml, PASS_HOSTDEV_LIVE,
                                             error))
    return NULL;
  return GINT_TO_POINTER(1);
}

gpointer
tx_job_protect(PassOps *ops, gpointer worker, gpointer data, GError **error)
{
  Op *op = data;

  for (guint i = 0; i < op->protect->len; i++) {
    const PassDevice *device = g_ptr_array_index(op->protect, i);
    g_autofree char *reason = NULL;

    if (ops->klass->check_protected(ops, worker, device->address, device->class_code, &reason)) {
      char **verdict = g_new0(char *, 3);

      verdict[0] = g_strdup(device->address);
      verdict[1] = reason ? g_steal_pointer(&reason) : g_strdup("the host needs it");
      return verdict;
    }
  }
  return NULL;
}
