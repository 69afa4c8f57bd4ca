#define G_LOG_DOMAIN "passd"

#include "pool-parse.h"

#include <string.h>

#include "pass-address.h"
#include "pass-error.h"

/* The longest netdev name (IFNAMSIZ less its NUL). */
#define NETDEV_MAX 15
#define DRIVER_MAX 64

/* Quoted for messages: escaped (no control bytes reach a terminal or log) and cut short. */
static char *
quote(const char *text)
{
  g_autofree char *escaped = g_strescape(text ? text : "", NULL);

  if (strlen(escaped) > 64)
    return g_strdup_printf("'%.64s...'", escaped);
  return g_strdup_printf("'%s'", escaped);
}

static gboolean G_GNUC_PRINTF(2, 3) invalid(GError **error, const char *format, ...)
{
  va_list args;

  va_start(args, format);
  g_propagate_error(error,
                    g_error_new_valist(PASS_ERROR, PASS_ERROR_INVALID_PARAMETER, format, args));
  va_end(args);
  return FALSE;
}

/* FALSE when @text has white space, a control or non-ASCII byte, or one of @banned. */
static gboolean
check_chars(const char *text, const char *banned, const char *quoted, const char *what,
            GError **error)
{
  for (const char *c = text; *c; c++) {
    if (!g_ascii_isgraph(*c))
      return invalid(error,
                     "%s is not a %s name: it may not hold white space, control or "
                     "non-ASCII characters",
                     quoted, what);
    if (strchr(banned, *c))
      return invalid(error, "%s is not a %s name: '%c' may not appear in one", quoted, what, *c);
  }
  return TRUE;
}

/* ---- names ---- */

static gboolean
name_char(char c)
{
  return g_ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
}

gboolean
pass_pool_validate_name(const char *name, GError **error)
{
  g_autofree char *quoted = quote(name);
  gsize length = name ? strlen(name) : 0;

  if (length == 0)
    return invalid(error, "a pool name may not be empty");
  if (length > PASS_POOL_MAX_NAME)
    return invalid(error, "%s is not a pool name: longer than %u characters", quoted,
                   PASS_POOL_MAX_NAME);
  for (const char *c = name; *c; c++)
    if (!name_char(*c))
      return invalid(error,
                     "%s is not a pool name: only letters, digits, '_', '.' and '-' "
                     "may appear in one",
                     quoted);
  if (name[0] == '.' || name[0] == '-')
    return invalid(error, "%s is not a pool name: it may not start with '%c'", quoted, name[0]);
  return TRUE;
}

/* ---- PF selectors ---- */

static gboolean
validate_netdev(const char *name, GError **error)
{
  g_autofree char *quoted = quote(name);

  if (strlen(name) > NETDEV_MAX)
    return invalid(error, "%s is not a netdev name: longer than %u characters", quoted, NETDEV_MAX);
  if (g_str_equal(name, ".") || g_str_equal(name, ".."))
    return invalid(error, "%s is not a netdev name", quoted);
  return check_chars(name, "/:#;", quoted, "netdev", error);
}

/* A VF index in decimal; FALSE with why when @text is not one or too high. */
static gboolean
parse_index(const char *text, const char *selector, const char *item, guint *index, GError **error)
{
  guint64 value = 0;
  gsize digits = strspn(text, "0123456789");

  if (digits == 0 || text[digits] != '\0') {
    g_autofree char *quoted = quote(selector), *bad = quote(item);

    return invalid(error, "%s: %s is not a VF index or range (such as 6 or 0-3)", quoted, bad);
  }
  for (gsize i = 0; i < digits && value <= PASS_POOL_MAX_VF_INDEX; i++)
    value = value * 10 + (guint64)(text[i] - '0');
  if (value > PASS_POOL_MAX_VF_INDEX) {
    g_autofree char *quoted = quote(selector), *number = g_strndup(text, 16);

    return invalid(error, "%s: VF index %s%s is above %u", quoted, number, digits > 16 ? "..." : "",
                   PASS_POOL_MAX_VF_INDEX);
  }
  *index = (guint)value;
  return TRUE;
}

static int
compare_ranges(gconstpointer a, gconstpointer b)
{
  const PassPoolRange *x = a, *y = b;

  return (int)x->first - (int)y->first;
}

/* "0-3,6" into @ranges: ascending, adjacent ones merged; FALSE when malformed or an index
 * comes twice. */
static gboolean
parse_ranges(const char *text, const char *selector, GArray *ranges, GError **error)
{
  g_auto(GStrv) items = g_strsplit(text, ",", -1);
  g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(PassPoolRange));
  g_autofree char *quoted = quote(selector);

  if (*text == '\0')
    return invalid(error, "%s: no VF indices after '#' (such as #0-3,6)", quoted);
  for (guint i = 0; items[i]; i++) {
    const char *item = items[i];
    const char *dash = strchr(item, '-');
    guint first, last;
    PassPoolRange range;

    if (*item == '\0')
      return invalid(error, "%s: an empty VF index range (two commas, or one at an end)", quoted);
    if (dash) {
      g_autofree char *head = g_strndup(item, dash - item);

      if (!parse_index(head, selector, item, &first, error) ||
          !parse_index(dash + 1, selector, item, &last, error))
        return FALSE;
      if (first > last)
        return invalid(error, "%s: VF index range '%s' is reversed (did you mean %u-%u?)", quoted,
                       item, last, first);
    } else {
      if (!parse_index(item, selector, item, &first, error))
        return FALSE;
      last = first;
    }
    range.first = (guint16)first;
    range.last = (guint16)last;
    g_array_append_val(all, range);
  }
  g_array_sort(all, compare_ranges);
  for (guint i = 0; i < all->len; i++) {
    PassPoolRange *next = &g_array_index(all, PassPoolRange, i);
    PassPoolRange *run =
        ranges->len ? &g_array_index(ranges, PassPoolRange, ranges->len - 1) : NULL;

    if (run && next->first <= run->last)
      return invalid(error, "%s: VF index %u is given twice", quoted, next->first);
    if (run && next->first == run->last + 1)
      run->last = next->last;
    else
      g_array_append_val(ranges, *next);
  }
  return TRUE;
}

