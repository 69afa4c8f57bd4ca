/* Mediated devices: their types, creating and removing instances (each one libvirt call on a
 * worker, under the instance's device lock, so an attach or detach of it never runs meanwhile),
 * and what an attach of one may ask for (tx.c writes its <hostdev type='mdev'> and skips the
 * host-driver step: the parent's driver serves it). */
#define G_LOG_DOMAIN "passd"

#include "tx-private.h"

#include "pass-error.h"
#include "xml-mdev.h"

gboolean
tx_mdev_is(const char *address)
{
  return address != NULL && g_str_has_prefix(address, "mdev:");
}

gboolean
tx_mdev_attach_check(Op *op, PassDevice *device)
{
  if (device->kind != PASS_DEVICE_KIND_MDEV)
    return TRUE;
  if (op->flags & PASS_OP_INTERFACE)
    return tx_fail_parameter(op, "interface", "%s is a mediated device, not a network VF",
                             device->address);
  if (op->flags & PASS_OP_WHOLE_GROUP)
    return tx_fail_parameter(op, "whole_group", "%s is a mediated device: its group is its own",
                             device->address);
  return TRUE;
}

static gboolean
connected(PassTx *tx, GError **error)
{
  const char *why = pass_engine_get_message(tx->engine);

  if (tx->ops && pass_engine_has_inventory(tx->engine) && pass_engine_is_connected(tx->engine))
    return TRUE;
  g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE, "Not connected to libvirt%s%s",
              why ? ": " : "", why ? why : "");
  return FALSE;
}

/* ---- ListMdevTypes ---- */

typedef struct {
  PassTx *tx;
  PassTxMdevTypesFunc done;
  gpointer user_data;
} TypesCall;

static gpointer
types_job(PassOps *ops, gpointer worker, gpointer data, GError **error)
{
  if (ops->klass->list_mdev_types == NULL)
    return g_ptr_array_new(); /* no mediated devices here */
  return ops->klass->list_mdev_types(ops, worker, error);
}

static void
types_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
  TypesCall *call = user_data;
  PassOps *ops = call->tx->ops;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) types = ops->klass->run_finish(ops, res, &error);

  call->done(types, error, call->user_data);
  g_free(call);
}

void
pass_tx_list_mdev_types(PassTx *tx, PassTxMdevTypesFunc done, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  TypesCall *call;

  if (!connected(tx, &error)) {
    done(NULL, error, user_data);
    return;
  }
  call = g_new0(TypesCall, 1);
  *call = (TypesCall){tx, done, user_data};
  tx->ops->klass->run(tx->ops, types_job, call, NULL, types_done, call);
}

/* ---- CreateMdev and RemoveMdev ---- */

typedef struct {
  PassTx *tx;
  PassRequest *request;
  gboolean create;
  char *parent, *type_id, *uuid; /* create */
  guint mdev_flags;
  char *address; /* remove: asked; create: made */
  GStrv keys;
  PassLockRequest *lock;
  PassTxMdevFunc done;
  gpointer user_data;
  /* from the worker */
  PassDevice *device; /* fresh; NULL when gone */
} MdevCall;

static void
call_finish(MdevCall *call, GError *error)
{
  const char *operation = call->create ? "create_mdev" : "remove_mdev";
  const char *what = call->address ? call->address : call->type_id;

  if (error)
    tx_log_mdev(operation, call->address, call->request, error, "%s %s failed: %s", operation, what,
                error->message);
  else
    tx_log_mdev(operation, call->address, call->request, NULL, "%s %s done", operation, what);
  call->done(error ? NULL : call->address, error, call->user_data);
  if (call->lock)
    pass_locks_release(call->tx->locks, call->lock);
  g_clear_pointer(&call->request, pass_request_unref);
  g_clear_pointer(&call->device, pass_device_unref);
  g_strfreev(call->keys);
  g_free(call->parent);
  g_free(call->type_id);
  g_free(call->uuid);
  g_free(call->address);
  g_free(call);
  if (error)
    g_error_free(error);
}

/* Why no parent (only @parent, when given) can make an instance of @type_id: NoSuchDevice when
 * the parent or the type is unknown, NoCapacity when all are taken. */
