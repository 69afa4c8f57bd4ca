#define G_LOG_DOMAIN "passd-virt"

#include "virt-private.h"

/* Outlives the PassVirt while deliveries are in flight; @alive is cleared by
 * pass_virt_sink_close(). */
struct _PassVirtSink {
  gatomicrefcount ref;
  GMainContext *context;
  PassVirtCallbacks callbacks;
  gpointer user_data;
  GMutex lock;
  GQueue queue; /* PassVirtDelivery* */
  gboolean scheduled;
  gboolean alive;     /* main context only */
  gboolean connected; /* main context only: what the caller was last told */
};

void
pass_virt_delivery_free(PassVirtDelivery *d)
{
  g_free(d->text);
  g_free(d->alias);
  g_clear_pointer(&d->device, pass_device_unref);
  g_clear_pointer(&d->domain, pass_domain_unref);
  g_clear_pointer(&d->devices, g_ptr_array_unref);
  g_clear_pointer(&d->domains, g_ptr_array_unref);
  g_free(d);
}

static PassVirtSink *
sink_ref(PassVirtSink *sink)
{
  g_atomic_ref_count_inc(&sink->ref);
  return sink;
}

static void
sink_unref(gpointer data)
{
  PassVirtSink *sink = data;

  if (!g_atomic_ref_count_dec(&sink->ref))
    return;
  g_queue_clear_full(&sink->queue, (GDestroyNotify)pass_virt_delivery_free);
  g_main_context_unref(sink->context);
  g_mutex_clear(&sink->lock);
  g_free(sink);
}

static void
sink_dispatch(PassVirtSink *sink, PassVirtDelivery *d)
{
  const PassVirtCallbacks *cb = &sink->callbacks;

  switch (d->kind) {
    case PASS_VIRT_DELIVER_CONNECTION:
      sink->connected = d->flag;
      if (cb->connection_changed != NULL)
        cb->connection_changed(d->flag, d->text, sink->user_data);
      break;
    case PASS_VIRT_DELIVER_SNAPSHOT:
      if (cb->snapshot != NULL)
        cb->snapshot(d->devices, d->domains, sink->user_data);
      break;
    case PASS_VIRT_DELIVER_DEVICE_CHANGED:
      if (cb->device_changed != NULL)
        cb->device_changed(d->device, sink->user_data);
      break;
    case PASS_VIRT_DELIVER_DEVICE_REMOVED:
      if (cb->device_removed != NULL)
        cb->device_removed(d->text, sink->user_data);
      break;
    case PASS_VIRT_DELIVER_DOMAIN_CHANGED:
      if (cb->domain_changed != NULL)
        cb->domain_changed(d->domain, sink->user_data);
      break;
    case PASS_VIRT_DELIVER_DOMAIN_REMOVED:
      if (cb->domain_removed != NULL)
        cb->domain_removed(d->text, sink->user_data);
      break;
    case PASS_VIRT_DELIVER_DOMAIN_DEVICE_REMOVED:
      if (cb->domain_device_removed != NULL)
        cb->domain_device_removed(d->text, d->alias, d->flag, sink->user_data);
      break;
    case PASS_VIRT_DELIVER_DOMAIN_REBOOTED:
      if (cb->domain_rebooted != NULL)
        cb->domain_rebooted(d->text, sink->user_data);
      break;
    case PASS_VIRT_DELIVER_KERNEL_ADDED:
      if (cb->kernel_device_added != NULL)
        cb->kernel_device_added(d->text, sink->user_data);
      break;
    case PASS_VIRT_DELIVER_KERNEL_REMOVED:
      if (cb->kernel_device_removed != NULL)
        cb->kernel_device_removed(d->text, sink->user_data);
      break;
  }
}

static gboolean
sink_drain(gpointer data)
{
  PassVirtSink *sink = data;

  for (;;) {
    PassVirtDelivery *d;

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
    pass_virt_delivery_free(d);
  }
  return G_SOURCE_REMOVE;
}

/* One queue drained by one idle callback keeps deliveries in the order they were made. */
void
pass_virt_sink_push(PassVirtSink *sink, PassVirtDelivery *d)
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

void
pass_virt_sink_deliver(PassVirtSink *sink, PassVirtDeliveryKind kind, gboolean flag,
                       const char *text, const char *alias)
{
  PassVirtDelivery *d = g_new0(PassVirtDelivery, 1);

  d->kind = kind;
  d->flag = flag;
  d->text = g_strdup(text);
  d->alias = g_strdup(alias);
  pass_virt_sink_push(sink, d);
}

PassVirtSink *
pass_virt_sink_new(GMainContext *context, const PassVirtCallbacks *callbacks, gpointer user_data)
{
  PassVirtSink *sink = g_new0(PassVirtSink, 1);

  g_atomic_ref_count_init(&sink->ref);
  sink->context = g_main_context_ref(context);
  if (callbacks != NULL)
    sink->callbacks = *callbacks;
  sink->user_data = user_data;
  sink->alive = TRUE;
  g_mutex_init(&sink->lock);
  g_queue_init(&sink->queue);
  return sink;
}

void
pass_virt_sink_close(PassVirtSink *sink)
{
  g_mutex_lock(&sink->lock);
  g_queue_clear_full(&sink->queue, (GDestroyNotify)pass_virt_delivery_free);
  g_mutex_unlock(&sink->lock);
  sink->alive = FALSE;
  sink_unref(sink);
}

gboolean
pass_virt_sink_is_connected(PassVirtSink *sink)
{
  return sink->connected;
}
