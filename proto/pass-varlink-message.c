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
  gboolean escaped_key; /* an outermost key is spelt with escapes */
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

/* The value of the four hex digits at @p (checked already). */
static guint
hex4(const char *p)
{
  guint value = 0;

  for (guint i = 0; i < 4; i++)
    value = value << 4 | (guint)g_ascii_xdigit_value(p[i]);
  return value;
}

/* Whether @p (at least 5 bytes before @end) is "uXXXX" with hex digits. */
static gboolean
is_u_escape(const char *p, const char *end)
{
  return end - p >= 5 && *p == 'u' && g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2]) &&
         g_ascii_isxdigit(p[3]) && g_ascii_isxdigit(p[4]);
}

/* A string without control characters or NULs (varlink strings cannot carry one). UTF-8 is
 * checked here too, only for strings holding non-ASCII bytes: outside strings the grammar
 * admits ASCII alone, so this makes the whole check one pass over the text. A \u escape of a
 * UTF-16 surrogate must be half of a pair: a lone one has no UTF-8 form, and json-glib would
 * put bytes that are not UTF-8 into the string (which then went into replies). */
#define ONES  G_GUINT64_CONSTANT(0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT(0x8080808080808080)

static gboolean
check_string(JsonCursor *c)
{
  /* Bytes that need no look: printable ASCII other than '"' and '\\'. */
  static const guint8 plain[256] = {
      [' '] = 1, ['!'] = 1, ['#' ... '['] = 1, [']' ... '~'] = 1, [0x7f] = 1,
  };
  gboolean ascii = TRUE;
  const char *p = c->p, *end = c->end, *start;

  if (p >= end || *p != '"')
    return FALSE;
  start = ++p;
  for (;;) {
    /* Eight bytes at a time while none is special: most of a reply is string bytes. */
    while (end - p >= 8) {
      guint64 x, quote, backslash;
      memcpy(&x, p, 8);
      quote = x ^ (ONES * '"');
      backslash = x ^ (ONES * '\\');
      if (((x - ONES * 0x20) | (quote - ONES) | (backslash - ONES) | x) & HIGHS)
        break;
      p += 8;
    }
    while (p < end && plain[(guchar)*p])
      p++;
    if (p >= end)
      return FALSE;
    guchar ch = (guchar)*p;
    if (ch == '"') {
      if (!ascii && !g_utf8_validate(start, p - start, NULL))
        return FALSE;
      c->p = p + 1;
      return TRUE;
    }
    if (ch >= 0x80) {
      ascii = FALSE;
      p++;
      continue;
    }
    if (ch != '\\' || ++p >= end)
      return FALSE; /* a control character, or a lone backslash at the end */
    if (*p == 'u') {
      if (!is_u_escape(p, end) || memcmp(p + 1, "0000", 4) == 0)
        return FALSE;
      guint unit = hex4(p + 1);
      p += 5;
      if (unit >= 0xdc00 && unit <= 0xdfff)
        return FALSE; /* a low surrogate first */
      if (unit >= 0xd800 && unit <= 0xdbff) {
        /* A high surrogate: a low one must follow at once. */
        if (end - p < 6 || p[0] != '\\' || !is_u_escape(p + 1, end) || hex4(p + 2) < 0xdc00 ||
            hex4(p + 2) > 0xdfff)
          return FALSE;
        p += 6;
      }
    } else if (*p != '\0' && strchr("\"\\/bfnrt", *p) != NULL) {
      p++;
    } else {
      return FALSE;
    }
  }
}

static gboolean
check_value(JsonCursor *c, guint depth, PassJsonMember *members, guint n_members)
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
        PassJsonMember *found = NULL;
        if (object) {
          const char *key;
          skip_space(c);
          key = c->p;
          if (!check_string(c))
            return FALSE;
          /* Only the outermost object's members are looked up. */
          if (members && memchr(key, '\\', c->p - key))
            c->escaped_key = TRUE;
          for (guint i = 0; i < n_members; i++)
            if ((gsize)(c->p - key) == strlen(members[i].name) + 2 &&
                memcmp(key + 1, members[i].name, c->p - key - 2) == 0)
              found = &members[i];
          skip_space(c);
          if (c->p >= c->end || *c->p != ':')
            return FALSE;
          c->p++;
        }
        skip_space(c);
        if (found)
          found->value = c->p;
        if (!check_value(c, depth + 1, NULL, 0))
          return FALSE;
        if (found)
          found->length = c->p - found->value;
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

gboolean
pass_varlink_message_check(const char *text, gsize length, PassJsonMember *members, guint n_members,
                           gboolean *escaped_keys, GError **error)
{
  JsonCursor c = {text, text + length, FALSE};

  for (guint i = 0; i < n_members; i++) {
    members[i].value = NULL;
    members[i].length = 0;
  }
  skip_space(&c);
  if (c.p >= c.end || *c.p != '{' || !check_value(&c, 0, members, n_members) ||
      (skip_space(&c), c.p != c.end)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL,
                "Message is not a valid JSON object (or nests deeper than %d)", JSON_MAX_DEPTH);
    return FALSE;
  }
  if (escaped_keys)
    *escaped_keys = c.escaped_key;
  return TRUE;
}

/* ---- building the tree ----
 * json-glib's own parser spends most of its time in its tokenizer; once the text is known to be
 * strict JSON, the tree is built here in one plain walk instead, with the values json-glib would
 * give. The few inputs where json-glib's reading is peculiar (surrogate escapes) go to json-glib
 * itself, so the result is the same; integers beyond gint64, which json-glib wraps, are
 * doubles instead (see build_number()). */

