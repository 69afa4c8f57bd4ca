/* Mediated devices in the transactions against the recording fake ops: types, create (the
 * parent by either name, NoSuchDevice for an unknown parent or type, NoCapacity, a UUID in use,
 * persistent/autostart handed on), attach and detach of an mdev (its <hostdev type='mdev'>, no
 * host-driver step, no interface or whole group), remove refused while owned, then done. */
#include <glib/gstdio.h>
#include <string.h>

#include "fake-ops.h"
#include "pass-error.h"
#include "tx.h"

#define UUID "0b5e9a7e-1d4c-4a8e-9f3e-2c4d5e6f7a80"
#define MDEV "mdev:" UUID

typedef struct {
  PassEngine *engine;
  PassTx *tx;
  FakeOps *fake;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  f->engine = pass_engine_new();
  f->tx = pass_tx_new(f->engine);
  f->fake = fake_ops_new();
  fake_ops_add_device(f->fake, "0000:02:00.0", 2, NULL, 0x010802, "nvme", "nvme");
  fake_ops_add_mdev_type(f->fake, "mtty", "mtty_mtty", "mtty-1", 2);
  fake_ops_add_mdev_type(f->fake, "mtty", "mtty_mtty", "mtty-2", 0);
  fake_ops_add_domain(f->fake, "vm1", TRUE, TRUE);
  fake_ops_load(f->fake, f->engine);
  pass_tx_set_ops(f->tx, fake_ops_get_ops(f->fake));
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  pass_tx_free(f->tx);
  pass_engine_free(f->engine);
}

typedef struct {
  gboolean finished;
  char *address;
  GError *error;
  GPtrArray *types;
  /* attach/detach */
  char **actions;
  char **xmls;
  /* attach by type: the first pick */
  char *pick_address, *pick_parent, *pick_reason;
} Outcome;

static void
outcome_clear(Outcome *o)
{
  g_free(o->address);
  g_clear_error(&o->error);
  g_clear_pointer(&o->types, g_ptr_array_unref);
  g_strfreev(o->actions);
  g_strfreev(o->xmls);
  g_free(o->pick_address);
  g_free(o->pick_parent);
  g_free(o->pick_reason);
  memset(o, 0, sizeof *o);
}

static void
wait_for(Outcome *o)
{
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

  while (!o->finished) {
    g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    g_main_context_iteration(NULL, TRUE);
  }
}

static void
on_mdev(const char *address, const GError *error, gpointer user_data)
{
  Outcome *o = user_data;

  o->finished = TRUE;
  o->address = g_strdup(address);
  o->error = error ? g_error_copy(error) : NULL;
}

static void
on_types(GPtrArray *types, const GError *error, gpointer user_data)
{
  Outcome *o = user_data;

  o->finished = TRUE;
  o->types = types ? g_ptr_array_ref(types) : NULL;
  o->error = error ? g_error_copy(error) : NULL;
}

static void
on_op(const PassOpResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  o->finished = TRUE;
  o->error = result->error ? g_error_copy(result->error) : NULL;
  if (result->actions) {
    o->actions = g_new0(char *, result->actions->len + 1);
    o->xmls = g_new0(char *, result->actions->len + 1);
    for (guint i = 0; i < result->actions->len; i++) {
      const PassAction *a = g_ptr_array_index(result->actions, i);

      o->actions[i] = g_strdup_printf("%d %s", a->type, a->address);
      o->xmls[i] = g_strdup(a->xml ? a->xml : "");
    }
  }
  if (result->picks && result->picks->len) {
    const PassPoolPick *pick = g_ptr_array_index(result->picks, 0);

    o->pick_address = g_strdup(pick->address);
    o->pick_parent = g_strdup(pick->pf);
    o->pick_reason = g_strdup(pick->reason);
  }
}

static void
create(Fixture *f, const char *parent, const char *type, const char *uuid, guint flags, Outcome *o)
{
  outcome_clear(o);
  pass_tx_create_mdev(f->tx, NULL, parent, type, uuid, flags, on_mdev, o);
  wait_for(o);
}

