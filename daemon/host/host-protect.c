/* Is a PCI device one the host itself needs? (see pass_host_check_protected in host.h) */
#include "host-private.h"
#include "host-usb.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass-address.h"

#define MAX_STACK_DEPTH 16 /* dm on md on partitions... or bridge on bond on VLAN */
#define RTF_UP_FLAG     0x0001
#define RTF_REJECT_FLAG 0x0200
#define IPV6_SCOPE_HOST 0x10
#define IPV6_SCOPE_LINK 0x20

/* --- block devices: mounts and swap --- */

static gboolean block_below(PassHost *host, const char *devpath, const char *address, guint depth);

static gboolean
slaves_below(PassHost *host, const char *devpath, const char *address, guint depth)
{
  g_autofree char *slaves = g_build_filename(devpath, "slaves", NULL);
  g_autofree char *full = pass_host_path(host, slaves);
  g_autoptr(GDir) dir = g_dir_open(full, 0, NULL);
  const char *name;

  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *link = g_build_filename(slaves, name, NULL);
    g_autofree char *slave = pass_host_resolve(host, link);

    if (block_below(host, slave, address, depth + 1))
      return TRUE;
  }
  return FALSE;
}

/* Does block device @devpath (resolved, host side) live on PCI function @address, directly or
 * through the devices it is stacked on? */
static gboolean
block_below(PassHost *host, const char *devpath, const char *address, guint depth)
{
  g_autofree char *partition = NULL;
  g_autofree char *partition_full = NULL;

  if (devpath == NULL || depth > MAX_STACK_DEPTH)
    return FALSE;
  if (pass_host_path_below(devpath, address))
    return TRUE;
  if (slaves_below(host, devpath, address, depth))
    return TRUE;
  /* A partition of a dm or md device has no slaves of its own: its whole disk has them. */
  partition = g_build_filename(devpath, "partition", NULL);
  partition_full = pass_host_path(host, partition);
  if (g_file_test(partition_full, G_FILE_TEST_EXISTS)) {
    g_autofree char *disk = g_path_get_dirname(devpath);

    return slaves_below(host, disk, address, depth);
  }
  return FALSE;
}

/* "/dev/mapper/vg-root" -> the resolved /sys path of dm-N, via /sys/class/block/NAME. */
static char *
block_by_node(PassHost *host, const char *node)
{
  g_autofree char *resolved = pass_host_resolve(host, node);
  g_autofree char *name = NULL;
  g_autofree char *link = NULL;

  if (resolved == NULL)
    return NULL;
  name = g_path_get_basename(resolved);
  link = g_build_filename("/sys/class/block", name, NULL);
  return pass_host_resolve(host, link);
}

static void
add_use(GPtrArray *uses, const char *what, const char *devpath)
{
  g_autofree char *name = g_path_get_basename(devpath);
  g_autofree char *use = g_strdup_printf("%s (%s)", what, name);

  if (!g_ptr_array_find_with_equal_func(uses, use, g_str_equal, NULL))
    g_ptr_array_add(uses, g_steal_pointer(&use));
}

static void
find_mounts(PassHost *host, const char *address, GPtrArray *uses)
{
  g_autofree char *text = pass_host_read(host, "/proc/self/mountinfo");
  g_auto(GStrv) lines = NULL;

  if (text == NULL)
    return;
  lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_auto(GStrv) fields = g_strsplit(lines[i], " ", -1);
    g_autofree char *devpath = NULL;
    g_autofree char *mountpoint = NULL;
    const char *source = NULL;
    guint major, minor;
    guint n = g_strv_length(fields);

    if (n < 5 || sscanf(fields[2], "%u:%u", &major, &minor) != 2)
      continue;
    /* The optional fields end at "-"; the mount source follows the file system type. */
    for (guint f = 6; f + 2 < n; f++) {
      if (g_str_equal(fields[f], "-")) {
        source = fields[f + 2];
        break;
      }
    }
    if (major != 0) {
      g_autofree char *link = g_strdup_printf("/sys/dev/block/%u:%u", major, minor);

      devpath = pass_host_resolve(host, link);
    } else if (source != NULL && g_str_has_prefix(source, "/dev/")) {
      /* btrfs (and a few others) report an anonymous 0:N device: go by the source instead. */
      devpath = block_by_node(host, source);
    } else {
      continue; /* proc, sysfs, tmpfs, ...: no device behind it */
    }
    if (!block_below(host, devpath, address, 0))
      continue;
    mountpoint = g_strcompress(fields[4]); /* undo the \040-style escapes */
    add_use(uses, mountpoint, devpath);
  }
}

