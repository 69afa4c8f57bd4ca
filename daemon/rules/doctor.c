/* The host doctor's pure parts (see doctor.h). */
#include "doctor.h"

#include <string.h>

#define PCI_EXT_CAP_START 0x100
#define PCI_EXT_CAP_MAX   48 /* (4096 - 256) / 8: more is a loop in a corrupt list */
#define ECAP_IR           (1u << 3)

/* The value of the first "@key : value" line of @text, a new string, or NULL. */
static char *
cpuinfo_field(const char *cpuinfo, const char *key)
{
  g_auto(GStrv) lines = NULL;

  if (cpuinfo == NULL)
    return NULL;
  lines = g_strsplit(cpuinfo, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    char *colon = strchr(lines[i], ':');

    if (colon == NULL)
      continue;
    *colon = '\0';
    if (g_str_equal(g_strstrip(lines[i]), key))
      return g_strdup(g_strstrip(colon + 1));
  }
  return NULL;
}

PassCpuVendor
pass_doctor_cpu_vendor(const char *cpuinfo)
{
  g_autofree char *vendor = cpuinfo_field(cpuinfo, "vendor_id");

  if (g_strcmp0(vendor, "GenuineIntel") == 0)
    return PASS_CPU_INTEL;
  /* Hygon's Dhyana is AMD's Zen under licence: same SVM, same AMD-Vi. */
  if (g_strcmp0(vendor, "AuthenticAMD") == 0 || g_strcmp0(vendor, "HygonGenuine") == 0)
    return PASS_CPU_AMD;
  return PASS_CPU_OTHER;
}

gboolean
pass_doctor_cpu_flag(const char *cpuinfo, const char *flag)
{
  g_autofree char *flags = cpuinfo_field(cpuinfo, "flags");
  g_auto(GStrv) words = NULL;

  if (flags == NULL)
    return FALSE;
  words = g_strsplit_set(flags, " \t", -1);
  return g_strv_contains((const char *const *)words, flag);
}

/* The kernel's own words: blanks split, double quotes group and are dropped. */
static GPtrArray *
cmdline_words(const char *cmdline)
{
  GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GString) word = g_string_new(NULL);
  gboolean quoted = FALSE, any = FALSE;

  for (const char *p = cmdline; p != NULL && *p != '\0'; p++) {
    if (*p == '"') {
      quoted = !quoted;
      any = TRUE;
      continue;
    }
    if (!quoted && g_ascii_isspace(*p)) {
      if (any)
        g_ptr_array_add(words, g_strdup(word->str));
      g_string_truncate(word, 0);
      any = FALSE;
      continue;
    }
    g_string_append_c(word, *p);
    any = TRUE;
  }
  if (any)
    g_ptr_array_add(words, g_strdup(word->str));
  return words;
}

static gboolean
same_name(const char *a, gsize a_len, const char *b)
{
  if (strlen(b) != a_len)
    return FALSE;
  for (gsize i = 0; i < a_len; i++) {
    char x = a[i] == '-' ? '_' : a[i];
    char y = b[i] == '-' ? '_' : b[i];

    if (x != y)
      return FALSE;
  }
  return TRUE;
}

gboolean
pass_doctor_cmdline_get(const char *cmdline, const char *name, char **value)
{
  g_autoptr(GPtrArray) words = cmdline_words(cmdline);
  const char *found = NULL;
  gboolean present = FALSE;

  for (guint i = 0; i < words->len; i++) {
    const char *word = g_ptr_array_index(words, i);
    const char *equals = strchr(word, '=');
    gsize len = equals ? (gsize)(equals - word) : strlen(word);

    if (g_str_equal(word, "--"))
      break; /* the rest is init's */
    if (!same_name(word, len, name))
      continue;
    present = TRUE;
    found = equals ? equals + 1 : NULL;
  }
  if (value != NULL)
    *value = g_strdup(found);
  return present;
}

/* The value of the last "KEY=..." assignment in a shell-style file, quotes removed. */
static char *
shell_assignment(char **lines, const char *key)
{
  char *value = NULL;
  gsize key_len = strlen(key);

  for (guint i = 0; lines[i] != NULL; i++) {
    const char *line = lines[i];

    while (g_ascii_isspace(*line))
      line++;
    if (g_str_has_prefix(line, "export "))
      line += strlen("export ");
    if (strncmp(line, key, key_len) != 0 || line[key_len] != '=')
      continue;
    g_free(value);
    value = g_strstrip(g_strdup(line + key_len + 1));
    /* Either quote: grub's file is sourced by a shell. */
    g_strdelimit(value, "\"'", ' ');
    g_strstrip(value);
  }
  return value;
}

