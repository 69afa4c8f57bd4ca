/* io.passd.Manager's types (Device, Assignment, Event, Action, Check, SriovPf) and error parameters
 * as JSON, field names and formats exactly as the IDL spells them. Absent optional fields are null,
 * not missing. */
#pragma once

#include <json-glib/json-glib.h>

#include "action.h"
#include "check.h"
#include "engine.h"
#include "tx-pool.h"
#include "tx.h"
#include "sriov.h"

G_BEGIN_DECLS

/* A Device; the relations are sorted string arrays (NULL counts as empty). */
JsonObject *pass_json_device(const PassDevice *device, GPtrArray *iommu_group_members,
                             GPtrArray *vfs, GPtrArray *owners);
/* A Device's "usb" member (UsbDevice in the IDL): only USB devices have one. */
JsonObject *pass_json_usb(const PassUsbInfo *usb);
/* The same, with the relations taken from @engine. */
/* A Device's mdev member (service-mdev.c); NULL for other kinds. */
JsonObject *pass_json_mdev(const PassDevice *device);
JsonObject *pass_json_engine_device(PassEngine *engine, const PassDevice *device);

/* An Assignment: @hostdev of a domain, with the ids and names of @device (the inventory's
 * device at that address; NULL when the host does not show it). */
JsonObject *pass_json_assignment(const PassHostdev *hostdev, const PassDevice *device,
                                 gboolean removal_pending);

/* The IDL's name of a domain's state: running, paused, shutoff or other. */
const char *pass_json_domain_state(const PassDomain *domain);

/* The IDL's name of an event type ("added", ...). */
const char *pass_json_event_type_name(PassEngineEventType type);

/* An Event for @event; @device is the Device object for device events that carry one (may be
 * NULL; a ref is taken). */
JsonObject *pass_json_event(const PassEngineEvent *event, JsonObject *device);
/* The first event of every Watch, made at @time (g_get_real_time()). */
JsonObject *pass_json_event_subscribed(gint64 time);

/* An Action. */
JsonObject *pass_json_action(const PassAction *action);

/* A SriovPf. */
JsonObject *pass_json_sriov_pf(const PassSriovPf *pf);

/* A Check (fix is null when it passes). */
JsonObject *pass_json_check(const PassCheck *check);

/* The IDL error's parameters (besides "message") for the error of @result. */
JsonObject *pass_json_op_error(const PassOpResult *result);

/* A pool attach's pool, picks and numa_note, set on @reply. */
void pass_json_pool_picks(JsonObject *reply, const PassOpResult *result);

/* A PoolPf. */
JsonObject *pass_json_pool_pf(const PassVfPfLoad *load);
/* A Pool, with @usage (the balance of its VFs' table). */
JsonObject *pass_json_pool(const PassPool *pool, const PassVfBalance *usage);
/* GetBalance's reply; @plan NULL: moves and skew_after null. */
JsonObject *pass_json_balance(const PassVfBalance *balance, const PassVfPlan *plan);

/* GetStatus's journal, open_operations, recovering, held and recovered, set on @reply. */
void pass_json_journal_status(JsonObject *reply, PassTx *tx);

/* A string array of @strings (NULL counts as empty). */
JsonArray *pass_json_strings(GPtrArray *strings);

/* Compact JSON text of @object. */
char *pass_json_to_string(JsonObject *object);

G_END_DECLS
