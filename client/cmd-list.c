/* passctl list: host PCI devices as a table or a tree (ListDevices). */
#include "passctl.h"

#include <stdio.h>
#include <string.h>

#include "format.h"

/* "8086" or "0x8086" -> "0x8086"; NULL when not 1..@max_digits hex digits. */
static char *
normalize_hex(const char *text, guint max_digits)
{
  const char *digits = text;
  gsize len;

  if (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X"))
    digits += 2;
  len = strlen(digits);
  if (len == 0 || len > max_digits)
    return NULL;
  for (const char *p = digits; *p; p++)
    if (!g_ascii_isxdigit(*p))
      return NULL;
  {
    g_autofree char *lower = g_ascii_strdown(digits, -1);

    return g_strconcat("0x", lower, NULL);
  }
}

/* Filter options map 1:1 to ListDevices parameters; hex ids are checked here so a typo gets
 * a local usage error. */
static gboolean
add_hex_filter(JsonObject *params, const char *member, const char *option, const char *value,
               guint exact_digits, int *exit_code)
{
  g_autofree char *hex = NULL;

  if (value == NULL)
    return TRUE;
  hex = normalize_hex(value, exact_digits ? exact_digits : 6);
  if (hex == NULL || (exact_digits && strlen(hex) != 2 + exact_digits)) {
    *exit_code = passctl_usage_error(
        "list", "'%s' is not a valid %s (expected %s hex digits, e.g. %s)", value, option,
        exact_digits ? "4" : "1 to 6", exact_digits ? "8086" : "02");
    return FALSE;
  }
  json_object_set_string_member(params, member, hex);
  return TRUE;
}

int
passctl_cmd_list(PassctlContext *ctx, int argc, char **argv)
{
  g_autoptr(GOptionContext) optctx = g_option_context_new(NULL);
  g_autoptr(JsonObject) params = json_object_new();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *vendor = NULL;
  g_autofree char *product = NULL;
  g_autofree char *class = NULL;
  g_autofree char *driver = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *text = NULL;
  gboolean json = FALSE, tree = FALSE, pfs = FALSE, vfs = FALSE;
  int exit_code = PASSCTL_EXIT_OK;
  JsonArray *devices;
  const GOptionEntry entries[] = {
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the reply's parameters as JSON", NULL},
      {"tree", 0, 0, G_OPTION_ARG_NONE, &tree, "Show devices as a tree (VFs under their PF)", NULL},
      {"kind", 0, 0, G_OPTION_ARG_STRING, &kind, "Only devices of this kind (pci, usb, mdev)",
       "KIND"},
      {"vendor", 0, 0, G_OPTION_ARG_STRING, &vendor, "Only devices of this vendor id", "ID"},
      {"product", 0, 0, G_OPTION_ARG_STRING, &product, "Only devices with this product id", "ID"},
      {"class", 0, 0, G_OPTION_ARG_STRING, &class, "Only devices whose class starts so (02 = net)",
       "PREFIX"},
      {"driver", 0, 0, G_OPTION_ARG_STRING, &driver, "Only devices bound to NAME (\"\" = unbound)",
       "NAME"},
      {"owner", 0, 0, G_OPTION_ARG_STRING, &owner, "Only devices owned by this domain", "DOMAIN"},
      {"pfs", 0, 0, G_OPTION_ARG_NONE, &pfs, "Only SR-IOV physical functions", NULL},
      {"vfs", 0, 0, G_OPTION_ARG_NONE, &vfs, "Only SR-IOV virtual functions", NULL},
      {NULL},
  };

  g_option_context_set_summary(optctx, "List the host's devices.");
  g_option_context_add_main_entries(optctx, entries, NULL);
  if (!passctl_parse_options(optctx, "list", &argc, &argv, &exit_code))
    return exit_code;
  if (argc > 1)
    return passctl_usage_error("list", "unexpected argument '%s'", argv[1]);
  if (pfs && vfs)
    return passctl_usage_error("list", "--pfs and --vfs exclude each other");

  if (kind && !g_str_equal(kind, "pci") && !g_str_equal(kind, "usb") && !g_str_equal(kind, "mdev"))
    return passctl_usage_error("list", "--kind must be pci, usb or mdev, not '%s'", kind);
  if (kind)
    json_object_set_string_member(params, "kind", kind);
  if (!add_hex_filter(params, "vendor_id", "vendor id", vendor, 4, &exit_code) ||
      !add_hex_filter(params, "product_id", "product id", product, 4, &exit_code) ||
      !add_hex_filter(params, "class", "class prefix", class, 0, &exit_code))
    return exit_code;
  if (driver != NULL)
    json_object_set_string_member(params, "driver", driver);
  if (owner != NULL)
    json_object_set_string_member(params, "owner", owner);
  if (pfs || vfs)
    json_object_set_string_member(params, "sriov", pfs ? "pf" : "vf");

  if (json) {
    /* Printed from the reply's text: no tree, which is most of the cost on a large host. */
    g_autofree char *raw = NULL;
    gsize length = 0;

    raw = passctl_call_once_raw(ctx, "io.passd.Manager.ListDevices", params, &length, &exit_code);
    if (raw == NULL)
      return exit_code;
    text = passctl_json_indent(raw, length);
    fputs(text, stdout);
    return PASSCTL_EXIT_OK;
  }

  reply = passctl_call_once(ctx, "io.passd.Manager.ListDevices", params, &exit_code);
  if (reply == NULL)
    return exit_code;
  devices = passctl_json_array(reply, "devices");
  if (tree)
    text = passctl_format_device_tree(devices, g_get_charset(NULL), passctl_terminal_width());
  else
    text = passctl_format_device_table(devices, passctl_terminal_width());
  fputs(text, stdout);
  return PASSCTL_EXIT_OK;
}
