/* The engine's Attach/Detach/Reattach transactions against the recording fake ops: validation
 * errors with their parameters, the planned and executed steps, rollback to the exact driver,
 * serialization and parallelism, the unplug wait (event, failure, timeout then late event), the
 * configured protected devices and default removal timeout, and the journal fields of the
 * operations' log lines. */
#include <string.h>

#include "tx-locks.h"
#include "tx.h"
#include "fake-ops.h"
#include "pass-error.h"

#define VFIO "vfio-pci"

typedef struct {
  PassEngine *engine;
  PassTx *tx;
  FakeOps *fake;
} Fixture;

/* The host:
 *   00:01.0 bridge (protected), group 0
 *   01:00.0 GPU (nouveau) + 01:00.1 its audio (snd_hda_intel), group 1
 *   02:00.0 NVMe (nvme), group 2;  03:00.0 NIC without a driver, group 3
 *   04:00.0 SR-IOV PF (igb), group 4, VFs 04:10.0 (igbvf, group 5) and 04:10.2 (none, group 6)
 *   05:00.0 (vfio-pci) held by vm2's definition, group 7
 *   06:00.0 (vfio-pci) nobody's, group 8; the kernel would give it e1000e
 * Domains: vm1 running+persistent, vm2 shut off+persistent, vmt running+transient. */
static void
fixture_setup(Fixture *f, gconstpointer data)
{
  f->engine = pass_engine_new();
  f->tx = pass_tx_new(f->engine);
  f->fake = fake_ops_new();
  fake_ops_add_device(f->fake, "0000:00:01.0", 0, NULL, 0x060400, "pcieport", "pcieport");
  fake_ops_add_device(f->fake, "0000:01:00.0", 1, NULL, 0x030000, "nouveau", "nouveau");
  fake_ops_add_device(f->fake, "0000:01:00.1", 1, NULL, 0x040300, "snd_hda_intel", "snd_hda_intel");
  fake_ops_add_device(f->fake, "0000:02:00.0", 2, NULL, 0x010802, "nvme", "nvme");
  fake_ops_add_device(f->fake, "0000:03:00.0", 3, NULL, 0x020000, NULL, "e1000e");
  fake_ops_add_device(f->fake, "0000:04:00.0", 4, NULL, 0x020000, "igb", "igb");
  fake_ops_add_device(f->fake, "0000:04:10.0", 5, "0000:04:00.0", 0x020000, "igbvf", "igbvf");
  fake_ops_add_device(f->fake, "0000:04:10.2", 6, "0000:04:00.0", 0x020000, NULL, "igbvf");
  fake_ops_add_device(f->fake, "0000:05:00.0", 7, NULL, 0x020000, VFIO, "e1000e");
  fake_ops_add_device(f->fake, "0000:06:00.0", 8, NULL, 0x020000, VFIO, "e1000e");
  fake_ops_add_domain(f->fake, "vm1", TRUE, TRUE);
  fake_ops_add_domain(f->fake, "vm2", FALSE, TRUE);
  fake_ops_add_domain(f->fake, "vmt", TRUE, FALSE);
  fake_ops_add_hostdev(f->fake, "vm2", "0000:05:00.0", PASS_HOSTDEV_CONFIG);
  fake_ops_set_protected(f->fake, "0000:00:01.0", "it is a bridge");
  fake_ops_load(f->fake, f->engine);
  pass_tx_set_ops(f->tx, fake_ops_get_ops(f->fake));
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  g_assert_cmpuint(pass_tx_get_n_operations(f->tx), ==, 0);
  pass_tx_free(f->tx); /* frees the fake with its ops */
  pass_engine_free(f->engine);
}

/* ---- running operations ---- */

typedef struct {
  gboolean finished;
  int code; /* -1: success */
  char *message;
  GStrv owners;
  int group;
  GStrv blockers; /* "address=driver" */
  char *address, *domain, *reason, *parameter;
  GStrv devices;
  GStrv actions; /* "detach_host 0000:02:00.0 nvme->vfio-pci", "attach vm1 ... live+config" */
  GStrv xmls;
} Outcome;

static void
outcome_clear(Outcome *o)
{
  g_free(o->message);
  g_strfreev(o->owners);
  g_strfreev(o->blockers);
  g_free(o->address);
  g_free(o->domain);
  g_free(o->reason);
  g_free(o->parameter);
  g_strfreev(o->devices);
  g_strfreev(o->actions);
  g_strfreev(o->xmls);
  memset(o, 0, sizeof *o);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Outcome, outcome_clear)

static GStrv
strv_from(GPtrArray *strings)
{
  GStrv out = g_new0(char *, (strings ? strings->len : 0) + 1);

  for (guint i = 0; strings && i < strings->len; i++)
    out[i] = g_strdup(g_ptr_array_index(strings, i));
  return out;
}

static const char *
where_text(guint where)
{
  if ((where & PASS_HOSTDEV_LIVE) && (where & PASS_HOSTDEV_CONFIG))
    return "live+config";
  return (where & PASS_HOSTDEV_LIVE) ? "live" : "config";
}

static char *
action_text(const PassAction *a)
{
  switch (a->type) {
    case PASS_ACTION_DETACH_HOST:
    case PASS_ACTION_REATTACH_HOST:
      return g_strdup_printf("%s %s %s->%s",
                             a->type == PASS_ACTION_DETACH_HOST ? "detach_host" : "reattach_host",
                             a->address, a->driver_from ? a->driver_from : "(none)",
                             a->driver_to ? a->driver_to : "(none)");
    case PASS_ACTION_ATTACH:
    case PASS_ACTION_DETACH:
      return g_strdup_printf("%s %s %s %s", a->type == PASS_ACTION_ATTACH ? "attach" : "detach",
                             a->domain, a->address, where_text(a->where));
    case PASS_ACTION_SET_NUM_VFS:
      return g_strdup_printf("set_num_vfs %s %d->%d autoprobe=%s", a->address, a->numvfs_from,
                             a->numvfs_to,
                             a->autoprobe < 0 ? "keep"
                             : a->autoprobe   ? "on"
                                              : "off");
  }
  return NULL;
}

static void
on_done(const PassOpResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  g_assert_false(o->finished);
  o->finished = TRUE;
  o->code = result->error ? result->error->code : -1;
  if (result->error) {
    g_assert_true(result->error->domain == PASS_ERROR);
    o->message = g_strdup(result->error->message);
  }
  o->owners = result->owners ? strv_from(result->owners) : NULL;
  o->group = result->group;
  if (result->blockers) {
    o->blockers = g_new0(char *, result->blockers->len + 1);
    for (guint i = 0; i < result->blockers->len; i++) {
      const PassBlocker *b = g_ptr_array_index(result->blockers, i);

      o->blockers[i] = g_strdup_printf("%s=%s", b->address, b->driver ? b->driver : "(none)");
    }
  }
  o->address = g_strdup(result->address);
  o->domain = g_strdup(result->domain);
  o->reason = g_strdup(result->reason);
  o->parameter = g_strdup(result->parameter);
  o->devices = result->devices ? strv_from(result->devices) : NULL;
  if (result->actions) {
    o->actions = g_new0(char *, result->actions->len + 1);
    o->xmls = g_new0(char *, result->actions->len + 1);
    for (guint i = 0; i < result->actions->len; i++) {
      const PassAction *a = g_ptr_array_index(result->actions, i);

      o->actions[i] = action_text(a);
      o->xmls[i] = g_strdup(a->xml ? a->xml : "");
    }
  }
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

/* Let the main context run until @func(@f) holds. */
static void
spin_until(Fixture *f, gboolean (*func)(Fixture *f))
{
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

  while (!func(f)) {
    g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    g_main_context_iteration(NULL, FALSE);
    g_usleep(1000);
  }
}

/* Let the main context run for @ms (to show that nothing happens meanwhile). */
static void
spin_ms(guint ms)
{
  gint64 end = g_get_monotonic_time() + ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time() < end) {
    g_main_context_iteration(NULL, FALSE);
    g_usleep(1000);
  }
}