static void
find_swaps(PassHost *host, const char *address, GPtrArray *uses)
{
  g_autofree char *text = pass_host_read(host, "/proc/swaps");
  g_auto(GStrv) lines = NULL;

  if (text == NULL)
    return;
  lines = g_strsplit(text, "\n", -1);
  /* Line 0 is the header. A swap file lives on a file system, which the mounts already cover. */
  for (guint i = 1; lines[i] != NULL; i++) {
    g_auto(GStrv) fields = g_strsplit_set(lines[i], " \t", -1);
    g_autofree char *node = NULL;
    g_autofree char *devpath = NULL;
    const char *type = NULL;

    for (guint f = 1; fields[0] != NULL && fields[f] != NULL; f++) {
      if (*fields[f] != '\0') {
        type = fields[f];
        break;
      }
    }
    if (type == NULL || !g_str_equal(type, "partition"))
      continue;
    node = g_strcompress(fields[0]);
    devpath = block_by_node(host, node);
    if (block_below(host, devpath, address, 0))
      add_use(uses, "swap", devpath);
  }
}

/* "a", "a and b", "a, b and c" */
static char *
join_and(GPtrArray *items)
{
  GString *out = g_string_new(NULL);

  for (guint i = 0; i < items->len; i++) {
    if (i > 0)
      g_string_append(out, i + 1 == items->len ? " and " : ", ");
    g_string_append(out, g_ptr_array_index(items, i));
  }
  return g_string_free(out, FALSE);
}

void
pass_host_check_storage(PassHost *host, const char *address, const char *subject,
                        GPtrArray *reasons)
{
  g_autoptr(GPtrArray) uses = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *list = NULL;

  find_mounts(host, address, uses);
  find_swaps(host, address, uses);
  if (uses->len == 0)
    return;
  list = join_and(uses);
  g_ptr_array_add(reasons, g_strdup_printf("%s holds %s", subject, list));
}

/* --- network interfaces: default routes and addresses --- */

static void
multi_add(GHashTable *table, const char *key, char *value)
{
  GPtrArray *values = g_hash_table_lookup(table, key);

  if (values == NULL) {
    values = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_insert(table, g_strdup(key), values);
  }
  g_ptr_array_add(values, value);
}

static GHashTable *
multi_new(void)
{
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
}

static gboolean
parse_ipv6_hex(const char *hex, struct in6_addr *out)
{
  if (strlen(hex) != 32)
    return FALSE;
  for (guint i = 0; i < 16; i++) {
    int hi = g_ascii_xdigit_value(hex[2 * i]);
    int lo = g_ascii_xdigit_value(hex[2 * i + 1]);

    if (hi < 0 || lo < 0)
      return FALSE;
    out->s6_addr[i] = (guint8)(hi << 4 | lo);
  }
  return TRUE;
}

static char *
ipv6_to_string(const struct in6_addr *addr)
{
  char buf[INET6_ADDRSTRLEN];

  return g_strdup(inet_ntop(AF_INET6, addr, buf, sizeof buf));
}

