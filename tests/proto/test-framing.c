/* Message framing and JSON encoding shared by the varlink server and client. */
#include <string.h>

#include "pass-error.h"
#include "pass-varlink-private.h"

/* Feeds @stream to an input in chunks of @chunk bytes, collecting the messages. */
static GPtrArray *
feed(const char *stream, gsize length, gsize chunk, gsize max_message, GError **error)
{
  PassVarlinkInput input;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func(g_free);
  gboolean ok = TRUE;

  pass_varlink_input_init(&input, max_message);
  for (gsize offset = 0; ok && offset < length; offset += chunk) {
    pass_varlink_input_append(&input, stream + offset, MIN(chunk, length - offset));
    for (;;) {
      const char *message;
      gsize n;
      if (!pass_varlink_input_next(&input, &message, &n, error)) {
        ok = FALSE;
        break;
      }
      if (message == NULL)
        break;
      g_assert_cmpuint(strlen(message), ==, n); /* NUL-terminated in place */
      g_ptr_array_add(messages, g_strndup(message, n));
    }
  }
  pass_varlink_input_clear(&input);
  return ok ? g_steal_pointer(&messages) : NULL;
}

static void
test_chunks(void)
{
  static const char stream[] = "{\"method\":\"a.b.C\"}\0{}\0{\"x\":[1,2,3]}\0";
  gsize length = sizeof(stream) - 1;

  /* Every chunk size from 1 byte to all at once gives the same three messages. */
  for (gsize chunk = 1; chunk <= length; chunk++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) messages = feed(stream, length, chunk, 1024, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(messages->len, ==, 3);
    g_assert_cmpstr(messages->pdata[0], ==, "{\"method\":\"a.b.C\"}");
    g_assert_cmpstr(messages->pdata[1], ==, "{}");
    g_assert_cmpstr(messages->pdata[2], ==, "{\"x\":[1,2,3]}");
  }
}

static void
test_partial_tail(void)
{
  static const char stream[] = "{\"a\":1}\0{\"b\":";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = feed(stream, sizeof(stream) - 1, 3, 1024, &error);

  g_assert_no_error(error);
  g_assert_cmpuint(messages->len, ==, 1);
  g_assert_cmpstr(messages->pdata[0], ==, "{\"a\":1}");
}