static void
attach(Fixture *f, const char *domain, const char *address, guint flags, Outcome *o)
{
  pass_tx_attach(f->tx, NULL, domain, address, flags, on_done, o);
  wait_for(o);
}

static void
assert_owners(Fixture *f, const char *address, const char *expected)
{
  GPtrArray *owners = pass_engine_get_owners(f->engine, address);
  g_autoptr(GString) text = g_string_new(NULL);

  for (guint i = 0; i < owners->len; i++)
    g_string_append_printf(text, "%s%s", i ? "," : "", (char *)g_ptr_array_index(owners, i));
  g_assert_cmpstr(text->str, ==, expected);
}

static void
assert_driver(Fixture *f, const char *address, const char *driver)
{
  g_autofree char *now = fake_ops_get_driver(f->fake, address);

  g_assert_cmpstr(now, ==, driver);
  /* ...and the engine knows it before the operation finished (re-read applied). */
  g_assert_cmpstr(pass_engine_lookup_device(f->engine, address)->driver, ==, driver);
}

static void
assert_calls(Fixture *f, const char *const *expected)
{
  fake_ops_assert_calls(f->fake, expected);
}

static void
assert_actions(Outcome *o, const char *const *expected)
{
  g_assert_nonnull(o->actions);
  if (!g_strv_equal((const char *const *)o->actions, expected)) {
    g_autofree char *got = g_strjoinv(" | ", o->actions);

    g_test_message("actions: %s", got);
    g_assert_true(g_strv_equal((const char *const *)o->actions, expected));
  }
}

/* ---- Attach ---- */

static void
test_attach_default_flags(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) running = {0};
  g_auto(Outcome) shutoff = {0};
  g_auto(Outcome) transient = {0};

  /* Running and persistent: live and config; the driver is remembered for later. */
  attach(f, "vm1", "0000:02:00.0", 0, &running);
  g_assert_cmpint(running.code, ==, -1);
  assert_actions(&running, (const char *const[]){"detach_host 0000:02:00.0 nvme->vfio-pci",
                                                 "attach vm1 0000:02:00.0 live+config", NULL});
  g_assert_true(g_strv_equal((const char *const *)running.devices,
                             (const char *const[]){"0000:02:00.0", NULL}));
  assert_owners(f, "0000:02:00.0", "vm1");
  assert_driver(f, "0000:02:00.0", VFIO);

  /* Shut off: config only. Already on vfio-pci: no host step. */
  attach(f, "vm2", "0000:06:00.0", 0, &shutoff);
  g_assert_cmpint(shutoff.code, ==, -1);
  assert_actions(&shutoff, (const char *const[]){"attach vm2 0000:06:00.0 config", NULL});

  /* Transient: live only. */
  attach(f, "vmt", "0000:03:00.0", 0, &transient);
  g_assert_cmpint(transient.code, ==, -1);
  assert_actions(&transient, (const char *const[]){"detach_host 0000:03:00.0 (none)->vfio-pci",
                                                   "attach vmt 0000:03:00.0 live", NULL});
  assert_calls(
      f, (const char *const[]){"detach_host 0000:02:00.0", "attach vm1 0000:02:00.0 live+config",
                               "attach vm2 0000:06:00.0 config", "detach_host 0000:03:00.0",
                               "attach vmt 0000:03:00.0 live", NULL});
}

static void
test_attach_explicit_flags(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) live_off = {0};
  g_auto(Outcome) config_transient = {0};
  g_auto(Outcome) config_only = {0};

  attach(f, "vm2", "0000:02:00.0", PASS_OP_LIVE, &live_off);
  g_assert_cmpint(live_off.code, ==, PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpstr(live_off.parameter, ==, "live");
  g_assert_nonnull(strstr(live_off.message, "not running"));

  attach(f, "vmt", "0000:02:00.0", PASS_OP_CONFIG, &config_transient);
  g_assert_cmpint(config_transient.code, ==, PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpstr(config_transient.parameter, ==, "config");

  attach(f, "vm1", "0000:02:00.0", PASS_OP_CONFIG, &config_only);
  g_assert_cmpint(config_only.code, ==, -1);
  assert_actions(&config_only, (const char *const[]){"detach_host 0000:02:00.0 nvme->vfio-pci",
                                                     "attach vm1 0000:02:00.0 config", NULL});
}

static void
test_attach_errors(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) no_device = {0};
  g_auto(Outcome) provisional = {0};
  g_auto(Outcome) no_domain = {0};
  g_auto(Outcome) protected = {0};
  g_auto(Outcome) in_use = {0};
  g_auto(Outcome) already = {0};
  g_auto(Outcome) group = {0};
  g_auto(Outcome) protected_group = {0};

  attach(f, "vm1", "0000:09:00.0", 0, &no_device);
  g_assert_cmpint(no_device.code, ==, PASS_ERROR_NO_SUCH_DEVICE);
  g_assert_cmpstr(no_device.address, ==, "0000:09:00.0");

  /* the kernel has added it, libvirt does not list it yet: shown, but nothing takes it */
  fake_ops_announce(f->engine, "0000:04:10.4", "0000:04:00.0", -1);
  attach(f, "vm1", "0000:04:10.4", 0, &provisional);
  g_assert_cmpint(provisional.code, ==, PASS_ERROR_NO_SUCH_DEVICE);
  g_assert_cmpstr(provisional.address, ==, "0000:04:10.4");
  g_assert_cmpstr(provisional.message, ==,
                  "libvirt does not list 0000:04:10.4 yet (the kernel added it a moment ago); "
                  "try again");
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "detach_host"), ==, 0);

  attach(f, "nope", "0000:02:00.0", 0, &no_domain);
  g_assert_cmpint(no_domain.code, ==, PASS_ERROR_NO_SUCH_DOMAIN);
  g_assert_cmpstr(no_domain.domain, ==, "nope");

  attach(f, "vm1", "0000:00:01.0", 0, &protected);
  g_assert_cmpint(protected.code, ==, PASS_ERROR_DEVICE_PROTECTED);
  g_assert_cmpstr(protected.address, ==, "0000:00:01.0");
  g_assert_cmpstr(protected.reason, ==, "it is a bridge");

  /* Held by a shut-off domain's definition: in use all the same. */
  attach(f, "vm1", "0000:05:00.0", 0, &in_use);
  g_assert_cmpint(in_use.code, ==, PASS_ERROR_DEVICE_IN_USE);
  g_assert_cmpstr(in_use.address, ==, "0000:05:00.0");
  g_assert_true(
      g_strv_equal((const char *const *)in_use.owners, (const char *const[]){"vm2", NULL}));

  attach(f, "vm2", "0000:05:00.0", 0, &already);
  g_assert_cmpint(already.code, ==, PASS_ERROR_DEVICE_IN_USE);
  g_assert_nonnull(strstr(already.message, "already assigned to vm2"));

  attach(f, "vm1", "0000:01:00.0", 0, &group);
  g_assert_cmpint(group.code, ==, PASS_ERROR_IOMMU_GROUP_NOT_VIABLE);
  g_assert_cmpint(group.group, ==, 1);
  g_assert_cmpstr(group.address, ==, "0000:01:00.0");
  g_assert_true(g_strv_equal((const char *const *)group.blockers,
                             (const char *const[]){"0000:01:00.1=snd_hda_intel", NULL}));

  /* The host's verdict comes first: a device the host needs is not worth a --whole-group
   * hint even when its group is not viable either. */
  fake_ops_set_protected(f->fake, "0000:01:00.0", "it is the boot VGA device");
  attach(f, "vm1", "0000:01:00.0", 0, &protected_group);
  g_assert_cmpint(protected_group.code, ==, PASS_ERROR_DEVICE_PROTECTED);
  g_assert_cmpstr(protected_group.reason, ==, "it is the boot VGA device");
  fake_ops_set_protected(f->fake, "0000:01:00.0", NULL);

  /* Nothing was touched by any of them. */
  assert_calls(f, (const char *const[]){NULL});
}

