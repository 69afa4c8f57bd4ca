/* Internals of the transactions (see tx.c), shared by tx.c (operations, locks, events, applying
 * results), tx-check.c (verdicts on the main context) and tx-job.c (the steps on a worker). */
#pragma once

#include "journal.h"
#include "string-array.h"
#include "tx-locks.h"
#include "tx-pool.h"
#include "tx.h"

G_BEGIN_DECLS

#define VFIO_DRIVER "vfio-pci"

typedef enum {
  OP_ATTACH,
  OP_DETACH,
  OP_REATTACH,
  OP_SET_NUM_VFS, /* tx-sriov.c */
} OpKind;

typedef enum {
  WAIT_NONE,      /* not unplugging */
  WAIT_REQUESTED, /* waiter registered, unplug job running or done, no event yet */
  WAIT_PENDING,   /* timed out: the client got RemovalPending */
} WaitState;

typedef enum {
  EVENT_NONE,
  EVENT_REMOVED,
  EVENT_FAILED,
} EventState;

typedef struct _Op Op;
typedef struct _TxSriov TxSriov;

/* An operation the journal says began and did not end (see tx-journal.c). */
typedef struct {
  guint64 seq;
  JsonObject *begin; /* the record as written (kept for compaction) */
  OpKind kind;
  char *domain, *address;
  guint where;        /* attach and detach: PassHostdevWhere bits asked for */
  GPtrArray *devices; /* char*: attach: every device it takes */
  GPtrArray *taken;   /* char*: devices its plan took from the host (detach-host steps) */
  GPtrArray *returns; /* char*: devices its plan gives back (reattach-host steps) */
  gint64 asked_us;    /* detach: when it last asked the guest to let go (real time; 0: never) */
  int numvfs_from, numvfs_to, autoprobe; /* set_num_vfs: its step (autoprobe -1: kept) */
  gboolean orphan;   /* no operation of this process carries it on: recovery's */
  gboolean answered; /* left open by a failure its client was told of (not by a crash) */
  gboolean recovering;
  guint n_pending; /* recovery: its operations not finished */
  gboolean unresolved;
  guint attempts;   /* recoveries that left it unresolved since passd started */
  GString *outcome; /* recovery: what its operations did */
} Intent;

struct _PassTx {
  PassEngine *engine;
  guint watch_id;
  PassOps *ops;
  PassLocks *locks;
  GHashTable *originals; /* address -> original driver (char*, NULL: none); known when present */
  GPtrArray *ops_alive;  /* Op*, every operation not finished */
  guint removal_timeout_ms;
  guint reask_delay_ms; /* after a guest's reset, between repeats of its pending unplugs */
  GStrv protected;      /* canonical addresses from configuration; NULL: none */
  char *protected_why;

  PassJournal *journal; /* NULL: none (unit tests); then nothing survives a restart */
  GHashTable *intents;  /* seq -> Intent*: begun, not ended */
  guint recovering;     /* intents being recovered; writes from clients wait meanwhile */
  GPtrArray *parked;    /* Op*: requests that arrived while recovering, in order */
  GPtrArray *recovered; /* PassRecovery*: what recovery did since passd started */
  guint retry_id;       /* a recovery due for intents left half-way while connected */
  guint retry_delay_s;  /* doubles while recovery fails, up to RETRY_MAX_S */
  GArray *cpu_nodes;    /* int: host CPU -> NUMA node (-1); for pool attaches' placement */
  TxSriov *sriov;       /* desired VF counts and the state file (tx-sriov.c); NULL until needed */
  /* attach by mdev type (tx-mdev.c): "mdev:UUID" -> TxMdevMade bits, as the journal has them */
  GHashTable *mdev_made;
  GHashTable *mdev_busy;  /* "mdev:UUID" set: its attach by type runs now; recovery leaves it */
  GPtrArray *mdev_parked; /* creates and removes that arrived while recovering, in order */
};

