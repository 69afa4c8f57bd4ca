/* Internals of the engine's transactions (see engine-tx.c), shared by engine-tx.c (operations,
 * locks, events, applying results), engine-tx-check.c (validation on the main context) and
 * engine-tx-job.c (the steps on a worker). */
#pragma once

#include "engine-locks.h"
#include "engine-tx.h"

G_BEGIN_DECLS

#define VFIO_DRIVER "vfio-pci"

typedef enum {
  OP_ATTACH,
  OP_DETACH,
  OP_REATTACH,
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

struct _PassEngineTx {
  PassEngine *engine;
  PassOps *ops;
  PassLocks *locks;
  GHashTable *originals; /* address -> original driver (char*, NULL: none); known when present */
  GPtrArray *ops_alive;  /* Op*, every operation not finished */
};

struct _Op {
  PassEngineTx *tx;
  OpKind kind;
  char *domain, *address;
  guint flags;
  guint timeout_ms;
  PassOpDoneFunc done;
  gpointer user_data;
  GStrv lock_exclusive, lock_shared;
  PassLockRequest *lock;
  PassOpResult *result;

  GPtrArray *devices; /* char*: the devices the operation is about */
  GPtrArray *steps;   /* PassAction*: the plan */
  GPtrArray *reread;  /* char*: devices to re-read after the job */

  /* detach */
  char *alias;
  guint live_unplug; /* TRUE when the plan starts with a live unplug */
  WaitState wait;
  EventState event;
  gboolean unplug_done; /* the unplug request job returned */
  guint timeout_id;
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

/* ---- engine-tx.c ---- */
/* Reply (unless answered already), release the locks, free @op. */
void tx_op_finish(Op *op);
void tx_op_fail(Op *op, int code, const char *format, ...) G_GNUC_PRINTF(3, 4);
void tx_op_fail_error(Op *op, GError *error);
gpointer tx_string_copy(gconstpointer src, gpointer unused);
void tx_blocker_free(PassBlocker *blocker);

/* ---- engine-tx-check.c: each returns FALSE/NULL after failing (and freeing) @op ---- */
gboolean tx_check_connected(Op *op);
PassDevice *tx_need_device(Op *op, const char *address);
PassDomain *tx_need_domain(Op *op);
/* DeviceInUse naming @owners; takes @why. */
gboolean tx_fail_in_use(Op *op, const char *address, GPtrArray *owners, char *why);
char *tx_join_owners(GPtrArray *owners);
/* Nobody holds @address, its PF or any of its VFs. */
gboolean tx_check_unowned(Op *op, const char *address);
gboolean tx_check_protected(Op *op, PassDevice *device);
/* @device's IOMMU group is viable with op->devices going. */
gboolean tx_check_group(Op *op, PassDevice *device);
gboolean tx_fail_parameter(Op *op, const char *parameter, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* ---- engine-tx-job.c: PassOps jobs, on a worker ---- */
/* The plan, all or nothing (attach steps are rolled back); always returns a JobResult. */
gpointer tx_job_steps(PassOps *ops, gpointer worker, gpointer data, GError **error);
/* The live unplug request of a detach. */
gpointer tx_job_unplug(PassOps *ops, gpointer worker, gpointer data, GError **error);
void tx_job_result_free(JobResult *result);

G_END_DECLS