static GError *
no_instance_error(GPtrArray *types, const char *parent, const char *type_id)
{
  gboolean parent_known = parent == NULL, type_known = FALSE;

  for (guint i = 0; i < types->len; i++) {
    const PassMdevType *t = g_ptr_array_index(types, i);

    if (!pass_mdev_type_of_parent(t, parent))
      continue;
    parent_known = TRUE;
    type_known |= g_strcmp0(type_id, t->id) == 0;
  }
  if (!parent_known)
    return g_error_new(PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE, "%s is no mdev parent", parent);
  if (!type_known && parent)
    return g_error_new(PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE, "%s offers no mdev type %s", parent,
                       type_id);
  if (!type_known)
    return g_error_new(PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE, "No mdev parent offers type %s",
                       type_id);
  if (parent)
    return g_error_new(PASS_ERROR, PASS_ERROR_NO_CAPACITY,
                       "%s has no instance of %s left to create", parent, type_id);
  return g_error_new(PASS_ERROR, PASS_ERROR_NO_CAPACITY,
                     "No mdev parent has an instance of %s left to create", type_id);
}

/* @call's type on its parent, or NULL with no_instance_error(). */
static const PassMdevType *
find_type(GPtrArray *types, MdevCall *call, GError **error)
{
  for (guint i = 0; i < types->len; i++) {
    const PassMdevType *t = g_ptr_array_index(types, i);

    if (pass_mdev_type_of_parent(t, call->parent) && g_strcmp0(call->type_id, t->id) == 0 &&
        t->available > 0)
      return t;
  }
  g_propagate_error(error, no_instance_error(types, call->parent, call->type_id));
  return NULL;
}

static gpointer
mdev_job(PassOps *ops, gpointer worker, gpointer data, GError **error)
{
  MdevCall *call = data;
  g_autoptr(GError) local = NULL;

  if (ops->klass->list_mdev_types == NULL) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                        "This host has no mediated devices");
    return NULL;
  }
  if (call->create) {
    g_autoptr(GPtrArray) types = ops->klass->list_mdev_types(ops, worker, error);
    const PassMdevType *type = types ? find_type(types, call, error) : NULL;

    if (type == NULL)
      return NULL;
    g_free(call->address); /* the one asked for; libvirt's answer is the one that counts */
    call->address = ops->klass->create_mdev(
        ops, worker, type->parent_name, call->type_id, call->uuid,
        (call->mdev_flags & (PASS_TX_MDEV_PERSISTENT | PASS_TX_MDEV_AUTOSTART)) != 0,
        (call->mdev_flags & PASS_TX_MDEV_AUTOSTART) != 0, error);
    if (call->address == NULL)
      return NULL;
  } else {
    /* gone: a reading now could only be libvirt's, from before udev told it */
    return ops->klass->remove_mdev(ops, worker, call->address, error) ? call : NULL;
  }
  /* What the engine gets before the reply: the new instance. */
  call->device = ops->klass->read_device(ops, worker, call->address, &local);
  if (call->device == NULL && !g_error_matches(local, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE))
    g_debug("re-reading %s: %s", call->address, local->message);
  return call;
}

static void
mdev_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
  MdevCall *call = user_data;
  PassOps *ops = call->tx->ops;
  GError *error = NULL;

  if (ops->klass->run_finish(ops, res, &error) != NULL) {
    if (!call->create)
      pass_engine_device_removed(call->tx->engine, call->address);
    else if (call->device)
      pass_engine_device_changed(call->tx->engine, call->device);
  }
  call_finish(call, error);
}

static void
mdev_granted(PassLockRequest *request, gpointer user_data)
{
  MdevCall *call = user_data;
  PassEngine *engine = call->tx->engine;
  GError *error = NULL;

  call->lock = request;
  if (!connected(call->tx, &error)) {
    call_finish(call, error);
    return;
  }
  if (call->create) {
    if (call->address && pass_engine_lookup_device(engine, call->address)) {
      call_finish(call, g_error_new(PASS_ERROR, PASS_ERROR_INVALID_PARAMETER, "%s exists already",
                                    call->address));
      return;
    }
  } else {
    PassDevice *device = pass_engine_lookup_device(engine, call->address);
    GPtrArray *owners = pass_engine_get_owners(engine, call->address);

    if (device == NULL || device->kind != PASS_DEVICE_KIND_MDEV) {
      call_finish(call, g_error_new(PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE,
                                    "%s is no mediated device passd knows", call->address));
      return;
    }
    if (owners->len) {
      g_autofree char *list = NULL;

      g_ptr_array_add(owners, NULL);
      list = g_strjoinv(", ", (char **)owners->pdata);
      g_ptr_array_remove_index(owners, owners->len - 1);
      call_finish(call, g_error_new(PASS_ERROR, PASS_ERROR_DEVICE_IN_USE, "%s is assigned to %s",
                                    call->address, list));
      return;
    }
  }
  call->tx->ops->klass->run(call->tx->ops, mdev_job, call, NULL, mdev_done, call);
}

