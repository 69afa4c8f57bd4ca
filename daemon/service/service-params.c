#include "service-params.h"

#include "pass-address.h"
#include "pass-device-id.h"
#include "pass-mac.h"

void
pass_args_clear(PassArgs *args)
{
  g_clear_pointer(&args->address, g_free);
  g_clear_pointer(&args->mac, g_free);
}

static gboolean
known(const PassParam *params, const char *name)
{
  for (const PassParam *param = params; param && param->name; param++)
    if (g_str_equal(param->name, name))
      return TRUE;
  return FALSE;
}

static gboolean
holds(JsonNode *node, GType type)
{
  return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == type;
}

/* One field; @node is NULL when absent or null. */
static gboolean
decode(PassArgs *args, const PassParam *param, JsonNode *node)
{
  gpointer field = (char *)args + param->offset;
  const char *text;
  gint64 number;

  if (!node) {
    if (param->type == PASS_PARAM_INT)
      *(gint64 *)field = param->def;
    if (param->type == PASS_PARAM_BOOL)
      *(int *)field = -1;
    return !param->required;
  }
  switch (param->type) {
    case PASS_PARAM_STRING:
    case PASS_PARAM_ADDRESS:
    case PASS_PARAM_DEVICE:
      if (!holds(node, G_TYPE_STRING))
        return FALSE;
      text = json_node_get_string(node);
      if (param->required && *text == '\0')
        return FALSE;
      if (param->type == PASS_PARAM_STRING) {
        *(const char **)field = text;
        return TRUE;
      }
      g_free(args->address);
      args->address = param->type == PASS_PARAM_ADDRESS
                          ? pass_address_canonicalize(text, NULL)
                          : pass_device_id_canonicalize(text, NULL, NULL);
      return args->address != NULL;
    case PASS_PARAM_MAC:
      if (!holds(node, G_TYPE_STRING))
        return FALSE;
      g_free(args->mac);
      args->mac = pass_mac_canonicalize(json_node_get_string(node), NULL);
      return args->mac != NULL;
    case PASS_PARAM_BOOL_FLAG:
      if (!holds(node, G_TYPE_BOOLEAN))
        return FALSE;
      if (json_node_get_boolean(node))
        args->flags |= param->flag;
      return TRUE;
    case PASS_PARAM_STRINGS: {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY(node))
        return FALSE;
      array = json_node_get_array(node);
      for (guint i = 0; i < json_array_get_length(array); i++)
        if (!holds(json_array_get_element(array, i), G_TYPE_STRING))
          return FALSE;
      *(JsonArray **)field = array;
      return TRUE;
    }
    case PASS_PARAM_BOOL:
      if (!holds(node, G_TYPE_BOOLEAN))
        return FALSE;
      *(int *)field = json_node_get_boolean(node) ? 1 : 0;
      return TRUE;
    case PASS_PARAM_INT:
      if (!holds(node, G_TYPE_INT64))
        return FALSE;
      number = json_node_get_int(node);
      if (number < param->min || number > param->max)
        return FALSE;
      *(gint64 *)field = number;
      return TRUE;
  }
  g_return_val_if_reached(FALSE);
}

gboolean
pass_args_decode(PassArgs *args, const PassParam *params, JsonObject *parameters, const char **bad)
{
  JsonObjectIter iter;
  const char *name;

  json_object_iter_init(&iter, parameters);
  while (json_object_iter_next(&iter, &name, NULL)) {
    if (!known(params, name)) {
      *bad = name;
      return FALSE;
    }
  }
  for (const PassParam *param = params; param && param->name; param++) {
    JsonNode *node = json_object_get_member(parameters, param->name);

    if (node && JSON_NODE_HOLDS_NULL(node))
      node = NULL;
    if (!decode(args, param, node)) {
      *bad = param->name;
      return FALSE;
    }
  }
  return TRUE;
}