static void
test_types(Fixture *f, gconstpointer data)
{
  Outcome o = {0};

  pass_tx_list_mdev_types(f->tx, on_types, &o);
  wait_for(&o);
  g_assert_no_error(o.error);
  g_assert_cmpuint(o.types->len, ==, 2);
  g_assert_cmpstr(((PassMdevType *)g_ptr_array_index(o.types, 0))->id, ==, "mtty-1");
  outcome_clear(&o);
  /* without libvirt: HypervisorUnavailable at once */
  pass_tx_set_ops(f->tx, NULL);
  pass_tx_list_mdev_types(f->tx, on_types, &o);
  g_assert_true(o.finished);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE);
  outcome_clear(&o);
}

static void
test_create(Fixture *f, gconstpointer data)
{
  Outcome o = {0};
  PassDevice *device;

  /* by the API's name, a fresh UUID; the engine has it when the reply comes */
  create(f, "mtty", "mtty-1", NULL, 0, &o);
  g_assert_no_error(o.error);
  g_assert_true(g_str_has_prefix(o.address, "mdev:"));
  device = pass_engine_lookup_device(f->engine, o.address);
  g_assert_nonnull(device);
  g_assert_cmpint(device->kind, ==, PASS_DEVICE_KIND_MDEV);
  g_assert_cmpstr(device->mdev_type, ==, "mtty-1");
  /* by libvirt's name, a given UUID (any case), autostart implies persistent */
  create(f, "mtty_mtty", "mtty-1", "0B5E9A7E-1D4C-4A8E-9F3E-2C4D5E6F7A80", PASS_TX_MDEV_AUTOSTART,
         &o);
  g_assert_no_error(o.error);
  g_assert_cmpstr(o.address, ==, MDEV);
  g_assert_true(pass_engine_lookup_device(f->engine, MDEV)->mdev_state & PASS_MDEV_PERSISTENT);
  fake_ops_assert_calls(f->fake, (const char *const[]){"create_mdev mtty_mtty mtty-1 (new)",
                                                       "create_mdev mtty_mtty mtty-1 " UUID
                                                       " persistent autostart",
                                                       NULL});
  /* the same UUID again: InvalidParameter before libvirt is asked */
  create(f, "mtty", "mtty-1", UUID, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  /* none left now, none ever of mtty-2: NoCapacity */
  create(f, "mtty", "mtty-1", NULL, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_CAPACITY);
  g_assert_cmpstr(o.error->message, ==, "mtty has no instance of mtty-1 left to create");
  create(f, "mtty", "mtty-2", NULL, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_CAPACITY);
  /* unknown parent, unknown type, bad UUID, missing type */
  create(f, "nope", "mtty-1", NULL, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
  g_assert_cmpstr(o.error->message, ==, "nope is no mdev parent");
  create(f, "mtty", "mtty-9", NULL, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
  g_assert_cmpstr(o.error->message, ==, "mtty offers no mdev type mtty-9");
  create(f, "mtty", "mtty-1", "not-a-uuid", 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  create(f, "mtty", "", NULL, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "create_mdev"), ==, 2);
  outcome_clear(&o);
}

static void
test_attach_remove(Fixture *f, gconstpointer data)
{
  Outcome o = {0};

  create(f, "mtty", "mtty-1", UUID, 0, &o);
  g_assert_no_error(o.error);
  /* no interface, no whole group */
  outcome_clear(&o);
  pass_tx_attach(f->tx, NULL, "vm1", MDEV, PASS_OP_INTERFACE, on_op, &o);
  wait_for(&o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  outcome_clear(&o);
  pass_tx_attach(f->tx, NULL, "vm1", MDEV, PASS_OP_WHOLE_GROUP, on_op, &o);
  wait_for(&o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  /* attach: one step, the mdev hostdev; no host driver touched */
  outcome_clear(&o);
  pass_tx_attach(f->tx, NULL, "vm1", MDEV, 0, on_op, &o);
  wait_for(&o);
  g_assert_no_error(o.error);
  g_assert_cmpuint(g_strv_length(o.actions), ==, 1);
  g_assert_nonnull(strstr(o.xmls[0], "type=\"mdev\" model=\"vfio-pci\""));
  g_assert_nonnull(strstr(o.xmls[0], "<address uuid=\"" UUID "\"/>"));
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "detach_host"), ==, 0);
  g_assert_cmpuint(pass_engine_get_owners(f->engine, MDEV)->len, ==, 1);
  /* remove refused while vm1 holds it */
  outcome_clear(&o);
  pass_tx_remove_mdev(f->tx, NULL, MDEV, on_mdev, &o);
  wait_for(&o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_DEVICE_IN_USE);
  g_assert_cmpstr(o.error->message, ==, MDEV " is assigned to vm1");
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "remove_mdev"), ==, 0);
  /* config-only detach (nothing to wait for), then remove */
  outcome_clear(&o);
  pass_tx_detach(f->tx, NULL, "vm1", MDEV, PASS_OP_CONFIG, PASS_TX_REMOVAL_TIMEOUT_DEFAULT, on_op,
                 &o);
  wait_for(&o);
  g_assert_no_error(o.error);
  g_assert_cmpuint(g_strv_length(o.actions), ==, 1); /* no reattach to a host driver */
  g_assert_nonnull(strstr(o.xmls[0], "<address uuid=\"" UUID "\"/>"));
  outcome_clear(&o);
  pass_tx_detach(f->tx, NULL, "vm1", MDEV, PASS_OP_LIVE, 2000, on_op, &o);
  {
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    g_autofree char *alias = NULL;

    /* the guest lets go once the unplug was asked */
    while (!o.finished && !(alias = fake_ops_release(f->fake, "vm1", MDEV))) {
      g_assert_cmpint(g_get_monotonic_time(), <, deadline);
      g_main_context_iteration(NULL, FALSE);
      g_usleep(1000);
    }
    if (alias)
      pass_tx_device_removal(f->tx, "vm1", alias, FALSE);
  }
  wait_for(&o);
  g_assert_no_error(o.error);
  g_assert_cmpuint(pass_engine_get_owners(f->engine, MDEV)->len, ==, 0);
  outcome_clear(&o);
  pass_tx_remove_mdev(f->tx, NULL, MDEV, on_mdev, &o);
  wait_for(&o);
  g_assert_no_error(o.error);
  g_assert_null(pass_engine_lookup_device(f->engine, MDEV));
  /* gone now; a PCI address is no mdev */
  outcome_clear(&o);
  pass_tx_remove_mdev(f->tx, NULL, MDEV, on_mdev, &o);
  wait_for(&o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
  outcome_clear(&o);
  pass_tx_remove_mdev(f->tx, NULL, "0000:02:00.0", on_mdev, &o);
  g_assert_true(o.finished);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
  outcome_clear(&o);
}

/* libvirt lists a removed instance until udev reports it gone: the reply still means gone. */
static void
test_remove_libvirt_late(Fixture *f, gconstpointer data)
{
  Outcome o = {0};
  g_autoptr(GError) error = NULL;
  g_autoptr(PassDevice) late = NULL;

  create(f, "mtty", "mtty-1", UUID, 0, &o);
  g_assert_no_error(o.error);
  outcome_clear(&o);
  fake_ops_set_mdevs_linger(f->fake);
  pass_tx_remove_mdev(f->tx, NULL, MDEV, on_mdev, &o);
  wait_for(&o);
  g_assert_no_error(o.error);
  late = fake_ops_get_ops(f->fake)->klass->read_device(fake_ops_get_ops(f->fake), f->fake, MDEV,
                                                       &error);
  g_assert_no_error(error);
  g_assert_nonnull(late);
  g_assert_null(pass_engine_lookup_device(f->engine, MDEV));
  outcome_clear(&o);
}

static void
attach_type(Fixture *f, const char *type, const char *parent, guint flags, guint mdev_flags,
            Outcome *o)
{
  outcome_clear(o);
  pass_tx_attach_mdev_type(f->tx, NULL, "vm1", type, parent, flags, mdev_flags, on_op, o);
  wait_for(o);
}

/* A live detach of @address from vm1 whose guest lets go. */
static void
detach_released(Fixture *f, const char *address, Outcome *o)
{
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  g_autofree char *alias = NULL;

  outcome_clear(o);
  pass_tx_detach(f->tx, NULL, "vm1", address, 0, 2000, on_op, o);
  while (!o->finished && !(alias = fake_ops_release(f->fake, "vm1", address))) {
    g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    g_main_context_iteration(NULL, FALSE);
    g_usleep(1000);
  }
  if (alias)
    pass_tx_device_removal(f->tx, "vm1", alias, FALSE);
  wait_for(o);
}

static void
test_type_pick(Fixture *f, gconstpointer data)
{
  Outcome o = {0};
  g_autofree char *first = NULL;
  g_autofree char *call = NULL;

  /* a second parent with more left: it is chosen, and said why */
  fake_ops_add_mdev_type(f->fake, "mtty9", "mtty_mtty9", "mtty-1", 3);
  attach_type(f, "mtty-1", NULL, 0, 0, &o);
  g_assert_no_error(o.error);
  g_assert_true(g_str_has_prefix(o.pick_address, "mdev:"));
  g_assert_cmpstr(o.pick_parent, ==, "mtty9");
  g_assert_cmpstr(o.pick_reason, ==, "the most instances of mtty-1 left (3), ties by parent name");
  g_assert_cmpuint(pass_engine_get_owners(f->engine, o.pick_address)->len, ==, 1);
  call = g_strdup_printf("create_mdev mtty_mtty9 mtty-1 %s", o.pick_address + 5);
  {
    g_auto(GStrv) calls = fake_ops_get_calls(f->fake);

    g_assert_cmpstr(calls[0], ==, call);
  }
  first = g_strdup(o.pick_address);
  /* 2 left on each now: the tie goes by name */
  attach_type(f, "mtty-1", NULL, 0, 0, &o);
  g_assert_no_error(o.error);
  g_assert_cmpstr(o.pick_parent, ==, "mtty");
  g_assert_cmpstr(o.pick_address, !=, first);
  /* only the parent asked for, by either name */
  attach_type(f, "mtty-1", "mtty_mtty9", 0, 0, &o);
  g_assert_no_error(o.error);
  g_assert_cmpstr(o.pick_parent, ==, "mtty9");
  /* dry run: the pick only, nothing created */
  attach_type(f, "mtty-1", NULL, PASS_OP_DRY_RUN, 0, &o);
  g_assert_no_error(o.error);
  g_assert_nonnull(o.pick_parent);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "create_mdev"), ==, 3);
  /* no interface, no whole group, a type needed */
  attach_type(f, "mtty-1", NULL, PASS_OP_INTERFACE, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  attach_type(f, "", NULL, 0, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "create_mdev"), ==, 3);
  outcome_clear(&o);
}