static void
test_attach_force(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) forced = {0};

  fake_ops_set_protected(f->fake, "0000:02:00.0", "a mounted file system is on it");
  attach(f, "vm1", "0000:02:00.0", PASS_OP_FORCE, &forced);
  g_assert_cmpint(forced.code, ==, -1);
}

static void
test_attach_whole_group(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_auto(Outcome) protected = {0};

  attach(f, "vm1", "0000:01:00.0", PASS_OP_WHOLE_GROUP | PASS_OP_DRY_RUN, &o);
  g_assert_cmpint(o.code, ==, -1);
  outcome_clear(&o);

  /* Protection covers the rest of the group. */
  fake_ops_set_protected(f->fake, "0000:01:00.1", "it is the boot VGA device");
  attach(f, "vm1", "0000:01:00.0", PASS_OP_WHOLE_GROUP, &protected);
  g_assert_cmpint(protected.code, ==, PASS_ERROR_DEVICE_PROTECTED);
  g_assert_cmpstr(protected.address, ==, "0000:01:00.1");
  fake_ops_set_protected(f->fake, "0000:01:00.1", NULL);
  attach(f, "vm1", "0000:01:00.0", PASS_OP_WHOLE_GROUP | PASS_OP_FORCE, &o);
  g_assert_cmpint(o.code, ==, -1);
  g_assert_true(g_strv_equal((const char *const *)o.devices,
                             (const char *const[]){"0000:01:00.0", "0000:01:00.1", NULL}));
  assert_actions(&o, (const char *const[]){"detach_host 0000:01:00.0 nouveau->vfio-pci",
                                           "detach_host 0000:01:00.1 snd_hda_intel->vfio-pci",
                                           "attach vm1 0000:01:00.0 live+config",
                                           "attach vm1 0000:01:00.1 live+config", NULL});
  assert_owners(f, "0000:01:00.0", "vm1");
  assert_owners(f, "0000:01:00.1", "vm1");
}

static void
test_pf_vf(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) vf = {0};
  g_auto(Outcome) pf = {0};
  g_auto(Outcome) other_vf = {0};

  attach(f, "vm1", "0000:04:10.0", 0, &vf);
  g_assert_cmpint(vf.code, ==, -1);
  /* The PF of an assigned VF. */
  attach(f, "vmt", "0000:04:00.0", 0, &pf);
  g_assert_cmpint(pf.code, ==, PASS_ERROR_DEVICE_IN_USE);
  g_assert_cmpstr(pf.address, ==, "0000:04:00.0");
  g_assert_true(g_strv_equal((const char *const *)pf.owners, (const char *const[]){"vm1", NULL}));
  /* Another VF of that PF is fine. */
  attach(f, "vmt", "0000:04:10.2", 0, &other_vf);
  g_assert_cmpint(other_vf.code, ==, -1);
}

static void
test_vf_of_assigned_pf(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) pf = {0};
  g_auto(Outcome) vf = {0};

  attach(f, "vm1", "0000:04:00.0", 0, &pf);
  g_assert_cmpint(pf.code, ==, -1);
  attach(f, "vmt", "0000:04:10.2", 0, &vf);
  g_assert_cmpint(vf.code, ==, PASS_ERROR_DEVICE_IN_USE);
  g_assert_cmpstr(vf.address, ==, "0000:04:10.2");
  g_assert_true(g_strv_equal((const char *const *)vf.owners, (const char *const[]){"vm1", NULL}));
  g_assert_nonnull(strstr(vf.message, "0000:04:00.0"));
}

/* ---- rollback ---- */

static void
test_rollback_driver(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};

  fake_ops_fail_call(f->fake, "attach vm1 0000:02:00.0");
  attach(f, "vm1", "0000:02:00.0", 0, &o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_HYPERVISOR_ERROR);
  g_assert_true(g_str_has_suffix(o.message, "; rolled back: 0000:02:00.0 is back on nvme"));
  assert_driver(f, "0000:02:00.0", "nvme");
  assert_owners(f, "0000:02:00.0", "");
  assert_calls(f, (const char *const[]){"detach_host 0000:02:00.0",
                                        "attach vm1 0000:02:00.0 live+config",
                                        "reattach_host 0000:02:00.0 nvme", NULL});
}

static void
test_rollback_no_driver(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};

  fake_ops_fail_call(f->fake, "attach vm1 0000:03:00.0");
  attach(f, "vm1", "0000:03:00.0", 0, &o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_HYPERVISOR_ERROR);
  g_assert_true(g_str_has_suffix(o.message, "; rolled back: 0000:03:00.0 is back with no driver"));
  assert_driver(f, "0000:03:00.0", NULL);
}

static void
test_rollback_whole_group(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};

  fake_ops_fail_call(f->fake, "attach vm1 0000:01:00.1");
  attach(f, "vm1", "0000:01:00.0", PASS_OP_WHOLE_GROUP, &o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_HYPERVISOR_ERROR);
  g_assert_nonnull(strstr(o.message, "rolled back: 0000:01:00.0 removed from vm1, "
                                     "0000:01:00.1 is back on snd_hda_intel, "
                                     "0000:01:00.0 is back on nouveau"));
  assert_driver(f, "0000:01:00.0", "nouveau");
  assert_driver(f, "0000:01:00.1", "snd_hda_intel");
  assert_owners(f, "0000:01:00.0", "");
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "detach vm1 0000:01:00.0 live"), ==, 1);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "detach vm1 0000:01:00.0 config"), ==, 1);
}

static void
test_first_step_fails(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};

  fake_ops_fail_call(f->fake, "detach_host 0000:02:00.0");
  attach(f, "vm1", "0000:02:00.0", 0, &o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_HYPERVISOR_ERROR);
  g_assert_true(g_str_has_suffix(o.message, "; nothing was changed"));
  assert_driver(f, "0000:02:00.0", "nvme");
}

/* ---- concurrency ---- */

static void
test_race(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) a = {0};
  g_auto(Outcome) b = {0};

  fake_ops_set_attach_delay(f->fake, 100);
  pass_tx_attach(f->tx, NULL, "vm1", "0000:02:00.0", 0, on_done, &a);
  pass_tx_attach(f->tx, NULL, "vmt", "0000:02:00.0", 0, on_done, &b);
  wait_for(&a);
  wait_for(&b);
  g_assert_cmpint(a.code, ==, -1);
  g_assert_cmpint(b.code, ==, PASS_ERROR_DEVICE_IN_USE);
  g_assert_true(g_strv_equal((const char *const *)b.owners, (const char *const[]){"vm1", NULL}));
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "attach "), ==, 1);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "detach_host "), ==, 1);
}