static void mdev_lock(MdevCall *call);

static void
mdev_submit(MdevCall *call)
{
  /* A client's request waits for recovery, like the other writes. */
  if (call->tx->recovering && call->request) {
    g_ptr_array_add(call->tx->mdev_parked, call);
    return;
  }
  mdev_lock(call);
}

void
tx_mdev_resume(PassTx *tx)
{
  g_autoptr(GPtrArray) parked = g_steal_pointer(&tx->mdev_parked);

  tx->mdev_parked = g_ptr_array_new();
  for (guint i = 0; i < parked->len; i++)
    mdev_submit(g_ptr_array_index(parked, i));
}

void
tx_mdev_stop(PassTx *tx)
{
  for (guint i = 0; i < tx->mdev_parked->len; i++)
    call_finish(
        g_ptr_array_index(tx->mdev_parked, i),
        g_error_new_literal(PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE, "passd is stopping"));
  g_ptr_array_set_size(tx->mdev_parked, 0);
}

static void
mdev_lock(MdevCall *call)
{
  /* The instance's device key: the same an attach or detach of it takes. */
  if (call->address) {
    g_autofree char *key = g_strconcat("dev:", call->address, NULL);

    call->keys = g_strdupv((char *[]){key, NULL});
  } else {
    call->keys = g_strdupv((char *[]){"mdev:new", NULL}); /* a fresh UUID: nobody else's */
  }
  pass_locks_acquire(call->tx->locks, (const char *const *)call->keys, NULL, mdev_granted, call);
}

void
pass_tx_create_mdev(PassTx *tx, PassRequest *request, const char *parent, const char *type_id,
                    const char *uuid, guint mdev_flags, PassTxMdevFunc done, gpointer user_data)
{
  MdevCall *call = g_new0(MdevCall, 1);

  *call = (MdevCall){.tx = tx,
                     .request = request ? pass_request_ref(request) : NULL,
                     .create = TRUE,
                     .parent = g_strdup(parent),
                     .type_id = g_strdup(type_id),
                     .mdev_flags = mdev_flags,
                     .done = done,
                     .user_data = user_data};
  if (parent == NULL || *parent == '\0' || type_id == NULL || *type_id == '\0') {
    call_finish(call, g_error_new_literal(PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                                          "An mdev needs a parent and a type"));
    return;
  }
  if (uuid != NULL) {
    call->address = pass_xml_mdev_address(uuid);
    if (call->address == NULL) {
      call_finish(
          call, g_error_new(PASS_ERROR, PASS_ERROR_INVALID_PARAMETER, "'%s' is not a UUID", uuid));
      return;
    }
    call->uuid = g_strdup(pass_xml_mdev_uuid(call->address));
  }
  mdev_submit(call);
}

void
pass_tx_remove_mdev(PassTx *tx, PassRequest *request, const char *address, PassTxMdevFunc done,
                    gpointer user_data)
{
  MdevCall *call = g_new0(MdevCall, 1);

  *call = (MdevCall){.tx = tx,
                     .request = request ? pass_request_ref(request) : NULL,
                     .address = g_strdup(address),
                     .done = done,
                     .user_data = user_data};
  if (!tx_mdev_is(address)) {
    call_finish(call, g_error_new(PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE, "%s is no mediated device",
                                  address ? address : "(none)"));
    return;
  }
  mdev_submit(call);
}

/* ---- Attach by type: pick a parent, create, attach; the create undone when the attach fails ----
 */

typedef struct {
  PassTx *tx;
  PassRequest *request;
  char *domain, *type_id, *parent;
  guint flags, mdev_flags;
  PassOpDoneFunc done;
  gpointer user_data;
  char *address;        /* the instance made */
  PassPoolPick *pick;   /* the parent chosen and why */
  PassOpResult *failed; /* the attach's failure, kept while the instance is removed again */
} TypeCall;

