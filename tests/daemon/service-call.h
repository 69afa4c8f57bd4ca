/* For the service's tests: one call from a blocking client on a thread while the test's main
 * context serves it, so the server (on the default main context) runs the handler. */
#pragma once

#include "pass-varlink.h"
#include "service.h"

typedef struct {
  const char *path, *method, *parameters;
  JsonObject *reply, *error_parameters;
  GError *error;
  gint done;
} Call;

void call_clear(Call *call);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Call, call_clear)

/* Connects to @path, calls @method with @parameters (JSON text) and serves until the reply. */
void run_call(const char *path, Call *call, const char *method, const char *parameters);

/* The call fails with org.varlink.service.InvalidParameter naming @parameter. */
void assert_invalid(const char *path, const char *method, const char *parameters,
                    const char *parameter);

/* The service on a temporary socket: engine, transactions, service and server. */
typedef struct {
  char *dir, *path;
  PassEngine *engine;
  PassTx *tx;
  PassService *service;
  PassVarlinkServer *server;
} ServiceSocket;

/* All but the methods: the test registers them (pass_service_register() or a table of its
 * own), then calls service_socket_listen(). */
void service_socket_init(ServiceSocket *socket);
void service_socket_listen(ServiceSocket *socket);
void service_socket_clear(ServiceSocket *socket);
