#define G_LOG_DOMAIN "passd-virt"

#include "virt.h"

#include <libvirt/virterror.h>
#include <stdlib.h>

#include "pass-address.h"
#include "pass-error.h"
#include "virt-uevent.h"
#include "virt-xml.h"

/* ---- libvirt's event loop: one per process, run on a thread of its own ---- */

static GMutex loop_lock;
static guint loop_users;
static GThread *loop_thread;
static int loop_timer = -1;
static gint loop_quit;

static void
ignore_libvirt_error(void *opaque, virErrorPtr error)
{
  /* Errors reach callers as GErrors; libvirt must not print them on stderr. */
}

static void
libvirt_init_once(void)
{
  static gsize done = 0;

  if (g_once_init_enter(&done)) {
    virInitialize();
    virSetErrorFunc(NULL, ignore_libvirt_error);
    /* Must precede the first connection so it gets event and keep-alive support. */
    if (virEventRegisterDefaultImpl() < 0)
      g_warning("cannot register libvirt's event loop");
    g_once_init_leave(&done, 1);
  }
}

/* Armed (interval 0) only to stop the loop; removes itself so nothing is left behind. */
static void
loop_wake(int timer, void *opaque)
{
  if (g_atomic_int_get(&loop_quit))
    virEventRemoveTimeout(timer);
}

static gpointer
loop_run(gpointer data)
{
  while (!g_atomic_int_get(&loop_quit)) {
    if (virEventRunDefaultImpl() < 0) {
      g_warning("libvirt event loop failed; retrying");
      g_usleep(G_USEC_PER_SEC / 10);
    }
  }
  return NULL;
}

static void
loop_acquire(void)
{
  g_mutex_lock(&loop_lock);
  if (loop_users++ == 0) {
    g_atomic_int_set(&loop_quit, 0);
    loop_timer = virEventAddTimeout(-1, loop_wake, NULL, NULL);
    loop_thread = g_thread_new("passd-virt-ev", loop_run, NULL);
  }
  g_mutex_unlock(&loop_lock);
}

static void
loop_release(void)
{
  g_mutex_lock(&loop_lock);
  if (--loop_users == 0) {
    g_atomic_int_set(&loop_quit, 1);
    /* A zero interval makes a running poll return and a starting one not block. */
    virEventUpdateTimeout(loop_timer, 0);
    g_thread_join(g_steal_pointer(&loop_thread));
    loop_timer = -1;
  }
  g_mutex_unlock(&loop_lock);
}

/* ---- delivery to the main context, strictly in order ---- */

typedef enum {
  DELIVER_CONNECTION,
  DELIVER_SNAPSHOT,
  DELIVER_DEVICE_CHANGED,
  DELIVER_DEVICE_REMOVED,
  DELIVER_DOMAIN_CHANGED,
  DELIVER_DOMAIN_REMOVED,
  DELIVER_DOMAIN_DEVICE_REMOVED,
} DeliveryKind;

typedef struct {
  DeliveryKind kind;
  gboolean flag; /* connected, failed */
  char *text;    /* message, address, name */
  char *alias;
  PassDevice *device;
  PassDomain *domain;
  GPtrArray *devices;
  GPtrArray *domains;
} Delivery;

static void
delivery_free(Delivery *d)
{
  g_free(d->text);
  g_free(d->alias);
  g_clear_pointer(&d->device, pass_device_unref);
  g_clear_pointer(&d->domain, pass_domain_unref);
  g_clear_pointer(&d->devices, g_ptr_array_unref);
  g_clear_pointer(&d->domains, g_ptr_array_unref);
  g_free(d);
}

/* Outlives the PassVirt while deliveries are in flight; @alive is cleared by pass_virt_free. */
typedef struct {
  gatomicrefcount ref;
  GMainContext *context;
  PassVirtCallbacks callbacks;
  gpointer user_data;
  GMutex lock;
  GQueue queue; /* Delivery* */
  gboolean scheduled;
  gboolean alive;     /* main context only */
  gboolean connected; /* main context only: what the caller was last told */
} Sink;

static Sink *
sink_ref(Sink *sink)
{
  g_atomic_ref_count_inc(&sink->ref);
  return sink;
}

static void
sink_unref(gpointer data)
{
  Sink *sink = data;

  if (!g_atomic_ref_count_dec(&sink->ref))
    return;
  g_queue_clear_full(&sink->queue, (GDestroyNotify)delivery_free);
  g_main_context_unref(sink->context);
  g_mutex_clear(&sink->lock);
  g_free(sink);
}

