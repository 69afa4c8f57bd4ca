/* libvirt XML parsing against real-world node device and domain XML. */
#include <gio/gio.h>

#include "pass-error.h"
#include "virt-uevent.h"
#include "xml-read.h"
#include "xml-fixture.h"

static PassDevice *
parse_nodedev(const char *name)
{
  g_autofree char *xml = xml_fixture_load(name);
  g_autoptr(GError) error = NULL;
  PassDevice *device = pass_xml_read_nodedev(xml, &error);

  g_assert_no_error(error);
  g_assert_nonnull(device);
  return device;
}

static void
test_sriov_pf(void)
{
  g_autoptr(PassDevice) d = parse_nodedev("nodedev-sriov-pf.xml");

  g_assert_cmpstr(d->address, ==, "0000:3b:00.0");
  g_assert_cmpstr(d->name, ==, "pci_0000_3b_00_0");
  g_assert_cmpuint(d->vendor_id, ==, 0x8086);
  g_assert_cmpuint(d->product_id, ==, 0x10fb);
  g_assert_cmpstr(d->vendor, ==, "Intel Corporation");
  g_assert_cmpstr(d->product, ==, "82599ES 10-Gigabit SFI/SFP+ Network Connection");
  g_assert_cmpuint(d->class_code, ==, 0x020000);
  g_assert_cmpstr(d->driver, ==, "ixgbe");
  g_assert_cmpint(d->iommu_group, ==, 41);
  g_assert_cmpint(d->numa_node, ==, 0);
  g_assert_cmpstr(d->parent, ==, "0000:3a:00.0");
  g_assert_null(d->physfn);
  g_assert_cmpint(d->totalvfs, ==, 63);
}

static void
test_sriov_pf_without_vfs(void)
{
  g_autoptr(PassDevice) d = parse_nodedev("nodedev-sriov-pf-novfs.xml");

  g_assert_cmpstr(d->address, ==, "0000:af:00.1");
  g_assert_cmpuint(d->vendor_id, ==, 0x15b3);
  g_assert_cmpstr(d->driver, ==, "mlx5_core");
  g_assert_cmpint(d->numa_node, ==, 1);
  g_assert_cmpint(d->iommu_group, ==, 88);
  /* SR-IOV capable with no VFs enabled: maxCount still counts. */
  g_assert_cmpint(d->totalvfs, ==, 8);
  g_assert_cmpstr(d->parent, ==, "0000:ae:00.0");
}

static void
test_sriov_vf(void)
{
  g_autoptr(PassDevice) d = parse_nodedev("nodedev-sriov-vf.xml");

  g_assert_cmpstr(d->address, ==, "0000:3b:10.2");
  g_assert_cmpstr(d->physfn, ==, "0000:3b:00.0");
  g_assert_cmpint(d->totalvfs, ==, -1);
  g_assert_cmpstr(d->driver, ==, "vfio-pci");
  g_assert_cmpint(d->iommu_group, ==, 93);
  g_assert_cmpuint(d->product_id, ==, 0x10ed);
}

static void
test_root_port(void)
{
  g_autoptr(PassDevice) d = parse_nodedev("nodedev-root-port.xml");

  g_assert_cmpstr(d->address, ==, "0000:00:1c.0");
  g_assert_null(d->parent); /* "computer" is not a PCI device */
  g_assert_cmpuint(d->class_code, ==, 0x060400);
  g_assert_cmpint(d->numa_node, ==, -1);
  g_assert_cmpint(d->iommu_group, ==, 7);
  g_assert_cmpint(d->totalvfs, ==, -1);
}

