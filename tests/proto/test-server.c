/* PassVarlinkServer driven over raw unix sockets: the wire protocol as a peer sees it. */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pass-error.h"
#include "pass-varlink-private.h"
#include "server-fixture.h"

/* ---- a raw peer ---- */

typedef struct {
  int fd;
  PassVarlinkInput input;
} Peer;

static Peer *
peer_connect(const char *path)
{
  Peer *peer = g_new0(Peer, 1);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  struct timeval timeout = {.tv_sec = 10};

  g_assert_cmpuint(strlen(path), <, sizeof(sa.sun_path));
  strcpy(sa.sun_path, path);
  peer->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint(peer->fd, >=, 0);
  g_assert_cmpint(connect(peer->fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
  /* A test that would hang fails instead. */
  g_assert_cmpint(setsockopt(peer->fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)), ==, 0);
  pass_varlink_input_init(&peer->input, 64 * 1024 * 1024);
  return peer;
}

static void
peer_free(Peer *peer)
{
  if (peer->fd >= 0)
    close(peer->fd);
  pass_varlink_input_clear(&peer->input);
  g_free(peer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Peer, peer_free)

static void
peer_send_bytes(Peer *peer, const char *bytes, gsize length)
{
  while (length > 0) {
    ssize_t n = send(peer->fd, bytes, length, MSG_NOSIGNAL);
    g_assert_cmpint(n, >, 0);
    bytes += n;
    length -= (gsize)n;
  }
}

/* Sends @message with its NUL. */
static void
peer_send(Peer *peer, const char *message)
{
  peer_send_bytes(peer, message, strlen(message) + 1);
}

/* The next message's raw text, or NULL at EOF (or a reset). */
static char *
peer_receive(Peer *peer)
{
  for (;;) {
    const char *text;
    gsize length;

    g_assert_true(pass_varlink_input_next(&peer->input, &text, &length, NULL));
    if (text)
      return g_strndup(text, length);
    guint8 *buffer = pass_varlink_input_reserve(&peer->input, 65536);
    ssize_t n = recv(peer->fd, buffer, 65536, 0);
    if (n < 0 && errno == EAGAIN)
      g_error("timed out waiting for a reply");
    pass_varlink_input_commit(&peer->input, 65536, n > 0 ? (gsize)n : 0);
    if (n <= 0)
      return NULL;
  }
}

static void
peer_expect_eof(Peer *peer)
{
  g_autofree char *message = peer_receive(peer);

  g_assert_null(message);
}

/* Parses a reply and checks its shape: only "parameters" (always, an object), "continues"
 * (only true) and "error" (a string) at the top level. */
static JsonObject *
check_reply(const char *text, gboolean *continues, const char **error_name)
{
  g_autoptr(GError) error = NULL;
  JsonObject *reply = pass_varlink_message_parse(text, strlen(text), &error);
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  g_assert_no_error(error);
  json_object_iter_init(&iter, reply);
  while (json_object_iter_next(&iter, &member, &node)) {
    if (g_str_equal(member, "parameters"))
      g_assert_true(JSON_NODE_HOLDS_OBJECT(node));
    else if (g_str_equal(member, "continues"))
      g_assert_true(json_node_get_value_type(node) == G_TYPE_BOOLEAN &&
                    json_node_get_boolean(node));
    else if (g_str_equal(member, "error"))
      g_assert_true(json_node_get_value_type(node) == G_TYPE_STRING);
    else
      g_error("unexpected top-level key '%s' in %s", member, text);
  }
  g_assert_true(json_object_has_member(reply, "parameters"));
  if (continues)
    *continues = json_object_has_member(reply, "continues");
  if (error_name)
    *error_name = json_object_get_string_member_with_default(reply, "error", NULL);
  return reply;
}

/* Receives one reply: its parameters (new ref); asserts on error name and continues. */
static JsonObject *
peer_expect_reply(Peer *peer, const char *expected_error, gboolean expected_continues)
{
  g_autofree char *text = peer_receive(peer);
  gboolean continues = FALSE;
  const char *error_name = NULL;

  g_assert_nonnull(text);
  g_test_message("reply: %s", text);
  g_autoptr(JsonObject) reply = check_reply(text, &continues, &error_name);
  g_assert_cmpstr(error_name, ==, expected_error);
  g_assert_cmpint(continues, ==, expected_continues);
  return json_object_ref(json_object_get_object_member(reply, "parameters"));
}

static void
peer_expect_string(Peer *peer, const char *expected_error, const char *key, const char *value)
{
  g_autoptr(JsonObject) parameters = peer_expect_reply(peer, expected_error, FALSE);

  g_assert_cmpstr(json_object_get_string_member_with_default(parameters, key, NULL), ==, value);
}

/* ---- fixtures ---- */

static gint warnings_at_setup;

static void
setup(ServerFixture *fixture, gconstpointer data)
{
  warnings_at_setup = test_log_get_warnings();
  server_fixture_start(fixture);
}

static void
setup_small(ServerFixture *fixture, gconstpointer data)
{
  warnings_at_setup = test_log_get_warnings();
  fixture->max_message = 1024;
  fixture->max_connections = 2;
  fixture->max_output = 64 * 1024;
  server_fixture_start(fixture);
}

static void
setup_fd(ServerFixture *fixture, gconstpointer data)
{
  warnings_at_setup = test_log_get_warnings();
  fixture->listen_on_fd = TRUE;
  server_fixture_start(fixture);
}

static void
teardown(ServerFixture *fixture, gconstpointer data)
{
  server_fixture_stop(fixture);
  g_assert_cmpint(test_log_get_warnings(), ==, warnings_at_setup);
}

/* ---- tests ---- */

static void
test_echo(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);

  peer_send(peer, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"hi\"}}");
  peer_expect_string(peer, NULL, "value", "hi");

  /* Missing and null parameters are an empty object to the handler. */
  peer_send(peer, "{\"method\":\"org.example.test.Echo\"}");
  g_autoptr(JsonObject) empty = peer_expect_reply(peer, NULL, FALSE);
  g_assert_cmpuint(json_object_get_size(empty), ==, 0);
  peer_send(peer, "{\"method\":\"org.example.test.Echo\",\"parameters\":null}");
  g_autoptr(JsonObject) empty2 = peer_expect_reply(peer, NULL, FALSE);
  g_assert_cmpuint(json_object_get_size(empty2), ==, 0);

  /* The exact bytes of a simple reply. */
  peer_send(peer, "{\"method\":\"org.example.test.Echo\",\"parameters\":{}}");
  g_autofree char *raw = peer_receive(peer);
  g_assert_cmpstr(raw, ==, "{\"parameters\":{}}");
}

static void
test_listen_fd(ServerFixture *fixture, gconstpointer data)
{
  test_echo(fixture, data);
}

static void
test_pipelined_order(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);
  static const char calls[] =
      "{\"method\":\"org.example.test.Slow\",\"parameters\":{\"ms\":200}}\0"
      "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"a\"}}\0"
      "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"b\"}}";
  gint64 start = g_get_monotonic_time();

  peer_send_bytes(peer, calls, sizeof(calls));
  /* Strictly one at a time: while Slow is pending the Echo calls are not even dispatched. */
  g_usleep(100 * 1000);
  g_autoptr(GPtrArray) log = server_fixture_get_log(fixture);
  g_assert_cmpuint(log->len, ==, 0);

  peer_expect_string(peer, NULL, "value", "slow");
  g_assert_cmpint(g_get_monotonic_time() - start, >=, 150 * 1000);
  peer_expect_string(peer, NULL, "value", "a");
  peer_expect_string(peer, NULL, "value", "b");
}

