/* The embedded interface text is the file, byte for byte, and the server can serve it. */
#include "pass-idl.h"
#include "pass-varlink.h"

static void
test_embedded_equals_file(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_true(g_file_get_contents(PASS_IDL_FILE, &contents, &length, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(strlen(pass_idl_manager), ==, length);
  g_assert_cmpmem(pass_idl_manager, strlen(pass_idl_manager), contents, length);
}

static void
test_interface_name(void)
{
  g_autoptr(PassVarlinkServer) server = pass_varlink_server_new("v", "p", "1", "u");
  g_autoptr(GError) error = NULL;

  g_assert_true(pass_varlink_server_add_interface(server, pass_idl_manager, &error));
  g_assert_no_error(error);
  /* Twice is refused. */
  g_assert_false(pass_varlink_server_add_interface(server, pass_idl_manager, &error));
  g_clear_error(&error);
  g_assert_false(pass_varlink_server_add_interface(server, "# nothing here\n", &error));
  g_assert_nonnull(error);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/idl/embedded-equals-file", test_embedded_equals_file);
  g_test_add_func("/idl/interface-name", test_interface_name);
  return g_test_run();
}