static void
test_type_no_capacity(Fixture *f, gconstpointer data)
{
  Outcome o = {0};

  attach_type(f, "mtty-2", NULL, 0, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_CAPACITY);
  g_assert_cmpstr(o.error->message, ==, "No mdev parent has an instance of mtty-2 left to create");
  attach_type(f, "mtty-2", "mtty", 0, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_CAPACITY);
  g_assert_cmpstr(o.error->message, ==, "mtty has no instance of mtty-2 left to create");
  /* an unknown parent or type is no question of capacity */
  attach_type(f, "mtty-1", "mtty9", 0, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
  g_assert_cmpstr(o.error->message, ==, "mtty9 is no mdev parent");
  attach_type(f, "mtty-9", NULL, 0, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
  g_assert_cmpstr(o.error->message, ==, "No mdev parent offers type mtty-9");
  attach_type(f, "mtty-9", "mtty_mtty", 0, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
  g_assert_cmpstr(o.error->message, ==, "mtty_mtty offers no mdev type mtty-9");
  /* both of mtty-1 taken, then none left */
  attach_type(f, "mtty-1", NULL, 0, 0, &o);
  g_assert_no_error(o.error);
  attach_type(f, "mtty-1", NULL, 0, 0, &o);
  g_assert_no_error(o.error);
  attach_type(f, "mtty-1", NULL, 0, 0, &o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_CAPACITY);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "create_mdev"), ==, 2);
  outcome_clear(&o);
}

static void
test_type_rollback(Fixture *f, gconstpointer data)
{
  Outcome o = {0};
  g_auto(GStrv) calls = NULL;
  g_autofree char *address = NULL;

  fake_ops_fail_call(f->fake, "attach vm1");
  attach_type(f, "mtty-1", NULL, 0, 0, &o);
  g_assert_nonnull(o.error);
  calls = fake_ops_get_calls(f->fake);
  g_assert_cmpuint(g_strv_length(calls), ==, 3);
  g_assert_true(g_str_has_prefix(calls[0], "create_mdev mtty_mtty mtty-1 "));
  g_assert_true(g_str_has_prefix(calls[1], "attach vm1 mdev:"));
  address =
      g_strconcat("remove_mdev mdev:", calls[0] + strlen("create_mdev mtty_mtty mtty-1 "), NULL);
  g_assert_cmpstr(calls[2], ==, address);
  /* nothing left behind: both instances can be made again */
  attach_type(f, "mtty-1", NULL, 0, 0, &o);
  g_assert_no_error(o.error);
  attach_type(f, "mtty-1", NULL, 0, 0, &o);
  g_assert_no_error(o.error);
  outcome_clear(&o);
}

static void
test_type_detach(Fixture *f, gconstpointer data)
{
  Outcome o = {0};
  g_autofree char *transient = NULL, *persistent = NULL;

  attach_type(f, "mtty-1", NULL, 0, 0, &o);
  g_assert_no_error(o.error);
  transient = g_strdup(o.pick_address);
  attach_type(f, "mtty-1", NULL, 0, PASS_TX_MDEV_PERSISTENT, &o);
  g_assert_no_error(o.error);
  persistent = g_strdup(o.pick_address);
  g_assert_true(pass_engine_lookup_device(f->engine, persistent)->mdev_state &
                PASS_MDEV_PERSISTENT);
  /* the transient one goes after its detach: an explicit remove queued behind finds it gone */
  detach_released(f, transient, &o);
  g_assert_no_error(o.error);
  outcome_clear(&o);
  pass_tx_remove_mdev(f->tx, NULL, transient, on_mdev, &o);
  wait_for(&o);
  g_assert_error(o.error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
  g_assert_null(pass_engine_lookup_device(f->engine, transient));
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "remove_mdev"), ==, 1);
  /* the persistent one stays: the explicit remove is the first */
  detach_released(f, persistent, &o);
  g_assert_no_error(o.error);
  g_assert_nonnull(pass_engine_lookup_device(f->engine, persistent));
  outcome_clear(&o);
  pass_tx_remove_mdev(f->tx, NULL, persistent, on_mdev, &o);
  wait_for(&o);
  g_assert_no_error(o.error);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "remove_mdev"), ==, 2);
  outcome_clear(&o);
}

