/* Attach, Detach, Reattach over a real varlink socket: parameter decoding (InvalidParameter with
 * the field's name), the Action encoding and the errors' parameters. The engine runs on the
 * recording fake ops (fake-ops.c). */
#include <string.h>

#include "fake-ops.h"
#include "pass-error.h"
#include "pass-varlink.h"
#include "service-call.h"
#include "service.h"
#include "xml-hostdev.h"
#include "pool.h"

#define M "io.passd.Manager."

typedef struct {
  ServiceSocket s;
  FakeOps *fake;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  service_socket_init(&f->s);
  f->fake = fake_ops_new();
  fake_ops_add_device(f->fake, "0000:01:00.0", 1, NULL, 0x030000, "nouveau", "nouveau");
  fake_ops_add_device(f->fake, "0000:01:00.1", 1, NULL, 0x040300, "snd_hda_intel", "snd_hda_intel");
  fake_ops_add_device(f->fake, "0000:02:00.0", 2, NULL, 0x010802, "nvme", "nvme");
  fake_ops_add_device(f->fake, "0000:05:00.0", 7, NULL, 0x020000, "vfio-pci", "e1000e");
  /* on vfio-pci before passd started: its original driver is unknown */
  fake_ops_add_device(f->fake, "0000:06:00.0", 8, NULL, 0x020000, "vfio-pci", "e1000e");
  /* an SR-IOV NIC: its PF and two VFs, each VF in its own group */
  fake_ops_add_device(f->fake, "0000:04:00.0", 9, NULL, 0x020000, "igb", "igb");
  fake_ops_add_device(f->fake, "0000:04:10.0", 10, "0000:04:00.0", 0x020000, "igbvf", "igbvf");
  fake_ops_add_device(f->fake, "0000:04:10.2", 11, "0000:04:00.0", 0x020000, "igbvf", "igbvf");
  fake_ops_add_domain(f->fake, "vm1", TRUE, TRUE);
  fake_ops_add_domain(f->fake, "vm2", FALSE, TRUE);
  fake_ops_add_hostdev(f->fake, "vm2", "0000:05:00.0", PASS_HOSTDEV_CONFIG);
  fake_ops_load(f->fake, f->s.engine);
  pass_tx_set_ops(f->s.tx, fake_ops_get_ops(f->fake));
  g_assert_true(pass_service_register(f->s.service, f->s.server, &error));
  service_socket_listen(&f->s);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  service_socket_clear(&f->s);
}

static void
assert_calls(FakeOps *fake, const char *const *expected)
{
  g_auto(GStrv) calls = fake_ops_get_calls(fake);

  if (!g_strv_equal((const char *const *)calls, expected)) {
    g_autofree char *got = g_strjoinv(" | ", calls);

    g_error("calls: %s", got);
  }
}

/* ---- tests ---- */

static void
test_decoding(Fixture *f, gconstpointer data)
{
  assert_invalid(f->s.path, M "Attach", "{\"address\": \"02:00.0\"}", "domain");
  assert_invalid(f->s.path, M "Attach", "{\"domain\": 3, \"address\": \"02:00.0\"}", "domain");
  assert_invalid(f->s.path, M "Attach", "{\"domain\": \"vm1\"}", "address");
  assert_invalid(f->s.path, M "Attach", "{\"domain\": \"vm1\", \"address\": \"zz\"}", "address");
  assert_invalid(f->s.path, M "Attach",
                 "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"live\": 1}", "live");
  assert_invalid(f->s.path, M "Attach",
                 "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"whole_group\": \"yes\"}",
                 "whole_group");
  assert_invalid(f->s.path, M "Attach",
                 "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"bogus\": 1}", "bogus");
  assert_invalid(f->s.path, M "Detach",
                 "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"timeout\": \"5\"}", "timeout");
  assert_invalid(f->s.path, M "Detach",
                 "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"timeout\": -1}", "timeout");
  assert_invalid(f->s.path, M "Detach",
                 "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"dry_run\": null, "
                 "\"config\": []}",
                 "config");
  assert_invalid(f->s.path, M "Reattach", "{}", "address");
  assert_invalid(f->s.path, M "Reattach", "{\"address\": \"02:00.0\", \"dry_run\": \"no\"}",
                 "dry_run");
  /* A semantic refusal names its parameter too, with a sentence. */
  assert_invalid(f->s.path, M "Attach",
                 "{\"domain\": \"vm2\", \"address\": \"02:00.0\", \"live\": true}", "live");
  g_assert_cmpuint(fake_ops_count_calls(f->fake, ""), ==, 0);
}

