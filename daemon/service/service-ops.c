/* Attach, Detach, Reattach, SetNumVFs: hand the decoded call to the transactions, encode their
 * actions and errors. */
#define G_LOG_DOMAIN "passd"

#include "pass-error.h"
#include "service-json.h"
#include "service-methods.h"
#include "service-private.h"

/* ---- replies ---- */

typedef struct {
  PassVarlinkCall *call;
  gboolean with_devices;
  char *mdev_type, *mdev_parent; /* Attach by mdev type: NoCapacity's parameters */
} Reply;

static void
op_done(const PassOpResult *result, gpointer user_data)
{
  Reply *reply = user_data;
  g_autoptr(JsonObject) object = json_object_new();

  if (result->error) {
    g_autoptr(JsonObject) extra = pass_json_op_error(result);

    if (g_error_matches(result->error, PASS_ERROR, PASS_ERROR_NO_CAPACITY)) {
      json_object_set_string_member(extra, "type", reply->mdev_type);
      if (reply->mdev_parent)
        json_object_set_string_member(extra, "parent", reply->mdev_parent);
    }
    pass_varlink_call_reply_gerror(reply->call, result->error, extra);
  } else {
    JsonArray *actions = json_array_new();

    for (guint i = 0; result->actions && i < result->actions->len; i++)
      json_array_add_object_element(actions,
                                    pass_json_action(g_ptr_array_index(result->actions, i)));
    if (reply->with_devices)
      json_object_set_array_member(object, "devices", pass_json_strings(result->devices));
    json_object_set_array_member(object, "actions", actions);
    if (result->picks)
      pass_json_pool_picks(object, result);
    pass_varlink_call_reply(reply->call, object);
  }
  pass_varlink_call_unref(reply->call);
  g_free(reply->mdev_type);
  g_free(reply->mdev_parent);
  g_free(reply);
}

static Reply *
reply_new(PassVarlinkCall *call, gboolean with_devices)
{
  Reply *reply = g_new0(Reply, 1);

  reply->call = pass_varlink_call_ref(call);
  reply->with_devices = with_devices;
  return reply;
}

/* ---- methods (decoded by the dispatcher, service-methods.c) ---- */

/* Attach by mdev type: no address, no pool and none of their options. */
static void
attach_mdev_type(PassService *service, PassVarlinkCall *call, PassRequest *request,
                 const PassArgs *args)
{
  const char *bad = args->address         ? "address"
                    : args->pool          ? "pool"
                    : args->numa          ? "numa"
                    : args->policy        ? "policy"
                    : args->vf_count != 1 ? "count"
                    : args->mac           ? "mac"
                    : args->vlan          ? "vlan"
                                          : NULL;
  Reply *reply;

  if (bad) {
    pass_varlink_call_reply_invalid_parameter(call, bad);
    return;
  }
  reply = reply_new(call, TRUE);
  reply->mdev_type = g_strdup(args->mdev_type);
  reply->mdev_parent = g_strdup(args->mdev_parent);
  pass_tx_attach_mdev_type(service->tx, request, args->domain, args->mdev_type, args->mdev_parent,
                           args->flags & ~PASS_ARGS_FLAG_PERSISTENT,
                           (args->flags & PASS_ARGS_FLAG_PERSISTENT) ? PASS_TX_MDEV_PERSISTENT : 0,
                           op_done, reply);
}

void
pass_service_attach(PassService *service, PassVarlinkCall *call, PassRequest *request,
                    const PassArgs *args)
{
  if (args->mdev_type) {
    attach_mdev_type(service, call, request, args);
    return;
  }
  if (args->mdev_parent || (args->flags & PASS_ARGS_FLAG_PERSISTENT)) {
    pass_varlink_call_reply_invalid_parameter(call, args->mdev_parent ? "parent" : "persistent");
    return;
  }
  /* Neither: the address is what a plain Attach lacks. */
  if (!args->pool && !args->address) {
    pass_varlink_call_reply_invalid_parameter(call, "address");
    return;
  }
  if (args->pool) {
    pass_service_attach_pool(service, call, request, args, op_done, reply_new(call, TRUE));
    return;
  }
  if (args->numa || args->policy || args->vf_count != 1) {
    const char *bad = args->numa ? "numa" : args->policy ? "policy" : "count";

    pass_varlink_call_reply_invalid_parameter(call, bad);
    return;
  }
  /* A MAC or VLAN without an interface would be silently dropped: say so instead. */
  if (!(args->flags & PASS_OP_INTERFACE) && (args->mac || args->vlan)) {
    pass_varlink_call_reply_invalid_parameter(call, args->mac ? "mac" : "vlan");
    return;
  }
  if (args->flags & PASS_OP_INTERFACE)
    pass_tx_attach_interface(service->tx, request, args->domain, args->address, args->flags,
                             args->mac, (guint)args->vlan, op_done, reply_new(call, TRUE));
  else
    pass_tx_attach(service->tx, request, args->domain, args->address, args->flags, op_done,
                   reply_new(call, TRUE));
}

void
pass_service_detach(PassService *service, PassVarlinkCall *call, PassRequest *request,
                    const PassArgs *args)
{
  guint timeout_ms = args->timeout == PASS_ARGS_TIMEOUT_DEFAULT ? PASS_TX_REMOVAL_TIMEOUT_DEFAULT
                                                                : (guint)args->timeout * 1000;

  pass_tx_detach(service->tx, request, args->domain, args->address, args->flags, timeout_ms,
                 op_done, reply_new(call, FALSE));
}

void
pass_service_reattach(PassService *service, PassVarlinkCall *call, PassRequest *request,
                      const PassArgs *args)
{
  pass_tx_reattach(service->tx, request, args->address, args->flags, op_done,
                   reply_new(call, FALSE));
}

void
pass_service_set_num_vfs(PassService *service, PassVarlinkCall *call, PassRequest *request,
                         const PassArgs *args)
{
  pass_tx_set_num_vfs(service->tx, request, args->address, (guint)args->count, args->autoprobe,
                      args->flags, op_done, reply_new(call, FALSE));
}
