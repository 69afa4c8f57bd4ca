/* PassVarlinkClient against the real server (error mapping, "more") and against a scripted
 * fake service (disconnects, malformed replies). */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pass-error.h"
#include "pass-varlink-private.h"
#include "server-fixture.h"

/* ---- a scripted fake service ---- */

/* For each call it reads, the fake sends the next reply's bytes as given (NULs included);
 * a NULL reply closes the connection instead. */
typedef struct {
  const char *bytes;
  gsize length;
} Scripted;

#define REPLY(literal)                                                                             \
  {                                                                                                \
    literal, sizeof(literal)                                                                       \
  }
#define HANG_UP                                                                                    \
  {                                                                                                \
    NULL, 0                                                                                        \
  }

typedef struct {
  char *dir;
  char *path;
  int listen_fd;
  GThread *thread;
  const Scripted *script;
  gsize n_script;
  GPtrArray *calls; /* what the client sent, read after join */
} Fake;

static gpointer
fake_thread(gpointer user_data)
{
  Fake *fake = user_data;
  int fd = accept(fake->listen_fd, NULL, NULL);
  PassVarlinkInput input;

  g_assert_cmpint(fd, >=, 0);
  pass_varlink_input_init(&input, 1024 * 1024);
  for (gsize i = 0; i < fake->n_script; i++) {
    const char *text = NULL;
    gsize length = 0;
    while (text == NULL) {
      g_assert_true(pass_varlink_input_next(&input, &text, &length, NULL));
      if (text)
        break;
      guint8 *buffer = pass_varlink_input_reserve(&input, 4096);
      ssize_t n = recv(fd, buffer, 4096, 0);
      pass_varlink_input_commit(&input, 4096, n > 0 ? (gsize)n : 0);
      if (n <= 0)
        goto out;
    }
    g_ptr_array_add(fake->calls, g_strndup(text, length));
    if (fake->script[i].bytes == NULL)
      break;
    /* Byte by byte: the client must reassemble. */
    for (gsize b = 0; b < fake->script[i].length; b++)
      g_assert_cmpint(send(fd, fake->script[i].bytes + b, 1, MSG_NOSIGNAL), ==, 1);
  }
out:
  pass_varlink_input_clear(&input);
  close(fd);
  return NULL;
}

