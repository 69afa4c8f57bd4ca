#define G_LOG_DOMAIN "passd"

#include "engine.h"

#include <string.h>

#include "engine-index.h"

/* One consistent picture: what libvirt told us plus the indexes derived from it. A reset builds
 * a new one next to the old and compares them. */
typedef struct {
  GHashTable *devices; /* char *address -> PassDevice (ref) */
  GHashTable *domains; /* char *name -> PassDomain (ref) */
  PassIndex *groups;   /* IOMMU group number as text -> member addresses */
  PassIndex *vfs;      /* PF address -> VF addresses */
  PassIndex *owners;   /* device address -> domain names */
} Inventory;

typedef struct {
  guint id;
  PassEngineWatchFunc func; /* NULL once removed during a dispatch */
  gpointer user_data;
} Watch;

typedef struct {
  PassEngineEventType type;
  char *address;
} Pending;

struct _PassEngine {
  Inventory *inventory;
  gboolean connected;
  char *message;
  gboolean has_inventory;
  guint64 generation;
  GPtrArray *sorted; /* cache for pass_engine_list_devices(); NULL when stale */
  GPtrArray *empty;  /* returned for relations that have no members */
  GPtrArray *watches;
  guint last_watch_id;
  guint dispatching;
};

/* ---- inventory ---- */

#define GROUP_KEY_SIZE 16

static const char *
group_key(int group, char buf[GROUP_KEY_SIZE])
{
  g_snprintf(buf, GROUP_KEY_SIZE, "%d", group);
  return buf;
}

static Inventory *
inventory_new(void)
{
  Inventory *inv = g_new0(Inventory, 1);

  inv->devices =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)pass_device_unref);
  inv->domains =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)pass_domain_unref);
  inv->groups = pass_index_new();
  inv->vfs = pass_index_new();
  inv->owners = pass_index_new();
  return inv;
}

static void
inventory_free(Inventory *inv)
{
  if (!inv)
    return;
  g_hash_table_unref(inv->devices);
  g_hash_table_unref(inv->domains);
  pass_index_free(inv->groups);
  pass_index_free(inv->vfs);
  pass_index_free(inv->owners);
  g_free(inv);
}

static GPtrArray *
inventory_members(Inventory *inv, const PassDevice *device)
{
  char buf[GROUP_KEY_SIZE];

  if (!device || device->iommu_group < 0)
    return NULL;
  return pass_index_lookup(inv->groups, group_key(device->iommu_group, buf));
}

static void
inventory_index_device(Inventory *inv, const PassDevice *device, gboolean add)
{
  void (*op)(PassIndex *, const char *, const char *) = add ? pass_index_add : pass_index_remove;
  char buf[GROUP_KEY_SIZE];

  if (device->iommu_group >= 0)
    op(inv->groups, group_key(device->iommu_group, buf), device->address);
  if (device->physfn)
    op(inv->vfs, device->physfn, device->address);
}

static void
inventory_add_device(Inventory *inv, PassDevice *device)
{
  PassDevice *old = g_hash_table_lookup(inv->devices, device->address);

  if (old)
    inventory_index_device(inv, old, FALSE);
  g_hash_table_replace(inv->devices, g_strdup(device->address), pass_device_ref(device));
  inventory_index_device(inv, device, TRUE);
}

static void
inventory_remove_device(Inventory *inv, const char *address)
{
  PassDevice *old = g_hash_table_lookup(inv->devices, address);

  if (!old)
    return;
  inventory_index_device(inv, old, FALSE);
  g_hash_table_remove(inv->devices, address);
}

static void
inventory_index_domain(Inventory *inv, const PassDomain *domain, gboolean add)
{
  for (guint i = 0; domain->hostdevs && i < domain->hostdevs->len; i++) {
    const PassHostdev *hostdev = g_ptr_array_index(domain->hostdevs, i);

    if (!hostdev->address)
      continue;
    if (add)
      pass_index_add(inv->owners, hostdev->address, domain->name);
    else
      pass_index_remove(inv->owners, hostdev->address, domain->name);
  }
}

