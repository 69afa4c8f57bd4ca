/* The transactions' use of the intent journal (state/journal.h).
 *
 * Records, one JSON object a line:
 *   begin     an operation's plan, written before its first step (or unplug) and naming who
 *             asked: operation, address, domain, where, devices, steps, uid, request
 *   end       it ended ("begin": the seq of its begin record; "outcome", "error")
 *   original  the driver a device had when passd took it (null: none)
 *   returned  the device went back to a host driver: passd holds it no more
 *   unplug    a live detach ("begin": its seq) asks the guest to let go, written before the
 *             request: recovery gives the guest time before it asks again (tx-recover.c)
 *   mdev      an attach by mdev type is about to create "address" ("transient": removed on
 *             detach), written before the create
 *   mdev_attached  its attach is done (a persistent one is then no more passd's business)
 *   mdev_gone      it was removed (rolled back, or after its detach)
 * A begin without an end is an operation a crash (or a lost libvirt) interrupted: an Intent,
 * which tx-recover.c finishes or undoes. Compaction rewrites the file as the open begins and
 * the originals. */
#define G_LOG_DOMAIN "passd"

#include "tx-private.h"

#include "pass-error.h"

/* Rewrite the journal once this many records were appended since the last time. */
#define COMPACT_AFTER 512

static int
kind_from_name(const char *name)
{
  for (int kind = OP_ATTACH; name && kind <= OP_SET_NUM_VFS; kind++)
    if (g_str_equal(tx_kind_name(kind), name))
      return kind;
  return -1;
}

static int
action_from_name(const char *name)
{
  for (int type = PASS_ACTION_DETACH_HOST; name && type <= PASS_ACTION_SET_NUM_VFS; type++)
    if (g_str_equal(tx_action_name(type), name))
      return type;
  return -1;
}

/* The array member @name, or NULL when missing or of another type (a damaged record). */
static JsonArray *
get_array(JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member(object, name);

  return node && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
}

static JsonArray *
where_array(guint where)
{
  JsonArray *array = json_array_new();

  if (where & PASS_HOSTDEV_LIVE)
    json_array_add_string_element(array, "live");
  if (where & PASS_HOSTDEV_CONFIG)
    json_array_add_string_element(array, "config");
  return array;
}

static guint
where_bits(JsonObject *object)
{
  JsonArray *array = get_array(object, "where");
  guint where = 0;

  for (guint i = 0; array && i < json_array_get_length(array); i++) {
    const char *name = json_node_get_string(json_array_get_element(array, i));

    if (g_strcmp0(name, "live") == 0)
      where |= PASS_HOSTDEV_LIVE;
    else if (g_strcmp0(name, "config") == 0)
      where |= PASS_HOSTDEV_CONFIG;
  }
  return where;
}

static void
set_nullable_string(JsonObject *object, const char *name, const char *value)
{
  if (value)
    json_object_set_string_member(object, name, value);
  else
    json_object_set_null_member(object, name);
}