static Fake *
fake_start(const Scripted *script, gsize n_script)
{
  Fake *fake = g_new0(Fake, 1);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};

  fake->dir = g_dir_make_tmp("passd-test-XXXXXX", NULL);
  fake->path = g_build_filename(fake->dir, "fake", NULL);
  strcpy(sa.sun_path, fake->path);
  fake->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint(bind(fake->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
  g_assert_cmpint(listen(fake->listen_fd, 4), ==, 0);
  fake->script = script;
  fake->n_script = n_script;
  fake->calls = g_ptr_array_new_with_free_func(g_free);
  fake->thread = g_thread_new("fake-service", fake_thread, fake);
  return fake;
}

/* Waits until the fake has served its script. */
static void
fake_join(Fake *fake)
{
  if (fake->thread)
    g_thread_join(g_steal_pointer(&fake->thread));
}

static void
fake_free(Fake *fake)
{
  fake_join(fake);
  close(fake->listen_fd);
  g_unlink(fake->path);
  g_rmdir(fake->dir);
  g_ptr_array_unref(fake->calls);
  g_free(fake->path);
  g_free(fake->dir);
  g_free(fake);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Fake, fake_free)

/* ---- fixtures ---- */

static void
setup(ServerFixture *fixture, gconstpointer data)
{
  server_fixture_start(fixture);
}

static void
teardown(ServerFixture *fixture, gconstpointer data)
{
  server_fixture_stop(fixture);
  g_assert_cmpint(test_log_get_warnings(), ==, 0);
}

/* ---- against the real server ---- */

static void
test_call(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(fixture->path, &error);
  g_autoptr(JsonObject) parameters = json_object_new();

  g_assert_no_error(error);
  json_object_set_string_member(parameters, "value", "hello");
  g_autoptr(JsonObject) reply =
      pass_varlink_client_call(client, "org.example.test.Echo", parameters, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(json_object_get_string_member(reply, "value"), ==, "hello");

  /* NULL parameters, a reply with several members. */
  g_autoptr(JsonObject) info =
      pass_varlink_client_call(client, "org.varlink.service.GetInfo", NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(json_object_get_string_member(info, "version"), ==, "1.2.3");

  /* A reply larger than one read. */
  g_autoptr(JsonObject) big_request = json_object_new();
  json_object_set_int_member(big_request, "count", 1);
  json_object_set_int_member(big_request, "size", 1024 * 1024);
  g_autoptr(JsonObject) big =
      pass_varlink_client_call(client, "org.example.test.Flood", big_request, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(strlen(json_object_get_string_member(big, "data")), ==, 1024 * 1024);
}

static void
expect_error(PassVarlinkClient *client, const char *method, JsonObject *parameters, PassError code,
             const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) error_parameters = NULL;
  g_autoptr(JsonObject) reply =
      pass_varlink_client_call(client, method, parameters, &error_parameters, &error);

  g_assert_null(reply);
  g_assert_error(error, PASS_ERROR, (gint)code);
  g_assert_cmpstr(error->message, ==, message);
  g_assert_nonnull(error_parameters);
}

static void
test_error_mapping(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(fixture->path, &error);
  g_autoptr(JsonObject) native = json_object_new();
  g_autoptr(JsonObject) bad_interface = json_object_new();

  g_assert_no_error(error);

  /* The error's own message wins, and its parameters come along. */
  {
    g_autoptr(JsonObject) error_parameters = NULL;
    g_autoptr(JsonObject) reply =
        pass_varlink_client_call(client, "org.example.test.Fail", NULL, &error_parameters, &error);
    g_assert_null(reply);
    g_assert_error(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
    g_assert_cmpstr(error->message, ==, "No device 0000:00:1f.0");
    g_assert_cmpstr(json_object_get_string_member(error_parameters, "address"), ==, "0000:00:1f.0");
    g_clear_error(&error);
  }

  json_object_set_boolean_member(native, "native", TRUE);
  expect_error(client, "org.example.test.Fail", native, PASS_ERROR_FAILED, "disk on fire");
  expect_error(client, "org.example.test.Nope", NULL, PASS_ERROR_METHOD_NOT_FOUND,
               "Method 'org.example.test.Nope' not found");
  expect_error(client, "org.example.nope.Nope", NULL, PASS_ERROR_INTERFACE_NOT_FOUND,
               "Interface 'org.example.nope' not found");
  expect_error(client, "org.varlink.service.GetInterfaceDescription", NULL,
               PASS_ERROR_INVALID_PARAMETER, "Invalid parameter 'interface'");
  json_object_set_int_member(bad_interface, "interface", 7);
  expect_error(client, "org.varlink.service.GetInterfaceDescription", bad_interface,
               PASS_ERROR_INVALID_PARAMETER, "Invalid parameter 'interface'");
  expect_error(client, "org.example.test.Stream", NULL, PASS_ERROR_EXPECTED_MORE,
               "The method must be called with \"more\"");
  /* A name passd does not know: the catch-all code, a sentence from the name. */
  expect_error(client, "org.example.test.Custom", NULL, PASS_ERROR_FAILED, "Custom (what 'thing')");

  /* Errors leave the connection usable. */
  g_autoptr(JsonObject) reply =
      pass_varlink_client_call(client, "org.example.test.Echo", NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(reply);
}

typedef struct {
  GArray *numbers;
  GArray *continues;
  guint stop_after;
} Collected;

static gboolean
collect(JsonObject *parameters, gboolean continues, gpointer user_data)
{
  Collected *collected = user_data;
  gint64 n = json_object_get_int_member_with_default(parameters, "n", -1);

  g_array_append_val(collected->numbers, n);
  g_array_append_val(collected->continues, continues);
  return collected->stop_after == 0 || collected->numbers->len < collected->stop_after;
}

static void
test_more(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(fixture->path, &error);
  Collected collected = {g_array_new(FALSE, FALSE, sizeof(gint64)),
                         g_array_new(FALSE, FALSE, sizeof(gboolean)), 0};

  g_assert_true(pass_varlink_client_call_more(client, "org.example.test.Stream", NULL, collect,
                                              &collected, NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(collected.numbers->len, ==, 4);
  for (guint i = 0; i < 4; i++) {
    g_assert_cmpint(g_array_index(collected.numbers, gint64, i), ==, i);
    g_assert_cmpint(g_array_index(collected.continues, gboolean, i), ==, i < 3);
  }

  /* A single reply to a "more" call is a final one. */
  g_array_set_size(collected.numbers, 0);
  g_array_set_size(collected.continues, 0);
  g_assert_true(pass_varlink_client_call_more(client, "org.example.test.Echo", NULL, collect,
                                              &collected, NULL, &error));
  g_assert_cmpuint(collected.numbers->len, ==, 1);
  g_assert_false(g_array_index(collected.continues, gboolean, 0));

  /* An error reply to a "more" call: no callback. */
  g_array_set_size(collected.numbers, 0);
  g_assert_false(pass_varlink_client_call_more(client, "org.example.test.Fail", NULL, collect,
                                               &collected, NULL, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
  g_clear_error(&error);
  g_assert_cmpuint(collected.numbers->len, ==, 0);

  /* Stopping early ends normally; the rest of the stream would be out of step, so the
   * connection is not usable afterwards. */
  collected.stop_after = 2;
  g_assert_true(pass_varlink_client_call_more(client, "org.example.test.Stream", NULL, collect,
                                              &collected, NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(collected.numbers->len, ==, 2);
  g_autoptr(JsonObject) after =
      pass_varlink_client_call(client, "org.example.test.Echo", NULL, NULL, &error);
  g_assert_null(after);
  g_assert_error(error, PASS_ERROR, PASS_ERROR_DISCONNECTED);

  g_array_unref(collected.numbers);
  g_array_unref(collected.continues);
}

/* ---- without a server ---- */

static void
test_connect_errors(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("passd-test-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename(dir, "missing", NULL);
  g_autofree char *stale = g_build_filename(dir, "stale", NULL);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};

  g_assert_null(pass_varlink_client_connect(missing, &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull(strstr(error->message, missing));
  g_clear_error(&error);

  /* A socket file without a listener. */
  strcpy(sa.sun_path, stale);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
  close(fd);
  g_assert_null(pass_varlink_client_connect(stale, &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_nonnull(strstr(error->message, stale));
  g_clear_error(&error);

  g_unlink(stale);
  g_rmdir(dir);
}

static void
test_disconnect(void)
{
  static const Scripted script[] = {REPLY("{\"parameters\":{\"n\":1}}"), HANG_UP};
  g_autoptr(Fake) fake = fake_start(script, G_N_ELEMENTS(script));
  g_autoptr(GError) error = NULL;
  g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(fake->path, &error);

  g_autoptr(JsonObject) first = pass_varlink_client_call(client, "a.b.C", NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpint(json_object_get_int_member(first, "n"), ==, 1);

  /* The service goes away mid-call. */
  g_autoptr(JsonObject) second = pass_varlink_client_call(client, "a.b.D", NULL, NULL, &error);
  g_assert_null(second);
  g_assert_error(error, PASS_ERROR, PASS_ERROR_DISCONNECTED);
  g_clear_error(&error);

  /* And stays gone. */
  g_assert_false(pass_varlink_client_call_more(client, "a.b.E", NULL, NULL, NULL, NULL, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_DISCONNECTED);
}

static void
test_disconnect_mid_stream(void)
{
  static const Scripted script[] = {REPLY("{\"parameters\":{\"n\":0},\"continues\":true}"),
                                    HANG_UP};
  g_autoptr(Fake) fake = fake_start(script, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(fake->path, &error);
  Collected collected = {g_array_new(FALSE, FALSE, sizeof(gint64)),
                         g_array_new(FALSE, FALSE, sizeof(gboolean)), 0};

  g_assert_false(
      pass_varlink_client_call_more(client, "a.b.Watch", NULL, collect, &collected, NULL, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_DISCONNECTED);
  g_assert_cmpuint(collected.numbers->len, ==, 1);
  g_array_unref(collected.numbers);
  g_array_unref(collected.continues);
}

static void
test_wire_format(void)
{
  /* Two replies in one burst, and a reply without parameters (tolerated). */
  static const Scripted script[] = {
      REPLY("{\"parameters\":{\"n\":0},\"continues\":true}\0{\"parameters\":{\"n\":1}}"),
      REPLY("{}"),
  };
  g_autoptr(Fake) fake = fake_start(script, G_N_ELEMENTS(script));
  g_autoptr(GError) error = NULL;
  g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(fake->path, &error);
  g_autoptr(JsonObject) parameters = json_object_new();
  Collected collected = {g_array_new(FALSE, FALSE, sizeof(gint64)),
                         g_array_new(FALSE, FALSE, sizeof(gboolean)), 0};

  json_object_set_string_member(parameters, "address", "0000:00:1f.0");
  g_assert_true(pass_varlink_client_call_more(client, "a.b.Watch", parameters, collect, &collected,
                                              NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(collected.numbers->len, ==, 2);
  g_autoptr(JsonObject) empty = pass_varlink_client_call(client, "a.b.C", NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(json_object_get_size(empty), ==, 0);

  g_clear_pointer(&client, pass_varlink_client_free);
  fake_join(fake);

  /* What the client sent: exactly method, parameters and, for the first, more. */
  g_assert_cmpuint(fake->calls->len, ==, 2);
  g_assert_cmpstr(fake->calls->pdata[0], ==,
                  "{\"method\":\"a.b.Watch\",\"parameters\":{\"address\":\"0000:00:1f.0\"},"
                  "\"more\":true}");
  g_assert_cmpstr(fake->calls->pdata[1], ==, "{\"method\":\"a.b.C\",\"parameters\":{}}");
  g_array_unref(collected.numbers);
  g_array_unref(collected.continues);
}

static void
test_malformed_replies(void)
{
  static const Scripted bad[] = {
      REPLY("not json"),
      REPLY("[]"),
      REPLY("{\"parameters\":[]}"),
      REPLY("{\"error\":42,\"parameters\":{}}"),
      REPLY("{\"parameters\":{},\"continues\":\"yes\"}"),
      /* "continues" to a call that did not ask for more */
      REPLY("{\"parameters\":{},\"continues\":true}"),
  };

  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(Fake) fake = fake_start(&bad[i], 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(fake->path, &error);

    {
      /* Escaped: some replies are invalid UTF-8 on purpose, which TAP output must not carry. */
      g_autofree char *shown = g_strescape(bad[i].bytes, NULL);

      g_test_message("malformed: %s", shown);
    }
    g_autoptr(JsonObject) reply = pass_varlink_client_call(client, "a.b.C", NULL, NULL, &error);
    g_assert_null(reply);
    g_assert_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL);
    g_clear_error(&error);
    /* The stream is out of step: later calls fail without touching the socket. */
    g_autoptr(JsonObject) again = pass_varlink_client_call(client, "a.b.C", NULL, NULL, &error);
    g_assert_null(again);
    g_assert_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL);
  }
}

/* The raw call hands back the parameters' own text, and agrees with the tree call on what it
 * accepts: every good reply gives the same value both ways. */
static void
test_raw(void)
{
  static const Scripted good[] = {
      REPLY("{\"parameters\":{\"a\":[1,2.5,{}],\"s\":\"x\\u00e9\\n\"}}"),
      REPLY(" { \"parameters\" : { \"b\" : true } } "),
      REPLY("{}"),
      REPLY("{\"parameters\":null}"),
      REPLY("{\"continues\":false,\"parameters\":{\"c\":null},\"extra\":[1]}"),
      /* a key spelt with an escape still names the parameters */
      REPLY("{\"param\\u0065ters\":{\"k\":\"v\"}}"),
  };
  static const char *const expected[] = {
      "{\"a\":[1,2.5,{}],\"s\":\"x\\u00e9\\n\"}",
      "{ \"b\" : true }",
      "{}",
      "{}",
      "{\"c\":null}",
      "{\"k\":\"v\"}",
  };
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    const Scripted twice[] = {good[i], good[i]};
    g_autoptr(Fake) fake = fake_start(twice, 2);
    g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(fake->path, &error);
    gsize length = 0;

    g_assert_no_error(error);
    g_test_message("good: %s", good[i].bytes);
    g_autofree char *text =
        pass_varlink_client_call_raw(client, "a.b.C", NULL, &length, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(text, ==, expected[i]);
    g_assert_cmpuint(length, ==, strlen(text));

    g_autoptr(JsonObject) tree = pass_varlink_client_call(client, "a.b.C", NULL, NULL, &error);
    g_assert_no_error(error);
    g_autoptr(JsonObject) parsed = pass_varlink_message_parse(text, length, &error);
    g_assert_no_error(error);
    g_autofree char *a = pass_varlink_message_serialize(tree, NULL);
    g_autofree char *b = pass_varlink_message_serialize(parsed, NULL);
    g_assert_cmpstr(a, ==, b);
  }
}

static void
test_raw_errors(void)
{
  static const Scripted script[] = {
      REPLY("{\"error\":\"io.passd.Manager.NoSuchDevice\","
            "\"parameters\":{\"message\":\"gone\",\"address\":\"0000:01:00.0\"}}"),
      REPLY("{\"parameters\":{\"ok\":true}}"),
  };
  g_autoptr(Fake) fake = fake_start(script, G_N_ELEMENTS(script));
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) error_parameters = NULL;
  g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(fake->path, &error);

  g_autofree char *text =
      pass_varlink_client_call_raw(client, "a.b.C", NULL, NULL, &error_parameters, &error);
  g_assert_null(text);
  g_assert_error(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE);
  g_assert_cmpstr(error->message, ==, "gone");
  g_assert_cmpstr(json_object_get_string_member(error_parameters, "address"), ==, "0000:01:00.0");
  g_clear_error(&error);

  /* An error reply leaves the connection usable. */
  g_autofree char *next = pass_varlink_client_call_raw(client, "a.b.C", NULL, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(next, ==, "{\"ok\":true}");
}

static void
test_raw_malformed(void)
{
  static const Scripted bad[] = {
      REPLY("not json"),
      REPLY("[]"),
      REPLY("{\"parameters\":[]}"),
      REPLY("{\"parameters\":\"{}\"}"),
      REPLY("{\"parameters\":{}} {}"),
      REPLY("{\"parameters\":{\"a\":\"\xff\"}}"),
      REPLY("{\"parameters\":{\"a\":\"\\u0000\"}}"),
      REPLY("{\"error\":42,\"parameters\":{}}"),
      REPLY("{\"parameters\":{},\"continues\":\"yes\"}"),
      REPLY("{\"parameters\":{},\"continues\":true}"),
      REPLY("{\"parameters\":{},\"continu\\u0065s\":true}"),
  };

  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(Fake) fake = fake_start(&bad[i], 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(fake->path, &error);

    {
      /* Escaped: some replies are invalid UTF-8 on purpose, which TAP output must not carry. */
      g_autofree char *shown = g_strescape(bad[i].bytes, NULL);

      g_test_message("malformed: %s", shown);
    }
    g_autofree char *text = pass_varlink_client_call_raw(client, "a.b.C", NULL, NULL, NULL, &error);
    g_assert_null(text);
    g_assert_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL);
    g_clear_error(&error);
    g_autofree char *again =
        pass_varlink_client_call_raw(client, "a.b.C", NULL, NULL, NULL, &error);
    g_assert_null(again);
    g_assert_error(error, PASS_ERROR, PASS_ERROR_PROTOCOL);
  }
}

int
main(int argc, char **argv)
{
  test_log_init();
  g_test_init(&argc, &argv, NULL);

  g_test_add("/client/call", ServerFixture, NULL, setup, test_call, teardown);
  g_test_add("/client/error-mapping", ServerFixture, NULL, setup, test_error_mapping, teardown);
  g_test_add("/client/more", ServerFixture, NULL, setup, test_more, teardown);
  g_test_add_func("/client/connect-errors", test_connect_errors);
  g_test_add_func("/client/disconnect", test_disconnect);
  g_test_add_func("/client/disconnect-mid-stream", test_disconnect_mid_stream);
  g_test_add_func("/client/wire-format", test_wire_format);
  g_test_add_func("/client/malformed-replies", test_malformed_replies);
  g_test_add_func("/client/raw", test_raw);
  g_test_add_func("/client/raw-errors", test_raw_errors);
  g_test_add_func("/client/raw-malformed", test_raw_malformed);
  return g_test_run();
}
