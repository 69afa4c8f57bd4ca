/* Every error passctl can print, and the exit code it leads to, decided here and nowhere else
 * so the same failure always reads and exits the same way. */
#include "passctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "pass-address.h"
#include "pass-error.h"

static const struct {
  PassctlExit code;
  const char *meaning;
} exit_codes[] = {
    {PASSCTL_EXIT_OK, "success"},
    {PASSCTL_EXIT_FAILED, "passd answered with an error (the operation failed); check: a check "
                          "failed"},
    {PASSCTL_EXIT_USAGE, "usage error or invalid argument (e.g. a malformed address)"},
    {PASSCTL_EXIT_UNREACHABLE, "cannot reach passd (no socket, refused, or disconnected)"},
    {PASSCTL_EXIT_PERMISSION, "permission denied"},
};

char *
passctl_exit_code_help(void)
{
  g_autoptr(GString) text = g_string_new("Exit status:\n");

  for (gsize i = 0; i < G_N_ELEMENTS(exit_codes); i++)
    g_string_append_printf(text, "  %d  %s\n", exit_codes[i].code, exit_codes[i].meaning);
  return g_string_free(g_steal_pointer(&text), FALSE);
}

/* Server text is one line on our stderr, whatever libvirt put in it. */
static char *
one_line(const char *text)
{
  return g_strstrip(g_strdelimit(g_strdup(text), "\r\n\t", ' '));
}

/* The server's own explanation, or NULL when it sent none. Read from the error's parameters
 * when we have them: without a "message" there, the client fills the GError's message from the
 * error name, which says nothing our sentence doesn't. */
static const char *
server_message(const GError *error, JsonObject *params)
{
  const char *message = error->message;

  if (params != NULL)
    return passctl_json_string(params, "message");
  if (message == NULL || *message == '\0')
    return NULL;
  if (g_strcmp0(message, pass_error_to_name(error->code)) == 0)
    return NULL;
  return message;
}

/* @base, then ": message" when the server explained. */
static char *
with_message(char *base, const char *message)
{
  char *text;

  if (message == NULL)
    return base;
  text = g_strdup_printf("%s: %s", base, message);
  g_free(base);
  return text;
}

/* "a", "a and b", "a, b and c"; NULL for no items. */
static char *
join_items(GPtrArray *items)
{
  g_autoptr(GString) text = g_string_new(NULL);

  if (items->len == 0)
    return NULL;
  for (guint i = 0; i < items->len; i++) {
    if (i > 0)
      g_string_append(text, i + 1 == items->len ? " and " : ", ");
    g_string_append(text, g_ptr_array_index(items, i));
  }
  return g_string_free(g_steal_pointer(&text), FALSE);
}

/* A list of strings joined so; non-strings are skipped. */
static char *
join_strings(JsonArray *array)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new();
  guint n = array ? json_array_get_length(array) : 0;

  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(array, i);

    if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
      g_ptr_array_add(items, (gpointer)json_node_get_string(node));
  }
  return join_items(items);
}

/* The Blocker list as "0000:02:00.1 (igb) and 0000:02:00.2 (no driver)"; NULL when empty. */
static char *
join_blockers(JsonArray *blocking)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
  guint n = blocking ? json_array_get_length(blocking) : 0;

  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(blocking, i);
    JsonObject *blocker = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    const char *address = passctl_json_string(blocker, "address");

    if (address != NULL)
      g_ptr_array_add(items,
                      g_strdup_printf("%s (%s)", address,
                                      passctl_json_string(blocker, "driver") ?: "no driver"));
  }
  return join_items(items);
}