static void
sink_dispatch(Sink *sink, Delivery *d)
{
  const PassVirtCallbacks *cb = &sink->callbacks;

  switch (d->kind) {
    case DELIVER_CONNECTION:
      sink->connected = d->flag;
      if (cb->connection_changed != NULL)
        cb->connection_changed(d->flag, d->text, sink->user_data);
      break;
    case DELIVER_SNAPSHOT:
      if (cb->snapshot != NULL)
        cb->snapshot(d->devices, d->domains, sink->user_data);
      break;
    case DELIVER_DEVICE_CHANGED:
      if (cb->device_changed != NULL)
        cb->device_changed(d->device, sink->user_data);
      break;
    case DELIVER_DEVICE_REMOVED:
      if (cb->device_removed != NULL)
        cb->device_removed(d->text, sink->user_data);
      break;
    case DELIVER_DOMAIN_CHANGED:
      if (cb->domain_changed != NULL)
        cb->domain_changed(d->domain, sink->user_data);
      break;
    case DELIVER_DOMAIN_REMOVED:
      if (cb->domain_removed != NULL)
        cb->domain_removed(d->text, sink->user_data);
      break;
    case DELIVER_DOMAIN_DEVICE_REMOVED:
      if (cb->domain_device_removed != NULL)
        cb->domain_device_removed(d->text, d->alias, d->flag, sink->user_data);
      break;
  }
}

static gboolean
sink_drain(gpointer data)
{
  Sink *sink = data;

  for (;;) {
    Delivery *d;

    g_mutex_lock(&sink->lock);
    d = g_queue_pop_head(&sink->queue);
    if (d == NULL)
      sink->scheduled = FALSE;
    g_mutex_unlock(&sink->lock);
    if (d == NULL)
      break;
    /* A callback may free the PassVirt: check before each one. */
    if (sink->alive)
      sink_dispatch(sink, d);
    delivery_free(d);
  }
  return G_SOURCE_REMOVE;
}

/* One queue drained by one idle callback keeps deliveries in the order they were made. */
static void
sink_push(Sink *sink, Delivery *d)
{
  gboolean schedule = FALSE;

  g_mutex_lock(&sink->lock);
  g_queue_push_tail(&sink->queue, d);
  if (!sink->scheduled)
    schedule = sink->scheduled = TRUE;
  g_mutex_unlock(&sink->lock);
  /* Not g_main_context_invoke(): from a worker it may run the callback right there when the
   * context is the global default and happens to be free. */
  if (schedule) {
    GSource *source = g_idle_source_new();

    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, sink_drain, sink_ref(sink), sink_unref);
    g_source_set_static_name(source, "passd-virt delivery");
    g_source_attach(source, sink->context);
    g_source_unref(source);
  }
}

static void
deliver(Sink *sink, DeliveryKind kind, gboolean flag, const char *text, const char *alias)
{
  Delivery *d = g_new0(Delivery, 1);

  d->kind = kind;
  d->flag = flag;
  d->text = g_strdup(text);
  d->alias = g_strdup(alias);
  sink_push(sink, d);
}

/* ---- the PassVirt ---- */

typedef enum {
  READ_CONNECT,
  READ_DEVICE,
  READ_DEVICE_DELETED,
  READ_DOMAIN,
  READ_DOMAIN_DEVICE_REMOVED,
} ReadKind;

typedef struct {
  ReadKind kind;
  char *text; /* address, domain name, reconnect reason */
  char *alias;
  gboolean failed;
  guint generation; /* READ_CONNECT: the connection it replaces; 0 = any */
} ReadItem;

static void
read_item_free(ReadItem *item)
{
  g_free(item->text);
  g_free(item->alias);
  g_free(item);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ReadItem, read_item_free)

/* What libvirt's callbacks hold: it can outlive the PassVirt, since a callback may still be
 * running on the event thread when deregistration returns. */
typedef struct {
  gatomicrefcount ref;
  GMutex lock;
  PassVirt *virt; /* NULL once the PassVirt is going away */
} EventCtx;

enum { N_DOMAIN_EVENTS = 4, N_NODEDEV_EVENTS = 2 };

struct _PassVirt {
  char *uri;
  Sink *sink;
  EventCtx *events;
  GMainContext *context;

  GMutex lock; /* guards the fields below up to the reader-only ones */
  GCond cond;
  gboolean quit;
  gboolean started;
  virConnectPtr conn;
  guint generation;

  /* reader thread only (and pass_virt_free after the reader is gone) */
  int domain_cb[N_DOMAIN_EVENTS];
  int nodedev_cb[N_NODEDEV_EVENTS];
  gboolean close_cb;

