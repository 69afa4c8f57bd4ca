/* The host doctor's probes (see host-doctor.h). Only stat() and reads: the doctor must be safe
 * to run on any host, so nothing here writes, loads a module or touches a device. */
#include "host-doctor.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "doctor.h"
#include "host-private.h"
#include "pass-address.h"

#define PCI_EXT_CAP_ACS 0x000d

#define FIRMWARE_FIX                                                                               \
  "Enable the IOMMU in the firmware setup (Intel: \"VT-d\", AMD: \"AMD-Vi\" or \"IOMMU\"), "       \
  "then reboot"
#define MODULES_LOAD_FIX                                                                           \
  "modprobe -a vfio vfio_pci vfio_iommu_type1; to load them at every boot: printf "                \
  "'vfio\\nvfio_pci\\nvfio_iommu_type1\\n' > /etc/modules-load.d/vfio.conf"

/* What every host check needs, read once. */
typedef struct {
  PassHost *host;
  char *cpuinfo;        /* NULL: unreadable */
  char *cmdline;        /* /proc/cmdline */
  char *grub;           /* /etc/default/grub, NULL when absent */
  char *kernel_cmdline; /* /etc/kernel/cmdline, NULL when absent */
  PassCpuVendor vendor;
  PassCpuVendor iommu; /* whose IOMMU the ACPI tables describe (DMAR: Intel, IVRS: AMD); the
                        * CPU's vendor when neither is there */
  PassBootloader boot;
  int n_groups; /* entries of /sys/kernel/iommu_groups; -1 when it is missing */
} Doctor;

static void
doctor_clear(Doctor *doctor)
{
  g_free(doctor->cpuinfo);
  g_free(doctor->cmdline);
  g_free(doctor->grub);
  g_free(doctor->kernel_cmdline);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Doctor, doctor_clear)

static void
add(GPtrArray *checks, const char *id, const char *title, PassCheckStatus status,
    const char *evidence, const char *fix)
{
  g_ptr_array_add(checks, pass_check_new(id, title, status, evidence, fix));
}

static gboolean
exists(PassHost *host, const char *path)
{
  g_autofree char *full = pass_host_path(host, path);

  return g_file_test(full, G_FILE_TEST_EXISTS);
}

/* Entries of a directory below the root; -1 when it cannot be listed. */
static int
count_entries(PassHost *host, const char *path)
{
  g_autofree char *full = pass_host_path(host, path);
  g_autoptr(GDir) dir = g_dir_open(full, 0, NULL);
  int n = 0;

  if (dir == NULL)
    return -1;
  while (g_dir_read_name(dir) != NULL)
    n++;
  return n;
}

static char *
read_stripped(PassHost *host, const char *path)
{
  char *text = pass_host_read(host, path);

  return text ? g_strstrip(text) : NULL;
}

/* The boot configuration sets @name already (the running kernel may predate it). */
static const char *
configured_in(const Doctor *doctor, const char *name)
{
  g_autofree char *grub = pass_doctor_grub_cmdline(doctor->grub);

  if (grub != NULL && pass_doctor_cmdline_get(grub, name, NULL))
    return "/etc/default/grub";
  if (pass_doctor_cmdline_get(doctor->kernel_cmdline, name, NULL))
    return "/etc/kernel/cmdline";
  return NULL;
}

/* How to get @params onto the command line: reboot when the boot configuration has them. */
static char *
cmdline_fix(const Doctor *doctor, const char *name, const char *params)
{
  g_autofree char *steps = pass_doctor_cmdline_fix(doctor->boot, params);
  const char *file = configured_in(doctor, name);

  if (file == NULL)
    return g_steal_pointer(&steps);
  return g_strdup_printf("%s sets %s already but the running kernel did not boot with it: "
                         "regenerate the boot entries and reboot (%s)",
                         file, name, steps);
}

static const char *
intel_or_amd(const Doctor *doctor, const char *intel, const char *amd, const char *other)
{
  switch (doctor->vendor) {
    case PASS_CPU_INTEL:
      return intel;
    case PASS_CPU_AMD:
      return amd;
    case PASS_CPU_OTHER:
      break;
  }
  return other;
}