static void
test_parallel(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) a = {0};
  g_auto(Outcome) b = {0};

  fake_ops_set_attach_delay(f->fake, 300);
  pass_tx_attach(f->tx, NULL, "vm1", "0000:02:00.0", 0, on_done, &a);
  pass_tx_attach(f->tx, NULL, "vmt", "0000:03:00.0", 0, on_done, &b);
  wait_for(&a);
  wait_for(&b);
  g_assert_cmpint(a.code, ==, -1);
  g_assert_cmpint(b.code, ==, -1);
  g_assert_cmpuint(fake_ops_get_max_parallel(f->fake), ==, 2);
}

static void
test_parallel_vfs(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) a = {0};
  g_auto(Outcome) b = {0};

  fake_ops_set_attach_delay(f->fake, 300);
  pass_tx_attach(f->tx, NULL, "vm1", "0000:04:10.0", 0, on_done, &a);
  pass_tx_attach(f->tx, NULL, "vmt", "0000:04:10.2", 0, on_done, &b);
  wait_for(&a);
  wait_for(&b);
  g_assert_cmpint(a.code, ==, -1);
  g_assert_cmpint(b.code, ==, -1);
  g_assert_cmpuint(fake_ops_get_max_parallel(f->fake), ==, 2);
}

static void
test_same_domain_serialized(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) a = {0};
  g_auto(Outcome) b = {0};

  fake_ops_set_attach_delay(f->fake, 100);
  pass_tx_attach(f->tx, NULL, "vm1", "0000:02:00.0", 0, on_done, &a);
  pass_tx_attach(f->tx, NULL, "vm1", "0000:03:00.0", 0, on_done, &b);
  wait_for(&a);
  wait_for(&b);
  g_assert_cmpint(a.code, ==, -1);
  g_assert_cmpint(b.code, ==, -1);
  g_assert_cmpuint(fake_ops_get_max_parallel(f->fake), ==, 1);
}

/* ---- Detach ---- */

static gboolean
unplug_requested(Fixture *f)
{
  return fake_ops_count_calls(f->fake, "unplug ") > 0;
}

static void
attach_ok(Fixture *f, const char *domain, const char *address, guint flags)
{
  g_auto(Outcome) o = {0};

  attach(f, domain, address, flags, &o);
  g_assert_cmpint(o.code, ==, -1);
}

static void
test_detach_removed(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_autofree char *alias = NULL;

  attach_ok(f, "vm1", "0000:02:00.0", 0);
  pass_tx_detach(f->tx, NULL, "vm1", "0000:02:00.0", 0, 5000, on_done, &o);
  spin_until(f, unplug_requested);
  g_assert_false(o.finished);
  g_assert_true(pass_tx_removal_pending(f->tx, "vm1", "0000:02:00.0"));
  alias = fake_ops_release(f->fake, "vm1", "0000:02:00.0");
  pass_tx_device_removal(f->tx, "vm1", alias, FALSE);
  wait_for(&o);
  g_assert_cmpint(o.code, ==, -1);
  assert_actions(&o, (const char *const[]){"detach vm1 0000:02:00.0 live+config",
                                           "reattach_host 0000:02:00.0 vfio-pci->nvme", NULL});
  assert_driver(f, "0000:02:00.0", "nvme");
  assert_owners(f, "0000:02:00.0", "");
  g_assert_false(pass_tx_removal_pending(f->tx, "vm1", "0000:02:00.0"));
}

static void
test_detach_removal_failed(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};

  attach_ok(f, "vm1", "0000:02:00.0", 0);
  pass_tx_detach(f->tx, NULL, "vm1", "0000:02:00.0", 0, 5000, on_done, &o);
  spin_until(f, unplug_requested);
  pass_tx_device_removal(f->tx, "vm1", "hostdev0", TRUE);
  wait_for(&o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_REMOVAL_FAILED);
  g_assert_cmpstr(o.address, ==, "0000:02:00.0");
  g_assert_cmpstr(o.domain, ==, "vm1");
  assert_owners(f, "0000:02:00.0", "vm1");
  assert_driver(f, "0000:02:00.0", VFIO);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "reattach_host"), ==, 0);
}

static gboolean
no_operations(Fixture *f)
{
  return pass_tx_get_n_operations(f->tx) == 0;
}

static void
test_detach_timeout(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_auto(Outcome) again = {0};
  g_autofree char *alias = NULL;

  attach_ok(f, "vm1", "0000:02:00.0", 0);
  pass_tx_detach(f->tx, NULL, "vm1", "0000:02:00.0", 0, 50, on_done, &o);
  wait_for(&o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_REMOVAL_PENDING);
  g_assert_cmpstr(o.domain, ==, "vm1");
  /* Still owned, still on vfio-pci, shown as pending. */
  assert_owners(f, "0000:02:00.0", "vm1");
  g_assert_true(pass_tx_removal_pending(f->tx, "vm1", "0000:02:00.0"));
  /* Another attach of it: in use. A second detach: pending already. */
  pass_tx_detach(f->tx, NULL, "vm1", "0000:02:00.0", 0, 50, on_done, &again);
  wait_for(&again);
  g_assert_cmpint(again.code, ==, PASS_ERROR_REMOVAL_PENDING);

  /* The guest lets go later: passd finishes by itself. */
  alias = fake_ops_release(f->fake, "vm1", "0000:02:00.0");
  pass_tx_device_removal(f->tx, "vm1", alias, FALSE);
  spin_until(f, no_operations);
  assert_driver(f, "0000:02:00.0", "nvme");
  assert_owners(f, "0000:02:00.0", "");
  g_assert_false(pass_tx_removal_pending(f->tx, "vm1", "0000:02:00.0"));
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "detach vm1 0000:02:00.0 config"), ==, 1);
}

static gboolean
unplug_asked_twice(Fixture *f)
{
  return fake_ops_count_calls(f->fake, "unplug vm1 ") == 2;
}

static gboolean
unplug_asked_four_times(Fixture *f)
{
  return fake_ops_count_calls(f->fake, "unplug vm1 ") == 4;
}

/* vm1 holds 02:00.0 and does not let go: its detach answers RemovalPending after 50 ms. */
static void
detach_left_pending(Fixture *f)
{
  g_auto(Outcome) o = {0};

  attach_ok(f, "vm1", "0000:02:00.0", 0);
  pass_tx_detach(f->tx, NULL, "vm1", "0000:02:00.0", 0, 50, on_done, &o);
  wait_for(&o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_REMOVAL_PENDING);
}

/* The guest reset with the unplug pending and forgot it: passd asks again (and again, while the
 * guest keeps quiet, also when QEMU refuses a repeat); a reset of another domain asks nothing. */
static void
test_detach_reboot(Fixture *f, gconstpointer data)
{
  g_autofree char *alias = NULL;

  pass_tx_set_reask_delay(f->tx, 20);
  attach_ok(f, "vmt", "0000:03:00.0", 0);
  detach_left_pending(f);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "unplug vm1 "), ==, 1);

  /* No reset: no repeat, however long it stays pending. */
  spin_ms(100);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "unplug vm1 "), ==, 1);
  pass_tx_domain_rebooted(f->tx, "vmt");
  pass_tx_domain_rebooted(f->tx, "vm2");
  spin_ms(100);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "unplug "), ==, 1);

  pass_tx_domain_rebooted(f->tx, "vm1");
  spin_until(f, unplug_asked_twice);
  g_assert_true(pass_tx_removal_pending(f->tx, "vm1", "0000:02:00.0"));
  /* The guest is not up yet; QEMU refuses the next repeat: passd keeps asking. */
  fake_ops_fail_call(f->fake, "unplug vm1 ");
  spin_until(f, unplug_asked_four_times);
  assert_owners(f, "0000:02:00.0", "vm1");

  alias = fake_ops_release(f->fake, "vm1", "0000:02:00.0");
  pass_tx_device_removal(f->tx, "vm1", alias, FALSE);
  spin_until(f, no_operations);
  assert_driver(f, "0000:02:00.0", "nvme");
  assert_owners(f, "0000:02:00.0", "");
  /* Finished: a later reset asks nothing. */
  pass_tx_domain_rebooted(f->tx, "vm1");
  spin_ms(100);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "unplug vm1 "), ==, 4);
}

