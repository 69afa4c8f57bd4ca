/* io.passd.Manager in-process: a real PassVarlinkServer on a temporary socket, the blocking
 * client on a thread, and the engine fed directly on the main thread (no libvirt). */

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pass-error.h"
#include "pass-varlink.h"
#include "pass-varlink-private.h"
#include "service-call.h"
#include "service-private.h"

#define M "io.passd.Manager."

typedef ServiceSocket Fixture;

static PassDevice *
make_device(const char *address, int group, const char *physfn, const char *driver)
{
  PassDevice *device = pass_device_new();

  device->address = g_strdup(address);
  device->name = g_strdup_printf("pci_%s", address);
  g_strdelimit(device->name, ":.", '_');
  device->vendor_id = 0x8086;
  device->product_id = physfn ? 0x10ca : 0x10c9;
  device->class_code = 0x020000;
  device->iommu_group = group;
  device->physfn = g_strdup(physfn);
  device->totalvfs = !physfn && g_str_has_suffix(address, ":00.0") ? 7 : -1;
  device->driver = g_strdup(driver);
  return device;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  service_socket_init(f);
  g_assert_true(pass_service_register(f->service, f->server, &error));
  service_socket_listen(f);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  service_socket_clear(f);
}

/* A host with an SR-IOV NIC (one VF so far) owned by vm1, and an unbound device. */
static void
load_host(Fixture *f)
{
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
  g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func((GDestroyNotify)pass_domain_unref);
  PassDomain *vm1 = pass_domain_new("vm1");
  PassHostdev *hostdev = pass_hostdev_new();

  g_ptr_array_add(devices, make_device("0000:02:00.0", 12, NULL, "igb"));
  g_ptr_array_add(devices, make_device("0000:02:10.0", 20, "0000:02:00.0", NULL));
  g_ptr_array_add(devices, make_device("0000:00:1f.3", 7, NULL, NULL));
  ((PassDevice *)devices->pdata[2])->class_code = 0x040300;
  ((PassDevice *)devices->pdata[2])->vendor_id = 0x1af4;
  hostdev->address = g_strdup("0000:02:10.0");
  hostdev->guest_address = g_strdup("0000:07:00.0");
  hostdev->alias = g_strdup("hostdev0");
  hostdev->where = PASS_HOSTDEV_LIVE;
  hostdev->interface = TRUE;
  g_ptr_array_add(vm1->hostdevs, hostdev);
  /* Defined with a device the host does not show (any more). */
  hostdev = pass_hostdev_new();
  hostdev->address = g_strdup("0000:05:00.0");
  hostdev->where = PASS_HOSTDEV_CONFIG;
  g_ptr_array_add(vm1->hostdevs, hostdev);
  vm1->active = TRUE;
  vm1->persistent = TRUE;
  vm1->state = PASS_DOMAIN_STATE_RUNNING;
  g_ptr_array_add(domains, vm1);
  pass_engine_set_connected(f->engine, TRUE, NULL);
  pass_engine_reset(f->engine, devices, domains);
}

/* ---- running client code on a thread while the main loop serves ---- */

typedef void (*ClientFunc)(Fixture *f, PassVarlinkClient *client);

typedef struct {
  Fixture *f;
  ClientFunc func;
  gint done;
} Job;

static gpointer
job_thread(gpointer data)
{
  Job *job = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(job->f->path, &error);

  g_assert_no_error(error);
  job->func(job->f, client);
  g_clear_pointer(&client, pass_varlink_client_free);
  g_atomic_int_set(&job->done, 1);
  g_main_context_wakeup(NULL);
  return NULL;
}

static void
run_client(Fixture *f, ClientFunc func)
{
  Job job = {.f = f, .func = func};
  GThread *thread = g_thread_new("client", job_thread, &job);

  while (!g_atomic_int_get(&job.done))
    g_main_context_iteration(NULL, TRUE);
  g_thread_join(thread);
  /* Let the server see the hang-up. */
  for (int i = 0; i < 100 && g_main_context_iteration(NULL, FALSE); i++)
    ;
}

/* Run @func on the main thread (which owns the engine) and wait for it. */
typedef struct {
  void (*func)(Fixture *f);
  Fixture *f;
  GMutex lock;
  GCond cond;
  gboolean done;
} MainCall;

static gboolean
main_call_run(gpointer data)
{
  MainCall *call = data;

  call->func(call->f);
  g_mutex_lock(&call->lock);
  call->done = TRUE;
  g_cond_signal(&call->cond);
  g_mutex_unlock(&call->lock);
  return G_SOURCE_REMOVE;
}

