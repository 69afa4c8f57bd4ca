/* The engine without libvirt: feed it devices and domains, check the derived relations and the
 * events it emits. A randomized run checks every answer against a brute-force model. */
#include <string.h>

#include "engine.h"

/* ---- helpers ---- */

static PassDevice *
make_device(const char *address, int group, const char *physfn, const char *driver)
{
  PassDevice *device = pass_device_new();

  device->address = g_strdup(address);
  device->name = g_strdup_printf("pci_%s", address);
  g_strdelimit(device->name, ":.", '_');
  device->vendor_id = 0x8086;
  device->product_id = 0x10d3;
  device->class_code = 0x020000;
  device->iommu_group = group;
  device->physfn = g_strdup(physfn);
  device->driver = g_strdup(driver);
  return device;
}

/* @where: PASS_HOSTDEV_* bits; @addresses NULL-terminated. */
static PassDomain *
make_domain(const char *name, guint where, ...)
{
  PassDomain *domain = pass_domain_new(name);
  const char *address;
  va_list ap;

  va_start(ap, where);
  while ((address = va_arg(ap, const char *))) {
    PassHostdev *hostdev = pass_hostdev_new();

    hostdev->address = g_strdup(address);
    hostdev->where = where;
    g_ptr_array_add(domain->hostdevs, hostdev);
  }
  va_end(ap);
  return domain;
}

static char *
join(GPtrArray *strings)
{
  GString *out = g_string_new(NULL);

  for (guint i = 0; i < strings->len; i++)
    g_string_append_printf(out, "%s%s", i ? " " : "", (char *)g_ptr_array_index(strings, i));
  return g_string_free(out, FALSE);
}

#define assert_strings(array, expected)                                                            \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autofree char *_s = join(array);                                                             \
    g_assert_cmpstr(_s, ==, expected);                                                             \
  }                                                                                                \
  G_STMT_END

static const char *const type_names[] = {"added", "removed", "changed", "owners", "hypervisor"};

/* Records events as "type address" (or "hypervisor connected/disconnected") lines. */
typedef struct {
  PassEngine *engine;
  GPtrArray *events;
  gboolean check_device; /* the device in the event is the engine's current one */
  gboolean domains;      /* record domain events too, as "domain NAME" ("domain *": all) */
} Recorder;

static void
record(PassEngine *engine, const PassEngineEvent *event, gpointer user_data)
{
  Recorder *rec = user_data;

  if (event->type == PASS_ENGINE_EVENT_DOMAIN) {
    g_assert_null(event->address);
    if (rec->domains)
      g_ptr_array_add(rec->events,
                      g_strdup_printf("domain %s", event->domain ? event->domain : "*"));
    return;
  }
  if (event->type == PASS_ENGINE_EVENT_HYPERVISOR) {
    g_ptr_array_add(rec->events,
                    g_strdup_printf("hypervisor %s%s%s", event->connected ? "up" : "down",
                                    event->message ? " " : "",
                                    event->message ? event->message : ""));
    return;
  }
  g_ptr_array_add(rec->events, g_strdup_printf("%s %s", type_names[event->type], event->address));
  if (event->type == PASS_ENGINE_EVENT_REMOVED) {
    g_assert_null(event->device);
    g_assert_null(pass_engine_lookup_device(engine, event->address));
  } else {
    g_assert_nonnull(event->device);
    g_assert_true(event->device == pass_engine_lookup_device(engine, event->address));
  }
}

static char *
take_events(Recorder *rec)
{
  char *s = join(rec->events);

  g_ptr_array_set_size(rec->events, 0);
  return s;
}

#define assert_events(rec, expected)                                                               \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autofree char *_e = take_events(rec);                                                        \
    g_assert_cmpstr(_e, ==, expected);                                                             \
  }                                                                                                \
  G_STMT_END

typedef struct {
  PassEngine *engine;
  Recorder rec;
  GPtrArray *devices;
  GPtrArray *domains;
} Fixture;