static void
test_backpressure(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);
  g_autoptr(GString) calls = g_string_new(NULL);

  /* Far more than the 1 KiB message limit queued behind a pending call. */
  g_string_append(calls, "{\"method\":\"org.example.test.Slow\",\"parameters\":{\"ms\":100}}");
  g_string_append_c(calls, '\0');
  for (int i = 0; i < 200; i++) {
    g_string_append_printf(
        calls, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"%d\"}}", i);
    g_string_append_c(calls, '\0');
  }
  peer_send_bytes(peer, calls->str, calls->len);
  peer_expect_string(peer, NULL, "value", "slow");
  for (int i = 0; i < 200; i++) {
    g_autofree char *expected = g_strdup_printf("%d", i);
    peer_expect_string(peer, NULL, "value", expected);
  }
}

static void
test_oneway(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);

  peer_send(peer, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"one\"},"
                  "\"oneway\":true}");
  /* A oneway call that fails gets no error reply either. */
  peer_send(peer, "{\"method\":\"org.example.test.Nope\",\"oneway\":true}");
  peer_send(peer, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"two\"}}");
  peer_expect_string(peer, NULL, "value", "two");

  g_autoptr(GPtrArray) log = server_fixture_get_log(fixture);
  g_assert_cmpuint(log->len, ==, 2);
  g_assert_cmpstr(log->pdata[0], ==, "one");
  g_assert_cmpstr(log->pdata[1], ==, "two");
}