static void
test_nul_inside(void)
{
  /* A NUL ends a message wherever it is: an object cut by one gives two broken messages. */
  static const char stream[] = "{\"a\":\"x\0y\"}\0";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = feed(stream, sizeof(stream) - 1, 4, 1024, &error);

  g_assert_no_error(error);
  g_assert_cmpuint(messages->len, ==, 2);
  g_assert_cmpstr(messages->pdata[0], ==, "{\"a\":\"x");
  g_assert_null(pass_varlink_message_parse(messages->pdata[0], 7, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL);
}

static void
test_limit(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *exact = g_strnfill(16, 'x');
  g_autofree char *stream = g_strconcat(exact, "|", exact, NULL);

  /* A message of exactly the limit passes. */
  stream[16] = '\0';
  g_autoptr(GPtrArray) messages = feed(stream, 33, 5, 16, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(messages->len, ==, 1);

  /* One byte more is refused, whether it arrives terminated or not. */
  g_autofree char *over = g_strnfill(17, 'x');
  g_assert_null(feed(over, 17, 1, 16, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL);
  g_clear_error(&error);
  g_assert_null(feed(over, 18, 18, 16, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL);
  g_clear_error(&error);

  /* Many small messages together may exceed the limit: it is per message. */
  g_autoptr(GString) many = g_string_new(NULL);
  for (int i = 0; i < 100; i++)
    g_string_append_len(many, "{\"i\":1}", 8);
  g_autoptr(GPtrArray) small = feed(many->str, many->len, many->len, 16, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(small->len, ==, 100);
}

static void
test_reserve_commit(void)
{
  PassVarlinkInput input;
  const char *message;
  gsize n;

  pass_varlink_input_init(&input, 1024);
  guint8 *buffer = pass_varlink_input_reserve(&input, 64);
  memcpy(buffer, "{}\0{", 4);
  pass_varlink_input_commit(&input, 64, 4);
  g_assert_cmpuint(pass_varlink_input_get_pending(&input), ==, 4);
  g_assert_true(pass_varlink_input_next(&input, &message, &n, NULL));
  g_assert_cmpstr(message, ==, "{}");
  g_assert_cmpuint(pass_varlink_input_get_pending(&input), ==, 1);
  g_assert_true(pass_varlink_input_next(&input, &message, &n, NULL));
  g_assert_null(message);
  pass_varlink_input_append(&input, "}", 2);
  g_assert_true(pass_varlink_input_next(&input, &message, &n, NULL));
  g_assert_cmpstr(message, ==, "{}");
  g_assert_cmpuint(pass_varlink_input_get_pending(&input), ==, 0);
  pass_varlink_input_clear(&input);
}

static void
test_parse(void)
{
  static const char *bad[] = {
      "",
      "[]",
      "1",
      "\"s\"",
      "null",
      "{",
      "{\"a\":}",
      "{} {}",
      "\xff{}",
      "{'a':1}",
      "{\"a\":1}/**/",
      "{\"a\":01}",
      "{\"a\":1,}",
      "{\"a\":[1,]}",
      "{a:1}",
      "{\"a\":\"\\u0000\"}",
      "{\"a\":\"\t\"}",
      "{\"a\":-}",
      "{\"a\":1.}",
      "{\"a\":1e}",
      "{\"a\":\"\\x\"}",
      "{\"a\":tru}",
      /* UTF-16 surrogates not in a pair: no UTF-8 for them, json-glib made invalid UTF-8 */
      "{\"a\":\"\\ude00x\"}",
      "{\"a\":\"\\ud83d\"}",
      "{\"a\":\"\\ud83dx\"}",
      "{\"a\":\"\\ud83d\\n\"}",
      "{\"a\":\"\\ud83d\\ud83d\"}",
      "{\"a\":\"\\ud83d\\u0041\"}",
      "{\"a\":\"\\ude00\\ud83d\"}",
      "{\"a\":\"\\ud83d\\u",
      /* found by fuzz/fuzz-varlink-server: the reply quoted the name, and was not UTF-8 */
      ("{\"method\":\"io.passd.Manager.GetDomain\",\"parameters\":{\"domain\":"
       "\"v\\u006d\\ud83dnude00\\n\"}}"),
  };

  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *escaped = g_strescape(bad[i], NULL);
    g_test_message("bad: %s", escaped);
    g_assert_null(pass_varlink_message_parse(bad[i], strlen(bad[i]), &error));
    g_assert_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL);
  }

  static const char *good_ones[] = {
      "{}",
      " {\"a\" : [ 1 , -0.5e+3 , true , false , null , {} , [] ] } \n",
      "{\"s\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \u00e9\"}",
      "{\"pair\":\"\\ud83d\\ude00\\uDBFF\\uDFFF\\ud800\\udc00x\"}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(good_ones); i++) {
    g_autoptr(JsonObject) object =
        pass_varlink_message_parse(good_ones[i], strlen(good_ones[i]), NULL);
    g_test_message("good: %s", good_ones[i]);
    g_assert_nonnull(object);
  }
  /* Surrogate pairs decode to their code points. */
  g_autoptr(JsonObject) pairs =
      pass_varlink_message_parse(good_ones[3], strlen(good_ones[3]), NULL);
  g_assert_cmpstr(json_object_get_string_member(pairs, "pair"), ==,
                  "\U0001F600\U0010FFFF\U00010000x");

  /* Deep nesting is refused before json-glib's recursive parser sees it; moderate is fine. */
  for (int depth = 100; depth <= 100000; depth *= 1000) {
    g_autoptr(GString) nest = g_string_new("{\"a\":");
    for (int i = 0; i < depth; i++)
      g_string_append_c(nest, '[');
    for (int i = 0; i < depth; i++)
      g_string_append_c(nest, ']');
    g_string_append_c(nest, '}');
    g_autoptr(JsonObject) object = pass_varlink_message_parse(nest->str, nest->len, NULL);
    g_assert_true((object != NULL) == (depth == 100));
  }

  g_autoptr(GError) error = NULL;
  const char *good = "{\"method\":\"a.b\",\"parameters\":{\"n\":1}}";
  g_autoptr(JsonObject) object = pass_varlink_message_parse(good, strlen(good), &error);
  g_assert_no_error(error);
  g_assert_cmpstr(json_object_get_string_member(object, "method"), ==, "a.b");
}

static void
test_serialize(void)
{
  g_autoptr(JsonObject) object = json_object_new();
  gsize length = 0;

  json_object_set_string_member(object, "s", "quote\" nl\n");
  json_object_set_int_member(object, "n", 42);
  g_autofree char *text = pass_varlink_message_serialize(object, &length);
  g_assert_cmpuint(length, ==, strlen(text) + 1);
  g_assert_null(strchr(text, '\n')); /* one line, escapes kept */

  g_autoptr(JsonObject) back = pass_varlink_message_parse(text, length - 1, NULL);
  g_assert_cmpstr(json_object_get_string_member(back, "s"), ==, "quote\" nl\n");
  g_assert_cmpint(json_object_get_int_member(back, "n"), ==, 42);
}

/* The tree must be the one json-glib's own parser builds: same members in the same order, same
 * value types (gint64 vs double), same strings, and sealed. */
static void
assert_same_as_json_glib(const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ours = pass_varlink_message_parse(text, strlen(text), &error);

  g_test_message("same: %s", text);
  g_assert_no_error(error);
  g_assert_true(json_parser_load_from_data(parser, text, -1, NULL));
  JsonNode *theirs = json_parser_get_root(parser);
  g_autoptr(JsonNode) ours_node = json_node_init_object(json_node_alloc(), ours);
  g_assert_true(json_node_is_immutable(ours_node) || json_object_is_immutable(ours));
  g_assert_true(json_node_equal(ours_node, theirs));
  g_autofree char *a = json_to_string(ours_node, TRUE);
  g_autofree char *b = json_to_string(theirs, TRUE);
  g_assert_cmpstr(a, ==, b);
}

static void
test_parse_like_json_glib(void)
{
  static const char *const texts[] = {
      "{}",
      " {\"a\" : [ 1 , -0.5e+3 , true , false , null , {} , [] ] } \n",
      "{\"s\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u20ac \u00e9\"}",
      "{\"n\":[0,-0,-0.0,7,-7,1e3,1E-2,2.5E+2,0.1,123456789012345678,-123456789012345678]}",
      "{\"big\":[9223372036854775807,-9223372036854775808,1234567890123456789]}",
      "{\"pair\":\"\\ud83d\\ude00\",\"pairs\":\"x\\ud800\\udc00\\udbff\\udfffy\"}",
      "{\"dup\":1,\"x\":2,\"dup\":3}",
      "{\"k\\u0065y\":{\"deep\":[[[{\"e\":[]}]]]}}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++)
    assert_same_as_json_glib(texts[i]);

  /* Integers stay gint64, fractions double, as json-glib types them. */
  g_autoptr(JsonObject) o = pass_varlink_message_parse("{\"i\":5,\"d\":5.0}", 15, NULL);
  g_assert_cmpuint(json_node_get_value_type(json_object_get_member(o, "i")), ==, G_TYPE_INT64);
  g_assert_cmpuint(json_node_get_value_type(json_object_get_member(o, "d")), ==, G_TYPE_DOUBLE);
}

/* Integers beyond gint64 are doubles, not json-glib's wrapped integers (which read a huge
 * negative timeout as a few seconds). */
static void
test_parse_big_integers(void)
{
  static const struct {
    const char *text;
    double value;
  } cases[] = {
      {"{\"n\":9223372036854775808}", 9223372036854775808.0},
      {"{\"n\":-9223372036854775809}", -9223372036854775809.0},
      {"{\"n\":18446744073709551616}", 18446744073709551616.0},
      {"{\"n\":-18446744073709551611}", -18446744073709551611.0},
      {"{\"n\":-99999999999999999999999}", -99999999999999999999999.0},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) o =
        pass_varlink_message_parse(cases[i].text, strlen(cases[i].text), &error);
    JsonNode *n;

    g_assert_no_error(error);
    n = json_object_get_member(o, "n");
    g_assert_cmpuint(json_node_get_value_type(n), ==, G_TYPE_DOUBLE);
    g_assert_cmpfloat(json_node_get_double(n), ==, cases[i].value);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/framing/chunks", test_chunks);
  g_test_add_func("/framing/partial-tail", test_partial_tail);
  g_test_add_func("/framing/nul-inside", test_nul_inside);
  g_test_add_func("/framing/limit", test_limit);
  g_test_add_func("/framing/reserve-commit", test_reserve_commit);
  g_test_add_func("/framing/parse", test_parse);
  g_test_add_func("/framing/serialize", test_serialize);
  g_test_add_func("/framing/parse-like-json-glib", test_parse_like_json_glib);
  g_test_add_func("/framing/parse-big-integers", test_parse_big_integers);
  return g_test_run();
}
