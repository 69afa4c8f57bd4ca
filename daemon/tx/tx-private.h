/* Internals of the transactions (see tx.c), shared by tx.c (operations, locks, events, applying
 * results), tx-check.c (verdicts on the main context) and tx-job.c (the steps on a worker). */
#pragma once

#include "string-array.h"
#include "tx-locks.h"
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

struct _PassTx {
  PassEngine *engine;
  guint watch_id;
  PassOps *ops;
  PassLocks *locks;
  GHashTable *originals; /* address -> original driver (char*, NULL: none); known when present */
  GPtrArray *ops_alive;  /* Op*, every operation not finished */
  guint removal_timeout_ms;
  GStrv protected; /* canonical addresses from configuration; NULL: none */
  char *protected_why;
  TxSriov *sriov; /* desired VF counts and the state file (tx-sriov.c); NULL until needed */
};

struct _Op {
  PassTx *tx;
  PassRequest *request; /* who asked; NULL for passd's own */
  OpKind kind;
  char *domain, *address;
  guint flags;
  guint where; /* attach: PassHostdevWhere bits, decided by the first verdicts */
  guint timeout_ms;
  PassOpDoneFunc done;
  gpointer user_data;
  GStrv lock_exclusive, lock_shared;
  PassLockRequest *lock;
  PassOpResult *result;

  GPtrArray *devices; /* char*: the devices the operation is about */
  GPtrArray *protect; /* PassDevice*: judged on the worker before any step (attach) */
  GPtrArray *steps;   /* PassAction*: the plan */
  GPtrArray *reread;  /* char*: devices to re-read after the job */
  gboolean started;   /* its steps (or its unplug) began: the host may have changed */

  /* detach */
  char *alias;
  guint live_unplug; /* TRUE when the plan starts with a live unplug */
  WaitState wait;
  EventState event;
  gboolean unplug_done; /* the unplug request job returned */
  guint timeout_id;

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
void tx_op_lock(Op *op, GPtrArray *addresses);
gboolean tx_op_ends_at_plan(Op *op, gboolean planned);
void tx_op_start(Op *op, const char *what);

/* ---- tx-sriov.c ---- */
/* A set_num_vfs holds its keys. */
void tx_sriov_granted(Op *op);
void tx_sriov_free(TxSriov *sriov);

/* ---- tx-log.c ---- */
/* "attach", "detach", "reattach". */
const char *tx_op_name(const Op *op);
/* A log line about @op, with the journal fields naming it (PASSD_OPERATION, PASSD_DEVICE for
 * each of its devices, PASSD_DOMAIN, PASSD_REQUEST, PASSD_UID) and, with @error, PASSD_ERROR
 * (the varlink error name the client gets). */
void tx_log_event(Op *op, GLogLevelFlags level, const GError *error, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

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
gpointer tx_job_steps(PassOps *ops, gpointer worker, gpointer data, GError **error);
/* Does the host need one of op->protect? NULL when not, else {address, reason, NULL}. */
gpointer tx_job_protect(PassOps *ops, gpointer worker, gpointer data, GError **error);
/* The live unplug request of a detach. */
gpointer tx_job_unplug(PassOps *ops, gpointer worker, gpointer data, GError **error);
void tx_job_result_free(JobResult *result);

G_END_DECLS
