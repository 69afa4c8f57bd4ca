#define G_LOG_DOMAIN "passd"

#include "pool-match.h"

#include <string.h>

static gboolean G_GNUC_PRINTF(2, 3) refuse(char **why, const char *format, ...)
{
  va_list args;

  if (!why)
    return FALSE;
  va_start(args, format);
  *why = g_strdup_vprintf(format, args);
  va_end(args);
  return FALSE;
}

static gboolean
names_pf(const PassPoolPf *pf, const PassDevice *vf, const char *const *pf_netdevs)
{
  if (pf->address)
    return g_str_equal(pf->address, vf->physfn);
  return pf_netdevs && g_strv_contains(pf_netdevs, pf->netdev);
}

/* The selectors, joined for a message: "0000:3b:00.0, enp94s0f0#2". */
static char *
describe_pfs(const PassPool *pool)
{
  GString *text = g_string_new(NULL);

  for (guint i = 0; i < pool->pfs->len; i++) {
    g_autofree char *one = pass_pool_pf_to_string(g_ptr_array_index(pool->pfs, i));

    g_string_append_printf(text, "%s%s", i ? ", " : "", one);
  }
  return g_string_free(text, FALSE);
}

static gboolean
match_pf(const PassPool *pool, const PassDevice *vf, int vf_index, const char *const *pf_netdevs,
         char **why)
{
  const PassPoolPf *named = NULL;

  if (pool->pfs->len == 0)
    return TRUE;
  for (guint i = 0; i < pool->pfs->len; i++) {
    const PassPoolPf *pf = g_ptr_array_index(pool->pfs, i);

    if (!names_pf(pf, vf, pf_netdevs))
      continue;
    if (vf_index >= 0 && pass_pool_pf_has_index(pf, (guint)vf_index))
      return TRUE;
    if (vf_index < 0 && pf->ranges->len == 0)
      return TRUE;
    named = named ? named : pf;
  }
  if (named) {
    g_autofree char *ranges = pass_pool_pf_ranges_to_string(named);

    if (vf_index < 0)
      return refuse(why, "the index of VF %s of %s is unknown (selector #%s)", vf->address,
                    vf->physfn, ranges);
    return refuse(why, "VF %d of %s is not in %s", vf_index, vf->physfn, ranges);
  } else {
    g_autofree char *pfs = describe_pfs(pool);

    return refuse(why, "PF %s is none of %s", vf->physfn, pfs);
  }
}

gboolean
pass_pool_match(const PassPool *pool, const PassDevice *vf, int vf_index,
                const char *const *pf_netdevs, char **why)
{
  if (!vf->physfn)
    return refuse(why, "%s is not a VF", vf->address);
  if (pool->vendor_id >= 0 && vf->vendor_id != pool->vendor_id)
    return refuse(why, "vendor 0x%04x, not 0x%04x", vf->vendor_id, (guint)pool->vendor_id);
  if (pool->product_id >= 0 && vf->product_id != pool->product_id)
    return refuse(why, "product 0x%04x, not 0x%04x", vf->product_id, (guint)pool->product_id);
  if (pool->driver && g_strcmp0(vf->driver, pool->driver) != 0) {
    if (!vf->driver)
      return refuse(why, "no driver, not %s", pool->driver);
    return refuse(why, "driver %s, not %s", vf->driver, pool->driver);
  }
  if (!match_pf(pool, vf, vf_index, pf_netdevs, why))
    return FALSE;
  if (pool->numa_node >= 0 && vf->numa_node != pool->numa_node) {
    if (vf->numa_node < 0)
      return refuse(why, "NUMA node unknown, not %d", pool->numa_node);
    return refuse(why, "NUMA node %d, not %d", vf->numa_node, pool->numa_node);
  }
  return TRUE;
}

int
pass_pool_vf_index(const char *vf, const char *const *vfs, gsize n_vfs)
{
  gboolean found = FALSE;
  int rank = 0;

  /* Canonical addresses have fixed-width fields, so string order is address order. */
  for (gsize i = 0; i < n_vfs; i++) {
    int order = strcmp(vfs[i], vf);

    found |= order == 0;
    rank += order < 0;
  }
  return found ? rank : -1;
}