/* The journal as a passd that died after recording @address's create would have left it. */
static void
journal_with_create(const char *dir, const char *address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PassJournal) journal = pass_journal_open(dir, &error);
  g_autoptr(JsonObject) record = json_object_new();

  g_assert_no_error(error);
  json_object_set_string_member(record, "type", "mdev");
  json_object_set_string_member(record, "address", address);
  json_object_set_boolean_member(record, "transient", TRUE);
  g_assert_cmpuint(pass_journal_append(journal, record, &error), >, 0);
  g_assert_no_error(error);
}

/* passd restarts with the journal in @dir as the crash left it, on a host that has the fixture's
 * devices and, when @instance, MDEV (held by vm1 when @attached); @crashed_creating: the dead
 * passd had recorded its create. */
static void
restart_with_journal(Fixture *f, const char *dir, gboolean instance, gboolean attached,
                     gboolean crashed_creating)
{
  g_autoptr(GError) error = NULL;
  PassJournal *journal;

  pass_tx_free(f->tx); /* and the fake ops with it */
  pass_engine_free(f->engine);
  if (crashed_creating)
    journal_with_create(dir, MDEV);
  f->fake = fake_ops_new();
  fake_ops_add_device(f->fake, "0000:02:00.0", 2, NULL, 0x010802, "nvme", "nvme");
  fake_ops_add_mdev_type(f->fake, "mtty", "mtty_mtty", "mtty-1", 2);
  fake_ops_add_domain(f->fake, "vm1", TRUE, TRUE);
  if (instance) {
    PassOps *ops = fake_ops_get_ops(f->fake);
    g_autofree char *address =
        ops->klass->create_mdev(ops, f->fake, "mtty_mtty", "mtty-1", UUID, FALSE, FALSE, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(address, ==, MDEV);
  }
  if (attached)
    fake_ops_add_hostdev(f->fake, "vm1", MDEV, PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG);
  journal = pass_journal_open(dir, &error);
  g_assert_no_error(error);
  f->engine = pass_engine_new();
  f->tx = pass_tx_new(f->engine);
  pass_tx_set_ops(f->tx, fake_ops_get_ops(f->fake));
  pass_tx_set_journal(f->tx, journal);
  fake_ops_load(f->fake, f->engine);
  pass_tx_recover(f->tx);
}

static void
spin_until_gone(Fixture *f, const char *address)
{
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

  while (pass_engine_lookup_device(f->engine, address)) {
    g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    g_main_context_iteration(NULL, FALSE);
    g_usleep(1000);
  }
}

static void
test_type_recover(Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_dir_make_tmp("passd-tx-mdev-XXXXXX", NULL);
  g_autofree char *journal_path = NULL;
  Outcome o = {0};

  /* crashed between the create and the attach: recovery removes the unowned instance */
  restart_with_journal(f, dir, TRUE, FALSE, TRUE);
  spin_until_gone(f, MDEV);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "remove_mdev " MDEV), ==, 1);
  /* and it is done with: the next start (the instance there again) leaves it alone */
  restart_with_journal(f, dir, TRUE, FALSE, FALSE);
  create(f, "mtty", "mtty-1", NULL, 0, &o); /* a round trip through a worker */
  g_assert_no_error(o.error);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "remove_mdev"), ==, 0);
  /* crashed after the attach completed: kept, and removed on its detach after a restart */
  restart_with_journal(f, dir, TRUE, TRUE, TRUE);
  restart_with_journal(f, dir, TRUE, TRUE, FALSE); /* what that recovery recorded holds */
  g_assert_nonnull(pass_engine_lookup_device(f->engine, MDEV));
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "remove_mdev"), ==, 0);
  detach_released(f, MDEV, &o);
  g_assert_no_error(o.error);
  spin_until_gone(f, MDEV);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "remove_mdev " MDEV), ==, 1);
  outcome_clear(&o);
  journal_path = g_strdup(pass_tx_get_journal_path(f->tx));
  pass_tx_free(f->tx);
  f->tx = pass_tx_new(f->engine); /* for teardown */
  g_unlink(journal_path);
  g_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/tx-mdev/types", Fixture, NULL, fixture_setup, test_types, fixture_teardown);
  g_test_add("/tx-mdev/create", Fixture, NULL, fixture_setup, test_create, fixture_teardown);
  g_test_add("/tx-mdev/attach-remove", Fixture, NULL, fixture_setup, test_attach_remove,
             fixture_teardown);
  g_test_add("/tx-mdev/remove-libvirt-late", Fixture, NULL, fixture_setup, test_remove_libvirt_late,
             fixture_teardown);
  g_test_add("/tx-mdev/type-pick", Fixture, NULL, fixture_setup, test_type_pick, fixture_teardown);
  g_test_add("/tx-mdev/type-no-capacity", Fixture, NULL, fixture_setup, test_type_no_capacity,
             fixture_teardown);
  g_test_add("/tx-mdev/type-rollback", Fixture, NULL, fixture_setup, test_type_rollback,
             fixture_teardown);
  g_test_add("/tx-mdev/type-detach", Fixture, NULL, fixture_setup, test_type_detach,
             fixture_teardown);
  g_test_add("/tx-mdev/type-recover", Fixture, NULL, fixture_setup, test_type_recover,
             fixture_teardown);
  return g_test_run();
}
