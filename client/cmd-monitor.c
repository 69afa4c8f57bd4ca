/* passctl monitor: follow Watch and print each event as it arrives. */
#include "passctl.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "format.h"

typedef struct {
  gboolean json;
} Monitor;

/* Ctrl-C is how a user stops following: a normal end, not a failure. Every line is flushed as
 * it is printed, so there is nothing left to write and _exit() is safe here. */
static void
on_stop_signal(int signo)
{
  _exit(PASSCTL_EXIT_OK);
}

static gboolean
on_event(JsonObject *parameters, gboolean continues, gpointer user_data)
{
  Monitor *monitor = user_data;
  JsonObject *event = passctl_json_object(parameters, "event");
  g_autofree char *line = NULL;

  if (monitor->json) {
    /* Every reply, "subscribed" included: scripts wait for it to know the stream is live. */
    line = passctl_json_to_text(parameters, FALSE);
  } else if (event != NULL) {
    g_autoptr(GTimeZone) local = g_time_zone_new_local();
    g_autofree char *time = passctl_event_time(event, local);

    line = passctl_format_event(event, time);
  }
  if (line != NULL) {
    fputs(line, stdout);
    fflush(stdout);
  }
  return TRUE;
}

int
passctl_cmd_monitor(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new(NULL);
  g_autoptr(PassVarlinkClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) error_parameters = NULL;
  Monitor monitor = {0};
  int exit_code = PASSCTL_EXIT_OK;
  struct sigaction action = {0};
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &monitor.json,
       "Print each reply's parameters as one line of JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(optctx, "Print device and hypervisor events as they happen, "
                                       "until interrupted.");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "monitor", &argc, &argv, &exit_code))
    return exit_code;
  if (argc > 1)
    return passctl_usage_error("monitor", "unexpected argument '%s'", argv[1]);

  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);

  client = passctl_connect(ctx, &exit_code);
  if (client == NULL)
    return exit_code;
  if (!pass_varlink_client_call_more(client, "io.passd.Manager.Watch", NULL, on_event, &monitor,
                                     &error_parameters, &error)) {
    g_autofree char *sentence = passctl_error_sentence(error, error_parameters);

    passctl_print_error("%s", sentence);
    return passctl_error_exit_code(error);
  }
  /* Watch never ends on its own while passd runs. */
  passctl_print_error("passd closed the connection");
  return PASSCTL_EXIT_UNREACHABLE;
}