static void
test_gpu_and_audio(void)
{
  g_autoptr(PassDevice) gpu = parse_nodedev("nodedev-gpu.xml");
  g_autoptr(PassDevice) audio = parse_nodedev("nodedev-gpu-audio.xml");

  g_assert_cmpstr(gpu->address, ==, "0000:01:00.0");
  g_assert_cmpstr(audio->address, ==, "0000:01:00.1");
  g_assert_cmpint(gpu->iommu_group, ==, 1);
  g_assert_cmpint(audio->iommu_group, ==, gpu->iommu_group);
  g_assert_cmpstr(gpu->parent, ==, "0000:00:01.0");
  g_assert_cmpstr(audio->parent, ==, gpu->parent);
  g_assert_cmpuint(gpu->class_code, ==, 0x030000);
  g_assert_cmpuint(audio->class_code, ==, 0x040300);
  g_assert_cmpstr(audio->driver, ==, "snd_hda_intel");
  g_assert_false(pass_device_equal(gpu, audio));
}

static void
test_unbound(void)
{
  g_autoptr(PassDevice) d = parse_nodedev("nodedev-unbound.xml");

  /* Decimal in the XML, hex in the address. */
  g_assert_cmpstr(d->address, ==, "0001:02:1f.7");
  g_assert_null(d->driver);
  g_assert_cmpint(d->numa_node, ==, -1);
  g_assert_cmpint(d->iommu_group, ==, -1);
  g_assert_cmpuint(d->class_code, ==, 0); /* no <class>: old libvirt */
  g_assert_cmpuint(d->vendor_id, ==, 0x1af4);
  g_assert_null(d->vendor); /* empty text */
  g_assert_null(d->product);
  g_assert_cmpstr(d->parent, ==, "0001:00:03.0");
}

static void
test_nodedev_errors(void)
{
  const char *files[] = {"nodedev-usb-roothub.xml", "nodedev-truncated.xml"};
  const char *inline_xml[] = {
      "",
      "not xml at all",
      "<domain/>",
      "<device><name>pci_0000_00_00_0</name><capability type='pci'><domain>0</domain>"
      "<bus>0</bus><slot>32</slot><function>0</function></capability></device>",
      "<device><capability type='pci'><domain>0</domain><bus>x</bus><slot>0</slot>"
      "<function>0</function></capability></device>",
      "<device><capability type='pci'><domain>0</domain><bus>1</bus><slot>0</slot>"
      "</capability></device>",
      "<device><capability type='pci'><domain>0</domain><bus>1</bus><slot>0</slot>"
      "<function>0</function><class>zz</class></capability></device>",
      "<!DOCTYPE d [<!ENTITY x SYSTEM 'http://127.0.0.1:1/x'>]><device>&x;</device>",
      /* libxml2 quotes bytes that are not UTF-8 in its message (found by fuzz-nodedev-xml) */
      "<\xff\xff\xff>",
      "<device><slot>0</slo\xc3></device>",
  };

  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *xml = xml_fixture_load(files[i]);
    g_autoptr(GError) error = NULL;
    g_autoptr(PassDevice) d = pass_xml_read_nodedev(xml, &error);

    g_assert_null(d);
    g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
  }
  for (guint i = 0; i < G_N_ELEMENTS(inline_xml); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(PassDevice) d = pass_xml_read_nodedev(inline_xml[i], &error);

    g_test_message("case %u", i);
    g_assert_null(d);
    g_assert_nonnull(error);
    /* Errors go into logs and JSON replies. */
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
  }
  {
    g_autoptr(GError) error = NULL;
    g_assert_null(pass_xml_read_nodedev(NULL, &error));
    g_assert_nonnull(error);
  }
}

