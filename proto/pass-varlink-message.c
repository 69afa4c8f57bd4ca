#include "pass-varlink-private.h"

#include <string.h>

#include "pass-error.h"

void
pass_varlink_input_init(PassVarlinkInput *input, gsize max_message)
{
  input->data = g_byte_array_new();
  input->start = 0;
  input->scanned = 0;
  input->max_message = max_message;
}

void
pass_varlink_input_clear(PassVarlinkInput *input)
{
  g_clear_pointer(&input->data, g_byte_array_unref);
  input->start = input->scanned = 0;
}

/* Drops handed-out bytes once they are the larger part, so the buffer does not creep. */
static void
compact(PassVarlinkInput *input)
{
  if (input->start == 0 || input->start < input->data->len / 2)
    return;
  g_byte_array_remove_range(input->data, 0, (guint)input->start);
  input->scanned -= input->start;
  input->start = 0;
}

guint8 *
pass_varlink_input_reserve(PassVarlinkInput *input, gsize length)
{
  compact(input);
  guint old = input->data->len;
  g_byte_array_set_size(input->data, (guint)(old + length));
  return input->data->data + old;
}

void
pass_varlink_input_commit(PassVarlinkInput *input, gsize reserved, gsize used)
{
  g_assert(used <= reserved && reserved <= input->data->len);
  g_byte_array_set_size(input->data, (guint)(input->data->len - (reserved - used)));
}

void
pass_varlink_input_append(PassVarlinkInput *input, const void *bytes, gsize length)
{
  memcpy(pass_varlink_input_reserve(input, length), bytes, length);
}

gboolean
pass_varlink_input_next(PassVarlinkInput *input, const char **message, gsize *length,
                        GError **error)
{
  const guint8 *base = input->data->data;
  gsize end = input->data->len;
  const guint8 *nul = NULL;

  *message = NULL;
  *length = 0;
  if (input->scanned < end)
    nul = memchr(base + input->scanned, '\0', end - input->scanned);

  gsize message_end = nul ? (gsize)(nul - base) : end;
  if (message_end - input->start > input->max_message) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL,
                "Message exceeds the maximum size of %" G_GSIZE_FORMAT " bytes",
                input->max_message);
    return FALSE;
  }
  if (!nul) {
    input->scanned = end;
    return TRUE;
  }

  *message = (const char *)base + input->start;
  *length = message_end - input->start;
  input->start = input->scanned = message_end + 1;
  return TRUE;
}

gsize
pass_varlink_input_get_pending(PassVarlinkInput *input)
{
  return input->data->len - input->start;
}

/* json-glib accepts more than JSON (single quotes, comments, a second value after the first)
 * and parses recursively without a depth limit, so a peer could crash the daemon with a deep
 * nest. Messages are therefore checked against the strict grammar first, depth-limited. */
#define JSON_MAX_DEPTH 128

typedef struct {
  const char *p;
  const char *end;
} JsonCursor;

static void
skip_space(JsonCursor *c)
{
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
    c->p++;
}

static gboolean
check_literal(JsonCursor *c, const char *word)
{
  gsize n = strlen(word);

  if ((gsize)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
    return FALSE;
  c->p += n;
  return TRUE;
}

static gboolean
check_digits(JsonCursor *c)
{
  const char *start = c->p;

  while (c->p < c->end && g_ascii_isdigit(*c->p))
    c->p++;
  return c->p > start;
}

static gboolean
check_number(JsonCursor *c)
{
  if (c->p < c->end && *c->p == '-')
    c->p++;
  if (c->p < c->end && *c->p == '0')
    c->p++;
  else if (!check_digits(c))
    return FALSE;
  if (c->p < c->end && *c->p == '.') {
    c->p++;
    if (!check_digits(c))
      return FALSE;
  }
  if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
    c->p++;
    if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
      c->p++;
    if (!check_digits(c))
      return FALSE;
  }
  return TRUE;
}

/* A string without control characters or NULs (varlink strings cannot carry one). */
static gboolean
check_string(JsonCursor *c)
{
  if (c->p >= c->end || *c->p != '"')
    return FALSE;
  for (c->p++; c->p < c->end; c->p++) {
    guchar ch = (guchar)*c->p;
    if (ch == '"') {
      c->p++;
      return TRUE;
    }
    if (ch < 0x20)
      return FALSE;
    if (ch != '\\')
      continue;
    if (++c->p >= c->end)
      return FALSE;
    if (*c->p == 'u') {
      if (c->end - c->p < 5 || !g_ascii_isxdigit(c->p[1]) || !g_ascii_isxdigit(c->p[2]) ||
          !g_ascii_isxdigit(c->p[3]) || !g_ascii_isxdigit(c->p[4]) ||
          memcmp(c->p + 1, "0000", 4) == 0)
        return FALSE;
      c->p += 4;
    } else if (strchr("\"\\/bfnrt", *c->p) == NULL || *c->p == '\0') {
      return FALSE;
    }
  }
  return FALSE;
}

static gboolean
check_value(JsonCursor *c, guint depth)
{
  skip_space(c);
  if (c->p >= c->end)
    return FALSE;
  switch (*c->p) {
    case '{':
    case '[': {
      gboolean object = *c->p == '{';
      char close = object ? '}' : ']';
      if (depth >= JSON_MAX_DEPTH)
        return FALSE;
      c->p++;
      skip_space(c);
      if (c->p < c->end && *c->p == close) {
        c->p++;
        return TRUE;
      }
      for (;;) {
        if (object) {
          skip_space(c);
          if (!check_string(c))
            return FALSE;
          skip_space(c);
          if (c->p >= c->end || *c->p != ':')
            return FALSE;
          c->p++;
        }
        if (!check_value(c, depth + 1))
          return FALSE;
        skip_space(c);
        if (c->p >= c->end)
          return FALSE;
        if (*c->p == close) {
          c->p++;
          return TRUE;
        }
        if (*c->p != ',')
          return FALSE;
        c->p++;
      }
    }
    case '"':
      return check_string(c);
    case 't':
      return check_literal(c, "true");
    case 'f':
      return check_literal(c, "false");
    case 'n':
      return check_literal(c, "null");
    default:
      return check_number(c);
  }
}

static gboolean
json_is_strict(const char *text, gsize length)
{
  JsonCursor c = {text, text + length};

  if (!check_value(&c, 0))
    return FALSE;
  skip_space(&c);
  return c.p == c.end;
}

JsonObject *
pass_varlink_message_parse(const char *text, gsize length, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) local_error = NULL;

  if (!g_utf8_validate(text, (gssize)length, NULL)) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_PROTOCOL, "Message is not valid UTF-8");
    return NULL;
  }
  if (!json_is_strict(text, length)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL,
                "Message is not valid JSON (or nests deeper than %d)", JSON_MAX_DEPTH);
    return NULL;
  }
  if (!json_parser_load_from_data(parser, text, (gssize)length, &local_error)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL, "Message is not valid JSON: %s",
                local_error->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_PROTOCOL, "Message is not a JSON object");
    return NULL;
  }
  return json_object_ref(json_node_get_object(root));
}

char *
pass_varlink_message_serialize(JsonObject *object, gsize *length)
{
  g_autoptr(JsonGenerator) generator = json_generator_new();
  g_autoptr(JsonNode) root = json_node_init_object(json_node_alloc(), object);
  gsize n = 0;

  json_generator_set_root(generator, root);
  char *text = json_generator_to_data(generator, &n);
  if (length)
    *length = n + 1;
  return text;
}
