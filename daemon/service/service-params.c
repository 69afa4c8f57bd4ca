#include "service-params.h"

#include "pass-address.h"

gboolean
pass_params_check_known(PassVarlinkCall *call, JsonObject *parameters, const char *const *allowed)
{
  JsonObjectIter iter;
  const char *name;

  json_object_iter_init(&iter, parameters);
  while (json_object_iter_next(&iter, &name, NULL)) {
    if (!allowed || !g_strv_contains(allowed, name)) {
      pass_varlink_call_reply_invalid_parameter(call, name);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
holds(JsonNode *node, GType type)
{
  return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == type;
}

gboolean
pass_params_get_optional_string(PassVarlinkCall *call, JsonObject *parameters, const char *name,
                                const char **value)
{
  JsonNode *node = json_object_get_member(parameters, name);

  *value = NULL;
  if (!node || JSON_NODE_HOLDS_NULL(node))
    return TRUE;
  if (!holds(node, G_TYPE_STRING)) {
    pass_varlink_call_reply_invalid_parameter(call, name);
    return FALSE;
  }
  *value = json_node_get_string(node);
  return TRUE;
}

gboolean
pass_params_get_string(PassVarlinkCall *call, JsonObject *parameters, const char *name,
                       const char **value)
{
  if (!pass_params_get_optional_string(call, parameters, name, value))
    return FALSE;
  if (*value == NULL || **value == '\0') {
    pass_varlink_call_reply_invalid_parameter(call, name);
    return FALSE;
  }
  return TRUE;
}

char *
pass_params_get_address(PassVarlinkCall *call, JsonObject *parameters)
{
  const char *given;
  char *address;

  if (!pass_params_get_string(call, parameters, "address", &given))
    return NULL;
  address = pass_address_canonicalize(given, NULL);
  if (!address)
    pass_varlink_call_reply_invalid_parameter(call, "address");
  return address;
}

gboolean
pass_params_get_flag(PassVarlinkCall *call, JsonObject *parameters, const char *name, guint flag,
                     guint *flags)
{
  JsonNode *node = json_object_get_member(parameters, name);

  if (!node || JSON_NODE_HOLDS_NULL(node))
    return TRUE;
  if (!holds(node, G_TYPE_BOOLEAN)) {
    pass_varlink_call_reply_invalid_parameter(call, name);
    return FALSE;
  }
  if (json_node_get_boolean(node))
    *flags |= flag;
  return TRUE;
}
