/* Reading Device fields. passd may be newer or older than passctl, so every accessor treats
 * a missing, null or mistyped member as absent instead of asserting. */
#include "format.h"

#include <string.h>

static JsonNode *
member_value(JsonObject *object, const char *member, GType type)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member(object, member))
    return NULL;
  node = json_object_get_member(object, member);
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != type)
    return NULL;
  return node;
}

const char *
passctl_json_string(JsonObject *object, const char *member)
{
  JsonNode *node = member_value(object, member, G_TYPE_STRING);

  return node ? json_node_get_string(node) : NULL;
}

gboolean
passctl_json_int(JsonObject *object, const char *member, gint64 *out)
{
  JsonNode *node = member_value(object, member, G_TYPE_INT64);

  if (node == NULL)
    return FALSE;
  *out = json_node_get_int(node);
  return TRUE;
}

gboolean
passctl_json_bool(JsonObject *object, const char *member, gboolean *out)
{
  JsonNode *node = member_value(object, member, G_TYPE_BOOLEAN);

  if (node == NULL)
    return FALSE;
  *out = json_node_get_boolean(node);
  return TRUE;
}

JsonArray *
passctl_json_array(JsonObject *object, const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member(object, member))
    return NULL;
  node = json_object_get_member(object, member);
  return JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
}

JsonObject *
passctl_json_object(JsonObject *object, const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member(object, member))
    return NULL;
  node = json_object_get_member(object, member);
  return JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

/* "0x8086" -> "8086"; anything else is shown as given, "?" when absent. */
static const char *
strip_hex_prefix(const char *id)
{
  if (id == NULL)
    return "?";
  if (g_str_has_prefix(id, "0x") || g_str_has_prefix(id, "0X"))
    return id + 2;
  return id;
}

char *
passctl_device_ids(JsonObject *device)
{
  return g_strdup_printf("%s:%s", strip_hex_prefix(passctl_json_string(device, "vendor_id")),
                         strip_hex_prefix(passctl_json_string(device, "product_id")));
}

char *
passctl_device_class_short(JsonObject *device)
{
  return g_strdup(strip_hex_prefix(passctl_json_string(device, "class")));
}

char *
passctl_device_sriov(JsonObject *device)
{
  const char *physfn = passctl_json_string(device, "physfn");
  JsonArray *vfs = passctl_json_array(device, "vfs");
  guint n_vfs = vfs ? json_array_get_length(vfs) : 0;
  gint64 totalvfs;

  if (physfn != NULL)
    return g_strdup_printf("VF of %s", physfn);
  if (passctl_json_int(device, "totalvfs", &totalvfs))
    return g_strdup_printf("PF %u/%" G_GINT64_FORMAT, n_vfs, totalvfs);
  if (n_vfs > 0)
    return g_strdup_printf("PF %u/?", n_vfs);
  return g_strdup("-");
}

char *
passctl_device_owners(JsonObject *device, const char *separator)
{
  return passctl_device_strings(device, "owners", separator);
}

char *
passctl_device_strings(JsonObject *device, const char *member, const char *separator)
{
  JsonArray *owners = passctl_json_array(device, member);
  g_autoptr(GString) text = g_string_new(NULL);
  guint n = owners ? json_array_get_length(owners) : 0;

  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(owners, i);

    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
      continue;
    if (text->len > 0)
      g_string_append(text, separator);
    g_string_append(text, json_node_get_string(node));
  }
  if (text->len == 0)
    return NULL;
  return g_string_free(g_steal_pointer(&text), FALSE);
}

char *
passctl_device_names(JsonObject *device)
{
  const char *vendor = passctl_json_string(device, "vendor");
  const char *product = passctl_json_string(device, "product");
  gboolean provisional = FALSE;

  /* shown from sysfs until libvirt lists it, with no names yet: say why */
  if (passctl_json_bool(device, "provisional", &provisional) && provisional)
    return g_strdup("(new: libvirt does not list it yet)");
  if (vendor && product)
    return g_strdup_printf("%s %s", vendor, product);
  if (vendor || product)
    return g_strdup(vendor ? vendor : product);
  return NULL;
}

/* PCI base class codes (the first byte of the class code). */
static const char *const base_class_names[] = {
    "unclassified device",
    "mass storage controller",
    "network controller",
    "display controller",
    "multimedia controller",
    "memory controller",
    "bridge",
    "communication controller",
    "generic system peripheral",
    "input device controller",
    "docking station",
    "processor",
    "serial bus controller",
    "wireless controller",
    "intelligent controller",
    "satellite communications controller",
    "encryption controller",
    "signal processing controller",
    "processing accelerator",
    "non-essential instrumentation",
};

const char *
passctl_class_name(JsonObject *device)
{
  const char *class = passctl_json_string(device, "class");
  g_autofree char *digits = NULL;
  char *end = NULL;
  guint64 base;

  if (class == NULL)
    return NULL;
  digits = g_strndup(strip_hex_prefix(class), 2);
  if (strlen(digits) != 2)
    return NULL;
  base = g_ascii_strtoull(digits, &end, 16);
  if (end == NULL || *end != '\0' || base >= G_N_ELEMENTS(base_class_names))
    return NULL;
  return base_class_names[base];
}
