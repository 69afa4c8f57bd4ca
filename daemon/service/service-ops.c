/* Attach, Detach, Reattach on the varlink socket (see service-ops.h). */
#define G_LOG_DOMAIN "passd"

#include "service-ops.h"

#include "pass-error.h"
#include "service-json.h"
#include "service-params.h"

#define INTERFACE           "io.passd.Manager"
#define MAX_TIMEOUT_SECONDS (24 * 3600)

/* ---- replies ---- */

typedef struct {
  PassVarlinkCall *call;
  gboolean with_devices;
} Reply;

static void
op_done(const PassOpResult *result, gpointer user_data)
{
  Reply *reply = user_data;
  g_autoptr(JsonObject) object = json_object_new();

  if (result->error) {
    g_autoptr(JsonObject) extra = pass_json_op_error(result);

    pass_varlink_call_reply_gerror(reply->call, result->error, extra);
  } else {
    JsonArray *actions = json_array_new();

    for (guint i = 0; result->actions && i < result->actions->len; i++)
      json_array_add_object_element(actions,
                                    pass_json_action(g_ptr_array_index(result->actions, i)));
    if (reply->with_devices)
      json_object_set_array_member(object, "devices", pass_json_strings(result->devices));
    json_object_set_array_member(object, "actions", actions);
    pass_varlink_call_reply(reply->call, object);
  }
  pass_varlink_call_unref(reply->call);
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

/* ---- methods ---- */

static void
attach(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  static const char *const known[] = {"domain", "address",   "live",    "config", "whole_group",
                                      "force",  "interface", "dry_run", NULL};
  PassTx *tx = user_data;
  g_autofree char *address = NULL;
  const char *domain;
  guint flags = 0;

  if (!pass_params_check_known(call, parameters, known) ||
      !pass_params_get_string(call, parameters, "domain", &domain) ||
      !(address = pass_params_get_address(call, parameters)) ||
      !pass_params_get_flag(call, parameters, "live", PASS_OP_LIVE, &flags) ||
      !pass_params_get_flag(call, parameters, "config", PASS_OP_CONFIG, &flags) ||
      !pass_params_get_flag(call, parameters, "whole_group", PASS_OP_WHOLE_GROUP, &flags) ||
      !pass_params_get_flag(call, parameters, "force", PASS_OP_FORCE, &flags) ||
      !pass_params_get_flag(call, parameters, "interface", PASS_OP_INTERFACE, &flags) ||
      !pass_params_get_flag(call, parameters, "dry_run", PASS_OP_DRY_RUN, &flags))
    return;
  pass_tx_attach(tx, NULL, domain, address, flags, op_done, reply_new(call, TRUE));
}

static void
detach(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  static const char *const known[] = {"domain",  "address", "live", "config",
                                      "timeout", "dry_run", NULL};
  PassTx *tx = user_data;
  g_autofree char *address = NULL;
  const char *domain;
  guint flags = 0;
  guint timeout_ms = PASS_TX_DEFAULT_REMOVAL_TIMEOUT_MS;
  JsonNode *node;

  if (!pass_params_check_known(call, parameters, known) ||
      !pass_params_get_string(call, parameters, "domain", &domain) ||
      !(address = pass_params_get_address(call, parameters)) ||
      !pass_params_get_flag(call, parameters, "live", PASS_OP_LIVE, &flags) ||
      !pass_params_get_flag(call, parameters, "config", PASS_OP_CONFIG, &flags) ||
      !pass_params_get_flag(call, parameters, "dry_run", PASS_OP_DRY_RUN, &flags))
    return;
  node = json_object_get_member(parameters, "timeout");
  if (node && !JSON_NODE_HOLDS_NULL(node)) {
    gint64 seconds;

    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64 ||
        (seconds = json_node_get_int(node)) < 0 || seconds > MAX_TIMEOUT_SECONDS) {
      pass_varlink_call_reply_invalid_parameter(call, "timeout");
      return;
    }
    timeout_ms = (guint)seconds * 1000;
  }
  pass_tx_detach(tx, NULL, domain, address, flags, timeout_ms, op_done, reply_new(call, FALSE));
}

static void
reattach(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  static const char *const known[] = {"address", "dry_run", NULL};
  PassTx *tx = user_data;
  g_autofree char *address = NULL;
  guint flags = 0;

  if (!pass_params_check_known(call, parameters, known) ||
      !(address = pass_params_get_address(call, parameters)) ||
      !pass_params_get_flag(call, parameters, "dry_run", PASS_OP_DRY_RUN, &flags))
    return;
  pass_tx_reattach(tx, NULL, address, flags, op_done, reply_new(call, FALSE));
}

void
pass_service_ops_register(PassVarlinkServer *server, PassTx *tx)
{
  pass_varlink_server_add_method(server, INTERFACE ".Attach", attach, tx);
  pass_varlink_server_add_method(server, INTERFACE ".Detach", detach, tx);
  pass_varlink_server_add_method(server, INTERFACE ".Reattach", reattach, tx);
}