typedef struct {
  const char *p;
  const char *end;
  GString *scratch;
  gboolean defer; /* json-glib must read this message itself */
} Builder;

static void
build_skip_space(Builder *b)
{
  while (b->p < b->end && (*b->p == ' ' || *b->p == '\t' || *b->p == '\n' || *b->p == '\r'))
    b->p++;
}

/* The decoded string at b->p (checked already), in b->scratch until the next call. */
static const char *
build_string(Builder *b)
{
  b->p++;
  g_string_truncate(b->scratch, 0);
  for (;;) {
    const char *run = b->p;
    while (*b->p != '"' && *b->p != '\\')
      b->p++;
    g_string_append_len(b->scratch, run, b->p - run);
    if (*b->p == '"')
      break;
    b->p++; /* the backslash */
    switch (*b->p++) {
      case 'b':
        g_string_append_c(b->scratch, '\b');
        break;
      case 'f':
        g_string_append_c(b->scratch, '\f');
        break;
      case 'n':
        g_string_append_c(b->scratch, '\n');
        break;
      case 'r':
        g_string_append_c(b->scratch, '\r');
        break;
      case 't':
        g_string_append_c(b->scratch, '\t');
        break;
      case 'u': {
        gunichar c = hex4(b->p);
        if (c >= 0xd800 && c <= 0xdfff)
          b->defer = TRUE;
        g_string_append_unichar(b->scratch, c);
        b->p += 4;
        break;
      }
      default:
        g_string_append_c(b->scratch, b->p[-1]);
        break; /* " \ / */
    }
  }
  b->p++;
  return b->scratch->str;
}

static JsonNode *
build_number(Builder *b)
{
  const char *start = b->p;
  gboolean negative = *b->p == '-', fraction = FALSE;

  b->p += negative;
  const char *digits = b->p;
  while (b->p < b->end && (g_ascii_isdigit(*b->p) || *b->p == '.' || *b->p == 'e' || *b->p == 'E' ||
                           *b->p == '+' || *b->p == '-')) {
    fraction |= !g_ascii_isdigit(*b->p);
    b->p++;
  }
  if (fraction) {
    /* As json-glib: the unsigned part, then the sign (so "-0.0" is -0.0). */
    g_autofree char *text = g_strndup(digits, b->p - digits);
    double value = g_ascii_strtod(text, NULL);
    return json_node_init_double(json_node_alloc(), negative ? value * -1.0 : value);
  }
  g_autofree char *text = g_strndup(start, b->p - start);
  gint64 value;
  /* Beyond gint64 json-glib wraps (-18446744073709551611 reads as 5: a timeout of 5 s): such a
   * number is a double here, which no int parameter takes. The one place the tree differs. */
  if (b->p - digits > 18 &&
      !g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &value, NULL))
    return json_node_init_double(json_node_alloc(), g_ascii_strtod(text, NULL));
  return json_node_init_int(json_node_alloc(), g_ascii_strtoll(text, NULL, 10));
}

static JsonNode *
build_value(Builder *b)
{
  JsonNode *node;

  build_skip_space(b);
  switch (*b->p) {
    case '{': {
      JsonObject *object = json_object_new();
      b->p++;
      build_skip_space(b);
      while (*b->p != '}') {
        g_autofree char *name = g_strdup(build_string(b));
        build_skip_space(b);
        b->p++; /* ':' */
        json_object_set_member(object, name, build_value(b));
        build_skip_space(b);
        if (*b->p == ',') {
          b->p++;
          build_skip_space(b);
        }
      }
      b->p++;
      node = json_node_alloc();
      json_node_take_object(json_node_init(node, JSON_NODE_OBJECT), object);
      return node;
    }
    case '[': {
      JsonArray *array = json_array_new();
      b->p++;
      build_skip_space(b);
      while (*b->p != ']') {
        json_array_add_element(array, build_value(b));
        build_skip_space(b);
        if (*b->p == ',')
          b->p++;
        build_skip_space(b);
      }
      b->p++;
      node = json_node_alloc();
      json_node_take_array(json_node_init(node, JSON_NODE_ARRAY), array);
      return node;
    }
    case '"':
      return json_node_init_string(json_node_alloc(), build_string(b));
    case 't':
      b->p += 4;
      return json_node_init_boolean(json_node_alloc(), TRUE);
    case 'f':
      b->p += 5;
      return json_node_init_boolean(json_node_alloc(), FALSE);
    case 'n':
      b->p += 4;
      return json_node_init_null(json_node_alloc());
    default:
      return build_number(b);
  }
}

static JsonObject *
parse_with_json_glib(const char *text, gsize length, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) local_error = NULL;

  if (!json_parser_load_from_data(parser, text, (gssize)length, &local_error)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL, "Message is not valid JSON: %s",
                local_error->message);
    return NULL;
  }
  return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

JsonObject *
pass_varlink_message_parse(const char *text, gsize length, GError **error)
{
  g_autoptr(GString) scratch = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (!pass_varlink_message_check(text, length, NULL, 0, NULL, error))
    return NULL;
  /* Checked text: every loop of the walk ends on a byte the check has seen. */
  scratch = g_string_sized_new(256);
  Builder b = {text, text + length, scratch, FALSE};

  root = build_value(&b);
  if (b.defer)
    return parse_with_json_glib(text, length, error);
  /* Sealed, as json-glib's immutable parser leaves them: nobody edits a received message. */
  json_node_seal(root);
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