static gboolean
unplug_asked_all_times(Fixture *f)
{
  return fake_ops_count_calls(f->fake, "unplug vm1 ") == 1 + PASS_TX_REASK_MAX;
}

/* A guest that never lets go after its reset is asked PASS_TX_REASK_MAX times, then left be;
 * the unplug stays pending, and still completes when the guest lets go after all. */
static void
test_detach_reboot_gives_up(Fixture *f, gconstpointer data)
{
  g_autofree char *alias = NULL;

  pass_tx_set_reask_delay(f->tx, 5);
  detach_left_pending(f);
  pass_tx_domain_rebooted(f->tx, "vm1");
  spin_until(f, unplug_asked_all_times);
  spin_ms(100);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "unplug vm1 "), ==, 1 + PASS_TX_REASK_MAX);
  g_assert_true(pass_tx_removal_pending(f->tx, "vm1", "0000:02:00.0"));

  alias = fake_ops_release(f->fake, "vm1", "0000:02:00.0");
  pass_tx_device_removal(f->tx, "vm1", alias, FALSE);
  spin_until(f, no_operations);
  assert_owners(f, "0000:02:00.0", "");
}

/* The event never comes (e.g. lost over a reconnect), but the device left the live domain:
 * the next picture of the domain completes the detach. */
static void
test_detach_missed_event(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_autofree char *alias = NULL;

  attach_ok(f, "vm1", "0000:02:00.0", 0);
  pass_tx_detach(f->tx, NULL, "vm1", "0000:02:00.0", 0, 50, on_done, &o);
  wait_for(&o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_REMOVAL_PENDING);
  alias = fake_ops_release(f->fake, "vm1", "0000:02:00.0");
  fake_ops_load(f->fake, f->engine); /* a reconnect's snapshot */
  spin_until(f, no_operations);
  assert_driver(f, "0000:02:00.0", "nvme");
  assert_owners(f, "0000:02:00.0", "");
}

static void
test_detach_config_only(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_auto(Outcome) not_assigned = {0};

  attach_ok(f, "vm2", "0000:03:00.0", 0);
  pass_tx_detach(f->tx, NULL, "vm2", "0000:03:00.0", 0, 5000, on_done, &o);
  wait_for(&o);
  g_assert_cmpint(o.code, ==, -1);
  assert_actions(&o, (const char *const[]){"detach vm2 0000:03:00.0 config",
                                           "reattach_host 0000:03:00.0 vfio-pci->(none)", NULL});
  assert_driver(f, "0000:03:00.0", NULL);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "unplug"), ==, 0);

  pass_tx_detach(f->tx, NULL, "vm2", "0000:03:00.0", 0, 5000, on_done, &not_assigned);
  wait_for(&not_assigned);
  g_assert_cmpint(not_assigned.code, ==, PASS_ERROR_DEVICE_NOT_ASSIGNED);
  g_assert_cmpstr(not_assigned.domain, ==, "vm2");
  g_assert_cmpstr(not_assigned.address, ==, "0000:03:00.0");
}

/* A group taken whole goes back whole: the member detached first waits on vfio-pci until the
 * last one leaves, and then both return to their own drivers. */
static void
test_detach_whole_group(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) first = {0};
  g_auto(Outcome) last = {0};

  attach_ok(f, "vm2", "0000:01:00.0", PASS_OP_WHOLE_GROUP);
  pass_tx_detach(f->tx, NULL, "vm2", "0000:01:00.0", 0, 5000, on_done, &first);
  wait_for(&first);
  g_assert_cmpint(first.code, ==, -1);
  assert_actions(&first, (const char *const[]){"detach vm2 0000:01:00.0 config", NULL});
  assert_driver(f, "0000:01:00.0", VFIO);

  pass_tx_detach(f->tx, NULL, "vm2", "0000:01:00.1", 0, 5000, on_done, &last);
  wait_for(&last);
  g_assert_cmpint(last.code, ==, -1);
  assert_actions(&last,
                 (const char *const[]){"detach vm2 0000:01:00.1 config",
                                       "reattach_host 0000:01:00.1 vfio-pci->snd_hda_intel",
                                       "reattach_host 0000:01:00.0 vfio-pci->nouveau", NULL});
  assert_driver(f, "0000:01:00.0", "nouveau");
  assert_driver(f, "0000:01:00.1", "snd_hda_intel");
}

/* Only out of the running domain: the definition keeps it, so it stays on vfio-pci. */
static void
test_detach_live_keeps_config(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_autofree char *alias = NULL;

  attach_ok(f, "vm1", "0000:02:00.0", 0);
  pass_tx_detach(f->tx, NULL, "vm1", "0000:02:00.0", PASS_OP_LIVE, 5000, on_done, &o);
  spin_until(f, unplug_requested);
  alias = fake_ops_release(f->fake, "vm1", "0000:02:00.0");
  pass_tx_device_removal(f->tx, "vm1", alias, FALSE);
  wait_for(&o);
  g_assert_cmpint(o.code, ==, -1);
  assert_actions(&o, (const char *const[]){"detach vm1 0000:02:00.0 live", NULL});
  assert_driver(f, "0000:02:00.0", VFIO);
  assert_owners(f, "0000:02:00.0", "vm1");
}

/* ---- Reattach ---- */

static void
test_reattach(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) unknown = {0};
  g_auto(Outcome) in_use = {0};
  g_auto(Outcome) nothing = {0};

  /* passd never took it: the kernel's pick. */
  pass_tx_reattach(f->tx, NULL, "0000:06:00.0", 0, on_done, &unknown);
  wait_for(&unknown);
  g_assert_cmpint(unknown.code, ==, -1);
  assert_actions(&unknown,
                 (const char *const[]){"reattach_host 0000:06:00.0 vfio-pci->e1000e", NULL});
  assert_driver(f, "0000:06:00.0", "e1000e");

  pass_tx_reattach(f->tx, NULL, "0000:05:00.0", 0, on_done, &in_use);
  wait_for(&in_use);
  g_assert_cmpint(in_use.code, ==, PASS_ERROR_DEVICE_IN_USE);
  g_assert_true(
      g_strv_equal((const char *const *)in_use.owners, (const char *const[]){"vm2", NULL}));

  /* Not on vfio-pci: nothing to do. */
  pass_tx_reattach(f->tx, NULL, "0000:02:00.0", 0, on_done, &nothing);
  wait_for(&nothing);
  g_assert_cmpint(nothing.code, ==, -1);
  g_assert_cmpuint(g_strv_length(nothing.actions), ==, 0);
}

/* ---- dry run ---- */