/* A small host: group 1 holds a function trio, a PF with two VFs, a device without group. */
static void
fixture_setup(Fixture *f, gconstpointer data)
{
  f->engine = pass_engine_new();
  f->rec.engine = f->engine;
  f->rec.events = g_ptr_array_new_with_free_func(g_free);
  pass_engine_add_watch(f->engine, record, &f->rec);

  f->devices = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
  g_ptr_array_add(f->devices, make_device("0000:00:1f.3", 1, NULL, "snd_hda_intel"));
  g_ptr_array_add(f->devices, make_device("0000:00:1f.0", 1, NULL, NULL));
  g_ptr_array_add(f->devices, make_device("0000:00:1f.4", 1, NULL, "i801_smbus"));
  g_ptr_array_add(f->devices, make_device("0000:3b:00.0", 20, NULL, "ixgbe"));
  g_ptr_array_add(f->devices, make_device("0000:3b:10.0", 30, "0000:3b:00.0", "ixgbevf"));
  g_ptr_array_add(f->devices, make_device("0000:3b:10.2", 31, "0000:3b:00.0", NULL));
  g_ptr_array_add(f->devices, make_device("0000:00:02.0", -1, NULL, "i915"));

  f->domains = g_ptr_array_new_with_free_func((GDestroyNotify)pass_domain_unref);
  g_ptr_array_add(f->domains, make_domain("vm2", PASS_HOSTDEV_LIVE, "0000:3b:10.0", NULL));
  g_ptr_array_add(f->domains,
                  make_domain("vm1", PASS_HOSTDEV_CONFIG, "0000:3b:10.0", "0000:00:02.0", NULL));
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  pass_engine_free(f->engine);
  g_ptr_array_unref(f->rec.events);
  g_ptr_array_unref(f->devices);
  g_ptr_array_unref(f->domains);
}

static void
fixture_load(Fixture *f)
{
  pass_engine_reset(f->engine, f->devices, f->domains);
  g_ptr_array_set_size(f->rec.events, 0);
}

/* ---- tests ---- */

static void
test_empty(void)
{
  g_autoptr(PassEngine) engine = pass_engine_new();
  g_autoptr(GPtrArray) list = pass_engine_list_devices(engine);

  g_assert_false(pass_engine_has_inventory(engine));
  g_assert_false(pass_engine_is_connected(engine));
  g_assert_cmpuint(pass_engine_get_n_devices(engine), ==, 0);
  g_assert_cmpuint(list->len, ==, 0);
  g_assert_null(pass_engine_lookup_device(engine, "0000:00:00.0"));
  g_assert_null(pass_engine_lookup_device(engine, NULL));
  g_assert_cmpuint(pass_engine_get_vfs(engine, "0000:00:00.0")->len, ==, 0);
  g_assert_cmpuint(pass_engine_get_owners(engine, NULL)->len, ==, 0);
  g_assert_cmpuint(pass_engine_get_group_members(engine, NULL)->len, ==, 0);
}

