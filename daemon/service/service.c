#define G_LOG_DOMAIN "passd"

#include "service.h"

#include <string.h>

#include "pass-config.h"
#include "pass-error.h"
#include "pass-idl.h"
#include "service-json.h"
#include "service-methods.h"
#include "service-private.h"

/* ---- helpers ---- */

/* Hex digits after an optional "0x": 1 to @max_digits of them. */
static const char *
hex_digits(const char *text, gsize max_digits)
{
  gsize n;

  if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X"))
    text += 2;
  n = strlen(text);
  if (n == 0 || n > max_digits)
    return NULL;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isxdigit(text[i]))
      return NULL;
  return text;
}

static gboolean
parse_id(const char *text, guint16 *id)
{
  const char *digits = hex_digits(text, 4);

  if (!digits)
    return FALSE;
  *id = (guint16)g_ascii_strtoull(digits, NULL, 16);
  return TRUE;
}

static void
reply_unavailable(PassService *service, PassVarlinkCall *call)
{
  const char *why = pass_engine_get_message(service->engine);
  g_autoptr(GError) error = g_error_new(PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE,
                                        "Not connected to libvirt at %s yet%s%s", service->uri,
                                        why ? ": " : "", why ? why : "");

  pass_varlink_call_reply_gerror(call, error, NULL);
}

void
pass_service_reply_no_such_device(PassVarlinkCall *call, const char *address)
{
  g_autoptr(JsonObject) extra = json_object_new();
  g_autoptr(GError) error =
      g_error_new(PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE, "No %sdevice at %s",
                  g_str_has_prefix(address, "usb:") ? "USB " : "PCI ", address);

  json_object_set_string_member(extra, "address", address);
  pass_varlink_call_reply_gerror(call, error, extra);
}

/* The serialized Device, built once per change of the device. */
static const char *
device_text(PassService *service, const PassDevice *device)
{
  char *text = g_hash_table_lookup(service->device_texts, device->address);

  if (!text) {
    g_autoptr(JsonObject) object = pass_json_engine_device(service->engine, device);

    text = pass_json_to_string(object);
    g_hash_table_insert(service->device_texts, g_strdup(device->address), text);
  }
  return text;
}

/* ---- GetStatus ---- */

void
pass_service_get_status(PassService *service, PassVarlinkCall *call, PassRequest *request,
                        const PassArgs *args)
{
  g_autoptr(JsonObject) reply = json_object_new();

  json_object_set_string_member(reply, "version", PASS_VERSION);
  json_object_set_string_member(reply, "uri", service->uri);
  json_object_set_boolean_member(reply, "connected", pass_engine_is_connected(service->engine));
  json_object_set_int_member(reply, "devices", pass_engine_get_n_devices(service->engine));
  pass_json_journal_status(reply, service->tx);
  pass_varlink_call_reply(call, reply);
}

/* ---- ListDevices ---- */

typedef struct {
  gboolean any;
  gboolean by_kind;
  PassDeviceKind kind;
  gboolean by_vendor, by_product;
  guint16 vendor_id, product_id;
  char *class_prefix; /* lower-case hex digits, no "0x" */
  const char *driver; /* "" for unbound */
  const char *owner;
  const char *sriov; /* "pf" or "vf" */
} Filter;

static void
filter_clear(Filter *filter)
{
  g_free(filter->class_prefix);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Filter, filter_clear)

/* FALSE after replying InvalidParameter: the fields' forms, after their types. */
static gboolean
filter_parse(Filter *filter, PassVarlinkCall *call, const PassArgs *args)
{
  const char *digits;

  filter->driver = args->driver;
  filter->owner = args->owner;
  filter->sriov = args->sriov;
  if (args->kind && !(filter->by_kind = pass_device_kind_from_string(args->kind, &filter->kind))) {
    pass_varlink_call_reply_invalid_parameter(call, "kind");
    return FALSE;
  }
  if (args->vendor_id && !(filter->by_vendor = parse_id(args->vendor_id, &filter->vendor_id))) {
    pass_varlink_call_reply_invalid_parameter(call, "vendor_id");
    return FALSE;
  }
  if (args->product_id && !(filter->by_product = parse_id(args->product_id, &filter->product_id))) {
    pass_varlink_call_reply_invalid_parameter(call, "product_id");
    return FALSE;
  }
  if (args->device_class) {
    if (!(digits = hex_digits(args->device_class, 6))) {
      pass_varlink_call_reply_invalid_parameter(call, "class");
      return FALSE;
    }
    filter->class_prefix = g_ascii_strdown(digits, -1);
  }
  if (filter->sriov && !g_str_equal(filter->sriov, "pf") && !g_str_equal(filter->sriov, "vf")) {
    pass_varlink_call_reply_invalid_parameter(call, "sriov");
    return FALSE;
  }
  filter->any = filter->by_kind || filter->by_vendor || filter->by_product ||
                filter->class_prefix || filter->driver || filter->owner || filter->sriov;
  return TRUE;
}

