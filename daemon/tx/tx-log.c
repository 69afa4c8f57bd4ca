/* The log lines of the transactions, each with journal fields naming the operation, so that
 * `journalctl PASSD_DEVICE=0000:41:00.1` is one device's history and PASSD_REQUEST ties the
 * lines of one request together. The stderr writer prints only MESSAGE. */
#define G_LOG_DOMAIN "passd"

#include "tx-private.h"

#include "pass-error.h"

#define MAX_FIELDS 32

const char *
tx_op_name(const Op *op)
{
  return tx_kind_name(op->kind);
}

const char *
tx_kind_name(OpKind kind)
{
  switch (kind) {
    case OP_ATTACH:
      return "attach";
    case OP_DETACH:
      return "detach";
    case OP_REATTACH:
      return "reattach";
    case OP_SET_NUM_VFS:
      return "set_num_vfs";
  }
  return "operation";
}

/* As the journal and fault injection name them. */
const char *
tx_action_name(PassActionType type)
{
  switch (type) {
    case PASS_ACTION_DETACH_HOST:
      return "detach-host";
    case PASS_ACTION_ATTACH:
      return "attach";
    case PASS_ACTION_DETACH:
      return "detach";
    case PASS_ACTION_REATTACH_HOST:
      return "reattach-host";
    case PASS_ACTION_SET_NUM_VFS:
      return "set-num-vfs";
  }
  return "step";
}

/* syslog's priorities, as GLib's own structured logging maps the levels. */
static const char *
priority(GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "3";
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return "4";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "5";
  if (level & G_LOG_LEVEL_INFO)
    return "6";
  return "7";
}

void
tx_log_event(Op *op, GLogLevelFlags level, const GError *error, const char *format, ...)
{
  GLogField fields[MAX_FIELDS];
  gsize n = 0, first_device;
  g_autofree char *message = NULL, *request = NULL, *uid = NULL;
  va_list args;

  va_start(args, format);
  message = g_strdup_vprintf(format, args);
  va_end(args);
#define FIELD(k, v) fields[n++] = (GLogField){.key = (k), .value = (v), .length = -1}
  FIELD("MESSAGE", message);
  FIELD("PRIORITY", priority(level));
  FIELD("GLIB_DOMAIN", G_LOG_DOMAIN);
  FIELD("PASSD_OPERATION", tx_op_name(op));
  /* The device asked for, then the others the operation takes along (its group) or gives
   * back with it (members held on vfio-pci): each one's history has the line. */
  first_device = n;
  FIELD("PASSD_DEVICE", op->address);
  for (guint i = 0; i < op->devices->len + op->steps->len && n < MAX_FIELDS - 5; i++) {
    const char *address =
        i < op->devices->len
            ? g_ptr_array_index(op->devices, i)
            : ((PassAction *)g_ptr_array_index(op->steps, i - op->devices->len))->address;
    gboolean seen = FALSE;

    for (gsize j = first_device; j < n && !seen; j++)
      seen = g_str_equal(fields[j].value, address);
    if (!seen)
      FIELD("PASSD_DEVICE", address);
  }
  if (op->domain)
    FIELD("PASSD_DOMAIN", op->domain);
  if (op->request) {
    request = g_strdup_printf("%" G_GUINT64_FORMAT, op->request->id);
    uid = g_strdup_printf("%u", (unsigned)op->request->uid);
    FIELD("PASSD_REQUEST", request);
    FIELD("PASSD_UID", uid);
  }
  if (error)
    FIELD("PASSD_ERROR", error->domain == PASS_ERROR ? pass_error_to_name(error->code)
                                                     : pass_error_to_name(PASS_ERROR_FAILED));
  g_log_structured_array(level, fields, n);
}

void
tx_log_recovery(const Intent *intent, GLogLevelFlags level, const char *format, ...)
{
  GLogField fields[MAX_FIELDS];
  gsize n = 0;
  g_autofree char *message = NULL, *operation = NULL;
  va_list args;

  va_start(args, format);
  message = g_strdup_vprintf(format, args);
  va_end(args);
  operation = g_strconcat("recover-", tx_kind_name(intent->kind), NULL);
  FIELD("MESSAGE", message);
  FIELD("PRIORITY", priority(level));
  FIELD("GLIB_DOMAIN", G_LOG_DOMAIN);
  FIELD("PASSD_OPERATION", operation);
  /* Each device's history has it (journalctl PASSD_DEVICE=...). */
  FIELD("PASSD_DEVICE", intent->address);
  for (guint i = 0; i < intent->devices->len && n < MAX_FIELDS - 1; i++)
    if (!g_str_equal(g_ptr_array_index(intent->devices, i), intent->address))
      FIELD("PASSD_DEVICE", g_ptr_array_index(intent->devices, i));
  if (intent->domain)
    FIELD("PASSD_DOMAIN", intent->domain);
  g_log_structured_array(level, fields, n);
}

void
tx_log_mdev(const char *operation, const char *address, PassRequest *request, const GError *error,
            const char *format, ...)
{
  GLogField fields[MAX_FIELDS];
  gsize n = 0;
  g_autofree char *message = NULL, *id = NULL, *uid = NULL;
  GLogLevelFlags level = G_LOG_LEVEL_MESSAGE;
  va_list args;

  va_start(args, format);
  message = g_strdup_vprintf(format, args);
  va_end(args);
  FIELD("MESSAGE", message);
  FIELD("PRIORITY", priority(level));
  FIELD("GLIB_DOMAIN", G_LOG_DOMAIN);
  FIELD("PASSD_OPERATION", operation);
  if (address)
    FIELD("PASSD_DEVICE", address);
  if (request) {
    id = g_strdup_printf("%" G_GUINT64_FORMAT, request->id);
    uid = g_strdup_printf("%u", (unsigned)request->uid);
    FIELD("PASSD_REQUEST", id);
    FIELD("PASSD_UID", uid);
  }
  if (error)
    FIELD("PASSD_ERROR", error->domain == PASS_ERROR ? pass_error_to_name(error->code)
                                                     : pass_error_to_name(PASS_ERROR_FAILED));
  g_log_structured_array(level, fields, n);
}
#undef FIELD