/* Name what keeps the group on the host and how to take it along. */
static char *
iommu_sentence(const char *subject, JsonObject *params, const char *message)
{
  g_autofree char *blockers = join_blockers(passctl_json_array(params, "blocking"));
  g_autofree char *group = NULL;
  gint64 number;

  if (blockers == NULL)
    return with_message(
        g_strdup_printf("the IOMMU group of %s is not viable for passthrough", subject), message);
  if (passctl_json_int(params, "group", &number))
    group = g_strdup_printf("IOMMU group %" G_GINT64_FORMAT, number);
  return g_strdup_printf("%s cannot be passed through alone: %s also holds %s, still used by the "
                         "host (--whole-group takes the group along)",
                         subject, group ? group : "its IOMMU group", blockers);
}

/* Which VFs a count change would destroy, and what would let it go ahead. */
static char *
vfs_in_use_sentence(JsonObject *params, const char *message)
{
  const char *pf = passctl_json_string(params, "pf");
  JsonArray *vfs = passctl_json_array(params, "vfs");
  g_autoptr(GPtrArray) items = g_ptr_array_new();
  gboolean held = FALSE;
  g_autofree char *list = NULL;
  guint n = vfs ? json_array_get_length(vfs) : 0;

  for (guint i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element(vfs, i);
    const char *item;

    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
      continue;
    item = json_node_get_string(node);
    g_ptr_array_add(items, (gpointer)item);
    held = held || strstr(item, ": assigned to ") != NULL;
  }
  list = join_items(items);
  if (list == NULL)
    return with_message(g_strdup_printf("VFs of %s are in use", pf ? pf : "the PF"), message);
  return g_strdup_printf("changing the VF count of %s would destroy VFs in use: %s (%s)",
                         pf ? pf : "the PF", list,
                         held ? "detach them from their domains first"
                              : "--force destroys VFs that are only bound to vfio-pci");
}

