/* A minimal service on the protocol library, for driving it with other varlink
 * implementations (varlinkctl): "proto-service SOCKET" serves org.example.peer until SIGTERM,
 * printing "READY" once it listens; "proto-service --print-service-idl" prints the built-in
 * org.varlink.service interface text. */
#include <glib-unix.h>
#include <stdio.h>

#include "pass-error.h"
#include "pass-varlink-private.h"

static const char peer_idl[] = "# What tests/peers drive with other varlink implementations.\n"
                               "interface org.example.peer\n"
                               "\n"
                               "# Replies with its input.\n"
                               "method Echo(value: ?string, number: ?int) -> (value: ?string, "
                               "number: ?int)\n"
                               "\n"
                               "# Three replies with continues, then a final one; needs more.\n"
                               "method Stream() -> (n: int)\n"
                               "\n"
                               "# Fails with NotHere.\n"
                               "method Fail() -> ()\n"
                               "\n"
                               "# The failure.\n"
                               "error NotHere (address: string, message: string)\n";

static void
echo(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  pass_varlink_call_reply(call, parameters);
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
  g_autoptr(JsonObject) error = json_object_new();

  json_object_set_string_member(error, "address", "0000:00:1f.0");
  json_object_set_string_member(error, "message", "not here");
  pass_varlink_call_reply_error(call, "org.example.peer.NotHere", error);
}

static gboolean
quit(gpointer loop)
{
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
  g_autoptr(GError) error = NULL;

  if (argc == 2 && g_str_equal(argv[1], "--print-service-idl")) {
    fputs(pass_varlink_service_idl, stdout);
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: %s SOCKET | --print-service-idl\n", argv[0]);
    return 2;
  }

  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  g_autoptr(PassVarlinkServer) server =
      pass_varlink_server_new("passd tests", "proto-service", "0", "https://example.org/passd");
  if (!pass_varlink_server_add_interface(server, peer_idl, &error))
    g_error("%s", error->message);
  pass_varlink_server_add_method(server, "org.example.peer.Echo", echo, NULL);
  pass_varlink_server_add_method(server, "org.example.peer.Stream", stream, NULL);
  pass_varlink_server_add_method(server, "org.example.peer.Fail", fail, NULL);
  if (!pass_varlink_server_listen_path(server, argv[1], &error)) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  g_unix_signal_add(SIGTERM, quit, loop);
  g_unix_signal_add(SIGINT, quit, loop);
  printf("READY\n");
  fflush(stdout);
  g_main_loop_run(loop);
  return 0;
}