static JsonObject *
begin_record(Op *op)
{
  JsonObject *record = json_object_new();
  JsonArray *devices = json_array_new();
  JsonArray *steps = json_array_new();

  json_object_set_string_member(record, "type", "begin");
  json_object_set_string_member(record, "operation", tx_kind_name(op->kind));
  json_object_set_string_member(record, "address", op->address);
  if (op->domain)
    json_object_set_string_member(record, "domain", op->domain);
  if (op->kind == OP_ATTACH)
    json_object_set_array_member(record, "where", where_array(op->where));
  else if (op->kind == OP_DETACH)
    json_object_set_array_member(
        record, "where", where_array(((PassAction *)g_ptr_array_index(op->steps, 0))->where));
  if (op->kind == OP_SET_NUM_VFS && op->steps->len) {
    const PassAction *step = g_ptr_array_index(op->steps, 0);

    json_object_set_int_member(record, "numvfs_from", step->numvfs_from);
    json_object_set_int_member(record, "numvfs_to", step->numvfs_to);
    json_object_set_int_member(record, "autoprobe", step->autoprobe);
  }
  for (guint i = 0; i < op->devices->len; i++)
    json_array_add_string_element(devices, g_ptr_array_index(op->devices, i));
  json_object_set_array_member(record, "devices", devices);
  for (guint i = 0; i < op->steps->len; i++) {
    const PassAction *action = g_ptr_array_index(op->steps, i);
    JsonObject *step = json_object_new();

    json_object_set_string_member(step, "action", tx_action_name(action->type));
    json_object_set_string_member(step, "address", action->address);
    if (action->type == PASS_ACTION_DETACH_HOST)
      set_nullable_string(step, "driver", action->driver_from);
    json_array_add_object_element(steps, step);
  }
  json_object_set_array_member(record, "steps", steps);
  if (op->request) {
    json_object_set_int_member(record, "uid", op->request->uid);
    json_object_set_int_member(record, "request", (gint64)op->request->id);
  }
  if (op->recovers)
    json_object_set_int_member(record, "recovers", (gint64)op->recovers->seq);
  return record;
}

static void
add_string(GPtrArray *strings, const char *value)
{
  if (value && !g_ptr_array_find_with_equal_func(strings, value, g_str_equal, NULL))
    g_ptr_array_add(strings, g_strdup(value));
}

void
tx_intent_free(Intent *intent)
{
  if (!intent)
    return;
  json_object_unref(intent->begin);
  g_free(intent->domain);
  g_free(intent->address);
  g_ptr_array_unref(intent->devices);
  g_ptr_array_unref(intent->taken);
  g_ptr_array_unref(intent->returns);
  if (intent->outcome)
    g_string_free(intent->outcome, TRUE);
  g_free(intent);
}

/* When @record was written (the journal stamps each), in real-time microseconds; 0 unknown. */
static gint64
record_time_us(JsonObject *record)
{
  const char *text = json_object_get_string_member_with_default(record, "time", NULL);
  g_autoptr(GDateTime) time = text ? g_date_time_new_from_iso8601(text, NULL) : NULL;

  return time ? g_date_time_to_unix(time) * G_USEC_PER_SEC + g_date_time_get_microsecond(time) : 0;
}

/* A begin record as an Intent; NULL (logged) when it does not make sense. @originals gets
 * the drivers its detach-host steps name, unless it knows them already. */
static Intent *
intent_new(JsonObject *begin, GHashTable *originals)
{
  int kind = kind_from_name(json_object_get_string_member_with_default(begin, "operation", NULL));
  const char *address = json_object_get_string_member_with_default(begin, "address", NULL);
  const char *domain = json_object_get_string_member_with_default(begin, "domain", NULL);
  JsonArray *devices = get_array(begin, "devices");
  JsonArray *steps = get_array(begin, "steps");
  Intent *intent;

  if (kind < 0 || !address || ((kind == OP_ATTACH || kind == OP_DETACH) && !domain) || !devices ||
      !steps) {
    g_warning("journal record %" G_GINT64_FORMAT " is not an operation passd knows; ignoring it",
              json_object_get_int_member_with_default(begin, "seq", 0));
    return NULL;
  }
  intent = g_new0(Intent, 1);
  intent->seq = (guint64)json_object_get_int_member(begin, "seq");
  intent->begin = json_object_ref(begin);
  intent->kind = (OpKind)kind;
  intent->address = g_strdup(address);
  intent->domain = g_strdup(domain);
  intent->where = where_bits(begin);
  intent->numvfs_from = (int)json_object_get_int_member_with_default(begin, "numvfs_from", -1);
  intent->numvfs_to = (int)json_object_get_int_member_with_default(begin, "numvfs_to", -1);
  intent->autoprobe = (int)json_object_get_int_member_with_default(begin, "autoprobe", -1);
  intent->devices = g_ptr_array_new_with_free_func(g_free);
  intent->taken = g_ptr_array_new_with_free_func(g_free);
  intent->returns = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < json_array_get_length(devices); i++)
    add_string(intent->devices, json_node_get_string(json_array_get_element(devices, i)));
  for (guint i = 0; i < json_array_get_length(steps); i++) {
    JsonObject *step = json_node_get_object(json_array_get_element(steps, i));
    const char *action, *step_address;

    if (!step)
      continue;
    action = json_object_get_string_member_with_default(step, "action", NULL);
    step_address = json_object_get_string_member_with_default(step, "address", NULL);
    if (!step_address)
      continue;
    switch (action_from_name(action)) {
      case PASS_ACTION_DETACH_HOST:
        add_string(intent->taken, step_address);
        /* It may have been taken before the crash, with no "original" record yet. */
        if (!g_hash_table_contains(originals, step_address))
          g_hash_table_insert(
              originals, g_strdup(step_address),
              g_strdup(json_object_get_string_member_with_default(step, "driver", NULL)));
        break;
      case PASS_ACTION_REATTACH_HOST:
        add_string(intent->returns, step_address);
        break;
      default:
        break;
    }
  }
  return intent;
}