static void
test_more(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);

  peer_send(peer, "{\"method\":\"org.example.test.Stream\",\"more\":true}");
  for (int i = 0; i < 4; i++) {
    g_autoptr(JsonObject) parameters = peer_expect_reply(peer, NULL, i < 3);
    g_assert_cmpint(json_object_get_int_member(parameters, "n"), ==, i);
  }

  /* Without "more" the handler chose to refuse. */
  peer_send(peer, "{\"method\":\"org.example.test.Stream\"}");
  g_autoptr(JsonObject) refused =
      peer_expect_reply(peer, "org.varlink.service.ExpectedMore", FALSE);
  g_assert_cmpuint(json_object_get_size(refused), ==, 0);

  /* "more" on a method that replies once: one final reply. */
  peer_send(
      peer,
      "{\"method\":\"org.example.test.Echo\",\"more\":true,\"parameters\":{\"value\":\"m\"}}");
  peer_expect_string(peer, NULL, "value", "m");
}

static void
test_unknown(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);

  peer_send(peer, "{\"method\":\"x.y.Z\"}");
  peer_expect_string(peer, "org.varlink.service.InterfaceNotFound", "interface", "x.y");
  peer_send(peer, "{\"method\":\"org.example.test.Nope\"}");
  peer_expect_string(peer, "org.varlink.service.MethodNotFound", "method", "org.example.test.Nope");
  /* Declared in the interface but not registered. */
  peer_send(peer, "{\"method\":\"org.example.test.Missing\"}");
  peer_expect_string(peer, "org.varlink.service.MethodNotFound", "method",
                     "org.example.test.Missing");
  /* The interface is everything before the last dot. */
  peer_send(peer, "{\"method\":\"org.example.Echo\"}");
  peer_expect_string(peer, "org.varlink.service.InterfaceNotFound", "interface", "org.example");
  peer_send(peer, "{\"method\":\"Echo\"}");
  peer_expect_string(peer, "org.varlink.service.InterfaceNotFound", "interface", "");
  /* The connection is still fine. */
  peer_send(peer, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"ok\"}}");
  peer_expect_string(peer, NULL, "value", "ok");
}

static void
test_upgrade(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);

  peer_send(peer, "{\"method\":\"org.example.test.Echo\",\"upgrade\":true}");
  peer_expect_string(peer, "org.varlink.service.MethodNotImplemented", "method",
                     "org.example.test.Echo");
  g_autoptr(GPtrArray) log = server_fixture_get_log(fixture);
  g_assert_cmpuint(log->len, ==, 0);
}

