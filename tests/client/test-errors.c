/* passctl's error sentences and exit codes: one row per PassError code. */
#include <string.h>

#include "passctl.h"
#include "pass-error.h"

typedef struct {
  PassError code;
  const char *params;  /* the varlink error's parameters, JSON; NULL for none */
  const char *message; /* GError message as the client builds it; NULL: the error name */
  const char *sentence;
  int exit_code;
} Case;

static const Case cases[] = {
    {PASS_ERROR_FAILED, NULL, "something broke", "something broke", 1},
    {PASS_ERROR_FAILED, NULL, NULL, "passd reported an unknown failure", 1},
    /* An error name passd's IDL does not have: the client's text is all there is. */
    {PASS_ERROR_FAILED, "{}", "Weird thing (what 'x')", "Weird thing (what 'x')", 1},
    {PASS_ERROR_INVALID_PARAMETER, "{\"parameter\": \"vendor_id\"}", NULL,
     "passd rejected the value of 'vendor_id'", 2},
    {PASS_ERROR_METHOD_NOT_FOUND, "{\"method\": \"io.passd.Manager.Attach\"}", NULL,
     "this passd does not support io.passd.Manager.Attach (is passd older than passctl?)", 1},
    {PASS_ERROR_INTERFACE_NOT_FOUND, "{\"interface\": \"io.passd.Manager\"}", NULL,
     "this passd does not support io.passd.Manager (is passd older than passctl?)", 1},
    {PASS_ERROR_METHOD_NOT_IMPLEMENTED, NULL, NULL,
     "this passd does not support the request (is passd older than passctl?)", 1},
    {PASS_ERROR_EXPECTED_MORE, NULL, NULL, "passd expected a streaming call (a passctl bug)", 1},
    {PASS_ERROR_PERMISSION_DENIED, "{\"method\": \"io.passd.Manager.Attach\"}", "no",
     "permission denied: not allowed to call io.passd.Manager.Attach", 4},
    {PASS_ERROR_NO_SUCH_DEVICE, "{\"address\": \"0000:99:00.0\", \"message\": \"x\"}", "x",
     "no PCI device 0000:99:00.0 on this host", 1},
    {PASS_ERROR_NO_SUCH_DEVICE, NULL, NULL, "no such device", 1},
    {PASS_ERROR_HYPERVISOR_UNAVAILABLE, "{\"message\": \"Failed to connect socket\"}",
     "Failed to connect socket", "passd is not connected to libvirt: Failed to connect socket", 1},
    {PASS_ERROR_HYPERVISOR_ERROR, NULL, "internal error: unable\nto attach",
     "libvirt failed: internal error: unable to attach", 1},
    {PASS_ERROR_NO_SUCH_DOMAIN, "{\"domain\": \"vm9\"}", NULL, "no domain named 'vm9'", 1},
    {PASS_ERROR_NO_SUCH_DOMAIN, NULL, "Domain not found: vm9",
     "no such domain: Domain not found: vm9", 1},
    {PASS_ERROR_DEVICE_IN_USE, "{\"address\": \"0000:02:00.0\", \"message\": \"held by vm1\"}",
     "held by vm1", "0000:02:00.0 is in use: held by vm1", 1},
    /* No "message" from the server: the client's made-up text is not repeated. */
    {PASS_ERROR_DEVICE_IN_USE, "{\"address\": \"0000:02:00.0\"}",
     "Device in use (address '0000:02:00.0')", "0000:02:00.0 is in use", 1},
    /* Owners named, the server's explanation after them. */
    {PASS_ERROR_DEVICE_IN_USE,
     "{\"address\": \"0000:02:10.0\", \"owners\": [\"vm1\", \"web-2\", \"db\"], "
     "\"message\": \"its PF is assigned\"}",
     "its PF is assigned", "0000:02:10.0 is in use by vm1, web-2 and db: its PF is assigned", 1},
    {PASS_ERROR_DEVICE_IN_USE, "{\"address\": \"0000:02:10.0\", \"owners\": [\"vm1\", 7]}", NULL,
     "0000:02:10.0 is in use by vm1", 1},
    {PASS_ERROR_DEVICE_NOT_ASSIGNED,
     "{\"address\": \"0000:02:10.0\", \"domain\": \"vm1\", \"message\": \"not in vm1\"}",
     "not in vm1", "0000:02:10.0 is not assigned to vm1", 1},
    {PASS_ERROR_DEVICE_NOT_ASSIGNED, NULL, "no such hostdev",
     "the device is not assigned to that domain: no such hostdev", 1},
    {PASS_ERROR_IOMMU_GROUP_NOT_VIABLE, "{\"address\": \"0000:02:00.0\"}", NULL,
     "the IOMMU group of 0000:02:00.0 is not viable for passthrough", 1},
    /* Every blocker with its driver, and the option that takes them along. */
    {PASS_ERROR_IOMMU_GROUP_NOT_VIABLE,
     "{\"address\": \"0000:02:00.0\", \"group\": 12, \"blocking\": ["
     "{\"address\": \"0000:02:00.1\", \"driver\": \"igb\"}, "
     "{\"address\": \"0000:02:00.2\", \"driver\": null}], \"message\": \"x\"}",
     "x",
     "0000:02:00.0 cannot be passed through alone: IOMMU group 12 also holds 0000:02:00.1 (igb) "
     "and 0000:02:00.2 (no driver), still used by the host (--whole-group takes the group along)",
     1},
    {PASS_ERROR_IOMMU_GROUP_NOT_VIABLE,
     "{\"address\": \"0000:02:00.0\", \"blocking\": [{\"address\": \"0000:02:00.1\", "
     "\"driver\": \"igb\"}, {\"driver\": \"bad\"}, 3]}",
     NULL,
     "0000:02:00.0 cannot be passed through alone: its IOMMU group also holds 0000:02:00.1 (igb), "
     "still used by the host (--whole-group takes the group along)",
     1},
    {PASS_ERROR_DEVICE_PROTECTED, NULL, "it holds the root disk",
     "the device is protected from passthrough: it holds the root disk (--force passes it "
     "through anyway)",
     1},
    {PASS_ERROR_DEVICE_PROTECTED,
     "{\"address\": \"0000:00:17.0\", \"reason\": \"0000:00:17.0 holds / (sda2)\", "
     "\"message\": \"protected\"}",
     "protected",
     "0000:00:17.0 is protected because the host needs it: 0000:00:17.0 holds / (sda2) (--force "
     "passes it through anyway)",
     1},
    /* Not an error to retry: the device's state and passd's follow-up are the point. */
    {PASS_ERROR_REMOVAL_PENDING,
     "{\"address\": \"0000:02:10.0\", \"domain\": \"vm1\", \"message\": \"timed out\"}",
     "timed out",
     "vm1 has not released 0000:02:10.0 yet; it stays assigned to vm1, and passd will give it "
     "back to its host driver by itself once the guest lets go",
     1},
    {PASS_ERROR_REMOVAL_PENDING, "{\"address\": \"0000:02:10.0\"}", NULL,
     "the guest has not released 0000:02:10.0 yet; it stays assigned, and passd will give it "
     "back to its host driver by itself once the guest lets go",
     1},
    {PASS_ERROR_JOURNAL_FAILED,
     "{\"message\": \"cannot write /var/lib/passd/journal: No space left on device\"}",
     "cannot write /var/lib/passd/journal: No space left on device",
     "passd cannot write its journal: cannot write /var/lib/passd/journal: No space left on "
     "device",
     1},
    {PASS_ERROR_REMOVAL_FAILED,
     "{\"address\": \"0000:02:10.0\", \"domain\": \"vm1\", \"message\": \"guest said no\"}",
     "guest said no", "vm1 refused to release 0000:02:10.0: guest said no; it stays assigned", 1},
    {PASS_ERROR_REMOVAL_FAILED, "{\"address\": \"0000:02:10.0\"}", NULL,
     "the guest refused to release 0000:02:10.0; it stays assigned", 1},
    {PASS_ERROR_NO_SUCH_POOL, "{\"pool\": \"nvme\", \"message\": \"No pool named nvme\"}",
     "No pool named nvme", "no such pool: No pool named nvme", 1},
    {PASS_ERROR_POOL_EXISTS, "{\"pool\": \"nvme\"}", NULL, "the pool exists already", 1},
    {PASS_ERROR_POOL_FROM_FILE,
     "{\"pool\": \"nvme\", \"file\": \"/etc/passd/pools.d/a.conf\", \"message\": \"edit it\"}",
     "edit it", "the pool is defined in a file, not at run time: edit it", 1},
    {PASS_ERROR_NO_ELIGIBLE_DEVICE, "{\"pool\": \"nvme\", \"message\": \"Pool nvme: 1 free\"}",
     "Pool nvme: 1 free", "no VF to give: Pool nvme: 1 free", 1},
    /* Each VF and why; the way out depends on whether a domain holds one. */
    {PASS_ERROR_VFS_IN_USE,
     "{\"pf\": \"0000:41:00.0\", \"vfs\": [\"0000:41:00.1: assigned to vm1\", "
     "\"0000:41:00.2: bound to vfio-pci\"], \"message\": \"x\"}",
     "x",
     "changing the VF count of 0000:41:00.0 would destroy VFs in use: 0000:41:00.1: assigned to "
     "vm1 and 0000:41:00.2: bound to vfio-pci (detach them from their domains first)",
     1},
    {PASS_ERROR_VFS_IN_USE,
     "{\"pf\": \"0000:41:00.0\", \"vfs\": [\"0000:41:00.2: bound to vfio-pci\"]}", NULL,
     "changing the VF count of 0000:41:00.0 would destroy VFs in use: 0000:41:00.2: bound to "
     "vfio-pci (--force destroys VFs that are only bound to vfio-pci)",
     1},
    {PASS_ERROR_VFS_IN_USE, NULL, "busy", "VFs of the PF are in use: busy", 1},
    {PASS_ERROR_SRIOV_NOT_SUPPORTED,
     "{\"address\": \"0000:01:00.0\", \"message\": \"0000:01:00.0 is not an SR-IOV physical "
     "function\"}",
     "x",
     "SR-IOV is not available on 0000:01:00.0: 0000:01:00.0 is not an SR-IOV physical function", 1},
    {PASS_ERROR_NO_SUCH_DEVICE, "{\"address\": \"nope\", \"message\": \"nope is no mdev parent\"}",
     "x", "no such device: nope is no mdev parent", 1},
    {PASS_ERROR_NO_SUCH_DEVICE,
     "{\"address\": \"mdev:0b5e9a7e-1d4c-4a8e-9f3e-2c4d5e6f7a80\", \"message\": \"x\"}", "x",
     "no mediated device mdev:0b5e9a7e-1d4c-4a8e-9f3e-2c4d5e6f7a80 on this host", 1},
    {PASS_ERROR_NO_CAPACITY,
     "{\"type\": \"mtty-2\", \"parent\": \"mtty\", \"message\": \"mtty has no instance of "
     "mtty-2 left to create\"}",
     "x", "no mdev instance left to create: mtty has no instance of mtty-2 left to create", 1},
    {PASS_ERROR_DISCONNECTED, NULL, "EOF", "passd closed the connection", 3},
    {PASS_ERROR_PROTOCOL, NULL, "not JSON", "passd sent a reply passctl cannot read: not JSON", 1},
};