static void
replay(PassTx *tx, GPtrArray *records)
{
  for (guint i = 0; i < records->len; i++) {
    JsonObject *record = g_ptr_array_index(records, i);
    const char *type = json_object_get_string_member_with_default(record, "type", "");
    const char *address = json_object_get_string_member_with_default(record, "address", NULL);

    if (g_str_equal(type, "original") && address) {
      g_hash_table_insert(
          tx->originals, g_strdup(address),
          g_strdup(json_object_get_string_member_with_default(record, "driver", NULL)));
    } else if (g_str_equal(type, "returned") && address) {
      g_hash_table_remove(tx->originals, address);
    } else if (g_str_equal(type, "mdev") && address) {
      gboolean transient = json_object_get_boolean_member_with_default(record, "transient", TRUE);

      g_hash_table_insert(
          tx->mdev_made, g_strdup(address),
          GUINT_TO_POINTER(TX_MDEV_MADE_PENDING | (transient ? TX_MDEV_MADE_TRANSIENT : 0)));
    } else if (g_str_equal(type, "mdev_attached") && address) {
      guint made = GPOINTER_TO_UINT(g_hash_table_lookup(tx->mdev_made, address));

      if (made & TX_MDEV_MADE_TRANSIENT)
        g_hash_table_insert(tx->mdev_made, g_strdup(address),
                            GUINT_TO_POINTER(TX_MDEV_MADE_TRANSIENT));
      else
        g_hash_table_remove(tx->mdev_made, address);
    } else if (g_str_equal(type, "mdev_gone") && address) {
      g_hash_table_remove(tx->mdev_made, address);
    } else if (g_str_equal(type, "begin")) {
      Intent *intent = intent_new(record, tx->originals);

      if (intent) {
        intent->orphan = TRUE;
        g_hash_table_insert(tx->intents, &intent->seq, intent);
      }
    } else if (g_str_equal(type, "unplug")) {
      guint64 begin = (guint64)json_object_get_int_member_with_default(record, "begin", 0);
      Intent *intent = g_hash_table_lookup(tx->intents, &begin);

      if (intent)
        intent->asked_us = record_time_us(record);
    } else if (g_str_equal(type, "end")) {
      guint64 begin = (guint64)json_object_get_int_member_with_default(record, "begin", 0);

      g_hash_table_remove(tx->intents, &begin);
    }
  }
}