static void
test_get_info(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);

  peer_send(peer, "{\"method\":\"org.varlink.service.GetInfo\",\"parameters\":{}}");
  g_autoptr(JsonObject) info = peer_expect_reply(peer, NULL, FALSE);
  g_assert_cmpstr(json_object_get_string_member(info, "vendor"), ==, "passd tests");
  g_assert_cmpstr(json_object_get_string_member(info, "product"), ==, "test-server");
  g_assert_cmpstr(json_object_get_string_member(info, "version"), ==, "1.2.3");
  g_assert_cmpstr(json_object_get_string_member(info, "url"), ==, "https://example.org/passd");
  JsonArray *interfaces = json_object_get_array_member(info, "interfaces");
  g_assert_cmpuint(json_array_get_length(interfaces), ==, 2);
  g_assert_cmpstr(json_array_get_string_element(interfaces, 0), ==, "org.varlink.service");
  g_assert_cmpstr(json_array_get_string_element(interfaces, 1), ==, "org.example.test");
}

static void
test_get_interface_description(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);

  peer_send(peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                  "\"parameters\":{\"interface\":\"org.example.test\"}}");
  peer_expect_string(peer, NULL, "description", test_interface_idl);

  peer_send(peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                  "\"parameters\":{\"interface\":\"org.varlink.service\"}}");
  g_autoptr(JsonObject) service = peer_expect_reply(peer, NULL, FALSE);
  const char *text = json_object_get_string_member(service, "description");
  g_assert_cmpstr(text, ==, pass_varlink_service_idl);
  static const char *const members[] = {
      "interface org.varlink.service\n",
      "method GetInfo() -> (\n",
      "method GetInterfaceDescription(interface: string) -> (description: string)\n",
      "error InterfaceNotFound (interface: string)\n",
      "error MethodNotFound (method: string)\n",
      "error MethodNotImplemented (method: string)\n",
      "error InvalidParameter (parameter: string)\n",
      "error PermissionDenied ()\n",
      "error ExpectedMore ()\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(members); i++)
    g_assert_nonnull(strstr(text, members[i]));

  peer_send(peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                  "\"parameters\":{\"interface\":\"org.example.nope\"}}");
  peer_expect_string(peer, "org.varlink.service.InterfaceNotFound", "interface",
                     "org.example.nope");
  peer_send(peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\"}");
  peer_expect_string(peer, "org.varlink.service.InvalidParameter", "parameter", "interface");
  peer_send(peer, "{\"method\":\"org.varlink.service.GetInterfaceDescription\","
                  "\"parameters\":{\"interface\":42}}");
  peer_expect_string(peer, "org.varlink.service.InvalidParameter", "parameter", "interface");
}

static void
test_errors(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);

  peer_send(peer, "{\"method\":\"org.example.test.Fail\"}");
  g_autoptr(JsonObject) failed = peer_expect_reply(peer, "io.passd.Manager.NoSuchDevice", FALSE);
  g_assert_cmpstr(json_object_get_string_member(failed, "message"), ==, "No device 0000:00:1f.0");
  g_assert_cmpstr(json_object_get_string_member(failed, "address"), ==, "0000:00:1f.0");

  /* Errors from other domains go out as the catch-all. */
  peer_send(peer, "{\"method\":\"org.example.test.Fail\",\"parameters\":{\"native\":true}}");
  peer_expect_string(peer, "io.passd.Manager.Failed", "message", "disk on fire");

  /* An error without parameters still carries an empty object (checked in check_reply). */
  peer_send(peer, "{\"method\":\"org.example.test.Stream\"}");
  g_autofree char *raw = peer_receive(peer);
  g_assert_cmpstr(raw, ==, "{\"error\":\"org.varlink.service.ExpectedMore\",\"parameters\":{}}");
}

