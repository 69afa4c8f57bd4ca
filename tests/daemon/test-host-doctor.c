/* host/host-doctor against fake hosts built in a temp dir: an Intel host with its IOMMU on, an
 * AMD host, a host without an IOMMU, and devices below bridges with and without ACS. Never
 * touches the real /sys: every PassHost here has a fresh g_dir_make_tmp() root. */
#include <string.h>

#include "fake-root.h"
#include "host-doctor.h"

#define RP      "sys/devices/pci0000:00/0000:00:1c.0"
#define RELEASE "6.1.0-test"

typedef struct {
  char *root;
  PassHost *host;
  GPtrArray *checks;
} Fixture;

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  fx->root = g_dir_make_tmp("passd-doctor-XXXXXX", &error);
  g_assert_no_error(error);
  fx->host = pass_host_new(fx->root);
  fx->checks = g_ptr_array_new_with_free_func((GDestroyNotify)pass_check_free);
  fake_root_put(fx->root, "proc/sys/kernel/osrelease", RELEASE "\n");
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
  g_ptr_array_unref(fx->checks);
  pass_host_free(fx->host);
  g_assert_true(fake_root_remove(fx->root));
  g_free(fx->root);
}

static const PassCheck *
find(Fixture *fx, const char *id)
{
  for (guint i = 0; i < fx->checks->len; i++) {
    const PassCheck *check = g_ptr_array_index(fx->checks, i);

    if (g_str_equal(check->id, id))
      return check;
  }
  g_error("no check %s", id);
  return NULL;
}

/* @id has @status, its evidence contains @evidence and its fix @fix (NULL: no fix at all). */
static void
assert_check(Fixture *fx, const char *id, PassCheckStatus status, const char *evidence,
             const char *fix)
{
  const PassCheck *check = find(fx, id);

  g_test_message("%s: %s | %s | %s", id, pass_check_status_name(check->status), check->evidence,
                 check->fix ? check->fix : "(no fix)");
  g_assert_cmpstr(pass_check_status_name(check->status), ==, pass_check_status_name(status));
  g_assert_nonnull(check->title);
  g_assert_nonnull(strstr(check->evidence, evidence));
  if (fix == NULL)
    g_assert_null(check->fix);
  else
    g_assert_nonnull(strstr(check->fix, fix));
  if (status == PASS_CHECK_PASS)
    g_assert_null(check->fix);
  else
    g_assert_nonnull(check->fix);
}

static void
iommu_groups(Fixture *fx, guint n)
{
  for (guint i = 0; i < n; i++) {
    g_autofree char *path = g_strdup_printf("sys/kernel/iommu_groups/%u/devices", i);

    fake_root_mkdirs(fx->root, path);
  }
}

/* ---- whole hosts ---- */

