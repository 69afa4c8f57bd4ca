/* Which VFs a pool holds: pure, over one VF and what its caller knows of the VF's PF. Pools are
 * made of VFs only (devices with a physfn): a PF is never handed out from a pool. */
#pragma once

#include <glib.h>

#include "device.h"
#include "pool.h"

G_BEGIN_DECLS

/* Does @vf belong to @pool? Every selector the pool sets must hold:
 * - vendor, product, driver and NUMA node are @vf's own (its driver as bound now: a VF passd
 *   moved to vfio-pci no longer shows the driver it had, so a caller that wants such VFs kept in
 *   a Driver= pool passes a copy with the driver they came from);
 * - the PF selectors apply to @vf's PF: one of them must name it, by @vf->physfn or by one of
 *   @pf_netdevs (the PF's network interfaces, e.g. from sysfs net/; NULL: none), and, when it
 *   gives VF indices, take @vf_index (see pass_pool_vf_index(); -1 when unknown, which no
 *   index range takes).
 * When FALSE and @why is not NULL it receives the first selector that fails, e.g.
 * "vendor 0x1af4, not 0x8086" or "VF 7 of 0000:3b:00.0 is not in 0-3,6". */
gboolean pass_pool_match(const PassPool *pool, const PassDevice *vf, int vf_index,
                         const char *const *pf_netdevs, char **why);

/* The index of VF @vf among @vfs (the addresses of every VF of its PF, canonical, in any order):
 * its rank by address. That is the kernel's virtfn index (sysfs virtfnN), because a VF's
 * routing id is the PF's plus First VF Offset plus index times VF Stride, so addresses grow
 * with the index. Every VF of the PF must be in @vfs, else the ranks shift. -1 when @vf is not
 * in @vfs. */
int pass_pool_vf_index(const char *vf, const char *const *vfs, gsize n_vfs);

G_END_DECLS