static void
inventory_add_domain(Inventory *inv, PassDomain *domain)
{
  PassDomain *old = g_hash_table_lookup(inv->domains, domain->name);

  if (old)
    inventory_index_domain(inv, old, FALSE);
  g_hash_table_replace(inv->domains, g_strdup(domain->name), pass_domain_ref(domain));
  inventory_index_domain(inv, domain, TRUE);
}

static void
inventory_remove_domain(Inventory *inv, const char *name)
{
  PassDomain *old = g_hash_table_lookup(inv->domains, name);

  if (!old)
    return;
  inventory_index_domain(inv, old, FALSE);
  g_hash_table_remove(inv->domains, name);
}

/* ---- events ---- */

static void
pending_free(gpointer data)
{
  Pending *pending = data;

  g_free(pending->address);
  g_free(pending);
}

static int
pending_compare(gconstpointer a, gconstpointer b)
{
  const Pending *pa = *(Pending *const *)a, *pb = *(Pending *const *)b;

  return strcmp(pa->address, pb->address);
}

static void
pending_add(GPtrArray *pending, PassEngineEventType type, const char *address)
{
  Pending *p = g_new0(Pending, 1);

  p->type = type;
  p->address = g_strdup(address);
  g_ptr_array_add(pending, p);
}

/* The event for a device that was @before and is @after, given whether its relations (group
 * members, VFs) and owners stayed the same. FALSE when nothing visible changed. */
static gboolean
classify(const PassDevice *before, const PassDevice *after, gboolean relations_equal,
         gboolean owners_equal, PassEngineEventType *type)
{
  if (!before && !after)
    return FALSE;
  if (!before) {
    *type = PASS_ENGINE_EVENT_ADDED;
    return TRUE;
  }
  if (!after) {
    *type = PASS_ENGINE_EVENT_REMOVED;
    return TRUE;
  }
  if (!relations_equal || !pass_device_equal(before, after)) {
    *type = PASS_ENGINE_EVENT_CHANGED;
    return TRUE;
  }
  if (!owners_equal) {
    *type = PASS_ENGINE_EVENT_OWNERS;
    return TRUE;
  }
  return FALSE;
}

static void
dispatch(PassEngine *engine, const PassEngineEvent *event)
{
  /* Watches added by a watcher start with the next event. */
  guint n = engine->watches->len;

  engine->dispatching++;
  for (guint i = 0; i < n; i++) {
    Watch *watch = g_ptr_array_index(engine->watches, i);

    if (watch->func)
      watch->func(engine, event, watch->user_data);
  }
  engine->dispatching--;

  if (engine->dispatching == 0) {
    for (guint i = engine->watches->len; i > 0; i--) {
      Watch *watch = g_ptr_array_index(engine->watches, i - 1);

      if (!watch->func)
        g_ptr_array_remove_index(engine->watches, i - 1);
    }
  }
}

/* Emit @pending in address order, after the state is final so watchers can query it. */
static void
emit_pending(PassEngine *engine, GPtrArray *pending)
{
  gint64 now;

  if (pending->len == 0)
    return;
  now = g_get_real_time();
  engine->generation++;
  g_ptr_array_sort(pending, pending_compare);
  for (guint i = 0; i < pending->len; i++) {
    Pending *p = g_ptr_array_index(pending, i);
    PassEngineEvent event = {
        .type = p->type,
        .address = p->address,
        .device = g_hash_table_lookup(engine->inventory->devices, p->address),
        .time = now,
    };

    if (p->type == PASS_ENGINE_EVENT_REMOVED)
      event.device = NULL;
    dispatch(engine, &event);
  }
}

/* After the device events a domain change caused: observers of domains (a transaction waiting
 * for a guest to let go) see the final picture. */
static void
emit_domain(PassEngine *engine, const char *name)
{
  PassEngineEvent event = {
      .type = PASS_ENGINE_EVENT_DOMAIN, .domain = name, .time = g_get_real_time()};

  dispatch(engine, &event);
}

/* ---- incremental changes: capture the touched devices, mutate, compare ---- */

typedef struct {
  PassDevice *device; /* NULL when not in the inventory */
  GPtrArray *members, *vfs, *owners;
} Before;

