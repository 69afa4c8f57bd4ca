/* Varlink without a socket: the framing (PassVarlinkInput, fed in chunks the input chooses),
 * the strict checker and the tree builder of pass-varlink-message.c, and the service's
 * parameter decoding (pass_args_decode() with every method's table) over each message's
 * "parameters", as the server and the dispatcher see them.
 *
 * Input: byte 0 picks the chunk sizes, the rest is the byte stream from a peer.
 * Invariants: framing hands out exactly the NUL-separated pieces of the stream and refuses one
 * longer than the limit; check and parse agree; whatever they accept json-glib's own parser
 * reads to the same tree (the builder's one documented difference, integers beyond gint64,
 * aside); the members the checker finds are the tree's; a serialized tree is accepted again
 * and reads back the same; decoding names a bad field that exists, or yields values within the
 * table's rules (canonical addresses, non-empty required strings, integers in range). */
#include <math.h>
#include <string.h>

#include "fuzz-common.h"
#include "pass-address.h"
#include "pass-mac.h"
#include "pass-varlink-private.h"
#include "service-methods.h"

#define MAX_MESSAGE 4096

static gboolean nodes_equal(JsonNode *a, JsonNode *b);

static gboolean
objects_equal(JsonObject *a, JsonObject *b)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (json_object_get_size(a) != json_object_get_size(b))
    return FALSE;
  json_object_iter_init(&iter, a);
  while (json_object_iter_next(&iter, &name, &node)) {
    JsonNode *other = json_object_get_member(b, name);
    if (other == NULL || !nodes_equal(node, other))
      return FALSE;
  }
  return TRUE;
}

/* json-glib reads an integer beyond gint64 wrapped; the builder gives a double. */
static gboolean
huge_integer(JsonNode *builder, JsonNode *glib)
{
  return json_node_get_value_type(builder) == G_TYPE_DOUBLE &&
         json_node_get_value_type(glib) == G_TYPE_INT64;
}

static gboolean
nodes_equal(JsonNode *a, JsonNode *b)
{
  if (JSON_NODE_TYPE(a) != JSON_NODE_TYPE(b))
    return FALSE;
  switch (JSON_NODE_TYPE(a)) {
    case JSON_NODE_OBJECT:
      return objects_equal(json_node_get_object(a), json_node_get_object(b));
    case JSON_NODE_ARRAY: {
      JsonArray *x = json_node_get_array(a), *y = json_node_get_array(b);
      guint n = json_array_get_length(x);
      if (n != json_array_get_length(y))
        return FALSE;
      for (guint i = 0; i < n; i++)
        if (!nodes_equal(json_array_get_element(x, i), json_array_get_element(y, i)))
          return FALSE;
      return TRUE;
    }
    case JSON_NODE_NULL:
      return TRUE;
    case JSON_NODE_VALUE:
      break;
  }
  if (huge_integer(a, b) || huge_integer(b, a))
    return TRUE;
  if (json_node_get_value_type(a) != json_node_get_value_type(b))
    return FALSE;
  switch (json_node_get_value_type(a)) {
    case G_TYPE_STRING:
      return strcmp(json_node_get_string(a), json_node_get_string(b)) == 0;
    case G_TYPE_INT64:
      return json_node_get_int(a) == json_node_get_int(b);
    case G_TYPE_BOOLEAN:
      return json_node_get_boolean(a) == json_node_get_boolean(b);
    case G_TYPE_DOUBLE: {
      double x = json_node_get_double(a), y = json_node_get_double(b);
      return memcmp(&x, &y, sizeof x) == 0;
    }
    default:
      return FALSE;
  }
}

/* Whether json-glib (1.6) writes @value as JSON: not inf ("inf"), and not one whose "%.17g" form
 * has an exponent but no point, to which it appends ".0" ("1e+22.0"). passd sends no doubles;
 * see fuzz/README.md. */
