#include "string-array.h"

#include <string.h>

static gpointer
string_copy(gconstpointer src, gpointer unused)
{
  return g_strdup(src);
}

GPtrArray *
pass_strings_copy(GPtrArray *strings)
{
  GPtrArray *copy;

  if (!strings)
    return NULL;
  copy = g_ptr_array_copy(strings, string_copy, NULL);
  g_ptr_array_set_free_func(copy, g_free);
  return copy;
}

gboolean
pass_strings_equal(GPtrArray *a, GPtrArray *b)
{
  guint na = a ? a->len : 0, nb = b ? b->len : 0;

  if (na != nb)
    return FALSE;
  for (guint i = 0; i < na; i++)
    if (strcmp(g_ptr_array_index(a, i), g_ptr_array_index(b, i)) != 0)
      return FALSE;
  return TRUE;
}

char *
pass_strings_join(GPtrArray *strings, const char *separator)
{
  GString *out = g_string_new(NULL);

  for (guint i = 0; strings && i < strings->len; i++)
    g_string_append_printf(out, "%s%s", i ? separator : "",
                           (const char *)g_ptr_array_index(strings, i));
  return g_string_free(out, FALSE);
}
