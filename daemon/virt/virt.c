#define G_LOG_DOMAIN "passd-virt"

#include "virt-mdev.h"
#include "virt-private.h"

#include <libvirt/virterror.h>
#include <string.h>

#include "pass-address.h"
#include "pass-error.h"
#include "virt-calls.h"
#include "virt-uevent.h"
#include "xml-usb.h"

/* ---- the PassVirt ---- */

typedef enum {
  READ_CONNECT,
  READ_DEVICE,
  READ_DEVICE_DELETED,
  READ_DOMAIN,
  READ_DOMAIN_DEVICE_REMOVED,
  READ_DOMAIN_REBOOTED,
  READ_NET,         /* a network interface came (its PCI device's netdevs change) */
  READ_NET_DELETED, /* one went */
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

enum { N_DOMAIN_EVENTS = 5, N_NODEDEV_EVENTS = 2 };

struct _PassVirt {
  char *uri;
  PassVirtSink *sink;
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
  /* network interface node device name -> its PCI device's address: whom to re-read when it
   * goes (libvirt cannot say a deleted device's parent) */
  GHashTable *net_parents;

  GThreadPool *reader; /* one thread: inventory reads never overtake each other */
  GThreadPool *jobs;

  PassUeventWatch *uevents; /* main context */
  GHashTable *late_refresh; /* address -> timeout source id: a second look after a uevent */
  gboolean uevents_set;
  gboolean own_loop; /* runs libvirt's event loop on a thread (see loop_acquire) */
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

/* The guest reset itself (or was reset): an unplug it had been asked for may be forgotten. */
static void
on_domain_reboot(virConnectPtr conn, virDomainPtr dom, void *opaque)
{
  g_debug("domain %s: rebooted", virDomainGetName(dom));
  event_queue(opaque, read_item_new(READ_DOMAIN_REBOOTED, virDomainGetName(dom)));
}

static char *
nodedev_address(virNodeDevicePtr dev)
{
  const char *name = virNodeDeviceGetName(dev);
  PassAddress addr;

  if (name != NULL && g_str_has_prefix(name, "mdev_"))
    return pass_virt_mdev_address_from_name(name);
  /* PCI devices are named pci_dddd_bb_ss_f, USB devices usb_BUS_PORT..; the rest is not ours. */
  if (name != NULL && g_str_has_prefix(name, "usb_"))
    return pass_xml_usb_nodedev_name_to_address(name);
  if (name == NULL || !g_str_has_prefix(name, "pci_") || !pass_address_parse(name, &addr, NULL))
    return NULL;
  return pass_address_to_string(&addr);
}

/* A USB interface ("usb_3_1_2_1_0": PORT:CONFIG.INTERFACE) coming, going or changing driver
 * changes its device's interface drivers: the device the name minus its last two parts would
 * be. The name alone cannot tell an interface from a device two hubs down; re-reading that
 * hub's device as well is harmless. */
static void
queue_usb_interface_device(gpointer ctx, virNodeDevicePtr dev)
{
  const char *name = virNodeDeviceGetName(dev);
  g_autofree char *device = NULL;
  g_autofree char *address = NULL;
  char *cut;

  if (name == NULL || !g_str_has_prefix(name, "usb_"))
    return;
  device = g_strdup(name);
  for (int i = 0; i < 2; i++)
    if ((cut = strrchr(device, '_')) != NULL)
      *cut = '\0';
  address = pass_xml_usb_nodedev_name_to_address(device);
  if (address != NULL)
    event_queue(ctx, read_item_new(READ_DEVICE, address));
}

static void
on_nodedev_lifecycle(virConnectPtr conn, virNodeDevicePtr dev, int event, int detail, void *opaque)
{
  g_autofree char *address = nodedev_address(dev);
  const char *name = virNodeDeviceGetName(dev);

  /* A network interface (net_IFACE_MAC): its PCI device is re-read for its netdevs. */
  if (address == NULL && name != NULL && g_str_has_prefix(name, "net_")) {
    g_debug("network interface %s: lifecycle event %d/%d", name, event, detail);
    event_queue(
        opaque,
        read_item_new(event == VIR_NODE_DEVICE_EVENT_DELETED ? READ_NET_DELETED : READ_NET, name));
    return;
  }
  queue_usb_interface_device(opaque, dev);
  if (address == NULL)
    return;
  g_debug("node device %s: lifecycle event %d/%d", address, event, detail);
  /* A persistent mdev outlives its DELETED (it is defined still): re-read it. */
  event_queue(opaque, read_item_new(event == VIR_NODE_DEVICE_EVENT_DELETED &&
                                            !g_str_has_prefix(address, "mdev:")
                                        ? READ_DEVICE_DELETED
                                        : READ_DEVICE,
                                    address));
}

static void
on_nodedev_update(virConnectPtr conn, virNodeDevicePtr dev, void *opaque)
{
  g_autofree char *address = nodedev_address(dev);

  queue_usb_interface_device(opaque, dev);
  if (address != NULL)
    event_queue(opaque, read_item_new(READ_DEVICE, address));
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
      {VIR_DOMAIN_EVENT_ID_REBOOT, VIR_DOMAIN_EVENT_CALLBACK(on_domain_reboot)},
  };

  /* No reference for this one: drivers without close support accept the registration but never
   * call the free function. Unregistering waits for a running callback, and the EventCtx lives
   * until after that (pass_virt_free tears down before dropping it). */
  if (virConnectRegisterCloseCallback(conn, on_close, virt->events, NULL) == 0)
    virt->close_cb = TRUE;

  /* Remote connections only; local drivers say "not supported", which is fine. Without it a
   * call to a libvirtd that stopped answering would never return (see virt.h). */
  if (virConnectSetKeepAlive(conn, PASS_VIRT_KEEPALIVE_INTERVAL_S, PASS_VIRT_KEEPALIVE_COUNT) == 0)
    g_debug("keep-alive on %s: a ping after %d s of silence, given up after %d unanswered",
            virt->uri, PASS_VIRT_KEEPALIVE_INTERVAL_S, PASS_VIRT_KEEPALIVE_COUNT);
  else
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
  PassVirtDelivery *d;

  if (conn == NULL)
    return pass_virt_set_error(error, "cannot connect");
  g_mutex_lock(&virt->lock);
  virt->conn = conn;
  virt->generation++;
  g_mutex_unlock(&virt->lock);

  /* Events first: whatever changes during the snapshot is queued behind it and re-read. */
  register_events(virt, conn);
  g_hash_table_remove_all(virt->net_parents);
  if (!pass_virt_read_snapshot(conn, devices, domains, virt->net_parents, error)) {
    teardown(virt);
    return FALSE;
  }
  g_message("connected to %s: %u devices, %u domains", virt->uri, devices->len, domains->len);
  pass_virt_sink_deliver(virt->sink, PASS_VIRT_DELIVER_CONNECTION, TRUE, NULL, NULL);
  d = g_new0(PassVirtDelivery, 1);
  d->kind = PASS_VIRT_DELIVER_SNAPSHOT;
  d->devices = g_steal_pointer(&devices);
  d->domains = g_steal_pointer(&domains);
  pass_virt_sink_push(virt->sink, d);
  return TRUE;
}

#define RETRY_FIRST_MS 500
#define RETRY_MAX_MS   10000

guint
pass_virt_retry_delay_ms(guint attempt)
{
  guint delay = RETRY_FIRST_MS;

  for (guint i = 0; i < attempt && delay < RETRY_MAX_MS; i++)
    delay *= 2;
  return MIN(delay, RETRY_MAX_MS);
}

/* "0.5 s", "10 s" */
static char *
seconds_text(guint ms)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup_printf("%s s", g_ascii_formatd(buf, sizeof buf, "%g", ms / 1000.0));
}