static void
test_intel_on(Fixture *fx, gconstpointer data)
{
  static const char *const order[] = {
      "cpu-virtualization",
      "kvm-device",
      "iommu-firmware",
      "iommu-enabled",
      "interrupt-remapping",
      "kernel-cmdline-iommu",
      "kernel-cmdline-passthrough",
      "module-vfio",
      "module-vfio-pci",
      "module-vfio-iommu-type1",
  };

  fake_root_put(fx->root, "proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: fpu vmx ept\n");
  fake_root_put(fx->root, "dev/kvm", "");
  fake_root_put(fx->root, "sys/firmware/acpi/tables/DMAR", "");
  iommu_groups(fx, 3);
  fake_root_put(fx->root, "sys/class/iommu/dmar0/intel-iommu/ecap", "f050da\n");
  fake_root_put(fx->root, "sys/class/iommu/dmar1/intel-iommu/ecap", "0x19e2ff0505e\n");
  fake_root_put(fx->root, "proc/cmdline",
                "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on iommu=pt\n");
  fake_root_put(fx->root, "etc/default/grub", "GRUB_CMDLINE_LINUX=\"intel_iommu=on iommu=pt\"\n");
  fake_root_mkdirs(fx->root, "sys/module/vfio");
  fake_root_mkdirs(fx->root, "sys/module/vfio_pci");
  fake_root_put(fx->root, "lib/modules/" RELEASE "/modules.dep",
                "kernel/drivers/vfio/vfio_iommu_type1.ko.xz: kernel/drivers/vfio/vfio.ko.xz\n");

  pass_host_doctor_host(fx->host, fx->checks);
  g_assert_cmpuint(fx->checks->len, ==, G_N_ELEMENTS(order));
  for (guint i = 0; i < fx->checks->len; i++)
    g_assert_cmpstr(((PassCheck *)g_ptr_array_index(fx->checks, i))->id, ==, order[i]);
  assert_check(fx, "cpu-virtualization", PASS_CHECK_PASS, "/proc/cpuinfo: flags include vmx", NULL);
  assert_check(fx, "kvm-device", PASS_CHECK_PASS, "/dev/kvm", NULL);
  assert_check(fx, "iommu-firmware", PASS_CHECK_PASS, "DMAR exists", NULL);
  assert_check(fx, "iommu-enabled", PASS_CHECK_PASS, "/sys/kernel/iommu_groups: 3 groups", NULL);
  assert_check(fx, "interrupt-remapping", PASS_CHECK_PASS,
               "/sys/class/iommu/dmar0/intel-iommu/ecap = f050da (IR, bit 3: set)", NULL);
  assert_check(fx, "kernel-cmdline-iommu", PASS_CHECK_PASS, "intel_iommu=on", NULL);
  assert_check(fx, "kernel-cmdline-passthrough", PASS_CHECK_PASS, "iommu=pt", NULL);
  assert_check(fx, "module-vfio", PASS_CHECK_PASS, "/sys/module/vfio exists", NULL);
  assert_check(fx, "module-vfio-pci", PASS_CHECK_PASS, "/sys/module/vfio_pci exists", NULL);
  assert_check(fx, "module-vfio-iommu-type1", PASS_CHECK_WARN,
               "/lib/modules/" RELEASE "/modules.dep lists it", "/etc/modules-load.d/vfio.conf");
}

static void
test_intel_default_on(Fixture *fx, gconstpointer data)
{
  /* No intel_iommu= at all, yet groups: a kernel with VT-d on by default needs no word. */
  fake_root_put(fx->root, "proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: vmx\n");
  fake_root_put(fx->root, "sys/firmware/acpi/tables/DMAR", "");
  iommu_groups(fx, 1);
  fake_root_put(fx->root, "sys/class/iommu/dmar0/intel-iommu/ecap", "f050d2\n");
  fake_root_put(fx->root, "proc/cmdline", "root=/dev/sda1\n");

  pass_host_doctor_host(fx->host, fx->checks);
  assert_check(fx, "kernel-cmdline-iommu", PASS_CHECK_PASS, "enabled VT-d by default", NULL);
  /* a unit without IR: vfio refuses it unless told it is fine */
  assert_check(fx, "interrupt-remapping", PASS_CHECK_FAIL, "(IR, bit 3: clear)",
               "allow_unsafe_interrupts=1");
  /* neither grub nor kernel-install here: both ways are given */
  assert_check(fx, "kernel-cmdline-passthrough", PASS_CHECK_WARN, "no iommu=pt",
               "Neither /etc/default/grub nor /etc/kernel/cmdline exists");
  assert_check(fx, "kvm-device", PASS_CHECK_FAIL, "/dev/kvm: does not exist", "modprobe kvm_intel");
  assert_check(fx, "module-vfio", PASS_CHECK_FAIL, "neither /lib/modules/" RELEASE, RELEASE);
}

