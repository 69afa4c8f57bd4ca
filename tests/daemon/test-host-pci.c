/* host-pci.c against a fake sysfs in a temp dir: a PF behind a root port and its VF, a function
 * on a root bus, one whose files are not there (yet), and addresses that name no directory.
 * What it reads must be what libvirt reports of the same device. Never touches the real /sys. */
#include <glib/gstdio.h>

#include "fake-root.h"
#include "host-pci.h"

#define BUS  "sys/bus/pci/devices/"
#define PORT "sys/devices/pci0000:40/0000:40:01.1/"

typedef FakeHost Fixture;

/* A function's directory under @dir (/sys/devices/...) and its /sys/bus/pci/devices link. */
static void
put_function(Fixture *fx, const char *dir, const char *address, const char *vendor,
             const char *device, const char *class_code, const char *numa)
{
  g_autofree char *d = g_strconcat(dir, address, NULL);
  g_autofree char *bus_link = g_strconcat(BUS, address, NULL);
  g_autofree char *target = g_strconcat("../../../", d + 4, NULL); /* from sys/bus/pci/devices */
  g_autofree char *v = g_strconcat(d, "/vendor", NULL);
  g_autofree char *p = g_strconcat(d, "/device", NULL);
  g_autofree char *c = g_strconcat(d, "/class", NULL);
  g_autofree char *n = g_strconcat(d, "/numa_node", NULL);

  fake_root_put(fx->root, v, vendor);
  fake_root_put(fx->root, p, device);
  fake_root_put(fx->root, c, class_code);
  fake_root_put(fx->root, n, numa);
  fake_root_link(fx->root, bus_link, target);
}

static void
setup(Fixture *fx, gconstpointer data)
{
  fake_host_setup(fx, data);
  put_function(fx, "sys/devices/pci0000:40/", "0000:40:01.1", "0x1022\n", "0x1453\n", "0x060400\n",
               "1\n");
  put_function(fx, PORT, "0000:41:00.0", "0x1b36\n", "0x0010\n", "0x010802\n", "1\n");
  fake_root_put(fx->root, PORT "0000:41:00.0/sriov_totalvfs", "8\n");
  fake_root_link(fx->root, PORT "0000:41:00.0/driver", "../../../../bus/pci/drivers/nvme");
  fake_root_link(fx->root, PORT "0000:41:00.0/iommu_group", "../../../../kernel/iommu_groups/7");
  /* the VF: upper-case hex as some kernels print it, no driver (autoprobe off) */
  put_function(fx, PORT, "0000:41:00.1", "0x1B36\n", "0x0010\n", "0x010802\n", "1\n");
  fake_root_link(fx->root, PORT "0000:41:00.1/physfn", "../0000:41:00.0");
  fake_root_link(fx->root, PORT "0000:41:00.1/iommu_group", "../../../../kernel/iommu_groups/12");
  /* on a root bus, no NUMA information */
  put_function(fx, "sys/devices/pci0000:00/", "0000:00:1f.0", "0x8086\n", "0x2918\n", "0x060100\n",
               "-1\n");
  /* the kernel has made the directory, not its files yet */
  fake_root_mkdirs(fx->root, PORT "0000:41:00.2");
  fake_root_link(fx->root, BUS "0000:41:00.2",
                 "../../../devices/pci0000:40/0000:40:01.1/0000:41:00.2");
}

static void
test_pf_and_vf(Fixture *fx, gconstpointer data)
{
  g_autoptr(PassDevice) pf = pass_host_read_pci_device(fx->host, "0000:41:00.0");
  g_autoptr(PassDevice) vf = pass_host_read_pci_device(fx->host, "0000:41:00.1");

  g_assert_nonnull(pf);
  g_assert_true(pf->provisional);
  g_assert_cmpint(pf->kind, ==, PASS_DEVICE_KIND_PCI);
  g_assert_cmpstr(pf->address, ==, "0000:41:00.0");
  g_assert_cmpstr(pf->name, ==, "pci_0000_41_00_0");
  g_assert_cmphex(pf->vendor_id, ==, 0x1b36);
  g_assert_cmphex(pf->product_id, ==, 0x0010);
  g_assert_cmphex(pf->class_code, ==, 0x010802);
  g_assert_cmpstr(pf->driver, ==, "nvme");
  g_assert_cmpint(pf->iommu_group, ==, 7);
  g_assert_cmpint(pf->numa_node, ==, 1);
  g_assert_cmpstr(pf->parent, ==, "0000:40:01.1");
  g_assert_null(pf->physfn);
  g_assert_cmpint(pf->totalvfs, ==, 8);
  g_assert_null(pf->vendor);
  g_assert_null(pf->product);
  g_assert_null(pf->netdevs);

  g_assert_nonnull(vf);
  g_assert_true(vf->provisional);
  g_assert_cmphex(vf->vendor_id, ==, 0x1b36);
  g_assert_null(vf->driver);
  g_assert_cmpint(vf->iommu_group, ==, 12);
  g_assert_cmpstr(vf->parent, ==, "0000:40:01.1"); /* beside its PF, as libvirt has it */
  g_assert_cmpstr(vf->physfn, ==, "0000:41:00.0");
  g_assert_cmpint(vf->totalvfs, ==, -1);
}

static void
test_root_bus(Fixture *fx, gconstpointer data)
{
  g_autoptr(PassDevice) d = pass_host_read_pci_device(fx->host, "0000:00:1f.0");

  g_assert_nonnull(d);
  g_assert_cmphex(d->class_code, ==, 0x060100);
  g_assert_null(d->parent); /* pci0000:00 is no PCI function */
  g_assert_cmpint(d->numa_node, ==, -1);
  g_assert_cmpint(d->iommu_group, ==, -1);
  g_assert_null(d->driver);
}

static void
test_missing(Fixture *fx, gconstpointer data)
{
  g_assert_null(pass_host_read_pci_device(fx->host, "0000:41:00.2")); /* no files yet */
  g_assert_null(pass_host_read_pci_device(fx->host, "0000:41:00.7")); /* no such function */
  g_assert_null(pass_host_read_pci_device(fx->host, "41:00.0"));      /* not canonical */
  g_assert_null(pass_host_read_pci_device(fx->host, "0000:41:00.0/../../x"));
  g_assert_null(pass_host_read_pci_device(fx->host, NULL));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/host-pci/pf-and-vf", Fixture, NULL, setup, test_pf_and_vf, fake_host_teardown);
  g_test_add("/host-pci/root-bus", Fixture, NULL, setup, test_root_bus, fake_host_teardown);
  g_test_add("/host-pci/missing", Fixture, NULL, setup, test_missing, fake_host_teardown);
  return g_test_run();
}
