/* passctl vm: the host devices a domain holds and where the guest sees them (GetDomain). */
#include "passctl.h"

#include <stdio.h>

#include "format.h"

int
passctl_cmd_vm(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new("DOMAIN");
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *text = NULL;
  gboolean json = FALSE;
  int exit_code = PASSCTL_EXIT_OK;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(optctx,
                               "Show the host PCI devices DOMAIN holds: host and guest address,\n"
                               "ids, live and/or persistent, as <hostdev> or <interface>.");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "vm", &argc, &argv, &exit_code))
    return exit_code;
  if (argc < 2)
    return passctl_usage_error("vm", "missing the domain name");
  if (argc > 2)
    return passctl_usage_error("vm", "unexpected argument '%s'", argv[2]);
  if (*argv[1] == '\0')
    return passctl_usage_error("vm", "the domain name is empty");

  json_object_set_string_member(params, "domain", argv[1]);
  reply = passctl_call_once(ctx, "io.passd.Manager.GetDomain", params, &exit_code);
  if (reply == NULL)
    return exit_code;
  text = json ? passctl_json_to_text(reply, TRUE) : passctl_format_domain(reply);
  fputs(text, stdout);
  return PASSCTL_EXIT_OK;
}