  GThreadPool *reader; /* one thread: inventory reads never overtake each other */
  GThreadPool *jobs;

  PassUeventWatch *uevents; /* main context */
  gboolean uevents_set;
};

static EventCtx *
event_ctx_ref(EventCtx *ctx)
{
  g_atomic_ref_count_inc(&ctx->ref);
  return ctx;
}

static void
event_ctx_unref(void *data)
{
  EventCtx *ctx = data;

  if (!g_atomic_ref_count_dec(&ctx->ref))
    return;
  g_mutex_clear(&ctx->lock);
  g_free(ctx);
}

static void
reader_push(PassVirt *virt, ReadItem *item)
{
  g_mutex_lock(&virt->lock);
  if (!virt->quit) {
    g_thread_pool_push(virt->reader, item, NULL);
    item = NULL;
  }
  g_mutex_unlock(&virt->lock);
  if (item != NULL)
    read_item_free(item);
}

static ReadItem *
read_item_new(ReadKind kind, const char *text)
{
  ReadItem *item = g_new0(ReadItem, 1);

  item->kind = kind;
  item->text = g_strdup(text);
  return item;
}

/* From libvirt's event thread: queue, never block. */
static void
event_queue(EventCtx *ctx, ReadItem *item)
{
  g_mutex_lock(&ctx->lock);
  if (ctx->virt != NULL) {
    if (item->kind == READ_CONNECT) {
      g_mutex_lock(&ctx->virt->lock);
      item->generation = ctx->virt->generation;
      g_mutex_unlock(&ctx->virt->lock);
    }
    reader_push(ctx->virt, item);
    item = NULL;
  }
  g_mutex_unlock(&ctx->lock);
  if (item != NULL)
    read_item_free(item);
}

static void
on_close(virConnectPtr conn, int reason, void *opaque)
{
  const char *why = reason == VIR_CONNECT_CLOSE_REASON_EOF         ? "end of file"
                    : reason == VIR_CONNECT_CLOSE_REASON_KEEPALIVE ? "keep-alive timeout"
                    : reason == VIR_CONNECT_CLOSE_REASON_CLIENT    ? "closed by client"
                                                                   : "I/O error";
  g_autofree char *message = g_strdup_printf("connection to libvirt lost: %s", why);

  event_queue(opaque, read_item_new(READ_CONNECT, message));
}

static void
queue_domain(EventCtx *ctx, virDomainPtr dom)
{
  event_queue(ctx, read_item_new(READ_DOMAIN, virDomainGetName(dom)));
}

static void
on_domain_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
  g_debug("domain %s: lifecycle event %d/%d", virDomainGetName(dom), event, detail);
  queue_domain(opaque, dom);
}

static void
on_domain_device_added(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque)
{
  g_debug("domain %s: device %s added", virDomainGetName(dom), alias);
  queue_domain(opaque, dom);
}

static void
queue_device_removed(EventCtx *ctx, virDomainPtr dom, const char *alias, gboolean failed)
{
  ReadItem *item = read_item_new(READ_DOMAIN_DEVICE_REMOVED, virDomainGetName(dom));

  g_debug("domain %s: removal of %s %s", virDomainGetName(dom), alias, failed ? "failed" : "done");
  item->alias = g_strdup(alias);
  item->failed = failed;
  /* Notice first, then the re-read: the caller sees them in this order. */
  event_queue(ctx, item);
  queue_domain(ctx, dom);
}

static void
on_domain_device_removed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque)
{
  queue_device_removed(opaque, dom, alias, FALSE);
}

static void
on_domain_device_removal_failed(virConnectPtr conn, virDomainPtr dom, const char *alias,
                                void *opaque)
{
  queue_device_removed(opaque, dom, alias, TRUE);
}

static char *
nodedev_address(virNodeDevicePtr dev)
{
  const char *name = virNodeDeviceGetName(dev);
  PassAddress addr;

  /* Only PCI devices are named pci_dddd_bb_ss_f; the rest is not ours. */
  if (name == NULL || !g_str_has_prefix(name, "pci_") || !pass_address_parse(name, &addr, NULL))
    return NULL;
  return pass_address_to_string(&addr);
}

static void
on_nodedev_lifecycle(virConnectPtr conn, virNodeDevicePtr dev, int event, int detail, void *opaque)
{
  g_autofree char *address = nodedev_address(dev);

  if (address == NULL)
    return;
  g_debug("node device %s: lifecycle event %d/%d", address, event, detail);
  event_queue(opaque, read_item_new(event == VIR_NODE_DEVICE_EVENT_DELETED ? READ_DEVICE_DELETED
                                                                           : READ_DEVICE,
                                    address));
}