static void
test_protocol_errors(ServerFixture *fixture, gconstpointer data)
{
  static const char *const bad[] = {
      "{\"method\":",
      "not json",
      "[\"method\"]",
      "\"org.example.test.Echo\"",
      "{}",
      "{\"parameters\":{}}",
      "{\"method\":42}",
      "{\"method\":null}",
      "{\"method\":\"org.example.test.Echo\",\"parameters\":[]}",
      "{\"method\":\"org.example.test.Echo\",\"parameters\":\"x\"}",
      "{\"method\":\"org.example.test.Echo\",\"parameters\":1}",
      "{\"method\":\"org.example.test.Echo\",\"more\":\"yes\"}",
      "{\"method\":\"org.example.test.Echo\",\"oneway\":1}",
      "",
  };
  g_autoptr(Peer) good = peer_connect(fixture->path);

  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(Peer) peer = peer_connect(fixture->path);
    g_test_message("bad call: %s", bad[i]);
    peer_send(peer, bad[i]);
    /* Nothing is answered; only this connection ends. */
    peer_expect_eof(peer);

    g_autofree char *call = g_strdup_printf(
        "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"%zu\"}}", i);
    g_autofree char *expected = g_strdup_printf("%zu", i);
    peer_send(good, call);
    peer_expect_string(good, NULL, "value", expected);
  }
}

static void
test_bad_call_after_good_ones(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);
  static const char calls[] =
      "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"a\"}}\0"
      "{\"method\":\"org.example.test.Echo\",\"parameters\":[]}\0"
      "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"b\"}}";

  /* Calls before the broken one are answered, nothing after it. */
  peer_send_bytes(peer, calls, sizeof(calls));
  peer_expect_string(peer, NULL, "value", "a");
  peer_expect_eof(peer);
}

static void
test_oversize(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) good = peer_connect(fixture->path);
  g_autoptr(Peer) peer = peer_connect(fixture->path);
  g_autoptr(GString) call =
      g_string_new("{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"");
  gsize prefix = call->len;

  /* Just at the 1 KiB limit: fine. */
  while (call->len < 1024 - 3)
    g_string_append_c(call, 'x');
  g_string_append(call, "\"}}");
  g_assert_cmpuint(call->len, ==, 1024);
  peer_send(peer, call->str);
  g_autoptr(JsonObject) reply = peer_expect_reply(peer, NULL, FALSE);
  g_assert_cmpuint(strlen(json_object_get_string_member(reply, "value")), ==, 1024 - prefix - 3);

  /* One byte more: the connection is dropped, even before the NUL arrives. */
  g_string_insert_c(call, call->len - 3, 'x');
  peer_send_bytes(peer, call->str, call->len);
  peer_expect_eof(peer);

  peer_send(good, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"ok\"}}");
  peer_expect_string(good, NULL, "value", "ok");
}

static void
test_connection_cap(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) first = peer_connect(fixture->path);
  g_autoptr(Peer) second = peer_connect(fixture->path);

  peer_send(first, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"1\"}}");
  peer_expect_string(first, NULL, "value", "1");
  peer_send(second, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"2\"}}");
  peer_expect_string(second, NULL, "value", "2");
  g_assert_cmpuint(server_fixture_get_n_connections(fixture), ==, 2);

  /* Over the cap: accepted and closed at once. */
  {
    g_autoptr(Peer) third = peer_connect(fixture->path);
    peer_expect_eof(third);
  }
  g_assert_cmpuint(server_fixture_get_n_connections(fixture), ==, 2);

  /* A slot frees up when a peer leaves. */
  g_clear_pointer(&first, peer_free);
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (server_fixture_get_n_connections(fixture) != 1) {
    g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    g_usleep(2000);
  }
  g_autoptr(Peer) fourth = peer_connect(fixture->path);
  peer_send(fourth, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"4\"}}");
  peer_expect_string(fourth, NULL, "value", "4");
}