/* One outage: tell the caller once, log every retry, wait longer each time. The attempt count
 * is this call's own, so the next outage starts at the shortest delay again. */
static void
do_connect(PassVirt *virt, ReadItem *item)
{
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
    g_warning("libvirt at %s gone: %s; reconnecting", virt->uri,
              item->text != NULL ? item->text : "asked to reconnect");
    teardown(virt);
    pass_virt_sink_deliver(virt->sink, PASS_VIRT_DELIVER_CONNECTION, FALSE, item->text, NULL);
    told = TRUE;
  }
  for (guint attempt = 0;; attempt++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *wait = NULL;
    guint delay;

    if (quitting(virt))
      return;
    if (try_connect(virt, &error))
      return;
    /* Tell the caller once per outage; retries are only logged. */
    if (!told) {
      pass_virt_sink_deliver(virt->sink, PASS_VIRT_DELIVER_CONNECTION, FALSE, error->message, NULL);
      told = TRUE;
    }
    delay = pass_virt_retry_delay_ms(attempt);
    wait = seconds_text(delay);
    g_log(G_LOG_DOMAIN, attempt == 0 ? G_LOG_LEVEL_WARNING : G_LOG_LEVEL_MESSAGE,
          "libvirt at %s gone: %s; retrying in %s", virt->uri, error->message, wait);
    if (!backoff_wait(virt, delay))
      return;
  }
}