/* ---- CPU and KVM ---- */

static void
check_cpu(const Doctor *doctor, GPtrArray *checks)
{
  const char *title = "CPU virtualisation (VT-x/AMD-V)";
  const char *flag = NULL;

  if (doctor->cpuinfo == NULL) {
    add(checks, "cpu-virtualization", title, PASS_CHECK_WARN, "/proc/cpuinfo: unreadable",
        "Check that /proc is mounted");
    return;
  }
  if (pass_doctor_cpu_flag(doctor->cpuinfo, "vmx"))
    flag = "vmx";
  else if (pass_doctor_cpu_flag(doctor->cpuinfo, "svm"))
    flag = "svm";
  if (flag != NULL) {
    g_autofree char *evidence = g_strdup_printf("/proc/cpuinfo: flags include %s", flag);

    add(checks, "cpu-virtualization", title, PASS_CHECK_PASS, evidence, NULL);
    return;
  }
  add(checks, "cpu-virtualization", title, PASS_CHECK_FAIL,
      "/proc/cpuinfo: flags include neither vmx nor svm",
      intel_or_amd(doctor,
                   "Enable Intel VT-x in the firmware setup; in a virtual machine, expose vmx to "
                   "it (nested virtualisation: kvm_intel nested=1 and CPU mode host-passthrough "
                   "on its host)",
                   "Enable AMD-V (SVM) in the firmware setup; in a virtual machine, expose svm to "
                   "it (nested virtualisation: kvm_amd nested=1 and CPU mode host-passthrough on "
                   "its host)",
                   "Enable hardware virtualisation (VT-x or AMD-V) in the firmware setup"));
}

static void
check_kvm(const Doctor *doctor, GPtrArray *checks)
{
  const char *title = "/dev/kvm";
  g_autofree char *full = pass_host_path(doctor->host, "/dev/kvm");
  g_autofree char *evidence = NULL;
  GStatBuf st;

  if (g_stat(full, &st) != 0) {
    add(checks, "kvm-device", title, PASS_CHECK_FAIL, "/dev/kvm: does not exist",
        intel_or_amd(doctor, "modprobe kvm_intel (and enable VT-x in the firmware if it fails)",
                     "modprobe kvm_amd (and enable AMD-V in the firmware if it fails)",
                     "modprobe kvm_intel or kvm_amd, whichever matches the CPU"));
    return;
  }
  if (S_ISCHR(st.st_mode))
    evidence =
        g_strdup_printf("/dev/kvm: character device %u:%u", major(st.st_rdev), minor(st.st_rdev));
  else
    evidence = g_strdup("/dev/kvm: exists");
  add(checks, "kvm-device", title, PASS_CHECK_PASS, evidence, NULL);
}

/* ---- the IOMMU ---- */

static void
check_iommu_firmware(const Doctor *doctor, GPtrArray *checks)
{
  const char *title = "IOMMU in the firmware (ACPI DMAR/IVRS)";
  gboolean dmar = exists(doctor->host, "/sys/firmware/acpi/tables/DMAR");
  gboolean ivrs = exists(doctor->host, "/sys/firmware/acpi/tables/IVRS");

  /* Only virtual machines mix them (QEMU's intel-iommu under an AMD CPU, say). The IOMMU
   * works, but tools that look for the CPU vendor's table (virt-host-validate) find none. */
  if ((dmar && !ivrs && doctor->vendor == PASS_CPU_AMD) ||
      (ivrs && !dmar && doctor->vendor == PASS_CPU_INTEL)) {
    g_autofree char *evidence = g_strdup_printf(
        "/sys/firmware/acpi/tables/%s exists (%s) under an %s CPU (/proc/cpuinfo), and no %s",
        dmar ? "DMAR" : "IVRS", dmar ? "Intel VT-d" : "AMD-Vi",
        doctor->vendor == PASS_CPU_AMD ? "AMD" : "Intel", dmar ? "IVRS" : "DMAR");

    add(checks, "iommu-firmware", title, PASS_CHECK_WARN, evidence,
        "Nothing to change if iommu-enabled passes: this mix is an emulated machine's "
        "(passthrough works through it; the kernel parameters are the IOMMU's, not the CPU's). "
        "Tools that expect the CPU vendor's IOMMU, virt-host-validate among them, report none");
    return;
  }
  if (dmar || ivrs) {
    add(checks, "iommu-firmware", title, PASS_CHECK_PASS,
        dmar ? "/sys/firmware/acpi/tables/DMAR exists (Intel VT-d)"
             : "/sys/firmware/acpi/tables/IVRS exists (AMD-Vi)",
        NULL);
    return;
  }
  /* Not every IOMMU is described by ACPI (device-tree platforms): the groups tell. */
  if (doctor->n_groups > 0) {
    add(checks, "iommu-firmware", title, PASS_CHECK_PASS,
        "no ACPI DMAR or IVRS table, but /sys/kernel/iommu_groups is populated (an IOMMU "
        "described otherwise)",
        NULL);
    return;
  }
  add(checks, "iommu-firmware", title, PASS_CHECK_FAIL,
      "neither /sys/firmware/acpi/tables/DMAR nor /sys/firmware/acpi/tables/IVRS exists: this "
      "host has no IOMMU, or its firmware hides it",
      FIRMWARE_FIX);
}