static void
on_nodedev_update(virConnectPtr conn, virNodeDevicePtr dev, void *opaque)
{
  g_autofree char *address = nodedev_address(dev);

  if (address != NULL)
    event_queue(opaque, read_item_new(READ_DEVICE, address));
}

gboolean
pass_virt_set_error(GError **error, const char *what)
{
  virErrorPtr err = virGetLastError();
  PassError code = PASS_ERROR_HYPERVISOR_ERROR;
  const char *message = err != NULL && err->message != NULL ? err->message : "unknown error";

  if (err != NULL && err->code == VIR_ERR_NO_DOMAIN)
    code = PASS_ERROR_NO_SUCH_DOMAIN;
  else if (err != NULL && err->code == VIR_ERR_NO_NODE_DEVICE)
    code = PASS_ERROR_NO_SUCH_DEVICE;
  g_set_error(error, PASS_ERROR, code, "%s: %s", what, message);
  return FALSE;
}

/* ---- reads (reader thread) ---- */

static PassDevice *
read_device(virNodeDevicePtr dev, GError **error)
{
  char *xml = virNodeDeviceGetXMLDesc(dev, 0);
  PassDevice *device;

  if (xml == NULL) {
    g_autofree char *what = g_strdup_printf("reading node device %s", virNodeDeviceGetName(dev));
    pass_virt_set_error(error, what);
    return NULL;
  }
  device = pass_virt_xml_parse_nodedev(xml, error);
  free(xml);
  return device;
}

static gboolean
read_domain_xml(virDomainPtr dom, unsigned int flags, PassHostdevWhere where, PassDomain *domain,
                GError **error)
{
  char *xml = virDomainGetXMLDesc(dom, flags);
  gboolean ok;

  if (xml == NULL) {
    g_autofree char *what = g_strdup_printf("reading domain %s", domain->name);
    return pass_virt_set_error(error, what);
  }
  ok = pass_virt_xml_parse_domain_hostdevs(xml, where, domain, error);
  free(xml);
  return ok;
}

static PassDomain *
read_domain(virDomainPtr dom, GError **error)
{
  g_autoptr(PassDomain) domain = pass_domain_new(virDomainGetName(dom));
  char uuid[VIR_UUID_STRING_BUFLEN];
  int state, reason, active, persistent;

  if (virDomainGetUUIDString(dom, uuid) < 0 || virDomainGetState(dom, &state, &reason, 0) < 0 ||
      (active = virDomainIsActive(dom)) < 0 || (persistent = virDomainIsPersistent(dom)) < 0) {
    g_autofree char *what = g_strdup_printf("reading domain %s", domain->name);
    pass_virt_set_error(error, what);
    return NULL;
  }
  domain->uuid = g_strdup(uuid);
  domain->state = state;
  domain->active = active > 0;
  domain->persistent = persistent > 0;
  if (domain->active && !read_domain_xml(dom, 0, PASS_HOSTDEV_LIVE, domain, error))
    return NULL;
  if (domain->persistent &&
      !read_domain_xml(dom, VIR_DOMAIN_XML_INACTIVE, PASS_HOSTDEV_CONFIG, domain, error))
    return NULL;
  return g_steal_pointer(&domain);
}

/* Fills @devices (PassDevice*) and @domains (PassDomain*). */
static gboolean
read_snapshot(virConnectPtr conn, GPtrArray *devices, GPtrArray *domains, GError **error)
{
  virNodeDevicePtr *devs = NULL;
  virDomainPtr *doms = NULL;
  int n;

  n = virConnectListAllNodeDevices(conn, &devs, VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV);
  if (n < 0)
    return pass_virt_set_error(error, "listing node devices");
  for (int i = 0; i < n; i++) {
    g_autoptr(GError) local = NULL;
    PassDevice *device = read_device(devs[i], &local);

    /* A device may vanish while we list; a bad one must not hide the rest. */
    if (device != NULL)
      g_ptr_array_add(devices, device);
    else
      g_debug("skipping node device %s: %s", virNodeDeviceGetName(devs[i]), local->message);
    virNodeDeviceFree(devs[i]);
  }
  free(devs);

  n = virConnectListAllDomains(conn, &doms, 0);
  if (n < 0)
    return pass_virt_set_error(error, "listing domains");
  for (int i = 0; i < n; i++) {
    g_autoptr(GError) local = NULL;
    PassDomain *domain = read_domain(doms[i], &local);

    if (domain != NULL)
      g_ptr_array_add(domains, domain);
    else if (g_error_matches(local, PASS_ERROR, PASS_ERROR_NO_SUCH_DOMAIN))
      g_debug("domain %s vanished while listing", virDomainGetName(doms[i]));
    else
      g_warning("skipping domain %s: %s", virDomainGetName(doms[i]), local->message);
    virDomainFree(doms[i]);
  }
  free(doms);

  return TRUE;
}