static void
test_relations(Fixture *f, gconstpointer data)
{
  PassEngine *e = f->engine;
  g_autoptr(GPtrArray) list = NULL;

  fixture_load(f);
  g_assert_true(pass_engine_has_inventory(e));
  g_assert_cmpuint(pass_engine_get_n_devices(e), ==, 7);
  g_assert_cmpuint(pass_engine_get_n_domains(e), ==, 2);
  g_assert_nonnull(pass_engine_lookup_domain(e, "vm1"));
  g_assert_null(pass_engine_lookup_domain(e, "vm3"));

  list = pass_engine_list_devices(e);
  g_assert_cmpuint(list->len, ==, 7);
  for (guint i = 1; i < list->len; i++)
    g_assert_cmpstr(((PassDevice *)list->pdata[i - 1])->address, <,
                    ((PassDevice *)list->pdata[i])->address);

  assert_strings(pass_engine_get_group_members(e, pass_engine_lookup_device(e, "0000:00:1f.4")),
                 "0000:00:1f.0 0000:00:1f.3 0000:00:1f.4");
  assert_strings(pass_engine_get_group_members(e, pass_engine_lookup_device(e, "0000:3b:00.0")),
                 "0000:3b:00.0");
  assert_strings(pass_engine_get_group_members(e, pass_engine_lookup_device(e, "0000:00:02.0")),
                 "");
  assert_strings(pass_engine_get_vfs(e, "0000:3b:00.0"), "0000:3b:10.0 0000:3b:10.2");
  assert_strings(pass_engine_get_vfs(e, "0000:3b:10.0"), "");
  /* Live and config holders both count, sorted by name. */
  assert_strings(pass_engine_get_owners(e, "0000:3b:10.0"), "vm1 vm2");
  assert_strings(pass_engine_get_owners(e, "0000:00:02.0"), "vm1");
  assert_strings(pass_engine_get_owners(e, "0000:00:1f.0"), "");
}

static void
test_reset_events(Fixture *f, gconstpointer data)
{
  PassEngine *e = f->engine;
  g_autoptr(GPtrArray) same = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
  guint64 generation;

  pass_engine_reset(e, f->devices, f->domains);
  assert_events(&f->rec, "added 0000:00:02.0 added 0000:00:1f.0 added 0000:00:1f.3 "
                         "added 0000:00:1f.4 added 0000:3b:00.0 added 0000:3b:10.0 "
                         "added 0000:3b:10.2");
  generation = pass_engine_get_generation(e);

  /* A reconnect that reads the same world (new objects, equal content) says nothing. */
  for (guint i = 0; i < f->devices->len; i++) {
    PassDevice *d = g_ptr_array_index(f->devices, i);
    g_ptr_array_add(same, make_device(d->address, d->iommu_group, d->physfn, d->driver));
  }
  pass_engine_reset(e, same, f->domains);
  assert_events(&f->rec, "");
  g_assert_cmpuint(pass_engine_get_generation(e), ==, generation);

  /* A different world: 1f.4 gone (its group shrinks), a driver changed, a new VF (its PF
   * changes), vm2 gone (owners of 3b:10.0 change), vm3 takes 1f.3 while it is rebound. */
  g_ptr_array_remove_index(same, 2); /* 1f.4 */
  g_ptr_array_add(same, make_device("0000:3b:10.4", 32, "0000:3b:00.0", NULL));
  g_ptr_array_add(same, make_device("0000:00:1f.3", 1, NULL, "vfio-pci")); /* replaces */
  g_ptr_array_remove_index(same, 0);
  {
    g_autoptr(GPtrArray) domains =
        g_ptr_array_new_with_free_func((GDestroyNotify)pass_domain_unref);

    g_ptr_array_add(domains, pass_domain_ref(g_ptr_array_index(f->domains, 1)));
    g_ptr_array_add(domains, make_domain("vm3", PASS_HOSTDEV_LIVE, "0000:00:1f.3", NULL));
    pass_engine_reset(e, same, domains);
  }
  assert_events(&f->rec, "changed 0000:00:1f.0 changed 0000:00:1f.3 removed 0000:00:1f.4 "
                         "changed 0000:3b:00.0 owners 0000:3b:10.0 added 0000:3b:10.4");
  g_assert_cmpuint(pass_engine_get_generation(e), >, generation);
  assert_strings(pass_engine_get_vfs(e, "0000:3b:00.0"), "0000:3b:10.0 0000:3b:10.2 0000:3b:10.4");
  assert_strings(pass_engine_get_owners(e, "0000:3b:10.0"), "vm1");
  assert_strings(pass_engine_get_owners(e, "0000:00:1f.3"), "vm3");
  g_assert_cmpstr(pass_engine_lookup_device(e, "0000:00:1f.3")->driver, ==, "vfio-pci");

  /* Losing everything (an empty host) removes every device. */
  pass_engine_reset(e, NULL, NULL);
  g_assert_cmpuint(pass_engine_get_n_devices(e), ==, 0);
  g_assert_cmpuint(f->rec.events->len, ==, 7);
  g_assert_true(pass_engine_has_inventory(e));
}

