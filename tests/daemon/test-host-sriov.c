/* host-sriov.c against a fake sysfs in a temp dir: reading a PF (counts, autoprobe, virtfnN
 * by index), setting a count (autoprobe first, nothing written when the count is the same),
 * and a device without SR-IOV. Never touches the real /sys. */
#include <glib/gstdio.h>
#include <string.h>

#include "fake-root.h"
#include "host.h"
#include "pass-error.h"

#define DEVS "sys/bus/pci/devices"
#define PF   "0000:41:00.0"

typedef FakeHost Fixture;

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
  fake_root_put(fx->root, DEVS "/" PF "/sriov_totalvfs", "4\n");
  fake_root_put(fx->root, DEVS "/" PF "/sriov_numvfs", "2\n");
  fake_root_put(fx->root, DEVS "/" PF "/sriov_drivers_autoprobe", "1\n");
  /* Listed out of order on purpose: the index is the number, not the position. */
  fake_root_link(fx->root, DEVS "/" PF "/virtfn1", "../0000:41:00.2");
  fake_root_link(fx->root, DEVS "/" PF "/virtfn0", "../0000:41:00.1");
  fake_root_put(fx->root, DEVS "/0000:01:00.0/vendor", "0x8086\n");
}

static void
test_read(Fixture *fx, gconstpointer data)
{
  g_auto(PassHostSriov) sriov = {0};
  g_autoptr(GError) error = NULL;

  g_assert_true(pass_host_read_sriov(fx->host, PF, &sriov, &error));
  g_assert_no_error(error);
  g_assert_cmpint(sriov.totalvfs, ==, 4);
  g_assert_cmpint(sriov.numvfs, ==, 2);
  g_assert_cmpint(sriov.autoprobe, ==, 1);
  g_assert_cmpuint(sriov.vfs->len, ==, 2);
  g_assert_cmpstr(g_ptr_array_index(sriov.vfs, 0), ==, "0000:41:00.1");
  g_assert_cmpstr(g_ptr_array_index(sriov.vfs, 1), ==, "0000:41:00.2");
}

static void
test_set(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *numvfs = NULL, *probe = NULL, *same = NULL, *probe_kept = NULL;

  g_assert_true(pass_host_set_num_vfs(fx->host, PF, 3, 0, &error));
  g_assert_no_error(error);
  numvfs = get(fx, DEVS "/" PF "/sriov_numvfs");
  probe = get(fx, DEVS "/" PF "/sriov_drivers_autoprobe");
  g_assert_cmpstr(numvfs, ==, "3");
  g_assert_cmpstr(probe, ==, "0");

  /* The same count: sriov_numvfs is not written at all (the kernel would drop nothing, but a
   * write of the same value is refused by some drivers); autoprobe -1 is left alone. */
  fake_root_put(fx->root, DEVS "/" PF "/sriov_numvfs", "3\n");
  g_assert_true(pass_host_set_num_vfs(fx->host, PF, 3, -1, &error));
  same = get(fx, DEVS "/" PF "/sriov_numvfs");
  probe_kept = get(fx, DEVS "/" PF "/sriov_drivers_autoprobe");
  g_assert_cmpstr(same, ==, "3\n");
  g_assert_cmpstr(probe_kept, ==, "0");
}

static void
test_not_sriov(Fixture *fx, gconstpointer data)
{
  g_auto(PassHostSriov) sriov = {0};
  g_autoptr(GError) read_error = NULL;
  g_autoptr(GError) set_error = NULL;
  g_autoptr(GError) bad = NULL;

  g_assert_false(pass_host_read_sriov(fx->host, "0000:01:00.0", &sriov, &read_error));
  g_assert_error(read_error, PASS_ERROR, PASS_ERROR_SRIOV_NOT_SUPPORTED);
  g_assert_cmpstr(read_error->message, ==,
                  "0000:01:00.0 has no SR-IOV capability (no readable sriov_totalvfs and "
                  "sriov_numvfs in /sys/bus/pci/devices/0000:01:00.0)");
  g_assert_false(pass_host_set_num_vfs(fx->host, "0000:01:00.0", 1, -1, &set_error));
  g_assert_error(set_error, PASS_ERROR, PASS_ERROR_SRIOV_NOT_SUPPORTED);
  /* Only canonical addresses reach a path. */
  g_assert_false(pass_host_set_num_vfs(fx->host, "41:00.0/../x", 1, -1, &bad));
  g_assert_error(bad, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/host-sriov/read", Fixture, NULL, setup, test_read, fake_host_teardown);
  g_test_add("/host-sriov/set", Fixture, NULL, setup, test_set, fake_host_teardown);
  g_test_add("/host-sriov/not-sriov", Fixture, NULL, setup, test_not_sriov, fake_host_teardown);
  return g_test_run();
}