static gboolean
quitting(PassVirt *virt)
{
  gboolean quit;

  g_mutex_lock(&virt->lock);
  quit = virt->quit;
  g_mutex_unlock(&virt->lock);
  return quit;
}

/* A failed read may mean the connection died without a close event; reconnect then. */
static void
check_alive(PassVirt *virt)
{
  if (virt->conn != NULL && virConnectIsAlive(virt->conn) == 0) {
    ReadItem *item = read_item_new(READ_CONNECT, "connection to libvirt lost");

    g_mutex_lock(&virt->lock);
    item->generation = virt->generation;
    g_mutex_unlock(&virt->lock);
    reader_push(virt, item);
  }
}

static void
teardown(PassVirt *virt)
{
  virConnectPtr conn;

  if (virt->conn == NULL)
    return;
  conn = virt->conn;
  /* Failures here are expected when the connection is already dead. */
  for (guint i = 0; i < N_DOMAIN_EVENTS; i++)
    if (virt->domain_cb[i] >= 0)
      virConnectDomainEventDeregisterAny(conn, virt->domain_cb[i]);
  for (guint i = 0; i < N_NODEDEV_EVENTS; i++)
    if (virt->nodedev_cb[i] >= 0)
      virConnectNodeDeviceEventDeregisterAny(conn, virt->nodedev_cb[i]);
  if (virt->close_cb)
    virConnectUnregisterCloseCallback(conn, on_close);
  for (guint i = 0; i < N_DOMAIN_EVENTS; i++)
    virt->domain_cb[i] = -1;
  for (guint i = 0; i < N_NODEDEV_EVENTS; i++)
    virt->nodedev_cb[i] = -1;
  virt->close_cb = FALSE;
  virResetLastError();

  g_mutex_lock(&virt->lock);
  virt->conn = NULL;
  virt->generation++;
  g_mutex_unlock(&virt->lock);
  virConnectClose(conn);
}

static void
register_events(PassVirt *virt, virConnectPtr conn)
{
  static const struct {
    int id;
    virConnectDomainEventGenericCallback cb;
  } domain_events[N_DOMAIN_EVENTS] = {
      {VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(on_domain_lifecycle)},
      {VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, VIR_DOMAIN_EVENT_CALLBACK(on_domain_device_added)},
      {VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, VIR_DOMAIN_EVENT_CALLBACK(on_domain_device_removed)},
      {VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED,
       VIR_DOMAIN_EVENT_CALLBACK(on_domain_device_removal_failed)},
  };

  if (virConnectRegisterCloseCallback(conn, on_close, event_ctx_ref(virt->events),
                                      event_ctx_unref) == 0)
    virt->close_cb = TRUE;
  else
    event_ctx_unref(virt->events);

  /* Remote connections only; local drivers say "not supported", which is fine. */
  if (virConnectSetKeepAlive(conn, 5, 3) < 0)
    g_debug("no keep-alive on %s", virt->uri);

  for (guint i = 0; i < N_DOMAIN_EVENTS; i++) {
    virt->domain_cb[i] =
        virConnectDomainEventRegisterAny(conn, NULL, domain_events[i].id, domain_events[i].cb,
                                         event_ctx_ref(virt->events), event_ctx_unref);
    if (virt->domain_cb[i] < 0) {
      event_ctx_unref(virt->events);
      g_warning("cannot watch domain events (%d): %s", domain_events[i].id,
                virGetLastErrorMessage());
    }
  }
  virt->nodedev_cb[0] =
      virConnectNodeDeviceEventRegisterAny(conn, NULL, VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE,
                                           VIR_NODE_DEVICE_EVENT_CALLBACK(on_nodedev_lifecycle),
                                           event_ctx_ref(virt->events), event_ctx_unref);
  virt->nodedev_cb[1] =
      virConnectNodeDeviceEventRegisterAny(conn, NULL, VIR_NODE_DEVICE_EVENT_ID_UPDATE,
                                           VIR_NODE_DEVICE_EVENT_CALLBACK(on_nodedev_update),
                                           event_ctx_ref(virt->events), event_ctx_unref);
  for (guint i = 0; i < N_NODEDEV_EVENTS; i++) {
    if (virt->nodedev_cb[i] < 0) {
      event_ctx_unref(virt->events);
      g_warning("cannot watch node device events: %s", virGetLastErrorMessage());
    }
  }
  virResetLastError();
}