static void
refresh_device(PassVirt *virt, const char *address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PassDevice) device = NULL;
  PassVirtDelivery *d;

  if (virt->conn == NULL)
    return;
  device = pass_virt_call_read_device(virt->conn, address, &error);
  if (device == NULL) {
    if (g_error_matches(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE)) {
      pass_virt_sink_deliver(virt->sink, PASS_VIRT_DELIVER_DEVICE_REMOVED, FALSE, address, NULL);
    } else {
      g_debug("cannot refresh %s: %s", address, error->message);
      check_alive(virt);
    }
    return;
  }
  d = g_new0(PassVirtDelivery, 1);
  d->kind = PASS_VIRT_DELIVER_DEVICE_CHANGED;
  d->device = g_steal_pointer(&device);
  pass_virt_sink_push(virt->sink, d);
}

static void
refresh_domain(PassVirt *virt, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PassDomain) domain = NULL;
  PassVirtDelivery *d;

  if (virt->conn == NULL)
    return;
  domain = pass_virt_call_read_domain(virt->conn, name, &error);
  if (domain == NULL) {
    if (g_error_matches(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DOMAIN)) {
      pass_virt_sink_deliver(virt->sink, PASS_VIRT_DELIVER_DOMAIN_REMOVED, FALSE, name, NULL);
    } else {
      g_warning("cannot refresh domain %s: %s", name, error->message);
      check_alive(virt);
    }
    return;
  }
  d = g_new0(PassVirtDelivery, 1);
  d->kind = PASS_VIRT_DELIVER_DOMAIN_CHANGED;
  d->domain = g_steal_pointer(&domain);
  pass_virt_sink_push(virt->sink, d);
}

/* A network interface came or went: re-read the PCI device it is (was) below. */
static void
refresh_net(PassVirt *virt, const char *name, gboolean deleted)
{
  g_autofree char *address = NULL;

  if (virt->conn == NULL)
    return;
  if (deleted) {
    g_hash_table_steal_extended(virt->net_parents, name, NULL, (gpointer *)&address);
  } else {
    g_autoptr(virNodeDevice) dev = virNodeDeviceLookupByName(virt->conn, name);

    if (dev == NULL) {
      virResetLastError();
      return; /* gone again: its deletion follows */
    }
    address = pass_virt_read_net_parent(dev);
    if (address != NULL)
      g_hash_table_insert(virt->net_parents, g_strdup(name), g_strdup(address));
  }
  if (address != NULL)
    refresh_device(virt, address);
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
        pass_virt_sink_deliver(virt->sink, PASS_VIRT_DELIVER_DEVICE_REMOVED, FALSE, item->text,
                               NULL);
      break;
    case READ_DOMAIN:
      refresh_domain(virt, item->text);
      break;
    case READ_NET:
    case READ_NET_DELETED:
      refresh_net(virt, item->text, item->kind == READ_NET_DELETED);
      break;
    case READ_DOMAIN_DEVICE_REMOVED:
      if (virt->conn != NULL)
        pass_virt_sink_deliver(virt->sink, PASS_VIRT_DELIVER_DOMAIN_DEVICE_REMOVED, item->failed,
                               item->text, item->alias);
      break;
    case READ_DOMAIN_REBOOTED:
      if (virt->conn != NULL)
        pass_virt_sink_deliver(virt->sink, PASS_VIRT_DELIVER_DOMAIN_REBOOTED, FALSE, item->text,
                               NULL);
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
  EventCtx *events = g_new0(EventCtx, 1);

  g_return_val_if_fail(uri != NULL, NULL);

  pass_virt_loop_init();

  virt->uri = g_strdup(uri);
  virt->context = g_main_context_ref_thread_default();
  virt->own_loop = virt->context != g_main_context_default();
  if (virt->own_loop)
    pass_virt_loop_acquire();
  g_mutex_init(&virt->lock);
  g_cond_init(&virt->cond);
  for (guint i = 0; i < N_DOMAIN_EVENTS; i++)
    virt->domain_cb[i] = -1;
  for (guint i = 0; i < N_NODEDEV_EVENTS; i++)
    virt->nodedev_cb[i] = -1;

  virt->sink = pass_virt_sink_new(virt->context, callbacks, user_data);

  g_atomic_ref_count_init(&events->ref);
  g_mutex_init(&events->lock);
  events->virt = virt;
  virt->events = events;

  virt->late_refresh = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  virt->net_parents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  virt->reader = g_thread_pool_new(reader_run, virt, 1, TRUE, NULL);
  virt->jobs = g_thread_pool_new(job_run, virt, 4, FALSE, NULL);
  return virt;
}

