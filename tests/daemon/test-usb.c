/* USB host devices: libvirt's node-device and domain XML, the <hostdev type='usb'> passd
 * writes, and what sysfs adds (class, speed, interface drivers, protection) under a fake root. */
#include <gio/gio.h>

#include "fake-root.h"
#include "host-usb.h"
#include "pass-error.h"
#include "xml-read.h"
#include "xml-usb.h"
#include "xml-fixture.h"

/* A real host's usb_device XML, through the generic reader as virt hands it over. */
static void
test_nodedev(void)
{
  g_autofree char *xml = xml_fixture_load("nodedev-usb.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(PassDevice) d = pass_xml_read_nodedev(xml, &error);

  g_assert_no_error(error);
  g_assert_nonnull(d);
  g_assert_cmpint(d->kind, ==, PASS_DEVICE_KIND_USB);
  g_assert_cmpstr(d->address, ==, "usb:1-2");
  g_assert_cmpstr(d->name, ==, "usb_1_2");
  g_assert_cmpuint(d->vendor_id, ==, 0x8087);
  g_assert_cmpuint(d->product_id, ==, 0x0a2b);
  g_assert_cmpstr(d->vendor, ==, "Intel Corp.");
  g_assert_cmpstr(d->product, ==, "Bluetooth wireless interface");
  g_assert_cmpstr(d->driver, ==, "usb");
  g_assert_cmpint(d->iommu_group, ==, -1);
  g_assert_null(d->parent);
  g_assert_nonnull(d->usb);
  g_assert_cmpstr(d->usb->port, ==, "1-2");
  g_assert_cmpint(d->usb->bus, ==, 1);
  g_assert_cmpint(d->usb->devnum, ==, 3);
  g_assert_cmpstr(d->usb->controller, ==, "0000:00:14.0");
  g_assert_cmpint(d->usb->device_class, ==, -1); /* sysfs's, not libvirt's */
  g_assert_cmpuint(g_strv_length(d->usb->drivers), ==, 0);
}

/* Root hubs are buses; a device without <path> is named from its node-device name; a deep port
 * path keeps its dots. */
static void
test_nodedev_shapes(void)
{
  g_autofree char *hub = xml_fixture_load("nodedev-usb-roothub.xml");
  const char *no_path = "<device><name>usb_3_1_2</name><capability type='usb_device'>"
                        "<bus>3</bus><device>9</device><product id='0x6545'/>"
                        "<vendor id='0x0930'/></capability></device>";
  const char *bad[] = {
      "<device><name>usb_1_2</name><capability type='usb_device'><bus>x</bus><device>1</device>"
      "</capability></device>",
      "<device><name>usb_1_2</name><capability type='usb_device'><bus>1</bus><device>2</device>"
      "<vendor id='0x10000'/></capability></device>",
      "<device><name>usb_1_2</name><capability type='usb_interface'><number>0</number>"
      "</capability></device>",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PassDevice) d = pass_xml_read_nodedev(hub, &error);

  g_assert_null(d);
  g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
  g_clear_error(&error);
  d = pass_xml_read_usb_nodedev(no_path, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(d->address, ==, "usb:3-1.2");
  g_assert_null(d->usb->controller);
  g_assert_cmpuint(d->vendor_id, ==, 0x0930);
  g_assert_null(d->vendor);
  /* Numbers 0 while the kernel re-enumerates: unknown, not an error. */
  g_clear_pointer(&d, pass_device_unref);
  d = pass_xml_read_nodedev("<device><name>usb_1_2</name><capability type='usb_device'>"
                            "<bus>0</bus><device>0</device><vendor id='0x0930'/>"
                            "<product id='0x6545'/></capability></device>",
                            &error);
  g_assert_no_error(error);
  g_assert_cmpstr(d->address, ==, "usb:1-2");
  g_assert_cmpint(d->usb->bus, ==, -1);
  g_assert_cmpint(d->usb->devnum, ==, -1);
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) e = NULL;
    g_autoptr(PassDevice) b = pass_xml_read_nodedev(bad[i], &e);

    g_assert_null(b);
    g_assert_error(e, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
  }
}

static void
test_names(void)
{
  const struct {
    const char *name, *address;
  } cases[] = {
      {"usb_3_1_2", "usb:3-1.2"},
      {"usb_1_1", "usb:1-1"},
      {"usb_12_4_1_3", "usb:12-4.1.3"},
      {"usb_usb1", NULL},         /* root hub */
      {"usb_3_1_2_1_0", NULL},    /* an interface: port 0 does not exist */
      {"usb_1", NULL},            /* no port */
      {"pci_0000_00_14_0", NULL}, /* not USB */
  };

  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *address = pass_xml_usb_nodedev_name_to_address(cases[i].name);

    g_assert_cmpstr(address, ==, cases[i].address);
    if (cases[i].address != NULL) {
      g_autofree char *back = pass_xml_usb_address_to_nodedev_name(address);
      g_assert_cmpstr(back, ==, cases[i].name);
    }
  }
  g_assert_null(pass_xml_usb_address_to_nodedev_name("usb:0930:6545"));
  g_assert_null(pass_xml_usb_address_to_nodedev_name("0000:00:14.0"));
}

