#include "server-fixture.h"

#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>
#include <unistd.h>

#include "pass-error.h"
#include "pass-varlink-private.h"

const char test_interface_idl[] = "# Methods to exercise the varlink server.\n"
                                  "interface org.example.test\n"
                                  "\n"
                                  "# Replies with the parameters it got.\n"
                                  "method Echo(value: ?string) -> (value: ?string)\n"
                                  "# Replies after @ms milliseconds, from a timeout.\n"
                                  "method Slow(ms: int, value: ?string) -> (value: ?string)\n"
                                  "# Three replies with continues, then a final one.\n"
                                  "method Stream(count: ?int) -> (n: int)\n"
                                  "# Fails with a PASS_ERROR.\n"
                                  "method Fail(native: ?bool) -> ()\n"
                                  "# Never replies.\n"
                                  "method Hang() -> ()\n"
                                  "# The caller's credentials.\n"
                                  "method Peer() -> (uid: int, pid: int)\n"
                                  "# Sends @count replies of @size bytes each.\n"
                                  "method Flood(count: int, size: int) -> (data: string)\n"
                                  "# Sends continues to a call without more.\n"
                                  "method Misuse() -> ()\n"
                                  "# An error passd does not know.\n"
                                  "method Custom() -> ()\n"
                                  "# Declared and not implemented.\n"
                                  "method Missing() -> ()\n"
                                  "error Custom (what: string)\n";

static GLogWriterOutput
test_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  gint *warnings = user_data;

  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal(fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0 &&
        g_str_equal(fields[i].value, "passd-varlink") && (level & G_LOG_LEVEL_WARNING)) {
      g_atomic_int_inc(warnings);
      g_test_message("counted warning");
      return G_LOG_WRITER_HANDLED;
    }
  }
  return g_log_writer_default(level, fields, n_fields, NULL);
}

static gint warnings_logged;

void
test_log_init(void)
{
  g_log_set_writer_func(test_log_writer, &warnings_logged, NULL);
}

gint
test_log_get_warnings(void)
{
  return g_atomic_int_get(&warnings_logged);
}

/* ---- methods ---- */

static void
echo(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  ServerFixture *fixture = user_data;

  g_mutex_lock(&fixture->lock);
  if (json_object_has_member(parameters, "value"))
    g_ptr_array_add(fixture->log,
                    g_strdup(json_object_get_string_member_with_default(parameters, "value", "")));
  g_mutex_unlock(&fixture->lock);
  pass_varlink_call_reply(call, parameters);
}

static gboolean
slow_done(gpointer user_data)
{
  PassVarlinkCall *call = user_data;
  g_autoptr(JsonObject) reply = json_object_new();

  json_object_set_string_member(reply, "value", "slow");
  pass_varlink_call_reply(call, reply);
  return G_SOURCE_REMOVE;
}

static void
slow(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  g_autoptr(GSource) timeout =
      g_timeout_source_new((guint)json_object_get_int_member_with_default(parameters, "ms", 100));

  g_source_set_callback(timeout, slow_done, pass_varlink_call_ref(call),
                        (GDestroyNotify)pass_varlink_call_unref);
  g_source_attach(timeout, g_main_context_get_thread_default());
}

static void
stream(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  if (!pass_varlink_call_wants_more(call)) {
    pass_varlink_call_reply_error(call, "org.varlink.service.ExpectedMore", NULL);
    return;
  }
  for (int i = 0; i < 4; i++) {
    g_autoptr(JsonObject) reply = json_object_new();
    json_object_set_int_member(reply, "n", i);
    if (i < 3)
      pass_varlink_call_reply_continues(call, reply);
    else
      pass_varlink_call_reply(call, reply);
  }
}

static void
fail(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) extra = json_object_new();

  if (json_object_get_boolean_member_with_default(parameters, "native", FALSE)) {
    g_set_error_literal(&error, G_IO_ERROR, G_IO_ERROR_FAILED, "disk on fire");
    pass_varlink_call_reply_gerror(call, error, NULL);
    return;
  }
  g_set_error_literal(&error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE, "No device 0000:00:1f.0");
  json_object_set_string_member(extra, "address", "0000:00:1f.0");
  pass_varlink_call_reply_gerror(call, error, extra);
}