/* mac and vlan: each checked, and only with interface (a MAC or VLAN silently dropped would
 * give the guest a network it did not ask for). */
static void
test_interface_decoding(Fixture *f, gconstpointer data)
{
#define VF "\"domain\": \"vm2\", \"address\": \"04:10.0\""
  assert_invalid(f->s.path, M "Attach", "{" VF ", \"interface\": true, \"mac\": \"zz\"}", "mac");
  assert_invalid(f->s.path, M "Attach", "{" VF ", \"interface\": true, \"mac\": 5}", "mac");
  assert_invalid(f->s.path, M "Attach", "{" VF ", \"interface\": true, \"mac\": \"\"}", "mac");
  assert_invalid(f->s.path, M "Attach",
                 "{" VF ", \"interface\": true, \"mac\": \"01:00:5e:00:00:01\"}", "mac");
  assert_invalid(f->s.path, M "Attach",
                 "{" VF ", \"interface\": true, \"mac\": \"ff:ff:ff:ff:ff:ff\"}", "mac");
  assert_invalid(f->s.path, M "Attach",
                 "{" VF ", \"interface\": true, \"mac\": \"00:00:00:00:00:00\"}", "mac");
  assert_invalid(f->s.path, M "Attach", "{" VF ", \"interface\": true, \"vlan\": 0}", "vlan");
  assert_invalid(f->s.path, M "Attach", "{" VF ", \"interface\": true, \"vlan\": 4095}", "vlan");
  assert_invalid(f->s.path, M "Attach", "{" VF ", \"interface\": true, \"vlan\": \"42\"}", "vlan");
  assert_invalid(f->s.path, M "Attach", "{" VF ", \"interface\": true, \"vlan\": -1}", "vlan");
  /* without interface: named, whatever else is right */
  assert_invalid(f->s.path, M "Attach", "{" VF ", \"mac\": \"52:54:00:aa:bb:01\"}", "mac");
  assert_invalid(f->s.path, M "Attach",
                 "{" VF ", \"interface\": false, \"mac\": \"52:54:00:aa:bb:01\", \"vlan\": 42}",
                 "mac");
  assert_invalid(f->s.path, M "Attach", "{" VF ", \"vlan\": 42}", "vlan");
#undef VF
  g_assert_cmpuint(fake_ops_count_calls(f->fake, ""), ==, 0);
}

/* The XML of an attach step, from a dry run. */
static char *
attach_xml(Fixture *f, const char *parameters)
{
  g_auto(Call) call = {0};
  JsonArray *actions;

  run_call(f->s.path, &call, M "Attach", parameters);
  g_assert_no_error(call.error);
  actions = json_object_get_array_member(call.reply, "actions");
  return g_strdup(json_object_get_string_member(
      json_array_get_object_element(actions, json_array_get_length(actions) - 1), "xml"));
}

static void
test_interface_dry_run(Fixture *f, gconstpointer data)
{
  g_autofree char *given =
      attach_xml(f, "{\"domain\": \"vm1\", \"address\": \"04:10.0\", \"interface\": true, \"mac\": "
                    "\"52:54:00:AA:BB:01\", \"vlan\": 42, \"dry_run\": true}");
  g_autofree char *generated =
      attach_xml(f, "{\"domain\": \"vm1\", \"address\": \"04:10.0\", \"interface\": true, "
                    "\"dry_run\": true}");
  g_autofree char *mac = pass_xml_generate_mac("vm1", "0000:04:10.0");
  g_autofree char *mac_element = g_strdup_printf("<mac address=\"%s\"/>", mac);

  g_assert_true(g_str_has_prefix(given, "<interface type=\"hostdev\" managed=\"no\">"));
  g_assert_nonnull(strstr(given, "<mac address=\"52:54:00:aa:bb:01\"/>"));
  g_assert_nonnull(strstr(given, "<tag id=\"42\"/>"));
  g_assert_nonnull(strstr(generated, mac_element));
  g_assert_null(strstr(generated, "<vlan>"));
  g_assert_cmpuint(fake_ops_count_calls(f->fake, ""), ==, 0);
}