struct _Op {
  PassTx *tx;
  PassRequest *request; /* who asked; NULL for passd's own */
  OpKind kind;
  char *domain, *address;
  guint flags;
  guint where; /* attach: PassHostdevWhere bits, decided by the first verdicts */
  char *mac;   /* attach as an interface: the MAC asked for (NULL: generated) */
  guint vlan;  /* attach as an interface: the VLAN tag (0: none) */
  guint timeout_ms;
  PassOpDoneFunc done;
  gpointer user_data;
  GStrv lock_exclusive, lock_shared;
  PassLockRequest *lock;
  PassOpResult *result;

  GPtrArray *devices;        /* char*: the devices the operation is about */
  GPtrArray *protect;        /* PassDevice*: judged on the worker before any step (attach) */
  GPtrArray *steps;          /* PassAction*: the plan */
  GPtrArray *reread;         /* char*: devices to re-read after the job */
  gboolean started;          /* its steps (or its unplug) began: the host may have changed */
  gboolean whole_group_keys; /* lock the device's whole IOMMU group */
  guint64 intent;            /* its journal record; 0: none */
  gboolean stale;            /* its job could not re-read what it touched */
  Intent *recovers;          /* passd's own operation finishing that interrupted one */

  /* attach by pool (tx-pool.c): it first holds pool:NAME and the domain (pool_lock) for the
   * whole operation, picks, then locks the chosen VFs (lock) */
  PassPool *pool;
  PassVfRequest pick_request; /* domain_nodes filled at the pick */
  gboolean picked;
  PassLockRequest *pool_lock;

  /* detach */
  char *alias;
  guint live_unplug; /* TRUE when the plan starts with a live unplug */
  WaitState wait;
  EventState event;
  gboolean unplug_done; /* the unplug request job returned */
  guint timeout_id;
  guint reask_id; /* the next repeat of the request after the guest reset (tx.c) */
  guint reasks;   /* repeats since the last reset */

  /* set_num_vfs (tx-sriov.c): asked for, and the PF as sysfs showed it (-1: unknown) */
  int count, autoprobe;
  int sriov_numvfs, sriov_autoprobe;
};

/* What a job hands back to the main context. */
typedef struct {
  GError *error;
  GPtrArray *done;    /* PassAction* (borrowed from the op's plan) */
  PassDomain *domain; /* fresh; NULL when not read or gone */
  gboolean domain_gone;
  gboolean stale;     /* a re-read failed (libvirt gone?): the picture may be old */
  GPtrArray *devices; /* fresh PassDevice* */
  GPtrArray *gone;    /* char*: devices libvirt no longer has */
} JobResult;

/* ---- tx.c ---- */
/* Reply (unless answered already), release the locks, free @op. */
void tx_op_finish(Op *op);
/* For operations in other files (tx-sriov.c): a new registered operation; take the keys of
 * @addresses (and of the domain), then op_granted dispatches on the kind; the end of the
 * planning stage (TRUE: finished, see op_ends_at_plan); the journal's start line. */
Op *tx_op_new(PassTx *tx, PassRequest *request, OpKind kind, const char *domain,
              const char *address, guint flags, PassOpDoneFunc done, gpointer user_data);
gboolean tx_op_ends_at_plan(Op *op, gboolean planned);
/* FALSE: the journal could not record it, and the operation has ended. */
gboolean tx_op_start(Op *op, const char *what);

/* ---- tx-sriov.c ---- */
/* A set_num_vfs holds its keys. */
void tx_sriov_granted(Op *op);
/* A new SetNumVFs, not submitted yet (for recovery). */
Op *tx_sriov_op_new(PassTx *tx, PassRequest *request, const char *pf, guint count, int autoprobe,
                    guint flags, PassOpDoneFunc done, gpointer user_data);
void tx_sriov_free(TxSriov *sriov);

/* Lock (or, while recovery runs, park) a new operation. */
void tx_op_submit(Op *op);
/* A new Attach (for pool attaches), Detach or Reattach, not submitted yet (for recovery). */
Op *tx_attach_new(PassTx *tx, PassRequest *request, const char *domain, const char *address,
                  guint flags, PassOpDoneFunc done, gpointer user_data);
