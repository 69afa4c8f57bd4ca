/* One varlink call on a client thread while the main context serves (see service-call.h). */
#include "service-call.h"

#include <glib/gstdio.h>

#include "pass-error.h"

static gpointer
call_thread(gpointer data)
{
  Call *call = data;
  g_autoptr(PassVarlinkClient) client = pass_varlink_client_connect(call->path, &call->error);
  g_autoptr(JsonNode) node = NULL;

  if (client) {
    node = json_from_string(call->parameters, &call->error);
    g_assert_no_error(call->error);
    call->reply = pass_varlink_client_call(client, call->method, json_node_get_object(node),
                                           &call->error_parameters, &call->error);
  }
  g_atomic_int_set(&call->done, 1);
  g_main_context_wakeup(NULL);
  return NULL;
}

void
call_clear(Call *call)
{
  g_clear_pointer(&call->reply, json_object_unref);
  g_clear_pointer(&call->error_parameters, json_object_unref);
  g_clear_error(&call->error);
}

void
run_call(const char *path, Call *call, const char *method, const char *parameters)
{
  GThread *thread;

  call->path = path;
  call->method = method;
  call->parameters = parameters;
  thread = g_thread_new("client", call_thread, call);
  while (!g_atomic_int_get(&call->done))
    g_main_context_iteration(NULL, TRUE);
  g_thread_join(thread);
  for (int i = 0; i < 100 && g_main_context_iteration(NULL, FALSE); i++)
    ;
}

void
assert_invalid(const char *path, const char *method, const char *parameters, const char *parameter)
{
  g_auto(Call) call = {0};

  run_call(path, &call, method, parameters);
  g_assert_error(call.error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  g_assert_nonnull(call.error_parameters);
  g_assert_cmpstr(json_object_get_string_member(call.error_parameters, "parameter"), ==, parameter);
}

void
service_socket_init(ServiceSocket *socket)
{
  g_autoptr(GError) error = NULL;

  socket->dir = g_dir_make_tmp("passd-test-service-XXXXXX", &error);
  g_assert_no_error(error);
  socket->path = g_build_filename(socket->dir, "sock", NULL);
  socket->engine = pass_engine_new();
  socket->tx = pass_tx_new(socket->engine);
  socket->service = pass_service_new(socket->engine, socket->tx, "test:///fake");
  socket->server = pass_varlink_server_new("passd", "passd", "0", "https://example.org");
}

void
service_socket_listen(ServiceSocket *socket)
{
  g_autoptr(GError) error = NULL;

  g_assert_true(pass_varlink_server_listen_path(socket->server, socket->path, &error));
  g_assert_no_error(error);
}

void
service_socket_clear(ServiceSocket *socket)
{
  pass_service_free(socket->service);
  pass_varlink_server_free(socket->server);
  pass_tx_free(socket->tx);
  pass_engine_free(socket->engine);
  g_remove(socket->path);
  g_rmdir(socket->dir);
  g_free(socket->path);
  g_free(socket->dir);
}