static void
test_cap_counts_only_live_peers(ServerFixture *fixture, gconstpointer data)
{
  /* Peers that just left must not hold slots against newcomers, even when the newcomers
   * arrive before the server noticed the departures. */
  g_autoptr(Peer) a = NULL;
  g_autoptr(Peer) b = NULL;

  for (int round = 0; round < 20; round++) {
    g_clear_pointer(&a, peer_free);
    g_clear_pointer(&b, peer_free);
    a = peer_connect(fixture->path);
    b = peer_connect(fixture->path);
    peer_send(a, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"a\"}}");
    peer_send(b, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"b\"}}");
    peer_expect_string(a, NULL, "value", "a");
    peer_expect_string(b, NULL, "value", "b");
  }
}

static void
test_connect_burst(ServerFixture *fixture, gconstpointer data)
{
  /* Non-blocking connectors get EAGAIN, not a wait, when the listen backlog is full. */
  int fds[128];
  struct sockaddr_un sa = {.sun_family = AF_UNIX};

  strcpy(sa.sun_path, fixture->path);
  for (guint i = 0; i < G_N_ELEMENTS(fds); i++) {
    fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    g_assert_cmpint(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
  }
  for (guint i = 0; i < G_N_ELEMENTS(fds); i++)
    close(fds[i]);
}

static void
test_disconnect_pending(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);
  g_autoptr(Peer) other = peer_connect(fixture->path);

  peer_send(peer, "{\"method\":\"org.example.test.Hang\"}");
  /* Queued behind the hanging call, never dispatched. */
  peer_send(peer, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"late\"}}");
  g_assert_true(server_fixture_wait_for(&fixture->hang_started, 1, 5000));
  g_assert_cmpint(g_atomic_int_get(&fixture->closed_count), ==, 0);

  g_clear_pointer(&peer, peer_free);
  g_assert_true(server_fixture_wait_for(&fixture->closed_count, 1, 5000));
  g_assert_cmpint(g_atomic_int_get(&fixture->closed_while_open), ==, 0);

  /* Once only, and nothing else happened to the server. */
  peer_send(other, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"x\"}}");
  peer_expect_string(other, NULL, "value", "x");
  g_assert_cmpint(g_atomic_int_get(&fixture->closed_count), ==, 1);
  g_autoptr(GPtrArray) log = server_fixture_get_log(fixture);
  g_assert_cmpuint(log->len, ==, 1);
}

static void
test_half_close(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);

  /* A peer that sends and then shuts its sending side still gets its replies. */
  peer_send(peer, "{\"method\":\"org.example.test.Slow\",\"parameters\":{\"ms\":50}}");
  peer_send(peer, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"h\"}}");
  g_assert_cmpint(shutdown(peer->fd, SHUT_WR), ==, 0);
  peer_expect_string(peer, NULL, "value", "slow");
  peer_expect_string(peer, NULL, "value", "h");
  peer_expect_eof(peer);
}

static void
test_peer_credentials(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);

  peer_send(peer, "{\"method\":\"org.example.test.Peer\"}");
  g_autoptr(JsonObject) reply = peer_expect_reply(peer, NULL, FALSE);
  g_assert_cmpint(json_object_get_int_member(reply, "uid"), ==, getuid());
  g_assert_cmpint(json_object_get_int_member(reply, "pid"), ==, getpid());
}

static void
test_output_cap(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);
  g_autoptr(Peer) other = peer_connect(fixture->path);

  /* 8 MiB of replies to a peer that does not read: more than the socket buffer and the 64 KiB
   * output cap, so the server gives up on it rather than block or grow. */
  peer_send(peer, "{\"method\":\"org.example.test.Flood\",\"more\":true,"
                  "\"parameters\":{\"count\":1024,\"size\":8192}}");
  g_usleep(200 * 1000);
  peer_send(other, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"alive\"}}");
  peer_expect_string(other, NULL, "value", "alive");

  gsize received = 0;
  for (;;) {
    g_autofree char *text = peer_receive(peer);
    if (text == NULL)
      break;
    json_object_unref(check_reply(text, NULL, NULL));
    received++;
  }
  g_assert_cmpuint(received, <, 1024);
}