/* The fake inventory of the resolver below: two identical sticks and a receiver. */
typedef struct {
  guint calls;
} Resolver;

static char *
resolve(const PassUsbSource *source, gpointer user_data)
{
  Resolver *r = user_data;

  r->calls++;
  if (source->bus == 1 && source->devnum == 4)
    return g_strdup("usb:1-3");
  if (source->bus == 2 && source->devnum == 7)
    return g_strdup("usb:2-1.4");
  if (source->bus == 0 && source->vendor_id == 0x046d && source->product_id == 0xc52b)
    return g_strdup("usb:1-3");
  return NULL; /* 0781:5567 by ids only: two of them */
}

static void
test_domain(void)
{
  g_autofree char *live = xml_fixture_load("domain-usb-live.xml");
  g_autofree char *config = xml_fixture_load("domain-usb-only.xml");
  g_autoptr(PassDomain) domain = pass_domain_new("usbvm");
  g_autoptr(GError) error = NULL;
  Resolver r = {0};
  const PassHostdev *h;

  domain->active = TRUE;
  g_assert_true(
      pass_xml_read_domain_usb_hostdevs(live, PASS_HOSTDEV_LIVE, domain, resolve, &r, &error));
  g_assert_no_error(error);
  g_assert_true(
      pass_xml_read_domain_usb_hostdevs(config, PASS_HOSTDEV_CONFIG, domain, resolve, &r, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(r.calls, ==, 3);
  g_assert_cmpuint(domain->hostdevs->len, ==, 2);
  /* sorted by address; the receiver is in both definitions */
  h = g_ptr_array_index(domain->hostdevs, 0);
  g_assert_cmpstr(h->address, ==, "usb:1-3");
  g_assert_cmpuint(h->where, ==, PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG);
  g_assert_cmpstr(h->alias, ==, "hostdev0");
  g_assert_true(h->managed);
  g_assert_null(h->guest_address);
  /* the config's naming wins: a config detach must match it */
  g_assert_cmpuint(h->usb->vendor_id, ==, 0x046d);
  g_assert_cmpuint(h->usb->bus, ==, 0);
  h = g_ptr_array_index(domain->hostdevs, 1);
  g_assert_cmpstr(h->address, ==, "usb:2-1.4");
  g_assert_cmpuint(h->where, ==, PASS_HOSTDEV_LIVE);
  g_assert_cmpuint(h->usb->bus, ==, 2);
  g_assert_cmpuint(h->usb->devnum, ==, 7);
  g_assert_cmpstr(h->alias, ==, "hostdev1");
  /* PCI's reader leaves them alone */
  g_assert_true(pass_xml_read_domain_hostdevs(live, PASS_HOSTDEV_LIVE, domain, &error));
  g_assert_cmpuint(domain->hostdevs->len, ==, 2);
}

/* Unresolved: the vendor:product stands in, so the domain still shows what it holds. */
static void
test_domain_unresolved(void)
{
  const char *xml = "<domain><name>d</name><devices><hostdev mode='subsystem' type='usb'>"
                    "<source><vendor id='0x0781'/><product id='0x5567'/></source></hostdev>"
                    "</devices></domain>";
  const char *bad = "<domain><name>d</name><devices><hostdev mode='subsystem' type='usb'>"
                    "<source><vendor id='0xzz'/></source></hostdev></devices></domain>";
  g_autoptr(PassDomain) domain = pass_domain_new("d");
  g_autoptr(GError) error = NULL;
  Resolver r = {0};
  const PassHostdev *h;

  g_assert_true(
      pass_xml_read_domain_usb_hostdevs(xml, PASS_HOSTDEV_CONFIG, domain, resolve, &r, &error));
  h = g_ptr_array_index(domain->hostdevs, 0);
  g_assert_cmpstr(h->address, ==, "usb:0781:5567");
  g_assert_false(
      pass_xml_read_domain_usb_hostdevs(bad, PASS_HOSTDEV_CONFIG, domain, resolve, &r, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
}

static void
test_build(void)
{
  PassUsbSource ids = {0x0930, 0x6545, 0, 0};
  PassUsbSource both = {0x0930, 0x6545, 3, 12};
  PassUsbSource none = {0};
  g_autoptr(GError) error = NULL;
  g_autofree char *a = pass_xml_build_usb_hostdev(&ids, &error);
  g_autofree char *b = pass_xml_build_usb_hostdev(&both, &error);
  g_autofree char *c = pass_xml_build_usb_hostdev(&none, &error);

  g_assert_cmpstr(a, ==,
                  "<hostdev mode=\"subsystem\" type=\"usb\" managed=\"yes\">\n"
                  "  <source>\n"
                  "    <vendor id=\"0x0930\"/>\n"
                  "    <product id=\"0x6545\"/>\n"
                  "  </source>\n"
                  "</hostdev>");
  g_assert_cmpstr(b, ==,
                  "<hostdev mode=\"subsystem\" type=\"usb\" managed=\"yes\">\n"
                  "  <source>\n"
                  "    <vendor id=\"0x0930\"/>\n"
                  "    <product id=\"0x6545\"/>\n"
                  "    <address bus=\"3\" device=\"12\"/>\n"
                  "  </source>\n"
                  "</hostdev>");
  g_assert_null(c);
  g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
}

/* ---- sysfs under a fake root ---- */

static char *
make_root(void)
{
  g_autoptr(GError) error = NULL;
  char *root = g_dir_make_tmp("passd-usb-XXXXXX", &error);

  g_assert_no_error(error);
  return root;
}

#define DEV "/sys/devices/pci0000:00/0000:00:04.0/usb1"

/* A usb-storage stick at 1-1 with sda1 mounted, a keyboard at 1-2, a second keyboard on the
 * PS/2 port. */
static void
put_host(const char *root, gboolean ps2_keyboard)
{
  fake_root_put(root, DEV "/1-1/bDeviceClass", "00\n");
  fake_root_put(root, DEV "/1-1/speed", "480\n");
  fake_root_put(root, DEV "/1-1/1-1:1.0/bInterfaceClass", "08\n");
  fake_root_mkdirs(root, "/sys/bus/usb/drivers/usb-storage");
  fake_root_link(root, DEV "/1-1/1-1:1.0/driver", "../../../../../../bus/usb/drivers/usb-storage");
  fake_root_mkdirs(root, DEV "/1-1/1-1:1.0/host2/target2:0:0/2:0:0:0/block/sda/sda1");
  fake_root_put(root, DEV "/1-1/1-1:1.0/host2/target2:0:0/2:0:0:0/block/sda/sda1/partition", "1\n");
  fake_root_mkdirs(root, "/sys/bus/usb/devices");
  fake_root_link(root, "/sys/bus/usb/devices/1-1",
                 "../../../devices/pci0000:00/0000:00:04.0/usb1/1-1");
  fake_root_link(root, "/sys/bus/usb/devices/1-1:1.0",
                 "../../../devices/pci0000:00/0000:00:04.0/usb1/1-1/1-1:1.0");
  fake_root_mkdirs(root, "/sys/dev/block");
  fake_root_link(root, "/sys/dev/block/8:1",
                 "../../devices/pci0000:00/0000:00:04.0/usb1/1-1/1-1:1.0/host2/target2:0:0/"
                 "2:0:0:0/block/sda/sda1");
  fake_root_put(root, "/proc/self/mountinfo",
                "22 1 8:1 / /mnt/stick rw,relatime shared:1 - ext4 /dev/sda1 rw\n");

  fake_root_put(root, DEV "/1-2/bDeviceClass", "00\n");
  fake_root_put(root, DEV "/1-2/speed", "12\n");
  fake_root_mkdirs(root, "/sys/bus/usb/drivers/usbhid");
  fake_root_link(root, DEV "/1-2/1-2:1.0/driver", "../../../../../../bus/usb/drivers/usbhid");
  fake_root_link(root, DEV "/1-2/1-2:1.1/driver", "../../../../../../bus/usb/drivers/usbhid");
  fake_root_link(root, "/sys/bus/usb/devices/1-2",
                 "../../../devices/pci0000:00/0000:00:04.0/usb1/1-2");
  fake_root_link(root, "/sys/bus/usb/devices/1-2:1.0",
                 "../../../devices/pci0000:00/0000:00:04.0/usb1/1-2/1-2:1.0");
  fake_root_link(root, "/sys/bus/usb/devices/1-2:1.1",
                 "../../../devices/pci0000:00/0000:00:04.0/usb1/1-2/1-2:1.1");
  fake_root_put(root, DEV "/1-2/1-2:1.0/0003:0627:0001.0001/input/input3/capabilities/key",
                "1000000000007 ff9f207ac14057ff febeffdfffefffff fffffffffffffffe\n");
  fake_root_mkdirs(root, "/sys/class/input");
  fake_root_link(root, "/sys/class/input/input3",
                 "../../devices/pci0000:00/0000:00:04.0/usb1/1-2/1-2:1.0/0003:0627:0001.0001/"
                 "input/input3");
  /* a power button: keys, but no keyboard */
  fake_root_put(root, "/sys/devices/LNXSYSTM:00/LNXPWRBN:00/input/input0/capabilities/key",
                "10000000000000 0\n");
  fake_root_link(root, "/sys/class/input/input0",
                 "../../devices/LNXSYSTM:00/LNXPWRBN:00/input/input0");
  if (ps2_keyboard) {
    fake_root_put(root, "/sys/devices/platform/i8042/serio0/input/input1/capabilities/key",
                  "402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe\n");
    fake_root_link(root, "/sys/class/input/input1",
                   "../../devices/platform/i8042/serio0/input/input1");
  }
}

static void
test_host_fill(void)
{
  g_autofree char *root = make_root();
  g_autoptr(PassHost) host = pass_host_new(root);
  g_autoptr(PassUsbInfo) stick = pass_usb_info_new();
  g_autoptr(PassUsbInfo) kbd = pass_usb_info_new();
  g_autoptr(PassUsbInfo) gone = pass_usb_info_new();

  put_host(root, FALSE);
  stick->port = g_strdup("1-1");
  kbd->port = g_strdup("1-2");
  gone->port = g_strdup("1-9");
  pass_host_usb_fill(host, stick);
  pass_host_usb_fill(host, kbd);
  pass_host_usb_fill(host, gone);
  g_assert_cmpint(stick->device_class, ==, 0);
  g_assert_cmpstr(stick->speed, ==, "480");
  g_assert_cmpuint(g_strv_length(stick->drivers), ==, 1);
  g_assert_cmpstr(stick->drivers[0], ==, "usb-storage");
  g_assert_cmpstr(kbd->speed, ==, "12");
  g_assert_cmpuint(g_strv_length(kbd->drivers), ==, 1); /* two interfaces, one driver */
  g_assert_cmpstr(kbd->drivers[0], ==, "usbhid");
  g_assert_cmpint(gone->device_class, ==, -1);
  g_assert_null(gone->speed);
  g_assert_cmpuint(g_strv_length(gone->drivers), ==, 0);
  g_assert_false(pass_usb_info_equal(stick, kbd));
  {
    g_autoptr(PassUsbInfo) copy = pass_usb_info_copy(stick);
    g_assert_true(pass_usb_info_equal(stick, copy));
  }
  g_assert_true(fake_root_remove(root));
}

static void
test_host_protected(void)
{
  g_autofree char *root = make_root();
  g_autoptr(PassHost) host = pass_host_new(root);
  g_autofree char *reason = NULL;

  put_host(root, FALSE);
  g_assert_true(pass_host_check_protected(host, "usb:1-1", 0, &reason));
  g_assert_cmpstr(reason, ==, "usb:1-1 holds /mnt/stick (sda1)");
  g_clear_pointer(&reason, g_free);
  g_assert_true(pass_host_check_protected(host, "usb:1-2", 0, &reason));
  g_assert_cmpstr(reason, ==, "usb:1-2 is the host's only keyboard (input3)");
  g_clear_pointer(&reason, g_free);
  g_assert_false(pass_host_check_protected(host, "usb:1-9", 0, &reason));
  g_assert_null(reason);
  /* never a path from a non-canonical or vendor form */
  g_assert_false(pass_host_check_protected(host, "usb:01-1", 0, &reason));
  g_assert_false(pass_host_check_protected(host, "usb:0930:6545", 0, &reason));
  g_assert_true(fake_root_remove(root));
}

/* With a second keyboard the USB one may go. */
static void
test_host_second_keyboard(void)
{
  g_autofree char *root = make_root();
  g_autoptr(PassHost) host = pass_host_new(root);
  g_autofree char *reason = NULL;

  put_host(root, TRUE);
  g_assert_false(pass_host_check_protected(host, "usb:1-2", 0, &reason));
  g_assert_null(reason);
  g_assert_true(fake_root_remove(root));
}

/* A USB NIC with the default route, and one with only an address: both are the host's; a third
 * without either may go. */
static void
test_host_nic(void)
{
  g_autofree char *root = make_root();
  g_autoptr(PassHost) host = pass_host_new(root);
  g_autoptr(GHashTable) ipv4 = g_hash_table_new(g_str_hash, g_str_equal);
  const char *const ports[] = {"1-3", "1-4", "1-5"};
  g_autofree char *reason = NULL;

  put_host(root, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS(ports); i++) {
    g_autofree char *iface = g_strdup_printf(DEV "/%s/%s:1.0", ports[i], ports[i]);
    g_autofree char *net = g_strdup_printf("%s/net/usb%u", iface, i);
    g_autofree char *device = g_strdup_printf("%s/device", net);
    g_autofree char *class_link = g_strdup_printf("/sys/class/net/usb%u", i);
    g_autofree char *class_target = g_strdup_printf(
        "../../devices/pci0000:00/0000:00:04.0/usb1/%s/%s:1.0/net/usb%u", ports[i], ports[i], i);

    fake_root_mkdirs(root, net);
    fake_root_link(root, device, "../../../");
    fake_root_mkdirs(root, "/sys/class/net");
    fake_root_link(root, class_link, class_target);
  }
  fake_root_put(
      root, "/proc/net/route",
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "usb0\t00000000\t0202000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");
  g_hash_table_insert(ipv4, "usb1", "192.168.7.2");
  pass_host_set_ipv4_addresses(host, ipv4);

  g_assert_true(pass_host_check_protected(host, "usb:1-3", 0, &reason));
  g_assert_cmpstr(reason, ==, "usb:1-3 is usb0, which carries the default route (via 10.0.2.2)");
  g_clear_pointer(&reason, g_free);
  g_assert_true(pass_host_check_protected(host, "usb:1-4", 0, &reason));
  g_assert_cmpstr(reason, ==, "usb:1-4 is usb1, which has address 192.168.7.2");
  g_clear_pointer(&reason, g_free);
  g_assert_false(pass_host_check_protected(host, "usb:1-5", 0, &reason));
  g_assert_null(reason);
  g_assert_true(fake_root_remove(root));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/usb/nodedev", test_nodedev);
  g_test_add_func("/usb/nodedev-shapes", test_nodedev_shapes);
  g_test_add_func("/usb/names", test_names);
  g_test_add_func("/usb/domain", test_domain);
  g_test_add_func("/usb/domain-unresolved", test_domain_unresolved);
  g_test_add_func("/usb/build", test_build);
  g_test_add_func("/usb/host-fill", test_host_fill);
  g_test_add_func("/usb/host-protected", test_host_protected);
  g_test_add_func("/usb/host-second-keyboard", test_host_second_keyboard);
  g_test_add_func("/usb/host-nic", test_host_nic);
  return g_test_run();
}
