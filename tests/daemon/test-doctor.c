/* rules/doctor: the host doctor's pure parsers, table by table. */
#include <string.h>

#include "doctor.h"

#define CPUINFO_INTEL                                                                              \
  "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\n"                                \
  "flags\t\t: fpu vme de pse msr vmx smx est\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\n"
#define CPUINFO_AMD    "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu svm extapic\n"
#define CPUINFO_NOVIRT "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme hypervisor\n"

static void
test_cpu(void)
{
  static const struct {
    const char *cpuinfo;
    PassCpuVendor vendor;
    gboolean vmx, svm;
  } cases[] = {
      {CPUINFO_INTEL, PASS_CPU_INTEL, TRUE, FALSE},
      {CPUINFO_AMD, PASS_CPU_AMD, FALSE, TRUE},
      {CPUINFO_NOVIRT, PASS_CPU_INTEL, FALSE, FALSE},
      {"vendor_id : HygonGenuine\nflags : svm\n", PASS_CPU_AMD, FALSE, TRUE},
      {"vendor_id : CentaurHauls\nflags : vmxx svmm\n", PASS_CPU_OTHER, FALSE, FALSE},
      {"", PASS_CPU_OTHER, FALSE, FALSE},
      {NULL, PASS_CPU_OTHER, FALSE, FALSE},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("case %" G_GSIZE_FORMAT, i);
    g_assert_cmpint(pass_doctor_cpu_vendor(cases[i].cpuinfo), ==, cases[i].vendor);
    g_assert_cmpint(pass_doctor_cpu_flag(cases[i].cpuinfo, "vmx"), ==, cases[i].vmx);
    g_assert_cmpint(pass_doctor_cpu_flag(cases[i].cpuinfo, "svm"), ==, cases[i].svm);
  }
}

static void
test_cmdline(void)
{
  static const struct {
    const char *cmdline, *name;
    gboolean present;
    const char *value;
  } cases[] = {
      {"BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt", "intel_iommu", TRUE, "on"},
      {"BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt", "iommu", TRUE, "pt"},
      {"quiet splash", "quiet", TRUE, NULL},
      {"quiet splash", "intel_iommu", FALSE, NULL},
      /* '-' and '_' are one in names, and the last one wins */
      {"intel-iommu=off intel_iommu=on", "intel_iommu", TRUE, "on"},
      {"amd_iommu=on amd-iommu=off", "amd_iommu", TRUE, "off"},
      /* quotes group and go */
      {"foo=\"a b\" iommu=pt", "foo", TRUE, "a b"},
      {"\"iommu=pt\"", "iommu", TRUE, "pt"},
      /* a prefix is not the parameter */
      {"intel_iommu_x=on", "intel_iommu", FALSE, NULL},
      {"iommu.passthrough=1", "iommu", FALSE, NULL},
      /* after a lone "--" the words are init's */
      {"console=ttyS0 -- intel_iommu=on", "intel_iommu", FALSE, NULL},
      {"iommu= ", "iommu", TRUE, ""},
      {"", "iommu", FALSE, NULL},
      {NULL, "iommu", FALSE, NULL},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *value = NULL;

    g_test_message("case %" G_GSIZE_FORMAT ": %s", i, cases[i].cmdline);
    g_assert_cmpint(pass_doctor_cmdline_get(cases[i].cmdline, cases[i].name, &value), ==,
                    cases[i].present);
    g_assert_cmpstr(value, ==, cases[i].value);
    g_assert_cmpint(pass_doctor_cmdline_get(cases[i].cmdline, cases[i].name, NULL), ==,
                    cases[i].present);
  }
}

static void
test_grub(void)
{
  static const struct {
    const char *file, *cmdline;
  } cases[] = {
      {"GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"intel_iommu="
       "on\"\n",
       "intel_iommu=on quiet"},
      {"GRUB_CMDLINE_LINUX=''\n# GRUB_CMDLINE_LINUX=\"iommu=pt\"\n", ""},
      {"GRUB_CMDLINE_LINUX=\"a\"\nGRUB_CMDLINE_LINUX=\"b\"\n", "b"},
      {"  export GRUB_CMDLINE_LINUX=\"x=1\"\n", "x=1"},
      {"GRUB_TIMEOUT=5\n", ""},
      {NULL, NULL},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *cmdline = pass_doctor_grub_cmdline(cases[i].file);

    g_test_message("case %" G_GSIZE_FORMAT, i);
    g_assert_cmpstr(cmdline, ==, cases[i].cmdline);
  }
}

static void
test_bootloader(void)
{
  static const struct {
    const char *grub, *kernel;
    PassBootloader boot;
    const char *in_fix, *not_in_fix;
  } cases[] = {
      {"GRUB_CMDLINE_LINUX=\"\"\n", NULL, PASS_BOOT_GRUB, "update-grub", "/etc/kernel/cmdline"},
      {NULL, "root=UUID=x rw\n", PASS_BOOT_KERNEL_INSTALL, "kernel-install add",
       "/etc/default/grub"},
      {"", "", PASS_BOOT_GRUB | PASS_BOOT_KERNEL_INSTALL, "/etc/kernel/cmdline", "Neither"},
      {NULL, NULL, PASS_BOOT_UNKNOWN, "Neither /etc/default/grub nor /etc/kernel/cmdline", NULL},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    PassBootloader boot = pass_doctor_bootloader(cases[i].grub, cases[i].kernel);
    g_autofree char *fix = pass_doctor_cmdline_fix(boot, "intel_iommu=on");

    g_test_message("case %" G_GSIZE_FORMAT ": %s", i, fix);
    g_assert_cmpint(boot, ==, cases[i].boot);
    g_assert_nonnull(strstr(fix, "\"intel_iommu=on\""));
    g_assert_nonnull(strstr(fix, "reboot"));
    g_assert_nonnull(strstr(fix, cases[i].in_fix));
    if (cases[i].not_in_fix)
      g_assert_null(strstr(fix, cases[i].not_in_fix));
  }
}