static void
on_main(Fixture *f, void (*func)(Fixture *f))
{
  MainCall call = {.func = func, .f = f};

  g_mutex_init(&call.lock);
  g_cond_init(&call.cond);
  g_main_context_invoke(NULL, main_call_run, &call);
  g_mutex_lock(&call.lock);
  while (!call.done)
    g_cond_wait(&call.cond, &call.lock);
  g_mutex_unlock(&call.lock);
  g_mutex_clear(&call.lock);
  g_cond_clear(&call.cond);
}

static JsonObject *
call_ok(PassVarlinkClient *client, const char *method, const char *parameters_json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = parameters_json ? json_from_string(parameters_json, &error) : NULL;
  JsonObject *reply;

  g_assert_no_error(error);
  reply = pass_varlink_client_call(client, method, node ? json_node_get_object(node) : NULL, NULL,
                                   &error);
  g_assert_no_error(error);
  return reply;
}

/* The error's code; @error_parameters' JSON text in *parameters_text when asked. */
static int
call_error(PassVarlinkClient *client, const char *method, const char *parameters_json,
           char **parameters_text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = parameters_json ? json_from_string(parameters_json, NULL) : NULL;
  g_autoptr(JsonObject) error_parameters = NULL;
  g_autoptr(JsonObject) reply = pass_varlink_client_call(
      client, method, node ? json_node_get_object(node) : NULL, &error_parameters, &error);

  g_assert_null(reply);
  g_assert_error(error, PASS_ERROR, error->code);
  if (parameters_text) {
    g_autoptr(JsonNode) p = json_node_init_object(json_node_alloc(), error_parameters);
    *parameters_text = json_to_string(p, FALSE);
  }
  return error->code;
}

static char *
device_addresses(JsonObject *reply)
{
  JsonArray *devices = json_object_get_array_member(reply, "devices");
  GString *out = g_string_new(NULL);

  for (guint i = 0; i < json_array_get_length(devices); i++)
    g_string_append_printf(
        out, "%s%s", i ? " " : "",
        json_object_get_string_member(json_array_get_object_element(devices, i), "address"));
  return g_string_free(out, FALSE);
}

#define assert_list(client, filter, expected)                                                      \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autoptr(JsonObject) _r = call_ok(client, M "ListDevices", filter);                           \
    g_autofree char *_a = device_addresses(_r);                                                    \
    g_assert_cmpstr(_a, ==, expected);                                                             \
  }                                                                                                \
  G_STMT_END

/* ---- before libvirt ---- */

static void
client_unavailable(Fixture *f, PassVarlinkClient *client)
{
  g_autoptr(JsonObject) status = call_ok(client, M "GetStatus", NULL);
  g_autofree char *params = NULL;

  g_assert_false(json_object_get_boolean_member(status, "connected"));
  g_assert_cmpint(json_object_get_int_member(status, "devices"), ==, 0);
  g_assert_cmpstr(json_object_get_string_member(status, "uri"), ==, "test:///fake");
  g_assert_cmpint(call_error(client, M "ListDevices", NULL, NULL), ==,
                  PASS_ERROR_HYPERVISOR_UNAVAILABLE);
  g_assert_cmpint(call_error(client, M "GetDevice", "{\"address\":\"00:1f.3\"}", &params), ==,
                  PASS_ERROR_HYPERVISOR_UNAVAILABLE);
  g_assert_cmpint(call_error(client, M "GetDomain", "{\"domain\":\"vm1\"}", NULL), ==,
                  PASS_ERROR_HYPERVISOR_UNAVAILABLE);
  g_assert_true(strstr(params, "test:///fake") != NULL);
  /* Bad input is bad input, connected or not. */
  g_assert_cmpint(call_error(client, M "ListDevices", "{\"sriov\":\"both\"}", NULL), ==,
                  PASS_ERROR_INVALID_PARAMETER);
}

static void
test_unavailable(Fixture *f, gconstpointer data)
{
  run_client(f, client_unavailable);
}

/* ---- queries ---- */

