/* Pretty JSON straight from checked JSON text: the output of passctl_json_to_text(), without
 * building a tree. For the whole inventory, building and freeing json-glib's tree costs ten
 * times more than the call itself. */
#include "format.h"

#include <string.h>

#include "pass-varlink-private.h"

typedef struct {
  const char *p;
  const char *end;
  GString *out;
} Indenter;

/* g_string_append_len() is an out-of-line call per token, and tokens are most of the work. */
static inline void
put(GString *out, const char *bytes, gsize length)
{
  if (out->len + length >= out->allocated_len) {
    gsize len = out->len;
    g_string_set_size(out, (len + length) * 2);
    g_string_truncate(out, len);
  }
  memcpy(out->str + out->len, bytes, length);
  out->len += length;
  out->str[out->len] = '\0';
}

static inline void
put_c(GString *out, char c)
{
  put(out, &c, 1);
}

static char
peek(Indenter *in)
{
  while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r'))
    in->p++;
  return in->p < in->end ? *in->p : '\0';
}

static void
append_indent(GString *out, guint level)
{
  static const char spaces[] = "                                                                ";
  gsize n = (gsize)level * 2;

  while (n > 0) {
    gsize chunk = MIN(n, sizeof spaces - 1);
    put(out, spaces, chunk);
    n -= chunk;
  }
}

/* A scalar exactly as json-glib prints it once the varlink parser has read it: for the rare
 * shapes whose text would change (escapes, non-integer or oversized numbers). */
static void
append_via_json_glib(GString *out, const char *token, gsize length)
{
  g_autoptr(JsonGenerator) generator = json_generator_new();
  g_autofree char *wrapped = g_strdup_printf("{\"v\":%.*s}", (int)length, token);
  g_autoptr(JsonObject) object = pass_varlink_message_parse(wrapped, strlen(wrapped), NULL);
  g_autofree char *text = NULL;
  gsize n = 0;

  if (object == NULL) {
    put(out, token, length);
    return;
  }
  json_generator_set_root(generator, json_object_get_member(object, "v"));
  text = json_generator_to_data(generator, &n);
  put(out, text, n);
}

/* Strings print as received unless they hold an escape (json-glib re-escapes its own way) or
 * DEL (which it escapes). */
static void
indent_string(Indenter *in)
{
  const char *start = in->p, *p = in->p + 1, *end = in->end;
  gboolean verbatim = TRUE;

  for (; p < end && *p != '"'; p++) {
    if (*p == '\\') {
      verbatim = FALSE;
      if (++p == end)
        break;
    } else if (*p == 0x7f) {
      verbatim = FALSE;
    }
  }
  in->p = MIN(p + 1, end);
  if (verbatim)
    put(in->out, start, in->p - start);
  else
    append_via_json_glib(in->out, start, in->p - start);
}

/* Integers of up to 18 digits (they fit gint64) print as received; json-glib prints anything
 * else (fractions, exponents, -0) from its parsed value. */
static void
indent_number(Indenter *in)
{
  const char *start = in->p, *digits;
  gboolean plain;
  gsize n;

  while (in->p < in->end && *in->p != '\0' && strchr("+-.eE0123456789", *in->p) != NULL)
    in->p++;
  digits = start + (*start == '-');
  n = in->p - digits;
  plain = n >= 1 && n <= 18 && (digits[0] != '0' || (n == 1 && digits == start));
  for (gsize i = 0; plain && i < n; i++)
    plain = g_ascii_isdigit(digits[i]);
  if (plain)
    put(in->out, start, in->p - start);
  else
    append_via_json_glib(in->out, start, in->p - start);
}

static void indent_value(Indenter *in, guint level);

static void
indent_container(Indenter *in, guint level)
{
  char open = *in->p++;
  char close = open == '{' ? '}' : ']';

  put_c(in->out, open);
  if (peek(in) == close) {
    /* json-glib indents inside an empty object ("{    }" two levels down), not an array. */
    in->p++;
    if (open == '{')
      append_indent(in->out, level);
    put_c(in->out, close);
    return;
  }
  put_c(in->out, '\n');
  for (;;) {
    append_indent(in->out, level + 1);
    if (open == '{') {
      if (peek(in) != '"')
        return;
      indent_string(in);
      if (peek(in) != ':')
        return;
      in->p++;
      put(in->out, " : ", 3);
    }
    indent_value(in, level + 1);
    if (peek(in) != ',')
      break;
    in->p++;
    put(in->out, ",\n", 2);
  }
  if (peek(in) == close)
    in->p++;
  put_c(in->out, '\n');
  append_indent(in->out, level);
  put_c(in->out, close);
}

static void
indent_value(Indenter *in, guint level)
{
  const char *start;

  switch (peek(in)) {
    case '{':
    case '[':
      indent_container(in, level);
      return;
    case '"':
      indent_string(in);
      return;
    case 't':
    case 'f':
    case 'n':
      start = in->p;
      while (in->p < in->end && g_ascii_isalpha(*in->p))
        in->p++;
      put(in->out, start, in->p - start);
      return;
    case '\0':
      return;
    default:
      indent_number(in);
      return;
  }
}

char *
passctl_json_indent(const char *text, gsize length)
{
  Indenter in = {text, text + length, g_string_sized_new(length + length / 2 + 2)};

  indent_value(&in, 0);
  put_c(in.out, '\n');
  return g_string_free(in.out, FALSE);
}