/* Sleep @ms unless pass_virt_free wakes us; FALSE when quitting. */
static gboolean
backoff_wait(PassVirt *virt, guint ms)
{
  gint64 end = g_get_monotonic_time() + (gint64)ms * G_TIME_SPAN_MILLISECOND;
  gboolean quit;

  g_mutex_lock(&virt->lock);
  while (!virt->quit && g_cond_wait_until(&virt->cond, &virt->lock, end))
    ;
  quit = virt->quit;
  g_mutex_unlock(&virt->lock);
  return !quit;
}

static gboolean
try_connect(PassVirt *virt, GError **error)
{
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
  g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func((GDestroyNotify)pass_domain_unref);
  virConnectPtr conn = virConnectOpen(virt->uri);
  Delivery *d;

  if (conn == NULL) {
    g_autofree char *what = g_strdup_printf("cannot connect to %s", virt->uri);
    return pass_virt_set_error(error, what);
  }
  g_mutex_lock(&virt->lock);
  virt->conn = conn;
  virt->generation++;
  g_mutex_unlock(&virt->lock);

  /* Events first: whatever changes during the snapshot is queued behind it and re-read. */
  register_events(virt, conn);
  if (!read_snapshot(conn, devices, domains, error)) {
    teardown(virt);
    return FALSE;
  }
  g_message("connected to %s: %u PCI devices, %u domains", virt->uri, devices->len, domains->len);
  deliver(virt->sink, DELIVER_CONNECTION, TRUE, NULL, NULL);
  d = g_new0(Delivery, 1);
  d->kind = DELIVER_SNAPSHOT;
  d->devices = g_steal_pointer(&devices);
  d->domains = g_steal_pointer(&domains);
  sink_push(virt->sink, d);
  return TRUE;
}

static void
do_connect(PassVirt *virt, ReadItem *item)
{
  guint delay = 500;
  gboolean told = FALSE;

  if (item->generation != 0) {
    guint current;

    g_mutex_lock(&virt->lock);
    current = virt->generation;
    g_mutex_unlock(&virt->lock);
    if (item->generation != current)
      return; /* about a connection already replaced */
  }
  if (virt->conn != NULL) {
    g_warning("%s", item->text != NULL ? item->text : "reconnecting to libvirt");
    teardown(virt);
    deliver(virt->sink, DELIVER_CONNECTION, FALSE, item->text, NULL);
    told = TRUE;
  }
  for (;;) {
    g_autoptr(GError) error = NULL;

    if (quitting(virt))
      return;
    if (try_connect(virt, &error))
      return;
    /* Tell the caller once per outage; retries are only logged. */
    if (!told) {
      g_warning("%s", error->message);
      deliver(virt->sink, DELIVER_CONNECTION, FALSE, error->message, NULL);
      told = TRUE;
    } else {
      g_debug("%s; retrying in %u ms", error->message, delay);
    }
    if (!backoff_wait(virt, delay))
      return;
    delay = MIN(delay * 2, 10000);
  }
}

static void
refresh_device(PassVirt *virt, const char *address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(virNodeDevice) dev = NULL;
  g_autoptr(PassDevice) device = NULL;
  g_autofree char *name = NULL;
  PassAddress addr;
  Delivery *d;

  if (virt->conn == NULL || !pass_address_parse(address, &addr, NULL))
    return;
  name = pass_address_to_nodedev_name(&addr);
  dev = virNodeDeviceLookupByName(virt->conn, name);
  if (dev != NULL)
    device = read_device(dev, &error);
  else
    pass_virt_set_error(&error, name);
  if (device == NULL) {
    if (g_error_matches(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE)) {
      deliver(virt->sink, DELIVER_DEVICE_REMOVED, FALSE, address, NULL);
    } else {
      g_debug("cannot refresh %s: %s", address, error->message);
      check_alive(virt);
    }
    return;
  }
  d = g_new0(Delivery, 1);
  d->kind = DELIVER_DEVICE_CHANGED;
  d->device = g_steal_pointer(&device);
  sink_push(virt->sink, d);
}