static void
hang_closed(PassVarlinkCall *call, gpointer user_data)
{
  ServerFixture *fixture = user_data;

  if (pass_varlink_call_is_open(call))
    g_atomic_int_inc(&fixture->closed_while_open);
  /* Too late: dropped without a fuss. */
  pass_varlink_call_reply(call, NULL);
  g_atomic_int_inc(&fixture->closed_count);
}

static void
hang(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  ServerFixture *fixture = user_data;

  pass_varlink_call_set_closed_func(call, G_CALLBACK(hang_closed), fixture, NULL);
  g_ptr_array_add(fixture->held_calls, pass_varlink_call_ref(call));
  g_atomic_int_inc(&fixture->hang_started);
}

static void
peer(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  g_autoptr(JsonObject) reply = json_object_new();

  json_object_set_int_member(reply, "uid", pass_varlink_call_get_peer_uid(call));
  json_object_set_int_member(reply, "pid", pass_varlink_call_get_peer_pid(call));
  pass_varlink_call_reply(call, reply);
}

static void
flood(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  gint64 count = json_object_get_int_member_with_default(parameters, "count", 1);
  gint64 size = json_object_get_int_member_with_default(parameters, "size", 1);
  g_autofree char *data = g_strnfill((gsize)size, 'x');
  g_autofree char *raw = g_strdup_printf("{\"data\":\"%s\"}", data);

  for (gint64 i = 0; i < count - 1 && pass_varlink_call_is_open(call); i++)
    pass_varlink_call_reply_raw(call, raw, TRUE);
  pass_varlink_call_reply_raw(call, raw, FALSE);
}

static void
misuse(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  pass_varlink_call_reply_continues(call, NULL);
}

static void
custom(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  g_autoptr(JsonObject) error = json_object_new();

  json_object_set_string_member(error, "what", "thing");
  pass_varlink_call_reply_error(call, "org.example.test.Custom", error);
}

/* ---- thread ---- */

static int
listening_fd(const char *path)
{
  g_autoptr(GSocket) socket =
      g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);

  g_assert_true(g_socket_bind(socket, address, FALSE, NULL));
  g_assert_true(g_socket_listen(socket, NULL));
  return dup(g_socket_get_fd(socket));
}

static gpointer
server_thread(gpointer user_data)
{
  ServerFixture *fixture = user_data;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default(fixture->context);
  fixture->server =
      pass_varlink_server_new("passd tests", "test-server", "1.2.3", "https://example.org/passd");
  pass_varlink_server_set_limits(
      fixture->server,
      fixture->max_message ? fixture->max_message : PASS_VARLINK_DEFAULT_MAX_MESSAGE,
      fixture->max_connections ? fixture->max_connections : PASS_VARLINK_DEFAULT_MAX_CONNECTIONS);
  if (fixture->max_output)
    pass_varlink_server_set_max_output(fixture->server, fixture->max_output);
  g_assert_true(pass_varlink_server_add_interface(fixture->server, test_interface_idl, &error));
  g_assert_no_error(error);

  static const struct {
    const char *name;
    PassVarlinkMethodFunc func;
  } methods[] = {
      {"Echo", echo}, {"Slow", slow},   {"Stream", stream}, {"Fail", fail},     {"Hang", hang},
      {"Peer", peer}, {"Flood", flood}, {"Misuse", misuse}, {"Custom", custom},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(methods); i++) {
    g_autofree char *name = g_strconcat("org.example.test.", methods[i].name, NULL);
    pass_varlink_server_add_method(fixture->server, name, methods[i].func, fixture);
  }

  if (fixture->listen_on_fd)
    g_assert_true(
        pass_varlink_server_listen_fd(fixture->server, listening_fd(fixture->path), &error));
  else
    g_assert_true(pass_varlink_server_listen_path(fixture->server, fixture->path, &error));
  g_assert_no_error(error);

  g_mutex_lock(&fixture->lock);
  fixture->ready = TRUE;
  g_cond_signal(&fixture->cond);
  g_mutex_unlock(&fixture->lock);

  g_main_loop_run(fixture->loop);

  /* Held calls first: their closed funcs run when the server closes connections. */
  g_clear_pointer(&fixture->server, pass_varlink_server_free);
  g_ptr_array_set_size(fixture->held_calls, 0);
  /* Let sources released above finish on this context. */
  while (g_main_context_iteration(fixture->context, FALSE))
    ;
  g_main_context_pop_thread_default(fixture->context);
  return NULL;
}

