/* The XML fixtures under tests/data/xml, for the tests of the XML readers. */
#pragma once

#include <glib.h>

/* The whole of fixture @name; the test fails when it cannot be read. */
char *xml_fixture_load(const char *name);
