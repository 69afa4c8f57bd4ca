/* What attach, detach and reattach share: reading the device address the user typed, and
 * sending a request whose reply is a list of Actions. */
#include "passctl.h"

#include <stdio.h>

#include "format.h"
#include "pass-address.h"
#include "pass-device-id.h"

char *
passctl_parse_address(const char *command, const char *text, int *exit_code)
{
  g_autoptr(GError) error = NULL;
  char *address = pass_address_canonicalize(text, &error);

  /* Checked locally: a typo should not cost a round trip or look like a daemon failure. */
  if (address == NULL)
    *exit_code =
        passctl_usage_error(command, "'%s' is not a PCI address (expected DDDD:BB:SS.F)", text);
  return address;
}

char *
passctl_parse_device(const char *command, const char *text, int *exit_code)
{
  g_autoptr(GError) error = NULL;
  PassDeviceIdKind kind = PASS_DEVICE_ID_PCI;
  char *address;

  if (!g_ascii_strncasecmp(text, "usb:", 4) || !g_ascii_strncasecmp(text, "mdev:", 5)) {
    address = pass_device_id_canonicalize(text, &kind, &error);
    if (address == NULL)
      *exit_code = passctl_usage_error(command, "%s", error->message);
    return address;
  }
  return passctl_parse_address(command, text, exit_code);
}

char *
passctl_parse_domain_address(const char *command, int argc, char **argv, int *exit_code)
{
  if (argc < 2) {
    *exit_code = passctl_usage_error(command, "missing the domain name and the device address");
    return NULL;
  }
  if (argc < 3) {
    *exit_code = passctl_usage_error(command, "missing the device address");
    return NULL;
  }
  if (argc > 3) {
    *exit_code = passctl_usage_error(command, "unexpected argument '%s'", argv[3]);
    return NULL;
  }
  if (*argv[1] == '\0') {
    *exit_code = passctl_usage_error(command, "the domain name is empty");
    return NULL;
  }
  return passctl_parse_device(command, argv[2], exit_code);
}

void
passctl_set_flag(JsonObject *params, const char *member, gboolean given)
{
  /* Flags the user left out stay out, so passd applies its own default. */
  if (given)
    json_object_set_boolean_member(params, member, TRUE);
}

int
passctl_run_actions(PassctlContext *ctx, const char *method, JsonObject *params, gboolean dry_run,
                    gboolean json)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *text = NULL;
  int exit_code = PASSCTL_EXIT_OK;

  reply = passctl_call_once(ctx, method, params, &exit_code);
  if (reply == NULL)
    return exit_code;
  if (json)
    text = passctl_json_to_text(reply, TRUE);
  else
    text = passctl_format_actions(passctl_json_array(reply, "actions"), dry_run);
  fputs(text, stdout);
  return PASSCTL_EXIT_OK;
}