static JsonObject *
parse_object(const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data(parser, text, -1, &error);
  g_assert_no_error(error);
  return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static void
test_sentences(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    const Case *c = &cases[i];
    g_autoptr(JsonObject) params = c->params ? parse_object(c->params) : NULL;
    g_autoptr(GError) error = g_error_new_literal(
        PASS_ERROR, c->code, c->message ? c->message : pass_error_to_name(c->code));
    g_autofree char *sentence = passctl_error_sentence(error, params);

    g_test_message("case %" G_GSIZE_FORMAT ": %s", i, pass_error_to_name(c->code));
    g_assert_cmpstr(sentence, ==, c->sentence);
    g_assert_cmpint(passctl_error_exit_code(error), ==, c->exit_code);
  }
}

/* Every code passd can send has a row above, so a new code without a sentence fails here. */
static void
test_every_code_covered(void)
{
  for (int code = PASS_ERROR_FAILED; code <= PASS_ERROR_PROTOCOL; code++) {
    gboolean found = FALSE;
    g_autoptr(GError) error = g_error_new_literal(PASS_ERROR, code, pass_error_to_name(code));
    g_autofree char *sentence = passctl_error_sentence(error, NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
      found = found || cases[i].code == (PassError)code;
    g_assert_true(found);
    /* The bare error name never reaches the user, and a sentence is one line. */
    g_assert_null(strstr(sentence, "io.passd."));
    g_assert_null(strstr(sentence, "org.varlink."));
    g_assert_null(strchr(sentence, '\n'));
    g_assert_cmpuint(strlen(sentence), >, 0);
  }
}

static void
test_transport_errors(void)
{
  g_autoptr(GError) closed = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "x");
  g_autoptr(GError) reset = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, "reset");
  g_autoptr(GError) other = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_FAILED, "odd");
  g_autofree char *a = passctl_error_sentence(closed, NULL);
  g_autofree char *b = passctl_error_sentence(reset, NULL);
  g_autofree char *c = passctl_error_sentence(other, NULL);

  g_assert_cmpstr(a, ==, "passd closed the connection");
  g_assert_cmpstr(b, ==, "lost the connection to passd: reset");
  g_assert_cmpstr(c, ==, "odd");
  g_assert_cmpint(passctl_error_exit_code(closed), ==, PASSCTL_EXIT_UNREACHABLE);
  g_assert_cmpint(passctl_error_exit_code(reset), ==, PASSCTL_EXIT_UNREACHABLE);
  g_assert_cmpint(passctl_error_exit_code(other), ==, PASSCTL_EXIT_FAILED);
}