static void
test_dry_run(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) a = {0};
  g_auto(Outcome) d = {0};
  g_auto(Outcome) r = {0};

  attach(f, "vm1", "0000:02:00.0", PASS_OP_DRY_RUN, &a);
  g_assert_cmpint(a.code, ==, -1);
  assert_actions(&a, (const char *const[]){"detach_host 0000:02:00.0 nvme->vfio-pci",
                                           "attach vm1 0000:02:00.0 live+config", NULL});
  g_assert_nonnull(strstr(a.xmls[1], "<hostdev mode=\"subsystem\" type=\"pci\" managed=\"no\">"));
  g_assert_nonnull(strstr(a.xmls[1], "bus=\"0x02\""));
  assert_owners(f, "0000:02:00.0", "");

  pass_tx_detach(f->tx, NULL, "vm2", "0000:05:00.0", PASS_OP_DRY_RUN, 5000, on_done, &d);
  wait_for(&d);
  g_assert_cmpint(d.code, ==, -1);
  assert_actions(&d, (const char *const[]){"detach vm2 0000:05:00.0 config",
                                           "reattach_host 0000:05:00.0 vfio-pci->(none)", NULL});

  pass_tx_reattach(f->tx, NULL, "0000:06:00.0", PASS_OP_DRY_RUN, on_done, &r);
  wait_for(&r);
  g_assert_cmpint(r.code, ==, -1);
  g_assert_cmpuint(g_strv_length(r.actions), ==, 1);

  assert_calls(f, (const char *const[]){NULL});
}

static void
test_disconnected(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};

  pass_engine_set_connected(f->engine, FALSE, "gone fishing");
  attach(f, "vm1", "0000:02:00.0", 0, &o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_HYPERVISOR_UNAVAILABLE);
  g_assert_nonnull(strstr(o.message, "gone fishing"));
}

/* ---- locks alone ---- */

static void
count_grant(PassLockRequest *request, gpointer user_data)
{
  (*(int *)user_data)++;
}

static void
test_locks(void)
{
  g_autoptr(PassLocks) locks = pass_locks_new();
  int vf1 = 0, vf2 = 0, pf = 0, vf3 = 0;
  const char *const pf_key[] = {"dev:pf", NULL};
  const char *const vf1_key[] = {"dev:vf1", NULL};
  const char *const vf2_key[] = {"dev:vf2", NULL};
  PassLockRequest *r1, *r2, *r3, *r4;

  r1 = pass_locks_acquire(locks, vf1_key, pf_key, count_grant, &vf1);
  r2 = pass_locks_acquire(locks, vf2_key, pf_key, count_grant, &vf2);
  g_assert_cmpint(vf1, ==, 1);
  g_assert_cmpint(vf2, ==, 1); /* two VFs of one PF together */
  r3 = pass_locks_acquire(locks, pf_key, NULL, count_grant, &pf);
  g_assert_cmpint(pf, ==, 0); /* the PF waits for both */
  /* FIFO: a later VF does not overtake the waiting PF. */
  r4 = pass_locks_acquire(locks, vf1_key, pf_key, count_grant, &vf3);
  g_assert_cmpint(vf3, ==, 0);
  pass_locks_release(locks, r1);
  g_assert_cmpint(pf, ==, 0);
  pass_locks_release(locks, r2);
  g_assert_cmpint(pf, ==, 1);
  g_assert_cmpint(vf3, ==, 0);
  pass_locks_release(locks, r3);
  g_assert_cmpint(vf3, ==, 1);
  pass_locks_release(locks, r4);
  g_assert_cmpuint(pass_locks_get_n_waiting(locks), ==, 0);
}

/* ---- configuration ---- */

#define LISTED "listed in ProtectedDevices in /etc/passd/passd.conf"

static void
test_configured_protected(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) listed = {0};
  g_auto(Outcome) member = {0};
  g_auto(Outcome) forced = {0};
  g_auto(Outcome) other = {0};

  pass_tx_set_protected(f->tx, (const char *const[]){"0000:01:00.1", "0000:03:00.0", NULL}, LISTED);
  attach(f, "vm1", "0000:03:00.0", 0, &listed);
  g_assert_cmpint(listed.code, ==, PASS_ERROR_DEVICE_PROTECTED);
  g_assert_cmpstr(listed.address, ==, "0000:03:00.0");
  g_assert_cmpstr(listed.reason, ==, "0000:03:00.0 is " LISTED);
  g_assert_cmpstr(listed.message, ==, "0000:03:00.0 is protected: 0000:03:00.0 is " LISTED);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "detach_host"), ==, 0);
  /* The list covers the group a whole-group attach takes along. */
  attach(f, "vm1", "0000:01:00.0", PASS_OP_WHOLE_GROUP, &member);
  g_assert_cmpint(member.code, ==, PASS_ERROR_DEVICE_PROTECTED);
  g_assert_cmpstr(member.address, ==, "0000:01:00.1");
  /* --force overrides it as it does the host's verdict; the others are not affected. */
  attach(f, "vm1", "0000:03:00.0", PASS_OP_FORCE, &forced);
  g_assert_cmpint(forced.code, ==, -1);
  attach(f, "vm1", "0000:02:00.0", 0, &other);
  g_assert_cmpint(other.code, ==, -1);
  /* An empty list protects nothing more. */
  pass_tx_set_protected(f->tx, (const char *const[]){NULL}, LISTED);
  attach_ok(f, "vm2", "0000:01:00.0", PASS_OP_WHOLE_GROUP);
}

static void
test_default_removal_timeout(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_autofree char *alias = NULL;

  g_assert_cmpuint(pass_tx_get_removal_timeout(f->tx), ==, PASS_TX_DEFAULT_REMOVAL_TIMEOUT_MS);
  pass_tx_set_removal_timeout(f->tx, 50);
  attach_ok(f, "vm1", "0000:02:00.0", 0);
  pass_tx_detach(f->tx, NULL, "vm1", "0000:02:00.0", 0, PASS_TX_REMOVAL_TIMEOUT_DEFAULT, on_done,
                 &o);
  wait_for(&o); /* after 50 ms, not 20 s */
  g_assert_cmpint(o.code, ==, PASS_ERROR_REMOVAL_PENDING);
  alias = fake_ops_release(f->fake, "vm1", "0000:02:00.0");
  pass_tx_device_removal(f->tx, "vm1", alias, FALSE);
  spin_until(f, no_operations);
}

/* ---- the journal fields ---- */

typedef struct {
  GLogLevelFlags level;
  GStrv fields; /* "KEY=value", in the order given */
} Record;

static GMutex capture_lock;
static GPtrArray *captured; /* Record*, while a test captures; NULL otherwise */

static void
record_free(Record *record)
{
  g_strfreev(record->fields);
  g_free(record);
}

static GLogWriterOutput
capture_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  g_mutex_lock(&capture_lock);
  if (captured) {
    Record *record = g_new0(Record, 1);

    record->level = level;
    record->fields = g_new0(char *, n_fields + 1);
    for (gsize i = 0; i < n_fields; i++)
      record->fields[i] = g_strdup_printf("%s=%s", fields[i].key, (const char *)fields[i].value);
    g_ptr_array_add(captured, record);
  }
  g_mutex_unlock(&capture_lock);
  return g_log_writer_default(level, fields, n_fields, user_data);
}

static void
capture_start(void)
{
  g_mutex_lock(&capture_lock);
  captured = g_ptr_array_new_with_free_func((GDestroyNotify)record_free);
  g_mutex_unlock(&capture_lock);
}

static void
capture_stop(void)
{
  g_mutex_lock(&capture_lock);
  g_clear_pointer(&captured, g_ptr_array_unref);
  g_mutex_unlock(&capture_lock);
}

/* The one record whose MESSAGE is @message. */
static const Record *
find_record(const char *message)
{
  g_autofree char *field = g_strconcat("MESSAGE=", message, NULL);
  const Record *found = NULL;

  g_mutex_lock(&capture_lock);
  for (guint i = 0; i < captured->len; i++) {
    const Record *record = g_ptr_array_index(captured, i);

    if (g_strv_contains((const char *const *)record->fields, field)) {
      g_assert_null(found);
      found = record;
    }
  }
  if (!found)
    for (guint i = 0; i < captured->len; i++) {
      g_autofree char *all = g_strjoinv(" | ", ((Record *)g_ptr_array_index(captured, i))->fields);

      g_test_message("record: %s", all);
    }
  g_mutex_unlock(&capture_lock);
  g_assert_nonnull(found);
  return found;
}

