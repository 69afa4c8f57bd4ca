/* passctl detach: take a device from a domain and give it back to its host driver (Detach). */
#include "passctl.h"

int
passctl_cmd_detach(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("DOMAIN ADDRESS");
  g_autoptr(JsonObject) params = json_object_new();
  g_autofree char *address = NULL;
  gboolean live = FALSE, config = FALSE, dry_run = FALSE, json = FALSE;
  g_autofree char *timeout = NULL;
  guint64 seconds = 0;
  int exit_code = PASSCTL_EXIT_OK;
  const GOptionEntry entries[] = {
      {"live", 0, 0, G_OPTION_ARG_NONE, &live, "Only hot-unplug from the running domain", NULL},
      {"config", 0, 0, G_OPTION_ARG_NONE, &config, "Only remove from the persistent definition",
       NULL},
      {"timeout", 0, 0, G_OPTION_ARG_STRING, &timeout,
       "Seconds to wait for the guest to release the device (passd's default: 20)", "SECONDS"},
      {"dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run,
       "Only print the steps and the XML, change nothing", NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(
      optctx, "Take a device from DOMAIN (hot-unplug and/or removal from the persistent\n"
              "definition; default: wherever it is), then give it back to the host driver it\n"
              "had before passd took it. If the guest does not let go in time, the device\n"
              "stays assigned and passd finishes by itself once it does.\n"
              "ADDRESS is dddd:bb:ss.f, bb:ss.f or a libvirt name (pci_dddd_bb_ss_f).");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "detach", &argc, &argv, &exit_code))
    return exit_code;
  /* Parsed here rather than by GOption so a missing option stays missing (passd's default)
   * and a negative one is refused. */
  if (timeout != NULL && !g_ascii_string_to_unsigned(timeout, 10, 0, G_MAXINT32, &seconds, NULL))
    return passctl_usage_error("detach", "'%s' is not a valid --timeout (expected whole seconds)",
                               timeout);
  address = passctl_parse_domain_address("detach", argc, argv, &exit_code);
  if (address == NULL)
    return exit_code;

  json_object_set_string_member(params, "domain", argv[1]);
  json_object_set_string_member(params, "address", address);
  passctl_set_flag(params, "live", live);
  passctl_set_flag(params, "config", config);
  if (timeout != NULL)
    json_object_set_int_member(params, "timeout", (gint64)seconds);
  passctl_set_flag(params, "dry_run", dry_run);
  return passctl_run_actions(ctx, "io.passd.Manager.Detach", params, dry_run, json);
}