void
pass_tx_set_journal(PassTx *tx, PassJournal *journal)
{
  GHashTableIter iter;
  Intent *intent;

  g_return_if_fail(tx->journal == NULL);
  tx->journal = journal;
  replay(tx, pass_journal_get_loaded(journal));
  g_hash_table_iter_init(&iter, tx->intents);
  while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&intent))
    g_message("journal %s: %s of %s%s%s began (record %" G_GUINT64_FORMAT
              ") and did not end; passd finishes or undoes it once libvirt is connected",
              pass_journal_get_path(journal), tx_kind_name(intent->kind), intent->address,
              intent->domain ? " / " : "", intent->domain ? intent->domain : "", intent->seq);
  if (g_hash_table_size(tx->originals))
    g_message("journal %s: passd holds %u devices taken from their host drivers",
              pass_journal_get_path(journal), g_hash_table_size(tx->originals));
}

/* Appends @record (taken); logs when it cannot: the operation is done by then. */
static void
append_or_warn(PassTx *tx, JsonObject *record)
{
  g_autoptr(GError) error = NULL;

  if (!pass_journal_append(tx->journal, record, &error))
    g_critical("the journal lost a record: %s", error->message);
  json_object_unref(record);
}

gboolean
tx_journal_begin(Op *op)
{
  PassTx *tx = op->tx;
  g_autoptr(GError) error = NULL;
  JsonObject *record;
  guint64 seq;
  Intent *intent;

  if (!tx->journal)
    return TRUE;
  record = begin_record(op);
  seq = pass_journal_append(tx->journal, record, &error);
  if (!seq) {
    json_object_unref(record);
    return tx_verdict(op, PASS_ERROR_JOURNAL_FAILED,
                      "cannot record the %s of %s in the journal, so nothing was changed: %s",
                      tx_kind_name(op->kind), op->address, error->message);
  }
  {
    /* Replay takes a begin's drivers as originals; here the steps have not run yet, and
     * steps_done records what they took. */
    g_autoptr(GHashTable) unused = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    intent = intent_new(record, unused);
  }
  json_object_unref(record);
  g_assert(intent != NULL); /* our own record */
  g_hash_table_insert(tx->intents, &intent->seq, intent);
  op->intent = seq;
  tx_fault(tx_kind_name(op->kind), "begin");
  return TRUE;
}

/* ---- did an operation leave the host half-way? ---- */

static guint
present_where(PassDomain *domain, const char *address)
{
  const PassHostdev *hostdev = domain ? pass_domain_find_hostdev(domain, address) : NULL;

  return hostdev ? hostdev->where & (PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG) : 0;
}

/* Back with a host driver, or somebody else's now: nothing of passd's is left on it. */
static gboolean
device_released(PassTx *tx, const char *address)
{
  PassDevice *device = pass_engine_lookup_device(tx->engine, address);

  return !device || g_strcmp0(device->driver, VFIO_DRIVER) != 0 ||
         pass_engine_get_owners(tx->engine, address)->len > 0;
}

static gboolean
all_released(PassTx *tx, GPtrArray *addresses)
{
  for (guint i = 0; i < addresses->len; i++)
    if (!device_released(tx, g_ptr_array_index(addresses, i)))
      return FALSE;
  return TRUE;
}

/* What of @where a domain can hold now: a stopped one has no live side. */
guint
tx_intent_wanted(PassTx *tx, const Intent *intent)
{
  PassDomain *domain = pass_engine_lookup_domain(tx->engine, intent->domain);

  if (!domain)
    return 0;
  return intent->where & (domain->active ? ~0u : ~(guint)PASS_HOSTDEV_LIVE);
}

gboolean
tx_intent_complete(PassTx *tx, const Intent *intent)
{
  PassDomain *domain = pass_engine_lookup_domain(tx->engine, intent->domain);
  guint wanted = tx_intent_wanted(tx, intent);

  if (!domain || !wanted)
    return FALSE;
  for (guint i = 0; i < intent->devices->len; i++)
    if ((present_where(domain, g_ptr_array_index(intent->devices, i)) & wanted) != wanted)
      return FALSE;
  return TRUE;
}

guint
tx_intent_present(PassTx *tx, const Intent *intent, const char *address)
{
  return present_where(pass_engine_lookup_domain(tx->engine, intent->domain), address);
}