/* @record's PASSD_ fields (and PRIORITY), space-separated in order, to compare at once. */
static char *
record_fields(const Record *record)
{
  g_autoptr(GString) text = g_string_new(NULL);

  for (guint i = 0; record->fields[i]; i++)
    if (g_str_has_prefix(record->fields[i], "PASSD_") ||
        g_str_has_prefix(record->fields[i], "PRIORITY=") ||
        g_str_has_prefix(record->fields[i], "GLIB_DOMAIN="))
      g_string_append_printf(text, "%s%s", text->len ? " " : "", record->fields[i]);
  return g_string_free(g_steal_pointer(&text), FALSE);
}

static void
assert_record(const char *message, const char *fields)
{
  g_autofree char *got = record_fields(find_record(message));

  g_assert_cmpstr(got, ==, fields);
}

static void
test_journal_attach(Fixture *f, gconstpointer data)
{
  g_autoptr(PassRequest) request = pass_request_new("Attach", 4242, 4242, 77, NULL);
  g_autofree char *who = pass_request_describe(request);
  g_autofree char *start =
      g_strdup_printf("attach 0000:02:00.0 to vm1 (live+config): 2 steps, for %s", who);
  g_autofree char *fields = g_strdup_printf(
      "PRIORITY=5 GLIB_DOMAIN=passd PASSD_OPERATION=attach PASSD_DEVICE=0000:02:00.0 "
      "PASSD_DOMAIN=vm1 PASSD_REQUEST=%" G_GUINT64_FORMAT " PASSD_UID=4242",
      request->id);
  g_auto(Outcome) o = {0};

  capture_start();
  pass_tx_attach(f->tx, request, "vm1", "0000:02:00.0", 0, on_done, &o);
  wait_for(&o);
  g_assert_cmpint(o.code, ==, -1);
  assert_record(start, fields);
  assert_record("attach 0000:02:00.0 / vm1: done (2 steps)", fields);
  capture_stop();
}

static void
test_journal_attach_failed(Fixture *f, gconstpointer data)
{
  g_autoptr(PassRequest) request = pass_request_new("Attach", 0, 0, 0, NULL);
  g_autofree char *fields = NULL;
  g_auto(Outcome) refused = {0};
  g_auto(Outcome) failed = {0};
  g_auto(Outcome) group = {0};

  capture_start();
  /* Refused: nothing changed, so at info level, with the error's name. */
  pass_tx_attach(f->tx, request, "vm1", "0000:00:01.0", 0, on_done, &refused);
  wait_for(&refused);
  fields =
      g_strdup_printf("PRIORITY=6 GLIB_DOMAIN=passd PASSD_OPERATION=attach "
                      "PASSD_DEVICE=0000:00:01.0 PASSD_DOMAIN=vm1 PASSD_REQUEST=%" G_GUINT64_FORMAT
                      " PASSD_UID=0 PASSD_ERROR=io.passd.Manager.DeviceProtected",
                      request->id);
  assert_record("attach 0000:00:01.0 / vm1: 0000:00:01.0 is protected: it is a bridge", fields);

  /* Failed after its steps began (and rolled back): part of the device's history. */
  fake_ops_fail_call(f->fake, "attach vm1 0000:03:00.0");
  attach(f, "vm1", "0000:03:00.0", 0, &failed);
  g_assert_cmpint(failed.code, ==, PASS_ERROR_HYPERVISOR_ERROR);
  {
    g_autofree char *message = g_strdup_printf("attach 0000:03:00.0 / vm1: %s", failed.message);

    /* passd's own operation (no request): no request id, no uid. */
    assert_record(message, "PRIORITY=5 GLIB_DOMAIN=passd PASSD_OPERATION=attach "
                           "PASSD_DEVICE=0000:03:00.0 PASSD_DOMAIN=vm1 "
                           "PASSD_ERROR=io.passd.Manager.HypervisorError");
  }

  /* A whole group: every device it takes is named. */
  attach(f, "vm1", "0000:01:00.0", PASS_OP_WHOLE_GROUP, &group);
  g_assert_cmpint(group.code, ==, -1);
  assert_record("attach 0000:01:00.0 / vm1: done (4 steps)",
                "PRIORITY=5 GLIB_DOMAIN=passd PASSD_OPERATION=attach PASSD_DEVICE=0000:01:00.0 "
                "PASSD_DEVICE=0000:01:00.1 PASSD_DOMAIN=vm1");
  capture_stop();
}

/* The fields of a detach of 02:00.0 from vm1 for @request. */
static char *
detach_fields(const PassRequest *request, const char *priority, const char *error)
{
  return g_strdup_printf(
      "PRIORITY=%s GLIB_DOMAIN=passd PASSD_OPERATION=detach "
      "PASSD_DEVICE=0000:02:00.0 PASSD_DOMAIN=vm1 PASSD_REQUEST=%" G_GUINT64_FORMAT
      " PASSD_UID=1000%s",
      priority, request->id, error);
}

static void
test_journal_detach(Fixture *f, gconstpointer data)
{
  g_autoptr(PassRequest) request = pass_request_new("Detach", 1000, 1000, 99, NULL);
  g_autofree char *who = pass_request_describe(request);
  g_autofree char *start =
      g_strdup_printf("detach 0000:02:00.0 from vm1 (live+config), for %s", who);
  g_autofree char *notice = detach_fields(request, "5", "");
  g_autofree char *info = detach_fields(request, "6", "");
  g_autofree char *pending =
      detach_fields(request, "5", " PASSD_ERROR=io.passd.Manager.RemovalPending");
  g_autofree char *alias = NULL;
  g_auto(Outcome) o = {0};

  attach_ok(f, "vm1", "0000:02:00.0", 0);
  capture_start();
  pass_tx_detach(f->tx, request, "vm1", "0000:02:00.0", 0, 50, on_done, &o);
  wait_for(&o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_REMOVAL_PENDING);
  assert_record(start, notice);
  assert_record("detach 0000:02:00.0 from vm1: unplug requested, waiting up to 50 ms for the guest",
                info);
  {
    g_autofree char *message = g_strdup_printf("detach 0000:02:00.0 / vm1: %s", o.message);

    assert_record(message, pending);
  }
  /* The guest lets go later: the rest is logged for the same request. */
  alias = fake_ops_release(f->fake, "vm1", "0000:02:00.0");
  pass_tx_device_removal(f->tx, "vm1", alias, FALSE);
  spin_until(f, no_operations);
  assert_record("detach 0000:02:00.0 from vm1: the guest released it, finishing", notice);
  assert_record("detach 0000:02:00.0 / vm1: done (2 steps)", notice);
  capture_stop();
}

/* The last member of a group taken whole leaving gives the other back: both are named. */
static void
test_journal_detach_group(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) first = {0};
  g_auto(Outcome) last = {0};

  attach_ok(f, "vm2", "0000:01:00.0", PASS_OP_WHOLE_GROUP);
  pass_tx_detach(f->tx, NULL, "vm2", "0000:01:00.0", 0, 5000, on_done, &first);
  wait_for(&first);
  capture_start();
  pass_tx_detach(f->tx, NULL, "vm2", "0000:01:00.1", 0, 5000, on_done, &last);
  wait_for(&last);
  g_assert_cmpint(last.code, ==, -1);
  assert_record("detach 0000:01:00.1 / vm2: done (3 steps)",
                "PRIORITY=5 GLIB_DOMAIN=passd PASSD_OPERATION=detach PASSD_DEVICE=0000:01:00.1 "
                "PASSD_DEVICE=0000:01:00.0 PASSD_DOMAIN=vm2");
  capture_stop();
}