static gboolean
strings_contain(GPtrArray *strings, const char *value)
{
  for (guint i = 0; i < strings->len; i++)
    if (g_str_equal(g_ptr_array_index(strings, i), value))
      return TRUE;
  return FALSE;
}

static gboolean
filter_match(const Filter *filter, PassEngine *engine, const PassDevice *device)
{
  if (filter->by_kind && device->kind != filter->kind)
    return FALSE;
  if (filter->by_vendor && device->vendor_id != filter->vendor_id)
    return FALSE;
  if (filter->by_product && device->product_id != filter->product_id)
    return FALSE;
  if (filter->class_prefix) {
    char class[8];

    g_snprintf(class, sizeof class, "%06x", device->class_code);
    if (!g_str_has_prefix(class, filter->class_prefix))
      return FALSE;
  }
  if (filter->driver && g_strcmp0(device->driver, *filter->driver ? filter->driver : NULL) != 0)
    return FALSE;
  if (filter->owner &&
      !strings_contain(pass_engine_get_owners(engine, device->address), filter->owner))
    return FALSE;
  if (filter->sriov && g_str_equal(filter->sriov, "vf") && !device->physfn)
    return FALSE;
  /* A PF is SR-IOV capable, or has VFs even if the capability was not reported. */
  if (filter->sriov && g_str_equal(filter->sriov, "pf") && device->totalvfs <= 0 &&
      pass_engine_get_vfs(engine, device->address)->len == 0)
    return FALSE;
  return TRUE;
}

/* {"devices": [...]} from the cached texts of the matching devices. */
static char *
list_text(PassService *service, const Filter *filter)
{
  g_autoptr(GPtrArray) devices = pass_engine_list_devices(service->engine);
  GString *text = g_string_sized_new(filter->any ? 256 : 1024 * devices->len);
  gboolean first = TRUE;

  g_string_append(text, "{\"devices\":[");
  for (guint i = 0; i < devices->len; i++) {
    const PassDevice *device = g_ptr_array_index(devices, i);

    if (filter->any && !filter_match(filter, service->engine, device))
      continue;
    if (!first)
      g_string_append_c(text, ',');
    g_string_append(text, device_text(service, device));
    first = FALSE;
  }
  g_string_append(text, "]}");
  return g_string_free(text, FALSE);
}

void
pass_service_list_devices(PassService *service, PassVarlinkCall *call, PassRequest *request,
                          const PassArgs *args)
{
  g_auto(Filter) filter = {0};
  g_autofree char *filtered = NULL;
  guint64 generation;

  if (!filter_parse(&filter, call, args))
    return;
  if (!pass_engine_has_inventory(service->engine)) {
    reply_unavailable(service, call);
    return;
  }
  if (filter.any) {
    filtered = list_text(service, &filter);
    pass_varlink_call_reply_raw(call, filtered, FALSE);
    return;
  }
  /* The whole inventory is asked for often and changes rarely. */
  generation = pass_engine_get_generation(service->engine);
  if (!service->list_text || service->list_generation != generation) {
    g_free(service->list_text);
    service->list_text = list_text(service, &filter);
    service->list_generation = generation;
  }
  pass_varlink_call_reply_raw(call, service->list_text, FALSE);
}

/* ---- GetDevice ---- */

void
pass_service_get_device(PassService *service, PassVarlinkCall *call, PassRequest *request,
                        const PassArgs *args)
{
  const char *address = args->address;
  g_autofree char *text = NULL;
  PassDevice *device;

  if (!pass_engine_has_inventory(service->engine)) {
    reply_unavailable(service, call);
    return;
  }
  device = pass_engine_lookup_device(service->engine, address);
  if (!device) {
    pass_service_reply_no_such_device(call, address);
    return;
  }
  text = g_strdup_printf("{\"device\":%s}", device_text(service, device));
  pass_varlink_call_reply_raw(call, text, FALSE);
}

/* ---- GetDomain ---- */

