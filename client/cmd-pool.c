/* passctl pool define (DefinePool) and passctl pool undefine (UndefinePool). */
#include "passctl.h"

#include <stdio.h>

#include "format.h"

static int
pool_define(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("NAME");
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *vendor = NULL, *product = NULL, *driver = NULL, *kind = NULL, *numa = NULL;
  g_auto(GStrv) pfs = NULL;
  gboolean json = FALSE;
  int exit_code = PASSCTL_EXIT_OK;
  const GOptionEntry entries[] = {
      {"vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, "The VFs' vendor id (8086, 0x8086)", "ID"},
      {"product", 0, 0, G_OPTION_ARG_STRING, &product, "The VFs' product id", "ID"},
      {"driver", 0, 0, G_OPTION_ARG_STRING, &driver, "The VFs' driver", "DRIVER"},
      {"pf", 0, 0, G_OPTION_ARG_STRING_ARRAY, &pfs,
       "A PF and which of its VFs: ADDRESS|NETDEV[#RANGES], e.g. 0000:3b:00.0#0-3,6 (repeat for "
       "more PFs)",
       "PF"},
      {"numa", 0, 0, G_OPTION_ARG_STRING, &numa, "The VFs' NUMA node", "N"},
      {"kind", 0, 0, G_OPTION_ARG_STRING, &kind,
       "pci (default): attach as <hostdev>; net: as <interface type='hostdev'>", "KIND"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(
      optctx, "Define pool NAME at run time (kept across restarts): the VFs that match every\n"
              "selector given. At least one selector.");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "pool define", &argc, &argv, &exit_code))
    return exit_code;
  if (argc < 2)
    return passctl_usage_error("pool define", "missing the pool's name");
  if (argc > 2)
    return passctl_usage_error("pool define", "unexpected argument '%s'", argv[2]);
  json_object_set_string_member(params, "name", argv[1]);
  if (kind)
    json_object_set_string_member(params, "kind", kind);
  if (vendor)
    json_object_set_string_member(params, "vendor_id", vendor);
  if (product)
    json_object_set_string_member(params, "product_id", product);
  if (driver)
    json_object_set_string_member(params, "driver", driver);
  if (pfs) {
    JsonArray *array = json_array_new();

    for (guint i = 0; pfs[i]; i++)
      json_array_add_string_element(array, pfs[i]);
    json_object_set_array_member(params, "pfs", array);
  }
  if (numa) {
    guint64 node;

    if (!g_ascii_string_to_unsigned(numa, 10, 0, 1023, &node, NULL))
      return passctl_usage_error("pool define", "--numa: '%s' is not a NUMA node (0 to 1023)",
                                 numa);
    json_object_set_int_member(params, "numa_node", (gint64)node);
  }
  reply = passctl_call_once(ctx, "io.passd.Manager.DefinePool", params, &exit_code);
  if (reply == NULL)
    return exit_code;
  if (json) {
    g_autofree char *text = passctl_json_to_text(reply, TRUE);

    fputs(text, stdout);
  } else {
    JsonArray *one = json_array_new();
    g_autofree char *text = NULL;
    JsonObject *pool = passctl_json_object(reply, "pool");

    if (pool)
      json_array_add_object_element(one, json_object_ref(pool));
    text = passctl_format_pools(one);
    json_array_unref(one);
    fputs(text, stdout);
  }
  return PASSCTL_EXIT_OK;
}

static int
pool_undefine(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("NAME");
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  int exit_code = PASSCTL_EXIT_OK;

  g_option_context_set_summary(optctx, "Forget pool NAME, defined at run time. VFs attached from "
                                       "it stay attached.");
  if (!passctl_parse_options(optctx, "pool undefine", &argc, &argv, &exit_code))
    return exit_code;
  if (argc < 2)
    return passctl_usage_error("pool undefine", "missing the pool's name");
  if (argc > 2)
    return passctl_usage_error("pool undefine", "unexpected argument '%s'", argv[2]);
  json_object_set_string_member(params, "name", argv[1]);
  reply = passctl_call_once(ctx, "io.passd.Manager.UndefinePool", params, &exit_code);
  if (reply == NULL)
    return exit_code;
  printf("pool %s undefined\n", argv[1]);
  return PASSCTL_EXIT_OK;
}

int
passctl_cmd_pool(PassctlContext *ctx, int argc, char **argv)
{
  if (argc >= 2 && g_str_equal(argv[1], "define")) {
    g_set_prgname("passctl pool define");
    return pool_define(ctx, argc - 1, argv + 1);
  }
  if (argc >= 2 && g_str_equal(argv[1], "undefine")) {
    g_set_prgname("passctl pool undefine");
    return pool_undefine(ctx, argc - 1, argv + 1);
  }
  if (argc >= 2 && (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h"))) {
    printf("Usage:\n  passctl pool define NAME [--vendor ID] [--product ID] [--driver DRIVER] "
           "[--pf PF]... [--numa N] [--kind pci|net]\n  passctl pool undefine NAME\n\n"
           "Define or undefine a pool at run time; 'passctl pool define --help' for the "
           "options.\n");
    return PASSCTL_EXIT_OK;
  }
  if (argc < 2)
    return passctl_usage_error("pool", "missing 'define' or 'undefine'");
  return passctl_usage_error("pool", "unknown subcommand '%s' (define, undefine)", argv[1]);
}