static void
test_amd(Fixture *fx, gconstpointer data)
{
  fake_root_put(fx->root, "proc/cpuinfo", "vendor_id\t: AuthenticAMD\nflags\t\t: fpu svm npt\n");
  fake_root_put(fx->root, "dev/kvm", "");
  fake_root_put(fx->root, "sys/firmware/acpi/tables/IVRS", "");
  iommu_groups(fx, 40);
  fake_root_mkdirs(fx->root, "sys/class/iommu/ivhd0/amd-iommu");
  fake_root_put(fx->root, "proc/cmdline", "initrd=\\initrd.img root=UUID=1234 rw\n");
  fake_root_put(fx->root, "etc/kernel/cmdline", "root=UUID=1234 rw\n");
  fake_root_put(fx->root, "lib/modules/" RELEASE "/modules.builtin",
                "kernel/drivers/vfio/vfio.ko\nkernel/drivers/vfio/vfio_iommu_type1.ko\n"
                "kernel/drivers/vfio/pci/vfio-pci.ko\n");

  pass_host_doctor_host(fx->host, fx->checks);
  assert_check(fx, "cpu-virtualization", PASS_CHECK_PASS, "svm", NULL);
  assert_check(fx, "iommu-firmware", PASS_CHECK_PASS, "IVRS exists (AMD-Vi)", NULL);
  assert_check(fx, "iommu-enabled", PASS_CHECK_PASS, "40 groups", NULL);
  assert_check(fx, "interrupt-remapping", PASS_CHECK_PASS, "AMD-Vi", NULL);
  assert_check(fx, "kernel-cmdline-iommu", PASS_CHECK_PASS, "on by default", NULL);
  /* kernel-install, and only it */
  assert_check(fx, "kernel-cmdline-passthrough", PASS_CHECK_WARN, "no iommu=pt",
               "add \"iommu=pt\" to /etc/kernel/cmdline");
  g_assert_null(strstr(find(fx, "kernel-cmdline-passthrough")->fix, "grub"));
  assert_check(fx, "module-vfio", PASS_CHECK_PASS, "modules.builtin lists it (built in)", NULL);
  assert_check(fx, "module-vfio-pci", PASS_CHECK_PASS, "built in", NULL);
  assert_check(fx, "module-vfio-iommu-type1", PASS_CHECK_PASS, "built in", NULL);
}

/* Lab L1: QEMU's intel-iommu under an AMD CPU. virt-host-validate looks for IVRS and warns;
 * the doctor warns too, and judges the command line by the IOMMU, not the CPU. */
static void
test_amd_cpu_intel_iommu(Fixture *fx, gconstpointer data)
{
  fake_root_put(fx->root, "proc/cpuinfo", "vendor_id\t: AuthenticAMD\nflags\t\t: fpu svm npt\n");
  fake_root_put(fx->root, "dev/kvm", "");
  fake_root_put(fx->root, "sys/firmware/acpi/tables/DMAR", "");
  iommu_groups(fx, 12);
  fake_root_put(fx->root, "proc/cmdline", "console=ttyS0 intel_iommu=on iommu=pt\n");

  pass_host_doctor_host(fx->host, fx->checks);
  assert_check(fx, "iommu-firmware", PASS_CHECK_WARN,
               "DMAR exists (Intel VT-d) under an AMD CPU (/proc/cpuinfo), and no IVRS",
               "virt-host-validate among them");
  assert_check(fx, "iommu-enabled", PASS_CHECK_PASS, "12 groups", NULL);
  assert_check(fx, "kernel-cmdline-iommu", PASS_CHECK_PASS, "/proc/cmdline: intel_iommu=on", NULL);
}

static void
test_amd_off(Fixture *fx, gconstpointer data)
{
  fake_root_put(fx->root, "proc/cpuinfo", "vendor_id\t: AuthenticAMD\nflags\t\t: svm\n");
  fake_root_put(fx->root, "sys/firmware/acpi/tables/IVRS", "");
  fake_root_mkdirs(fx->root, "sys/kernel/iommu_groups");
  fake_root_put(fx->root, "proc/cmdline", "root=/dev/sda1 amd_iommu=off\n");

  pass_host_doctor_host(fx->host, fx->checks);
  assert_check(fx, "iommu-enabled", PASS_CHECK_FAIL, "no groups; /proc/cmdline: amd_iommu=off",
               "Remove amd_iommu=off");
  assert_check(fx, "kernel-cmdline-iommu", PASS_CHECK_FAIL, "amd_iommu=off",
               "Remove amd_iommu=off");
}

static void
test_no_iommu(Fixture *fx, gconstpointer data)
{
  fake_root_put(fx->root, "proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: fpu hypervisor\n");
  fake_root_put(fx->root, "proc/cmdline", "console=ttyS0 -- intel_iommu=on\n");
  fake_root_put(fx->root, "etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");

  pass_host_doctor_host(fx->host, fx->checks);
  assert_check(fx, "cpu-virtualization", PASS_CHECK_FAIL, "neither vmx nor svm", "VT-x");
  assert_check(fx, "iommu-firmware", PASS_CHECK_FAIL, "neither /sys/firmware/acpi/tables/DMAR",
               "firmware setup");
  /* the firmware first, then the command line, for GRUB */
  assert_check(fx, "iommu-enabled", PASS_CHECK_FAIL, "/sys/kernel/iommu_groups: missing",
               "then reboot; then: GRUB: add \"intel_iommu=on\" to GRUB_CMDLINE_LINUX");
  assert_check(fx, "interrupt-remapping", PASS_CHECK_WARN, "unknown", "iommu-enabled");
  /* intel_iommu=on after "--" is init's, not the kernel's */
  assert_check(fx, "kernel-cmdline-iommu", PASS_CHECK_FAIL, "no intel_iommu=on", "update-grub");
  g_assert_null(strstr(find(fx, "kernel-cmdline-iommu")->fix, "/etc/kernel/cmdline"));
  assert_check(fx, "module-vfio-pci", PASS_CHECK_FAIL, "not loaded", "CONFIG_VFIO_PCI");
}