void
pass_service_get_domain(PassService *service, PassVarlinkCall *call, PassRequest *request,
                        const PassArgs *args)
{
  const char *name = args->domain;
  g_autoptr(JsonObject) reply = NULL;
  PassDomain *domain;
  JsonArray *devices;

  if (!pass_engine_has_inventory(service->engine)) {
    reply_unavailable(service, call);
    return;
  }
  domain = pass_engine_lookup_domain(service->engine, name);
  if (!domain) {
    g_autoptr(JsonObject) extra = json_object_new();
    g_autoptr(GError) error =
        g_error_new(PASS_ERROR, PASS_ERROR_NO_SUCH_DOMAIN, "No domain named %s", name);

    json_object_set_string_member(extra, "domain", name);
    pass_varlink_call_reply_gerror(call, error, extra);
    return;
  }

  reply = json_object_new();
  json_object_set_string_member(reply, "name", domain->name);
  json_object_set_string_member(reply, "state", pass_json_domain_state(domain));
  json_object_set_boolean_member(reply, "persistent", domain->persistent);
  devices = json_array_new();
  for (guint i = 0; domain->hostdevs && i < domain->hostdevs->len; i++) {
    const PassHostdev *hostdev = g_ptr_array_index(domain->hostdevs, i);
    PassDevice *device = pass_engine_lookup_device(service->engine, hostdev->address);
    gboolean pending = pass_tx_removal_pending(service->tx, domain->name, hostdev->address);

    json_array_add_object_element(devices, pass_json_assignment(hostdev, device, pending));
  }
  json_object_set_array_member(reply, "devices", devices);
  pass_varlink_call_reply(call, reply);
}

/* ---- Watch ---- */

static char *
event_reply_text(JsonObject *event)
{
  g_autoptr(JsonObject) reply = json_object_new();

  json_object_set_object_member(reply, "event", json_object_ref(event));
  return pass_json_to_string(reply);
}

static void
subscriber_closed(PassVarlinkCall *call, gpointer user_data)
{
  PassService *service = user_data;

  g_debug("Watch subscriber went away");
  g_ptr_array_remove(service->subscribers, call);
}

void
pass_service_watch(PassService *service, PassVarlinkCall *call, PassRequest *request,
                   const PassArgs *args)
{
  g_autoptr(JsonObject) subscribed = pass_json_event_subscribed(g_get_real_time());
  g_autofree char *text = NULL;

  if (!pass_varlink_call_wants_more(call)) {
    pass_varlink_call_reply_error(call, pass_error_to_name(PASS_ERROR_EXPECTED_MORE), NULL);
    return;
  }
  g_ptr_array_add(service->subscribers, pass_varlink_call_ref(call));
  pass_varlink_call_set_closed_func(call, G_CALLBACK(subscriber_closed), service, NULL);
  text = event_reply_text(subscribed);
  pass_varlink_call_reply_raw(call, text, TRUE);
}

static void
engine_event(PassEngine *engine, const PassEngineEvent *event, gpointer user_data)
{
  PassService *service = user_data;
  g_autoptr(JsonObject) device = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *text = NULL;

  if (event->type == PASS_ENGINE_EVENT_DOMAIN)
    return; /* domains reach clients as owners of devices */
  if (event->address)
    g_hash_table_remove(service->device_texts, event->address);
  if (service->subscribers->len == 0)
    return;

  if (event->device)
    device = pass_json_engine_device(engine, event->device);
  object = pass_json_event(event, device);
  text = event_reply_text(object);
  for (guint i = 0; i < service->subscribers->len; i++)
    pass_varlink_call_reply_raw(g_ptr_array_index(service->subscribers, i), text, TRUE);
}

/* ---- lifetime ---- */

PassService *
pass_service_new(PassEngine *engine, PassTx *tx, const char *uri)
{
  PassService *service = g_new0(PassService, 1);

  service->engine = engine;
  service->tx = tx;
  service->uri = g_strdup(uri);
  service->device_texts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  service->subscribers = g_ptr_array_new_with_free_func((GDestroyNotify)pass_varlink_call_unref);
  service->bindings = g_ptr_array_new_with_free_func(g_free);
  service->watch_id = pass_engine_add_watch(engine, engine_event, service);
  service->write_group = PASS_AUTHZ_NO_GROUP;
  service->pools = g_ptr_array_new_with_free_func((GDestroyNotify)pass_pool_unref);
  return service;
}

void
pass_service_set_write_group(PassService *service, gid_t group)
{
  service->write_group = group;
}

void
pass_service_set_doctor(PassService *service, PassServiceDoctorFunc func, gpointer data)
{
  service->doctor = func;
  service->doctor_data = data;
}

void
pass_service_free(PassService *service)
{
  if (!service)
    return;
  pass_engine_remove_watch(service->engine, service->watch_id);
  for (guint i = 0; i < service->subscribers->len; i++)
    pass_varlink_call_set_closed_func(g_ptr_array_index(service->subscribers, i), NULL, NULL, NULL);
  g_ptr_array_unref(service->subscribers);
  g_ptr_array_unref(service->bindings);
  g_hash_table_unref(service->device_texts);
  g_free(service->list_text);
  g_free(service->uri);
  g_ptr_array_unref(service->pools);
  g_free(service->pools_file);
  g_free(service);
}

gboolean
pass_service_register(PassService *service, PassVarlinkServer *server, GError **error)
{
  if (!pass_varlink_server_add_interface(server, pass_idl_manager, error))
    return FALSE;
  pass_service_register_methods(service, server, pass_service_methods, pass_service_n_methods);
  return TRUE;
}