static void
test_device_changed(Fixture *f, gconstpointer data)
{
  PassEngine *e = f->engine;
  g_autoptr(PassDevice) same = make_device("0000:00:1f.0", 1, NULL, NULL);
  g_autoptr(PassDevice) bound = make_device("0000:00:1f.0", 1, NULL, "lpc_ich");
  g_autoptr(PassDevice) vf = make_device("0000:3b:10.6", 33, "0000:3b:00.0", NULL);
  g_autoptr(PassDevice) moved = make_device("0000:00:1f.4", 20, NULL, "i801_smbus");
  guint64 generation;

  fixture_load(f);
  generation = pass_engine_get_generation(e);

  pass_engine_device_changed(e, same);
  assert_events(&f->rec, "");
  g_assert_cmpuint(pass_engine_get_generation(e), ==, generation);

  /* A field change concerns that device only. */
  pass_engine_device_changed(e, bound);
  assert_events(&f->rec, "changed 0000:00:1f.0");
  g_assert_true(pass_engine_lookup_device(e, "0000:00:1f.0") == bound);
  g_assert_cmpuint(pass_engine_get_generation(e), >, generation);

  /* A new VF: its PF's vfs change. */
  pass_engine_device_changed(e, vf);
  assert_events(&f->rec, "changed 0000:3b:00.0 added 0000:3b:10.6");
  assert_strings(pass_engine_get_vfs(e, "0000:3b:00.0"), "0000:3b:10.0 0000:3b:10.2 0000:3b:10.6");

  /* Moving to another group changes both groups' members. */
  pass_engine_device_changed(e, moved);
  assert_events(
      &f->rec,
      "changed 0000:00:1f.0 changed 0000:00:1f.3 changed 0000:00:1f.4 changed 0000:3b:00.0");
  assert_strings(pass_engine_get_group_members(e, bound), "0000:00:1f.0 0000:00:1f.3");
  assert_strings(pass_engine_get_group_members(e, moved), "0000:00:1f.4 0000:3b:00.0");
}

static void
test_device_removed(Fixture *f, gconstpointer data)
{
  PassEngine *e = f->engine;
  g_autoptr(PassDevice) back = make_device("0000:3b:10.0", 30, "0000:3b:00.0", "ixgbevf");

  fixture_load(f);
  pass_engine_device_removed(e, "0000:9f:00.0");
  assert_events(&f->rec, "");

  pass_engine_device_removed(e, "0000:00:1f.3");
  assert_events(&f->rec, "changed 0000:00:1f.0 removed 0000:00:1f.3 changed 0000:00:1f.4");
  assert_strings(pass_engine_get_group_members(e, pass_engine_lookup_device(e, "0000:00:1f.0")),
                 "0000:00:1f.0 0000:00:1f.4");

  /* A VF that vanishes leaves its PF; the owners stay known for when it comes back. */
  pass_engine_device_removed(e, "0000:3b:10.0");
  assert_events(&f->rec, "changed 0000:3b:00.0 removed 0000:3b:10.0");
  assert_strings(pass_engine_get_vfs(e, "0000:3b:00.0"), "0000:3b:10.2");
  assert_strings(pass_engine_get_owners(e, "0000:3b:10.0"), "vm1 vm2");
  pass_engine_device_changed(e, back);
  assert_events(&f->rec, "changed 0000:3b:00.0 added 0000:3b:10.0");

  /* Removing the PF leaves the VFs' own data alone; the index follows the inventory. */
  pass_engine_device_removed(e, "0000:3b:00.0");
  assert_events(&f->rec, "removed 0000:3b:00.0");
  assert_strings(pass_engine_get_vfs(e, "0000:3b:00.0"), "0000:3b:10.0 0000:3b:10.2");
  pass_engine_device_removed(e, "0000:3b:10.0");
  pass_engine_device_removed(e, "0000:3b:10.2");
  assert_strings(pass_engine_get_vfs(e, "0000:3b:00.0"), "");
  g_assert_cmpuint(pass_engine_get_n_devices(e), ==, 3);
  {
    g_autoptr(GPtrArray) list = pass_engine_list_devices(e);
    g_assert_cmpuint(list->len, ==, 3);
  }
}

