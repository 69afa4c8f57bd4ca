/* The layout of a PassVfTable, shared by the picker (vf-pick.c) and the balancer
 * (vf-balance.c); not for other code. Everything is indexed, sorted once when the table is
 * built: VFs by (PF, VF) address, PFs by address. Guests are indexed by the balancer, which
 * alone needs them. */
#pragma once

#include "vf-pick.h"

typedef struct {
  const char *address; /* in the table's string chunk */
  guint pf;            /* index into pfs */
  int node;
  const char *owner; /* when in use, else NULL */
  gboolean unplaced; /* the owner has no NUMA affinity */
  gboolean eligible;
  gboolean in_use;
} PassVfEntry;

typedef struct {
  const char *address;
  guint first, n_vfs; /* its VFs: vfs[first .. first + n_vfs), by address */
  guint in_use, eligible;
  int node;          /* its VFs' node when they agree, else -1 */
  guint64 node_mask; /* pass_vf_node_bit() of its VFs' nodes */
  guint first_group, n_groups;
} PassVfPf;

/* A PF's eligible VFs on one NUMA node (every node its VFs are on has a group, maybe empty). */
typedef struct {
  guint pf;
  int node;
  guint first, n; /* table->group_vfs[first .. first + n): VF indices, by address */
} PassVfGroup;

struct _PassVfTable {
  GStringChunk *strings;
  PassVfEntry *vfs;
  guint n_vfs;
  PassVfPf *pfs;
  guint n_pfs;
  PassVfGroup *groups; /* by PF, then node */
  guint n_groups;
  guint *group_vfs;
  guint n_eligible;
  guint n_in_use;
};

/* One bit per node 0..62; bit 63 for -1 and anything above: a quick "may share a node". */
static inline guint64
pass_vf_node_bit(int node)
{
  return (node >= 0 && node < 63) ? G_GUINT64_CONSTANT(1) << node : G_GUINT64_CONSTANT(1) << 63;
}
