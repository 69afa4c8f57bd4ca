/* Talking to passd: every command goes through here, so failures print the same way. */
#include "passctl.h"

PassVarlinkClient *
passctl_connect(PassctlContext *ctx, int *exit_code)
{
  g_autoptr(GError) error = NULL;
  PassVarlinkClient *client = pass_varlink_client_connect(ctx->socket_path, &error);

  if (client == NULL) {
    g_autofree char *sentence = passctl_connect_error_sentence(error, ctx->socket_path);

    passctl_print_error("%s", sentence);
    *exit_code = passctl_connect_error_exit_code(error);
  }
  return client;
}

JsonObject *
passctl_call(PassVarlinkClient *client, const char *method, JsonObject *parameters, int *exit_code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) error_parameters = NULL;
  JsonObject *reply;

  reply = pass_varlink_client_call(client, method, parameters, &error_parameters, &error);
  if (reply == NULL) {
    g_autofree char *sentence = passctl_error_sentence(error, error_parameters);

    passctl_print_error("%s", sentence);
    *exit_code = passctl_error_exit_code(error);
  }
  return reply;
}

JsonObject *
passctl_call_once(PassctlContext *ctx, const char *method, JsonObject *parameters, int *exit_code)
{
  g_autoptr(PassVarlinkClient) client = passctl_connect(ctx, exit_code);

  if (client == NULL)
    return NULL;
  return passctl_call(client, method, parameters, exit_code);
}

char *
passctl_call_once_raw(PassctlContext *ctx, const char *method, JsonObject *parameters,
                      gsize *length, int *exit_code)
{
  g_autoptr(PassVarlinkClient) client = passctl_connect(ctx, exit_code);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) error_parameters = NULL;
  char *text;

  if (client == NULL)
    return NULL;
  text =
      pass_varlink_client_call_raw(client, method, parameters, length, &error_parameters, &error);
  if (text == NULL) {
    g_autofree char *sentence = passctl_error_sentence(error, error_parameters);

    passctl_print_error("%s", sentence);
    *exit_code = passctl_error_exit_code(error);
  }
  return text;
}

gboolean
passctl_parse_options(GOptionContext *optctx, const char *command, int *argc, char ***argv,
                      int *exit_code)
{
  g_autoptr(GError) error = NULL;

  if (!g_option_context_parse(optctx, argc, argv, &error)) {
    *exit_code = passctl_usage_error(command, "%s", error->message);
    return FALSE;
  }
  return TRUE;
}
