/* daemon/virt/virt-calls.c against libvirt's test driver (in-process, no daemon). The test driver
 * in libvirt 9.0 implements neither node-device detach nor device hot-plug, so what is checked is
 * the error mapping: unknown domain / device and "unsupported" each give their own PassError,
 * with libvirt's message kept. The real behaviour is proven in the lab (tests/lab). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "pass-error.h"
#include "virt-calls.h"
#include "virt.h"

static const char node_xml[] =
    "<node>\n"
    "  <cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads>"
    "<active>2</active><mhz>2000</mhz><model>i686</model></cpu>\n"
    "  <memory>2097152</memory>\n"
    "  <domain type='test'><name>vm1</name><memory>65536</memory>"
    "<os><type arch='x86_64'>hvm</type></os></domain>\n"
    "  <domain type='test'><name>vm2</name><memory>65536</memory>"
    "<os><type arch='x86_64'>hvm</type></os></domain>\n"
    "  <device>\n"
    "    <name>pci_0000_02_00_1</name><parent>computer</parent>\n"
    "    <capability type='pci'><domain>0</domain><bus>2</bus><slot>0</slot>"
    "<function>1</function><product id='0x10d3'>82574L</product>"
    "<vendor id='0x8086'>Intel</vendor></capability>\n"
    "  </device>\n"
    "</node>\n";

static const char transient_xml[] = "<domain type='test'><name>vm3</name><memory>65536</memory>"
                                    "<os><type arch='x86_64'>hvm</type></os></domain>";

static const char hostdev_xml[] =
    "<hostdev mode='subsystem' type='pci' managed='no'><driver name='vfio'/><source>"
    "<address domain='0x0000' bus='0x02' slot='0x00' function='0x1'/></source></hostdev>";

typedef struct {
  char *dir;
  char *file;
  virConnectPtr conn;
} Fixture;

static void
silence(void *data, virErrorPtr err)
{
  /* libvirt prints every error to stderr by default; the tests look at the GErrors. */
}

static void
setup(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;

  fx->dir = g_dir_make_tmp("passd-virt-calls-XXXXXX", &error);
  g_assert_no_error(error);
  fx->file = g_build_filename(fx->dir, "node.xml", NULL);
  g_file_set_contents(fx->file, node_xml, -1, &error);
  g_assert_no_error(error);
  uri = g_strdup_printf("test://%s", fx->file);
  fx->conn = virConnectOpen(uri);
  g_assert_nonnull(fx->conn);
}

static void
teardown(Fixture *fx, gconstpointer data)
{
  virConnectClose(fx->conn);
  g_unlink(fx->file);
  g_rmdir(fx->dir);
  g_free(fx->file);
  g_free(fx->dir);
}

static void
assert_error(GError *error, int code, const char *prefix, const char *libvirt_text)
{
  g_assert_error(error, PASS_ERROR, code);
  g_assert_true(g_str_has_prefix(error->message, prefix));
  if (libvirt_text != NULL)
    g_assert_nonnull(strstr(error->message, libvirt_text));
}