static void
test_modules(void)
{
  const char *dep = "kernel/drivers/vfio/vfio.ko.xz:\n"
                    "kernel/drivers/vfio/pci/vfio-pci.ko.zst: kernel/drivers/vfio/vfio.ko.xz\n"
                    "kernel/drivers/net/ethernet/intel/igb/igb.ko:\n";
  static const struct {
    const char *name;
    gboolean listed;
  } cases[] = {
      {"vfio", TRUE},
      {"vfio_pci", TRUE},
      {"vfio-pci", TRUE},
      {"igb", TRUE},
      {"vfio_iommu_type1", FALSE},
      {"pci", FALSE}, /* a directory on the way is not a module */
      {"vfio_pci_core", FALSE},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("case %s", cases[i].name);
    g_assert_cmpint(pass_doctor_module_listed(dep, cases[i].name), ==, cases[i].listed);
  }
  g_assert_true(
      pass_doctor_module_listed("kernel/drivers/vfio/vfio_iommu_type1.ko\n", "vfio_iommu_type1"));
  g_assert_false(pass_doctor_module_listed(NULL, "vfio"));
  g_assert_false(pass_doctor_module_listed("", "vfio"));
}

/* A little-endian extended capability header at @offset. */
static void
put_ext_cap(guint8 *config, guint offset, guint16 id, guint next)
{
  guint32 header = id | 1u << 16 | (guint32)next << 20;

  for (guint i = 0; i < 4; i++)
    config[offset + i] = (header >> (8 * i)) & 0xff;
}

static void
test_ext_cap(void)
{
  guint8 config[4096] = {0};
  guint8 loop[4096] = {0};

  /* AER at 0x100 -> ACS at 0x148 -> SR-IOV at 0x160, the end */
  put_ext_cap(config, 0x100, 0x0001, 0x148);
  put_ext_cap(config, 0x148, 0x000d, 0x160);
  put_ext_cap(config, 0x160, 0x0010, 0);
  g_assert_cmpint(pass_doctor_pci_ext_cap(config, sizeof config, 0x000d), ==, 0x148);
  g_assert_cmpint(pass_doctor_pci_ext_cap(config, sizeof config, 0x0010), ==, 0x160);
  g_assert_cmpint(pass_doctor_pci_ext_cap(config, sizeof config, 0x0001), ==, 0x100);
  g_assert_cmpint(pass_doctor_pci_ext_cap(config, sizeof config, 0x000b), ==, 0);
  /* only 256 (or 64) bytes readable: unknown, not absent */
  g_assert_cmpint(pass_doctor_pci_ext_cap(config, 256, 0x000d), ==, -1);
  g_assert_cmpint(pass_doctor_pci_ext_cap(config, 64, 0x000d), ==, -1);
  g_assert_cmpint(pass_doctor_pci_ext_cap(NULL, 0, 0x000d), ==, -1);
  /* cut short in the middle of the list */
  g_assert_cmpint(pass_doctor_pci_ext_cap(config, 0x14a, 0x000d), ==, 0);
  /* no extended capabilities at all; a device that is gone */
  memset(config + 0x100, 0, 16);
  g_assert_cmpint(pass_doctor_pci_ext_cap(config, sizeof config, 0x000d), ==, 0);
  memset(config + 0x100, 0xff, 4);
  g_assert_cmpint(pass_doctor_pci_ext_cap(config, sizeof config, 0x000d), ==, 0);
  /* a list that points back at itself ends */
  put_ext_cap(loop, 0x100, 0x0001, 0x100);
  g_assert_cmpint(pass_doctor_pci_ext_cap(loop, sizeof loop, 0x000d), ==, 0);
}

static void
test_ecap(void)
{
  static const struct {
    const char *ecap;
    int ir;
  } cases[] = {
      {"f050da\n", 1}, /* a Skylake server's */
      {"0x8\n", 1},    {"f050d2\n", 0}, {"0\n", 0}, {"zz\n", -1}, {"", -1}, {NULL, -1},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("case %" G_GSIZE_FORMAT, i);
    g_assert_cmpint(pass_doctor_intel_ecap_ir(cases[i].ecap), ==, cases[i].ir);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/doctor/cpu", test_cpu);
  g_test_add_func("/doctor/cmdline", test_cmdline);
  g_test_add_func("/doctor/grub", test_grub);
  g_test_add_func("/doctor/bootloader", test_bootloader);
  g_test_add_func("/doctor/modules", test_modules);
  g_test_add_func("/doctor/ext-cap", test_ext_cap);
  g_test_add_func("/doctor/ecap", test_ecap);
  return g_test_run();
}
