/* What an operation does and how it ended: the steps of a plan (PassAction), the flags a caller
 * asks with and the outcome a transaction hands back (PassOpResult). Plain data, shared by the
 * transactions that fill them and the service that encodes them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  PASS_ACTION_DETACH_HOST,   /* take from the host driver for vfio-pci */
  PASS_ACTION_ATTACH,        /* add to the domain */
  PASS_ACTION_DETACH,        /* remove from the domain */
  PASS_ACTION_REATTACH_HOST, /* back to the host driver */
  PASS_ACTION_SET_NUM_VFS,   /* a PF's VF count (recreating every VF) and/or its autoprobe */
} PassActionType;

typedef struct {
  PassActionType type;
  char *address;
  char *driver_from, *driver_to; /* host steps; NULL: none */
  gboolean to_default;           /* reattach_host to the kernel's pick (driver_to unknown) */
  char *domain;                  /* domain steps */
  guint where;                   /* domain steps: PassHostdevWhere bits */
  char *xml;                     /* domain steps */
  int numvfs_from, numvfs_to;    /* set_num_vfs: equal when only autoprobe changes */
  int autoprobe;                 /* set_num_vfs: written first, 0 or 1; -1: left alone */
} PassAction;

PassAction *pass_action_new(PassActionType type, const char *address);
PassAction *pass_action_copy(const PassAction *action);
void pass_action_free(PassAction *action);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassAction, pass_action_free)

typedef struct {
  char *address;
  char *driver; /* NULL: unbound */
} PassBlocker;

PassBlocker *pass_blocker_new(const char *address, const char *driver);
void pass_blocker_free(PassBlocker *blocker);

typedef enum {
  PASS_OP_LIVE = 1 << 0,   /* explicitly: the running domain */
  PASS_OP_CONFIG = 1 << 1, /* explicitly: the persistent definition */
  PASS_OP_WHOLE_GROUP = 1 << 2,
  PASS_OP_FORCE = 1 << 3,
  PASS_OP_INTERFACE = 1 << 4,
  PASS_OP_DRY_RUN = 1 << 5,
} PassOpFlags;

/* A VF a pool attach chose, and why (rules/vf-pick.h's PassVfChoice as plain data). */
typedef struct {
  char *address, *pf;
  int numa_node;  /* -1: unknown */
  gboolean local; /* on one of the domain's NUMA nodes */
  char *reason;
} PassPoolPick;

PassPoolPick *pass_pool_pick_new(const char *address, const char *pf, int numa_node, gboolean local,
                                 const char *reason);
void pass_pool_pick_free(PassPoolPick *pick);

/* The outcome of one operation. On failure @error is set and the detail fields its code needs
 * are filled (the IDL error's parameters): @address and @domain (always, when known), @owners
 * (DeviceInUse), @group and @blockers (IommuGroupNotViable), @reason (DeviceProtected),
 * @parameter (InvalidParameter), @pool (NoEligibleDevice), @vfs (VfsInUse, with @address the
 * PF). On success @devices (Attach) and @actions; a pool attach adds @picks and @numa_note
 * (also with dry_run). */
typedef struct {
  GError *error;
  char *address, *domain;
  GPtrArray *owners; /* char* */
  int group;
  GPtrArray *blockers; /* PassBlocker* */
  char *reason;
  char *parameter;
  GPtrArray *devices; /* char*, sorted */
  GPtrArray *actions; /* PassAction* */
  /* pool attaches */
  char *pool;
  GPtrArray *picks; /* PassPoolPick*, in pick order; NULL: not a pool attach */
  char *numa_note;  /* NUMA fallback or unknown placement; NULL: none */
  GPtrArray *vfs;   /* char*: "ADDR: assigned to vm1", "ADDR: bound to vfio-pci" */
} PassOpResult;

PassOpResult *pass_op_result_new(const char *address, const char *domain);
void pass_op_result_free(PassOpResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassOpResult, pass_op_result_free)

G_END_DECLS
