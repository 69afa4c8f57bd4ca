/* A PassVarlinkServer with a small test interface, running on a thread of its own so the test
 * can talk to it with blocking sockets. Shared by test-server and test-client. */
#pragma once

#include "pass-varlink.h"

G_BEGIN_DECLS

typedef struct {
  /* Set before server_fixture_start(); 0 keeps the defaults. */
  gsize max_message;
  guint max_connections;
  gsize max_output;
  gboolean listen_on_fd; /* listen through pass_varlink_server_listen_fd() */

  char *dir;
  char *path;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  PassVarlinkServer *server;
  GMutex lock;
  GCond cond;
  gboolean ready;
  GPtrArray *held_calls;  /* Hang calls, released on stop (server thread only) */
  GPtrArray *log;         /* strings, under lock: values Echo was called with */
  gint hang_started;      /* atomic */
  gint closed_count;      /* atomic */
  gint closed_while_open; /* atomic: closed funcs that saw is_open() TRUE */
} ServerFixture;

extern const char test_interface_idl[];

void server_fixture_start(ServerFixture *fixture);
void server_fixture_stop(ServerFixture *fixture);
/* Copies of the Echo log, under the lock. */
GPtrArray *server_fixture_get_log(ServerFixture *fixture);
/* Waits (iterating nothing: the server has its own thread) until *@counter >= @value. */
gboolean server_fixture_wait_for(gint *counter, gint value, guint timeout_ms);
/* n_connections as the server thread sees it. */
guint server_fixture_get_n_connections(ServerFixture *fixture);

/* Warnings logged by the library (domain passd-varlink), counted instead of aborting. */
void test_log_init(void);
gint test_log_get_warnings(void);

G_END_DECLS
