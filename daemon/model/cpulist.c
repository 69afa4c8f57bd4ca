#include "cpulist.h"

#include <stdlib.h>

static guint
find(const GArray *set, int value, gboolean *found)
{
  guint lo = 0, hi = set->len;

  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    int at = g_array_index(set, int, mid);

    if (at == value) {
      *found = TRUE;
      return mid;
    }
    if (at < value)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = FALSE;
  return lo;
}

void
pass_int_set_add(GArray *set, int value)
{
  gboolean found;
  guint at = find(set, value, &found);

  if (!found)
    g_array_insert_val(set, at, value);
}

gboolean
pass_int_set_contains(const GArray *set, int value)
{
  gboolean found = FALSE;

  if (set)
    find(set, value, &found);
  return found;
}

/* A decimal number at *@p (after white space), at most PASS_CPULIST_MAX. */
static gboolean
number(const char **p, int *out)
{
  const char *s = *p;
  guint64 value = 0;

  while (g_ascii_isspace(*s))
    s++;
  if (!g_ascii_isdigit(*s))
    return FALSE;
  while (g_ascii_isdigit(*s)) {
    value = value * 10 + (guint64)(*s - '0');
    if (value > PASS_CPULIST_MAX)
      return FALSE;
    s++;
  }
  while (g_ascii_isspace(*s))
    s++;
  *out = (int)value;
  *p = s;
  return TRUE;
}

gboolean
pass_cpulist_parse(const char *text, GArray *set)
{
  g_autoptr(GArray) add = g_array_new(FALSE, FALSE, sizeof(int));
  g_autoptr(GArray) drop = g_array_new(FALSE, FALSE, sizeof(int));
  const char *p = text;

  while (g_ascii_isspace(*p))
    p++;
  if (*p == '\0')
    return TRUE;
  for (;;) {
    gboolean negate = FALSE;
    int first, last;

    while (g_ascii_isspace(*p))
      p++;
    if (*p == '^') {
      negate = TRUE;
      p++;
    }
    if (!number(&p, &first))
      return FALSE;
    last = first;
    if (!negate && *p == '-') {
      p++;
      if (!number(&p, &last) || last < first)
        return FALSE;
    }
    for (int i = first; i <= last; i++)
      pass_int_set_add(negate ? drop : add, i);
    if (*p == '\0')
      break;
    if (*p != ',')
      return FALSE;
    p++;
  }
  for (guint i = 0; i < add->len; i++)
    if (!pass_int_set_contains(drop, g_array_index(add, int, i)))
      pass_int_set_add(set, g_array_index(add, int, i));
  return TRUE;
}