static void
before_free(gpointer data)
{
  Before *before = data;

  g_clear_pointer(&before->device, pass_device_unref);
  g_clear_pointer(&before->members, g_ptr_array_unref);
  g_clear_pointer(&before->vfs, g_ptr_array_unref);
  g_clear_pointer(&before->owners, g_ptr_array_unref);
  g_free(before);
}

static GHashTable *
change_begin(void)
{
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, before_free);
}

/* Remember how @address looks before the mutation (once). */
static void
change_touch(PassEngine *engine, GHashTable *change, const char *address)
{
  Inventory *inv = engine->inventory;
  Before *before;
  PassDevice *device;

  if (!address || g_hash_table_contains(change, address))
    return;
  device = g_hash_table_lookup(inv->devices, address);
  before = g_new0(Before, 1);
  before->device = device ? pass_device_ref(device) : NULL;
  before->members = pass_strings_copy(inventory_members(inv, device));
  before->vfs = pass_strings_copy(pass_index_lookup(inv->vfs, address));
  before->owners = pass_strings_copy(pass_index_lookup(inv->owners, address));
  g_hash_table_insert(change, g_strdup(address), before);
}

static void
change_touch_all(PassEngine *engine, GHashTable *change, GPtrArray *addresses)
{
  for (guint i = 0; addresses && i < addresses->len; i++)
    change_touch(engine, change, g_ptr_array_index(addresses, i));
}

static void
change_commit(PassEngine *engine, GHashTable *change)
{
  Inventory *inv = engine->inventory;
  g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func(pending_free);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init(&iter, change);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    const char *address = key;
    Before *before = value;
    PassDevice *after = g_hash_table_lookup(inv->devices, address);
    gboolean relations_equal =
        pass_strings_equal(before->members, inventory_members(inv, after)) &&
        pass_strings_equal(before->vfs, pass_index_lookup(inv->vfs, address));
    gboolean owners_equal =
        pass_strings_equal(before->owners, pass_index_lookup(inv->owners, address));
    PassEngineEventType type;

    if (classify(before->device, after, relations_equal, owners_equal, &type))
      pending_add(pending, type, address);
  }
  g_hash_table_unref(change);
  emit_pending(engine, pending);
}

/* ---- public: lifetime and watches ---- */

PassEngine *
pass_engine_new(void)
{
  PassEngine *engine = g_new0(PassEngine, 1);

  engine->inventory = inventory_new();
  engine->empty = g_ptr_array_new();
  engine->watches = g_ptr_array_new_with_free_func(g_free);
  return engine;
}

void
pass_engine_free(PassEngine *engine)
{
  if (!engine)
    return;
  g_return_if_fail(engine->dispatching == 0);
  inventory_free(engine->inventory);
  g_clear_pointer(&engine->sorted, g_ptr_array_unref);
  g_ptr_array_unref(engine->empty);
  g_ptr_array_unref(engine->watches);
  g_free(engine->message);
  g_free(engine);
}

guint
pass_engine_add_watch(PassEngine *engine, PassEngineWatchFunc func, gpointer user_data)
{
  Watch *watch;

  g_return_val_if_fail(func != NULL, 0);
  watch = g_new0(Watch, 1);
  watch->id = ++engine->last_watch_id;
  watch->func = func;
  watch->user_data = user_data;
  g_ptr_array_add(engine->watches, watch);
  return watch->id;
}

void
pass_engine_remove_watch(PassEngine *engine, guint id)
{
  for (guint i = 0; i < engine->watches->len; i++) {
    Watch *watch = g_ptr_array_index(engine->watches, i);

    if (watch->id != id)
      continue;
    /* During a dispatch the array is being walked: mark now, drop afterwards. */
    if (engine->dispatching)
      watch->func = NULL;
    else
      g_ptr_array_remove_index(engine->watches, i);
    return;
  }
}

/* ---- public: feeding ---- */