static gboolean
writable_double(double value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite(value))
    return FALSE;
  g_ascii_formatd(text, sizeof text, "%.17g", value);
  return strchr(text, '.') != NULL || strpbrk(text, "eE") == NULL;
}

/* Whether every double in @node is one json-glib writes as JSON. */
static gboolean
all_writable(JsonNode *node)
{
  switch (JSON_NODE_TYPE(node)) {
    case JSON_NODE_OBJECT: {
      JsonObjectIter iter;
      JsonNode *member;
      json_object_iter_init(&iter, json_node_get_object(node));
      while (json_object_iter_next(&iter, NULL, &member))
        if (!all_writable(member))
          return FALSE;
      return TRUE;
    }
    case JSON_NODE_ARRAY: {
      JsonArray *array = json_node_get_array(node);
      for (guint i = 0; i < json_array_get_length(array); i++)
        if (!all_writable(json_array_get_element(array, i)))
          return FALSE;
      return TRUE;
    }
    case JSON_NODE_VALUE:
      return json_node_get_value_type(node) != G_TYPE_DOUBLE ||
             writable_double(json_node_get_double(node));
    case JSON_NODE_NULL:
      return TRUE;
  }
  return TRUE;
}

static void
check_decode(const PassMethod *method, JsonObject *parameters)
{
  g_auto(PassArgs) args = {0};
  const char *bad = NULL;

  if (!pass_args_decode(&args, method->params, parameters, &bad)) {
    /* A member the table does not know, or one of its fields. */
    gboolean in_table = FALSE;
    FUZZ_CHECK(bad != NULL);
    for (const PassParam *p = method->params; p && p->name; p++)
      in_table |= strcmp(p->name, bad) == 0;
    FUZZ_CHECK(in_table || json_object_has_member(parameters, bad));
    return;
  }
  for (const PassParam *p = method->params; p && p->name; p++) {
    gconstpointer field = (const char *)&args + p->offset;
    switch (p->type) {
      case PASS_PARAM_STRING:
        if (p->required)
          FUZZ_CHECK(*(const char *const *)field != NULL && **(const char *const *)field);
        break;
      case PASS_PARAM_ADDRESS:
      case PASS_PARAM_DEVICE:
        if (p->required)
          FUZZ_CHECK(args.address != NULL);
        if (args.address && p->type == PASS_PARAM_ADDRESS)
          fuzz_check_canonical(args.address);
        else if (args.address)
          fuzz_check_canonical_id(args.address);
        break;
      case PASS_PARAM_INT:
        /* Absent: the default, which may lie outside the range (vlan: 0, none). */
        FUZZ_CHECK(*(const gint64 *)field == p->def ||
                   (*(const gint64 *)field >= p->min && *(const gint64 *)field <= p->max));
        break;
      case PASS_PARAM_MAC:
        if (args.mac) {
          g_autofree char *again = pass_mac_canonicalize(args.mac, NULL);
          FUZZ_CHECK(again != NULL && strcmp(again, args.mac) == 0);
        }
        break;
      case PASS_PARAM_BOOL:
        FUZZ_CHECK(*(const int *)field >= -1 && *(const int *)field <= 1);
        break;
      case PASS_PARAM_STRINGS: {
        JsonArray *array = *(JsonArray *const *)field;

        for (guint i = 0; array && i < json_array_get_length(array); i++)
          FUZZ_CHECK(json_node_get_value_type(json_array_get_element(array, i)) == G_TYPE_STRING);
        break;
      }
      case PASS_PARAM_BOOL_FLAG:
        break;
    }
  }
}

