/* The engine: passd's picture of the host (PCI inventory, domains and the relations between
 * them) and, later, the rules for changing it. Plain C over plain structs: no socket, no
 * libvirt. main.c feeds it from PassVirt callbacks; the service reads it and watches it.
 *
 * Relations spanning devices (IOMMU group members, a PF's VFs, owners) are derived from
 * incrementally kept indexes, never stored on PassDevice. Every feeding call diffs the old
 * picture against the new one and tells watchers about real changes only. */
#pragma once

#include <glib.h>

#include "device.h"
#include "domain.h"
#include "ops.h"

G_BEGIN_DECLS

typedef struct _PassEngine PassEngine;

typedef enum {
  PASS_ENGINE_EVENT_ADDED,
  PASS_ENGINE_EVENT_REMOVED,
  PASS_ENGINE_EVENT_CHANGED, /* a field or a derived relation other than owners changed */
  PASS_ENGINE_EVENT_OWNERS,  /* only the owners changed */
  PASS_ENGINE_EVENT_HYPERVISOR,
} PassEngineEventType;

/* Everything is borrowed for the duration of the callback. */
typedef struct {
  PassEngineEventType type;
  const char *address;      /* device events */
  const PassDevice *device; /* the device now: added, changed, owners; else NULL */
  gboolean connected;       /* hypervisor */
  const char *message;      /* hypervisor: why the connection was lost; else NULL */
} PassEngineEvent;

/* Called after the engine's state is updated, so the engine can be queried from here for the
 * new picture. Must not feed the engine. */
typedef void (*PassEngineWatchFunc)(PassEngine *engine, const PassEngineEvent *event,
                                    gpointer user_data);

PassEngine *pass_engine_new(void);
void pass_engine_free(PassEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassEngine, pass_engine_free)

/* ---- watching ---- */

/* Watchers are called in the order they were added. Ids are never 0. Safe to call from a
 * watcher. */
guint pass_engine_add_watch(PassEngine *engine, PassEngineWatchFunc func, gpointer user_data);
void pass_engine_remove_watch(PassEngine *engine, guint id);

/* ---- feeding (from main.c, i.e. from PassVirt) ---- */

/* Emits "hypervisor" when the connected state flips; @message is kept either way. */
void pass_engine_set_connected(PassEngine *engine, gboolean connected, const char *message);
/* Replace the whole picture (@devices: PassDevice*, @domains: PassDomain*; refs are taken).
 * Emits one event per device that differs from before, so a reconnect that finds the same world
 * emits nothing. */
void pass_engine_reset(PassEngine *engine, GPtrArray *devices, GPtrArray *domains);
/* Add or replace a device (a re-read equal to the known one emits nothing). */
void pass_engine_device_changed(PassEngine *engine, PassDevice *device);
void pass_engine_device_removed(PassEngine *engine, const char *address);
void pass_engine_domain_changed(PassEngine *engine, PassDomain *domain);
void pass_engine_domain_removed(PassEngine *engine, const char *name);

/* ---- reading (from the service) ----
 * Returned pointers are borrowed and valid until the engine is fed again. */

gboolean pass_engine_is_connected(PassEngine *engine);
/* Why the connection was lost or could not be made; NULL when connected or never tried. */
const char *pass_engine_get_message(PassEngine *engine);
/* TRUE once a first snapshot was loaded (it stays: after a loss the last picture is served). */
gboolean pass_engine_has_inventory(PassEngine *engine);
/* Bumped on every visible change: a cache key for anything built from the inventory. */
guint64 pass_engine_get_generation(PassEngine *engine);

guint pass_engine_get_n_devices(PassEngine *engine);
PassDevice *pass_engine_lookup_device(PassEngine *engine, const char *address);
/* Every device sorted by address: a new ref of an array that holds refs of its devices, so it
 * stays valid after the engine changes. Built once per change of the inventory. */
GPtrArray *pass_engine_list_devices(PassEngine *engine);

PassDomain *pass_engine_lookup_domain(PassEngine *engine, const char *name);
guint pass_engine_get_n_domains(PassEngine *engine);

