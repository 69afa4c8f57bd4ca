/* passctl_json_indent() must print exactly what json-glib's pretty generator prints for the
 * parsed value: `passctl list --json` switched from one to the other. */
#include <string.h>

#include "format.h"
#include "pass-varlink-private.h"

static void
check_same(const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = pass_varlink_message_parse(text, strlen(text), &error);
  g_autofree char *expected = NULL;
  g_autofree char *got = NULL;

  g_assert_no_error(error);
  expected = passctl_json_to_text(object, TRUE);
  got = passctl_json_indent(text, strlen(text));
  g_assert_cmpstr(got, ==, expected);
}

static void
test_shapes(void)
{
  static const char *const texts[] = {
      "{}",
      "  {  }  ",
      "{\"a\":[]}",
      "{\"a\":{},\"b\":[{}],\"c\":[[]]}",
      ("{\"devices\":[{\"address\":\"0000:00:01.0\",\"driver\":null,\"iommu_group\":1,"
       "\"members\":[\"0000:00:01.0\"],\"vfs\":[],\"owners\":[],\"pf\":true,\"vf\":false}]}"),
      " { \"spaced\" : [ 1 , 2 ,\n\t3 ] , \"x\" : { \"y\" : { \"z\" : null } } } ",
      "{\"deep\":[[[[[[[[[[1]]]]]]]]]]}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++)
    check_same(texts[i]);
}

/* Tokens json-glib rewrites: escapes, DEL, non-ASCII, numbers that are not plain integers. */
static void
test_rewritten_tokens(void)
{
  static const char *const texts[] = {
      "{\"s\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u001f \\ud83d\\ude00\"}",
      "{\"del\":\"a\177b\",\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
      "{\"k\\u0065y\":1,\"\\n\":2}",
      "{\"n\":[0,-1,7,123456789012345678,1234567890123456789,-9223372036854775808]}",
      "{\"f\":[-0,0.5,-0.0,1e3,1E-2,2.50,1.0e+2,100000000000000000000]}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++)
    check_same(texts[i]);
}

/* A reply the size of a real inventory, built by json-glib's own compact generator. */
static void
test_large(void)
{
  g_autoptr(JsonObject) reply = json_object_new();
  JsonArray *devices = json_array_new();

  for (guint i = 0; i < 500; i++) {
    JsonObject *device = json_object_new();
    g_autofree char *address = g_strdup_printf("0000:%02x:00.%u", i / 8, i % 8);
    JsonArray *owners = json_array_new();

    json_object_set_string_member(device, "address", address);
    json_object_set_int_member(device, "iommu_group", i);
    json_object_set_null_member(device, "driver");
    if (i % 3 == 0)
      json_array_add_string_element(owners, "vm \"quoted\"");
    json_object_set_array_member(device, "owners", owners);
    json_array_add_object_element(devices, device);
  }
  json_object_set_array_member(reply, "devices", devices);
  g_autofree char *text = pass_varlink_message_serialize(reply, NULL);
  check_same(text);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/json-indent/shapes", test_shapes);
  g_test_add_func("/json-indent/rewritten-tokens", test_rewritten_tokens);
  g_test_add_func("/json-indent/large", test_large);
  return g_test_run();
}