static void
type_call_reply(TypeCall *call, PassOpResult *result)
{
  if (call->pick && result->error == NULL) {
    result->picks = g_ptr_array_new_with_free_func((GDestroyNotify)pass_pool_pick_free);
    g_ptr_array_add(result->picks, g_steal_pointer(&call->pick));
  }
  call->done(result, call->user_data);
  g_clear_pointer(&call->request, pass_request_unref);
  g_clear_pointer(&call->pick, pass_pool_pick_free);
  g_clear_pointer(&call->failed, pass_op_result_free);
  g_free(call->domain);
  g_free(call->type_id);
  g_free(call->parent);
  g_free(call->address);
  g_free(call);
}

/* Takes @error. */
static void
type_call_fail(TypeCall *call, GError *error)
{
  g_autoptr(PassOpResult) result = pass_op_result_new(call->address, call->domain);

  result->error = error;
  type_call_reply(call, result);
}

static void
type_rolled_back(const char *address, const GError *error, gpointer user_data)
{
  TypeCall *call = user_data;

  g_hash_table_remove(call->tx->mdev_busy, call->address);
  if (error)
    g_warning("rollback of %s left the instance behind (recovery tries again): %s", call->address,
              error->message);
  else
    tx_journal_mdev_gone(call->tx, call->address);
  type_call_reply(call, call->failed);
}

static void
type_attached(const PassOpResult *result, gpointer user_data)
{
  TypeCall *call = user_data;
  PassOpResult *copy;

  if (result->error == NULL) {
    /* A transient one stays recorded: it is removed once it is detached. */
    tx_journal_mdev_attached(call->tx, call->address);
    g_hash_table_remove(call->tx->mdev_busy, call->address);
    /* The attach's own result, completed with the pick before it is told. */
    type_call_reply(call, (PassOpResult *)result);
    return;
  }
  /* Rollback: the failure as the attach gave it, told once the instance is gone again. */
  copy = pass_op_result_new(result->address, result->domain);
  copy->error = g_error_copy(result->error);
  copy->group = result->group;
  copy->reason = g_strdup(result->reason);
  copy->parameter = g_strdup(result->parameter);
  if (result->owners) {
    copy->owners = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < result->owners->len; i++)
      g_ptr_array_add(copy->owners, g_strdup(g_ptr_array_index(result->owners, i)));
  }
  call->failed = copy;
  pass_tx_remove_mdev(call->tx, call->request, call->address, type_rolled_back, call);
}

static void
type_created(const char *address, const GError *error, gpointer user_data)
{
  TypeCall *call = user_data;

  if (error) {
    g_hash_table_remove(call->tx->mdev_busy, call->address);
    tx_journal_mdev_gone(call->tx, call->address);
    type_call_fail(call, g_error_copy(error));
    return;
  }
  g_free(call->pick->address);
  call->pick->address = g_strdup(address);
  pass_tx_attach(call->tx, call->request, call->domain, call->address, call->flags, type_attached,
                 call);
}

static void
type_listed(GPtrArray *types, const GError *error, gpointer user_data)
{
  TypeCall *call = user_data;
  const PassMdevType *type;
  g_autofree char *uuid = NULL;
  g_autofree char *reason = NULL;

  if (error) {
    type_call_fail(call, g_error_copy(error));
    return;
  }
  type = pass_mdev_pick_parent(types, call->type_id, call->parent);
  if (type == NULL) {
    /* What is missing: the parent asked for, or else the type (NoSuchDevice's address). */
    g_autoptr(PassOpResult) result =
        pass_op_result_new(call->parent ? call->parent : call->type_id, call->domain);

    result->error = no_instance_error(types, call->parent, call->type_id);
    type_call_reply(call, result);
    return;
  }
  reason = g_strdup_printf("the most instances of %s left (%d), ties by parent name", call->type_id,
                           type->available);
  uuid = g_uuid_string_random();
  call->address = pass_xml_mdev_address(uuid);
  call->pick = pass_pool_pick_new(call->address, type->parent, -1, FALSE, reason);
  if (call->flags & PASS_OP_DRY_RUN) {
    g_autoptr(PassOpResult) result = pass_op_result_new(call->address, call->domain);

    result->devices = g_ptr_array_new_with_free_func(g_free);
    result->actions = g_ptr_array_new();
    type_call_reply(call, result);
    return;
  }
  /* On disk before the create: a crash before the attach leaves recovery an instance to remove. */
  g_hash_table_add(call->tx->mdev_busy, g_strdup(call->address));
  tx_journal_mdev(call->tx, call->address, !(call->mdev_flags & PASS_TX_MDEV_PERSISTENT));
  pass_tx_create_mdev(call->tx, call->request, type->parent_name, call->type_id, uuid,
                      call->mdev_flags, type_created, call);
}

