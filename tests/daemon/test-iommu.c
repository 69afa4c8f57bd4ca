/* IOMMU group viability, table-driven. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
#include "pass-error.h"

#define GPU_AUDIO 0x040300
#define GPU       0x030000
#define NIC       0x020000
#define NVME      0x010802
#define P2P       0x060400
#define HOSTBR    0x060000
#define ISABR     0x060100

typedef struct {
  const char *name;
  const char *target;
  PassIommuMember members[5];
  const char *going[4]; /* NULL-terminated; all NULL: nothing goes along */
  gboolean viable;
  const char *blockers; /* space-separated */
  const char *message;  /* NULL: not checked */
} Case;

static const Case cases[] = {
    {"alone", "0000:01:00.0", {{"0000:01:00.0", "e1000e", NIC}}, {NULL}, TRUE, "", NULL},
    {"target-only-listed-once-bound-anything",
     "0000:01:00.0",
     {{"0000:01:00.0", "nvidia", GPU}, {"0000:01:00.1", NULL, GPU_AUDIO}},
     {NULL},
     TRUE,
     "",
     NULL},
    {"sibling-bound-to-host-driver",
     "0000:04:00.0",
     {{"0000:04:00.0", "e1000e", NIC}, {"0000:04:00.1", "e1000e", NIC}},
     {NULL},
     FALSE,
     "0000:04:00.1",
     "IOMMU group 11 is not viable: 0000:04:00.1 is bound to e1000e (use --whole-group to pass "
     "the whole group)"},
    {"sibling-going-along",
     "0000:04:00.0",
     {{"0000:04:00.0", "e1000e", NIC}, {"0000:04:00.1", "e1000e", NIC}},
     {"0000:04:00.0", "0000:04:00.1", NULL},
     TRUE,
     "",
     NULL},
    {"sibling-vfio-stub-pcieport",
     "0000:05:00.0",
     {{"0000:05:00.0", "igb", NIC},
      {"0000:05:00.1", "vfio-pci", NIC},
      {"0000:05:00.2", "pci-stub", NIC},
      {"0000:05:00.3", "mlx5_vfio_pci", NIC},
      {"0000:00:1c.0", "pcieport", P2P}},
     {NULL},
     TRUE,
     "",
     NULL},
    {"bridge-with-odd-driver-tolerated",
     "0000:05:00.0",
     {{"0000:05:00.0", "igb", NIC}, {"0000:00:1e.0", "shpchp", P2P}},
     {NULL},
     TRUE,
     "",
     NULL},
    {"two-blockers-in-order",
     "0000:06:00.0",
     {{"0000:06:00.2", "nvme", NVME},
      {"0000:06:00.0", NULL, NIC},
      {"0000:06:00.1", "igb", NIC},
      {"0000:06:00.3", NULL, NIC}},
     {NULL},
     FALSE,
     "0000:06:00.2 0000:06:00.1",
     "IOMMU group 3 is not viable: 0000:06:00.2 is bound to nvme, 0000:06:00.1 is bound to igb "
     "(use --whole-group to pass the whole group)"},
    {"partly-going",
     "0000:06:00.0",
     {{"0000:06:00.0", "igb", NIC}, {"0000:06:00.1", "igb", NIC}, {"0000:06:00.2", "igb", NIC}},
     {"0000:06:00.1", NULL},
     FALSE,
     "0000:06:00.2",
     NULL},
    {"bound-host-bridge-no-hint",
     "0000:00:02.0",
     {{"0000:00:00.0", "skl_uncore", HOSTBR}, {"0000:00:02.0", "i915", GPU}},
     {NULL},
     FALSE,
     "0000:00:00.0",
     "IOMMU group 0 is not viable: 0000:00:00.0 is bound to skl_uncore"},
    {"unbound-isa-bridge",
     "0000:00:1f.3",
     {{"0000:00:1f.0", NULL, ISABR}, {"0000:00:1f.3", "snd_hda_intel", GPU_AUDIO}},
     {NULL},
     TRUE,
     "",
     NULL},
};

static void
run_case(gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) blockers = NULL;
  g_autofree char *joined = NULL;
  gsize n = 0;
  int group;
  gboolean viable;

  while (n < G_N_ELEMENTS(c->members) && c->members[n].address != NULL)
    n++;
  /* The group number only appears in the message; take it from the expected text. */
  group = c->message != NULL ? atoi(c->message + strlen("IOMMU group ")) : 7;
  viable = pass_iommu_group_check(group, c->target, c->members, n,
                                  c->going[0] != NULL ? c->going : NULL, &blockers, &error);
  g_assert_cmpint(viable, ==, c->viable);
  joined = g_strjoinv(" ", blockers);
  g_assert_cmpstr(joined, ==, c->blockers);
  if (c->viable) {
    g_assert_no_error(error);
  } else {
    g_assert_error(error, PASS_ERROR, PASS_ERROR_IOMMU_GROUP_NOT_VIABLE);
    if (c->message != NULL)
      g_assert_cmpstr(error->message, ==, c->message);
  }
}

static void
test_endpoints(void)
{
  const PassIommuMember members[] = {
      {"0000:00:1c.0", "pcieport", P2P},
      {"0000:01:00.0", "nouveau", GPU},
      {"0000:00:00.0", NULL, HOSTBR},
      {"0000:01:00.1", "snd_hda_intel", GPU_AUDIO},
      {"0000:01:00.2", NULL, 0x0c0330 /* xHCI */},
  };
  g_auto(GStrv) endpoints = pass_iommu_group_endpoints(members, G_N_ELEMENTS(members));
  g_autofree char *joined = g_strjoinv(" ", endpoints);
  g_auto(GStrv) none = pass_iommu_group_endpoints(members, 1);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr(joined, ==, "0000:01:00.0 0000:01:00.1 0000:01:00.2");
  g_assert_nonnull(none);
  g_assert_cmpuint(g_strv_length(none), ==, 0);

  /* Whatever --whole-group takes makes such a group viable. */
  g_assert_true(pass_iommu_group_check(1, "0000:01:00.0", members, G_N_ELEMENTS(members),
                                       (const char *const *)endpoints, NULL, &error));
  g_assert_no_error(error);
}

static void
test_predicates(void)
{
  const PassIommuMember tolerated[] = {
      {"a", NULL, NIC},
      {"b", "vfio-pci", NIC},
      {"c", "pci-stub", GPU},
      {"d", "pcieport", P2P},
      {"e", "whatever", 0x060700 /* CardBus */},
  };
  const PassIommuMember blocking[] = {
      {"f", "e1000e", NIC},
      {"g", "lpc_ich", ISABR},
      {"h", "vfio", NIC},
      {"i", "nvme", NVME},
  };

  for (guint i = 0; i < G_N_ELEMENTS(tolerated); i++)
    g_assert_true(pass_iommu_member_tolerated(&tolerated[i]));
  for (guint i = 0; i < G_N_ELEMENTS(blocking); i++)
    g_assert_false(pass_iommu_member_tolerated(&blocking[i]));
  g_assert_true(pass_iommu_is_endpoint(GPU));
  g_assert_true(pass_iommu_is_endpoint(0x0c0330));
  g_assert_false(pass_iommu_is_endpoint(P2P));
  g_assert_false(pass_iommu_is_endpoint(HOSTBR));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *path = g_strdup_printf("/iommu/check/%s", cases[i].name);

    g_test_add_data_func(path, &cases[i], run_case);
  }
  g_test_add_func("/iommu/endpoints", test_endpoints);
  g_test_add_func("/iommu/predicates", test_predicates);
  return g_test_run();
}
