#include "virt-topology.h"

#include <stdio.h>

static gboolean
split_address(const char *address, guint *d, guint *b, guint *s, guint *f)
{
  return sscanf(address, "%x:%x:%x.%x", d, b, s, f) == 4;
}

static void
append_address(GString *out, const char *indent, const char *address)
{
  guint d, b, s, f;

  g_assert_true(split_address(address, &d, &b, &s, &f));
  g_string_append_printf(out,
                         "%s<address domain='0x%04x' bus='0x%02x' slot='0x%02x' "
                         "function='0x%x'/>\n",
                         indent, d, b, s, f);
}

static char *
nodedev_name(const char *address)
{
  guint d, b, s, f;

  g_assert_true(split_address(address, &d, &b, &s, &f));
  return g_strdup_printf("pci_%04x_%02x_%02x_%x", d, b, s, f);
}

char *
pass_test_topology_xml(const PassTestDevice *devices, guint n_devices, const char *const *domains)
{
  GString *out = g_string_new("<node>\n"
                              "  <cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores>"
                              "<threads>1</threads><active>2</active><mhz>2000</mhz>"
                              "<model>i686</model></cpu>\n"
                              "  <memory>4194304</memory>\n");

  for (guint i = 0; i < n_devices; i++) {
    const PassTestDevice *dev = &devices[i];
    g_autofree char *name = nodedev_name(dev->address);
    g_autofree char *parent = dev->parent != NULL ? nodedev_name(dev->parent) : NULL;
    guint d, b, s, f;

    g_assert_true(split_address(dev->address, &d, &b, &s, &f));
    /* libvirt's node device XML spells the address in decimal elements. */
    g_string_append_printf(out,
                           "  <device>\n    <name>%s</name>\n    <parent>%s</parent>\n"
                           "    <capability type='pci'>\n      <class>0x%06x</class>\n"
                           "      <domain>%u</domain><bus>%u</bus><slot>%u</slot>"
                           "<function>%u</function>\n"
                           "      <product id='0x%04x'>Product %04x</product>\n"
                           "      <vendor id='0x%04x'>Vendor %04x</vendor>\n",
                           name, parent != NULL ? parent : "computer", dev->class_code, d, b, s, f,
                           dev->product_id, dev->product_id, dev->vendor_id, dev->vendor_id);
    if (dev->physfn != NULL) {
      g_string_append(out, "      <capability type='phys_function'>\n");
      append_address(out, "        ", dev->physfn);
      g_string_append(out, "      </capability>\n");
    }
    if (dev->totalvfs >= 0)
      g_string_append_printf(out, "      <capability type='virt_functions' maxCount='%d'/>\n",
                             dev->totalvfs);
    if (dev->iommu_group >= 0) {
      g_string_append_printf(out, "      <iommuGroup number='%d'>\n", dev->iommu_group);
      append_address(out, "        ", dev->address);
      g_string_append(out, "      </iommuGroup>\n");
    }
    if (dev->numa_node >= 0)
      g_string_append_printf(out, "      <numa node='%d'/>\n", dev->numa_node);
    g_string_append(out, "    </capability>\n  </device>\n");
    if (dev->netdev != NULL)
      g_string_append_printf(out,
                             "  <device>\n    <name>net_%s_52_54_00_00_00_%02x</name>\n"
                             "    <parent>%s</parent>\n    <capability type='net'>\n"
                             "      <interface>%s</interface>\n"
                             "      <address>52:54:00:00:00:%02x</address>\n"
                             "    </capability>\n  </device>\n",
                             dev->netdev, i, name, dev->netdev, i);
  }
  for (guint i = 0; domains != NULL && domains[i] != NULL; i++)
    g_string_append_printf(out, "  %s\n", domains[i]);
  g_string_append(out, "</node>\n");
  return g_string_free(out, FALSE);
}

char *
pass_test_topology_write(const char *dir, const PassTestDevice *devices, guint n_devices,
                         const char *const *domains, GError **error)
{
  g_autofree char *xml = pass_test_topology_xml(devices, n_devices, domains);
  g_autofree char *path = g_build_filename(dir, "node.xml", NULL);

  if (!g_file_set_contents(path, xml, -1, error))
    return NULL;
  return g_strconcat("test://", path, NULL);
}
