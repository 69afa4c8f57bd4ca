/* passctl check: the host doctor (CheckHost). Exits 1 when any check fails, so scripts can
 * gate on it. */
#include "passctl.h"

#include <stdio.h>

#include "format.h"

int
passctl_cmd_check(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("[ADDRESS]");
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *address = NULL;
  g_autofree char *text = NULL;
  gboolean json = FALSE;
  int exit_code = PASSCTL_EXIT_OK;
  JsonArray *checks;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(optctx,
                               "Check that this host is ready for PCI passthrough: CPU "
                               "virtualisation, /dev/kvm, the IOMMU, the kernel command line, "
                               "the vfio modules, libvirt; with ADDRESS also that device (IOMMU "
                               "group, ACS, reset, SR-IOV, host use). Reads only.");
  g_option_context_set_description(optctx, "Exit status: 0 when no check fails (warnings "
                                           "included), 1 when any fails; else as passctl --help "
                                           "says.");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "check", &argc, &argv, &exit_code))
    return exit_code;
  if (argc > 2)
    return passctl_usage_error("check", "unexpected argument '%s'", argv[2]);
  if (argc == 2) {
    address = passctl_parse_address("check", argv[1], &exit_code);
    if (address == NULL)
      return exit_code;
    json_object_set_string_member(params, "address", address);
  }

  reply = passctl_call_once(ctx, "io.passd.Manager.CheckHost", params, &exit_code);
  if (reply == NULL)
    return exit_code;
  checks = passctl_json_array(reply, "checks");
  text = json ? passctl_json_to_text(reply, TRUE) : passctl_format_checks(checks);
  fputs(text, stdout);
  return passctl_checks_failed(checks) > 0 ? PASSCTL_EXIT_FAILED : PASSCTL_EXIT_OK;
}