Op *tx_detach_new(PassTx *tx, PassRequest *request, const char *domain, const char *address,
                  guint flags, guint timeout_ms, PassOpDoneFunc done, gpointer user_data);
Op *tx_reattach_new(PassTx *tx, PassRequest *request, const char *address, guint flags,
                    PassOpDoneFunc done, gpointer user_data);

/* ---- tx-pool.c ---- */
/* Choose op->pool's VFs against the picture (op->devices, op->address, op->result's picks);
 * FALSE: op->result says why not (NoEligibleDevice, NoSuchDomain, ...). */
gboolean tx_pool_pick(Op *op);

/* ---- tx-journal.c ---- */
/* Writes @op's begin record (its plan) before its steps run. FALSE: op->result says why. */
gboolean tx_journal_begin(Op *op);
/* @op ends: its record ends too, unless it left the host half-way (then recovery has it). */
void tx_journal_end(Op *op);
/* Where devices came from, as the journal should remember it. */
void tx_journal_original(PassTx *tx, const char *address, const char *driver);
void tx_journal_returned(PassTx *tx, const char *address);
/* @op (a live detach) asks its guest to let go now: recovery must not ask again at once. */
void tx_journal_unplug(Op *op);
void tx_intent_free(Intent *intent);
/* Every Intent (borrowed), oldest first. */
GPtrArray *tx_intents_sorted(PassTx *tx);
/* Ends @intent's record with @outcome ("done", "failed", "recovered") and forgets it. */
void tx_intent_end(PassTx *tx, Intent *intent, const char *outcome, const GError *error);
/* The part of @intent's where its domain can hold now (a stopped domain has no live side). */
guint tx_intent_wanted(PassTx *tx, const Intent *intent);
/* Every device of an attach is in its domain as asked. */
gboolean tx_intent_complete(PassTx *tx, const Intent *intent);
/* Where @intent's domain holds @address now (PassHostdevWhere bits). */
guint tx_intent_present(PassTx *tx, const Intent *intent, const char *address);
/* An interrupted @kind operation on @address waits for recovery (or has it). */
gboolean tx_intent_open_for(PassTx *tx, OpKind kind, const char *address);
/* Rewrite the journal as its open operations and the devices passd holds. */
void tx_journal_compact(PassTx *tx);

/* ---- tx-recover.c ---- */
void tx_recovery_free(PassRecovery *recovery);
/* An intent was left half-way: recover it soon if libvirt is there (no new picture may come),
 * later each time that fails. */
void tx_recovery_schedule(PassTx *tx);

/* ---- tx-fault.c ---- */
/* Test builds (-Dfault_injection=true): abort when PASSD_FAULT names "@op_name:@point". */
void tx_fault(const char *op_name, const char *point);

/* ---- tx-log.c ---- */
/* "attach", "detach", "reattach". */
const char *tx_op_name(const Op *op);
const char *tx_kind_name(OpKind kind);
/* "detach-host", "attach", "detach", "reattach-host". */
const char *tx_action_name(PassActionType type);
/* A log line about @op, with the journal fields naming it (PASSD_OPERATION, PASSD_DEVICE for
 * each of its devices, PASSD_DOMAIN, PASSD_REQUEST, PASSD_UID) and, with @error, PASSD_ERROR
 * (the varlink error name the client gets). */
void tx_log_event(Op *op, GLogLevelFlags level, const GError *error, const char *format, ...)
    G_GNUC_PRINTF(4, 5);