static void
refresh_domain(PassVirt *virt, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(virDomain) dom = NULL;
  g_autoptr(PassDomain) domain = NULL;
  Delivery *d;

  if (virt->conn == NULL)
    return;
  dom = virDomainLookupByName(virt->conn, name);
  if (dom != NULL)
    domain = read_domain(dom, &error);
  else
    pass_virt_set_error(&error, name);
  if (domain == NULL) {
    if (g_error_matches(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DOMAIN)) {
      deliver(virt->sink, DELIVER_DOMAIN_REMOVED, FALSE, name, NULL);
    } else {
      g_warning("cannot refresh domain %s: %s", name, error->message);
      check_alive(virt);
    }
    return;
  }
  d = g_new0(Delivery, 1);
  d->kind = DELIVER_DOMAIN_CHANGED;
  d->domain = g_steal_pointer(&domain);
  sink_push(virt->sink, d);
}

static void
reader_run(gpointer data, gpointer user_data)
{
  g_autoptr(ReadItem) item = data;
  PassVirt *virt = user_data;

  if (quitting(virt))
    return;
  switch (item->kind) {
    case READ_CONNECT:
      do_connect(virt, item);
      break;
    case READ_DEVICE:
      refresh_device(virt, item->text);
      break;
    case READ_DEVICE_DELETED:
      if (virt->conn != NULL)
        deliver(virt->sink, DELIVER_DEVICE_REMOVED, FALSE, item->text, NULL);
      break;
    case READ_DOMAIN:
      refresh_domain(virt, item->text);
      break;
    case READ_DOMAIN_DEVICE_REMOVED:
      if (virt->conn != NULL)
        deliver(virt->sink, DELIVER_DOMAIN_DEVICE_REMOVED, item->failed, item->text, item->alias);
      break;
  }
}

/* ---- jobs ---- */

typedef struct {
  PassVirt *virt;
  PassVirtJobFunc func;
  gpointer data;
  GDestroyNotify data_free;
} Job;

static void
job_free(gpointer data)
{
  Job *job = data;

  if (job->data_free != NULL && job->data != NULL)
    job->data_free(job->data);
  g_free(job);
}

static void
job_run(gpointer data, gpointer user_data)
{
  g_autoptr(GTask) task = data;
  PassVirt *virt = user_data;
  Job *job = g_task_get_task_data(task);
  g_autoptr(GError) error = NULL;
  virConnectPtr conn = NULL;
  gboolean quit;
  gpointer result;

  if (g_task_return_error_if_cancelled(task))
    return;
  g_mutex_lock(&virt->lock);
  quit = virt->quit;
  if (!quit && virt->conn != NULL)
    conn = virt->conn;
  if (conn != NULL)
    virConnectRef(conn);
  g_mutex_unlock(&virt->lock);
  if (conn == NULL) {
    g_task_return_new_error(task, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE,
                            quit ? "passd is shutting down" : "not connected to %s", virt->uri);
    return;
  }
  result = job->func(conn, job->data, &error);
  virConnectClose(conn);
  if (error != NULL)
    g_task_return_error(task, g_steal_pointer(&error));
  else
    g_task_return_pointer(task, result, NULL);
}

void
pass_virt_run_async(PassVirt *virt, PassVirtJobFunc func, gpointer data, GDestroyNotify data_free,
                    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
  Job *job = g_new0(Job, 1);

  g_return_if_fail(virt != NULL && func != NULL);

  job->virt = virt;
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  g_task_set_source_tag(task, pass_virt_run_async);
  g_task_set_task_data(task, job, job_free);

  g_mutex_lock(&virt->lock);
  if (!virt->quit) {
    g_thread_pool_push(virt->jobs, g_object_ref(task), NULL);
    g_mutex_unlock(&virt->lock);
    return;
  }
  g_mutex_unlock(&virt->lock);
  g_task_return_new_error(task, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE,
                          "passd is shutting down");
}

gpointer
pass_virt_run_finish(PassVirt *virt, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
  g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == pass_virt_run_async, NULL);
  return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- lifetime ---- */

PassVirt *
pass_virt_new(const char *uri, const PassVirtCallbacks *callbacks, gpointer user_data)
{
  PassVirt *virt = g_new0(PassVirt, 1);
  Sink *sink = g_new0(Sink, 1);
  EventCtx *events = g_new0(EventCtx, 1);

  g_return_val_if_fail(uri != NULL, NULL);

  libvirt_init_once();
  loop_acquire();

  virt->uri = g_strdup(uri);
  virt->context = g_main_context_ref_thread_default();
  g_mutex_init(&virt->lock);
  g_cond_init(&virt->cond);
  for (guint i = 0; i < N_DOMAIN_EVENTS; i++)
    virt->domain_cb[i] = -1;
  for (guint i = 0; i < N_NODEDEV_EVENTS; i++)
    virt->nodedev_cb[i] = -1;

  g_atomic_ref_count_init(&sink->ref);
  sink->context = g_main_context_ref(virt->context);
  if (callbacks != NULL)
    sink->callbacks = *callbacks;
  sink->user_data = user_data;
  sink->alive = TRUE;
  g_mutex_init(&sink->lock);
  g_queue_init(&sink->queue);
  virt->sink = sink;

  g_atomic_ref_count_init(&events->ref);
  g_mutex_init(&events->lock);
  events->virt = virt;
  virt->events = events;

  virt->reader = g_thread_pool_new(reader_run, virt, 1, TRUE, NULL);
  virt->jobs = g_thread_pool_new(job_run, virt, 4, FALSE, NULL);
  return virt;
}

