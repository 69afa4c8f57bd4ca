/* passctl attach: pass a host PCI device through to a domain (Attach). */
#include "passctl.h"

int
passctl_cmd_attach(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("DOMAIN ADDRESS");
  g_autoptr(JsonObject) params = json_object_new();
  g_autofree char *address = NULL;
  gboolean live = FALSE, config = FALSE, whole_group = FALSE, force = FALSE, interface = FALSE;
  gboolean dry_run = FALSE, json = FALSE;
  int exit_code = PASSCTL_EXIT_OK;
  const GOptionEntry entries[] = {
      {"live", 0, 0, G_OPTION_ARG_NONE, &live, "Hot-plug into the running domain", NULL},
      {"config", 0, 0, G_OPTION_ARG_NONE, &config, "Add to the persistent definition", NULL},
      {"whole-group", 0, 0, G_OPTION_ARG_NONE, &whole_group,
       "Take every endpoint of the device's IOMMU group along", NULL},
      {"force", 0, 0, G_OPTION_ARG_NONE, &force, "Pass through even a device the host needs", NULL},
      {"interface", 0, 0, G_OPTION_ARG_NONE, &interface,
       "Add as <interface type='hostdev'> (NIC VFs) rather than <hostdev>", NULL},
      {"dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run,
       "Only print the steps and the XML, change nothing", NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(
      optctx, "Pass a host PCI device through to DOMAIN: take it from its host driver for\n"
              "vfio-pci and add it to the domain. Without --live and --config: the persistent\n"
              "definition if the domain has one, and the running domain too if it runs.\n"
              "ADDRESS is dddd:bb:ss.f, bb:ss.f or a libvirt name (pci_dddd_bb_ss_f).");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "attach", &argc, &argv, &exit_code))
    return exit_code;
  address = passctl_parse_domain_address("attach", argc, argv, &exit_code);
  if (address == NULL)
    return exit_code;

  json_object_set_string_member(params, "domain", argv[1]);
  json_object_set_string_member(params, "address", address);
  passctl_set_flag(params, "live", live);
  passctl_set_flag(params, "config", config);
  passctl_set_flag(params, "whole_group", whole_group);
  passctl_set_flag(params, "force", force);
  passctl_set_flag(params, "interface", interface);
  passctl_set_flag(params, "dry_run", dry_run);
  return passctl_run_actions(ctx, "io.passd.Manager.Attach", params, dry_run, json);
}