/* The same for what recovery did about @intent (PASSD_OPERATION=recover-attach, ...). */
void tx_log_recovery(const Intent *intent, GLogLevelFlags level, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* ---- tx-mdev.c ---- */
/* What the journal says of an instance attach by type made. */
typedef enum {
  TX_MDEV_MADE_TRANSIENT = 1 << 0, /* removed when detached */
  TX_MDEV_MADE_PENDING = 1 << 1,   /* its attach has not been confirmed (yet) */
} TxMdevMade;
/* With a fresh picture: remove recorded instances no attach holds (made before a crash that
 * came before the attach, or left by one between a detach and the removal). */
void tx_mdev_recover(PassTx *tx);
/* Recovery is over: the parked creates and removes go on. */
void tx_mdev_resume(PassTx *tx);
/* Shutdown: the parked ones are answered (HypervisorUnavailable), not run. */
void tx_mdev_stop(PassTx *tx);
/* tx-journal.c: the records of those instances ("mdev" before the create, "mdev_attached",
 * "mdev_gone"), kept in tx->mdev_made. */
void tx_journal_mdev(PassTx *tx, const char *address, gboolean transient);
void tx_journal_mdev_attached(PassTx *tx, const char *address);
void tx_journal_mdev_gone(PassTx *tx, const char *address);
/* Whether @address names a mediated device ("mdev:UUID"). */
gboolean tx_mdev_is(const char *address);
/* What an attach of mdev @device may not ask for (interface, whole group); TRUE for others. */
gboolean tx_mdev_attach_check(Op *op, PassDevice *device);
/* A finished detach: remove the instance if attach-by-type made it transient and nothing holds
 * it any more. */
void tx_mdev_detached(Op *op);
/* tx-log.c: a create or remove of an mdev, with the same fields as tx_log_event. */
void tx_log_mdev(const char *operation, const char *address, PassRequest *request,
                 const GError *error, const char *format, ...) G_GNUC_PRINTF(5, 6);

/* ---- tx-check.c: verdicts; each returns FALSE/NULL with op->result filled, and the caller
 * ends the operation (tx_op_finish) ---- */
gboolean tx_verdict(Op *op, int code, const char *format, ...) G_GNUC_PRINTF(3, 4);
/* Takes @error. */
gboolean tx_verdict_error(Op *op, GError *error);
gboolean tx_check_connected(Op *op);
PassDevice *tx_need_device(Op *op, const char *address);
PassDomain *tx_need_domain(Op *op);
/* DeviceInUse naming @owners; takes @why. */
gboolean tx_fail_in_use(Op *op, const char *address, GPtrArray *owners, char *why);
/* Nobody holds @address, its PF or any of its VFs. */
gboolean tx_check_unowned(Op *op, const char *address);
/* DeviceProtected for @address because of @reason. */
gboolean tx_fail_protected(Op *op, const char *address, const char *reason);
/* None of op->protect is in the configured list (pass_tx_set_protected). */
gboolean tx_check_listed(Op *op);
/* @device's IOMMU group is viable with op->devices going. */
gboolean tx_check_group(Op *op, PassDevice *device);
gboolean tx_fail_parameter(Op *op, const char *parameter, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
/* Another member of @device's IOMMU group that some domain holds, or NULL (not a verdict). */
const char *tx_group_member_owned(Op *op, PassDevice *device);

/* ---- tx-job.c: PassOps jobs, on a worker ---- */
/* The plan, all or nothing (attach steps are rolled back); always returns a JobResult. */
/* The <hostdev type='usb'> attaching USB device @address (tx-usb.c): by vendor and product, and
 * by bus and device too while another device with the same ids is plugged in. NULL with
 * NoSuchDevice when the device is not in the inventory. */
char *tx_usb_hostdev_xml(PassEngine *engine, const char *address, GError **error);

gpointer tx_job_steps(PassOps *ops, gpointer worker, gpointer data, GError **error);
/* Does the host need one of op->protect? NULL when not, else {address, reason, NULL}. */
gpointer tx_job_protect(PassOps *ops, gpointer worker, gpointer data, GError **error);
/* The live unplug request of a detach. */
gpointer tx_job_unplug(PassOps *ops, gpointer worker, gpointer data, GError **error);
void tx_job_result_free(JobResult *result);

G_END_DECLS
