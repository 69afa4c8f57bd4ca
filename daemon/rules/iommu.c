/* IOMMU group viability (see iommu.h). */
#include "iommu.h"

#include "pass-error.h"

/* Drivers that leave DMA to the group's owner: the kernel lets vfio share a group with them. */
static const char *const tolerated_drivers[] = {"vfio-pci", "pci-stub", "pcieport", NULL};

static gboolean
is_vfio_driver(const char *driver)
{
  /* vfio-pci variant drivers (mlx5_vfio_pci, hisi_acc_vfio_pci, ...) own the device just as
   * vfio-pci does. */
  return g_strv_contains(tolerated_drivers, driver) || g_str_has_suffix(driver, "_vfio_pci") ||
         g_str_has_suffix(driver, "-vfio-pci");
}

/* Header type 1 (PCI-to-PCI, incl. semi-transparent) or 2 (CardBus): vfio never counts them. */
static gboolean
is_bridge_header(guint32 class_code)
{
  guint32 base_sub = class_code >> 8;

  return base_sub == 0x0604 || base_sub == 0x0607 || base_sub == 0x0609;
}

gboolean
pass_iommu_is_endpoint(guint32 class_code)
{
  return (class_code >> 16) != 0x06;
}

gboolean
pass_iommu_member_tolerated(const PassIommuMember *member)
{
  return member->driver == NULL || is_vfio_driver(member->driver) ||
         is_bridge_header(member->class_code);
}

GStrv
pass_iommu_group_endpoints(const PassIommuMember *members, gsize n_members)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

  for (gsize i = 0; i < n_members; i++) {
    if (pass_iommu_is_endpoint(members[i].class_code))
      g_strv_builder_add(builder, members[i].address);
  }
  return g_strv_builder_end(builder);
}

gboolean
pass_iommu_group_check(int group, const char *target, const PassIommuMember *members,
                       gsize n_members, const char *const *going, GStrv *blockers, GError **error)
{
  g_autoptr(GStrvBuilder) found = g_strv_builder_new();
  g_autoptr(GString) text = g_string_new(NULL);
  gboolean all_takeable = TRUE;
  guint count = 0;

  for (gsize i = 0; i < n_members; i++) {
    const PassIommuMember *m = &members[i];

    if (g_strcmp0(m->address, target) == 0 || pass_iommu_member_tolerated(m) ||
        (going != NULL && g_strv_contains(going, m->address)))
      continue;
    g_strv_builder_add(found, m->address);
    if (count++ > 0)
      g_string_append(text, ", ");
    g_string_append_printf(text, "%s is bound to %s", m->address, m->driver);
    if (!pass_iommu_is_endpoint(m->class_code))
      all_takeable = FALSE;
  }

  if (blockers != NULL)
    *blockers = g_strv_builder_end(found);
  if (count == 0)
    return TRUE;
  g_set_error(error, PASS_ERROR, PASS_ERROR_IOMMU_GROUP_NOT_VIABLE,
              "IOMMU group %d is not viable: %s%s", group, text->str,
              all_takeable ? " (use --whole-group to pass the whole group)" : "");
  return FALSE;
}