/* A real attach and detach of an interface (vm2: shut off, so its definition only): the detach
 * names the MAC the domain has, and a generated MAC is the same after detach and attach. */
static void
test_interface_round_trip(Fixture *f, gconstpointer data)
{
  g_autofree char *mac = pass_xml_generate_mac("vm2", "0000:04:10.2");
  g_autofree char *attach_generated = g_strdup_printf("attach vm2 0000:04:10.2 config mac=%s", mac);
  g_autofree char *detach_generated = g_strdup_printf("detach vm2 0000:04:10.2 config mac=%s", mac);

  for (guint i = 0; i < 3; i++) {
    g_auto(Call) attach = {0};
    g_auto(Call) detach = {0};

    run_call(f->s.path, &attach, M "Attach",
             i == 0 ? "{\"domain\": \"vm2\", \"address\": \"04:10.2\", \"interface\": true, "
                      "\"mac\": \"52:54:00:aa:bb:01\", \"vlan\": 42}"
                    : "{\"domain\": \"vm2\", \"address\": \"04:10.2\", \"interface\": true}");
    g_assert_no_error(attach.error);
    g_assert_true(
        pass_domain_find_hostdev(pass_engine_lookup_domain(f->s.engine, "vm2"), "0000:04:10.2")
            ->interface);
    run_call(f->s.path, &detach, M "Detach", "{\"domain\": \"vm2\", \"address\": \"04:10.2\"}");
    g_assert_no_error(detach.error);
  }
  assert_calls(f->fake,
               (const char *[]){
                   "detach_host 0000:04:10.2",
                   "attach vm2 0000:04:10.2 config mac=52:54:00:aa:bb:01 vlan=42",
                   "detach vm2 0000:04:10.2 config mac=52:54:00:aa:bb:01",
                   "reattach_host 0000:04:10.2 igbvf", "detach_host 0000:04:10.2", attach_generated,
                   detach_generated, "reattach_host 0000:04:10.2 igbvf", "detach_host 0000:04:10.2",
                   attach_generated, detach_generated, "reattach_host 0000:04:10.2 igbvf", NULL});
  g_assert_cmpstr(pass_engine_lookup_device(f->s.engine, "0000:04:10.2")->driver, ==, "igbvf");
}

static void
test_attach_dry_run(Fixture *f, gconstpointer data)
{
  g_auto(Call) call = {0};
  JsonArray *actions, *devices;
  JsonObject *host, *attach;

  run_call(f->s.path, &call, M "Attach",
           "{\"domain\": \"vm1\", \"address\": \"pci_0000_02_00_0\", \"dry_run\": true}");
  g_assert_no_error(call.error);
  devices = json_object_get_array_member(call.reply, "devices");
  g_assert_cmpuint(json_array_get_length(devices), ==, 1);
  g_assert_cmpstr(json_array_get_string_element(devices, 0), ==, "0000:02:00.0");
  actions = json_object_get_array_member(call.reply, "actions");
  g_assert_cmpuint(json_array_get_length(actions), ==, 2);
  host = json_array_get_object_element(actions, 0);
  g_assert_cmpstr(json_object_get_string_member(host, "action"), ==, "detach_host");
  g_assert_cmpstr(json_object_get_string_member(host, "address"), ==, "0000:02:00.0");
  g_assert_cmpstr(json_object_get_string_member(host, "driver_from"), ==, "nvme");
  g_assert_cmpstr(json_object_get_string_member(host, "driver_to"), ==, "vfio-pci");
  g_assert_false(json_object_get_boolean_member(host, "driver_to_default"));
  g_assert_true(json_object_get_null_member(host, "domain"));
  g_assert_true(json_object_get_null_member(host, "xml"));
  g_assert_true(json_object_get_null_member(host, "live"));
  attach = json_array_get_object_element(actions, 1);
  g_assert_cmpstr(json_object_get_string_member(attach, "action"), ==, "attach");
  g_assert_cmpstr(json_object_get_string_member(attach, "domain"), ==, "vm1");
  g_assert_true(json_object_get_boolean_member(attach, "live"));
  g_assert_true(json_object_get_boolean_member(attach, "config"));
  g_assert_true(json_object_get_null_member(attach, "driver_from"));
  g_assert_true(json_object_get_null_member(attach, "driver_to_default"));
  g_assert_nonnull(strstr(json_object_get_string_member(attach, "xml"), "<hostdev "));
  g_assert_cmpuint(fake_ops_count_calls(f->fake, ""), ==, 0);
}