static void
test_domains(Fixture *f, gconstpointer data)
{
  PassEngine *e = f->engine;
  g_autoptr(PassDomain) vm1_same =
      make_domain("vm1", PASS_HOSTDEV_CONFIG, "0000:3b:10.0", "0000:00:02.0", NULL);
  g_autoptr(PassDomain) vm1_live = make_domain("vm1", PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG,
                                               "0000:3b:10.2", "0000:00:02.0", NULL);
  g_autoptr(PassDomain) vm4 = make_domain("vm4", PASS_HOSTDEV_LIVE, "0000:99:00.0", NULL);
  g_autoptr(PassDevice) late = make_device("0000:99:00.0", 40, NULL, "vfio-pci");

  fixture_load(f);
  /* Domain events (what transactions observe) come after the device events they caused, so
   * an observer sees the final picture; a reset announces every domain at once. */
  f->rec.domains = TRUE;
  pass_engine_reset(e, f->devices, f->domains);
  assert_events(&f->rec, "domain *");
  pass_engine_domain_changed(e, vm1_same);
  assert_events(&f->rec, "domain vm1");
  g_assert_true(pass_engine_lookup_domain(e, "vm1") == vm1_same);

  /* vm1 gives up 3b:10.0 and takes 3b:10.2: owners change for both, nothing else. */
  pass_engine_domain_changed(e, vm1_live);
  assert_events(&f->rec, "owners 0000:3b:10.0 owners 0000:3b:10.2 domain vm1");
  assert_strings(pass_engine_get_owners(e, "0000:3b:10.0"), "vm2");
  assert_strings(pass_engine_get_owners(e, "0000:3b:10.2"), "vm1");

  pass_engine_domain_removed(e, "vm2");
  assert_events(&f->rec, "owners 0000:3b:10.0 domain vm2");
  assert_strings(pass_engine_get_owners(e, "0000:3b:10.0"), "");
  pass_engine_domain_removed(e, "vm2");
  assert_events(&f->rec, "");
  g_assert_null(pass_engine_lookup_domain(e, "vm2"));

  /* A domain holding a device the host does not show: no device event, but the device is
   * owned when it appears. */
  pass_engine_domain_changed(e, vm4);
  assert_events(&f->rec, "domain vm4");
  pass_engine_device_changed(e, late);
  assert_events(&f->rec, "added 0000:99:00.0");
  assert_strings(pass_engine_get_owners(e, "0000:99:00.0"), "vm4");
}

static void
test_connected(Fixture *f, gconstpointer data)
{
  PassEngine *e = f->engine;
  guint64 generation = pass_engine_get_generation(e);

  pass_engine_set_connected(e, FALSE, "Failed to connect socket");
  assert_events(&f->rec, "");
  g_assert_cmpstr(pass_engine_get_message(e), ==, "Failed to connect socket");
  pass_engine_set_connected(e, TRUE, NULL);
  assert_events(&f->rec, "hypervisor up");
  g_assert_true(pass_engine_is_connected(e));
  g_assert_null(pass_engine_get_message(e));
  pass_engine_set_connected(e, TRUE, NULL);
  assert_events(&f->rec, "");
  pass_engine_set_connected(e, FALSE, "End of file while reading data");
  assert_events(&f->rec, "hypervisor down End of file while reading data");
  g_assert_false(pass_engine_is_connected(e));
  g_assert_cmpuint(pass_engine_get_generation(e), ==, generation + 2);

  /* The last picture is still served after a loss. */
  fixture_load(f);
  pass_engine_set_connected(e, FALSE, "again");
  g_assert_cmpuint(pass_engine_get_n_devices(e), ==, 7);
  g_assert_true(pass_engine_has_inventory(e));
}