static void
test_device_refs_and_equal(void)
{
  g_autoptr(PassDevice) a = parse_nodedev("nodedev-sriov-vf.xml");
  g_autoptr(PassDevice) b = parse_nodedev("nodedev-sriov-vf.xml");
  g_autoptr(PassDevice) fresh = pass_device_new();
  PassDevice *ref;

  g_assert_true(pass_device_equal(a, b));
  g_free(b->driver);
  b->driver = g_strdup("iavf");
  g_assert_false(pass_device_equal(a, b));
  g_free(b->driver);
  b->driver = NULL;
  g_assert_false(pass_device_equal(a, b));
  g_assert_false(pass_device_equal(a, NULL));
  g_assert_true(pass_device_equal(NULL, NULL));
  /* interfaces: none and an empty list are the same, a different list is not */
  b->driver = g_strdup(a->driver);
  b->netdevs = g_new0(char *, 1);
  g_assert_true(pass_device_equal(a, b));
  g_strfreev(b->netdevs);
  b->netdevs = g_strsplit("eth0", ",", -1);
  g_assert_false(pass_device_equal(a, b));
  a->netdevs = g_strsplit("eth0", ",", -1);
  g_assert_true(pass_device_equal(a, b));
  g_strfreev(b->netdevs);
  b->netdevs = g_strsplit("eth0,eth1", ",", -1);
  g_assert_false(pass_device_equal(a, b));

  g_assert_null(fresh->address);
  g_assert_cmpint(fresh->iommu_group, ==, -1);
  g_assert_cmpint(fresh->numa_node, ==, -1);
  g_assert_cmpint(fresh->totalvfs, ==, -1);

  ref = pass_device_ref(a);
  g_assert_true(ref == a);
  pass_device_unref(ref);
  g_assert_cmpstr(a->address, ==, "0000:3b:10.2");
}

