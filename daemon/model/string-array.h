/* Arrays of strings (GPtrArray of char*), the shape of every relation the inventory keeps
 * (IOMMU group members, a PF's VFs, a device's owners). NULL counts as empty throughout. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A deep copy that owns its strings; NULL for NULL. */
GPtrArray *pass_strings_copy(GPtrArray *strings);
/* Element-wise equality. */
gboolean pass_strings_equal(GPtrArray *a, GPtrArray *b);
/* "a, b, c" ("" when empty). */
char *pass_strings_join(GPtrArray *strings, const char *separator);

G_END_DECLS