/* A watcher that removes itself and another during a dispatch. */
typedef struct {
  PassEngine *engine;
  guint self, other;
  guint calls;
} Remover;

static void
remove_watches(PassEngine *engine, const PassEngineEvent *event, gpointer user_data)
{
  Remover *r = user_data;

  r->calls++;
  pass_engine_remove_watch(engine, r->self);
  pass_engine_remove_watch(engine, r->other);
}

/* Device and hypervisor events only. */
static void
count_event(PassEngine *engine, const PassEngineEvent *event, gpointer user_data)
{
  if (event->type != PASS_ENGINE_EVENT_DOMAIN)
    (*(guint *)user_data)++;
}

static void
test_watch_removal(Fixture *f, gconstpointer data)
{
  PassEngine *e = f->engine;
  Remover r = {.engine = e};
  guint counted = 0, later = 0;

  r.self = pass_engine_add_watch(e, remove_watches, &r);
  r.other = pass_engine_add_watch(e, count_event, &counted);
  pass_engine_add_watch(e, count_event, &later);
  g_assert_cmpuint(r.self, !=, 0);
  g_assert_cmpuint(r.self, !=, r.other);

  pass_engine_set_connected(e, TRUE, NULL);
  g_assert_cmpuint(r.calls, ==, 1);
  g_assert_cmpuint(counted, ==, 0); /* removed before its turn */
  g_assert_cmpuint(later, ==, 1);
  assert_events(&f->rec, "hypervisor up");

  pass_engine_set_connected(e, FALSE, "gone");
  g_assert_cmpuint(r.calls, ==, 1);
  g_assert_cmpuint(later, ==, 2);
  pass_engine_remove_watch(e, 4242); /* unknown: ignored */
}

/* ---- randomized run against a brute-force model ---- */

#define N_ADDRESSES 12

static const char *
model_address(guint i)
{
  static char addresses[N_ADDRESSES][16];

  g_snprintf(addresses[i], sizeof addresses[i], "0000:%02u:00.0", i);
  return addresses[i];
}

static int
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A device as the API shows it: fields plus relations, computed the slow obvious way. */
static char *
model_view(GHashTable *devices, GHashTable *domains, const char *address)
{
  PassDevice *d = g_hash_table_lookup(devices, address);
  g_autoptr(GPtrArray) members = g_ptr_array_new();
  g_autoptr(GPtrArray) vfs = g_ptr_array_new();
  g_autoptr(GPtrArray) owners = g_ptr_array_new();
  g_autofree char *m = NULL, *v = NULL, *o = NULL;
  GHashTableIter iter;
  gpointer value;

  if (!d)
    return NULL;
  g_hash_table_iter_init(&iter, devices);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    PassDevice *other = value;
    if (d->iommu_group >= 0 && other->iommu_group == d->iommu_group)
      g_ptr_array_add(members, other->address);
    if (g_strcmp0(other->physfn, address) == 0)
      g_ptr_array_add(vfs, other->address);
  }
  g_hash_table_iter_init(&iter, domains);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    if (pass_domain_find_hostdev(value, address))
      g_ptr_array_add(owners, ((PassDomain *)value)->name);
  g_ptr_array_sort(members, compare_strings);
  g_ptr_array_sort(vfs, compare_strings);
  g_ptr_array_sort(owners, compare_strings);
  m = join(members);
  v = join(vfs);
  o = join(owners);
  return g_strdup_printf("%s/%d/%s|%s|%s|%s", d->driver ? d->driver : "-", d->iommu_group,
                         d->physfn ? d->physfn : "-", m, v, o);
}

