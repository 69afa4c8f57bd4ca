/* The engine: passd's picture of the host (PCI inventory, domains and the relations between
 * them). Plain C over plain structs: no socket, no libvirt, and no idea that transactions
 * exist. main.c feeds it from PassVirt callbacks; the service and the transactions (tx/) read
 * it and watch it.
 *
 * Relations spanning devices (IOMMU group members, a PF's VFs, owners) are derived from
 * incrementally kept indexes, never stored on PassDevice. Every feeding call diffs the old
 * picture against the new one and tells watchers about real changes only. */
#pragma once

#include <glib.h>

#include "device.h"
#include "domain.h"

G_BEGIN_DECLS

typedef struct _PassEngine PassEngine;

typedef enum {
  PASS_ENGINE_EVENT_ADDED,
  PASS_ENGINE_EVENT_REMOVED,
  PASS_ENGINE_EVENT_CHANGED, /* a field or a derived relation other than owners changed */
  PASS_ENGINE_EVENT_OWNERS,  /* only the owners changed */
  PASS_ENGINE_EVENT_HYPERVISOR,
  PASS_ENGINE_EVENT_DOMAIN, /* a domain was re-read or went away (@domain; NULL: all, a reset) */
} PassEngineEventType;

/* Everything is borrowed for the duration of the callback. */
typedef struct {
  PassEngineEventType type;
  const char *address;      /* device events */
  const PassDevice *device; /* the device now: added, changed, owners; else NULL */
  gboolean connected;       /* hypervisor */
  const char *message;      /* hypervisor: why the connection was lost; else NULL */
  const char *domain;       /* domain events */
  gint64 time;              /* when the state changed: g_get_real_time(), µs since the epoch */
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

G_END_DECLS
