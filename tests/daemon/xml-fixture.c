#include "xml-fixture.h"

char *
xml_fixture_load(const char *name)
{
  g_autofree char *path = g_build_filename(PASS_TEST_XML_DIR, name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents(path, &text, NULL, &error);
  g_assert_no_error(error);
  return text;
}