/* passd does not know the driver of a device it did not take: the kernel picks, and the dry run
 * says so instead of naming a driver. */
static void
test_reattach_default_driver(Fixture *f, gconstpointer data)
{
  g_auto(Call) call = {0};
  JsonObject *step;

  run_call(f->s.path, &call, M "Reattach", "{\"address\": \"06:00.0\", \"dry_run\": true}");
  g_assert_no_error(call.error);
  step = json_array_get_object_element(json_object_get_array_member(call.reply, "actions"), 0);
  g_assert_cmpstr(json_object_get_string_member(step, "action"), ==, "reattach_host");
  g_assert_cmpstr(json_object_get_string_member(step, "driver_from"), ==, "vfio-pci");
  g_assert_true(json_object_get_null_member(step, "driver_to"));
  g_assert_true(json_object_get_boolean_member(step, "driver_to_default"));
}

static void
test_errors(Fixture *f, gconstpointer data)
{
  g_auto(Call) in_use = {0};
  g_auto(Call) group = {0};
  g_auto(Call) no_domain = {0};
  g_auto(Call) not_assigned = {0};
  JsonArray *blocking;
  JsonObject *blocker;

  run_call(f->s.path, &in_use, M "Attach", "{\"domain\": \"vm1\", \"address\": \"05:00.0\"}");
  g_assert_error(in_use.error, PASS_ERROR, PASS_ERROR_DEVICE_IN_USE);
  g_assert_cmpstr(json_object_get_string_member(in_use.error_parameters, "address"), ==,
                  "0000:05:00.0");
  g_assert_cmpstr(json_array_get_string_element(
                      json_object_get_array_member(in_use.error_parameters, "owners"), 0),
                  ==, "vm2");
  g_assert_true(json_object_has_member(in_use.error_parameters, "message"));

  run_call(f->s.path, &group, M "Attach", "{\"domain\": \"vm1\", \"address\": \"01:00.0\"}");
  g_assert_error(group.error, PASS_ERROR, PASS_ERROR_IOMMU_GROUP_NOT_VIABLE);
  g_assert_cmpint(json_object_get_int_member(group.error_parameters, "group"), ==, 1);
  blocking = json_object_get_array_member(group.error_parameters, "blocking");
  g_assert_cmpuint(json_array_get_length(blocking), ==, 1);
  blocker = json_array_get_object_element(blocking, 0);
  g_assert_cmpstr(json_object_get_string_member(blocker, "address"), ==, "0000:01:00.1");
  g_assert_cmpstr(json_object_get_string_member(blocker, "driver"), ==, "snd_hda_intel");

  run_call(f->s.path, &no_domain, M "Detach", "{\"domain\": \"nope\", \"address\": \"02:00.0\"}");
  g_assert_error(no_domain.error, PASS_ERROR, PASS_ERROR_NO_SUCH_DOMAIN);
  g_assert_cmpstr(json_object_get_string_member(no_domain.error_parameters, "domain"), ==, "nope");

  run_call(f->s.path, &not_assigned, M "Detach", "{\"domain\": \"vm1\", \"address\": \"02:00.0\"}");
  g_assert_error(not_assigned.error, PASS_ERROR, PASS_ERROR_DEVICE_NOT_ASSIGNED);
  g_assert_cmpstr(json_object_get_string_member(not_assigned.error_parameters, "domain"), ==,
                  "vm1");
  g_assert_cmpstr(json_object_get_string_member(not_assigned.error_parameters, "address"), ==,
                  "0000:02:00.0");
}

/* Until the pending unplugs are done. */
static void
wait_no_operations(Fixture *f)
{
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

  while (pass_tx_get_n_operations(f->s.tx) > 0) {
    g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    g_main_context_iteration(NULL, FALSE);
    g_usleep(1000);
  }
}