static void
test_configured_not_booted(Fixture *fx, gconstpointer data)
{
  fake_root_put(fx->root, "proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: vmx\n");
  fake_root_put(fx->root, "sys/firmware/acpi/tables/DMAR", "");
  fake_root_put(fx->root, "proc/cmdline", "root=/dev/sda1\n");
  fake_root_put(fx->root, "etc/default/grub", "GRUB_CMDLINE_LINUX=\"intel_iommu=on\"\n");
  fake_root_put(fx->root, "sys/class/iommu/dmar0/intel-iommu/ecap", "f050da\n");
  fake_root_put(fx->root, "proc/cmdline", "root=/dev/sda1 intremap=off\n");

  pass_host_doctor_host(fx->host, fx->checks);
  assert_check(fx, "kernel-cmdline-iommu", PASS_CHECK_FAIL, "no intel_iommu=on",
               "/etc/default/grub sets intel_iommu already");
  assert_check(fx, "iommu-enabled", PASS_CHECK_FAIL, "no intel_iommu=on", "reboot");
  assert_check(fx, "interrupt-remapping", PASS_CHECK_FAIL, "intremap=off", "Remove intremap=off");
}

/* ---- devices ---- */

/* 4 KiB of config space with an ACS capability in the list, or without it. */
static void
put_config(Fixture *fx, const char *path, gsize length, gboolean acs)
{
  g_autofree guint8 *config = g_new0(guint8, length);

  if (length >= 0x200) {
    /* AER at 0x100 -> (ACS at 0x148 ->) end */
    config[0x100] = 0x01;
    config[0x102] = 0x01;
    if (acs) {
      config[0x103] = 0x14; /* next 0x148: bits 31..20 */
      config[0x101] = 0x00;
      config[0x102] = 0x81;
      config[0x148] = 0x0d;
      config[0x14a] = 0x01;
    }
  }
  fake_root_put_bytes(fx->root, path, config, length);
}

/* A root port, a device below it, and the bus links. */
static void
device_tree(Fixture *fx, gsize port_config, gboolean acs)
{
  fake_root_put(fx->root, RP "/class", "0x060400\n");
  put_config(fx, RP "/config", port_config, acs);
  fake_root_put(fx->root, RP "/0000:02:00.0/class", "0x020000\n");
  fake_root_put(fx->root, RP "/0000:02:00.0/reset_method", "flr bus\n");
  fake_root_put(fx->root, RP "/0000:02:00.0/sriov_totalvfs", "7\n");
  fake_root_put(fx->root, RP "/0000:02:00.0/sriov_numvfs", "2\n");
  fake_root_put(fx->root, RP "/0000:02:00.1/class", "0x020000\n");
  fake_root_put(fx->root, RP "/0000:02:00.1/reset", "");
  fake_root_link(fx->root, RP "/0000:02:00.1/physfn", "../0000:02:00.0");
  fake_root_put(fx->root, "sys/devices/pci0000:00/0000:00:02.0/class", "0x030000\n");
  fake_root_link(fx->root, "sys/bus/pci/devices/0000:00:1c.0",
                 "../../../devices/pci0000:00/0000:00:1c.0");
  fake_root_link(fx->root, "sys/bus/pci/devices/0000:02:00.0",
                 "../../../devices/pci0000:00/0000:00:1c.0/0000:02:00.0");
  fake_root_link(fx->root, "sys/bus/pci/devices/0000:02:00.1",
                 "../../../devices/pci0000:00/0000:00:1c.0/0000:02:00.1");
  fake_root_link(fx->root, "sys/bus/pci/devices/0000:00:02.0",
                 "../../../devices/pci0000:00/0000:00:02.0");
}