void
pass_engine_set_connected(PassEngine *engine, gboolean connected, const char *message)
{
  gboolean flipped = !engine->connected != !connected;

  engine->connected = connected;
  g_free(engine->message);
  engine->message = connected ? NULL : g_strdup(message);
  if (flipped) {
    PassEngineEvent event = {
        .type = PASS_ENGINE_EVENT_HYPERVISOR,
        .connected = connected,
        .message = engine->message,
        .time = g_get_real_time(),
    };

    engine->generation++;
    dispatch(engine, &event);
  }
}

/* Whether @old and @new have the same members in the group both are in (they are equal
 * devices, so the same group); computed once per group. */
static gboolean
reset_group_equal(Inventory *old, Inventory *next, GHashTable *cache, int group)
{
  char buf[GROUP_KEY_SIZE];
  gpointer cached;

  if (group < 0)
    return TRUE;
  group_key(group, buf);
  if (g_hash_table_lookup_extended(cache, buf, NULL, &cached))
    return GPOINTER_TO_INT(cached);
  gboolean equal = pass_index_key_equal(old->groups, next->groups, buf);
  g_hash_table_insert(cache, g_strdup(buf), GINT_TO_POINTER(equal));
  return equal;
}

void
pass_engine_reset(PassEngine *engine, GPtrArray *devices, GPtrArray *domains)
{
  Inventory *old = engine->inventory, *next = inventory_new();
  g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func(pending_free);
  g_autoptr(GHashTable) groups_equal = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; devices && i < devices->len; i++)
    inventory_add_device(next, g_ptr_array_index(devices, i));
  for (guint i = 0; domains && i < domains->len; i++)
    inventory_add_domain(next, g_ptr_array_index(domains, i));

  /* Compare key by key rather than copying the old relations: O(devices). */
  g_hash_table_iter_init(&iter, next->devices);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    const char *address = key;
    PassDevice *after = value, *before = g_hash_table_lookup(old->devices, address);
    gboolean relations_equal = TRUE, owners_equal = TRUE;
    PassEngineEventType type;

    if (before && pass_device_equal(before, after)) {
      relations_equal = reset_group_equal(old, next, groups_equal, after->iommu_group) &&
                        pass_index_key_equal(old->vfs, next->vfs, address);
      owners_equal = pass_index_key_equal(old->owners, next->owners, address);
    }
    if (classify(before, after, relations_equal, owners_equal, &type))
      pending_add(pending, type, address);
  }
  g_hash_table_iter_init(&iter, old->devices);
  while (g_hash_table_iter_next(&iter, &key, NULL))
    if (!g_hash_table_contains(next->devices, key))
      pending_add(pending, PASS_ENGINE_EVENT_REMOVED, key);

  engine->inventory = next;
  inventory_free(old);
  g_clear_pointer(&engine->sorted, g_ptr_array_unref);
  if (!engine->has_inventory) {
    engine->has_inventory = TRUE;
    engine->generation++;
  }
  emit_pending(engine, pending);
  emit_domain(engine, NULL);
}

void
pass_engine_device_changed(PassEngine *engine, PassDevice *device)
{
  Inventory *inv = engine->inventory;
  PassDevice *old;
  GHashTable *change;

  g_return_if_fail(device != NULL && device->address != NULL);
  old = g_hash_table_lookup(inv->devices, device->address);
  if (old && pass_device_equal(old, device))
    return;

  /* Whoever shares its old or new group, and its old or new PF, see their relations move. */
  change = change_begin();
  change_touch(engine, change, device->address);
  if (old) {
    change_touch_all(engine, change, inventory_members(inv, old));
    change_touch(engine, change, old->physfn);
  }
  change_touch_all(engine, change, inventory_members(inv, device));
  change_touch(engine, change, device->physfn);

  inventory_add_device(inv, device);
  g_clear_pointer(&engine->sorted, g_ptr_array_unref);
  change_commit(engine, change);
}

void
pass_engine_device_removed(PassEngine *engine, const char *address)
{
  Inventory *inv = engine->inventory;
  PassDevice *old = g_hash_table_lookup(inv->devices, address);
  GHashTable *change;

  if (!old)
    return;
  change = change_begin();
  change_touch(engine, change, address);
  change_touch_all(engine, change, inventory_members(inv, old));
  change_touch(engine, change, old->physfn);

  inventory_remove_device(inv, address);
  g_clear_pointer(&engine->sorted, g_ptr_array_unref);
  change_commit(engine, change);
}