/* What keeps the kernel from enabling the IOMMU: a parameter to add or to remove. NULL when
 * the command line is not the cause. */
static char *
iommu_cmdline_problem(const Doctor *doctor, char **fix)
{
  g_autofree char *intel = NULL;
  g_autofree char *amd = NULL;
  g_autofree char *generic = NULL;

  if (pass_doctor_cmdline_get(doctor->cmdline, "iommu", &generic) &&
      g_strcmp0(generic, "off") == 0) {
    *fix = g_strdup("Remove iommu=off from the kernel command line (and from the boot "
                    "configuration), then reboot");
    return g_strdup("/proc/cmdline: iommu=off");
  }
  if (doctor->iommu == PASS_CPU_INTEL) {
    gboolean set = pass_doctor_cmdline_get(doctor->cmdline, "intel_iommu", &intel);

    if (set && intel != NULL && g_str_has_prefix(intel, "off")) {
      *fix = g_strdup("Replace intel_iommu=off by intel_iommu=on on the kernel command line "
                      "(and in the boot configuration), then reboot");
      return g_strdup_printf("/proc/cmdline: intel_iommu=%s", intel);
    }
    if (!set || intel == NULL || !g_str_has_prefix(intel, "on")) {
      *fix = cmdline_fix(doctor, "intel_iommu", "intel_iommu=on");
      return g_strdup("/proc/cmdline: no intel_iommu=on (many kernels leave VT-d off without "
                      "it)");
    }
    return NULL;
  }
  if (pass_doctor_cmdline_get(doctor->cmdline, "amd_iommu", &amd) && amd != NULL &&
      g_str_has_prefix(amd, "off")) {
    *fix = g_strdup("Remove amd_iommu=off from the kernel command line (and from the boot "
                    "configuration), then reboot");
    return g_strdup_printf("/proc/cmdline: amd_iommu=%s", amd);
  }
  return NULL;
}

static void
check_iommu_enabled(const Doctor *doctor, GPtrArray *checks)
{
  const char *title = "IOMMU enabled in the kernel";
  g_autofree char *evidence = NULL;
  g_autofree char *fix = NULL;
  g_autofree char *cause = NULL;

  if (doctor->n_groups > 0) {
    evidence = g_strdup_printf("/sys/kernel/iommu_groups: %d groups", doctor->n_groups);
    add(checks, "iommu-enabled", title, PASS_CHECK_PASS, evidence, NULL);
    return;
  }
  cause = iommu_cmdline_problem(doctor, &fix);
  /* Without the firmware's table no command line helps: that comes first. */
  if (!exists(doctor->host, "/sys/firmware/acpi/tables/DMAR") &&
      !exists(doctor->host, "/sys/firmware/acpi/tables/IVRS")) {
    g_autofree char *then = g_steal_pointer(&fix);

    fix = then ? g_strdup_printf("%s; then: %s", FIRMWARE_FIX, then) : g_strdup(FIRMWARE_FIX);
  } else if (cause == NULL) {
    fix = g_strdup("The firmware has an IOMMU but the kernel did not enable it: check that it "
                   "is built with CONFIG_INTEL_IOMMU or CONFIG_AMD_IOMMU and look for DMAR or "
                   "AMD-Vi lines in dmesg");
  }
  evidence = g_strdup_printf("/sys/kernel/iommu_groups: %s%s%s",
                             doctor->n_groups < 0 ? "missing" : "no groups", cause ? "; " : "",
                             cause ? cause : "");
  add(checks, "iommu-enabled", title, PASS_CHECK_FAIL, evidence, fix);
}