static void
check_message(const char *text, gsize length)
{
  PassJsonMember members[] = {
      {"method"}, {"parameters"}, {"more"}, {"oneway"}, {"upgrade"},
  };
  gboolean escaped = FALSE;
  gboolean checked =
      pass_varlink_message_check(text, length, members, G_N_ELEMENTS(members), &escaped, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = pass_varlink_message_parse(text, length, &error);

  FUZZ_CHECK(checked == (object != NULL));
  if (object == NULL) {
    FUZZ_CHECK(error != NULL);
    return;
  }

  /* json-glib reads the same text to the same tree. */
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(JsonNode) root = json_node_init_object(json_node_alloc(), object);
  FUZZ_CHECK(json_parser_load_from_data(parser, text, (gssize)length, NULL));
  FUZZ_CHECK(nodes_equal(root, json_parser_get_root(parser)));

  /* The checker's members are the tree's. */
  for (guint i = 0; i < G_N_ELEMENTS(members) && !escaped; i++) {
    JsonNode *node = json_object_get_member(object, members[i].name);
    FUZZ_CHECK((members[i].value != NULL) == (node != NULL));
    if (node) {
      g_autofree char *wrapped =
          g_strdup_printf("{\"x\":%.*s}", (int)members[i].length, members[i].value);
      g_autoptr(JsonObject) x = pass_varlink_message_parse(wrapped, strlen(wrapped), NULL);
      FUZZ_CHECK(x != NULL && nodes_equal(json_object_get_member(x, "x"), node));
    }
  }

  /* What we write, we read back. */
  if (all_writable(root)) {
    gsize n;
    g_autofree char *out = pass_varlink_message_serialize(object, &n);
    g_autoptr(JsonObject) back = pass_varlink_message_parse(out, n - 1, NULL);
    g_autoptr(JsonNode) back_root = NULL;
    FUZZ_CHECK(out[n - 1] == '\0' && back != NULL);
    back_root = json_node_init_object(json_node_alloc(), back);
    FUZZ_CHECK(nodes_equal(root, back_root));
  }

  /* As the dispatcher would: "parameters" through every method's table. */
  JsonNode *parameters = json_object_get_member(object, "parameters");
  if (parameters && JSON_NODE_HOLDS_OBJECT(parameters))
    for (guint i = 0; i < pass_service_n_methods; i++)
      check_decode(&pass_service_methods[i], json_node_get_object(parameters));
}

FUZZ_DEFINE_INITIALIZE_QUIET()

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  PassVarlinkInput input;
  guint chunk, offset = 0, expected_start = 1;

  if (size < 1)
    return 0;
  chunk = 1 + data[0] % 97;
  pass_varlink_input_init(&input, MAX_MESSAGE);
  for (gsize pos = 1; pos < size;) {
    gsize n = MIN(chunk, size - pos);
    /* Alternately appended and received into reserved room, as the server does. */
    if (offset++ % 2) {
      pass_varlink_input_append(&input, data + pos, n);
    } else {
      guint8 *room = pass_varlink_input_reserve(&input, n + 7);
      memcpy(room, data + pos, n);
      pass_varlink_input_commit(&input, n + 7, n);
    }
    pos += n;
    for (;;) {
      const char *message;
      gsize length;
      g_autoptr(GError) error = NULL;

      if (!pass_varlink_input_next(&input, &message, &length, &error)) {
        /* Only when the next piece is, or can only become, longer than the limit. */
        const guint8 *nul = memchr(data + expected_start, '\0', pos - expected_start);
        gsize piece = nul ? (gsize)(nul - data) - expected_start : pos - expected_start;
        FUZZ_CHECK(error != NULL && piece > MAX_MESSAGE);
        goto out;
      }
      if (message == NULL) {
        FUZZ_CHECK(memchr(data + expected_start, '\0', pos - expected_start) == NULL);
        FUZZ_CHECK(pass_varlink_input_get_pending(&input) == pos - expected_start);
        break;
      }
      /* The next NUL-terminated piece of the stream, exactly. */
      FUZZ_CHECK(length <= MAX_MESSAGE);
      FUZZ_CHECK(memcmp(message, data + expected_start, length) == 0);
      FUZZ_CHECK(data[expected_start + length] == '\0');
      expected_start += length + 1;
      check_message(message, length);
    }
  }
out:
  pass_varlink_input_clear(&input);
  return 0;
}