/* All done, or nothing done: either way nothing is half-way. */
static gboolean
intent_settled(PassTx *tx, const Intent *intent)
{
  switch (intent->kind) {
    case OP_ATTACH:
      if (tx_intent_complete(tx, intent))
        return TRUE;
      for (guint i = 0; i < intent->devices->len; i++)
        if (tx_intent_present(tx, intent, g_ptr_array_index(intent->devices, i)))
          return FALSE;
      return all_released(tx, intent->taken);
    case OP_DETACH: {
      guint wanted = tx_intent_wanted(tx, intent);
      guint present = tx_intent_present(tx, intent, intent->address) & intent->where;

      if (wanted && present == wanted)
        return TRUE; /* nothing happened (the guest refused, say) */
      return present == 0 && all_released(tx, intent->returns);
    }
    case OP_REATTACH:
      return all_released(tx, intent->returns);
    case OP_SET_NUM_VFS: {
      /* The kernel went from the old count through 0 to the new: either end is whole. */
      int n = (int)pass_engine_get_vfs(tx->engine, intent->address)->len;

      return n == intent->numvfs_to || n == intent->numvfs_from;
    }
  }
  return TRUE;
}

void
tx_intent_end(PassTx *tx, Intent *intent, const char *outcome, const GError *error)
{
  JsonObject *record = json_object_new();

  json_object_set_string_member(record, "type", "end");
  json_object_set_int_member(record, "begin", (gint64)intent->seq);
  json_object_set_string_member(record, "outcome", outcome);
  if (error)
    json_object_set_string_member(record, "error", error->message);
  append_or_warn(tx, record);
  g_hash_table_remove(tx->intents, &intent->seq);
}

/* A VF count change that completed decides the PF's count: an older one left half-way on the
 * same PF, not being recovered right now, is moot, and finishing it later would undo the newer. */
static void
supersede_set_num_vfs(PassTx *tx, const char *pf)
{
  g_autoptr(GPtrArray) intents = tx_intents_sorted(tx);

  for (guint i = 0; i < intents->len; i++) {
    Intent *older = g_ptr_array_index(intents, i);

    if (older->kind == OP_SET_NUM_VFS && older->orphan && !older->recovering &&
        g_strcmp0(older->address, pf) == 0) {
      g_message("set_num_vfs %s: journal record %" G_GUINT64_FORMAT
                " left half-way is superseded by the count change that just completed",
                pf, older->seq);
      tx_intent_end(tx, older, "superseded", NULL);
    }
  }
}

void
tx_journal_end(Op *op)
{
  PassTx *tx = op->tx;
  guint64 seq = op->intent;
  Intent *intent;
  gboolean settled;

  op->intent = 0;
  if (!tx || !tx->journal || !seq || !(intent = g_hash_table_lookup(tx->intents, &seq)))
    return;
  tx_fault(tx_kind_name(op->kind), "end");
  /* Whether it is settled is judged on the picture; one the job could not refresh (libvirt
   * went away under it) cannot tell, so recovery has a look once libvirt is back. */
  settled = !op->result->error || (!op->stale && intent_settled(tx, intent));
  /* A step of recovery that failed: the intent it works for stays open and is tried again,
   * so its own record would only repeat it. */
  if (!settled && op->recovers) {
    tx_intent_end(tx, intent, "failed", op->result->error);
    return;
  }
  if (!settled) {
    intent->orphan = TRUE;
    intent->answered = TRUE;
    tx_recovery_schedule(tx);
    tx_log_event(op, G_LOG_LEVEL_WARNING, NULL,
                 "%s of %s left half-way (%s); passd finishes or undoes it when libvirt is back "
                 "or at its next start (journal record %" G_GUINT64_FORMAT ")",
                 tx_kind_name(op->kind), op->address, op->result->error->message, seq);
    return;
  }
  tx_intent_end(tx, intent, op->result->error ? "failed" : "done", op->result->error);
  if (op->kind == OP_SET_NUM_VFS && !op->result->error)
    supersede_set_num_vfs(tx, op->address);
  if (pass_journal_get_n_appended(tx->journal) >= COMPACT_AFTER && !tx->recovering)
    tx_journal_compact(tx);
}

