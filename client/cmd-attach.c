/* passctl attach: pass a host PCI device through to a domain (Attach). */
#include "passctl.h"

#include "pass-mac.h"

int
passctl_cmd_attach(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("DOMAIN ADDRESS");
  g_autoptr(JsonObject) params = json_object_new();
  g_autofree char *address = NULL;
  g_autofree char *mac = NULL, *vlan = NULL, *mac_canonical = NULL;
  guint64 vlan_id = 0;
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
      {"mac", 0, 0, G_OPTION_ARG_STRING, &mac,
       "With --interface: the guest's MAC (default: one derived from DOMAIN and ADDRESS)", "MAC"},
      {"vlan", 0, 0, G_OPTION_ARG_STRING, &vlan,
       "With --interface: the VLAN tag (1-4094) the PF puts the VF's traffic in", "ID"},
      {"dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run,
       "Only print the steps and the XML, change nothing", NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(
      optctx, "Pass a host PCI device through to DOMAIN: take it from its host driver for\n"
              "vfio-pci and add it to the domain. Without --live and --config: the persistent\n"
              "definition if the domain has one, and the running domain too if it runs.\n"
              "ADDRESS is dddd:bb:ss.f, bb:ss.f or a libvirt name (pci_dddd_bb_ss_f).\n"
              "With --interface, libvirt programs the MAC and the VLAN on the VF through its\n"
              "PF; without --mac the MAC is derived from DOMAIN and ADDRESS, the same each time.");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "attach", &argc, &argv, &exit_code))
    return exit_code;
  /* A MAC or VLAN without --interface would be dropped: refused here, like passd does. */
  if ((mac != NULL || vlan != NULL) && !interface)
    return passctl_usage_error("attach", "--%s needs --interface", mac != NULL ? "mac" : "vlan");
  if (mac != NULL) {
    g_autoptr(GError) error = NULL;

    mac_canonical = pass_mac_canonicalize(mac, &error);
    if (mac_canonical == NULL)
      return passctl_usage_error("attach", "%s", error->message);
  }
  /* Parsed here rather than by GOption so that a bad one is named and refused. */
  if (vlan != NULL && !g_ascii_string_to_unsigned(vlan, 10, 1, 4094, &vlan_id, NULL))
    return passctl_usage_error("attach", "'%s' is not a valid --vlan (expected 1 to 4094)", vlan);
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
  if (mac_canonical != NULL)
    json_object_set_string_member(params, "mac", mac_canonical);
  if (vlan != NULL)
    json_object_set_int_member(params, "vlan", (gint64)vlan_id);
  passctl_set_flag(params, "dry_run", dry_run);
  return passctl_run_actions(ctx, "io.passd.Manager.Attach", params, dry_run, json);
}