static char *
pass_error_sentence(const GError *error, JsonObject *params)
{
  const char *message = server_message(error, params);
  const char *address = passctl_json_string(params, "address");
  const char *subject = address ? address : "the device";
  const char *domain = passctl_json_string(params, "domain");
  const char *method = passctl_json_string(params, "method");

  switch ((PassError)error->code) {
    case PASS_ERROR_NO_SUCH_DEVICE:
      /* A USB vendor:product pair names no device, or several: the server lists them. */
      if (address != NULL && g_str_has_prefix(address, "usb:") && strchr(address + 4, ':'))
        return with_message(g_strdup_printf("no single device %s on this host", address), message);
      if (address != NULL && g_str_has_prefix(address, "usb:"))
        return g_strdup_printf("no USB device %s on this host", address);
      if (address != NULL && g_str_has_prefix(address, "mdev:"))
        return g_strdup_printf("no mediated device %s on this host", address);
      /* not a PCI address: an mdev parent, say; passd's message says what is missing */
      if (address != NULL && !pass_address_parse(address, &(PassAddress){0}, NULL))
        return with_message(g_strdup("no such device"), message);
      if (address != NULL)
        return g_strdup_printf("no PCI device %s on this host", address);
      return with_message(g_strdup("no such device"), message);
    case PASS_ERROR_NO_SUCH_DOMAIN:
      if (domain != NULL)
        return g_strdup_printf("no domain named '%s'", domain);
      return with_message(g_strdup("no such domain"), message);
    case PASS_ERROR_PERMISSION_DENIED:
      if (method != NULL)
        return g_strdup_printf("permission denied: not allowed to call %s", method);
      return with_message(g_strdup("permission denied"), message);
    case PASS_ERROR_INVALID_PARAMETER: {
      const char *parameter = passctl_json_string(params, "parameter");

      /* Only the server's own explanation: the client's fallback text just repeats the name. */
      if (parameter != NULL)
        return with_message(g_strdup_printf("passd rejected the value of '%s'", parameter),
                            passctl_json_string(params, "message"));
      return with_message(g_strdup("passd rejected a parameter"), message);
    }
    case PASS_ERROR_METHOD_NOT_FOUND:
    case PASS_ERROR_METHOD_NOT_IMPLEMENTED:
    case PASS_ERROR_INTERFACE_NOT_FOUND: {
      const char *what = method ? method : passctl_json_string(params, "interface");

      return g_strdup_printf("this passd does not support %s (is passd older than passctl?)",
                             what ? what : "the request");
    }
    case PASS_ERROR_EXPECTED_MORE:
      return with_message(g_strdup("passd expected a streaming call (a passctl bug)"), message);
    case PASS_ERROR_HYPERVISOR_UNAVAILABLE:
      return with_message(g_strdup("passd is not connected to libvirt"), message);
    case PASS_ERROR_HYPERVISOR_ERROR:
      return with_message(g_strdup("libvirt failed"), message);
    case PASS_ERROR_DEVICE_IN_USE: {
      g_autofree char *owners = join_strings(passctl_json_array(params, "owners"));

      if (owners != NULL)
        return with_message(g_strdup_printf("%s is in use by %s", subject, owners), message);
      return with_message(g_strdup_printf("%s is in use", subject), message);
    }
    case PASS_ERROR_DEVICE_NOT_ASSIGNED:
      if (domain != NULL)
        return g_strdup_printf("%s is not assigned to %s", subject, domain);
      return with_message(g_strdup_printf("%s is not assigned to that domain", subject), message);
    case PASS_ERROR_IOMMU_GROUP_NOT_VIABLE:
      return iommu_sentence(subject, params, message);
    case PASS_ERROR_DEVICE_PROTECTED: {
      const char *reason = passctl_json_string(params, "reason");
      g_autofree char *base = NULL;

      if (reason != NULL)
        base = g_strdup_printf("%s is protected because the host needs it: %s", subject, reason);
      else
        base = with_message(g_strdup_printf("%s is protected from passthrough", subject), message);
      return g_strconcat(base, " (--force passes it through anyway)", NULL);
    }
    case PASS_ERROR_REMOVAL_PENDING:
      /* Not a failure to retry: say what state the device is left in and that passd finishes
       * on its own, so nobody detaches it twice. */
      return g_strdup_printf("%s has not released %s yet; it stays assigned%s%s, and passd will "
                             "give it back to its host driver by itself once the guest lets go",
                             domain ? domain : "the guest", subject, domain ? " to " : "",
                             domain ? domain : "");
    case PASS_ERROR_REMOVAL_FAILED: {
      g_autofree char *base = with_message(
          g_strdup_printf("%s refused to release %s", domain ? domain : "the guest", subject),
          message);

      return g_strconcat(base, "; it stays assigned", NULL);
    }
    case PASS_ERROR_JOURNAL_FAILED:
      return with_message(g_strdup("passd cannot write its journal"), message);
    /* pools */
    case PASS_ERROR_NO_SUCH_POOL:
      return with_message(g_strdup("no such pool"), message);
    case PASS_ERROR_POOL_EXISTS:
      return with_message(g_strdup("the pool exists already"), message);
    case PASS_ERROR_POOL_FROM_FILE:
      return with_message(g_strdup("the pool is defined in a file, not at run time"), message);
    case PASS_ERROR_NO_ELIGIBLE_DEVICE:
      return with_message(g_strdup("no VF to give"), message);
    case PASS_ERROR_VFS_IN_USE:
      return vfs_in_use_sentence(params, message);
    case PASS_ERROR_SRIOV_NOT_SUPPORTED:
      return with_message(g_strdup_printf("SR-IOV is not available on %s", subject), message);
    case PASS_ERROR_NO_CAPACITY:
      return with_message(g_strdup("no mdev instance left to create"), message);
    case PASS_ERROR_DISCONNECTED:
      return g_strdup("passd closed the connection");
    case PASS_ERROR_PROTOCOL:
      return with_message(g_strdup("passd sent a reply passctl cannot read"), message);
    case PASS_ERROR_FAILED:
    default:
      /* Also errors passd does not name in its IDL: the client's text carries the name. */
      if (message == NULL && error->message != NULL && *error->message != '\0' &&
          g_strcmp0(error->message, pass_error_to_name(error->code)) != 0)
        message = error->message;
      return g_strdup(message ? message : "passd reported an unknown failure");
  }
}

