/* Mediated devices: ListMdevTypes, CreateMdev, RemoveMdev (the transactions do the work, see
 * tx-mdev.c), and the Device's mdev member. */
#define G_LOG_DOMAIN "passd"

#include "pass-error.h"
#include "service-json.h"
#include "service-methods.h"
#include "service-private.h"

JsonObject *
pass_json_mdev(const PassDevice *device)
{
  JsonObject *object;

  if (device->kind != PASS_DEVICE_KIND_MDEV)
    return NULL;
  object = json_object_new();
  json_object_set_string_member(object, "type", device->mdev_type ? device->mdev_type : "");
  json_object_set_string_member(object, "parent", device->mdev_parent ? device->mdev_parent : "");
  json_object_set_boolean_member(object, "active", (device->mdev_state & PASS_MDEV_ACTIVE) != 0);
  json_object_set_boolean_member(object, "persistent",
                                 (device->mdev_state & PASS_MDEV_PERSISTENT) != 0);
  json_object_set_boolean_member(object, "autostart",
                                 (device->mdev_state & PASS_MDEV_AUTOSTART) != 0);
  return object;
}

static JsonObject *
json_mdev_type(const PassMdevType *type)
{
  JsonObject *object = json_object_new();

  json_object_set_string_member(object, "parent", type->parent);
  json_object_set_string_member(object, "parent_name", type->parent_name);
  json_object_set_string_member(object, "id", type->id);
  if (type->name)
    json_object_set_string_member(object, "name", type->name);
  else
    json_object_set_null_member(object, "name");
  if (type->device_api)
    json_object_set_string_member(object, "device_api", type->device_api);
  else
    json_object_set_null_member(object, "device_api");
  json_object_set_int_member(object, "available", type->available);
  return object;
}

static void
types_done(GPtrArray *types, const GError *error, gpointer user_data)
{
  PassVarlinkCall *call = user_data;

  if (error) {
    pass_varlink_call_reply_gerror(call, error, NULL);
  } else {
    g_autoptr(JsonObject) object = json_object_new();
    JsonArray *array = json_array_sized_new(types->len);

    for (guint i = 0; i < types->len; i++)
      json_array_add_object_element(array, json_mdev_type(g_ptr_array_index(types, i)));
    json_object_set_array_member(object, "types", array);
    pass_varlink_call_reply(call, object);
  }
  pass_varlink_call_unref(call);
}

void
pass_service_list_mdev_types(PassService *service, PassVarlinkCall *call, PassRequest *request,
                             const PassArgs *args)
{
  pass_tx_list_mdev_types(service->tx, types_done, pass_varlink_call_ref(call));
}

typedef struct {
  PassService *service;
  PassVarlinkCall *call;
  char *address; /* asked (remove) or to be (create with a UUID) */
  char *parent, *type;
} Reply;

static void
mdev_done(const char *address, const GError *error, gpointer user_data)
{
  Reply *reply = user_data;

  if (error && g_error_matches(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER)) {
    pass_varlink_call_reply_invalid_parameter(reply->call, reply->parent ? "uuid" : "address");
  } else if (error) {
    g_autoptr(JsonObject) extra = json_object_new();

    if (g_error_matches(error, PASS_ERROR, PASS_ERROR_NO_CAPACITY)) {
      json_object_set_string_member(extra, "type", reply->type);
      json_object_set_string_member(extra, "parent", reply->parent);
    } else if (g_error_matches(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE)) {
      json_object_set_string_member(extra, "address",
                                    reply->address ? reply->address : reply->parent);
    } else if (g_error_matches(error, PASS_ERROR, PASS_ERROR_DEVICE_IN_USE)) {
      json_object_set_string_member(extra, "address", reply->address);
      json_object_set_array_member(
          extra, "owners",
          pass_json_strings(pass_engine_get_owners(reply->service->engine, reply->address)));
    }
    pass_varlink_call_reply_gerror(reply->call, error, extra);
  } else {
    g_autoptr(JsonObject) object = json_object_new();

    json_object_set_string_member(object, "address", address);
    pass_varlink_call_reply(reply->call, object);
  }
  pass_varlink_call_unref(reply->call);
  g_free(reply->address);
  g_free(reply->parent);
  g_free(reply->type);
  g_free(reply);
}

void
pass_service_create_mdev(PassService *service, PassVarlinkCall *call, PassRequest *request,
                         const PassArgs *args)
{
  Reply *reply = g_new0(Reply, 1);
  guint flags = ((args->flags & PASS_ARGS_FLAG_PERSISTENT) ? PASS_TX_MDEV_PERSISTENT : 0) |
                ((args->flags & PASS_ARGS_FLAG_AUTOSTART) ? PASS_TX_MDEV_AUTOSTART : 0);

  *reply = (Reply){service, pass_varlink_call_ref(call), NULL, g_strdup(args->mdev_parent),
                   g_strdup(args->mdev_type)};
  pass_tx_create_mdev(service->tx, request, args->mdev_parent, args->mdev_type, args->mdev_uuid,
                      flags, mdev_done, reply);
}

void
pass_service_remove_mdev(PassService *service, PassVarlinkCall *call, PassRequest *request,
                         const PassArgs *args)
{
  Reply *reply = g_new0(Reply, 1);

  *reply = (Reply){service, pass_varlink_call_ref(call), g_strdup(args->address), NULL, NULL};
  pass_tx_remove_mdev(service->tx, request, args->address, mdev_done, reply);
}