/* iface -> descriptions of the default routes it carries. */
static GHashTable *
read_default_routes(PassHost *host)
{
  GHashTable *routes = multi_new();
  g_autofree char *v4 = pass_host_read(host, "/proc/net/route");
  g_autofree char *v6 = pass_host_read(host, "/proc/net/ipv6_route");
  g_auto(GStrv) lines4 = v4 != NULL ? g_strsplit(v4, "\n", -1) : NULL;
  g_auto(GStrv) lines6 = v6 != NULL ? g_strsplit(v6, "\n", -1) : NULL;

  /* Iface Destination Gateway Flags RefCnt Use Metric Mask ... (line 0 is the header) */
  for (guint i = 1; lines4 != NULL && lines4[i] != NULL; i++) {
    g_auto(GStrv) f = g_strsplit_set(lines4[i], " \t", -1);
    g_autoptr(GPtrArray) fields = g_ptr_array_new();
    struct in_addr gateway;
    char buf[INET_ADDRSTRLEN];
    guint flags;

    for (guint j = 0; f[j] != NULL; j++)
      if (*f[j] != '\0')
        g_ptr_array_add(fields, f[j]);
    if (fields->len < 8 || !g_str_equal(g_ptr_array_index(fields, 1), "00000000") ||
        !g_str_equal(g_ptr_array_index(fields, 7), "00000000"))
      continue;
    flags = (guint)strtoul(g_ptr_array_index(fields, 3), NULL, 16);
    if (!(flags & RTF_UP_FLAG) || (flags & RTF_REJECT_FLAG))
      continue;
    /* The kernel prints the raw network-order word in host order: read it back the same way. */
    gateway.s_addr = (in_addr_t)strtoul(g_ptr_array_index(fields, 2), NULL, 16);
    if (gateway.s_addr == 0)
      multi_add(routes, g_ptr_array_index(fields, 0), g_strdup("carries the default route"));
    else
      multi_add(routes, g_ptr_array_index(fields, 0),
                g_strdup_printf("carries the default route (via %s)",
                                inet_ntop(AF_INET, &gateway, buf, sizeof buf)));
  }

  /* dest dest_len src src_len nexthop metric refcnt use flags iface */
  for (guint i = 0; lines6 != NULL && lines6[i] != NULL; i++) {
    g_auto(GStrv) f = g_strsplit_set(lines6[i], " \t", -1);
    g_autoptr(GPtrArray) fields = g_ptr_array_new();
    struct in6_addr nexthop;
    guint flags;

    for (guint j = 0; f[j] != NULL; j++)
      if (*f[j] != '\0')
        g_ptr_array_add(fields, f[j]);
    if (fields->len < 10 ||
        !g_str_equal(g_ptr_array_index(fields, 0), "00000000000000000000000000000000") ||
        !g_str_equal(g_ptr_array_index(fields, 1), "00"))
      continue;
    flags = (guint)strtoul(g_ptr_array_index(fields, 8), NULL, 16);
    if (!(flags & RTF_UP_FLAG) || (flags & RTF_REJECT_FLAG))
      continue;
    if (!parse_ipv6_hex(g_ptr_array_index(fields, 4), &nexthop))
      continue;
    if (IN6_IS_ADDR_UNSPECIFIED(&nexthop)) {
      multi_add(routes, g_ptr_array_index(fields, 9), g_strdup("carries the IPv6 default route"));
    } else {
      g_autofree char *via = ipv6_to_string(&nexthop);

      multi_add(routes, g_ptr_array_index(fields, 9),
                g_strdup_printf("carries the IPv6 default route (via %s)", via));
    }
  }
  return routes;
}

/* iface -> addresses in use (IPv4 and global/site IPv6). */
static GHashTable *
read_addresses(PassHost *host)
{
  GHashTable *addresses = multi_new();
  g_autofree char *v6 = pass_host_read(host, "/proc/net/if_inet6");
  g_auto(GStrv) lines = v6 != NULL ? g_strsplit(v6, "\n", -1) : NULL;

  if (host->ipv4 != NULL) {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init(&iter, host->ipv4);
    while (g_hash_table_iter_next(&iter, &key, &value))
      multi_add(addresses, key, g_strdup(value));
  } else if (g_str_equal(host->root, "/")) {
    struct ifaddrs *list = NULL;

    if (getifaddrs(&list) == 0) {
      for (struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
        char buf[INET_ADDRSTRLEN];

        if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET)
          continue;
        if (inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)ifa->ifa_addr)->sin_addr, buf,
                      sizeof buf) != NULL)
          multi_add(addresses, ifa->ifa_name, g_strdup(buf));
      }
      freeifaddrs(list);
    }
  }

  /* address ifindex prefixlen scope flags name */
  for (guint i = 0; lines != NULL && lines[i] != NULL; i++) {
    g_auto(GStrv) f = g_strsplit_set(lines[i], " \t", -1);
    g_autoptr(GPtrArray) fields = g_ptr_array_new();
    struct in6_addr addr;
    guint scope;

    for (guint j = 0; f[j] != NULL; j++)
      if (*f[j] != '\0')
        g_ptr_array_add(fields, f[j]);
    if (fields->len < 6 || !parse_ipv6_hex(g_ptr_array_index(fields, 0), &addr))
      continue;
    scope = (guint)strtoul(g_ptr_array_index(fields, 3), NULL, 16);
    if (scope == IPV6_SCOPE_LINK || scope == IPV6_SCOPE_HOST)
      continue;
    multi_add(addresses, g_ptr_array_index(fields, 5), ipv6_to_string(&addr));
  }
  return addresses;
}

/* @iface and every interface stacked on it (bridge, bond, VLAN), @iface first. */
static void
collect_uppers(PassHost *host, const char *iface, GPtrArray *out, guint depth)
{
  g_autofree char *link = NULL;
  g_autofree char *dirpath = NULL;
  g_autofree char *full = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (depth > MAX_STACK_DEPTH || g_ptr_array_find_with_equal_func(out, iface, g_str_equal, NULL))
    return;
  g_ptr_array_add(out, g_strdup(iface));
  link = g_build_filename("/sys/class/net", iface, NULL);
  dirpath = pass_host_resolve(host, link);
  if (dirpath == NULL)
    return;
  full = pass_host_path(host, dirpath);
  dir = g_dir_open(full, 0, NULL);
  if (dir == NULL)
    return;
  while ((name = g_dir_read_name(dir)) != NULL) {
    if (g_str_has_prefix(name, "upper_") && name[6] != '\0')
      collect_uppers(host, name + 6, out, depth + 1);
  }
}