static void
test_connect_errors(void)
{
  static const struct {
    GQuark domain;
    int code;
    const char *message;
    const char *sentence;
    int exit_code;
  } connect_cases[] = {
      {0, G_IO_ERROR_NOT_FOUND, "Error connecting: No such file or directory",
       "cannot reach passd at /run/p.sock: No such file or directory (is passd running?)", 3},
      {0, G_IO_ERROR_CONNECTION_REFUSED, "Could not connect: Connection refused",
       "cannot reach passd at /run/p.sock: Connection refused (is passd running?)", 3},
      {0, G_IO_ERROR_PERMISSION_DENIED, "whatever",
       "cannot reach passd at /run/p.sock: Permission denied (not allowed to use its socket)", 4},
      {0, G_IO_ERROR_FAILED, "strange\nthing",
       "cannot reach passd at /run/p.sock: strange thing (is passd running?)", 3},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(connect_cases); i++) {
    g_autoptr(GError) error =
        g_error_new_literal(G_IO_ERROR, connect_cases[i].code, connect_cases[i].message);
    g_autofree char *sentence = passctl_connect_error_sentence(error, "/run/p.sock");

    g_assert_cmpstr(sentence, ==, connect_cases[i].sentence);
    g_assert_cmpint(passctl_connect_error_exit_code(error), ==, connect_cases[i].exit_code);
  }
}

static void
test_exit_code_help(void)
{
  g_autofree char *help = passctl_exit_code_help();

  g_assert_true(g_str_has_prefix(help, "Exit status:\n"));
  for (int code = PASSCTL_EXIT_OK; code <= PASSCTL_EXIT_PERMISSION; code++) {
    g_autofree char *row = g_strdup_printf("\n  %d  ", code);

    g_assert_nonnull(strstr(help, row));
  }
  g_assert_nonnull(strstr(help, "permission denied"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/client/errors/sentences", test_sentences);
  g_test_add_func("/client/errors/every-code", test_every_code_covered);
  g_test_add_func("/client/errors/transport", test_transport_errors);
  g_test_add_func("/client/errors/connect", test_connect_errors);
  g_test_add_func("/client/errors/exit-help", test_exit_code_help);
  return g_test_run();
}