static void
client_queries(Fixture *f, PassVarlinkClient *client)
{
  g_autoptr(JsonObject) status = call_ok(client, M "GetStatus", NULL);
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *params = NULL;
  JsonObject *device;

  g_assert_true(json_object_get_boolean_member(status, "connected"));
  g_assert_cmpint(json_object_get_int_member(status, "devices"), ==, 3);

  assert_list(client, NULL, "0000:00:1f.3 0000:02:00.0 0000:02:10.0");
  assert_list(client, "{}", "0000:00:1f.3 0000:02:00.0 0000:02:10.0");
  assert_list(client, "{\"vendor_id\":\"8086\"}", "0000:02:00.0 0000:02:10.0");
  assert_list(client, "{\"vendor_id\":\"0X1AF4\"}", "0000:00:1f.3");
  assert_list(client, "{\"product_id\":\"0x10ca\",\"vendor_id\":null}", "0000:02:10.0");
  assert_list(client, "{\"class\":\"0x02\"}", "0000:02:00.0 0000:02:10.0");
  assert_list(client, "{\"class\":\"0403\"}", "0000:00:1f.3");
  assert_list(client, "{\"class\":\"0x020001\"}", "");
  assert_list(client, "{\"driver\":\"\"}", "0000:00:1f.3 0000:02:10.0");
  assert_list(client, "{\"driver\":\"igb\"}", "0000:02:00.0");
  assert_list(client, "{\"owner\":\"vm1\"}", "0000:02:10.0");
  assert_list(client, "{\"owner\":\"vm2\"}", "");
  assert_list(client, "{\"sriov\":\"pf\"}", "0000:02:00.0");
  assert_list(client, "{\"sriov\":\"vf\",\"class\":\"0x02\"}", "0000:02:10.0");

  g_assert_cmpint(call_error(client, M "ListDevices", "{\"vendor_id\":32902}", &params), ==,
                  PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpstr(params, ==, "{\"parameter\":\"vendor_id\"}");
  g_clear_pointer(&params, g_free);
  g_assert_cmpint(call_error(client, M "ListDevices", "{\"class\":\"network\"}", &params), ==,
                  PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpstr(params, ==, "{\"parameter\":\"class\"}");
  g_clear_pointer(&params, g_free);
  g_assert_cmpint(call_error(client, M "ListDevices", "{\"owners\":\"vm1\"}", &params), ==,
                  PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpstr(params, ==, "{\"parameter\":\"owners\"}");
  g_clear_pointer(&params, g_free);

  /* GetDevice canonicalizes; NoSuchDevice names the canonical address. */
  reply = call_ok(client, M "GetDevice", "{\"address\":\"pci_0000_02_00_0\"}");
  device = json_object_get_object_member(reply, "device");
  g_assert_cmpstr(json_object_get_string_member(device, "address"), ==, "0000:02:00.0");
  g_assert_cmpuint(json_array_get_length(json_object_get_array_member(device, "vfs")), ==, 1);
  g_assert_cmpint(call_error(client, M "GetDevice", "{\"address\":\"03:00.0\"}", &params), ==,
                  PASS_ERROR_NO_SUCH_DEVICE);
  g_assert_cmpstr(params, ==,
                  "{\"message\":\"No PCI device at 0000:03:00.0\",\"address\":\"0000:03:00.0\"}");
  g_clear_pointer(&params, g_free);
  g_assert_cmpint(call_error(client, M "GetDevice", "{\"address\":\"03:00.9\"}", &params), ==,
                  PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpstr(params, ==, "{\"parameter\":\"address\"}");
  g_clear_pointer(&params, g_free);
  g_assert_cmpint(call_error(client, M "GetDevice", "{\"address\":[]}", NULL), ==,
                  PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint(call_error(client, M "GetDevice", NULL, NULL), ==, PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint(call_error(client, M "GetStatus", "{\"verbose\":true}", NULL), ==,
                  PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint(call_error(client, M "Watch", NULL, NULL), ==, PASS_ERROR_EXPECTED_MORE);
}

static void
test_queries(Fixture *f, gconstpointer data)
{
  load_host(f);
  run_client(f, client_queries);
}

/* ---- GetDomain ---- */

static void
client_domain(Fixture *f, PassVarlinkClient *client)
{
  g_autoptr(JsonObject) reply = call_ok(client, M "GetDomain", "{\"domain\":\"vm1\"}");
  g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), reply);
  g_autofree char *text = json_to_string(node, FALSE);
  g_autofree char *params = NULL;

  g_assert_cmpstr(text, ==,
                  "{\"name\":\"vm1\",\"state\":\"running\",\"persistent\":true,\"devices\":["
                  "{\"address\":\"0000:02:10.0\",\"guest_address\":\"0000:07:00.0\","
                  "\"vendor_id\":\"0x8086\",\"product_id\":\"0x10ca\",\"vendor\":null,"
                  "\"product\":null,\"live\":true,\"config\":false,\"interface\":true,"
                  "\"mac\":null,\"vlan\":null,\"removal_pending\":false},"
                  "{\"address\":\"0000:05:00.0\",\"guest_address\":null,\"vendor_id\":null,"
                  "\"product_id\":null,\"vendor\":null,\"product\":null,\"live\":false,"
                  "\"config\":true,\"interface\":false,\"mac\":null,\"vlan\":null,\"removal_"
                  "pending\":false}]}");
  g_assert_cmpint(call_error(client, M "GetDomain", "{\"domain\":\"vm9\"}", &params), ==,
                  PASS_ERROR_NO_SUCH_DOMAIN);
  g_assert_cmpstr(params, ==, "{\"message\":\"No domain named vm9\",\"domain\":\"vm9\"}");
  g_assert_cmpint(call_error(client, M "GetDomain", NULL, NULL), ==, PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpint(call_error(client, M "GetDomain", "{\"domain\":1}", NULL), ==,
                  PASS_ERROR_INVALID_PARAMETER);
}

static void
test_domain(Fixture *f, gconstpointer data)
{
  load_host(f);
  run_client(f, client_domain);
}

/* ---- cached replies follow changes ---- */

static void
add_vf_and_rebind(Fixture *f)
{
  g_autoptr(PassDevice) vf = make_device("0000:02:10.2", 21, "0000:02:00.0", NULL);
  g_autoptr(PassDevice) rebound = make_device("0000:00:1f.3", 7, NULL, "vfio-pci");

  rebound->class_code = 0x040300;
  rebound->vendor_id = 0x1af4;
  pass_engine_device_changed(f->engine, vf);
  pass_engine_device_changed(f->engine, rebound);
}

static void
client_cache(Fixture *f, PassVarlinkClient *client)
{
  g_autoptr(JsonObject) before = call_ok(client, M "GetDevice", "{\"address\":\"02:00.0\"}");
  g_autoptr(JsonObject) after = NULL;
  JsonArray *vfs;

  vfs = json_object_get_array_member(json_object_get_object_member(before, "device"), "vfs");
  g_assert_cmpuint(json_array_get_length(vfs), ==, 1);
  assert_list(client, NULL, "0000:00:1f.3 0000:02:00.0 0000:02:10.0");
  assert_list(client, "{\"driver\":\"\"}", "0000:00:1f.3 0000:02:10.0");
  on_main(f, add_vf_and_rebind);
  assert_list(client, NULL, "0000:00:1f.3 0000:02:00.0 0000:02:10.0 0000:02:10.2");
  assert_list(client, "{\"driver\":\"\"}", "0000:02:10.0 0000:02:10.2");
  assert_list(client, "{\"driver\":\"vfio-pci\"}", "0000:00:1f.3");
  /* The PF's own record was cached before its VF appeared. */
  after = call_ok(client, M "GetDevice", "{\"address\":\"02:00.0\"}");
  vfs = json_object_get_array_member(json_object_get_object_member(after, "device"), "vfs");
  g_assert_cmpuint(json_array_get_length(vfs), ==, 2);
  g_assert_cmpstr(json_array_get_string_element(vfs, 1), ==, "0000:02:10.2");
}

static void
test_cache(Fixture *f, gconstpointer data)
{
  load_host(f);
  run_client(f, client_cache);
}

/* ---- Watch ---- */

static void
watch_changes(Fixture *f)
{
  g_autoptr(PassDomain) vm2 = pass_domain_new("vm2");
  PassHostdev *hostdev = pass_hostdev_new();

  hostdev->address = g_strdup("0000:00:1f.3");
  hostdev->where = PASS_HOSTDEV_CONFIG;
  g_ptr_array_add(vm2->hostdevs, hostdev);
  pass_engine_domain_changed(f->engine, vm2);
  pass_engine_device_removed(f->engine, "0000:02:10.0");
  pass_engine_set_connected(f->engine, FALSE, "libvirtd went away");
}

typedef struct {
  Fixture *f;
  GPtrArray *events; /* "type address|device owners|connected message" */
} WatchState;

static gboolean
on_watch_reply(JsonObject *parameters, gboolean continues, gpointer user_data)
{
  WatchState *state = user_data;
  JsonObject *event = json_object_get_object_member(parameters, "event");
  const char *type = json_object_get_string_member(event, "type");
  GString *line = g_string_new(type);

  g_assert_true(continues);
  if (!json_object_get_null_member(event, "address"))
    g_string_append_printf(line, " %s", json_object_get_string_member(event, "address"));
  if (!json_object_get_null_member(event, "device")) {
    JsonObject *device = json_object_get_object_member(event, "device");
    JsonArray *owners = json_object_get_array_member(device, "owners");

    g_string_append_printf(line, " owners=%u", json_array_get_length(owners));
  }
  if (!json_object_get_null_member(event, "connected"))
    g_string_append_printf(line, " connected=%d",
                           json_object_get_boolean_member(event, "connected"));
  if (!json_object_get_null_member(event, "message"))
    g_string_append_printf(line, " %s", json_object_get_string_member(event, "message"));
  g_ptr_array_add(state->events, g_string_free(line, FALSE));

  if (g_str_equal(type, "subscribed"))
    on_main(state->f, watch_changes);
  return !g_str_equal(type, "hypervisor");
}

static void
client_watch(Fixture *f, PassVarlinkClient *client)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func(g_free);
  WatchState state = {.f = f, .events = events};
  g_autoptr(GError) error = NULL;
  g_autofree char *joined = NULL;

  g_assert_true(
      pass_varlink_client_call_more(client, M "Watch", NULL, on_watch_reply, &state, NULL, &error));
  g_assert_no_error(error);
  g_ptr_array_add(events, NULL);
  joined = g_strjoinv(", ", (char **)events->pdata);
  g_assert_cmpstr(joined, ==,
                  "subscribed, owners 0000:00:1f.3 owners=1, changed 0000:02:00.0 owners=0, "
                  "removed 0000:02:10.0, hypervisor connected=0 libvirtd went away");
}

/* After a loss the last picture is still served; GetStatus tells. */
static void
client_after_loss(Fixture *f, PassVarlinkClient *client)
{
  g_autoptr(JsonObject) status = call_ok(client, M "GetStatus", NULL);

  g_assert_false(json_object_get_boolean_member(status, "connected"));
  assert_list(client, NULL, "0000:00:1f.3 0000:02:00.0 0000:05:00.0");
}

/* Served as before. */
static void
client_after_watch(Fixture *f, PassVarlinkClient *client)
{
  g_autoptr(JsonObject) status = call_ok(client, M "GetStatus", NULL);

  g_assert_true(json_object_get_boolean_member(status, "connected"));
  assert_list(client, NULL, "0000:00:1f.3 0000:02:00.0 0000:02:10.0");
}

static void
test_watch(Fixture *f, gconstpointer data)
{
  g_autoptr(PassDevice) late = make_device("0000:05:00.0", 30, NULL, NULL);

  load_host(f);
  run_client(f, client_watch);
  /* The subscriber is gone: later events go nowhere, and nothing breaks. */
  pass_engine_device_changed(f->engine, late);
  g_assert_cmpuint(pass_engine_get_n_devices(f->engine), ==, 3);
  run_client(f, client_after_loss);
}

/* A raw peer on @path with a small receive buffer, so that what it does not read piles up in
 * the server. */
static int
connect_raw(const char *path)
{
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int size = 4096;

  g_assert_cmpint(fd, >=, 0);
  g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size), ==, 0);
  g_strlcpy(address.sun_path, path, sizeof address.sun_path);
  g_assert_cmpint(connect(fd, (struct sockaddr *)&address, sizeof address), ==, 0);
  return fd;
}

static void
drain_main_context(void)
{
  for (int i = 0; i < 100 && g_main_context_iteration(NULL, FALSE); i++)
    ;
}

/* A subscriber that stops reading is dropped once its queued events pass the cap, instead of
 * growing passd's memory; the events that follow go nowhere and other clients are served. */
static void
test_watch_slow_reader(Fixture *f, gconstpointer data)
{
  static const char watch[] = "{\"method\":\"" M "Watch\",\"more\":true}";
  const gsize cap = 256 * 1024;
  int hog;
  guint events;

  load_host(f);
  pass_varlink_server_set_max_output(f->server, cap);
  hog = connect_raw(f->path);
  g_assert_cmpint(write(hog, watch, sizeof watch), ==, sizeof watch); /* with its NUL */
  while (f->service->subscribers->len == 0)
    g_main_context_iteration(NULL, TRUE);
  g_assert_cmpuint(pass_varlink_server_get_n_connections(f->server), ==, 1);

  /* The VF's driver flips back and forth: one changed event each time (~600 bytes). */
  for (events = 0; events < 100000 && pass_varlink_server_get_n_connections(f->server) > 0;
       events++) {
    g_autoptr(PassDevice) vf =
        make_device("0000:02:10.0", 20, "0000:02:00.0", events % 2 ? "vfio-pci" : NULL);

    pass_engine_device_changed(f->engine, vf);
    drain_main_context();
  }
  g_test_message("dropped after %u events", events);
  g_assert_cmpuint(pass_varlink_server_get_n_connections(f->server), ==, 0);
  g_assert_cmpuint(f->service->subscribers->len, ==, 0);
  /* Dropped at the cap, not later: the kernel's buffers hold some too, far less than this. */
  g_assert_cmpuint(events, <, 4 * cap / 500);
  run_client(f, client_after_watch);
  close(hog);
}

/* ---- CheckHost ---- */

static GThread *doctor_thread; /* where the fake doctor ran last */

/* Stands for host/host-doctor: one host check, and one per device. */
static void
fake_doctor(const char *address, GPtrArray *checks, gpointer data)
{
  doctor_thread = g_thread_self();
  g_ptr_array_add(checks, pass_check_new("cpu-virtualization", "CPU", PASS_CHECK_PASS,
                                         "/proc/cpuinfo: vmx", "never shown"));
  if (address != NULL)
    g_ptr_array_add(checks, pass_check_new("device-reset", address, PASS_CHECK_WARN,
                                           "no reset_method", "use FLR"));
}

/* "id=status" of every check, in order. */
static char *
check_summary(JsonObject *reply)
{
  JsonArray *checks = json_object_get_array_member(reply, "checks");
  GString *out = g_string_new(NULL);

  for (guint i = 0; i < json_array_get_length(checks); i++) {
    JsonObject *check = json_array_get_object_element(checks, i);

    g_string_append_printf(out, "%s%s=%s", i ? " " : "", json_object_get_string_member(check, "id"),
                           json_object_get_string_member(check, "status"));
    /* a fix exactly when there is something to fix */
    g_assert_cmpint(json_object_get_null_member(check, "fix"), ==,
                    g_str_equal(json_object_get_string_member(check, "status"), "pass"));
  }
  return g_string_free(out, FALSE);
}

#define assert_checks(client, parameters, expected)                                                \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autoptr(JsonObject) _r = call_ok(client, M "CheckHost", parameters);                         \
    g_autofree char *_s = check_summary(_r);                                                       \
    g_assert_cmpstr(_s, ==, expected);                                                             \
  }                                                                                                \
  G_STMT_END

static void
client_check_unavailable(Fixture *f, PassVarlinkClient *client)
{
  /* libvirt down: the host's probes still run, the group cannot be told */
  assert_checks(client, NULL, "cpu-virtualization=pass libvirt=fail");
  assert_checks(client, "{\"address\":\"00:1f.3\"}",
                "cpu-virtualization=pass libvirt=fail device-iommu-group=warn device-reset=warn");
}

static void
client_check(Fixture *f, PassVarlinkClient *client)
{
  g_autofree char *params = NULL;

  assert_checks(client, "{}", "cpu-virtualization=pass libvirt=pass");
  assert_checks(client, "{\"address\":\"pci_0000_02_10_0\"}",
                "cpu-virtualization=pass libvirt=pass device-iommu-group=pass device-reset=warn");
  g_assert_cmpint(call_error(client, M "CheckHost", "{\"address\":\"09:00.0\"}", &params), ==,
                  PASS_ERROR_NO_SUCH_DEVICE);
  g_assert_cmpstr(params, ==,
                  "{\"message\":\"No PCI device at 0000:09:00.0\",\"address\":\"0000:09:00.0\"}");
  g_assert_cmpint(call_error(client, M "CheckHost", "{\"address\":\"zz\"}", NULL), ==,
                  PASS_ERROR_INVALID_PARAMETER);
}

static void
test_check_host(Fixture *f, gconstpointer data)
{
  pass_service_set_doctor(f->service, fake_doctor, NULL);
  doctor_thread = NULL;
  run_client(f, client_check_unavailable);
  /* the probes never run on the main loop */
  g_assert_nonnull(doctor_thread);
  g_assert_true(doctor_thread != g_thread_self());
  load_host(f);
  run_client(f, client_check);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD("/service/unavailable", test_unavailable);
  ADD("/service/queries", test_queries);
  ADD("/service/domain", test_domain);
  ADD("/service/cache", test_cache);
  ADD("/service/watch", test_watch);
  ADD("/service/watch-slow-reader", test_watch_slow_reader);
  ADD("/service/check-host", test_check_host);
#undef ADD
  return g_test_run();
}
