/* passctl reattach: give a detached device no domain holds back to its host driver. */
#include "passctl.h"

int
passctl_cmd_reattach(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("ADDRESS");
  g_autoptr(JsonObject) params = json_object_new();
  g_autofree char *address = NULL;
  gboolean dry_run = FALSE, json = FALSE;
  int exit_code = PASSCTL_EXIT_OK;
  const GOptionEntry entries[] = {
      {"dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, "Only print the steps, change nothing", NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(
      optctx, "Give a device that no domain holds back to the host driver it had before passd\n"
              "took it. ADDRESS is dddd:bb:ss.f, bb:ss.f or a libvirt name (pci_dddd_bb_ss_f).");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "reattach", &argc, &argv, &exit_code))
    return exit_code;
  if (argc < 2)
    return passctl_usage_error("reattach", "missing the device address");
  if (argc > 2)
    return passctl_usage_error("reattach", "unexpected argument '%s'", argv[2]);
  address = passctl_parse_address("reattach", argv[1], &exit_code);
  if (address == NULL)
    return exit_code;

  json_object_set_string_member(params, "address", address);
  passctl_set_flag(params, "dry_run", dry_run);
  return passctl_run_actions(ctx, "io.passd.Manager.Reattach", params, dry_run, json);
}
