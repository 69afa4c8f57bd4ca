/* Recovery: operations the journal says began and did not end (a crash, a kill, libvirt lost
 * mid-way) are finished or undone as passd's own operations, against a fresh picture.
 *
 * The rule is the point of no return, judged from what libvirt and sysfs show now, not from
 * how far the dead operation got:
 *   attach    complete as asked (every device in the domain, live and config as asked; a
 *             stopped domain has no live side)? Then it stands. Otherwise it is undone: out of
 *             the domain where it is, and the devices it took back to their original drivers.
 *             The client never heard of a success, so none is made up for it.
 *   detach    finished: out of the domain where it was asked, then back to the original
 *             driver when the plan gave it back. The guest may be letting go still, and a
 *             second press of a PCIe slot's attention button while it counts down cancels
 *             the unplug: so passd first waits the removal timeout from the interrupted
 *             request, and asks again only if the guest has not let go by then.
 *   reattach  finished.
 *   VF count  finished: set to the count asked for (the kernel goes through 0, so the old VFs
 *             may be gone already; one of them in use by now refuses it, VfsInUse).
 * Each step is an ordinary Detach or Reattach with its own journal record, locks and checks,
 * so recovery cannot do what a client could not; a step that finds nothing to do changes
 * nothing. Requests from clients wait until recovery is through (tx_op_submit), so they see
 * its outcome. An intent whose steps fail for want of libvirt stays open for the next try. */
#define G_LOG_DOMAIN "passd"

#include "tx-private.h"

#include "pass-error.h"

void
tx_recovery_free(PassRecovery *recovery)
{
  g_free(recovery->operation);
  g_free(recovery->address);
  g_free(recovery->domain);
  g_free(recovery->outcome);
  g_free(recovery);
}

static void
note(PassTx *tx, Intent *intent, gboolean resolved)
{
  PassRecovery *recovery = g_new0(PassRecovery, 1);
  const char *text = intent->outcome && intent->outcome->len ? intent->outcome->str : "";

  recovery->time = g_get_real_time();
  recovery->operation = g_strdup(tx_kind_name(intent->kind));
  recovery->address = g_strdup(intent->address);
  recovery->domain = g_strdup(intent->domain);
  recovery->outcome = g_strdup(text);
  recovery->resolved = resolved;
  g_ptr_array_add(tx->recovered, recovery);
  tx_log_recovery(intent, resolved ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_WARNING,
                  "recovered the interrupted %s of %s%s%s: %s", tx_kind_name(intent->kind),
                  intent->address, intent->domain ? " / " : "",
                  intent->domain ? intent->domain : "", text);
}

