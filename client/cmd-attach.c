/* passctl attach: pass a host PCI device through to a domain (Attach). */
#include "passctl.h"

#include "pass-mac.h"
#include <stdio.h>

#include "format.h"

/* What the pool and mdev-type forms share: the common flags, the call, and --json's output.
 * NULL when there is nothing more to print (*exit_code says how it went). */
static JsonObject *
send_attach(PassctlContext *ctx, JsonObject *params, gboolean live, gboolean config, gboolean force,
            gboolean dry_run, gboolean json, int *exit_code)
{
  JsonObject *reply;

  passctl_set_flag(params, "live", live);
  passctl_set_flag(params, "config", config);
  passctl_set_flag(params, "force", force);
  passctl_set_flag(params, "dry_run", dry_run);
  reply = passctl_call_once(ctx, "io.passd.Manager.Attach", params, exit_code);
  if (reply != NULL && json) {
    g_autofree char *text = passctl_json_to_text(reply, TRUE);

    fputs(text, stdout);
    json_object_unref(reply);
    *exit_code = PASSCTL_EXIT_OK;
    return NULL;
  }
  return reply;
}

/* attach DOMAIN --pool NAME: the picks with their reasons, then the steps. */
static int
attach_pool(PassctlContext *ctx, int argc, char **argv, const char *pool, int count,
            const char *numa, const char *policy, gboolean live, gboolean config, gboolean force,
            gboolean dry_run, gboolean json)
{
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *picks = NULL, *actions = NULL;
  int exit_code = PASSCTL_EXIT_OK;

  if (argc < 2)
    return passctl_usage_error("attach", "missing the domain name");
  if (argc > 2)
    return passctl_usage_error("attach", "--pool takes no device address ('%s')", argv[2]);
  if (count < 0 || count > 64)
    return passctl_usage_error("attach", "--count: %d is not from 1 to 64", count);
  if (numa &&
      !g_strv_contains((const char *const[]){"required", "preferred", "ignore", NULL}, numa))
    return passctl_usage_error("attach", "--numa: '%s' is not required, preferred or ignore", numa);
  if (policy && !g_strv_contains((const char *const[]){"spread", "pack", NULL}, policy))
    return passctl_usage_error("attach", "--policy: '%s' is not spread or pack", policy);
  json_object_set_string_member(params, "domain", argv[1]);
  json_object_set_string_member(params, "pool", pool);
  if (count)
    json_object_set_int_member(params, "count", count);
  if (numa)
    json_object_set_string_member(params, "numa", numa);
  if (policy)
    json_object_set_string_member(params, "policy", policy);
  reply = send_attach(ctx, params, live, config, force, dry_run, json, &exit_code);
  if (reply == NULL)
    return exit_code;
  picks = passctl_format_picks(reply, dry_run);
  actions = passctl_format_actions(passctl_json_array(reply, "actions"), dry_run);
  fputs(picks, stdout);
  fputs(actions, stdout);
  return PASSCTL_EXIT_OK;
}

/* attach DOMAIN --mdev-type TYPE: the instance made and why its parent, then the steps. */
static int
attach_mdev_type(PassctlContext *ctx, int argc, char **argv, const char *type, const char *parent,
                 gboolean persistent, gboolean live, gboolean config, gboolean force,
                 gboolean dry_run, gboolean json)
{
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *actions = NULL;
  JsonArray *picks;
  int exit_code = PASSCTL_EXIT_OK;

  if (argc < 2)
    return passctl_usage_error("attach", "missing the domain name");
  if (argc > 2)
    return passctl_usage_error("attach", "--mdev-type takes no device address ('%s')", argv[2]);
  json_object_set_string_member(params, "domain", argv[1]);
  json_object_set_string_member(params, "mdev_type", type);
  if (parent)
    json_object_set_string_member(params, "parent", parent);
  passctl_set_flag(params, "persistent", persistent);
  reply = send_attach(ctx, params, live, config, force, dry_run, json, &exit_code);
  if (reply == NULL)
    return exit_code;
  picks = passctl_json_array(reply, "picks");
  for (guint i = 0; picks && i < json_array_get_length(picks); i++) {
    JsonObject *pick = json_array_get_object_element(picks, i);

    printf("%s%s\n  parent %s: %s\n", dry_run ? "would create " : "",
           json_object_get_string_member(pick, "address"),
           json_object_get_string_member(pick, "pf"),
           json_object_get_string_member(pick, "reason"));
  }
  actions = passctl_format_actions(passctl_json_array(reply, "actions"), dry_run);
  fputs(actions, stdout);
  return PASSCTL_EXIT_OK;
}

int
passctl_cmd_attach(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx =
      g_option_context_new("DOMAIN {ADDRESS | --pool NAME | --mdev-type TYPE}");
  g_autoptr(JsonObject) params = json_object_new();
  g_autofree char *address = NULL;
  g_autofree char *mac = NULL, *vlan = NULL, *mac_canonical = NULL;
  guint64 vlan_id = 0;
  gboolean live = FALSE, config = FALSE, whole_group = FALSE, force = FALSE, interface = FALSE;
  gboolean dry_run = FALSE, json = FALSE;
  g_autofree char *pool = NULL, *numa = NULL, *policy = NULL;
  g_autofree char *mdev_type = NULL, *parent = NULL;
  gboolean persistent = FALSE;
  int count = 0;
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
      /* pools */
      {"pool", 0, 0, G_OPTION_ARG_STRING, &pool,
       "Take VFs from pool NAME instead of naming a device (passd chooses and says why)", "NAME"},
      {"count", 0, 0, G_OPTION_ARG_INT, &count, "With --pool: how many VFs, 1 to 64 (default 1)",
       "N"},
      {"numa", 0, 0, G_OPTION_ARG_STRING, &numa,
       "With --pool: required, preferred (default) or ignore the domain's NUMA nodes", "MODE"},
      {"policy", 0, 0, G_OPTION_ARG_STRING, &policy,
       "With --pool: spread (default; least-loaded PF, distinct PFs) or pack (fill one PF)",
       "POLICY"},
      /* mediated devices */
      {"mdev-type", 0, 0, G_OPTION_ARG_STRING, &mdev_type,
       "Create an mdev of TYPE on the parent with the most left, and attach it", "TYPE"},
      {"parent", 0, 0, G_OPTION_ARG_STRING, &parent, "With --mdev-type: only this parent",
       "PARENT"},
      {"persistent", 0, 0, G_OPTION_ARG_NONE, &persistent,
       "With --mdev-type: define the instance and keep it on detach (default: removed)", NULL},
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
  if (mdev_type && pool)
    return passctl_usage_error("attach", "--mdev-type and --pool exclude each other");
  if (!mdev_type && (parent || persistent))
    return passctl_usage_error("attach", "--parent and --persistent go with --mdev-type");
  if (mdev_type && (count || numa || policy || interface || whole_group || mac || vlan))
    return passctl_usage_error("attach", "--mdev-type takes none of --count, --numa, --policy, "
                                         "--interface, --whole-group, --mac, --vlan");
  if (mdev_type)
    return attach_mdev_type(ctx, argc, argv, mdev_type, parent, persistent, live, config, force,
                            dry_run, json);
  if (pool)
    return attach_pool(ctx, argc, argv, pool, count, numa, policy, live, config, force, dry_run,
                       json);
  if (count || numa || policy)
    return passctl_usage_error("attach", "--count, --numa and --policy go with --pool");
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