/* One IOMMU unit of /sys/class/iommu: 1 remaps interrupts, 0 not, -1 unknown. */
static int
unit_remaps(const Doctor *doctor, const char *unit, GString *evidence)
{
  g_autofree char *ecap_path = g_build_filename("/sys/class/iommu", unit, "intel-iommu/ecap", NULL);
  g_autofree char *amd_path = g_build_filename("/sys/class/iommu", unit, "amd-iommu", NULL);
  g_autofree char *ecap = read_stripped(doctor->host, ecap_path);
  int ir;

  if (evidence->len > 0)
    g_string_append(evidence, "; ");
  if (ecap != NULL) {
    ir = pass_doctor_intel_ecap_ir(ecap);
    g_string_append_printf(evidence, "%s = %s (IR, bit 3: %s)", ecap_path, ecap,
                           ir < 0 ? "unreadable"
                           : ir   ? "set"
                                  : "clear");
    return ir;
  }
  /* AMD-Vi units have no IR flag in sysfs: remapping is part of every one of them and on
   * unless the command line turns it off (checked by the caller). */
  if (exists(doctor->host, amd_path)) {
    g_string_append_printf(evidence, "%s: AMD-Vi, remaps interrupts when active", amd_path);
    return 1;
  }
  g_string_append_printf(evidence, "/sys/class/iommu/%s: neither intel-iommu/ecap nor amd-iommu",
                         unit);
  return -1;
}

static void
check_interrupt_remapping(const Doctor *doctor, GPtrArray *checks)
{
  const char *title = "IOMMU interrupt remapping";
  const char *unsafe_fix =
      "Enable interrupt remapping in the firmware (VT-d with x2APIC); only for trusted guests: "
      "echo 'options vfio_iommu_type1 allow_unsafe_interrupts=1' > /etc/modprobe.d/vfio.conf";
  g_autofree char *full = pass_host_path(doctor->host, "/sys/class/iommu");
  g_autoptr(GDir) dir = g_dir_open(full, 0, NULL);
  g_autoptr(GString) evidence = g_string_new(NULL);
  g_autofree char *intremap = NULL;
  gboolean any = FALSE, missing = FALSE, unknown = FALSE;
  const char *unit;

  while (dir != NULL && (unit = g_dir_read_name(dir)) != NULL) {
    int ir = unit_remaps(doctor, unit, evidence);

    any = TRUE;
    missing |= ir == 0;
    unknown |= ir < 0;
  }
  if (!any) {
    /* dmesg would say, but it is not reliably readable: say what is known. */
    add(checks, "interrupt-remapping", title, PASS_CHECK_WARN,
        "unknown: /sys/class/iommu has no IOMMU unit (no IOMMU enabled)",
        "Enable the IOMMU first (see iommu-enabled)");
    return;
  }
  if (pass_doctor_cmdline_get(doctor->cmdline, "intremap", &intremap) &&
      g_strcmp0(intremap, "off") == 0) {
    g_string_prepend(evidence, "/proc/cmdline: intremap=off; ");
    add(checks, "interrupt-remapping", title, PASS_CHECK_FAIL, evidence->str,
        "Remove intremap=off from the kernel command line (and the boot configuration), then "
        "reboot");
    return;
  }
  if (missing) {
    add(checks, "interrupt-remapping", title, PASS_CHECK_FAIL, evidence->str, unsafe_fix);
    return;
  }
  if (unknown) {
    g_string_prepend(evidence, "unknown: ");
    add(checks, "interrupt-remapping", title, PASS_CHECK_WARN, evidence->str,
        "Look for \"Enabled IRQ remapping\" in dmesg; without it vfio refuses devices unless "
        "vfio_iommu_type1 allow_unsafe_interrupts=1 is set");
    return;
  }
  add(checks, "interrupt-remapping", title, PASS_CHECK_PASS, evidence->str, NULL);
}