char *
passctl_error_sentence(const GError *error, JsonObject *error_parameters)
{
  g_autofree char *sentence = NULL;

  if (error->domain == PASS_ERROR)
    sentence = pass_error_sentence(error, error_parameters);
  else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
           g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
    sentence = g_strdup("passd closed the connection");
  else if (error->domain == G_IO_ERROR)
    sentence = g_strdup_printf("lost the connection to passd: %s", error->message);
  else
    sentence = g_strdup(error->message);
  return one_line(sentence);
}

int
passctl_error_exit_code(const GError *error)
{
  if (error->domain == G_IO_ERROR)
    return error->code == G_IO_ERROR_PERMISSION_DENIED ? PASSCTL_EXIT_PERMISSION
                                                       : PASSCTL_EXIT_UNREACHABLE;
  if (error->domain != PASS_ERROR)
    return PASSCTL_EXIT_FAILED;
  switch ((PassError)error->code) {
    case PASS_ERROR_PERMISSION_DENIED:
      return PASSCTL_EXIT_PERMISSION;
    case PASS_ERROR_INVALID_PARAMETER:
      return PASSCTL_EXIT_USAGE;
    case PASS_ERROR_DISCONNECTED:
      return PASSCTL_EXIT_UNREACHABLE;
    default:
      return PASSCTL_EXIT_FAILED;
  }
}

/* GIO folds errno into its own codes; turn the common ones back so the sentence shows the
 * familiar strerror() text whatever wording the transport chose. */
static int
io_error_errno(const GError *error)
{
  if (error->domain != G_IO_ERROR)
    return 0;
  switch (error->code) {
    case G_IO_ERROR_NOT_FOUND:
      return ENOENT;
    case G_IO_ERROR_CONNECTION_REFUSED:
      return ECONNREFUSED;
    case G_IO_ERROR_PERMISSION_DENIED:
      return EACCES;
    case G_IO_ERROR_NOT_DIRECTORY:
      return ENOTDIR;
    case G_IO_ERROR_FILENAME_TOO_LONG:
      return ENAMETOOLONG;
    case G_IO_ERROR_TIMED_OUT:
      return ETIMEDOUT;
    default:
      return 0;
  }
}

char *
passctl_connect_error_sentence(const GError *error, const char *socket_path)
{
  int errsv = io_error_errno(error);
  g_autofree char *reason = one_line(errsv ? g_strerror(errsv) : error->message);
  gboolean denied = passctl_connect_error_exit_code(error) == PASSCTL_EXIT_PERMISSION;

  return g_strdup_printf("cannot reach passd at %s: %s (%s)", socket_path, reason,
                         denied ? "not allowed to use its socket" : "is passd running?");
}

int
passctl_connect_error_exit_code(const GError *error)
{
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED) ||
      g_error_matches(error, PASS_ERROR, PASS_ERROR_PERMISSION_DENIED) ||
      g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_ACCES) ||
      g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_PERM))
    return PASSCTL_EXIT_PERMISSION;
  return PASSCTL_EXIT_UNREACHABLE;
}

void
passctl_print_error(const char *format, ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start(args, format);
  text = g_strdup_vprintf(format, args);
  va_end(args);
  fflush(stdout);
  fprintf(stderr, "passctl: %s\n", text);
}

int
passctl_usage_error(const char *command, const char *format, ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start(args, format);
  text = g_strdup_vprintf(format, args);
  va_end(args);
  if (command != NULL)
    passctl_print_error("%s (see 'passctl %s --help')", text, command);
  else
    passctl_print_error("%s (see 'passctl --help')", text);
  return PASSCTL_EXIT_USAGE;
}