void
pass_host_check_network(PassHost *host, const char *address, const char *subject,
                        GPtrArray *reasons)
{
  g_autoptr(GDir) dir = NULL;
  g_autofree char *netdir = pass_host_path(host, "/sys/class/net");
  g_autoptr(GHashTable) routes = NULL;
  g_autoptr(GHashTable) addresses = NULL;
  g_autoptr(GPtrArray) ifaces = g_ptr_array_new_with_free_func(g_free);
  const char *name;

  dir = g_dir_open(netdir, 0, NULL);
  if (dir == NULL)
    return;
  while ((name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *link = g_build_filename("/sys/class/net", name, "device", NULL);
    g_autofree char *devpath = pass_host_resolve(host, link);

    if (pass_host_path_below(devpath, address))
      g_ptr_array_add(ifaces, g_strdup(name));
  }
  if (ifaces->len == 0)
    return;
  g_ptr_array_sort(ifaces, (GCompareFunc)g_strcmp0); /* stable reasons for a stable API */

  routes = read_default_routes(host);
  addresses = read_addresses(host);
  for (guint i = 0; i < ifaces->len; i++) {
    const char *iface = g_ptr_array_index(ifaces, i);
    g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func(g_free);

    collect_uppers(host, iface, stack, 0);
    for (guint j = 0; j < stack->len; j++) {
      const char *upper = g_ptr_array_index(stack, j);
      GPtrArray *via = g_hash_table_lookup(routes, upper);
      GPtrArray *addrs = g_hash_table_lookup(addresses, upper);
      g_autoptr(GPtrArray) uses = g_ptr_array_new_with_free_func(g_free);
      g_autofree char *what = NULL;
      g_autofree char *list = NULL;

      for (guint k = 0; via != NULL && k < via->len; k++)
        g_ptr_array_add(uses, g_strdup(g_ptr_array_index(via, k)));
      if (addrs != NULL && addrs->len > 0) {
        g_autoptr(GPtrArray) copy = g_ptr_array_new();
        g_autofree char *joined = NULL;

        for (guint k = 0; k < addrs->len; k++)
          g_ptr_array_add(copy, g_ptr_array_index(addrs, k));
        joined = join_and(copy);
        g_ptr_array_add(uses,
                        g_strdup_printf("has address%s %s", addrs->len > 1 ? "es" : "", joined));
      }
      if (uses->len == 0)
        continue;
      what = j == 0 ? g_strdup(iface) : g_strdup_printf("%s (under %s)", iface, upper);
      list = join_and(uses);
      g_ptr_array_add(reasons, g_strdup_printf("%s is %s, which %s", subject, what, list));
    }
  }
}

/* --- the rest --- */

static void
check_boot_vga(PassHost *host, const char *address, GPtrArray *reasons)
{
  g_autofree char *path = g_strdup_printf("/sys/bus/pci/devices/%s/boot_vga", address);
  g_autofree char *value = pass_host_read(host, path);

  if (value != NULL && g_str_equal(g_strstrip(value), "1"))
    g_ptr_array_add(reasons, g_strdup_printf("%s is the boot VGA device", address));
}

gboolean
pass_host_check_protected(PassHost *host, const char *address, guint32 class_code, char **reason)
{
  g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *canonical = NULL;

  g_return_val_if_fail(host != NULL, FALSE);
  if (reason != NULL)
    *reason = NULL;
  if (g_str_has_prefix(address, "usb:"))
    return pass_host_usb_check_protected(host, address, reason);
  /* Paths are built from the address: only a canonical one may reach them. */
  canonical = pass_address_canonicalize(address, NULL);
  if (canonical == NULL || !g_str_equal(canonical, address))
    return FALSE;

  if ((class_code >> 16) == 0x06)
    g_ptr_array_add(reasons, g_strdup_printf("%s is a bridge (class 0x%06x)", address, class_code));
  check_boot_vga(host, address, reasons);
  pass_host_check_storage(host, address, address, reasons);
  pass_host_check_network(host, address, address, reasons);

  if (reasons->len == 0)
    return FALSE;
  if (reason != NULL) {
    g_ptr_array_add(reasons, NULL);
    *reason = g_strjoinv("; ", (char **)reasons->pdata);
  }
  return TRUE;
}
