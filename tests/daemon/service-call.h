/* For the service's tests: one call from a blocking client on a thread while the test's main
 * context serves it, so the server (on the default main context) runs the handler. */
#pragma once

#include "pass-varlink.h"

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