PassPoolPf *
pass_pool_parse_pf_selector(const char *text, GError **error)
{
  const char *hash = text ? strchr(text, '#') : NULL;
  g_autofree char *target =
      text ? g_strndup(text, hash ? (gsize)(hash - text) : strlen(text)) : NULL;
  g_autoptr(PassPoolPf) pf = NULL;

  if (!target || *target == '\0') {
    g_autofree char *quoted = quote(text);

    invalid(error,
            "%s is not a PF selector (expected a PCI address or a netdev name, "
            "optionally followed by VF indices such as #0-3,6)",
            quoted);
    return NULL;
  }
  if (strchr(target, ':') || g_str_has_prefix(target, "pci_")) {
    g_autofree char *address = pass_address_canonicalize(target, error);

    if (!address)
      return NULL;
    pf = pass_pool_pf_new(address, NULL);
  } else {
    if (!validate_netdev(target, error))
      return NULL;
    pf = pass_pool_pf_new(NULL, target);
  }
  if (hash && !parse_ranges(hash + 1, text, pf->ranges, error))
    return NULL;
  return g_steal_pointer(&pf);
}

gboolean
pass_pool_add_pf(PassPool *pool, PassPoolPf *pf, GError **error)
{
  g_autoptr(PassPoolPf) owned = pf;

  for (guint i = 0; i < pool->pfs->len; i++) {
    const PassPoolPf *other = g_ptr_array_index(pool->pfs, i);

    if ((pf->address && g_strcmp0(pf->address, other->address) == 0) ||
        (pf->netdev && g_strcmp0(pf->netdev, other->netdev) == 0)) {
      g_autofree char *one = pass_pool_pf_to_string(other);
      g_autofree char *two = pass_pool_pf_to_string(pf);

      return invalid(error, "'%s' and '%s' select the same PF %s (give its VF indices in one)", one,
                     two, pf->address ? pf->address : pf->netdev);
    }
  }
  g_ptr_array_add(pool->pfs, g_steal_pointer(&owned));
  return TRUE;
}

/* ---- the other selectors ---- */

gboolean
pass_pool_parse_id(const char *text, const char *what, guint16 *id, GError **error)
{
  const char *digits =
      text && (g_str_has_prefix(text, "0x") || g_str_has_prefix(text, "0X")) ? text + 2 : text;
  gsize n = digits ? strspn(digits, "0123456789abcdefABCDEF") : 0;
  guint value = 0;

  if (n == 0 || n > 4 || digits[n] != '\0') {
    g_autofree char *quoted = quote(text);

    return invalid(error, "%s is not a PCI %s id (expected up to 4 hex digits, such as 0x8086)",
                   quoted, what);
  }
  for (gsize i = 0; i < n; i++)
    value = value * 16 + (guint)g_ascii_xdigit_value(digits[i]);
  *id = (guint16)value;
  return TRUE;
}

gboolean
pass_pool_parse_numa_node(const char *text, int *node, GError **error)
{
  gsize n = text ? strspn(text, "0123456789") : 0;
  guint value = 0;

  for (gsize i = 0; i < n && value <= PASS_POOL_MAX_NUMA_NODE; i++)
    value = value * 10 + (guint)(text[i] - '0');
  if (n == 0 || text[n] != '\0' || value > PASS_POOL_MAX_NUMA_NODE) {
    g_autofree char *quoted = quote(text);

    return invalid(error, "%s is not a NUMA node (0 to %u)", quoted, PASS_POOL_MAX_NUMA_NODE);
  }
  *node = (int)value;
  return TRUE;
}

gboolean
pass_pool_parse_kind(const char *text, PassPoolKind *kind, GError **error)
{
  g_autofree char *quoted = NULL;

  if (g_strcmp0(text, "pci") == 0) {
    *kind = PASS_POOL_KIND_PCI;
    return TRUE;
  }
  if (g_strcmp0(text, "net") == 0) {
    *kind = PASS_POOL_KIND_NET;
    return TRUE;
  }
  quoted = quote(text);
  return invalid(error, "%s is not a pool kind (pci or net)", quoted);
}

gboolean
pass_pool_validate_driver(const char *driver, GError **error)
{
  g_autofree char *quoted = quote(driver);
  gsize length = driver ? strlen(driver) : 0;

  if (length == 0)
    return invalid(error, "a driver name may not be empty");
  if (length > DRIVER_MAX)
    return invalid(error, "%s is not a driver name: longer than %u characters", quoted, DRIVER_MAX);
  return check_chars(driver, "/;", quoted, "driver", error);
}

gboolean
pass_pool_validate(const PassPool *pool, GError **error)
{
  if (!pass_pool_validate_name(pool->name, error))
    return FALSE;
  if (pool->driver && !pass_pool_validate_driver(pool->driver, error))
    return FALSE;
  if (!pass_pool_has_selector(pool))
    return invalid(error,
                   "pool '%s' has no selector (give at least one of vendor, product, driver, "
                   "PF, NUMA node)",
                   pool->name);
  return TRUE;
}