void
server_fixture_start(ServerFixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp("passd-test-XXXXXX", &error);
  g_assert_no_error(error);
  /* A directory that does not exist yet: the server creates it. */
  fixture->path = g_build_filename(fixture->dir, "run", "passd", "socket", NULL);
  if (fixture->listen_on_fd) {
    g_autofree char *parent = g_path_get_dirname(fixture->path);
    g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
  }
  fixture->context = g_main_context_new();
  fixture->loop = g_main_loop_new(fixture->context, FALSE);
  fixture->held_calls = g_ptr_array_new_with_free_func((GDestroyNotify)pass_varlink_call_unref);
  fixture->log = g_ptr_array_new_with_free_func(g_free);
  g_mutex_init(&fixture->lock);
  g_cond_init(&fixture->cond);

  fixture->thread = g_thread_new("varlink-server", server_thread, fixture);
  g_mutex_lock(&fixture->lock);
  while (!fixture->ready)
    g_cond_wait(&fixture->cond, &fixture->lock);
  g_mutex_unlock(&fixture->lock);
}

static gboolean
quit_cb(gpointer user_data)
{
  g_main_loop_quit(user_data);
  return G_SOURCE_REMOVE;
}

static void
remove_tree(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name(dir))) {
    g_autofree char *child = g_build_filename(path, name, NULL);
    if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
      remove_tree(child);
    else
      g_unlink(child);
  }
  g_rmdir(path);
}

void
server_fixture_stop(ServerFixture *fixture)
{
  g_main_context_invoke(fixture->context, quit_cb, fixture->loop);
  g_thread_join(fixture->thread);
  /* The server removed its socket; the fd-activated one is ours to remove. */
  if (!fixture->listen_on_fd)
    g_assert_false(g_file_test(fixture->path, G_FILE_TEST_EXISTS));
  remove_tree(fixture->dir);
  g_clear_pointer(&fixture->dir, g_free);
  g_clear_pointer(&fixture->path, g_free);
  g_clear_pointer(&fixture->loop, g_main_loop_unref);
  g_clear_pointer(&fixture->context, g_main_context_unref);
  g_clear_pointer(&fixture->held_calls, g_ptr_array_unref);
  g_clear_pointer(&fixture->log, g_ptr_array_unref);
  g_mutex_clear(&fixture->lock);
  g_cond_clear(&fixture->cond);
}

GPtrArray *
server_fixture_get_log(ServerFixture *fixture)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func(g_free);

  g_mutex_lock(&fixture->lock);
  for (guint i = 0; i < fixture->log->len; i++)
    g_ptr_array_add(copy, g_strdup(fixture->log->pdata[i]));
  g_mutex_unlock(&fixture->lock);
  return copy;
}

gboolean
server_fixture_wait_for(gint *counter, gint value, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

  while (g_atomic_int_get(counter) < value) {
    if (g_get_monotonic_time() > deadline)
      return FALSE;
    g_usleep(2000);
  }
  return TRUE;
}

typedef struct {
  ServerFixture *fixture;
  guint n;
  gboolean done;
} CountRequest;

static gboolean
count_cb(gpointer user_data)
{
  CountRequest *request = user_data;

  g_mutex_lock(&request->fixture->lock);
  request->n = pass_varlink_server_get_n_connections(request->fixture->server);
  request->done = TRUE;
  g_cond_signal(&request->fixture->cond);
  g_mutex_unlock(&request->fixture->lock);
  return G_SOURCE_REMOVE;
}

guint
server_fixture_get_n_connections(ServerFixture *fixture)
{
  CountRequest request = {fixture, 0, FALSE};

  g_main_context_invoke(fixture->context, count_cb, &request);
  g_mutex_lock(&fixture->lock);
  while (!request.done)
    g_cond_wait(&fixture->cond, &fixture->lock);
  g_mutex_unlock(&fixture->lock);
  return request.n;
}
