/* daemon/host against fake sysfs/procfs trees built in a temp dir. Never touches the real /sys:
 * every PassHost here is created on a fresh g_dir_make_tmp() root. */
#include <arpa/inet.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "fake-root.h"
#include "host-private.h"
#include "pass-error.h"

#define PCI "sys/devices/pci0000:00"

typedef FakeHost Fixture;

static void
put(Fixture *fx, const char *path, const char *contents)
{
  fake_root_put(fx->root, path, contents);
}

static void
mkdirs(Fixture *fx, const char *path)
{
  fake_root_mkdirs(fx->root, path);
}

static void
link_to(Fixture *fx, const char *path, const char *target)
{
  fake_root_link(fx->root, path, target);
}

static char *
get(Fixture *fx, const char *path)
{
  g_autofree char *full = g_build_filename(fx->root, path, NULL);
  char *contents = NULL;

  if (!g_file_get_contents(full, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static void
setup(Fixture *fx, gconstpointer data)
{
  fake_host_setup(fx, data);
  g_assert_cmpstr(pass_host_get_root(fx->host), ==, fx->root);
}

/* A SATA disk on 0000:00:1f.2 with / on sda2 and swap on sda3. */
static void
add_sata(Fixture *fx)
{
#define SDA PCI "/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda"
  put(fx, SDA "/sda2/partition", "2\n");
  put(fx, SDA "/sda3/partition", "3\n");
#undef SDA
  link_to(fx, "sys/dev/block/8:2",
          "../../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2");
  link_to(fx, "sys/dev/block/8:3",
          "../../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda3");
  link_to(fx, "sys/class/block/sda3",
          "../../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda3");
}

/* An NVMe disk behind root port 0000:00:1d.0: nvme0n1p1 under dm-0 (/home), nvme0n1p2 as
 * btrfs (/srv, reported with an anonymous 0:N device). */
static void
add_nvme(Fixture *fx)
{
#define NS PCI "/0000:00:1d.0/0000:3b:00.0/nvme/nvme0/nvme0n1"
  put(fx, NS "/nvme0n1p1/partition", "1\n");
  put(fx, NS "/nvme0n1p2/partition", "2\n");
#undef NS
  link_to(fx, "sys/devices/virtual/block/dm-0/slaves/nvme0n1p1",
          "../../../../pci0000:00/0000:00:1d.0/0000:3b:00.0/nvme/nvme0/nvme0n1/nvme0n1p1");
  link_to(fx, "sys/dev/block/253:0", "../../devices/virtual/block/dm-0");
  link_to(fx, "sys/class/block/nvme0n1p2",
          "../../devices/pci0000:00/0000:00:1d.0/0000:3b:00.0/nvme/nvme0/nvme0n1/nvme0n1p2");
  link_to(fx, "dev/mapper/vg-home", "../dm-0");
}

/* md0 on sdb1 (controller 0000:00:17.0), partition md0p1 mounted at "/mnt/my disk". */
static void
add_md(Fixture *fx)
{
  put(fx, PCI "/0000:00:17.0/ata3/host2/target2:0:0/2:0:0:0/block/sdb/sdb1/partition", "1\n");
  put(fx, "sys/devices/virtual/block/md0/md0p1/partition", "1\n");
  link_to(fx, "sys/devices/virtual/block/md0/slaves/sdb1",
          "../../../../pci0000:00/0000:00:17.0/ata3/host2/target2:0:0/2:0:0:0/block/sdb/sdb1");
  link_to(fx, "sys/dev/block/259:1", "../../devices/virtual/block/md0/md0p1");
}

static void
add_mounts(Fixture *fx)
{
  put(fx, "proc/self/mountinfo",
      "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw,errors=remount-ro\n"
      "23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
      "24 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=100k\n"
      "30 22 253:0 / /home rw,relatime shared:30 - xfs /dev/mapper/vg-home rw\n"
      "31 22 0:45 / /srv rw,relatime shared:31 - btrfs /dev/nvme0n1p2 rw,subvol=/\n"
      "32 22 0:45 /snap /srv2 rw,relatime - btrfs /dev/nvme0n1p2 rw\n"
      "33 22 259:1 / /mnt/my\\040disk rw - ext4 /dev/md0p1 rw\n"
      "34 22 0:46 / /tmp rw - tmpfs tmpfs rw\n");
  put(fx, "proc/swaps",
      "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
      "/dev/sda3                               partition\t1048572\t\t0\t\t-2\n"
      "/swapfile                               file\t\t1048572\t\t0\t\t-3\n");
}

static void
assert_protected(Fixture *fx, const char *address, guint32 class_code, const char *expected)
{
  g_autofree char *reason = NULL;
  gboolean protected = pass_host_check_protected(fx->host, address, class_code, &reason);

  if (expected == NULL) {
    g_assert_false(protected);
    g_assert_null(reason);
  } else {
    g_assert_true(protected);
    g_assert_cmpstr(reason, ==, expected);
  }
}

static void
test_storage(Fixture *fx, gconstpointer data)
{
  add_sata(fx);
  add_nvme(fx);
  add_md(fx);
  add_mounts(fx);

  assert_protected(fx, "0000:00:1f.2", 0x010601, "0000:00:1f.2 holds / (sda2) and swap (sda3)");
  assert_protected(fx, "0000:3b:00.0", 0x010802,
                   "0000:3b:00.0 holds /home (dm-0), /srv (nvme0n1p2) and /srv2 (nvme0n1p2)");
  assert_protected(fx, "0000:00:17.0", 0x010601, "0000:00:17.0 holds /mnt/my disk (md0p1)");
  /* The root port above the NVMe disk: a bridge, and the disk's uses are below it too. */
  assert_protected(fx, "0000:00:1d.0", 0x060400,
                   "0000:00:1d.0 is a bridge (class 0x060400); 0000:00:1d.0 holds /home (dm-0), "
                   "/srv (nvme0n1p2) and /srv2 (nvme0n1p2)");
  /* A prefix of an address is not the address. */
  assert_protected(fx, "0000:00:1f.0", 0x010601, NULL);
  assert_protected(fx, "0000:3b:00.1", 0x010802, NULL);
}

static void
test_storage_unused(Fixture *fx, gconstpointer data)
{
  /* The disks exist, nothing is mounted from them, swap is off. */
  add_sata(fx);
  add_nvme(fx);
  put(fx, "proc/self/mountinfo", "23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n");
  put(fx, "proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
  assert_protected(fx, "0000:00:1f.2", 0x010601, NULL);
  assert_protected(fx, "0000:3b:00.0", 0x010802, NULL);

  /* Only swap. */
  put(fx, "proc/swaps",
      "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
      "/dev/sda3                               partition\t1048572\t\t0\t\t-2\n");
  assert_protected(fx, "0000:00:1f.2", 0x010601, "0000:00:1f.2 holds swap (sda3)");
}

/* A NIC @iface on PCI function @address (the netdev directory below @subdir of the device). */
static void
add_nic(Fixture *fx, const char *address, const char *subdir, const char *iface)
{
  g_autofree char *devdir = g_strdup_printf(PCI "/%s%s/net/%s", address, subdir, iface);
  g_autofree char *cls = g_strdup_printf("sys/class/net/%s", iface);
  g_autofree char *target =
      g_strdup_printf("../../devices/pci0000:00/%s%s/net/%s", address, subdir, iface);
  g_autofree char *dev = g_strdup_printf("%s/device", devdir);

  mkdirs(fx, devdir);
  link_to(fx, cls, target);
  /* "device" points at the parent the netdev hangs off: the PCI function, or for virtio-net
   * the virtio device below it. */
  link_to(fx, dev, "../..");
}

static char *
hex_ipv4(const char *dotted)
{
  struct in_addr addr;

  g_assert_cmpint(inet_pton(AF_INET, dotted, &addr), ==, 1);
  /* procfs prints the network-order word as a host-order number. */
  return g_strdup_printf("%08X", addr.s_addr);
}

static void
add_network(Fixture *fx)
{
  g_autofree char *gw = hex_ipv4("10.0.2.2");
  g_autofree char *net = hex_ipv4("10.0.2.0");
  g_autofree char *mask = hex_ipv4("255.255.255.0");
  g_autofree char *route = NULL;

  add_nic(fx, "0000:00:03.0", "", "eth0");
  add_nic(fx, "0000:00:04.0", "/virtio1", "ens4");
  add_nic(fx, "0000:00:05.0", "", "eth2");
  add_nic(fx, "0000:00:06.0", "", "eth3");
  add_nic(fx, "0000:00:07.0", "", "eth4");
  link_to(fx, "sys/class/net/lo", "../../devices/virtual/net/lo");
  mkdirs(fx, "sys/devices/virtual/net/lo");
  /* eth3 is a port of bridge br0 (which has the address); eth4 has a VLAN without one. */
  mkdirs(fx, "sys/devices/virtual/net/br0");
  link_to(fx, "sys/class/net/br0", "../../devices/virtual/net/br0");
  link_to(fx, PCI "/0000:00:06.0/net/eth3/upper_br0", "../../../virtual/net/br0");
  mkdirs(fx, "sys/devices/virtual/net/eth4.7");
  link_to(fx, "sys/class/net/eth4.7", "../../devices/virtual/net/eth4.7");
  link_to(fx, PCI "/0000:00:07.0/net/eth4/upper_eth4.7", "../../../virtual/net/eth4.7");

  route = g_strdup_printf(
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t00000000\t%s\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
      "eth0\t%s\t00000000\t0001\t0\t0\t100\t%s\t0\t0\t0\n"
      "eth2\t00000000\t00000000\t0201\t0\t0\t100\t00000000\t0\t0\t0\n",
      gw, net, mask);
  put(fx, "proc/net/route", route);
  put(fx, "proc/net/ipv6_route",
      /* lo's unreachable default is no route; ens4's default goes via a link-local router. */
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n"
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "fe800000000000000000000000000001 00000400 00000001 00000000 00450003     ens4\n"
      "20010db8000000000000000000000000 40 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth2\n");
  put(fx, "proc/net/if_inet6",
      "00000000000000000000000000000001 01 80 10 80       lo\n"
      "20010db8000000000000000000000005 03 40 00 00     ens4\n"
      "fe800000000000000000000000000004 03 40 20 80     ens4\n"
      "fe800000000000000000000000000005 04 40 20 80     eth2\n");
}

static void
test_network(Fixture *fx, gconstpointer data)
{
  g_autoptr(GHashTable) ipv4 = g_hash_table_new(g_str_hash, g_str_equal);

  add_network(fx);
  g_hash_table_insert(ipv4, "eth0", "10.0.2.15");
  g_hash_table_insert(ipv4, "br0", "192.168.1.10");
  g_hash_table_insert(ipv4, "lo", "127.0.0.1");
  pass_host_set_ipv4_addresses(fx->host, ipv4);

  assert_protected(fx, "0000:00:03.0", 0x020000,
                   "0000:00:03.0 is eth0, which carries the default route (via 10.0.2.2) and "
                   "has address 10.0.2.15");
  assert_protected(fx, "0000:00:04.0", 0x020000,
                   "0000:00:04.0 is ens4, which carries the IPv6 default route (via fe80::1) and "
                   "has address 2001:db8::5");
  /* Only a link-local address and a rejecting default route: free to go. */
  assert_protected(fx, "0000:00:05.0", 0x020000, NULL);
  assert_protected(fx, "0000:00:06.0", 0x020000,
                   "0000:00:06.0 is eth3 (under br0), which has address 192.168.1.10");
  assert_protected(fx, "0000:00:07.0", 0x020000, NULL);

  /* Without the injected table there is no IPv4 source under a test root. */
  pass_host_set_ipv4_addresses(fx->host, NULL);
  assert_protected(fx, "0000:00:03.0", 0x020000,
                   "0000:00:03.0 is eth0, which carries the default route (via 10.0.2.2)");
  assert_protected(fx, "0000:00:06.0", 0x020000, NULL);
}

static void
test_vga_and_bridges(Fixture *fx, gconstpointer data)
{
  put(fx, PCI "/0000:00:02.0/boot_vga", "1\n");
  put(fx, PCI "/0000:01:00.0/boot_vga", "0\n");
  link_to(fx, "sys/bus/pci/devices/0000:00:02.0", "../../../devices/pci0000:00/0000:00:02.0");
  link_to(fx, "sys/bus/pci/devices/0000:01:00.0", "../../../devices/pci0000:00/0000:01:00.0");

  assert_protected(fx, "0000:00:02.0", 0x030000, "0000:00:02.0 is the boot VGA device");
  assert_protected(fx, "0000:01:00.0", 0x030000, NULL);
  assert_protected(fx, "0000:00:00.0", 0x060000, "0000:00:00.0 is a bridge (class 0x060000)");
  assert_protected(fx, "0000:00:1f.0", 0x060100, "0000:00:1f.0 is a bridge (class 0x060100)");
  assert_protected(fx, "0000:00:1c.0", 0x060400, "0000:00:1c.0 is a bridge (class 0x060400)");
  assert_protected(fx, "0000:00:1f.3", 0x040300, NULL);
  /* Only canonical addresses are looked at. */
  assert_protected(fx, "00:02.0", 0x030000, NULL);
  assert_protected(fx, "0000:00:02.0/../..", 0x060000, NULL);
}

static void
test_empty_tree(Fixture *fx, gconstpointer data)
{
  /* Nothing readable: nothing is in use (the real host always has these files). */
  assert_protected(fx, "0000:00:03.0", 0x020000, NULL);
  assert_protected(fx, "0000:00:1f.2", 0x010601, NULL);
}

static void
test_resolve(Fixture *fx, gconstpointer data)
{
  g_autofree char *rel = NULL;
  g_autofree char *abs = NULL;
  g_autofree char *up = NULL;
  g_autofree char *loop = NULL;

  mkdirs(fx, PCI "/0000:00:09.0/net/eth9");
  link_to(fx, "sys/class/net/eth9", "../../devices/pci0000:00/0000:00:09.0/net/eth9");
  /* Absolute targets start again at the root, never at the real "/". */
  link_to(fx, "sys/class/net/eth8", "/sys/devices/pci0000:00/0000:00:09.0/net/eth9");
  link_to(fx, "sys/escape", "../../../../../../../../sys/devices");
  link_to(fx, "a", "b");
  link_to(fx, "b", "a");

  rel = pass_host_resolve(fx->host, "/sys/class/net/eth9/../eth9/./");
  g_assert_cmpstr(rel, ==, "/sys/devices/pci0000:00/0000:00:09.0/net/eth9");
  abs = pass_host_resolve(fx->host, "/sys/class/net/eth8");
  g_assert_cmpstr(abs, ==, "/sys/devices/pci0000:00/0000:00:09.0/net/eth9");
  up = pass_host_resolve(fx->host, "/sys/escape/pci0000:00");
  g_assert_cmpstr(up, ==, "/sys/devices/pci0000:00");
  loop = pass_host_resolve(fx->host, "/a/x");
  g_assert_null(loop);

  g_assert_true(pass_host_path_below(rel, "0000:00:09.0"));
  g_assert_false(pass_host_path_below(rel, "0000:00:09"));
  g_assert_false(pass_host_path_below(NULL, "0000:00:09.0"));
}

/* Device 0000:00:03.0 bound to e1000e, 0000:00:04.0 unbound; sysfs files as empty files. */
static void
add_drivers(Fixture *fx)
{
  put(fx, "sys/bus/pci/drivers/e1000e/unbind", "");
  put(fx, "sys/bus/pci/drivers/e1000e/bind", "");
  put(fx, "sys/bus/pci/drivers_probe", "");
  put(fx, PCI "/0000:00:03.0/driver_override", "(null)\n");
  put(fx, PCI "/0000:00:04.0/driver_override", "(null)\n");
  link_to(fx, PCI "/0000:00:03.0/driver", "../../../bus/pci/drivers/e1000e");
  link_to(fx, "sys/bus/pci/devices/0000:00:03.0", "../../../devices/pci0000:00/0000:00:03.0");
  link_to(fx, "sys/bus/pci/devices/0000:00:04.0", "../../../devices/pci0000:00/0000:00:04.0");
}

static void
test_drivers(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *driver = NULL;
  g_autofree char *unbound = NULL;
  g_autofree char *override = NULL;
  g_autofree char *written = NULL;
  g_autofree char *none = NULL;

  add_drivers(fx);
  driver = pass_host_get_driver(fx->host, "0000:00:03.0");
  g_assert_cmpstr(driver, ==, "e1000e");
  unbound = pass_host_get_driver(fx->host, "0000:00:04.0");
  g_assert_null(unbound);
  none = pass_host_get_driver_override(fx->host, "0000:00:03.0");
  g_assert_null(none);

  g_assert_true(pass_host_unbind(fx->host, "0000:00:03.0", &error));
  g_assert_no_error(error);
  written = get(fx, "sys/bus/pci/drivers/e1000e/unbind");
  g_assert_cmpstr(written, ==, "0000:00:03.0");
  g_clear_pointer(&written, g_free);

  g_assert_true(pass_host_set_driver_override(fx->host, "0000:00:03.0", "vfio-pci", &error));
  g_assert_no_error(error);
  written = get(fx, PCI "/0000:00:03.0/driver_override");
  g_assert_cmpstr(written, ==, "vfio-pci\n");
  g_clear_pointer(&written, g_free);
  override = pass_host_get_driver_override(fx->host, "0000:00:03.0");
  g_assert_cmpstr(override, ==, "vfio-pci");

  g_assert_true(pass_host_set_driver_override(fx->host, "0000:00:03.0", NULL, &error));
  g_assert_no_error(error);
  written = get(fx, PCI "/0000:00:03.0/driver_override");
  g_assert_cmpstr(written, ==, "\n");
  g_clear_pointer(&written, g_free);
  g_assert_null(pass_host_get_driver_override(fx->host, "0000:00:03.0"));

  g_assert_true(pass_host_probe(fx->host, "0000:00:03.0", &error));
  g_assert_no_error(error);
  written = get(fx, "sys/bus/pci/drivers_probe");
  g_assert_cmpstr(written, ==, "0000:00:03.0");
  g_clear_pointer(&written, g_free);
}

static void
test_drivers_unbound(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *written = NULL;

  add_drivers(fx);
  /* Already unbound: success, and no driver's unbind file is written. */
  g_assert_true(pass_host_unbind(fx->host, "0000:00:04.0", &error));
  g_assert_no_error(error);
  written = get(fx, "sys/bus/pci/drivers/e1000e/unbind");
  g_assert_cmpstr(written, ==, "");
}

static void
test_drivers_errors(Fixture *fx, gconstpointer data)
{
  const char *bad[] = {"00:03.0", "0000:00:03.0/../../x", "../0000:00:03.0", "0000:00:03.0\n"};
  g_autoptr(GError) error = NULL;
  g_autofree char *probe = g_build_filename(fx->root, "sys/bus/pci/drivers_probe", NULL);
  g_autofree char *override = NULL;

  /* No sysfs at all: writes fail naming the host-side file and create nothing. */
  g_assert_false(pass_host_probe(fx->host, "0000:00:03.0", &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull(strstr(error->message, "/sys/bus/pci/drivers_probe"));
  g_assert_null(strstr(error->message, fx->root));
  g_assert_false(g_file_test(probe, G_FILE_TEST_EXISTS));
  g_clear_error(&error);

  g_assert_false(pass_host_set_driver_override(fx->host, "0000:00:03.0", "vfio-pci", &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error(&error);
  override = g_build_filename(fx->root, PCI "/0000:00:03.0/driver_override", NULL);
  g_assert_false(g_file_test(override, G_FILE_TEST_EXISTS));

  add_drivers(fx);
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_false(pass_host_unbind(fx->host, bad[i], &error));
    g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
    g_clear_error(&error);
    g_assert_false(pass_host_probe(fx->host, bad[i], &error));
    g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
    g_clear_error(&error);
    g_assert_false(pass_host_set_driver_override(fx->host, bad[i], NULL, &error));
    g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
    g_clear_error(&error);
    g_assert_null(pass_host_get_driver(fx->host, bad[i]));
  }
  g_assert_false(pass_host_set_driver_override(fx->host, "0000:00:03.0", "../x", &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  g_clear_error(&error);
  g_assert_false(pass_host_set_driver_override(fx->host, "0000:00:03.0", "", &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
}

/* pass_host_new(NULL) must never mean "/", nor may a relative root: both are refused. */
static void
test_no_default_root(void)
{
  if (g_test_subprocess()) {
    g_assert_null(pass_host_new(NULL));
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed();
  g_test_trap_assert_stderr("*root != NULL*");
}

static void
test_relative_root(void)
{
  if (g_test_subprocess()) {
    g_assert_null(pass_host_new("relative/root"));
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed();
  g_test_trap_assert_stderr("*g_path_is_absolute*");
}

/* Each CPU's NUMA node from node*\/cpulist; CPUs in no list stay -1, other files are skipped. */
static void
test_cpu_nodes(Fixture *fx, gconstpointer data)
{
  g_autoptr(GArray) none = pass_host_read_cpu_nodes(fx->host);
  g_autoptr(GArray) map = NULL;

  g_assert_cmpuint(none->len, ==, 0);
  fake_root_put(fx->root, "/sys/devices/system/node/node0/cpulist", "0-1\n");
  fake_root_put(fx->root, "/sys/devices/system/node/node1/cpulist", "4,6\n");
  fake_root_put(fx->root, "/sys/devices/system/node/node2/cpulist", "\n");
  fake_root_put(fx->root, "/sys/devices/system/node/online", "0-2\n");
  fake_root_put(fx->root, "/sys/devices/system/node/nodex/cpulist", "3\n");
  map = pass_host_read_cpu_nodes(fx->host);
  g_assert_cmpuint(map->len, ==, 7);
  g_assert_cmpint(g_array_index(map, int, 0), ==, 0);
  g_assert_cmpint(g_array_index(map, int, 1), ==, 0);
  g_assert_cmpint(g_array_index(map, int, 2), ==, -1);
  g_assert_cmpint(g_array_index(map, int, 3), ==, -1);
  g_assert_cmpint(g_array_index(map, int, 4), ==, 1);
  g_assert_cmpint(g_array_index(map, int, 5), ==, -1);
  g_assert_cmpint(g_array_index(map, int, 6), ==, 1);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, setup, func, fake_host_teardown)
  ADD("/host/protect/storage", test_storage);
  ADD("/host/cpu-nodes", test_cpu_nodes);
  ADD("/host/protect/storage-unused", test_storage_unused);
  ADD("/host/protect/network", test_network);
  ADD("/host/protect/vga-and-bridges", test_vga_and_bridges);
  ADD("/host/protect/empty-tree", test_empty_tree);
  ADD("/host/resolve", test_resolve);
  ADD("/host/drivers/restore", test_drivers);
  ADD("/host/drivers/unbound", test_drivers_unbound);
  ADD("/host/drivers/errors", test_drivers_errors);
#undef ADD
  g_test_add_func("/host/no-default-root", test_no_default_root);
  g_test_add_func("/host/relative-root", test_relative_root);
  return g_test_run();
}