static void
test_continues_without_more(ServerFixture *fixture, gconstpointer data)
{
  g_autoptr(Peer) peer = peer_connect(fixture->path);
  gint before = test_log_get_warnings();

  peer_send(peer, "{\"method\":\"org.example.test.Misuse\"}");
  json_object_unref(peer_expect_reply(peer, NULL, FALSE));
  g_assert_cmpint(test_log_get_warnings(), ==, before + 1);
  /* It counted as the final reply: the next call is served. */
  peer_send(peer, "{\"method\":\"org.example.test.Echo\",\"parameters\":{\"value\":\"next\"}}");
  peer_expect_string(peer, NULL, "value", "next");
}

static void
teardown_expect_warning(ServerFixture *fixture, gconstpointer data)
{
  server_fixture_stop(fixture);
}

/* ---- listening ---- */

static void
test_stale_socket(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("passd-test-XXXXXX", &error);
  g_autofree char *path = g_build_filename(dir, "socket", NULL);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};

  /* A socket file nobody listens on any more. */
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
  close(fd);
  g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));

  g_autoptr(PassVarlinkServer) server = pass_varlink_server_new("v", "p", "1", "u");
  g_assert_true(pass_varlink_server_listen_path(server, path, &error));
  g_assert_no_error(error);

  /* A live one is not taken over. */
  g_autoptr(PassVarlinkServer) second = pass_varlink_server_new("v", "p", "1", "u");
  g_assert_false(pass_varlink_server_listen_path(second, path, &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  g_clear_error(&error);

  /* Nor is a file that is not a socket. */
  g_autofree char *file = g_build_filename(dir, "file", NULL);
  g_assert_true(g_file_set_contents(file, "x", 1, NULL));
  g_assert_false(pass_varlink_server_listen_path(second, file, &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
  g_clear_error(&error);

  g_clear_pointer(&second, pass_varlink_server_free);
  g_clear_pointer(&server, pass_varlink_server_free);
  /* The server removes its own socket. */
  g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
  g_unlink(file);
  g_rmdir(dir);
}

int
main(int argc, char **argv)
{
  test_log_init();
  g_test_init(&argc, &argv, NULL);

#define ADD(name, setup_func, func)                                                                \
  g_test_add("/server/" name, ServerFixture, NULL, setup_func, func, teardown)
  ADD("echo", setup, test_echo);
  ADD("listen-fd", setup_fd, test_listen_fd);
  ADD("pipelined-order", setup, test_pipelined_order);
  ADD("backpressure", setup_small, test_backpressure);
  ADD("oneway", setup, test_oneway);
  ADD("more", setup, test_more);
  ADD("unknown", setup, test_unknown);
  ADD("upgrade", setup, test_upgrade);
  ADD("get-info", setup, test_get_info);
  ADD("get-interface-description", setup, test_get_interface_description);
  ADD("errors", setup, test_errors);
  ADD("protocol-errors", setup, test_protocol_errors);
  ADD("bad-call-after-good-ones", setup, test_bad_call_after_good_ones);
  ADD("oversize", setup_small, test_oversize);
  ADD("connection-cap", setup_small, test_connection_cap);
  ADD("cap-counts-only-live-peers", setup_small, test_cap_counts_only_live_peers);
  ADD("connect-burst", setup, test_connect_burst);
  ADD("disconnect-pending", setup, test_disconnect_pending);
  ADD("half-close", setup, test_half_close);
  ADD("peer-credentials", setup, test_peer_credentials);
  ADD("output-cap", setup_small, test_output_cap);
#undef ADD
  g_test_add("/server/continues-without-more", ServerFixture, NULL, setup,
             test_continues_without_more, teardown_expect_warning);
  g_test_add_func("/server/stale-socket", test_stale_socket);
  return g_test_run();
}
