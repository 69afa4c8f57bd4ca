#define G_LOG_DOMAIN "passd"

#include "mdev.h"

PassMdevType *
pass_mdev_type_new(void)
{
  return g_new0(PassMdevType, 1);
}

void
pass_mdev_type_free(PassMdevType *type)
{
  if (type == NULL)
    return;
  g_free(type->parent);
  g_free(type->parent_name);
  g_free(type->id);
  g_free(type->name);
  g_free(type->device_api);
  g_free(type);
}

static gint
compare_types(gconstpointer a, gconstpointer b)
{
  const PassMdevType *x = *(PassMdevType *const *)a;
  const PassMdevType *y = *(PassMdevType *const *)b;
  int c = g_strcmp0(x->parent, y->parent);

  return c != 0 ? c : g_strcmp0(x->id, y->id);
}

void
pass_mdev_types_sort(GPtrArray *types)
{
  g_ptr_array_sort(types, compare_types);
}

gboolean
pass_mdev_type_of_parent(const PassMdevType *type, const char *parent)
{
  return parent == NULL || g_strcmp0(parent, type->parent) == 0 ||
         g_strcmp0(parent, type->parent_name) == 0;
}

const PassMdevType *
pass_mdev_pick_parent(GPtrArray *types, const char *type_id, const char *parent)
{
  const PassMdevType *best = NULL;

  for (guint i = 0; i < types->len; i++) {
    const PassMdevType *t = g_ptr_array_index(types, i);

    if (g_strcmp0(t->id, type_id) != 0 || t->available <= 0 || !pass_mdev_type_of_parent(t, parent))
      continue;
    if (best == NULL || t->available > best->available ||
        (t->available == best->available && g_strcmp0(t->parent, best->parent) < 0))
      best = t;
  }
  return best;
}