/* ---- the kernel command line ---- */

static void
check_cmdline_iommu(const Doctor *doctor, GPtrArray *checks)
{
  const char *title = "Kernel command line: IOMMU";
  g_autofree char *cause = NULL;
  g_autofree char *fix = NULL;
  g_autofree char *value = NULL;
  g_autofree char *evidence = NULL;

  if (doctor->cmdline == NULL) {
    add(checks, "kernel-cmdline-iommu", title, PASS_CHECK_WARN, "/proc/cmdline: unreadable",
        "Check that /proc is mounted");
    return;
  }
  cause = iommu_cmdline_problem(doctor, &fix);
  /* An IOMMU the kernel enabled by default (CONFIG_INTEL_IOMMU_DEFAULT_ON) needs no word. */
  if (cause != NULL && (doctor->n_groups <= 0 || g_str_has_suffix(cause, "=off"))) {
    add(checks, "kernel-cmdline-iommu", title, PASS_CHECK_FAIL, cause, fix);
    return;
  }
  switch (doctor->iommu) {
    case PASS_CPU_INTEL:
      if (pass_doctor_cmdline_get(doctor->cmdline, "intel_iommu", &value))
        evidence = g_strdup_printf("/proc/cmdline: intel_iommu=%s", value ? value : "");
      else
        evidence = g_strdup("/proc/cmdline: no intel_iommu=, and the kernel enabled VT-d by "
                            "default");
      break;
    case PASS_CPU_AMD:
      evidence = g_strdup("/proc/cmdline: no amd_iommu=off; AMD-Vi is on by default on modern "
                          "kernels whenever the firmware has it (amd_iommu=on is not needed)");
      break;
    case PASS_CPU_OTHER:
      if (doctor->n_groups <= 0) {
        add(checks, "kernel-cmdline-iommu", title, PASS_CHECK_WARN,
            "/proc/cpuinfo names neither an Intel nor an AMD CPU: which parameter enables its "
            "IOMMU is not known here",
            "See the platform's IOMMU documentation (Intel: intel_iommu=on; AMD: on by "
            "default)");
        return;
      }
      evidence = g_strdup("/proc/cmdline: nothing turns the IOMMU off");
      break;
  }
  add(checks, "kernel-cmdline-iommu", title, PASS_CHECK_PASS, evidence, NULL);
}

static void
check_cmdline_passthrough(const Doctor *doctor, GPtrArray *checks)
{
  const char *title = "Kernel command line: iommu=pt";
  g_autofree char *value = NULL;
  g_autofree char *fix = NULL;
  g_autofree char *evidence = NULL;

  if (pass_doctor_cmdline_get(doctor->cmdline, "iommu", &value) && g_strcmp0(value, "pt") == 0) {
    add(checks, "kernel-cmdline-passthrough", title, PASS_CHECK_PASS, "/proc/cmdline: iommu=pt",
        NULL);
    return;
  }
  fix = cmdline_fix(doctor, "iommu", "iommu=pt");
  evidence = g_strdup_printf("/proc/cmdline: %s%s (recommended: the host's own devices then "
                             "bypass IOMMU translation, which costs them throughput)",
                             value ? "iommu=" : "no iommu=pt", value ? value : "");
  add(checks, "kernel-cmdline-passthrough", title, PASS_CHECK_WARN, evidence, fix);
}

/* ---- vfio modules ---- */

