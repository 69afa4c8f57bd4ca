/* Mediated devices in libvirt's XML (xml-mdev.c) against what libvirt 9.0 printed in the lab,
 * and the choice of a parent for a new instance (model/mdev.c). */
#include <gio/gio.h>

#include "pass-error.h"
#include "xml-mdev.h"
#include "xml-read.h"
#include "xml-fixture.h"

static void
test_address(void)
{
  g_autofree char *a = pass_xml_mdev_address("83B8F4F2-509F-382F-3C1E-E6BFE0FA1001");

  g_assert_cmpstr(a, ==, "mdev:83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
  g_assert_cmpstr(pass_xml_mdev_uuid(a), ==, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
  g_assert_null(pass_xml_mdev_address("not-a-uuid"));
  g_assert_null(pass_xml_mdev_address(NULL));
  g_assert_null(pass_xml_mdev_uuid("0000:01:00.0"));
}

static void
test_read_mdev(void)
{
  g_autofree char *xml = xml_fixture_load("nodedev-mdev.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(PassDevice) d = pass_xml_read_mdev(xml, &error);

  g_assert_no_error(error);
  g_assert_cmpint(d->kind, ==, PASS_DEVICE_KIND_MDEV);
  g_assert_cmpstr(d->address, ==, "mdev:83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
  g_assert_cmpstr(d->name, ==, "mdev_83b8f4f2_509f_382f_3c1e_e6bfe0fa1001_mtty");
  g_assert_cmpstr(d->driver, ==, "mtty");
  g_assert_cmpstr(d->mdev_type, ==, "mtty-2");
  g_assert_cmpstr(d->mdev_parent, ==, "mtty");
  g_assert_cmpint(d->iommu_group, ==, 16);
  g_assert_null(d->parent);
  g_assert_cmpint(d->totalvfs, ==, -1);
  /* and the PCI reader says it is none of its business */
  g_assert_null(pass_xml_read_nodedev(xml, NULL));
}

static void
test_read_mdev_errors(void)
{
  g_autoptr(GError) error = NULL;

  /* a PCI device is no mdev */
  g_autofree char *pci = xml_fixture_load("nodedev-mdev-parent-pci.xml");
  g_assert_null(pass_xml_read_mdev(pci, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
  g_clear_error(&error);
  g_assert_null(pass_xml_read_mdev("<device><name>x</name><capability type='mdev'><uuid>zz</uuid>"
                                   "</capability></device>",
                                   &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
  g_assert_nonnull(strstr(error->message, "UUID"));
  g_clear_error(&error);
  g_assert_null(pass_xml_read_mdev("<device", &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
  g_clear_error(&error);
  /* a defined, inactive mdev has no group and no parent_addr: libvirt's parent name then */
  {
    g_autoptr(PassDevice) d = pass_xml_read_mdev(
        "<device><name>mdev_x</name><parent>pci_0000_3b_00_0</parent><capability type='mdev'>"
        "<type id='nvidia-222'/><uuid>aaaaaaaa-509f-382f-3c1e-e6bfe0fa1002</uuid></capability>"
        "</device>",
        &error);
    g_assert_no_error(error);
    g_assert_cmpint(d->iommu_group, ==, -1);
    g_assert_cmpstr(d->mdev_parent, ==, "0000:3b:00.0");
  }
}

static void
test_read_types(void)
{
  g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func((GDestroyNotify)pass_mdev_type_free);
  g_autofree char *virtual = xml_fixture_load("nodedev-mdev-parent-virtual.xml");
  g_autofree char *pci = xml_fixture_load("nodedev-mdev-parent-pci.xml");
  g_autofree char *plain = xml_fixture_load("nodedev-sriov-vf.xml");
  g_autoptr(GError) error = NULL;
  const PassMdevType *t;

  g_assert_true(pass_xml_read_mdev_types(virtual, types, &error));
  g_assert_true(pass_xml_read_mdev_types(pci, types, &error));
  g_assert_true(pass_xml_read_mdev_types(plain, types, &error)); /* none */
  g_assert_no_error(error);
  g_assert_cmpuint(types->len, ==, 4);
  pass_mdev_types_sort(types);
  t = g_ptr_array_index(types, 0);
  g_assert_cmpstr(t->parent, ==, "0000:3b:00.0");
  g_assert_cmpstr(t->parent_name, ==, "pci_0000_3b_00_0");
  g_assert_cmpstr(t->id, ==, "nvidia-222");
  g_assert_cmpstr(t->name, ==, "GRID T4-1B");
  g_assert_cmpint(t->available, ==, 16);
  t = g_ptr_array_index(types, 1);
  g_assert_null(t->name);
  g_assert_cmpint(t->available, ==, 0);
  t = g_ptr_array_index(types, 2);
  g_assert_cmpstr(t->parent, ==, "mtty");
  g_assert_cmpstr(t->parent_name, ==, "mtty_mtty");
  g_assert_cmpstr(t->id, ==, "mtty-1");
  g_assert_cmpstr(t->name, ==, "Single port serial");
  g_assert_cmpstr(t->device_api, ==, "vfio-pci");
  g_assert_cmpint(t->available, ==, 24);

  g_assert_false(pass_xml_read_mdev_types(
      "<device><name>p</name><capability type='mdev_types'><type id='x'>"
      "<availableInstances>lots</availableInstances></type></capability></device>",
      types, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR);
}

static PassMdevType *
type_new(const char *parent, const char *id, int available)
{
  PassMdevType *t = pass_mdev_type_new();

  t->parent = g_strdup(parent);
  t->parent_name = g_strconcat(parent, "_name", NULL);
  t->id = g_strdup(id);
  t->available = available;
  return t;
}

static void
test_pick(void)
{
  g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func((GDestroyNotify)pass_mdev_type_free);

  g_ptr_array_add(types, type_new("b", "t1", 3));
  g_ptr_array_add(types, type_new("a", "t1", 3));
  g_ptr_array_add(types, type_new("c", "t1", 1));
  g_ptr_array_add(types, type_new("c", "t2", 5));
  g_ptr_array_add(types, type_new("d", "t3", 0));
  /* most available, ties by name */
  g_assert_cmpstr(pass_mdev_pick_parent(types, "t1", NULL)->parent, ==, "a");
  g_assert_cmpstr(pass_mdev_pick_parent(types, "t2", NULL)->parent, ==, "c");
  /* a given parent, by its API name or libvirt's */
  g_assert_cmpstr(pass_mdev_pick_parent(types, "t1", "c")->parent, ==, "c");
  g_assert_cmpstr(pass_mdev_pick_parent(types, "t1", "b_name")->parent, ==, "b");
  /* none left, unknown type, or the parent lacks it */
  g_assert_null(pass_mdev_pick_parent(types, "t3", NULL));
  g_assert_null(pass_mdev_pick_parent(types, "t9", NULL));
  g_assert_null(pass_mdev_pick_parent(types, "t2", "a"));
}

static void
test_build(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hostdev =
      pass_xml_build_mdev_hostdev("83B8F4F2-509F-382F-3C1E-E6BFE0FA1001", &error);
  g_autofree char *nodedev = NULL;
  g_autofree char *generated = NULL;
  g_autoptr(PassDomain) domain = pass_domain_new("d");
  g_autofree char *wrapped = NULL;

  g_assert_no_error(error);
  g_assert_cmpstr(hostdev, ==,
                  "<hostdev mode=\"subsystem\" type=\"mdev\" model=\"vfio-pci\">\n"
                  "  <source>\n"
                  "    <address uuid=\"83b8f4f2-509f-382f-3c1e-e6bfe0fa1001\"/>\n"
                  "  </source>\n"
                  "</hostdev>");
  /* and it reads back as the same device */
  wrapped = g_strdup_printf("<domain><devices>%s</devices></domain>", hostdev);
  g_assert_true(pass_xml_read_domain_hostdevs(wrapped, PASS_HOSTDEV_CONFIG, domain, &error));
  g_assert_nonnull(pass_domain_find_hostdev(domain, "mdev:83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"));

  nodedev = pass_xml_build_mdev_nodedev("mtty_mtty", "mtty-1",
                                        "aaaaaaaa-509f-382f-3c1e-e6bfe0fa1002", &error);
  g_assert_no_error(error);
  g_assert_cmpstr(nodedev, ==,
                  "<device>\n"
                  "  <parent>mtty_mtty</parent>\n"
                  "  <capability type=\"mdev\">\n"
                  "    <type id=\"mtty-1\"/>\n"
                  "    <uuid>aaaaaaaa-509f-382f-3c1e-e6bfe0fa1002</uuid>\n"
                  "  </capability>\n"
                  "</device>");
  /* markup in a name stays text */
  generated = pass_xml_build_mdev_nodedev("a<b>&", "t'1\"", NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(strstr(generated, "<parent>a&lt;b&gt;&amp;</parent>"));
  g_assert_nonnull(strstr(generated, "id=\"t'1&quot;\""));
  g_assert_null(strstr(generated, "<uuid>"));

  g_assert_null(pass_xml_build_mdev_hostdev("x", &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  g_clear_error(&error);
  g_assert_null(pass_xml_build_mdev_nodedev("p", "", NULL, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  g_clear_error(&error);
  g_assert_null(pass_xml_build_mdev_nodedev("p", "t", "nope", &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/mdev-xml/address", test_address);
  g_test_add_func("/mdev-xml/read", test_read_mdev);
  g_test_add_func("/mdev-xml/read-errors", test_read_mdev_errors);
  g_test_add_func("/mdev-xml/types", test_read_types);
  g_test_add_func("/mdev-xml/pick", test_pick);
  g_test_add_func("/mdev-xml/build", test_build);
  return g_test_run();
}