/* A network interface's node device: its parent and interface name, nothing else. */
static void
test_nodedev_net(void)
{
  const char *xml = "<device><name>net_enp2s0f0_52_54_00_12_34_56</name>"
                    "<path>/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0/net/enp2s0f0</path>"
                    "<parent>pci_0000_02_00_0</parent><capability type='net'>"
                    "<interface>enp2s0f0</interface><address>52:54:00:12:34:56</address>"
                    "<link state='up'/><capability type='80203'/></capability></device>";
  const char *orphan = "<device><name>net_lo_00_00_00_00_00_00</name><capability type='net'>"
                       "<interface>lo</interface></capability></device>";
  const char *pci = "<device><name>pci_0000_02_00_0</name><parent>computer</parent>"
                    "<capability type='pci'><domain>0</domain><bus>2</bus><slot>0</slot>"
                    "<function>0</function></capability></device>";
  g_autofree char *parent = NULL, *interface = NULL;
  GError *error = NULL;

  g_assert_true(pass_xml_read_nodedev_net(xml, &parent, &interface, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(parent, ==, "pci_0000_02_00_0");
  g_assert_cmpstr(interface, ==, "enp2s0f0");
  g_assert_false(pass_xml_read_nodedev_net(orphan, &parent, &interface, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
  g_clear_error(&error);
  g_assert_false(pass_xml_read_nodedev_net(pci, &parent, &interface, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
  g_clear_error(&error);
  g_assert_false(pass_xml_read_nodedev_net("<device", &parent, &interface, &error));
  g_assert_nonnull(error);
  g_clear_error(&error);
  /* untouched by the failures */
  g_assert_cmpstr(parent, ==, "pci_0000_02_00_0");
}

static PassDomain *
parse_domain(guint where_mask)
{
  PassDomain *domain = pass_domain_new("vm1");

  if (where_mask & PASS_HOSTDEV_LIVE) {
    g_autofree char *xml = xml_fixture_load("domain-live.xml");
    g_autoptr(GError) error = NULL;
    g_assert_true(pass_xml_read_domain_hostdevs(xml, PASS_HOSTDEV_LIVE, domain, &error));
    g_assert_no_error(error);
  }
  if (where_mask & PASS_HOSTDEV_CONFIG) {
    g_autofree char *xml = xml_fixture_load("domain-inactive.xml");
    g_autoptr(GError) error = NULL;
    g_assert_true(pass_xml_read_domain_hostdevs(xml, PASS_HOSTDEV_CONFIG, domain, &error));
    g_assert_no_error(error);
  }
  return domain;
}

static void
assert_sorted(const PassDomain *domain)
{
  for (guint i = 1; i < domain->hostdevs->len; i++) {
    const PassHostdev *a = g_ptr_array_index(domain->hostdevs, i - 1);
    const PassHostdev *b = g_ptr_array_index(domain->hostdevs, i);
    g_assert_cmpstr(a->address, <, b->address);
  }
}

static void
test_domain_inactive(void)
{
  g_autoptr(PassDomain) domain = parse_domain(PASS_HOSTDEV_CONFIG);
  const PassHostdev *h;

  g_assert_cmpuint(domain->hostdevs->len, ==, 3);
  assert_sorted(domain);

  h = pass_domain_find_hostdev(domain, "0000:3b:10.2");
  g_assert_nonnull(h);
  g_assert_true(h->interface);
  g_assert_true(h->managed);
  g_assert_null(h->alias);
  g_assert_cmpstr(h->guest_address, ==, "0000:02:00.0");
  g_assert_cmpuint(h->where, ==, PASS_HOSTDEV_CONFIG);
  g_assert_cmpstr(h->mac, ==, "52:54:00:6d:90:02"); /* what a detach must name */

  h = pass_domain_find_hostdev(domain, "0000:01:00.0");
  g_assert_nonnull(h);
  g_assert_false(h->interface);
  g_assert_null(h->mac);
  g_assert_true(h->managed);
  g_assert_cmpstr(h->guest_address, ==, "0000:05:00.0");

  /* Decimal attributes, managed='no', no guest address yet. */
  h = pass_domain_find_hostdev(domain, "0000:01:00.1");
  g_assert_nonnull(h);
  g_assert_false(h->managed);
  g_assert_null(h->guest_address);
  g_assert_null(h->alias);

  g_assert_null(pass_domain_find_hostdev(domain, "0000:04:00.0")); /* the disk's address */
  g_assert_null(pass_domain_find_hostdev(domain, NULL));
}

static void
test_domain_live(void)
{
  g_autoptr(PassDomain) domain = parse_domain(PASS_HOSTDEV_LIVE);
  const PassHostdev *h;

  /* USB hostdevs are ignored; the mdev is named by its UUID. */
  g_assert_cmpuint(domain->hostdevs->len, ==, 4);
  assert_sorted(domain);

  h = pass_domain_find_hostdev(domain, "mdev:c2177883-f1bb-47f0-914d-32a22e3a8804");
  g_assert_nonnull(h);
  g_assert_false(h->interface);
  g_assert_cmpstr(h->alias, ==, "hostdev4");
  g_assert_cmpuint(h->where, ==, PASS_HOSTDEV_LIVE);

  h = pass_domain_find_hostdev(domain, "0000:3b:10.2");
  g_assert_nonnull(h);
  g_assert_true(h->interface);
  g_assert_cmpstr(h->alias, ==, "hostdev0");
  g_assert_cmpstr(h->guest_address, ==, "0000:02:00.0");
  g_assert_cmpuint(h->where, ==, PASS_HOSTDEV_LIVE);

  h = pass_domain_find_hostdev(domain, "0000:af:00.1");
  g_assert_nonnull(h);
  g_assert_cmpstr(h->alias, ==, "hostdev2");
  g_assert_cmpstr(h->guest_address, ==, "0000:07:00.0");
}

static void
test_domain_merged(void)
{
  g_autoptr(PassDomain) domain = parse_domain(PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG);
  const PassHostdev *h;

  /* live: 3b:10.2, 01:00.0, af:00.1, the mdev; config: 3b:10.2, 01:00.0, 01:00.1 */
  g_assert_cmpuint(domain->hostdevs->len, ==, 5);
  assert_sorted(domain);

  h = pass_domain_find_hostdev(domain, "0000:01:00.0");
  g_assert_cmpuint(h->where, ==, PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG);
  g_assert_cmpstr(h->alias, ==, "hostdev1");

  h = pass_domain_find_hostdev(domain, "0000:af:00.1");
  g_assert_cmpuint(h->where, ==, PASS_HOSTDEV_LIVE); /* hot-plugged, not persistent */

  h = pass_domain_find_hostdev(domain, "0000:01:00.1");
  g_assert_cmpuint(h->where, ==, PASS_HOSTDEV_CONFIG); /* takes effect at next boot */
  g_assert_null(h->alias);

  g_assert_cmpstr(((PassHostdev *)g_ptr_array_index(domain->hostdevs, 0))->address, ==,
                  "0000:01:00.0");
  g_assert_cmpstr(((PassHostdev *)g_ptr_array_index(domain->hostdevs, 3))->address, ==,
                  "0000:af:00.1");
}

/* An interface's MAC: the persistent definition's wins whichever is read first (a config detach
 * names it; live unplugs go by alias), lower case; none when the XML has none. */
static void
test_domain_interface_mac(void)
{
  const char *live = "<domain><devices><interface type='hostdev'><mac address='52:54:00:AA:BB:01'/>"
                     "<source><address type='pci' domain='0' bus='4' slot='0x10' function='0'/>"
                     "</source><vlan><tag id='42'/></vlan><alias name='hostdev0'/></interface>"
                     "<interface type='hostdev'><source><address type='pci' domain='0' bus='4' "
                     "slot='0x10' function='2'/></source></interface></devices></domain>";
  const char *config =
      "<domain><devices><interface type='hostdev'><mac address='52:54:00:aa:bb:02'/>"
      "<source><address type='pci' domain='0' bus='4' slot='0x10' function='0'/>"
      "</source><vlan><tag id='7'/></vlan></interface>"
      "<interface type='hostdev'><vlan><tag id='4096'/></vlan><source><address type='pci' "
      "domain='0' bus='4' slot='0x10' function='4'/></source></interface></devices></domain>";

  for (guint order = 0; order < 2; order++) {
    g_autoptr(PassDomain) domain = pass_domain_new("vm1");
    g_autoptr(PassDomain) live_only = pass_domain_new("vm1");
    g_autoptr(PassDomain) config_only = pass_domain_new("vm1");
    g_autoptr(GError) error = NULL;
    const PassHostdev *h;

    for (guint i = 0; i < 2; i++) {
      gboolean is_live = (i == 0) == (order == 0);

      g_assert_true(pass_xml_read_domain_hostdevs(is_live ? live : config,
                                                  is_live ? PASS_HOSTDEV_LIVE : PASS_HOSTDEV_CONFIG,
                                                  domain, &error));
      g_assert_no_error(error);
    }
    h = pass_domain_find_hostdev(domain, "0000:04:10.0");
    g_assert_cmpstr(h->mac, ==, "52:54:00:aa:bb:02");
    /* the VLAN the PF programs now: the live definition's, whichever came first */
    g_assert_cmpint(h->vlan, ==, 42);
    g_assert_cmpstr(h->alias, ==, "hostdev0");
    g_assert_cmpuint(h->where, ==, PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG);
    h = pass_domain_find_hostdev(domain, "0000:04:10.2");
    g_assert_true(h->interface);
    g_assert_null(h->mac);
    g_assert_cmpint(h->vlan, ==, -1);
    /* config only, with a tag libvirt would not write */
    h = pass_domain_find_hostdev(domain, "0000:04:10.4");
    g_assert_cmpint(h->vlan, ==, -1);

    g_assert_true(pass_xml_read_domain_hostdevs(live, PASS_HOSTDEV_LIVE, live_only, &error));
    g_assert_cmpstr(pass_domain_find_hostdev(live_only, "0000:04:10.0")->mac, ==,
                    "52:54:00:aa:bb:01");
    g_assert_true(pass_xml_read_domain_hostdevs(config, PASS_HOSTDEV_CONFIG, config_only, &error));
    g_assert_cmpint(pass_domain_find_hostdev(config_only, "0000:04:10.0")->vlan, ==, 7);
  }
}

static void
test_domain_usb_only(void)
{
  g_autofree char *xml = xml_fixture_load("domain-usb-only.xml");
  g_autoptr(PassDomain) domain = pass_domain_new("usbvm");
  g_autoptr(GError) error = NULL;

  g_assert_true(pass_xml_read_domain_hostdevs(xml, PASS_HOSTDEV_CONFIG, domain, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(domain->hostdevs->len, ==, 0);
}

static void
test_domain_errors(void)
{
  const char *cases[] = {
      "",
      "<domain><devices><hostdev mode='subsystem' type='pci'>",
      "<device/>",
      "<domain><devices><hostdev mode='subsystem' type='pci'><source>"
      "<address domain='0x0000' bus='0x01' slot='0x20' function='0x0'/></source></hostdev>"
      "</devices></domain>",
      "<domain><devices><hostdev mode='subsystem' type='pci'><source>"
      "<address domain='0x0000' bus='0xzz' slot='0x00' function='0x0'/></source></hostdev>"
      "</devices></domain>",
  };

  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(PassDomain) domain = pass_domain_new("bad");
    g_autoptr(GError) error = NULL;

    g_test_message("case %u", i);
    g_assert_false(pass_xml_read_domain_hostdevs(cases[i], PASS_HOSTDEV_LIVE, domain, &error));
    g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
  }
}

static void
test_domain_refs(void)
{
  g_autoptr(PassDomain) domain = pass_domain_new("x");
  PassDomain *ref = pass_domain_ref(domain);

  g_assert_true(ref == domain);
  pass_domain_unref(ref);
  g_assert_cmpstr(domain->name, ==, "x");
  g_assert_nonnull(domain->hostdevs);
  g_assert_cmpuint(domain->hostdevs->len, ==, 0);
}

/* @buf parses to @address and @kind. */
static gboolean
check_uevent(const char *buf, gsize len, const char *address, PassUeventKind kind)
{
  PassUeventKind got = kind == PASS_UEVENT_ADD ? PASS_UEVENT_BINDING : PASS_UEVENT_ADD;
  g_autofree char *parsed = pass_virt_uevent_parse(buf, len, &got);

  return g_strcmp0(parsed, address) == 0 && got == kind;
}

static void
test_uevent(void)
{
  static const char bind[] =
      "bind@/devices/pci0000:00/0000:00:1c.0/0000:02:00.0\0"
      "ACTION=bind\0DEVPATH=/devices/pci0000:00/0000:00:1c.0/0000:02:00.0\0"
      "SUBSYSTEM=pci\0DRIVER=vfio-pci\0PCI_SLOT_NAME=0000:02:00.0\0SEQNUM=1\0";
  static const char unbind[] = "unbind@/devices/pci0000:00/0000:00:1c.0/0000:02:00.0\0"
                               "ACTION=unbind\0SUBSYSTEM=pci\0PCI_SLOT_NAME=0000:02:00.0\0";
  static const char add[] = "add@/devices/pci0000:00/0000:02:00.0\0ACTION=add\0"
                            "SUBSYSTEM=pci\0PCI_SLOT_NAME=0000:02:00.0\0";
  static const char net[] = "bind@/devices/x\0ACTION=bind\0SUBSYSTEM=usb\0";
  static const char bad[] = "bind@/devices/x\0ACTION=bind\0SUBSYSTEM=pci\0PCI_SLOT_NAME=zz\0";
  static const char udev[] = "libudev\0\xfe\xed\xca\xfe";
  static const char change[] = "change@/devices/pci0000:00/0000:02:00.0\0ACTION=change\0"
                               "SUBSYSTEM=pci\0PCI_SLOT_NAME=0000:02:00.0\0";
  static const char remove[] = "remove@/devices/pci0000:00/0000:02:00.0\0ACTION=remove\0"
                               "SUBSYSTEM=pci\0PCI_SLOT_NAME=0000:02:00.0\0";
  static const char remove_bare[] = "remove@/devices/pci0000:40/0000:40:01.1/0000:41:00.3\0"
                                    "ACTION=remove\0DEVPATH=/devices/pci0000:40/0000:40:01.1/"
                                    "0000:41:00.3\0SUBSYSTEM=pci\0SEQNUM=7\0";
  static const char bus[] = "add@/devices/pci0000:40\0ACTION=add\0DEVPATH=/devices/pci0000:40\0"
                            "SUBSYSTEM=pci\0";
  PassUeventKind kind_a = PASS_UEVENT_ADD, kind_b = PASS_UEVENT_ADD, kind_c = PASS_UEVENT_BINDING;
  g_autofree char *a = pass_virt_uevent_parse(bind, sizeof(bind) - 1, &kind_a);
  g_autofree char *b = pass_virt_uevent_parse(unbind, sizeof(unbind) - 1, &kind_b);
  g_autofree char *c = pass_virt_uevent_parse(add, sizeof(add) - 1, &kind_c);

  g_assert_cmpstr(a, ==, "0000:02:00.0");
  g_assert_cmpint(kind_a, ==, PASS_UEVENT_BINDING);
  g_assert_cmpstr(b, ==, "0000:02:00.0");
  g_assert_cmpint(kind_b, ==, PASS_UEVENT_BINDING);
  g_assert_cmpstr(c, ==, "0000:02:00.0");
  g_assert_cmpint(kind_c, ==, PASS_UEVENT_ADD);
  /* a removal, by PCI_SLOT_NAME or, without it, by DEVPATH's last component */
  g_assert_true(check_uevent(remove, sizeof(remove) - 1, "0000:02:00.0", PASS_UEVENT_REMOVE));
  g_assert_true(
      check_uevent(remove_bare, sizeof(remove_bare) - 1, "0000:41:00.3", PASS_UEVENT_REMOVE));
  g_assert_null(pass_virt_uevent_parse(bus, sizeof(bus) - 1, NULL)); /* a root bus: no function */
  g_assert_null(pass_virt_uevent_parse(change, sizeof(change) - 1, NULL));
  g_assert_null(pass_virt_uevent_parse(net, sizeof(net) - 1, NULL));
  g_assert_null(pass_virt_uevent_parse(bad, sizeof(bad) - 1, NULL));
  g_assert_null(pass_virt_uevent_parse(udev, sizeof(udev) - 1, NULL));
  g_assert_null(pass_virt_uevent_parse(bind, 10, NULL)); /* truncated */
  g_assert_null(pass_virt_uevent_parse(NULL, 0, NULL));
}

static void
on_uevent_address(const char *address, PassUeventKind kind, gpointer user_data)
{
}

static void
test_uevent_watch(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PassUeventWatch) watch = NULL;

  /* Only reads the kernel's broadcasts; some containers forbid the socket. */
  watch = pass_uevent_watch_new(NULL, on_uevent_address, NULL, &error);
  if (watch == NULL) {
    g_test_skip(error->message);
    return;
  }
  while (g_main_context_iteration(NULL, FALSE))
    ;
}

static char *
ints(const GArray *set)
{
  g_autoptr(GString) text = g_string_new(NULL);

  for (guint i = 0; i < set->len; i++)
    g_string_append_printf(text, "%s%d", i ? "," : "", g_array_index(set, int, i));
  return g_string_free(g_steal_pointer(&text), FALSE);
}

/* Where a domain runs: numatune nodesets (memory and memnode, with libvirt's ^ exclusion),
 * pinned CPUs (vcpu cpuset, vcpupin, emulatorpin), guest cells; the live XML decides. */
static void
test_domain_placement(void)
{
  const char *xml = "<domain type='kvm'><name>vm1</name>"
                    "<vcpu placement='static' cpuset='0-1'>4</vcpu>"
                    "<cputune><vcpupin vcpu='0' cpuset='8'/><vcpupin vcpu='1' cpuset='9-10,^10'/>"
                    "<emulatorpin cpuset='3'/></cputune>"
                    "<numatune><memory mode='strict' nodeset='1-3,^2'/>"
                    "<memnode cellid='0' mode='strict' nodeset='5'/></numatune>"
                    "<cpu><numa><cell id='0' cpus='0-1' memory='1024'/><cell id='1' cpus='2-3' "
                    "memory='1024'/></numa></cpu><devices/></domain>";
  const char *other = "<domain type='kvm'><name>vm1</name>"
                      "<numatune><memory nodeset='0'/></numatune><devices/></domain>";
  const char *bad = "<domain type='kvm'><name>vm1</name>"
                    "<numatune><memory nodeset='1-x'/></numatune><devices/></domain>";
  g_autoptr(PassDomain) domain = pass_domain_new("vm1");
  g_autoptr(PassDomain) broken = pass_domain_new("vm1");
  g_autofree char *nodes = NULL, *cpus = NULL, *after = NULL;
  GError *error = NULL;

  domain->active = TRUE;
  g_assert_true(pass_xml_read_domain_hostdevs(xml, PASS_HOSTDEV_LIVE, domain, &error));
  g_assert_no_error(error);
  nodes = ints(domain->numa_nodes);
  cpus = ints(domain->cpus);
  g_assert_cmpstr(nodes, ==, "1,3,5");
  g_assert_cmpstr(cpus, ==, "0,1,3,8,9");
  g_assert_cmpuint(domain->numa_cells, ==, 2);
  g_assert_true(pass_domain_has_numa_affinity(domain));
  /* The persistent definition of a running domain does not override the live one. */
  g_assert_true(pass_xml_read_domain_hostdevs(other, PASS_HOSTDEV_CONFIG, domain, &error));
  after = ints(domain->numa_nodes);
  g_assert_cmpstr(after, ==, "1,3,5");
  /* A malformed nodeset is no placement, and no reason to lose the domain. */
  g_assert_true(pass_xml_read_domain_hostdevs(bad, PASS_HOSTDEV_CONFIG, broken, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(broken->numa_nodes->len, ==, 0);
  g_assert_false(pass_domain_has_numa_affinity(broken));
  /* Guest cells alone are an affinity too (libvirt may place them by itself). */
  broken->numa_cells = 1;
  g_assert_true(pass_domain_has_numa_affinity(broken));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);

  g_test_add_func("/virt-xml/nodedev/sriov-pf", test_sriov_pf);
  g_test_add_func("/virt-xml/nodedev/sriov-pf-without-vfs", test_sriov_pf_without_vfs);
  g_test_add_func("/virt-xml/nodedev/sriov-vf", test_sriov_vf);
  g_test_add_func("/virt-xml/nodedev/root-port", test_root_port);
  g_test_add_func("/virt-xml/nodedev/gpu-and-audio", test_gpu_and_audio);
  g_test_add_func("/virt-xml/nodedev/unbound", test_unbound);
  g_test_add_func("/virt-xml/nodedev/errors", test_nodedev_errors);
  g_test_add_func("/virt-xml/nodedev/net", test_nodedev_net);
  g_test_add_func("/virt-xml/device/refs-and-equal", test_device_refs_and_equal);
  g_test_add_func("/virt-xml/domain/inactive", test_domain_inactive);
  g_test_add_func("/virt-xml/domain/live", test_domain_live);
  g_test_add_func("/virt-xml/domain/merged", test_domain_merged);
  g_test_add_func("/virt-xml/domain/interface-mac", test_domain_interface_mac);
  g_test_add_func("/virt-xml/domain/usb-only", test_domain_usb_only);
  g_test_add_func("/virt-xml/domain/errors", test_domain_errors);
  g_test_add_func("/virt-xml/domain/refs", test_domain_refs);
  g_test_add_func("/virt-xml/domain/placement", test_domain_placement);
  g_test_add_func("/virt-xml/uevent/parse", test_uevent);
  g_test_add_func("/virt-xml/uevent/watch", test_uevent_watch);
  return g_test_run();
}
