/* passctl mdev: mediated device types (ListMdevTypes), creating (CreateMdev) and removing
 * (RemoveMdev) instances. Attaching one is passctl attach DOMAIN mdev:UUID. */
#include "passctl.h"

#include <stdio.h>

#include "format.h"

static int
mdev_types(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new(NULL);
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *text = NULL;
  gboolean json = FALSE;
  int exit_code = PASSCTL_EXIT_OK;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(optctx,
                               "Show every mdev parent's types: the type id, how many more\n"
                               "instances the parent can create, its device API and name.");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "mdev", &argc, &argv, &exit_code))
    return exit_code;
  if (argc > 1)
    return passctl_usage_error("mdev", "unexpected argument '%s'", argv[1]);
  reply = passctl_call_once(ctx, "io.passd.Manager.ListMdevTypes", json_object_new(), &exit_code);
  if (reply == NULL)
    return exit_code;
  text = json ? passctl_json_to_text(reply, TRUE)
              : passctl_format_mdev_types(passctl_json_array(reply, "types"),
                                          passctl_terminal_width());
  fputs(text, stdout);
  return PASSCTL_EXIT_OK;
}

static int
mdev_create(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("PARENT TYPE");
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *uuid = NULL;
  gboolean persistent = FALSE, autostart = FALSE, json = FALSE;
  int exit_code = PASSCTL_EXIT_OK;
  const GOptionEntry entries[] = {
      {"uuid", 0, 0, G_OPTION_ARG_STRING, &uuid, "The new mdev's UUID (default: a fresh one)",
       "UUID"},
      {"persistent", 0, 0, G_OPTION_ARG_NONE, &persistent,
       "Define it through libvirt (mdevctl), so it can be started again", NULL},
      {"autostart", 0, 0, G_OPTION_ARG_NONE, &autostart,
       "Create it again at every boot (implies --persistent)", NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(
      optctx, "Create a mediated device of TYPE on PARENT (as 'passctl mdev types' lists them:\n"
              "a PCI address or a virtual parent such as mtty) and print its id, mdev:UUID.\n"
              "Transient unless --persistent or --autostart.");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "mdev", &argc, &argv, &exit_code))
    return exit_code;
  if (argc < 3)
    return passctl_usage_error("mdev",
                               argc < 2 ? "missing the parent and the type" : "missing the type");
  if (argc > 3)
    return passctl_usage_error("mdev", "unexpected argument '%s'", argv[3]);
  json_object_set_string_member(params, "parent", argv[1]);
  json_object_set_string_member(params, "type", argv[2]);
  if (uuid)
    json_object_set_string_member(params, "uuid", uuid);
  passctl_set_flag(params, "persistent", persistent || autostart);
  passctl_set_flag(params, "autostart", autostart);
  reply = passctl_call_once(ctx, "io.passd.Manager.CreateMdev", params, &exit_code);
  if (reply == NULL)
    return exit_code;
  if (json) {
    g_autofree char *text = passctl_json_to_text(reply, TRUE);
    fputs(text, stdout);
  } else {
    printf("%s\n", passctl_json_string(reply, "address") ?: "?");
  }
  return PASSCTL_EXIT_OK;
}

static int
mdev_remove(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("mdev:UUID");
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *address = NULL;
  int exit_code = PASSCTL_EXIT_OK;

  g_option_context_set_summary(optctx,
                               "Destroy a mediated device (and undefine it when persistent).\n"
                               "Refused while a domain holds it: detach it first.");
  if (!passctl_parse_options(optctx, "mdev", &argc, &argv, &exit_code))
    return exit_code;
  if (argc < 2)
    return passctl_usage_error("mdev", "missing the mdev (mdev:UUID)");
  if (argc > 2)
    return passctl_usage_error("mdev", "unexpected argument '%s'", argv[2]);
  address = passctl_parse_device("mdev", argv[1], &exit_code);
  if (address == NULL)
    return exit_code;
  if (!g_str_has_prefix(address, "mdev:"))
    return passctl_usage_error("mdev", "'%s' is no mediated device (mdev:UUID)", argv[1]);
  json_object_set_string_member(params, "address", address);
  reply = passctl_call_once(ctx, "io.passd.Manager.RemoveMdev", params, &exit_code);
  if (reply == NULL)
    return exit_code;
  printf("removed %s\n", address);
  return PASSCTL_EXIT_OK;
}

int
passctl_cmd_mdev(PassctlContext *ctx, int argc, char **argv)
{
  static const struct {
    const char *name;
    int (*func)(PassctlContext *ctx, int argc, char **argv);
  } subcommands[] = {{"types", mdev_types}, {"create", mdev_create}, {"remove", mdev_remove}};

  for (gsize i = 0; argc >= 2 && i < G_N_ELEMENTS(subcommands); i++) {
    if (g_str_equal(argv[1], subcommands[i].name)) {
      g_autofree char *prgname = g_strdup_printf("passctl mdev %s", argv[1]);

      g_set_prgname(prgname);
      return subcommands[i].func(ctx, argc - 1, argv + 1);
    }
  }
  if (argc >= 2 && (g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h"))) {
    g_autoptr(GOptionContext) optctx =
        g_option_context_new("types | create PARENT TYPE | remove mdev:UUID");
    int exit_code = PASSCTL_EXIT_OK;

    g_option_context_set_summary(
        optctx, "Mediated devices (mdev):\n"
                "  types                 every parent's types and what each can still create\n"
                "  create PARENT TYPE    create one; prints mdev:UUID\n"
                "  remove mdev:UUID      destroy one no domain holds\n"
                "Attach one with 'passctl attach DOMAIN mdev:UUID'.");
    passctl_parse_options(optctx, "mdev", &argc, &argv, &exit_code);
    return exit_code;
  }
  if (argc < 2)
    return passctl_usage_error("mdev", "missing 'types', 'create' or 'remove'");
  return passctl_usage_error("mdev", "unknown subcommand '%s' (types, create or remove)", argv[1]);
}
