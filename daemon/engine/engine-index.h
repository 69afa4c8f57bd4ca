/* A multimap from a string key to a sorted set of strings, the building block of the engine's
 * derived relations (IOMMU group -> members, PF -> VFs, address -> owners). Kept sorted on
 * insertion so readers get the API's order for free. */
#pragma once

#include <glib.h>

#include "string-array.h"

G_BEGIN_DECLS

typedef struct _PassIndex PassIndex;

PassIndex *pass_index_new(void);
void pass_index_free(PassIndex *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassIndex, pass_index_free)

/* Adding a value already there or removing one that is not are no-ops. A key whose set becomes
 * empty is dropped. */
void pass_index_add(PassIndex *index, const char *key, const char *value);
void pass_index_remove(PassIndex *index, const char *key, const char *value);

/* The sorted values of @key (borrowed; valid until @key's set changes), or NULL when none. */
GPtrArray *pass_index_lookup(PassIndex *index, const char *key);

/* TRUE when both hold the same values for @key (a missing key is an empty set). */
gboolean pass_index_key_equal(PassIndex *a, PassIndex *b, const char *key);

G_END_DECLS