static void
check_module(const Doctor *doctor, const char *name, const char *id, const char *release,
             const char *dep, const char *builtin, GPtrArray *checks)
{
  g_autofree char *title = g_strdup_printf("Kernel module %s", name);
  g_autofree char *sys = g_build_filename("/sys/module", name, NULL);
  g_autofree char *evidence = NULL;
  g_autofree char *fix = NULL;

  if (exists(doctor->host, sys)) {
    evidence = g_strdup_printf("%s exists (loaded)", sys);
    add(checks, id, title, PASS_CHECK_PASS, evidence, NULL);
  } else if (pass_doctor_module_listed(builtin, name)) {
    evidence = g_strdup_printf("/lib/modules/%s/modules.builtin lists it (built in)", release);
    add(checks, id, title, PASS_CHECK_PASS, evidence, NULL);
  } else if (pass_doctor_module_listed(dep, name)) {
    evidence =
        g_strdup_printf("not loaded (no %s); /lib/modules/%s/modules.dep lists it", sys, release);
    add(checks, id, title, PASS_CHECK_WARN, evidence, MODULES_LOAD_FIX);
  } else {
    evidence = g_strdup_printf("not loaded (no %s), and neither /lib/modules/%s/modules.dep nor "
                               "modules.builtin lists it",
                               sys, release);
    fix = g_strdup_printf("Install the modules of the running kernel %s (e.g. "
                          "linux-modules-extra-%s on Ubuntu, kernel-modules on Fedora) or boot "
                          "a kernel built with CONFIG_VFIO_PCI; then %s",
                          release, release, MODULES_LOAD_FIX);
    add(checks, id, title, PASS_CHECK_FAIL, evidence, fix);
  }
}

static void
check_modules(const Doctor *doctor, GPtrArray *checks)
{
  static const char *const modules[][2] = {
      {"vfio", "module-vfio"},
      {"vfio_pci", "module-vfio-pci"},
      {"vfio_iommu_type1", "module-vfio-iommu-type1"},
  };
  /* The root's own release, not uname(): a fake tree stands for another kernel. */
  g_autofree char *release = read_stripped(doctor->host, "/proc/sys/kernel/osrelease");
  g_autofree char *dep_path = NULL;
  g_autofree char *builtin_path = NULL;
  g_autofree char *dep = NULL;
  g_autofree char *builtin = NULL;

  if (release == NULL)
    release = g_strdup("?");
  dep_path = g_build_filename("/lib/modules", release, "modules.dep", NULL);
  builtin_path = g_build_filename("/lib/modules", release, "modules.builtin", NULL);
  dep = pass_host_read(doctor->host, dep_path);
  builtin = pass_host_read(doctor->host, builtin_path);
  for (gsize i = 0; i < G_N_ELEMENTS(modules); i++)
    check_module(doctor, modules[i][0], modules[i][1], release, dep, builtin, checks);
}

void
pass_host_doctor_host(PassHost *host, GPtrArray *checks)
{
  g_auto(Doctor) doctor = {.host = host};

  doctor.cpuinfo = pass_host_read(host, "/proc/cpuinfo");
  doctor.cmdline = read_stripped(host, "/proc/cmdline");
  doctor.grub = pass_host_read(host, "/etc/default/grub");
  doctor.kernel_cmdline = pass_host_read(host, "/etc/kernel/cmdline");
  doctor.vendor = pass_doctor_cpu_vendor(doctor.cpuinfo);
  doctor.iommu = exists(host, "/sys/firmware/acpi/tables/DMAR")   ? PASS_CPU_INTEL
                 : exists(host, "/sys/firmware/acpi/tables/IVRS") ? PASS_CPU_AMD
                                                                  : doctor.vendor;
  doctor.boot = pass_doctor_bootloader(doctor.grub, doctor.kernel_cmdline);
  doctor.n_groups = count_entries(host, "/sys/kernel/iommu_groups");

  check_cpu(&doctor, checks);
  check_kvm(&doctor, checks);
  check_iommu_firmware(&doctor, checks);
  check_iommu_enabled(&doctor, checks);
  check_interrupt_remapping(&doctor, checks);
  check_cmdline_iommu(&doctor, checks);
  check_cmdline_passthrough(&doctor, checks);
  check_modules(&doctor, checks);
}

/* ---- one device ---- */

static gboolean
is_pci_address(const char *text)
{
  g_autofree char *canonical = pass_address_canonicalize(text, NULL);

  return canonical != NULL && g_str_equal(canonical, text);
}