void
pass_tx_attach_mdev_type(PassTx *tx, PassRequest *request, const char *domain, const char *type_id,
                         const char *parent, guint flags, guint mdev_flags, PassOpDoneFunc done,
                         gpointer user_data)
{
  TypeCall *call = g_new0(TypeCall, 1);

  *call = (TypeCall){.tx = tx,
                     .request = request ? pass_request_ref(request) : NULL,
                     .domain = g_strdup(domain),
                     .type_id = g_strdup(type_id),
                     .parent = parent && *parent ? g_strdup(parent) : NULL,
                     .flags = flags,
                     .mdev_flags = mdev_flags,
                     .done = done,
                     .user_data = user_data};
  if (type_id == NULL || *type_id == '\0') {
    g_autoptr(PassOpResult) result = pass_op_result_new(NULL, domain);

    result->error =
        g_error_new_literal(PASS_ERROR, PASS_ERROR_INVALID_PARAMETER, "An mdev type is needed");
    result->parameter = g_strdup("mdev_type");
    type_call_reply(call, result);
    return;
  }
  if (flags & (PASS_OP_INTERFACE | PASS_OP_WHOLE_GROUP)) {
    g_autoptr(PassOpResult) result = pass_op_result_new(NULL, domain);
    const char *bad = (flags & PASS_OP_INTERFACE) ? "interface" : "whole_group";

    result->error =
        g_error_new(PASS_ERROR, PASS_ERROR_INVALID_PARAMETER, "A mediated device takes no %s", bad);
    result->parameter = g_strdup(bad);
    type_call_reply(call, result);
    return;
  }
  pass_tx_list_mdev_types(tx, type_listed, call);
}

/* ---- removal after detach, and recovery ---- */

typedef struct {
  PassTx *tx;
  char *address;
} Removal;

static void
made_removed(const char *address, const GError *error, gpointer user_data)
{
  Removal *removal = user_data;

  if (error == NULL || g_error_matches(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE))
    tx_journal_mdev_gone(removal->tx, removal->address);
  else
    g_warning("could not remove %s, which passd created (recovery tries again): %s",
              removal->address, error->message);
  g_hash_table_remove(removal->tx->mdev_busy, removal->address);
  g_free(removal->address);
  g_free(removal);
}

static void
remove_made(PassTx *tx, const char *address)
{
  Removal *removal = g_new0(Removal, 1);

  removal->tx = tx;
  removal->address = g_strdup(address);
  g_hash_table_add(tx->mdev_busy, g_strdup(address));
  pass_tx_remove_mdev(tx, NULL, address, made_removed, removal);
}

/* Not there, or nobody holds it. */
static gboolean
unowned(PassTx *tx, const char *address)
{
  return pass_engine_get_owners(tx->engine, address)->len == 0;
}

void
tx_mdev_detached(Op *op)
{
  PassTx *tx = op->tx;
  guint made = GPOINTER_TO_UINT(g_hash_table_lookup(tx->mdev_made, op->address));

  if (op->kind != OP_DETACH || (op->flags & PASS_OP_DRY_RUN) || made != TX_MDEV_MADE_TRANSIENT ||
      g_hash_table_contains(tx->mdev_busy, op->address))
    return;
  /* Only once no definition holds it any more (a config-only detach leaves it live). */
  if (!unowned(tx, op->address) || pass_engine_lookup_device(tx->engine, op->address) == NULL)
    return;
  remove_made(tx, op->address);
}

void
tx_mdev_recover(PassTx *tx)
{
  g_autofree char **addresses = (char **)g_hash_table_get_keys_as_array(tx->mdev_made, NULL);

  for (guint i = 0; addresses[i]; i++) {
    const char *address = addresses[i];
    guint made = GPOINTER_TO_UINT(g_hash_table_lookup(tx->mdev_made, address));

    if (g_hash_table_contains(tx->mdev_busy, address))
      continue; /* this process works on it */
    if (pass_engine_lookup_device(tx->engine, address) == NULL) {
      g_message("%s, which passd was creating or had created, is gone", address);
      tx_journal_mdev_gone(tx, address);
    } else if (!unowned(tx, address)) {
      if (made & TX_MDEV_MADE_PENDING)
        tx_journal_mdev_attached(tx, address); /* the attach completed before the crash */
    } else {
      g_message("removing %s: passd created it and no domain holds it", address);
      remove_made(tx, address);
    }
  }
}
