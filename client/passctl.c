/* passctl: command-line client of passd. Global options, then a command from the table. */
#include "passctl.h"

#include <locale.h>
#include <stdio.h>

#include "pass-config.h"

/* One row per command; each lives in cmd-NAME.c. */
static const PassctlCommand commands[] = {
    {"list", passctl_cmd_list, "List host PCI devices (--tree for the topology)"},
    {"show", passctl_cmd_show, "Show one device in full, with its IOMMU group"},
    {"status", passctl_cmd_status, "Show passd's version and libvirt connection"},
    {"monitor", passctl_cmd_monitor, "Print device events as they happen"},
    {"attach", passctl_cmd_attach, "Pass a device through to a domain"},
    {"detach", passctl_cmd_detach, "Take a device from a domain, back to its host driver"},
    {"reattach", passctl_cmd_reattach, "Give an unowned device back to its host driver"},
    {"vm", passctl_cmd_vm, "Show the host devices a domain holds"},
    {"check", passctl_cmd_check, "Check the host (and a device) for passthrough"},
    /* pools */
    {"pools", passctl_cmd_pools, "List the VF pools and what their VFs are doing"},
    {"pool", passctl_cmd_pool, "Define or undefine a pool at run time"},
    {"balance", passctl_cmd_balance, "VFs in use per PF and NUMA node; --plan/--apply even it"},
    {"sriov", passctl_cmd_sriov, "Show SR-IOV PFs and set their VF counts"},
    {"mdev", passctl_cmd_mdev, "Mediated device types; create and remove mdevs"},
};

static const PassctlCommand *
find_command(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    if (g_str_equal(commands[i].name, name))
      return &commands[i];
  return NULL;
}

static char *
main_description(void)
{
  g_autoptr(GString) text = g_string_new("Commands:\n");
  g_autofree char *exit_codes = passctl_exit_code_help();

  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    g_string_append_printf(text, "  %-10s%s\n", commands[i].name, commands[i].summary);
  g_string_append_printf(text, "  %-10s%s\n", "help", "Show this help, or a command's");
  g_string_append(text,
                  "\nRun 'passctl COMMAND --help' for a command's options.\n"
                  "The socket is --socket, else $PASSD_SOCKET, else " PASS_DEFAULT_SOCKET ".\n\n");
  g_string_append(text, exit_codes);
  return g_string_free(g_steal_pointer(&text), FALSE);
}

static GOptionContext *
main_option_context(char **socket_path, gboolean *version)
{
  GOptionContext *optctx = g_option_context_new("COMMAND [ARGS…]");
  g_autofree char *description = main_description();
  const GOptionEntry entries[] = {
      {"socket", 0, 0, G_OPTION_ARG_FILENAME, socket_path, "passd's varlink socket", "PATH"},
      {"version", 0, 0, G_OPTION_ARG_NONE, version, "Print passctl's version", NULL},
      {NULL},
  };

  g_option_context_set_summary(optctx, "Query and drive passd, the device passthrough manager.");
  g_option_context_set_description(optctx, description);
  g_option_context_add_main_entries(optctx, entries, NULL);
  /* Stop at the command: what follows belongs to it. */
  g_option_context_set_strict_posix(optctx, TRUE);
  return optctx;
}

/* "passctl help [COMMAND]": the same text as --help. */
static int
run_help(PassctlContext *ctx, GOptionContext *optctx, int argc, char **argv)
{
  const PassctlCommand *command;

  if (argc < 2) {
    g_autofree char *help = g_option_context_get_help(optctx, TRUE, NULL);

    fputs(help, stdout);
    return PASSCTL_EXIT_OK;
  }
  command = find_command(argv[1]);
  if (command == NULL)
    return passctl_usage_error(NULL, "unknown command '%s'", argv[1]);
  {
    g_autofree char *prgname = g_strdup_printf("passctl %s", command->name);
    char *help_argv[] = {(char *)command->name, (char *)"--help", NULL};

    g_set_prgname(prgname);
    return command->func(ctx, 2, help_argv);
  }
}

int
main(int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *socket_path = NULL;
  g_autofree char *prgname = NULL;
  gboolean version = FALSE;
  const PassctlCommand *command;
  PassctlContext ctx = {0};

  setlocale(LC_ALL, "");
  g_set_prgname("passctl");
  optctx = main_option_context(&socket_path, &version);
  if (!g_option_context_parse(optctx, &argc, &argv, &error))
    return passctl_usage_error(NULL, "%s", error->message);
  if (version) {
    printf("passctl %s\n", PASS_VERSION);
    return PASSCTL_EXIT_OK;
  }
  if (argc < 2) {
    g_autofree char *help = g_option_context_get_help(optctx, TRUE, NULL);

    fputs(help, stderr);
    return PASSCTL_EXIT_USAGE;
  }
  if (socket_path != NULL)
    ctx.socket_path = socket_path;
  else if (g_getenv("PASSD_SOCKET") != NULL && *g_getenv("PASSD_SOCKET") != '\0')
    ctx.socket_path = g_getenv("PASSD_SOCKET");
  else
    ctx.socket_path = PASS_DEFAULT_SOCKET;

  if (g_str_equal(argv[1], "help"))
    return run_help(&ctx, optctx, argc - 1, argv + 1);
  command = find_command(argv[1]);
  if (command == NULL)
    return passctl_usage_error(NULL, "unknown command '%s'", argv[1]);

  /* GOption prints "Usage: passctl list [OPTION…]" from the program name. */
  prgname = g_strdup_printf("passctl %s", command->name);
  g_set_prgname(prgname);
  return command->func(&ctx, argc - 1, argv + 1);
}