static void
on_uevent(const char *address, gpointer user_data)
{
  pass_virt_refresh_device(user_data, address);
}

/* Host uevents only describe this host: not for the test driver or a remote libvirt. */
static gboolean
uri_is_local_host(const char *uri)
{
  g_autoptr(GUri) parsed = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
  const char *host;

  if (parsed == NULL || g_str_has_prefix(g_uri_get_scheme(parsed), "test"))
    return FALSE;
  host = g_uri_get_host(parsed);
  return host == NULL || *host == '\0';
}

void
pass_virt_watch_uevents(PassVirt *virt, gboolean watch)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail(virt != NULL);

  virt->uevents_set = TRUE;
  if (!watch) {
    g_clear_pointer(&virt->uevents, pass_uevent_watch_free);
    return;
  }
  if (virt->uevents != NULL)
    return;
  virt->uevents = pass_uevent_watch_new(virt->context, on_uevent, virt, &error);
  if (virt->uevents == NULL)
    g_warning("driver (un)binding will be noticed late: %s", error->message);
}

void
pass_virt_start(PassVirt *virt)
{
  gboolean start;

  g_return_if_fail(virt != NULL);

  g_mutex_lock(&virt->lock);
  start = !virt->started && !virt->quit;
  virt->started = TRUE;
  g_mutex_unlock(&virt->lock);
  if (!start)
    return;
  if (!virt->uevents_set && uri_is_local_host(virt->uri))
    pass_virt_watch_uevents(virt, TRUE);
  reader_push(virt, read_item_new(READ_CONNECT, NULL));
}

void
pass_virt_free(PassVirt *virt)
{
  if (virt == NULL)
    return;

  /* Callbacks still running on libvirt's thread now drop what they have. */
  g_mutex_lock(&virt->events->lock);
  virt->events->virt = NULL;
  g_mutex_unlock(&virt->events->lock);

  g_mutex_lock(&virt->lock);
  virt->quit = TRUE;
  g_cond_broadcast(&virt->cond);
  g_mutex_unlock(&virt->lock);

  /* Queued items return at once; a read in progress finishes first. */
  g_thread_pool_free(virt->reader, FALSE, TRUE);
  g_thread_pool_free(virt->jobs, FALSE, TRUE);
  g_clear_pointer(&virt->uevents, pass_uevent_watch_free);
  teardown(virt);

  g_mutex_lock(&virt->sink->lock);
  g_queue_clear_full(&virt->sink->queue, (GDestroyNotify)delivery_free);
  g_mutex_unlock(&virt->sink->lock);
  virt->sink->alive = FALSE;
  sink_unref(virt->sink);
  event_ctx_unref(virt->events);

  /* After the connection is closed, so the loop's last turn frees what it left behind. */
  loop_release();

  g_main_context_unref(virt->context);
  g_mutex_clear(&virt->lock);
  g_cond_clear(&virt->cond);
  g_free(virt->uri);
  g_free(virt);
}

const char *
pass_virt_get_uri(PassVirt *virt)
{
  g_return_val_if_fail(virt != NULL, NULL);
  return virt->uri;
}

gboolean
pass_virt_is_connected(PassVirt *virt)
{
  g_return_val_if_fail(virt != NULL, FALSE);
  return virt->sink->connected;
}

void
pass_virt_refresh_device(PassVirt *virt, const char *address)
{
  g_autofree char *canonical = NULL;

  g_return_if_fail(virt != NULL && address != NULL);

  canonical = pass_address_canonicalize(address, NULL);
  if (canonical == NULL) {
    g_debug("refresh of bad address '%s' ignored", address);
    return;
  }
  reader_push(virt, read_item_new(READ_DEVICE, canonical));
}

void
pass_virt_refresh_domain(PassVirt *virt, const char *name)
{
  g_return_if_fail(virt != NULL && name != NULL);
  reader_push(virt, read_item_new(READ_DOMAIN, name));
}