/* The bridges above @address, nearest last, from its place in /sys/devices. */
static GPtrArray *
upstream_bridges(PassHost *host, const char *address, char **resolved)
{
  g_autofree char *link = g_build_filename("/sys/bus/pci/devices", address, NULL);
  g_auto(GStrv) parts = NULL;
  GPtrArray *bridges = g_ptr_array_new_with_free_func(g_free);

  *resolved = pass_host_resolve(host, link);
  if (*resolved == NULL)
    return bridges;
  parts = g_strsplit(*resolved, "/", -1);
  for (guint i = 0; parts[i] != NULL && !g_str_equal(parts[i], address); i++)
    if (is_pci_address(parts[i]))
      g_ptr_array_add(bridges, g_strdup(parts[i]));
  return bridges;
}

static void
check_acs(PassHost *host, const char *address, GPtrArray *checks)
{
  const char *title = "ACS on the upstream path";
  g_autofree char *resolved = NULL;
  g_autoptr(GPtrArray) bridges = upstream_bridges(host, address, &resolved);
  g_autoptr(GString) evidence = g_string_new(NULL);
  g_autoptr(GString) without = g_string_new(NULL);
  g_autoptr(GString) unknown = g_string_new(NULL);
  g_autofree char *fix = NULL;

  if (bridges->len == 0) {
    add(checks, "device-acs", title, PASS_CHECK_PASS,
        "no PCI bridge above it (on a root bus): its isolation is its IOMMU group's", NULL);
    return;
  }
  for (guint i = 0; i < bridges->len; i++) {
    const char *bridge = g_ptr_array_index(bridges, i);
    g_autofree char *path = g_build_filename("/sys/bus/pci/devices", bridge, "config", NULL);
    g_autofree char *full = pass_host_path(host, path);
    g_autofree char *config = NULL;
    gsize length = 0;
    int offset = -1;

    if (g_file_get_contents(full, &config, &length, NULL))
      offset = pass_doctor_pci_ext_cap((const guint8 *)config, length, PCI_EXT_CAP_ACS);
    if (evidence->len > 0)
      g_string_append(evidence, "; ");
    if (offset > 0) {
      g_string_append_printf(evidence, "%s: ACS capability at 0x%03x", path, offset);
    } else if (offset == 0) {
      g_string_append_printf(evidence, "%s: no ACS capability", path);
      g_string_append_printf(without, "%s%s", without->len ? ", " : "", bridge);
    } else {
      g_string_append_printf(evidence, "%s: %s", path,
                             config == NULL ? "unreadable"
                                            : "no extended config space visible (needs root)");
      g_string_append_printf(unknown, "%s%s", unknown->len ? ", " : "", bridge);
    }
  }
  if (without->len > 0) {
    fix = g_strdup_printf("Devices below %s can reach each other without the IOMMU, so they "
                          "share an IOMMU group: pass the whole group (attach --whole-group) or "
                          "move the device to a slot whose root port has ACS",
                          without->str);
    add(checks, "device-acs", title, PASS_CHECK_WARN, evidence->str, fix);
  } else if (unknown->len > 0) {
    g_string_prepend(evidence, "unknown: ");
    fix = g_strdup_printf("Run the check as root (passd reads PCI config space beyond 256 bytes "
                          "only then), or look for \"Access Control Services\" in lspci -vvv -s "
                          "%s as root",
                          unknown->str);
    add(checks, "device-acs", title, PASS_CHECK_WARN, evidence->str, fix);
  } else {
    add(checks, "device-acs", title, PASS_CHECK_PASS, evidence->str, NULL);
  }
}

static void
check_reset(PassHost *host, const char *address, GPtrArray *checks)
{
  const char *title = "Device reset";
  g_autofree char *path = g_build_filename("/sys/bus/pci/devices", address, "reset_method", NULL);
  g_autofree char *reset = g_build_filename("/sys/bus/pci/devices", address, "reset", NULL);
  g_autofree char *methods = read_stripped(host, path);
  g_autofree char *evidence = NULL;

  if (methods != NULL && *methods != '\0') {
    evidence = g_strdup_printf("%s: %s", path, methods);
    add(checks, "device-reset", title, PASS_CHECK_PASS, evidence, NULL);
    return;
  }
  /* Kernels before 5.15 have no reset_method, only "reset" when some method works. */
  if (methods == NULL && exists(host, reset)) {
    evidence = g_strdup_printf("%s exists (this kernel has no reset_method)", reset);
    add(checks, "device-reset", title, PASS_CHECK_PASS, evidence, NULL);
    return;
  }
  evidence = methods != NULL ? g_strdup_printf("%s: empty", path)
                             : g_strdup_printf("neither %s nor %s exists", path, reset);
  add(checks, "device-reset", title, PASS_CHECK_WARN, evidence,
      "The kernel cannot reset this device between guests: give it to one guest for good, or "
      "use a device with Function Level Reset (FLR)");
}