void
tx_journal_original(PassTx *tx, const char *address, const char *driver)
{
  JsonObject *record;

  g_hash_table_insert(tx->originals, g_strdup(address), g_strdup(driver));
  if (!tx->journal)
    return;
  record = json_object_new();
  json_object_set_string_member(record, "type", "original");
  json_object_set_string_member(record, "address", address);
  set_nullable_string(record, "driver", driver);
  append_or_warn(tx, record);
}

void
tx_journal_returned(PassTx *tx, const char *address)
{
  JsonObject *record;

  if (!g_hash_table_remove(tx->originals, address) || !tx->journal)
    return;
  record = json_object_new();
  json_object_set_string_member(record, "type", "returned");
  json_object_set_string_member(record, "address", address);
  append_or_warn(tx, record);
}

static JsonObject *
unplug_record(guint64 begin)
{
  JsonObject *record = json_object_new();

  json_object_set_string_member(record, "type", "unplug");
  json_object_set_int_member(record, "begin", (gint64)begin);
  return record;
}

void
tx_journal_unplug(Op *op)
{
  Intent *intent = op->intent ? g_hash_table_lookup(op->tx->intents, &op->intent) : NULL;

  if (!intent)
    return;
  intent->asked_us = g_get_real_time();
  append_or_warn(op->tx, unplug_record(op->intent));
}

static void
append_mdev(PassTx *tx, const char *type, const char *address, int transient)
{
  JsonObject *record;

  if (!tx->journal)
    return;
  record = json_object_new();
  json_object_set_string_member(record, "type", type);
  json_object_set_string_member(record, "address", address);
  if (transient >= 0)
    json_object_set_boolean_member(record, "transient", transient);
  append_or_warn(tx, record);
}

void
tx_journal_mdev(PassTx *tx, const char *address, gboolean transient)
{
  g_hash_table_insert(
      tx->mdev_made, g_strdup(address),
      GUINT_TO_POINTER(TX_MDEV_MADE_PENDING | (transient ? TX_MDEV_MADE_TRANSIENT : 0)));
  append_mdev(tx, "mdev", address, transient);
}

void
tx_journal_mdev_attached(PassTx *tx, const char *address)
{
  guint made = GPOINTER_TO_UINT(g_hash_table_lookup(tx->mdev_made, address));

  /* Written first: @address may be the table's own key. */
  append_mdev(tx, "mdev_attached", address, -1);
  if (made & TX_MDEV_MADE_TRANSIENT)
    g_hash_table_insert(tx->mdev_made, g_strdup(address), GUINT_TO_POINTER(TX_MDEV_MADE_TRANSIENT));
  else
    g_hash_table_remove(tx->mdev_made, address);
}

void
tx_journal_mdev_gone(PassTx *tx, const char *address)
{
  if (!g_hash_table_contains(tx->mdev_made, address))
    return;
  append_mdev(tx, "mdev_gone", address, -1); /* first: @address may be the table's own key */
  g_hash_table_remove(tx->mdev_made, address);
}