char *
pass_doctor_grub_cmdline(const char *grub_default)
{
  g_auto(GStrv) lines = NULL;
  g_autofree char *linux_args = NULL;
  g_autofree char *default_args = NULL;

  if (grub_default == NULL)
    return NULL;
  lines = g_strsplit(grub_default, "\n", -1);
  linux_args = shell_assignment(lines, "GRUB_CMDLINE_LINUX");
  default_args = shell_assignment(lines, "GRUB_CMDLINE_LINUX_DEFAULT");
  return g_strstrip(
      g_strjoin(" ", linux_args ? linux_args : "", default_args ? default_args : "", NULL));
}

PassBootloader
pass_doctor_bootloader(const char *grub_default, const char *kernel_cmdline)
{
  PassBootloader boot = PASS_BOOT_UNKNOWN;

  if (grub_default != NULL)
    boot |= PASS_BOOT_GRUB;
  if (kernel_cmdline != NULL)
    boot |= PASS_BOOT_KERNEL_INSTALL;
  return boot;
}

char *
pass_doctor_cmdline_fix(PassBootloader boot, const char *params)
{
  g_autoptr(GString) text = g_string_new(NULL);
  gboolean grub = (boot & PASS_BOOT_GRUB) || boot == PASS_BOOT_UNKNOWN;
  gboolean kernel_install = (boot & PASS_BOOT_KERNEL_INSTALL) || boot == PASS_BOOT_UNKNOWN;

  if (boot == PASS_BOOT_UNKNOWN)
    g_string_append(text, "Neither /etc/default/grub nor /etc/kernel/cmdline exists; ");
  if (grub)
    g_string_append_printf(text,
                           "%s: add \"%s\" to GRUB_CMDLINE_LINUX in /etc/default/grub, run "
                           "update-grub (Debian, Ubuntu) or grub2-mkconfig -o "
                           "/boot/grub2/grub.cfg (Fedora, RHEL), then reboot",
                           boot == PASS_BOOT_GRUB ? "GRUB" : "with GRUB", params);
  if (grub && kernel_install)
    g_string_append(text, "; ");
  if (kernel_install)
    g_string_append_printf(text,
                           "%s: add \"%s\" to /etc/kernel/cmdline, run kernel-install add "
                           "\"$(uname -r)\" \"/lib/modules/$(uname -r)/vmlinuz\" (or reinstall "
                           "the kernel package), then reboot",
                           boot == PASS_BOOT_KERNEL_INSTALL ? "kernel-install (systemd-boot)"
                                                            : "with kernel-install (systemd-boot)",
                           params);
  return g_string_free(g_steal_pointer(&text), FALSE);
}

/* "kernel/drivers/vfio/pci/vfio-pci.ko.zst" -> "vfio_pci". */
static char *
module_name(const char *path, gsize len)
{
  g_autofree char *copy = g_strndup(path, len);
  g_autofree char *base = g_path_get_basename(g_strstrip(copy));
  char *ko = strstr(base, ".ko");

  if (ko == NULL)
    return NULL;
  *ko = '\0';
  return g_strdelimit(g_steal_pointer(&base), "-", '_');
}

gboolean
pass_doctor_module_listed(const char *list, const char *name)
{
  g_autofree char *wanted = NULL;
  g_auto(GStrv) lines = NULL;

  if (list == NULL)
    return FALSE;
  wanted = g_strdelimit(g_strdup(name), "-", '_');
  lines = g_strsplit(list, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *colon = strchr(lines[i], ':');
    gsize len = colon ? (gsize)(colon - lines[i]) : strlen(lines[i]);
    g_autofree char *module = module_name(lines[i], len);

    if (g_strcmp0(module, wanted) == 0)
      return TRUE;
  }
  return FALSE;
}

int
pass_doctor_pci_ext_cap(const guint8 *config, gsize length, guint16 id)
{
  guint offset = PCI_EXT_CAP_START;

  if (config == NULL || length < PCI_EXT_CAP_START + 4)
    return -1;
  for (guint hops = 0; hops < PCI_EXT_CAP_MAX; hops++) {
    guint32 header;

    if (offset < PCI_EXT_CAP_START || offset + 4 > length)
      return 0;
    /* Config space is little-endian, whatever the CPU. */
    header = (guint32)config[offset] | (guint32)config[offset + 1] << 8 |
             (guint32)config[offset + 2] << 16 | (guint32)config[offset + 3] << 24;
    if (header == 0 || header == 0xffffffffu)
      return 0; /* no extended capabilities at all, or the device is gone */
    if ((header & 0xffff) == id)
      return (int)offset;
    offset = (header >> 20) & 0xffc;
    if (offset == 0)
      return 0;
  }
  return 0;
}

int
pass_doctor_intel_ecap_ir(const char *ecap)
{
  g_autofree char *text = NULL;
  guint64 value;

  if (ecap == NULL)
    return -1;
  text = g_strstrip(g_strdup(ecap));
  if (g_str_has_prefix(text, "0x"))
    memmove(text, text + 2, strlen(text + 2) + 1);
  if (!g_ascii_string_to_unsigned(text, 16, 0, G_MAXUINT64, &value, NULL))
    return -1;
  return (value & ECAP_IR) != 0;
}
