/* passctl pools: ListPools. */
#include "passctl.h"

#include <stdio.h>

#include "format.h"

int
passctl_cmd_pools(PassctlContext *ctx, int argc, char **argv)
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
                               "List the pools: their selectors and where they are defined, and "
                               "per PF\nthe VFs in total, free and in use, the guests holding "
                               "them and the NUMA node.");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "pools", &argc, &argv, &exit_code))
    return exit_code;
  if (argc > 1)
    return passctl_usage_error("pools", "unexpected argument '%s'", argv[1]);
  reply = passctl_call_once(ctx, "io.passd.Manager.ListPools", NULL, &exit_code);
  if (reply == NULL)
    return exit_code;
  text = json ? passctl_json_to_text(reply, TRUE)
              : passctl_format_pools(passctl_json_array(reply, "pools"));
  fputs(text, stdout);
  return PASSCTL_EXIT_OK;
}