/* The second look after a driver (un)binding uevent. */
#define LATE_REFRESH_MS 1000

typedef struct {
  PassVirt *virt;
  char *address;
} LateRefresh;

static void
late_refresh_free(gpointer data)
{
  LateRefresh *late = data;

  g_free(late->address);
  g_free(late);
}

static gboolean
late_refresh_cb(gpointer data)
{
  LateRefresh *late = data;

  g_hash_table_remove(late->virt->late_refresh, late->address); /* not the source: it ends */
  pass_virt_refresh_device(late->virt, late->address);
  return G_SOURCE_REMOVE;
}

/* A driver (un)bound: read the device now, and once more a moment later. libvirt's view can
 * trail the uevent (a driver that gives up on a device unbinds it shortly after binding it,
 * as nvme does with a VF it has no queues for), and no further event may come. A device added
 * or removed is passed on, in order with libvirt's events: libvirt does not know a new device
 * before its own event, seconds later on a loaded host (bench/README.md). */
static void
on_uevent(const char *address, PassUeventKind kind, gpointer user_data)
{
  PassVirt *virt = user_data;
  LateRefresh *late;
  guint id;

  if (kind != PASS_UEVENT_BINDING) {
    pass_virt_sink_deliver(virt->sink,
                           kind == PASS_UEVENT_ADD ? PASS_VIRT_DELIVER_KERNEL_ADDED
                                                   : PASS_VIRT_DELIVER_KERNEL_REMOVED,
                           FALSE, address, NULL);
    return;
  }
  pass_virt_refresh_device(virt, address);
  if (g_hash_table_contains(virt->late_refresh, address))
    return;
  late = g_new0(LateRefresh, 1);
  late->virt = virt;
  late->address = g_strdup(address);
  id = g_timeout_add_full(G_PRIORITY_DEFAULT, LATE_REFRESH_MS, late_refresh_cb, late,
                          late_refresh_free);
  g_hash_table_insert(virt->late_refresh, g_strdup(address), GUINT_TO_POINTER(id));
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
  {
    g_autoptr(GList) ids = g_hash_table_get_values(virt->late_refresh);

    for (GList *l = ids; l; l = l->next)
      g_source_remove(GPOINTER_TO_UINT(l->data));
    g_clear_pointer(&virt->late_refresh, g_hash_table_unref);
  }
  teardown(virt);
  g_hash_table_unref(virt->net_parents);

  pass_virt_sink_close(g_steal_pointer(&virt->sink));
  event_ctx_unref(virt->events);

  /* After the connection is closed, so the loop's last turn frees what it left behind. */
  if (virt->own_loop)
    pass_virt_loop_release();

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
  return pass_virt_sink_is_connected(virt->sink);
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
