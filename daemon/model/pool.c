#define G_LOG_DOMAIN "passd"

#include "pool.h"

/* ---- PF selectors ---- */

PassPoolPf *
pass_pool_pf_new(const char *address, const char *netdev)
{
  PassPoolPf *pf;

  g_return_val_if_fail((address == NULL) != (netdev == NULL), NULL);
  pf = g_new0(PassPoolPf, 1);
  pf->address = g_strdup(address);
  pf->netdev = g_strdup(netdev);
  pf->ranges = g_array_new(FALSE, FALSE, sizeof(PassPoolRange));
  return pf;
}

PassPoolPf *
pass_pool_pf_copy(const PassPoolPf *pf)
{
  PassPoolPf *copy = pass_pool_pf_new(pf->address, pf->netdev);

  g_array_append_vals(copy->ranges, pf->ranges->data, pf->ranges->len);
  return copy;
}

void
pass_pool_pf_free(PassPoolPf *pf)
{
  if (!pf)
    return;
  g_free(pf->address);
  g_free(pf->netdev);
  g_array_unref(pf->ranges);
  g_free(pf);
}

gboolean
pass_pool_pf_equal(const PassPoolPf *a, const PassPoolPf *b)
{
  if (g_strcmp0(a->address, b->address) != 0 || g_strcmp0(a->netdev, b->netdev) != 0 ||
      a->ranges->len != b->ranges->len)
    return FALSE;
  for (guint i = 0; i < a->ranges->len; i++) {
    const PassPoolRange *x = &g_array_index(a->ranges, PassPoolRange, i);
    const PassPoolRange *y = &g_array_index(b->ranges, PassPoolRange, i);

    if (x->first != y->first || x->last != y->last)
      return FALSE;
  }
  return TRUE;
}

gboolean
pass_pool_pf_has_index(const PassPoolPf *pf, guint index)
{
  if (pf->ranges->len == 0)
    return TRUE;
  for (guint i = 0; i < pf->ranges->len; i++) {
    const PassPoolRange *range = &g_array_index(pf->ranges, PassPoolRange, i);

    if (index >= range->first && index <= range->last)
      return TRUE;
  }
  return FALSE;
}

char *
pass_pool_pf_ranges_to_string(const PassPoolPf *pf)
{
  GString *text = g_string_new(NULL);

  for (guint i = 0; i < pf->ranges->len; i++) {
    const PassPoolRange *range = &g_array_index(pf->ranges, PassPoolRange, i);

    if (i > 0)
      g_string_append_c(text, ',');
    if (range->first == range->last)
      g_string_append_printf(text, "%u", range->first);
    else
      g_string_append_printf(text, "%u-%u", range->first, range->last);
  }
  return g_string_free(text, FALSE);
}

char *
pass_pool_pf_to_string(const PassPoolPf *pf)
{
  g_autofree char *ranges = pass_pool_pf_ranges_to_string(pf);

  return g_strconcat(pf->address ? pf->address : pf->netdev, *ranges ? "#" : "", ranges, NULL);
}

/* ---- pools ---- */

static void
pool_clear(gpointer data)
{
  PassPool *pool = data;

  g_free(pool->name);
  g_free(pool->driver);
  g_ptr_array_unref(pool->pfs);
  g_free(pool->file);
}

PassPool *
pass_pool_new(const char *name)
{
  PassPool *pool = g_atomic_rc_box_new0(PassPool);

  pool->name = g_strdup(name);
  pool->kind = PASS_POOL_KIND_PCI;
  pool->vendor_id = pool->product_id = pool->numa_node = -1;
  pool->pfs = g_ptr_array_new_with_free_func((GDestroyNotify)pass_pool_pf_free);
  pool->origin = PASS_POOL_ORIGIN_RUN_TIME;
  return pool;
}

PassPool *
pass_pool_ref(PassPool *pool)
{
  g_return_val_if_fail(pool != NULL, NULL);
  return g_atomic_rc_box_acquire(pool);
}

void
pass_pool_unref(PassPool *pool)
{
  if (pool != NULL)
    g_atomic_rc_box_release_full(pool, pool_clear);
}

gboolean
pass_pool_equal(const PassPool *a, const PassPool *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;
  if (g_strcmp0(a->name, b->name) != 0 || a->kind != b->kind || a->vendor_id != b->vendor_id ||
      a->product_id != b->product_id || g_strcmp0(a->driver, b->driver) != 0 ||
      a->numa_node != b->numa_node || a->pfs->len != b->pfs->len)
    return FALSE;
  for (guint i = 0; i < a->pfs->len; i++)
    if (!pass_pool_pf_equal(g_ptr_array_index(a->pfs, i), g_ptr_array_index(b->pfs, i)))
      return FALSE;
  return TRUE;
}

gboolean
pass_pool_has_selector(const PassPool *pool)
{
  return pool->vendor_id >= 0 || pool->product_id >= 0 || pool->driver != NULL ||
         pool->pfs->len > 0 || pool->numa_node >= 0;
}

const char *
pass_pool_kind_to_string(PassPoolKind kind)
{
  return kind == PASS_POOL_KIND_NET ? "net" : "pci";
}

char *
pass_pool_describe_origin(const PassPool *pool)
{
  if (pool->origin == PASS_POOL_ORIGIN_RUN_TIME)
    return g_strdup("defined at run time");
  if (pool->file)
    return g_strdup_printf("%s:%u", pool->file, pool->line);
  return g_strdup("defined in a file");
}