/* Derived relations: sorted arrays of strings, never NULL (empty when there are none). */
/* Addresses of the devices sharing @device's IOMMU group, itself included; empty for -1. */
GPtrArray *pass_engine_get_group_members(PassEngine *engine, const PassDevice *device);
/* Addresses of the VFs in the inventory whose physfn is @address. */
GPtrArray *pass_engine_get_vfs(PassEngine *engine, const char *address);
/* Names of the domains holding @address (live or config). */
GPtrArray *pass_engine_get_owners(PassEngine *engine, const char *address);

/* ---- passthrough operations (engine-tx.c) ----
 * Attach, Detach and Reattach run as transactions: validated on the main context while holding
 * per-device and per-domain locks, executed by PassOps jobs on worker threads, and applied to
 * the picture (fresh re-reads) before the locks are released. */

typedef enum {
  PASS_ACTION_DETACH_HOST,   /* take from the host driver for vfio-pci */
  PASS_ACTION_ATTACH,        /* add to the domain */
  PASS_ACTION_DETACH,        /* remove from the domain */
  PASS_ACTION_REATTACH_HOST, /* back to the host driver */
} PassActionType;

typedef struct {
  PassActionType type;
  char *address;
  char *driver_from, *driver_to; /* host steps; NULL: none */
  gboolean to_default;           /* reattach_host to the kernel's pick (driver_to unknown) */
  char *domain;                  /* domain steps */
  guint where;                   /* domain steps: PassHostdevWhere bits */
  char *xml;                     /* domain steps */
} PassAction;

void pass_action_free(PassAction *action);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassAction, pass_action_free)

typedef struct {
  char *address;
  char *driver; /* NULL: unbound */
} PassBlocker;

typedef enum {
  PASS_OP_LIVE = 1 << 0,   /* explicitly: the running domain */
  PASS_OP_CONFIG = 1 << 1, /* explicitly: the persistent definition */
  PASS_OP_WHOLE_GROUP = 1 << 2,
  PASS_OP_FORCE = 1 << 3,
  PASS_OP_INTERFACE = 1 << 4,
  PASS_OP_DRY_RUN = 1 << 5,
} PassOpFlags;

/* The outcome of one operation. On failure @error is set and the detail fields its code needs
 * are filled (the IDL error's parameters): @address and @domain (always, when known), @owners
 * (DeviceInUse), @group and @blockers (IommuGroupNotViable), @reason (DeviceProtected),
 * @parameter (InvalidParameter). On success @devices (Attach) and @actions. */
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
} PassOpResult;

/* @result is borrowed for the call. May run before the starting function returns. */
typedef void (*PassOpDoneFunc)(const PassOpResult *result, gpointer user_data);

#define PASS_ENGINE_DEFAULT_REMOVAL_TIMEOUT_MS 20000

/* Operations need ops (the engine owns them from now on); without, they fail with
 * PASS_ERROR_HYPERVISOR_UNAVAILABLE. */
void pass_engine_set_ops(PassEngine *engine, PassOps *ops);

/* @flags: PassOpFlags. */
void pass_engine_attach(PassEngine *engine, const char *domain, const char *address, guint flags,
                        PassOpDoneFunc done, gpointer user_data);
/* @timeout_ms: how long to wait for the guest to release a hot-plugged device before answering
 * RemovalPending (the engine then finishes by itself when the guest lets go). Flags: LIVE,
 * CONFIG, DRY_RUN. */
void pass_engine_detach(PassEngine *engine, const char *domain, const char *address, guint flags,
                        guint timeout_ms, PassOpDoneFunc done, gpointer user_data);
/* Flags: DRY_RUN. */
void pass_engine_reattach(PassEngine *engine, const char *address, guint flags, PassOpDoneFunc done,
                          gpointer user_data);

/* libvirt's DEVICE_REMOVED (@failed FALSE) or DEVICE_REMOVAL_FAILED for @alias in @domain. */
void pass_engine_device_removal(PassEngine *engine, const char *domain, const char *alias,
                                gboolean failed);
/* TRUE while an unplug of @address from @domain was requested and the guest has not let go. */
gboolean pass_engine_removal_pending(PassEngine *engine, const char *domain, const char *address);
/* Operations started and not finished (including unplugs left pending). */
guint pass_engine_get_n_operations(PassEngine *engine);

G_END_DECLS
