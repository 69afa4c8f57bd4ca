/* IOMMU group viability: may a device leave the host when the rest of its group stays? Pure
 * logic over a snapshot of the group (no I/O), so it is table-tested and the engine feeds it
 * from its inventory.
 *
 * The rule follows the kernel's vfio: a group can be used by a guest only when every member is
 * either bound to vfio (vfio-pci or a vfio-pci variant driver), bound to a driver that never
 * does DMA on its behalf (pci-stub, pcieport), unbound, or a PCI-to-PCI/CardBus bridge (a
 * bridge's header type is not "normal", which vfio tolerates whatever its driver). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *address; /* canonical */
  const char *driver;  /* NULL: unbound */
  guint32 class_code;  /* 24-bit PCI class */
} PassIommuMember;

/* TRUE for functions that can be given to a guest: everything but bridges (base class 0x06). */
gboolean pass_iommu_is_endpoint(guint32 class_code);

/* TRUE when @member, staying on the host, does not stop the rest of its group from being
 * passed through (see the rule above). */
gboolean pass_iommu_member_tolerated(const PassIommuMember *member);

/* The endpoint members of a group, i.e. what --whole-group takes along (the target included),
 * in member order. Never NULL (an empty vector when there are none). */
GStrv pass_iommu_group_endpoints(const PassIommuMember *members, gsize n_members);

/* Can @target be passed through together with @going (NULL-terminated addresses that go with
 * it, e.g. from pass_iommu_group_endpoints(); may be NULL) while the rest of group @group
 * (@members, which may or may not list @target) stays on the host?
 * TRUE when viable. Otherwise FALSE with PASS_ERROR_IOMMU_GROUP_NOT_VIABLE, e.g.
 *   "IOMMU group 11 is not viable: 0000:04:00.1 is bound to e1000e (use --whole-group to pass
 *    the whole group)"
 * (the hint only when every blocker is an endpoint that --whole-group could take). When
 * @blockers is not NULL it receives the blocking addresses in member order (empty if viable). */
gboolean pass_iommu_group_check(int group, const char *target, const PassIommuMember *members,
                                gsize n_members, const char *const *going, GStrv *blockers,
                                GError **error);

G_END_DECLS