static void
test_device_acs(Fixture *fx, gconstpointer data)
{
  static const char *const order[] = {"device-sysfs", "device-acs", "device-reset", "device-sriov",
                                      "device-host-critical"};

  device_tree(fx, 4096, TRUE);
  pass_host_doctor_device(fx->host, "0000:02:00.0", fx->checks);
  g_assert_cmpuint(fx->checks->len, ==, G_N_ELEMENTS(order));
  for (guint i = 0; i < fx->checks->len; i++)
    g_assert_cmpstr(((PassCheck *)g_ptr_array_index(fx->checks, i))->id, ==, order[i]);
  assert_check(fx, "device-sysfs", PASS_CHECK_PASS,
               "/sys/bus/pci/devices/0000:02:00.0 -> "
               "/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0",
               NULL);
  assert_check(fx, "device-acs", PASS_CHECK_PASS,
               "/sys/bus/pci/devices/0000:00:1c.0/config: ACS capability at 0x148", NULL);
  assert_check(fx, "device-reset", PASS_CHECK_PASS, "reset_method: flr bus", NULL);
  assert_check(fx, "device-sriov", PASS_CHECK_PASS, "sriov_totalvfs: 7 (physical function", NULL);
  assert_check(fx, "device-host-critical", PASS_CHECK_PASS, "0x020000", NULL);
}

static void
test_device_no_acs(Fixture *fx, gconstpointer data)
{
  device_tree(fx, 4096, FALSE);
  pass_host_doctor_device(fx->host, "0000:02:00.1", fx->checks);
  assert_check(fx, "device-acs", PASS_CHECK_WARN, "0000:00:1c.0/config: no ACS capability",
               "Devices below 0000:00:1c.0");
  /* an older kernel: only "reset" */
  assert_check(fx, "device-reset", PASS_CHECK_PASS, "reset exists", NULL);
  assert_check(fx, "device-sriov", PASS_CHECK_PASS, "(virtual function)", NULL);
}

static void
test_device_acs_unknown(Fixture *fx, gconstpointer data)
{
  /* what a non-root reader sees: 256 bytes */
  device_tree(fx, 256, TRUE);
  pass_host_doctor_device(fx->host, "0000:02:00.0", fx->checks);
  assert_check(fx, "device-acs", PASS_CHECK_WARN, "unknown: ", "as root");
}

static void
test_device_root_bus(Fixture *fx, gconstpointer data)
{
  device_tree(fx, 4096, TRUE);
  pass_host_doctor_device(fx->host, "0000:00:02.0", fx->checks);
  assert_check(fx, "device-acs", PASS_CHECK_PASS, "no PCI bridge above it", NULL);
  assert_check(fx, "device-reset", PASS_CHECK_WARN, "neither", "Function Level Reset");
  assert_check(fx, "device-sriov", PASS_CHECK_PASS, "not SR-IOV capable", NULL);
}

static void
test_device_protected(Fixture *fx, gconstpointer data)
{
  device_tree(fx, 4096, TRUE);
  pass_host_doctor_device(fx->host, "0000:00:1c.0", fx->checks);
  assert_check(fx, "device-host-critical", PASS_CHECK_FAIL, "is a bridge", "--force");
}

static void
test_device_missing(Fixture *fx, gconstpointer data)
{
  pass_host_doctor_device(fx->host, "0000:09:00.0", fx->checks);
  g_assert_cmpuint(fx->checks->len, ==, 1);
  assert_check(fx, "device-sysfs", PASS_CHECK_FAIL, "0000:09:00.0 does not exist", "lspci");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD("/host-doctor/intel-on", test_intel_on);
  ADD("/host-doctor/intel-default-on", test_intel_default_on);
  ADD("/host-doctor/amd", test_amd);
  ADD("/host-doctor/amd-cpu-intel-iommu", test_amd_cpu_intel_iommu);
  ADD("/host-doctor/amd-off", test_amd_off);
  ADD("/host-doctor/no-iommu", test_no_iommu);
  ADD("/host-doctor/configured-not-booted", test_configured_not_booted);
  ADD("/host-doctor/device/acs", test_device_acs);
  ADD("/host-doctor/device/no-acs", test_device_no_acs);
  ADD("/host-doctor/device/acs-unknown", test_device_acs_unknown);
  ADD("/host-doctor/device/root-bus", test_device_root_bus);
  ADD("/host-doctor/device/protected", test_device_protected);
  ADD("/host-doctor/device/missing", test_device_missing);
#undef ADD
  return g_test_run();
}