static void outcome_add(Intent *intent, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
outcome_add(Intent *intent, const char *format, ...)
{
  va_list args;

  if (!intent->outcome)
    intent->outcome = g_string_new(NULL);
  if (intent->outcome->len)
    g_string_append(intent->outcome, "; ");
  va_start(args, format);
  g_string_append_vprintf(intent->outcome, format, args);
  va_end(args);
}

static void recovery_done(PassTx *tx);

#define RETRY_FIRST_S  5
#define RETRY_MAX_S    300
#define RETRY_ATTEMPTS 6

static gboolean
retry_cb(gpointer user_data)
{
  PassTx *tx = user_data;

  tx->retry_id = 0;
  /* Without libvirt, the next snapshot recovers (pass_tx_recover from main.c). */
  if (pass_engine_is_connected(tx->engine))
    pass_tx_recover(tx);
  return G_SOURCE_REMOVE;
}

void
tx_recovery_schedule(PassTx *tx)
{
  if (tx->retry_id)
    return;
  if (!tx->retry_delay_s)
    tx->retry_delay_s = RETRY_FIRST_S;
  tx->retry_id = g_timeout_add_seconds(tx->retry_delay_s, retry_cb, tx);
  tx->retry_delay_s = MIN(tx->retry_delay_s * 2, RETRY_MAX_S);
}

/* The last of @intent's operations is done. */
static void
intent_recovered(PassTx *tx, Intent *intent)
{
  intent->recovering = FALSE;
  if (intent->unresolved) {
    note(tx, intent, FALSE);
    g_string_truncate(intent->outcome, 0);
    intent->unresolved = FALSE;
    /* Retried a few times with a growing delay, then only at the next start or reconnect
     * (status keeps saying so), so a refusal for good does not churn forever. */
    if (++intent->attempts < RETRY_ATTEMPTS)
      tx_recovery_schedule(tx);
  } else {
    note(tx, intent, TRUE);
    tx_intent_end(tx, intent, "recovered", NULL); /* frees @intent */
  }
  if (--tx->recovering == 0)
    recovery_done(tx);
}

/* Outcomes that leave nothing half-way: done, handed on (a pending unplug has its own record
 * now), or nothing to do (already out, somebody else's, gone). */
static gboolean
resolved_code(int code)
{
  switch (code) {
    case PASS_ERROR_REMOVAL_PENDING:
    case PASS_ERROR_REMOVAL_FAILED: /* the guest refused: it stays assigned, whole */
    case PASS_ERROR_DEVICE_NOT_ASSIGNED:
    case PASS_ERROR_DEVICE_IN_USE:
    case PASS_ERROR_NO_SUCH_DEVICE:
    case PASS_ERROR_NO_SUCH_DOMAIN:
    case PASS_ERROR_VFS_IN_USE: /* a VF is somebody's now: it is not destroyed */
    case PASS_ERROR_SRIOV_NOT_SUPPORTED:
    case PASS_ERROR_INVALID_PARAMETER: /* the kernel refuses it for good: nothing to finish */
      return TRUE;
    default:
      return FALSE;
  }
}

typedef struct {
  PassTx *tx;
  Intent *intent;
  char *what; /* "detach of 0000:01:00.0 from vm1" */
} Step;

static void
step_free(Step *step)
{
  g_free(step->what);
  g_free(step);
}

static void
on_step_done(const PassOpResult *result, gpointer user_data)
{
  Step *step = user_data;
  Intent *intent = step->intent;

  if (!result->error)
    outcome_add(intent, "%s: %s", step->what,
                result->actions && result->actions->len ? "done" : "nothing left to do");
  else if (resolved_code(result->error->code))
    outcome_add(intent, "%s: %s", step->what, result->error->message);
  else {
    outcome_add(intent, "%s failed: %s", step->what, result->error->message);
    intent->unresolved = TRUE;
  }
  if (--intent->n_pending == 0)
    intent_recovered(step->tx, intent);
  step_free(step);
}

static Step *
step_new(PassTx *tx, Intent *intent, char *what)
{
  Step *step = g_new0(Step, 1);

  step->tx = tx;
  step->intent = intent;
  step->what = what;
  intent->n_pending++;
  return step;
}

/* When @intent (a detach) had asked the guest to let go, this detach waits for that first
 * (tx.c, await_earlier_request). */
static void
recover_detach(PassTx *tx, Intent *intent, const char *address, guint where)
{
  Step *step = step_new(tx, intent,
                        g_strdup_printf("detach of %s from %s (%s)", address, intent->domain,
                                        pass_hostdev_where_text(where)));
  guint flags = ((where & PASS_HOSTDEV_LIVE) ? PASS_OP_LIVE : 0) |
                ((where & PASS_HOSTDEV_CONFIG) ? PASS_OP_CONFIG : 0);
  Op *op = tx_detach_new(tx, NULL, intent->domain, address, flags, PASS_TX_REMOVAL_TIMEOUT_DEFAULT,
                         on_step_done, step);

  op->recovers = intent;
  tx_op_submit(op);
}

static void
recover_reattach(PassTx *tx, Intent *intent, const char *address)
{
  Step *step = step_new(tx, intent, g_strdup_printf("return of %s to the host", address));
  Op *op = tx_reattach_new(tx, NULL, address, 0, on_step_done, step);

  op->recovers = intent;
  tx_op_submit(op);
}

static void
recover_set_num_vfs(PassTx *tx, Intent *intent)
{
  Step *step = step_new(
      tx, intent, g_strdup_printf("VF count of %s to %d", intent->address, intent->numvfs_to));
  Op *op = tx_sriov_op_new(tx, NULL, intent->address, (guint)MAX(intent->numvfs_to, 0),
                           intent->autoprobe, 0, on_step_done, step);

  op->recovers = intent;
  tx_op_submit(op);
}

/* Queue @intent's operations (or end it when it needs none). */
static void
recover_intent(PassTx *tx, Intent *intent)
{
  intent->recovering = TRUE;
  tx->recovering++;
  intent->n_pending = 1; /* held while queueing: a step may end at once */
  switch (intent->kind) {
    case OP_ATTACH:
      if (tx_intent_complete(tx, intent)) {
        outcome_add(intent, "it had completed: %s holds %s as asked", intent->domain,
                    intent->address);
        break;
      }
      outcome_add(intent, "it had not completed, so it is undone");
      for (guint i = 0; i < intent->devices->len; i++) {
        const char *address = g_ptr_array_index(intent->devices, i);
        guint present = tx_intent_present(tx, intent, address);

        if (present)
          recover_detach(tx, intent, address, present);
      }
      for (guint i = 0; i < intent->taken->len; i++)
        recover_reattach(tx, intent, g_ptr_array_index(intent->taken, i));
      break;
    case OP_DETACH: {
      guint present = tx_intent_present(tx, intent, intent->address) & intent->where;

      outcome_add(intent, "finishing it");
      if (present)
        recover_detach(tx, intent, intent->address, present);
      for (guint i = 0; i < intent->returns->len; i++)
        recover_reattach(tx, intent, g_ptr_array_index(intent->returns, i));
      break;
    }
    case OP_REATTACH:
      outcome_add(intent, "finishing it");
      recover_reattach(tx, intent, intent->address);
      break;
    case OP_SET_NUM_VFS: {
      int n = (int)pass_engine_get_vfs(tx->engine, intent->address)->len;

      /* Its client was told it failed: a PF at either end is whole, and setting the count
       * asked for now would be a change nobody is waiting for. */
      if (intent->answered && (n == intent->numvfs_from || n == intent->numvfs_to)) {
        outcome_add(intent, "nothing to finish: %s has %d VFs, and the failure was answered",
                    intent->address, n);
        break;
      }
      /* The old VFs may be gone already (the kernel goes through 0): the count asked for. */
      outcome_add(intent, "finishing it");
      recover_set_num_vfs(tx, intent);
      break;
    }
  }
  if (--intent->n_pending == 0)
    intent_recovered(tx, intent);
}

void
pass_tx_recover(PassTx *tx)
{
  /* Oldest first: a later operation on the same device was planned on top of it. */
  g_autoptr(GPtrArray) intents = tx_intents_sorted(tx);
  guint n = 0;

  tx_mdev_recover(tx);
  for (guint i = 0; i < intents->len; i++) {
    Intent *intent = g_ptr_array_index(intents, i);

    if (intent->orphan && !intent->recovering)
      g_ptr_array_index(intents, n++) = intent;
  }
  g_ptr_array_set_size(intents, n);
  if (n == 0)
    return;
  g_message("recovering %u interrupted operations", n);
  tx->recovering++; /* held while queueing */
  for (guint i = 0; i < intents->len; i++)
    recover_intent(tx, g_ptr_array_index(intents, i));
  if (--tx->recovering == 0)
    recovery_done(tx);
}

static void
recovery_done(PassTx *tx)
{
  g_autoptr(GPtrArray) parked = g_steal_pointer(&tx->parked);
  g_autoptr(GPtrArray) intents = tx_intents_sorted(tx);
  gboolean settled = TRUE;

  tx->parked = g_ptr_array_new();
  for (guint i = 0; i < intents->len; i++)
    if (((Intent *)g_ptr_array_index(intents, i))->orphan)
      settled = FALSE;
  if (settled)
    tx->retry_delay_s = 0; /* the next failure starts the backoff afresh */
  tx_journal_compact(tx);
  if (parked->len)
    g_debug("recovery done; %u waiting requests go on", parked->len);
  for (guint i = 0; i < parked->len; i++)
    tx_op_submit(g_ptr_array_index(parked, i));
  tx_mdev_resume(tx);
}

gboolean
pass_tx_is_recovering(PassTx *tx)
{
  return tx->recovering > 0;
}

GPtrArray *
pass_tx_get_recovered(PassTx *tx)
{
  return tx->recovered;
}
