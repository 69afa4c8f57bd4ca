/* Mediated devices in the transactions against the recording fake ops: types, create (the
 * parent by either name, NoSuchDevice for an unknown parent or type, NoCapacity, a UUID in use,
 * persistent/autostart handed on), attach and detach of an mdev (its <hostdev type='mdev'>, no
 * host-driver step, no interface or whole group), remove refused while owned, then done. */
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
} Outcome;

static void
outcome_clear(Outcome *o)
{
  g_free(o->address);
  g_clear_error(&o->error);
  g_clear_pointer(&o->types, g_ptr_array_unref);
  g_strfreev(o->actions);
  g_strfreev(o->xmls);
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

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/tx-mdev/types", Fixture, NULL, fixture_setup, test_types, fixture_teardown);
  g_test_add("/tx-mdev/create", Fixture, NULL, fixture_setup, test_create, fixture_teardown);
  g_test_add("/tx-mdev/attach-remove", Fixture, NULL, fixture_setup, test_attach_remove,
             fixture_teardown);
  return g_test_run();
}