static void
check_against_model(PassEngine *e, Recorder *rec, GHashTable *devices, GHashTable *domains,
                    char **before)
{
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *got = take_events(rec);
  g_autofree char *want = NULL;

  for (guint i = 0; i < N_ADDRESSES; i++) {
    const char *address = model_address(i);
    g_autofree char *after = model_view(devices, domains, address);
    PassDevice *d = pass_engine_lookup_device(e, address);

    if (!before[i] && after)
      g_ptr_array_add(expected, g_strdup_printf("added %s", address));
    else if (before[i] && !after)
      g_ptr_array_add(expected, g_strdup_printf("removed %s", address));
    else if (before[i] && after && strcmp(before[i], after) != 0) {
      /* Only the part after the last '|' differs: owners. */
      const char *bo = strrchr(before[i], '|'), *ao = strrchr(after, '|');
      gboolean only_owners =
          bo - before[i] == ao - after && strncmp(before[i], after, (gsize)(bo - before[i])) == 0;
      g_ptr_array_add(expected,
                      g_strdup_printf("%s %s", only_owners ? "owners" : "changed", address));
    }

    if (!after) {
      g_assert_null(d);
    } else {
      g_autofree char *m = join(pass_engine_get_group_members(e, d));
      g_autofree char *v = join(pass_engine_get_vfs(e, address));
      g_autofree char *o = join(pass_engine_get_owners(e, address));
      g_autofree char *view = g_strdup_printf("%s/%d/%s|%s|%s|%s", d->driver ? d->driver : "-",
                                              d->iommu_group, d->physfn ? d->physfn : "-", m, v, o);
      g_assert_cmpstr(view, ==, after);
    }
    g_free(before[i]);
    before[i] = g_steal_pointer(&after);
  }
  want = join(expected);
  g_assert_cmpstr(got, ==, want);
  g_assert_cmpuint(pass_engine_get_n_devices(e), ==, g_hash_table_size(devices));
}

static PassDevice *
random_device(GRand *rand, const char *address)
{
  static const char *const drivers[] = {NULL, "vfio-pci", "ixgbe"};
  int group = g_rand_int_range(rand, -1, 4);
  const char *physfn = g_rand_boolean(rand) ? NULL : model_address(g_rand_int_range(rand, 0, 3));

  if (g_strcmp0(physfn, address) == 0)
    physfn = NULL;
  return make_device(address, group, physfn, drivers[g_rand_int_range(rand, 0, 3)]);
}

static PassDomain *
random_domain(GRand *rand, guint n)
{
  g_autofree char *name = g_strdup_printf("vm%u", n);
  PassDomain *domain = pass_domain_new(name);

  for (guint i = 0; i < N_ADDRESSES; i++) {
    if (g_rand_int_range(rand, 0, 4) == 0) {
      PassHostdev *hostdev = pass_hostdev_new();
      hostdev->address = g_strdup(model_address(i));
      hostdev->where = (guint)g_rand_int_range(rand, 1, 4);
      g_ptr_array_add(domain->hostdevs, hostdev);
    }
  }
  return domain;
}