static int
intent_compare(gconstpointer a, gconstpointer b)
{
  const Intent *x = *(Intent *const *)a, *y = *(Intent *const *)b;

  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

GPtrArray *
tx_intents_sorted(PassTx *tx)
{
  GPtrArray *intents = g_ptr_array_new();
  GHashTableIter iter;
  gpointer intent;

  g_hash_table_iter_init(&iter, tx->intents);
  while (g_hash_table_iter_next(&iter, NULL, &intent))
    g_ptr_array_add(intents, intent);
  g_ptr_array_sort(intents, intent_compare);
  return intents;
}

void
tx_journal_compact(PassTx *tx)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
  g_autoptr(GPtrArray) intents = tx_intents_sorted(tx);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) held = NULL;

  if (!tx->journal)
    return;
  /* Devices back on a host driver behind passd's back are no longer passd's to return (judged
   * only on a live picture). */
  held = pass_tx_list_held(tx);
  for (guint i = 0; pass_engine_is_connected(tx->engine) && held[i]; i++) {
    PassDevice *device = pass_engine_lookup_device(tx->engine, held[i]);

    if (device && g_strcmp0(device->driver, VFIO_DRIVER) != 0)
      g_hash_table_remove(tx->originals, held[i]);
  }
  for (guint i = 0; i < intents->len; i++) {
    Intent *intent = g_ptr_array_index(intents, i);

    g_ptr_array_add(records, json_object_ref(intent->begin));
    /* Stamped anew: recovery may then give the guest longer than needed, never too little. */
    if (intent->asked_us)
      g_ptr_array_add(records, unplug_record(intent->seq));
  }
  g_clear_pointer(&held, g_strfreev);
  held = pass_tx_list_held(tx);
  for (guint i = 0; held[i]; i++) {
    JsonObject *record = json_object_new();

    json_object_set_string_member(record, "type", "original");
    json_object_set_string_member(record, "address", held[i]);
    set_nullable_string(record, "driver", g_hash_table_lookup(tx->originals, held[i]));
    g_ptr_array_add(records, record);
  }
  {
    GHashTableIter iter;
    gpointer address, made;

    g_hash_table_iter_init(&iter, tx->mdev_made);
    while (g_hash_table_iter_next(&iter, &address, &made)) {
      JsonObject *record = json_object_new();

      json_object_set_string_member(record, "type", "mdev");
      json_object_set_string_member(record, "address", address);
      json_object_set_boolean_member(record, "transient",
                                     (GPOINTER_TO_UINT(made) & TX_MDEV_MADE_TRANSIENT) != 0);
      g_ptr_array_add(records, record);
      if (!(GPOINTER_TO_UINT(made) & TX_MDEV_MADE_PENDING)) {
        record = json_object_new();
        json_object_set_string_member(record, "type", "mdev_attached");
        json_object_set_string_member(record, "address", address);
        g_ptr_array_add(records, record);
      }
    }
  }
  if (!pass_journal_rewrite(tx->journal, records, &error))
    g_warning("cannot compact the journal: %s", error->message);
  else
    g_debug("journal %s compacted: %u open operations, %u devices held",
            pass_journal_get_path(tx->journal), intents->len, g_strv_length(held));
}

gboolean
tx_intent_open_for(PassTx *tx, OpKind kind, const char *address)
{
  GHashTableIter iter;
  Intent *intent;

  g_hash_table_iter_init(&iter, tx->intents);
  while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&intent))
    if (intent->kind == kind && g_str_equal(intent->address, address))
      return TRUE;
  return FALSE;
}

/* ---- for status ---- */

const char *
pass_tx_get_journal_path(PassTx *tx)
{
  return tx->journal ? pass_journal_get_path(tx->journal) : NULL;
}

guint
pass_tx_get_n_intents(PassTx *tx)
{
  return g_hash_table_size(tx->intents);
}

static int
string_compare(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

GStrv
pass_tx_list_held(PassTx *tx)
{
  guint n;
  char **keys = (char **)g_hash_table_get_keys_as_array(tx->originals, &n);
  GStrv held = g_new0(char *, n + 1);

  for (guint i = 0; i < n; i++)
    held[i] = g_strdup(keys[i]);
  g_free(keys);
  qsort(held, n, sizeof(char *), string_compare);
  return held;
}

gboolean
pass_tx_lookup_original(PassTx *tx, const char *address, const char **driver)
{
  gpointer value;

  if (!g_hash_table_lookup_extended(tx->originals, address, NULL, &value))
    return FALSE;
  if (driver)
    *driver = value;
  return TRUE;
}