/* A real attach, then GetDomain while an unplug is pending, then the late event. */
static void
test_removal_pending(Fixture *f, gconstpointer data)
{
  g_auto(Call) attach = {0};
  g_auto(Call) detach = {0};
  g_auto(Call) domain = {0};
  g_autofree char *alias = NULL;
  JsonObject *assignment;

  run_call(f->s.path, &attach, M "Attach", "{\"domain\": \"vm1\", \"address\": \"02:00.0\"}");
  g_assert_no_error(attach.error);
  g_assert_cmpuint(json_array_get_length(json_object_get_array_member(attach.reply, "actions")), ==,
                   2);

  run_call(f->s.path, &detach, M "Detach",
           "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"timeout\": 0}");
  g_assert_error(detach.error, PASS_ERROR, PASS_ERROR_REMOVAL_PENDING);
  g_assert_cmpstr(json_object_get_string_member(detach.error_parameters, "domain"), ==, "vm1");

  run_call(f->s.path, &domain, M "GetDomain", "{\"domain\": \"vm1\"}");
  g_assert_no_error(domain.error);
  assignment =
      json_array_get_object_element(json_object_get_array_member(domain.reply, "devices"), 0);
  g_assert_cmpstr(json_object_get_string_member(assignment, "address"), ==, "0000:02:00.0");
  g_assert_true(json_object_get_boolean_member(assignment, "removal_pending"));

  alias = fake_ops_release(f->fake, "vm1", "0000:02:00.0");
  pass_tx_device_removal(f->s.tx, "vm1", alias, FALSE);
  wait_no_operations(f);
  g_assert_cmpstr(pass_engine_lookup_device(f->s.engine, "0000:02:00.0")->driver, ==, "nvme");
}

/* A Detach without a timeout waits as long as the transactions' default says (RemovalTimeout
 * in passd.conf): 0 answers RemovalPending at once, where 20 s would outlast the test. */
static void
test_default_timeout(Fixture *f, gconstpointer data)
{
  g_auto(Call) attach = {0};
  g_auto(Call) detach = {0};
  g_autofree char *alias = NULL;

  pass_tx_set_removal_timeout(f->s.tx, 0);
  run_call(f->s.path, &attach, M "Attach", "{\"domain\": \"vm1\", \"address\": \"02:00.0\"}");
  g_assert_no_error(attach.error);
  run_call(f->s.path, &detach, M "Detach", "{\"domain\": \"vm1\", \"address\": \"02:00.0\"}");
  g_assert_error(detach.error, PASS_ERROR, PASS_ERROR_REMOVAL_PENDING);

  alias = fake_ops_release(f->fake, "vm1", "0000:02:00.0");
  pass_tx_device_removal(f->s.tx, "vm1", alias, FALSE);
  wait_no_operations(f);
}

/* ---- pools ---- */

typedef struct {
  guint saves;
  gboolean fail;
  GString *names; /* of the pools each save got: "a,b|a|" */
} Saver;

static gboolean
save_pools(GPtrArray *pools, gpointer data, GError **error)
{
  Saver *saver = data;

  saver->saves++;
  for (guint i = 0; i < pools->len; i++)
    g_string_append_printf(saver->names, "%s%s", i ? "," : "",
                           ((PassPool *)g_ptr_array_index(pools, i))->name);
  g_string_append_c(saver->names, '|');
  if (saver->fail) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "disk full");
    return FALSE;
  }
  return TRUE;
}

/* Two VFs of a PF on the fake host, a file pool of them; DefinePool saves only the run-time
 * pools and changes nothing when the save fails; a pool attach really attaches and replies
 * with its picks. */