static void
touch_hostdevs(PassEngine *engine, GHashTable *change, const PassDomain *domain)
{
  for (guint i = 0; domain && domain->hostdevs && i < domain->hostdevs->len; i++) {
    const PassHostdev *hostdev = g_ptr_array_index(domain->hostdevs, i);

    change_touch(engine, change, hostdev->address);
  }
}

void
pass_engine_domain_changed(PassEngine *engine, PassDomain *domain)
{
  Inventory *inv = engine->inventory;
  GHashTable *change;

  g_return_if_fail(domain != NULL && domain->name != NULL);
  change = change_begin();
  touch_hostdevs(engine, change, g_hash_table_lookup(inv->domains, domain->name));
  touch_hostdevs(engine, change, domain);
  inventory_add_domain(inv, domain);
  change_commit(engine, change);
  emit_domain(engine, domain->name);
}

void
pass_engine_domain_removed(PassEngine *engine, const char *name)
{
  Inventory *inv = engine->inventory;
  PassDomain *old = g_hash_table_lookup(inv->domains, name);
  GHashTable *change;

  if (!old)
    return;
  change = change_begin();
  touch_hostdevs(engine, change, old);
  inventory_remove_domain(inv, name);
  change_commit(engine, change);
  emit_domain(engine, name);
}

/* ---- public: reading ---- */

gboolean
pass_engine_is_connected(PassEngine *engine)
{
  return engine->connected;
}

const char *
pass_engine_get_message(PassEngine *engine)
{
  return engine->message;
}

gboolean
pass_engine_has_inventory(PassEngine *engine)
{
  return engine->has_inventory;
}

guint64
pass_engine_get_generation(PassEngine *engine)
{
  return engine->generation;
}

guint
pass_engine_get_n_devices(PassEngine *engine)
{
  return g_hash_table_size(engine->inventory->devices);
}

PassDevice *
pass_engine_lookup_device(PassEngine *engine, const char *address)
{
  return address ? g_hash_table_lookup(engine->inventory->devices, address) : NULL;
}

static int
device_compare(gconstpointer a, gconstpointer b)
{
  const PassDevice *da = *(PassDevice *const *)a, *db = *(PassDevice *const *)b;

  return strcmp(da->address, db->address);
}

GPtrArray *
pass_engine_list_devices(PassEngine *engine)
{
  if (!engine->sorted) {
    GHashTableIter iter;
    gpointer value;

    engine->sorted = g_ptr_array_new_full(g_hash_table_size(engine->inventory->devices),
                                          (GDestroyNotify)pass_device_unref);
    g_hash_table_iter_init(&iter, engine->inventory->devices);
    while (g_hash_table_iter_next(&iter, NULL, &value))
      g_ptr_array_add(engine->sorted, pass_device_ref(value));
    g_ptr_array_sort(engine->sorted, device_compare);
  }
  return g_ptr_array_ref(engine->sorted);
}

PassDomain *
pass_engine_lookup_domain(PassEngine *engine, const char *name)
{
  return name ? g_hash_table_lookup(engine->inventory->domains, name) : NULL;
}

guint
pass_engine_get_n_domains(PassEngine *engine)
{
  return g_hash_table_size(engine->inventory->domains);
}

static GPtrArray *
or_empty(PassEngine *engine, GPtrArray *array)
{
  return array ? array : engine->empty;
}

GPtrArray *
pass_engine_get_group_members(PassEngine *engine, const PassDevice *device)
{
  return or_empty(engine, inventory_members(engine->inventory, device));
}

GPtrArray *
pass_engine_get_vfs(PassEngine *engine, const char *address)
{
  return or_empty(engine, address ? pass_index_lookup(engine->inventory->vfs, address) : NULL);
}

GPtrArray *
pass_engine_get_owners(PassEngine *engine, const char *address)
{
  return or_empty(engine, address ? pass_index_lookup(engine->inventory->owners, address) : NULL);
}