static void
test_host_side(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  /* A device libvirt does not know. */
  g_assert_false(pass_virt_call_detach_host(fx->conn, "0000:05:00.0", &error));
  assert_error(error, PASS_ERROR_NO_SUCH_DEVICE,
               "Cannot find host device 0000:05:00.0: ", "pci_0000_05_00_0");
  g_clear_error(&error);
  g_assert_false(pass_virt_call_reattach_host(fx->conn, "05:00.0", &error));
  assert_error(error, PASS_ERROR_NO_SUCH_DEVICE, "Cannot find host device 0000:05:00.0: ", NULL);
  g_clear_error(&error);

  /* A known device (in any address form): the test driver cannot detach, libvirt says why. */
  g_assert_false(pass_virt_call_detach_host(fx->conn, "02:00.1", &error));
  assert_error(error, PASS_ERROR_HYPERVISOR_ERROR,
               "Cannot detach 0000:02:00.1 from its host driver: ", "not supported");
  g_clear_error(&error);
  g_assert_false(pass_virt_call_reattach_host(fx->conn, "pci_0000_02_00_1", &error));
  assert_error(error, PASS_ERROR_HYPERVISOR_ERROR,
               "Cannot give 0000:02:00.1 back to the host: ", "virNodeDeviceReAttach");
  g_clear_error(&error);

  /* Malformed addresses never reach libvirt. */
  g_assert_false(pass_virt_call_detach_host(fx->conn, "0000:02:00.9", &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  g_clear_error(&error);
  g_assert_false(pass_virt_call_reattach_host(fx->conn, "pci_0000_02_00_1' or '", &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
}

static void
test_domain_side(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const guint live = PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG;

  g_assert_false(pass_virt_call_attach_domain(fx->conn, "nosuch", hostdev_xml, live, &error));
  assert_error(error, PASS_ERROR_NO_SUCH_DOMAIN, "Cannot find domain nosuch: ", NULL);
  g_clear_error(&error);
  g_assert_false(pass_virt_call_detach_domain(fx->conn, "nosuch", hostdev_xml, live, &error));
  assert_error(error, PASS_ERROR_NO_SUCH_DOMAIN, "Cannot find domain nosuch: ", NULL);
  g_clear_error(&error);
  g_assert_false(pass_virt_call_unplug_alias(fx->conn, "nosuch", "hostdev0", &error));
  assert_error(error, PASS_ERROR_NO_SUCH_DOMAIN, "Cannot find domain nosuch: ", NULL);
  g_clear_error(&error);

  g_assert_false(pass_virt_call_attach_domain(fx->conn, "vm1", hostdev_xml, live, &error));
  assert_error(error, PASS_ERROR_HYPERVISOR_ERROR,
               "Cannot attach the device to vm1: ", "virDomainAttachDeviceFlags");
  g_clear_error(&error);
  g_assert_false(pass_virt_call_detach_domain(fx->conn, "vm1", hostdev_xml, live, &error));
  assert_error(error, PASS_ERROR_HYPERVISOR_ERROR,
               "Cannot detach the device from vm1: ", "virDomainDetachDeviceFlags");
  g_clear_error(&error);
  g_assert_false(pass_virt_call_unplug_alias(fx->conn, "vm1", "hostdev0", &error));
  assert_error(error, PASS_ERROR_HYPERVISOR_ERROR,
               "Cannot detach hostdev0 from vm1: ", "virDomainDetachDeviceAlias");
}

/* The one read of a domain by name that the backend uses: state, liveness, persistence. */
static void
test_read_domain(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  PassDomain *domain;
  virDomainPtr dom;

  domain = pass_virt_call_read_domain(fx->conn, "vm1", &error);
  g_assert_no_error(error);
  g_assert_cmpint(domain->state, ==, PASS_DOMAIN_STATE_RUNNING);
  g_assert_true(domain->active);
  g_assert_true(domain->persistent);
  pass_domain_unref(domain);

  dom = virDomainLookupByName(fx->conn, "vm1");
  g_assert_cmpint(virDomainSuspend(dom), ==, 0);
  domain = pass_virt_call_read_domain(fx->conn, "vm1", &error);
  g_assert_cmpint(domain->state, ==, PASS_DOMAIN_STATE_PAUSED);
  g_assert_true(domain->active);
  pass_domain_unref(domain);
  virDomainFree(dom);

  dom = virDomainLookupByName(fx->conn, "vm2");
  g_assert_cmpint(virDomainDestroy(dom), ==, 0);
  domain = pass_virt_call_read_domain(fx->conn, "vm2", &error);
  g_assert_cmpint(domain->state, ==, PASS_DOMAIN_STATE_SHUTOFF);
  g_assert_false(domain->active);
  g_assert_true(domain->persistent);
  pass_domain_unref(domain);
  virDomainFree(dom);

  dom = virDomainCreateXML(fx->conn, transient_xml, 0);
  g_assert_nonnull(dom);
  domain = pass_virt_call_read_domain(fx->conn, "vm3", &error);
  g_assert_cmpint(domain->state, ==, PASS_DOMAIN_STATE_RUNNING);
  g_assert_true(domain->active);
  g_assert_false(domain->persistent);
  pass_domain_unref(domain);
  virDomainFree(dom);
  g_assert_no_error(error);

  g_assert_null(pass_virt_call_read_domain(fx->conn, "nosuch", &error));
  assert_error(error, PASS_ERROR_NO_SUCH_DOMAIN, "Cannot find domain nosuch: ", NULL);
  g_clear_error(&error);
  g_assert_null(pass_virt_call_read_device(fx->conn, "0000:05:00.0", &error));
  assert_error(error, PASS_ERROR_NO_SUCH_DEVICE, "Cannot find host device 0000:05:00.0: ", NULL);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  virSetErrorFunc(NULL, silence);
  g_test_add("/virt-calls/host-side", Fixture, NULL, setup, test_host_side, teardown);
  g_test_add("/virt-calls/domain-side", Fixture, NULL, setup, test_domain_side, teardown);
  g_test_add("/virt-calls/read-domain", Fixture, NULL, setup, test_read_domain, teardown);
  return g_test_run();
}
