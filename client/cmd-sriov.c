/* passctl sriov: the SR-IOV physical functions (GetSriov) and their VF counts (SetNumVFs). */
#include "passctl.h"

#include <stdio.h>

#include "format.h"

static int
sriov_show(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("[PF]");
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *pf = NULL, *text = NULL;
  gboolean json = FALSE;
  int exit_code = PASSCTL_EXIT_OK;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(
      optctx, "Show every SR-IOV physical function (or only PF): its VF count against the most\n"
              "it supports and the count passd keeps for it, sriov_drivers_autoprobe, and each\n"
              "VF with its driver, owners and NUMA node.");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "sriov", &argc, &argv, &exit_code))
    return exit_code;
  if (argc > 2)
    return passctl_usage_error("sriov", "unexpected argument '%s'", argv[2]);
  if (argc == 2) {
    pf = passctl_parse_address("sriov", argv[1], &exit_code);
    if (pf == NULL)
      return exit_code;
    json_object_set_string_member(params, "pf", pf);
  }
  reply = passctl_call_once(ctx, "io.passd.Manager.GetSriov", params, &exit_code);
  if (reply == NULL)
    return exit_code;
  text = json ? passctl_json_to_text(reply, TRUE)
              : passctl_format_sriov(passctl_json_array(reply, "pfs"));
  fputs(text, stdout);
  return PASSCTL_EXIT_OK;
}

static int
sriov_set(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("PF COUNT");
  g_autoptr(JsonObject) params = json_object_new();
  g_autofree char *pf = NULL;
  gboolean autoprobe = FALSE, no_autoprobe = FALSE, force = FALSE, dry_run = FALSE, json = FALSE;
  guint64 count;
  int exit_code = PASSCTL_EXIT_OK;
  const GOptionEntry entries[] = {
      {"no-autoprobe", 0, 0, G_OPTION_ARG_NONE, &no_autoprobe,
       "Keep new VFs off host drivers (sriov_drivers_autoprobe=0), ready for vfio-pci", NULL},
      {"autoprobe", 0, 0, G_OPTION_ARG_NONE, &autoprobe,
       "Let host drivers probe new VFs (sriov_drivers_autoprobe=1)", NULL},
      {"force", 0, 0, G_OPTION_ARG_NONE, &force,
       "Destroy VFs that are only bound to vfio-pci (never VFs a domain holds)", NULL},
      {"dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, "Only print the step, change nothing", NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(
      optctx, "Give the SR-IOV physical function PF COUNT VFs, and keep that count: passd sets\n"
              "it again when it starts. Any change of the count destroys every VF of PF and\n"
              "creates new ones, so it is refused while a domain holds one of them or one is on\n"
              "vfio-pci (--force for those). Without --autoprobe or --no-autoprobe,\n"
              "sriov_drivers_autoprobe stays as it is. PF is dddd:bb:ss.f, bb:ss.f or a libvirt\n"
              "name (pci_dddd_bb_ss_f).");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "sriov", &argc, &argv, &exit_code))
    return exit_code;
  if (argc < 3)
    return passctl_usage_error("sriov", argc < 2 ? "missing the PF and the VF count"
                                                 : "missing the VF count");
  if (argc > 3)
    return passctl_usage_error("sriov", "unexpected argument '%s'", argv[3]);
  if (autoprobe && no_autoprobe)
    return passctl_usage_error("sriov", "--autoprobe and --no-autoprobe contradict each other");
  pf = passctl_parse_address("sriov", argv[1], &exit_code);
  if (pf == NULL)
    return exit_code;
  if (!g_ascii_string_to_unsigned(argv[2], 10, 0, 4096, &count, NULL))
    return passctl_usage_error("sriov", "'%s' is not a VF count from 0 to 4096", argv[2]);

  json_object_set_string_member(params, "pf", pf);
  json_object_set_int_member(params, "count", (gint64)count);
  if (autoprobe || no_autoprobe)
    json_object_set_boolean_member(params, "autoprobe", autoprobe);
  passctl_set_flag(params, "force", force);
  passctl_set_flag(params, "dry_run", dry_run);
  return passctl_run_actions(ctx, "io.passd.Manager.SetNumVFs", params, dry_run, json);
}

int
passctl_cmd_sriov(PassctlContext *ctx, int argc, char **argv)
{
  g_autofree char *prgname = NULL;

  if (argc >= 2 && (g_str_equal(argv[1], "show") || g_str_equal(argv[1], "set"))) {
    prgname = g_strdup_printf("passctl sriov %s", argv[1]);
    g_set_prgname(prgname);
    return g_str_equal(argv[1], "show") ? sriov_show(ctx, argc - 1, argv + 1)
                                        : sriov_set(ctx, argc - 1, argv + 1);
  }
  if (argc >= 2 && (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h"))) {
    g_autoptr(GOptionContext) optctx = g_option_context_new("show [PF] | set PF COUNT");
    int exit_code = PASSCTL_EXIT_OK;

    g_option_context_set_summary(
        optctx, "SR-IOV physical functions and their VF counts:\n"
                "  show [PF]      every PF (or one): VFs, the count passd keeps, autoprobe\n"
                "  set PF COUNT   set the VF count (and keep it across restarts)\n"
                "Run 'passctl sriov show --help' or 'passctl sriov set --help' for options.");
    passctl_parse_options(optctx, "sriov", &argc, &argv, &exit_code);
    return exit_code;
  }
  if (argc < 2)
    return passctl_usage_error("sriov", "missing 'show' or 'set'");
  return passctl_usage_error("sriov", "unknown subcommand '%s' (show or set)", argv[1]);
}