static void
test_random(void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(g_test_rand_int());
  g_autoptr(PassEngine) e = pass_engine_new();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func(g_free);
  Recorder rec = {.engine = e, .events = events};
  g_autoptr(GHashTable) devices =
      g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)pass_device_unref);
  g_autoptr(GHashTable) domains =
      g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)pass_domain_unref);
  char *before[N_ADDRESSES] = {NULL};

  pass_engine_add_watch(e, record, &rec);
  for (guint step = 0; step < 3000; step++) {
    guint op = (guint)g_rand_int_range(rand, 0, 10);
    const char *address = model_address((guint)g_rand_int_range(rand, 0, N_ADDRESSES));

    if (op < 4) {
      PassDevice *d = random_device(rand, address);
      g_hash_table_replace(devices, d->address, pass_device_ref(d));
      pass_engine_device_changed(e, d);
      pass_device_unref(d);
    } else if (op < 6) {
      g_hash_table_remove(devices, address);
      pass_engine_device_removed(e, address);
    } else if (op < 8) {
      PassDomain *dom = random_domain(rand, (guint)g_rand_int_range(rand, 0, 4));
      g_hash_table_replace(domains, dom->name, pass_domain_ref(dom));
      pass_engine_domain_changed(e, dom);
      pass_domain_unref(dom);
    } else if (op < 9) {
      g_autofree char *name = g_strdup_printf("vm%d", g_rand_int_range(rand, 0, 4));
      g_hash_table_remove(domains, name);
      pass_engine_domain_removed(e, name);
    } else {
      /* A reset to a mutated copy of the model. */
      g_autoptr(GPtrArray) devs = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
      g_autoptr(GPtrArray) doms = g_ptr_array_new_with_free_func((GDestroyNotify)pass_domain_unref);
      GHashTableIter iter;
      gpointer value;

      if (g_rand_boolean(rand)) {
        PassDevice *d = random_device(rand, address);
        g_hash_table_replace(devices, d->address, d);
      }
      g_hash_table_iter_init(&iter, devices);
      while (g_hash_table_iter_next(&iter, NULL, &value))
        g_ptr_array_add(devs, pass_device_ref(value));
      g_hash_table_iter_init(&iter, domains);
      while (g_hash_table_iter_next(&iter, NULL, &value))
        g_ptr_array_add(doms, pass_domain_ref(value));
      pass_engine_reset(e, devs, doms);
    }
    check_against_model(e, &rec, devices, domains, before);
  }
  for (guint i = 0; i < N_ADDRESSES; i++)
    g_free(before[i]);
}

/* Indexes make a big inventory cheap: 4160 devices in groups of 8, 64 VFs per PF. */
static void
test_large(void)
{
  g_autoptr(PassEngine) e = pass_engine_new();
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
  g_autoptr(GPtrArray) list = NULL;
  guint events = 0;
  gint64 start;

  pass_engine_add_watch(e, count_event, &events);
  for (guint i = 0; i < 4160; i++) {
    g_autofree char *address = g_strdup_printf("0000:%02x:%02x.%u", i / 256, (i / 8) % 32, i % 8);
    g_autofree char *pf = g_strdup_printf("0000:%02x:00.0", i / 256);
    g_ptr_array_add(devices, make_device(address, (int)(i / 8), i % 64 ? pf : NULL, NULL));
  }
  start = g_get_monotonic_time();
  pass_engine_reset(e, devices, NULL);
  pass_engine_reset(e, devices, NULL);
  list = pass_engine_list_devices(e);
  g_test_message("2 resets of 4160 devices: %" G_GINT64_FORMAT " us",
                 g_get_monotonic_time() - start);
  g_assert_cmpuint(events, ==, 4160);
  g_assert_cmpuint(list->len, ==, 4160);
  g_assert_cmpuint(pass_engine_get_vfs(e, "0000:00:00.0")->len, ==, 252);
  g_assert_cmpuint(pass_engine_get_group_members(e, list->pdata[9])->len, ==, 8);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  g_test_add_func("/engine/empty", test_empty);
  ADD("/engine/relations", test_relations);
  ADD("/engine/reset-events", test_reset_events);
  ADD("/engine/device-changed", test_device_changed);
  ADD("/engine/device-removed", test_device_removed);
  ADD("/engine/domains", test_domains);
  ADD("/engine/connected", test_connected);
  ADD("/engine/watch-removal", test_watch_removal);
  g_test_add_func("/engine/random", test_random);
  g_test_add_func("/engine/large", test_large);
#undef ADD
  return g_test_run();
}
