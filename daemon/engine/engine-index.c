#include "engine-index.h"

#include <string.h>

struct _PassIndex {
  GHashTable *sets; /* char *key -> GPtrArray of char*, sorted, owned */
};

PassIndex *
pass_index_new(void)
{
  PassIndex *index = g_new0(PassIndex, 1);

  index->sets =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
  return index;
}

void
pass_index_free(PassIndex *index)
{
  if (!index)
    return;
  g_hash_table_unref(index->sets);
  g_free(index);
}

/* Binary search: the position of @value in @set, or where it would go (*found FALSE). */
static guint
find_position(GPtrArray *set, const char *value, gboolean *found)
{
  guint lo = 0, hi = set->len;

  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    int cmp = strcmp(g_ptr_array_index(set, mid), value);

    if (cmp == 0) {
      *found = TRUE;
      return mid;
    }
    if (cmp < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = FALSE;
  return lo;
}

void
pass_index_add(PassIndex *index, const char *key, const char *value)
{
  GPtrArray *set = g_hash_table_lookup(index->sets, key);
  gboolean found;
  guint pos;

  if (!set) {
    set = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_insert(index->sets, g_strdup(key), set);
  }
  pos = find_position(set, value, &found);
  if (!found)
    g_ptr_array_insert(set, (int)pos, g_strdup(value));
}

void
pass_index_remove(PassIndex *index, const char *key, const char *value)
{
  GPtrArray *set = g_hash_table_lookup(index->sets, key);
  gboolean found;
  guint pos;

  if (!set)
    return;
  pos = find_position(set, value, &found);
  if (found)
    g_ptr_array_remove_index(set, pos);
  if (set->len == 0)
    g_hash_table_remove(index->sets, key);
}

GPtrArray *
pass_index_lookup(PassIndex *index, const char *key)
{
  return g_hash_table_lookup(index->sets, key);
}

gboolean
pass_index_key_equal(PassIndex *a, PassIndex *b, const char *key)
{
  return pass_strings_equal(pass_index_lookup(a, key), pass_index_lookup(b, key));
}
