/* passctl balance: VFs in use per PF and NUMA node (GetBalance), the plan that evens them out
 * (--plan), and carrying it out (--apply): each move a Detach of the guest's VF, then an Attach
 * of the other one, through passd's normal transactions. A removal the guest has not finished
 * stops the run there: the rest would be planned on a picture that is not true yet. */
#include "passctl.h"

#include <stdio.h>

#include "format.h"
#include "pass-error.h"

/* Was @address an <interface type='hostdev'> in @guest? Its replacement goes in the same way. */
static gboolean
held_as_interface(PassVarlinkClient *client, const char *guest, const char *address)
{
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) domain = NULL;
  JsonArray *devices;
  int exit_code = 0;

  json_object_set_string_member(params, "domain", guest);
  domain = passctl_call(client, "io.passd.Manager.GetDomain", params, &exit_code);
  devices = domain ? passctl_json_array(domain, "devices") : NULL;
  for (guint i = 0; devices && i < json_array_get_length(devices); i++) {
    JsonNode *node = json_array_get_element(devices, i);
    JsonObject *assignment = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    gboolean interface = FALSE;

    if (assignment && g_strcmp0(passctl_json_string(assignment, "address"), address) == 0 &&
        passctl_json_bool(assignment, "interface", &interface))
      return interface;
  }
  return FALSE;
}

/* One move; FALSE when it stopped (said why). */
static gboolean
apply_move(PassVarlinkClient *client, JsonObject *move, guint number, int *exit_code)
{
  const char *guest = passctl_json_string(move, "guest");
  const char *from = passctl_json_string(move, "from");
  const char *to = passctl_json_string(move, "to");
  g_autoptr(JsonObject) detach = json_object_new();
  g_autoptr(JsonObject) attach = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) error_parameters = NULL;
  g_autoptr(GError) error = NULL;
  gboolean interface;

  if (!guest || !from || !to) {
    passctl_print_error("move %u: passd sent an incomplete move", number);
    *exit_code = PASSCTL_EXIT_FAILED;
    return FALSE;
  }
  interface = held_as_interface(client, guest, from);
  json_object_set_string_member(detach, "domain", guest);
  json_object_set_string_member(detach, "address", from);
  reply = pass_varlink_client_call(client, "io.passd.Manager.Detach", detach, &error_parameters,
                                   &error);
  if (!reply) {
    g_autofree char *sentence = passctl_error_sentence(error, error_parameters);

    if (g_error_matches(error, PASS_ERROR, PASS_ERROR_REMOVAL_PENDING))
      passctl_print_error("move %u stopped: %s; %s keeps its VF until then, and the moves after "
                          "this one were not tried (run --apply again once it is released)",
                          number, sentence, guest);
    else
      passctl_print_error("move %u stopped: detaching %s from %s: %s", number, from, guest,
                          sentence);
    *exit_code = passctl_error_exit_code(error);
    return FALSE;
  }
  g_clear_pointer(&reply, json_object_unref);
  json_object_set_string_member(attach, "domain", guest);
  json_object_set_string_member(attach, "address", to);
  passctl_set_flag(attach, "interface", interface);
  reply = pass_varlink_client_call(client, "io.passd.Manager.Attach", attach, &error_parameters,
                                   &error);
  if (!reply) {
    g_autofree char *sentence = passctl_error_sentence(error, error_parameters);

    passctl_print_error("move %u stopped: %s is off %s, but attaching %s failed: %s", number, guest,
                        from, to, sentence);
    *exit_code = passctl_error_exit_code(error);
    return FALSE;
  }
  printf("%u. %s: %s -> %s done\n", number, guest, from, to);
  return TRUE;
}

int
passctl_cmd_balance(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new(NULL);
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(PassVarlinkClient) client = NULL;
  g_autoptr(JsonObject) reply = NULL;
  gboolean plan = FALSE, apply = FALSE, json = FALSE;
  int exit_code = PASSCTL_EXIT_OK;
  JsonArray *moves;
  const GOptionEntry entries[] = {
      {"plan", 0, 0, G_OPTION_ARG_NONE, &plan,
       "Also propose moves (unplug one VF, plug another for the same guest) that even out the "
       "PFs",
       NULL},
      {"apply", 0, 0, G_OPTION_ARG_NONE, &apply,
       "Carry the plan out, one move after the other; stops at a removal that stays pending", NULL},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {NULL},
  };

  g_option_context_set_summary(optctx, "VFs in use per PF and per NUMA node over the host's VFs, "
                                       "the skew (most minus\nfewest in use), the guests on each "
                                       "PF.");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "balance", &argc, &argv, &exit_code))
    return exit_code;
  if (argc > 1)
    return passctl_usage_error("balance", "unexpected argument '%s'", argv[1]);
  if (plan && apply)
    return passctl_usage_error("balance", "--plan and --apply: one of them");
  if (plan || apply)
    json_object_set_boolean_member(params, "plan", TRUE);
  client = passctl_connect(ctx, &exit_code);
  if (!client)
    return exit_code;
  reply = passctl_call(client, "io.passd.Manager.GetBalance", params, &exit_code);
  if (!reply)
    return exit_code;
  if (!apply || json) {
    g_autofree char *text =
        json ? passctl_json_to_text(reply, TRUE) : passctl_format_balance(reply);

    fputs(text, stdout);
    if (!apply)
      return PASSCTL_EXIT_OK;
  }
  moves = passctl_json_array(reply, "moves");
  if (!moves || json_array_get_length(moves) == 0) {
    if (!json)
      printf("nothing to move: the skew cannot be reduced\n");
    return PASSCTL_EXIT_OK;
  }
  for (guint i = 0; i < json_array_get_length(moves); i++) {
    JsonNode *node = json_array_get_element(moves, i);

    if (!JSON_NODE_HOLDS_OBJECT(node) ||
        !apply_move(client, json_node_get_object(node), i + 1, &exit_code))
      return exit_code ? exit_code : PASSCTL_EXIT_FAILED;
  }
  return PASSCTL_EXIT_OK;
}
