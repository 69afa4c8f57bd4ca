/* daemon/virt against libvirt's test driver: snapshot, events through jobs, reconnecting. */
#include <glib/gstdio.h>

#include "pass-error.h"
#include "virt-topology.h"
#include "virt.h"

typedef struct {
  GPtrArray *log;     /* char*: "what:detail" in delivery order */
  GPtrArray *devices; /* last snapshot */
  GPtrArray *domains;
  PassDomain *last_domain;
  PassDevice *last_device;
} Recorder;

static void rec_add(Recorder *rec, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
rec_add(Recorder *rec, const char *format, ...)
{
  va_list args;

  va_start(args, format);
  g_ptr_array_add(rec->log, g_strdup_vprintf(format, args));
  va_end(args);
}

static void
on_connection(gboolean connected, const char *message, gpointer user_data)
{
  g_assert_true(connected == (message == NULL));
  rec_add(user_data, connected ? "connected" : "disconnected");
}

static void
on_snapshot(GPtrArray *devices, GPtrArray *domains, gpointer user_data)
{
  Recorder *rec = user_data;

  g_clear_pointer(&rec->devices, g_ptr_array_unref);
  g_clear_pointer(&rec->domains, g_ptr_array_unref);
  rec->devices = g_ptr_array_ref(devices);
  rec->domains = g_ptr_array_ref(domains);
  rec_add(rec, "snapshot:%u:%u", devices->len, domains->len);
}

static void
on_device_changed(PassDevice *device, gpointer user_data)
{
  Recorder *rec = user_data;

  g_clear_pointer(&rec->last_device, pass_device_unref);
  rec->last_device = pass_device_ref(device);
  rec_add(rec, "device-changed:%s", device->address);
}

static void
on_device_removed(const char *address, gpointer user_data)
{
  rec_add(user_data, "device-removed:%s", address);
}

static void
on_domain_changed(PassDomain *domain, gpointer user_data)
{
  Recorder *rec = user_data;

  g_clear_pointer(&rec->last_domain, pass_domain_unref);
  rec->last_domain = pass_domain_ref(domain);
  rec_add(rec, "domain-changed:%s", domain->name);
}

static void
on_domain_removed(const char *name, gpointer user_data)
{
  rec_add(user_data, "domain-removed:%s", name);
}

static const PassVirtCallbacks callbacks = {
    .connection_changed = on_connection,
    .snapshot = on_snapshot,
    .device_changed = on_device_changed,
    .device_removed = on_device_removed,
    .domain_changed = on_domain_changed,
    .domain_removed = on_domain_removed,
};

static void
rec_init(Recorder *rec)
{
  rec->log = g_ptr_array_new_with_free_func(g_free);
}

static void
rec_clear(Recorder *rec)
{
  g_clear_pointer(&rec->log, g_ptr_array_unref);
  g_clear_pointer(&rec->devices, g_ptr_array_unref);
  g_clear_pointer(&rec->domains, g_ptr_array_unref);
  g_clear_pointer(&rec->last_domain, pass_domain_unref);
  g_clear_pointer(&rec->last_device, pass_device_unref);
}

static gboolean
on_timeout(gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* A timer on the thread's context (the tests run both on the default and a private one). */
static GSource *
add_timeout(guint ms, gboolean *flag)
{
  GSource *source = g_timeout_source_new(ms);

  g_source_set_callback(source, on_timeout, flag, NULL);
  g_source_attach(source, g_main_context_get_thread_default());
  return source;
}

/* Run the main loop until the log holds an entry equal to @entry (after @from), or time out. */
static guint
wait_for(Recorder *rec, guint from, const char *entry)
{
  gboolean timed_out = FALSE;
  g_autoptr(GSource) timer = add_timeout(10000, &timed_out);

  for (;;) {
    for (guint i = from; i < rec->log->len; i++) {
      if (g_strcmp0(g_ptr_array_index(rec->log, i), entry) == 0) {
        g_source_destroy(timer);
        return i;
      }
    }
    if (timed_out)
      break;
    g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
  }
  for (guint i = 0; i < rec->log->len; i++)
    g_test_message("log[%u] = %s", i, (char *)g_ptr_array_index(rec->log, i));
  g_error("timed out waiting for %s", entry);
  return 0;
}

static void
spin(guint ms)
{
  gboolean done = FALSE;
  G_GNUC_UNUSED g_autoptr(GSource) timer = add_timeout(ms, &done);

  while (!done)
    g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
}

static const char vm1_xml[] =
    "<domain type='test'><name>vm1</name><memory>1048576</memory><os><type>hvm</type></os>"
    "<devices><hostdev mode='subsystem' type='pci' managed='yes'><source>"
    "<address domain='0x0000' bus='0x02' slot='0x10' function='0x0'/></source></hostdev>"
    "</devices></domain>";

static const PassTestDevice topology[] = {
    {"0000:00:1c.0", NULL, 0x8086, 0xa110, 0x060400, 7, -1, -1, NULL},
    {"0000:02:00.0", "0000:00:1c.0", 0x8086, 0x10fb, 0x020000, 12, 0, 63, NULL, "enp2s0f0"},
    {"0000:02:10.0", "0000:00:1c.0", 0x8086, 0x10ed, 0x020000, 13, 0, -1, "0000:02:00.0",
     "enp2s0v0"},
    {"0000:03:00.0", "0000:00:1c.0", 0x10de, 0x1c82, 0x030000, 14, -1, -1, NULL},
};

typedef struct {
  GMainContext *context; /* NULL: the global default one */
  char *dir;
  char *uri;
  Recorder rec;
  PassVirt *virt;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
  const char *domains[] = {vm1_xml, NULL};
  g_autoptr(GError) error = NULL;

  /* On a private context PassVirt runs libvirt's event loop on a thread of its own. */
  if (GPOINTER_TO_INT(data)) {
    fx->context = g_main_context_new();
    g_main_context_push_thread_default(fx->context);
  }
  fx->dir = g_dir_make_tmp("passd-test-virt-XXXXXX", &error);
  g_assert_no_error(error);
  fx->uri = pass_test_topology_write(fx->dir, topology, G_N_ELEMENTS(topology), domains, &error);
  g_assert_no_error(error);
  rec_init(&fx->rec);
  fx->virt = pass_virt_new(fx->uri, &callbacks, &fx->rec);
  g_assert_cmpstr(pass_virt_get_uri(fx->virt), ==, fx->uri);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
  g_autofree char *file = g_build_filename(fx->dir, "node.xml", NULL);

  g_clear_pointer(&fx->virt, pass_virt_free);
  /* Nothing may arrive after pass_virt_free. */
  guint len = fx->rec.log->len;
  while (g_main_context_iteration(g_main_context_get_thread_default(), FALSE))
    ;
  g_assert_cmpuint(fx->rec.log->len, ==, len);
  rec_clear(&fx->rec);
  g_unlink(file);
  g_rmdir(fx->dir);
  g_free(fx->dir);
  g_free(fx->uri);
  if (fx->context != NULL) {
    g_main_context_pop_thread_default(fx->context);
    g_main_context_unref(fx->context);
  }
}

static PassDevice *
find_device(GPtrArray *devices, const char *address)
{
  for (guint i = 0; i < devices->len; i++) {
    PassDevice *d = g_ptr_array_index(devices, i);
    if (g_strcmp0(d->address, address) == 0)
      return d;
  }
  return NULL;
}

static void
test_snapshot(Fixture *fx, gconstpointer data)
{
  PassDevice *pf, *vf, *port;
  PassDomain *vm1;
  const PassHostdev *h;

  g_assert_false(pass_virt_is_connected(fx->virt));
  pass_virt_start(fx->virt);
  pass_virt_start(fx->virt); /* idempotent */
  wait_for(&fx->rec, 0, "snapshot:4:1");
  g_assert_cmpstr(g_ptr_array_index(fx->rec.log, 0), ==, "connected");
  g_assert_cmpuint(fx->rec.log->len, ==, 2);
  g_assert_true(pass_virt_is_connected(fx->virt));

  port = find_device(fx->rec.devices, "0000:00:1c.0");
  pf = find_device(fx->rec.devices, "0000:02:00.0");
  vf = find_device(fx->rec.devices, "0000:02:10.0");
  g_assert_nonnull(port);
  g_assert_nonnull(pf);
  g_assert_nonnull(vf);
  g_assert_null(port->parent);
  g_assert_cmpuint(port->class_code, ==, 0x060400);
  g_assert_cmpstr(pf->parent, ==, "0000:00:1c.0");
  g_assert_cmpstr(pf->name, ==, "pci_0000_02_00_0");
  g_assert_cmpint(pf->totalvfs, ==, 63);
  g_assert_cmpint(pf->iommu_group, ==, 12);
  g_assert_cmpint(pf->numa_node, ==, 0);
  g_assert_cmpuint(pf->vendor_id, ==, 0x8086);
  g_assert_cmpstr(pf->vendor, ==, "Vendor 8086");
  g_assert_cmpstr(vf->physfn, ==, "0000:02:00.0");
  g_assert_cmpint(vf->totalvfs, ==, -1);
  /* the PF's interface from its net_* child; a VF's are not asked for */
  g_assert_nonnull(pf->netdevs);
  g_assert_cmpstr(pf->netdevs[0], ==, "enp2s0f0");
  g_assert_null(pf->netdevs[1]);
  g_assert_null(vf->netdevs);
  g_assert_null(port->netdevs);

  vm1 = g_ptr_array_index(fx->rec.domains, 0);
  g_assert_cmpstr(vm1->name, ==, "vm1");
  g_assert_nonnull(vm1->uuid);
  g_assert_true(vm1->active); /* the test driver starts its domains */
  g_assert_true(vm1->persistent);
  g_assert_cmpint(vm1->state, ==, PASS_DOMAIN_STATE_RUNNING);
  g_assert_cmpuint(vm1->hostdevs->len, ==, 1);
  h = pass_domain_find_hostdev(vm1, "0000:02:10.0");
  g_assert_nonnull(h);
  g_assert_cmpuint(h->where, ==, PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG);
  g_assert_true(h->managed);
  g_assert_false(h->interface);
}

static void
test_ordering(Fixture *fx, gconstpointer data)
{
  guint i;

  /* Asked for before the snapshot is in: must come after it. */
  pass_virt_start(fx->virt);
  pass_virt_refresh_domain(fx->virt, "vm1");
  pass_virt_refresh_device(fx->virt, "02:00.0");
  pass_virt_refresh_device(fx->virt, "0000:09:00.0");
  pass_virt_refresh_domain(fx->virt, "nosuchvm");
  pass_virt_refresh_device(fx->virt, "garbage"); /* ignored */
  i = wait_for(&fx->rec, 0, "domain-removed:nosuchvm");
  g_assert_cmpuint(i, ==, 5);
  g_assert_cmpstr(g_ptr_array_index(fx->rec.log, 0), ==, "connected");
  g_assert_cmpstr(g_ptr_array_index(fx->rec.log, 1), ==, "snapshot:4:1");
  g_assert_cmpstr(g_ptr_array_index(fx->rec.log, 2), ==, "domain-changed:vm1");
  g_assert_cmpstr(g_ptr_array_index(fx->rec.log, 3), ==, "device-changed:0000:02:00.0");
  g_assert_cmpstr(g_ptr_array_index(fx->rec.log, 4), ==, "device-removed:0000:09:00.0");
  g_assert_true(
      pass_device_equal(fx->rec.last_device, find_device(fx->rec.devices, "0000:02:00.0")));
}

typedef struct {
  gboolean done;
  gpointer result;
  GError *error;
} JobResult;

static void
on_job_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  JobResult *r = user_data;
  Fixture *fx = g_object_get_data(G_OBJECT(result), "fixture");

  (void)fx;
  r->done = TRUE;
  r->result = pass_virt_run_finish(NULL, result, &r->error);
}

static gpointer
run_job(Fixture *fx, PassVirtJobFunc func, const char *arg, GError **error)
{
  JobResult r = {0};

  pass_virt_run_async(fx->virt, func, g_strdup(arg), g_free, NULL, on_job_done, &r);
  while (!r.done)
    g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
  if (r.error != NULL)
    g_propagate_error(error, r.error);
  return r.result;
}

static gpointer
job_define(virConnectPtr conn, gpointer data, GError **error)
{
  g_autoptr(virDomain) dom = virDomainDefineXML(conn, data);

  if (dom == NULL) {
    pass_virt_set_error(error, "defining");
    return NULL;
  }
  return g_strdup(virDomainGetName(dom));
}

static gpointer
job_undefine(virConnectPtr conn, gpointer data, GError **error)
{
  g_autoptr(virDomain) dom = virDomainLookupByName(conn, data);

  if (dom == NULL || virDomainUndefine(dom) < 0) {
    pass_virt_set_error(error, data);
    return NULL;
  }
  return GINT_TO_POINTER(1);
}

static gpointer
job_nodedev(virConnectPtr conn, gpointer data, GError **error)
{
  g_autoptr(virNodeDevice) dev = virNodeDeviceLookupByName(conn, data);

  if (dev == NULL)
    pass_virt_set_error(error, data);
  return NULL;
}

static void
test_jobs_and_events(Fixture *fx, gconstpointer data)
{
  static const char vm2_xml[] =
      "<domain type='test'><name>vm2</name><memory>1048576</memory><os><type>hvm</type></os>"
      "<devices><interface type='hostdev' managed='yes'><source>"
      "<address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source>"
      "</interface></devices></domain>";
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  const PassHostdev *h;
  guint at;

  /* Before connecting: the job fails without running. */
  g_assert_null(run_job(fx, job_define, vm2_xml, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE);
  g_clear_error(&error);

  pass_virt_start(fx->virt);
  at = wait_for(&fx->rec, 0, "snapshot:4:1");

  name = run_job(fx, job_define, vm2_xml, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(name, ==, "vm2");
  at = wait_for(&fx->rec, at, "domain-changed:vm2");
  g_assert_false(fx->rec.last_domain->active);
  g_assert_true(fx->rec.last_domain->persistent);
  g_assert_cmpuint(fx->rec.last_domain->hostdevs->len, ==, 1);
  h = pass_domain_find_hostdev(fx->rec.last_domain, "0000:03:00.0");
  g_assert_nonnull(h);
  g_assert_true(h->interface);
  g_assert_cmpuint(h->where, ==, PASS_HOSTDEV_CONFIG);
  g_assert_null(h->alias);

  g_assert_nonnull(run_job(fx, job_undefine, "vm2", &error));
  g_assert_no_error(error);
  at = wait_for(&fx->rec, at, "domain-removed:vm2");

  /* Error mapping. */
  g_assert_null(run_job(fx, job_undefine, "vm2", &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DOMAIN);
  g_assert_true(g_str_has_prefix(error->message, "vm2: "));
  g_clear_error(&error);
  g_assert_null(run_job(fx, job_nodedev, "pci_0000_42_00_0", &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
  g_clear_error(&error);
  g_assert_null(run_job(fx, job_define, "<domain>", &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
  g_clear_error(&error);

  /* Cancelled before it runs: func is not called. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    JobResult r = {0};

    g_cancellable_cancel(cancellable);
    pass_virt_run_async(fx->virt, job_define, g_strdup(vm2_xml), g_free, cancellable, on_job_done,
                        &r);
    while (!r.done)
      g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
    g_assert_error(r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error(&r.error);
  }
  spin(100);
  for (guint i = at + 1; i < fx->rec.log->len; i++)
    g_assert_cmpstr(g_ptr_array_index(fx->rec.log, i), !=, "domain-changed:vm2");
}

static void
test_unreachable(void)
{
  Recorder rec = {0};
  PassVirt *virt;
  gint64 start;
  JobResult r = {0};

  /* Failing to connect is worth a warning in the daemon's log, not a test failure. */
  g_log_set_always_fatal(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
  rec_init(&rec);
  virt =
      pass_virt_new("test+unix:///default?socket=/nonexistent/passd-test.sock", &callbacks, &rec);
  pass_virt_start(virt);
  wait_for(&rec, 0, "disconnected");
  /* Retries (0.5 s, 1 s) happen without telling the caller again. */
  spin(1700);
  g_assert_cmpuint(rec.log->len, ==, 1);
  g_assert_false(pass_virt_is_connected(virt));

  pass_virt_run_async(virt, job_nodedev, g_strdup("x"), g_free, NULL, on_job_done, &r);
  while (!r.done)
    g_main_context_iteration(g_main_context_get_thread_default(), TRUE);
  g_assert_error(r.error, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE);
  g_clear_error(&r.error);

  /* Freeing while it waits to retry returns promptly. */
  start = g_get_monotonic_time();
  pass_virt_free(virt);
  g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
  while (g_main_context_iteration(g_main_context_get_thread_default(), FALSE))
    ;
  g_assert_cmpuint(rec.log->len, ==, 1);
  rec_clear(&rec);
  g_log_set_always_fatal(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

/* The back-off: doubling from 0.5 s to a 10 s cap, and no overflow however long the outage. */
static void
test_retry_delays(void)
{
  static const guint want[] = {500, 1000, 2000, 4000, 8000, 10000, 10000};

  for (guint i = 0; i < G_N_ELEMENTS(want); i++)
    g_assert_cmpuint(pass_virt_retry_delay_ms(i), ==, want[i]);
  g_assert_cmpuint(pass_virt_retry_delay_ms(64), ==, 10000);
  g_assert_cmpuint(pass_virt_retry_delay_ms(G_MAXUINT), ==, 10000);
}

static void
test_free_unstarted(void)
{
  Recorder rec = {0};

  rec_init(&rec);
  for (guint i = 0; i < 3; i++) {
    PassVirt *a = pass_virt_new("test:///default", &callbacks, &rec);
    PassVirt *b = pass_virt_new("test:///default", NULL, NULL);

    pass_virt_start(b);
    pass_virt_free(a);
    pass_virt_free(b); /* may be mid-connect */
  }
  while (g_main_context_iteration(g_main_context_get_thread_default(), FALSE))
    ;
  g_assert_cmpuint(rec.log->len, ==, 0);
  rec_clear(&rec);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);

  for (int private = 0; private <= 1; private ++) {
    const char *where = private ? "private-context" : "default-context";
    g_autofree char *snapshot = g_strdup_printf("/virt/%s/snapshot", where);
    g_autofree char *ordering = g_strdup_printf("/virt/%s/ordering", where);
    g_autofree char *jobs = g_strdup_printf("/virt/%s/jobs-and-events", where);

    g_test_add(snapshot, Fixture, GINT_TO_POINTER(private), fixture_setup, test_snapshot,
               fixture_teardown);
    g_test_add(ordering, Fixture, GINT_TO_POINTER(private), fixture_setup, test_ordering,
               fixture_teardown);
    g_test_add(jobs, Fixture, GINT_TO_POINTER(private), fixture_setup, test_jobs_and_events,
               fixture_teardown);
  }
  g_test_add_func("/virt/unreachable", test_unreachable);
  g_test_add_func("/virt/free-unstarted", test_free_unstarted);
  g_test_add_func("/virt/retry-delays", test_retry_delays);
  return g_test_run();
}