static void
check_sriov(PassHost *host, const char *address, GPtrArray *checks)
{
  const char *title = "SR-IOV";
  g_autofree char *total_path =
      g_build_filename("/sys/bus/pci/devices", address, "sriov_totalvfs", NULL);
  g_autofree char *num_path =
      g_build_filename("/sys/bus/pci/devices", address, "sriov_numvfs", NULL);
  g_autofree char *physfn = g_build_filename("/sys/bus/pci/devices", address, "physfn", NULL);
  g_autofree char *total = read_stripped(host, total_path);
  g_autofree char *num = read_stripped(host, num_path);
  g_autofree char *pf = pass_host_resolve(host, physfn);
  g_autofree char *evidence = NULL;

  /* Information, never a problem: it says which kind of function this is. */
  if (total != NULL)
    evidence = g_strdup_printf("%s: %s (physical function; sriov_numvfs: %s)", total_path, total,
                               num ? num : "?");
  else if (exists(host, physfn) && pf != NULL)
    evidence = g_strdup_printf("%s -> %s (virtual function)", physfn, pf);
  else
    evidence = g_strdup_printf("no %s: not SR-IOV capable", total_path);
  add(checks, "device-sriov", title, PASS_CHECK_PASS, evidence, NULL);
}

static void
check_protected(PassHost *host, const char *address, GPtrArray *checks)
{
  const char *title = "Not needed by the host";
  g_autofree char *path = g_build_filename("/sys/bus/pci/devices", address, "class", NULL);
  g_autofree char *class = read_stripped(host, path);
  g_autofree char *reason = NULL;
  g_autofree char *evidence = NULL;
  guint64 code = 0;

  if (class == NULL ||
      !g_ascii_string_to_unsigned(g_str_has_prefix(class, "0x") ? class + 2 : class, 16, 0,
                                  0xffffff, &code, NULL))
    code = 0;
  if (pass_host_check_protected(host, address, (guint32)code, &reason)) {
    evidence = g_strdup_printf("%s (%s: %s)", reason, path, class ? class : "unreadable");
    add(checks, "device-host-critical", title, PASS_CHECK_FAIL, evidence,
        "Move what the host does with it elsewhere first (file systems, swap, routes, "
        "console); attach --force passes it through regardless");
    return;
  }
  evidence = g_strdup_printf("no mounted file system, swap, default route or address on it; not "
                             "the boot VGA device; not a bridge (%s: %s)",
                             path, class ? class : "unreadable");
  add(checks, "device-host-critical", title, PASS_CHECK_PASS, evidence, NULL);
}

void
pass_host_doctor_device(PassHost *host, const char *address, GPtrArray *checks)
{
  const char *title = "Device in sysfs";
  g_autofree char *link = g_build_filename("/sys/bus/pci/devices", address, NULL);
  g_autofree char *resolved = NULL;
  g_autofree char *evidence = NULL;

  if (!is_pci_address(address) || !exists(host, link)) {
    evidence = g_strdup_printf("%s does not exist", link);
    add(checks, "device-sysfs", title, PASS_CHECK_FAIL, evidence,
        "Check the address with lspci -D; a device that vanished may need a rescan "
        "(echo 1 > /sys/bus/pci/rescan)");
    return;
  }
  resolved = pass_host_resolve(host, link);
  evidence = g_strdup_printf("%s -> %s", link, resolved ? resolved : "?");
  add(checks, "device-sysfs", title, PASS_CHECK_PASS, evidence, NULL);
  check_acs(host, address, checks);
  check_reset(host, address, checks);
  check_sriov(host, address, checks);
  check_protected(host, address, checks);
}