static void
test_pools(Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) pools = g_ptr_array_new_with_free_func((GDestroyNotify)pass_pool_unref);
  g_autoptr(PassPool) file_pool = pass_pool_new("file");
  Saver saver = {.names = g_string_new(NULL)};
  g_auto(Call) defined = {0};
  g_auto(Call) failed = {0};
  g_auto(Call) undefined = {0};
  g_auto(Call) attached = {0};
  g_auto(Call) listed = {0};
  JsonObject *pick;

  fake_ops_add_device(f->fake, "0000:07:00.0", 19, NULL, 0x010802, "nvme", "nvme");
  fake_ops_add_device(f->fake, "0000:07:00.1", 20, "0000:07:00.0", 0x010802, NULL, "nvme");
  fake_ops_add_device(f->fake, "0000:07:00.2", 21, "0000:07:00.0", 0x010802, NULL, "nvme");
  fake_ops_load(f->fake, f->s.engine);
  file_pool->origin = PASS_POOL_ORIGIN_FILE;
  file_pool->file = g_strdup("/etc/passd/pools.d/f.conf");
  file_pool->line = 1;
  file_pool->driver = g_strdup("nvme");
  g_ptr_array_add(pools, pass_pool_ref(file_pool));
  pass_service_set_pools(f->s.service, pools, save_pools, &saver, "/var/lib/passd/pools.conf");

  run_call(f->s.path, &defined, M "DefinePool",
           "{\"name\": \"vfs\", \"pfs\": [\"07:00.0\"], \"kind\": \"pci\"}");
  g_assert_no_error(defined.error);
  pick = json_object_get_object_member(defined.reply, "pool");
  g_assert_cmpstr(json_object_get_string_member(pick, "file"), ==, "/var/lib/passd/pools.conf");
  g_assert_cmpint(json_object_get_int_member(pick, "free"), ==, 2);
  saver.fail = TRUE;
  run_call(f->s.path, &failed, M "DefinePool", "{\"name\": \"more\", \"driver\": \"x\"}");
  g_assert_error(failed.error, PASS_ERROR, PASS_ERROR_FAILED);
  g_assert_nonnull(strstr(failed.error->message, "disk full"));
  run_call(f->s.path, &undefined, M "UndefinePool", "{\"name\": \"vfs\"}");
  g_assert_error(undefined.error, PASS_ERROR, PASS_ERROR_FAILED);
  /* the file's pool is never saved; the failed saves changed nothing */
  g_assert_cmpstr(saver.names->str, ==, "vfs|vfs,more||");
  saver.fail = FALSE;

  run_call(f->s.path, &attached, M "Attach",
           "{\"domain\": \"vm2\", \"pool\": \"vfs\", \"count\": 2}");
  g_assert_no_error(attached.error);
  g_assert_cmpstr(json_object_get_string_member(attached.reply, "pool"), ==, "vfs");
  g_assert_cmpuint(json_array_get_length(json_object_get_array_member(attached.reply, "picks")), ==,
                   2);
  pick = json_array_get_object_element(json_object_get_array_member(attached.reply, "picks"), 0);
  g_assert_cmpstr(json_object_get_string_member(pick, "address"), ==, "0000:07:00.1");
  g_assert_true(json_object_has_member(attached.reply, "numa_note"));
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "attach vm2 0000:07:00."), ==, 2);

  run_call(f->s.path, &listed, M "ListPools", "{}");
  g_assert_no_error(listed.error);
  {
    JsonArray *array = json_object_get_array_member(listed.reply, "pools");
    JsonObject *first = json_array_get_object_element(array, 0);
    JsonObject *second = json_array_get_object_element(array, 1);

    g_assert_cmpuint(json_array_get_length(array), ==, 2);
    g_assert_cmpstr(json_object_get_string_member(first, "name"), ==, "file");
    g_assert_cmpint(json_object_get_int_member(first, "total"), ==, 0);
    g_assert_cmpstr(json_object_get_string_member(second, "name"), ==, "vfs");
    g_assert_cmpint(json_object_get_int_member(second, "in_use"), ==, 2);
    g_assert_cmpint(json_object_get_int_member(second, "free"), ==, 0);
  }
  g_string_free(saver.names, TRUE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD("/service-ops/decoding", test_decoding);
  ADD("/service-ops/attach-dry-run", test_attach_dry_run);
  ADD("/service-ops/interface-decoding", test_interface_decoding);
  ADD("/service-ops/interface-dry-run", test_interface_dry_run);
  ADD("/service-ops/interface-round-trip", test_interface_round_trip);
  ADD("/service-ops/reattach-default-driver", test_reattach_default_driver);
  ADD("/service-ops/errors", test_errors);
  ADD("/service-ops/removal-pending", test_removal_pending);
  ADD("/service-ops/default-timeout", test_default_timeout);
  ADD("/service-ops/pools", test_pools);
#undef ADD
  return g_test_run();
}