/* ---- USB devices ----
 * usb:1-1 and usb:1-2 two identical sticks (0930:6545), usb:2-1.4 a receiver (046d:c52b);
 * usb:1-2 is protected (a mounted file system, as host-usb.c would say). */
static void
fixture_setup_usb(Fixture *f, gconstpointer data)
{
  fixture_setup(f, data);
  fake_ops_add_usb_device(f->fake, "usb:1-1", 0x0930, 0x6545, 1, 2);
  fake_ops_add_usb_device(f->fake, "usb:1-2", 0x0930, 0x6545, 1, 3);
  fake_ops_add_usb_device(f->fake, "usb:2-1.4", 0x046d, 0xc52b, 2, 5);
  fake_ops_set_protected(f->fake, "usb:1-2", "usb:1-2 holds /mnt (sdb1)");
  fake_ops_load(f->fake, f->engine);
}

/* Attach: no host-driver step; by ids alone for a unique device, with bus and device for one of
 * two identical ones. Detach: no reattach; the unplug waits for DEVICE_REMOVED. */
static void
test_usb_attach_detach(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) a = {0};
  g_auto(Outcome) b = {0};
  g_auto(Outcome) d = {0};
  g_autofree char *alias = NULL;

  attach(f, "vm1", "usb:2-1.4", 0, &a);
  g_assert_cmpint(a.code, ==, -1);
  assert_actions(&a, (const char *const[]){"attach vm1 usb:2-1.4 live+config", NULL});
  g_assert_nonnull(strstr(a.xmls[0], "<hostdev mode=\"subsystem\" type=\"usb\" managed=\"yes\">"));
  g_assert_nonnull(strstr(a.xmls[0], "<vendor id=\"0x046d\"/>"));
  g_assert_null(strstr(a.xmls[0], "<address"));
  assert_owners(f, "usb:2-1.4", "vm1");

  attach(f, "vm2", "usb:1-1", 0, &b);
  g_assert_cmpint(b.code, ==, -1);
  assert_actions(&b, (const char *const[]){"attach vm2 usb:1-1 config", NULL});
  g_assert_nonnull(strstr(b.xmls[0], "<address bus=\"1\" device=\"2\"/>"));
  assert_owners(f, "usb:1-1", "vm2");
  assert_owners(f, "usb:1-2", "");

  pass_tx_detach(f->tx, NULL, "vm1", "usb:2-1.4", 0, 5000, on_done, &d);
  spin_until(f, unplug_requested);
  g_assert_false(d.finished);
  alias = fake_ops_release(f->fake, "vm1", "usb:2-1.4");
  pass_tx_device_removal(f->tx, "vm1", alias, FALSE);
  wait_for(&d);
  g_assert_cmpint(d.code, ==, -1);
  assert_actions(&d, (const char *const[]){"detach vm1 usb:2-1.4 live+config", NULL});
  assert_owners(f, "usb:2-1.4", "");
  assert_calls(f, (const char *const[]){"attach vm1 usb:2-1.4 live+config",
                                        "attach vm2 usb:1-1 config", "unplug vm1 hostdev0",
                                        "detach vm1 usb:2-1.4 config", NULL});
}

/* The PCI rules hold for USB: double assignment refused, protection unless --force. */
static void
test_usb_refusals(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) used = {0};
  g_auto(Outcome) prot = {0};
  g_auto(Outcome) forced = {0};

  attach_ok(f, "vm2", "usb:1-1", 0);
  attach(f, "vm1", "usb:1-1", 0, &used);
  g_assert_cmpint(used.code, ==, PASS_ERROR_DEVICE_IN_USE);
  g_assert_true(g_strv_equal((const char *const *)used.owners, (const char *const[]){"vm2", NULL}));
  attach(f, "vm1", "usb:1-2", 0, &prot);
  g_assert_cmpint(prot.code, ==, PASS_ERROR_DEVICE_PROTECTED);
  g_assert_cmpstr(prot.reason, ==, "usb:1-2 holds /mnt (sdb1)");
  assert_owners(f, "usb:1-2", "");
  attach(f, "vm2", "usb:1-2", PASS_OP_FORCE, &forced);
  g_assert_cmpint(forced.code, ==, -1);
  assert_owners(f, "usb:1-2", "vm2");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  /* Once per process: it records only while a test captures. */
  g_log_set_writer_func(capture_writer, NULL, NULL);

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  g_test_add_func("/engine-attach/locks", test_locks);
  ADD("/engine-attach/attach/default-flags", test_attach_default_flags);
  ADD("/engine-attach/attach/explicit-flags", test_attach_explicit_flags);
  ADD("/engine-attach/attach/errors", test_attach_errors);
  ADD("/engine-attach/attach/force", test_attach_force);
  ADD("/engine-attach/attach/whole-group", test_attach_whole_group);
  ADD("/engine-attach/attach/pf-vf", test_pf_vf);
  ADD("/engine-attach/attach/vf-of-assigned-pf", test_vf_of_assigned_pf);
  ADD("/engine-attach/rollback/driver", test_rollback_driver);
  ADD("/engine-attach/rollback/no-driver", test_rollback_no_driver);
  ADD("/engine-attach/rollback/whole-group", test_rollback_whole_group);
  ADD("/engine-attach/detach/whole-group", test_detach_whole_group);
  ADD("/engine-attach/rollback/first-step", test_first_step_fails);
  ADD("/engine-attach/concurrency/race", test_race);
  ADD("/engine-attach/concurrency/parallel", test_parallel);
  ADD("/engine-attach/concurrency/parallel-vfs", test_parallel_vfs);
  ADD("/engine-attach/concurrency/same-domain", test_same_domain_serialized);
  ADD("/engine-attach/detach/removed", test_detach_removed);
  ADD("/engine-attach/detach/removal-failed", test_detach_removal_failed);
  ADD("/engine-attach/detach/timeout", test_detach_timeout);
  ADD("/engine-attach/detach/missed-event", test_detach_missed_event);
  ADD("/engine-attach/detach/reboot", test_detach_reboot);
  ADD("/engine-attach/detach/reboot-gives-up", test_detach_reboot_gives_up);
  ADD("/engine-attach/detach/config-only", test_detach_config_only);
  ADD("/engine-attach/detach/live-keeps-config", test_detach_live_keeps_config);
  ADD("/engine-attach/reattach", test_reattach);
  ADD("/engine-attach/dry-run", test_dry_run);
  g_test_add("/engine-attach/usb/attach-detach", Fixture, NULL, fixture_setup_usb,
             test_usb_attach_detach, fixture_teardown);
  g_test_add("/engine-attach/usb/refusals", Fixture, NULL, fixture_setup_usb, test_usb_refusals,
             fixture_teardown);
  ADD("/engine-attach/disconnected", test_disconnected);
  ADD("/engine-attach/config/protected", test_configured_protected);
  ADD("/engine-attach/config/removal-timeout", test_default_removal_timeout);
  ADD("/engine-attach/journal/attach", test_journal_attach);
  ADD("/engine-attach/journal/attach-failed", test_journal_attach_failed);
  ADD("/engine-attach/journal/detach", test_journal_detach);
  ADD("/engine-attach/journal/detach-group", test_journal_detach_group);
#undef ADD
  return g_test_run();
}
