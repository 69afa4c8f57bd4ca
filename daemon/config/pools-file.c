/* Pool files into PassPools and back (see pools-file.h). The structure comes from key-scan.h,
 * which keeps each group apart, so a bad pool costs only itself; the values from GKeyFile, one
 * group at a time, and the rules' parsers (rules/pool-parse.h), the same as DefinePool's. */
#define G_LOG_DOMAIN "passd"

#include "pools-file.h"

#include <stdio.h>
#include <string.h>

#include "key-scan.h"
#include "pool-parse.h"
#include "state-file.h"

#define GROUP_PREFIX "Pool "

/* ---- the values ---- */

/* Store the value of @key (of @group in @file) in @pool; FALSE with @error saying what is wrong
 * with it. */
typedef gboolean (*PoolKeyFunc)(PassPool *pool, GKeyFile *file, const char *group, const char *key,
                                GError **error);

static gboolean
take_string(GKeyFile *file, const char *group, const char *key, char **value, GError **error)
{
  g_autofree char *why = NULL;

  *value = pass_key_get_string(file, group, key, &why);
  if (*value)
    return TRUE;
  g_set_error_literal(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, why);
  return FALSE;
}

static gboolean
parse_kind(PassPool *pool, GKeyFile *file, const char *group, const char *key, GError **error)
{
  g_autofree char *value = NULL;

  return take_string(file, group, key, &value, error) &&
         pass_pool_parse_kind(value, &pool->kind, error);
}

static gboolean
parse_id(PassPool *pool, GKeyFile *file, const char *group, const char *key, GError **error)
{
  gboolean vendor = g_str_equal(key, "Vendor");
  g_autofree char *value = NULL;
  guint16 id;

  if (!take_string(file, group, key, &value, error) ||
      !pass_pool_parse_id(value, vendor ? "vendor" : "product", &id, error))
    return FALSE;
  *(vendor ? &pool->vendor_id : &pool->product_id) = id;
  return TRUE;
}

static gboolean
parse_driver(PassPool *pool, GKeyFile *file, const char *group, const char *key, GError **error)
{
  g_autofree char *value = NULL;

  if (!take_string(file, group, key, &value, error) || !pass_pool_validate_driver(value, error))
    return FALSE;
  pool->driver = g_steal_pointer(&value);
  return TRUE;
}

static gboolean
parse_pfs(PassPool *pool, GKeyFile *file, const char *group, const char *key, GError **error)
{
  g_auto(GStrv) list = g_key_file_get_string_list(file, group, key, NULL, NULL);

  for (guint i = 0; list && list[i]; i++) {
    const char *item = g_strstrip(list[i]);
    PassPoolPf *pf;

    if (*item == '\0')
      continue;
    pf = pass_pool_parse_pf_selector(item, error);
    if (!pf || !pass_pool_add_pf(pool, pf, error))
      return FALSE;
  }
  if (pool->pfs->len > 0)
    return TRUE;
  g_set_error_literal(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                      "no PF selector (leave PF out for the VFs of any PF)");
  return FALSE;
}

static gboolean
parse_numa(PassPool *pool, GKeyFile *file, const char *group, const char *key, GError **error)
{
  g_autofree char *value = NULL;

  return take_string(file, group, key, &value, error) &&
         pass_pool_parse_numa_node(value, &pool->numa_node, error);
}

static const struct {
  const char *name;
  PoolKeyFunc parse;
} keys[] = {
    {"Kind", parse_kind},     {"Vendor", parse_id}, {"Product", parse_id},
    {"Driver", parse_driver}, {"PF", parse_pfs},    {"NUMA", parse_numa},
};

/* ---- reading ---- */

static void
add_error(GPtrArray *errors, GError *error)
{
  g_ptr_array_add(errors, error);
}

/* "PATH:LINE", or NULL for a pool read from no file. */
static char *
where(const PassPool *pool)
{
  return pool->file ? g_strdup_printf("%s:%u", pool->file, pool->line) : NULL;
}

/* The pool of @section, or NULL with an error in @errors. */
static PassPool *
parse_pool(const char *path, const PassKeySection *section, PassPoolOrigin origin,
           GHashTable *names, GPtrArray *errors)
{
  const char *name = section->name + strlen(GROUP_PREFIX);
  g_autoptr(PassPool) pool = NULL;
  g_autoptr(GKeyFile) file = NULL;
  g_autoptr(GError) bad = NULL;
  g_autofree char *why = NULL;
  gpointer first;

  if (!pass_pool_validate_name(name, &bad)) {
    add_error(errors,
              pass_key_error_new(path, section->line, "[%s]: %s", section->name, bad->message));
    return NULL;
  }
  if (g_hash_table_lookup_extended(names, name, NULL, &first)) {
    add_error(errors, pass_key_error_new(path, section->line, "[%s]: already defined at %s:%u",
                                         section->name, path, GPOINTER_TO_UINT(first)));
    return NULL;
  }
  g_hash_table_insert(names, g_strdup(name), GUINT_TO_POINTER(section->line));
  if (section->problem) {
    add_error(errors,
              pass_key_error_new(path, section->problem->line, "%s", section->problem->message));
    return NULL;
  }
  file = pass_key_section_load(section, &why);
  if (!file) {
    add_error(errors, pass_key_error_new(path, section->line, "[%s]: %s", section->name, why));
    return NULL;
  }
  pool = pass_pool_new(name);
  pool->origin = origin;
  pool->file = g_strdup(path);
  pool->line = section->line;
  for (guint i = 0; i < section->keys->len; i++) {
    const PassKeyLine *entry = g_ptr_array_index(section->keys, i);
    PoolKeyFunc parse = NULL;

    for (guint k = 0; k < G_N_ELEMENTS(keys) && !parse; k++)
      if (g_str_equal(keys[k].name, entry->key))
        parse = keys[k].parse;
    if (!parse) {
      add_error(errors, pass_key_error_new(path, entry->line,
                                           "%s: unknown key (the keys are Kind, Vendor, "
                                           "Product, Driver, PF and NUMA)",
                                           entry->key));
      return NULL;
    }
    if (!parse(pool, file, section->name, entry->key, &bad)) {
      add_error(errors, pass_key_error_new(path, entry->line, "%s: %s", entry->key, bad->message));
      return NULL;
    }
  }
  if (!pass_pool_has_selector(pool)) {
    add_error(errors, pass_key_error_new(path, section->line,
                                         "[%s]: no selector (set at least one of Vendor, "
                                         "Product, Driver, PF and NUMA)",
                                         section->name));
    return NULL;
  }
  return g_steal_pointer(&pool);
}

GPtrArray *
pass_pools_parse(const char *path, const char *text, PassPoolOrigin origin, GPtrArray *errors)
{
  GPtrArray *pools = g_ptr_array_new_with_free_func((GDestroyNotify)pass_pool_unref);
  g_autoptr(GPtrArray) sections = pass_key_scan(text);
  g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

  for (guint s = 0; s < sections->len; s++) {
    const PassKeySection *section = g_ptr_array_index(sections, s);
    PassPool *pool;

    if (!section->name) {
      /* Lines before the first group: no pool to lose, only the first one to report. */
      const PassKeyLine *key = section->keys->len ? g_ptr_array_index(section->keys, 0) : NULL;

      if (section->problem && (!key || section->problem->line < key->line))
        add_error(errors, pass_key_error_new(path, section->problem->line, "%s",
                                             section->problem->message));
      else if (key)
        add_error(errors, pass_key_error_new(path, key->line,
                                             "%s: before the first [Pool NAME] group", key->key));
      continue;
    }
    if (section->problem && section->problem->line == section->line) {
      add_error(errors, pass_key_error_new(path, section->line, "%s", section->problem->message));
      continue;
    }
    if (!g_str_has_prefix(section->name, GROUP_PREFIX)) {
      add_error(errors,
                pass_key_error_new(path, section->line,
                                   "[%s]: unknown group (expected [Pool NAME])", section->name));
      continue;
    }
    pool = parse_pool(path, section, origin, names, errors);
    if (pool)
      g_ptr_array_add(pools, pool);
  }
  return pools;
}

GPtrArray *
pass_pools_load_file(const char *path, PassPoolOrigin origin, GPtrArray *errors)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (g_file_get_contents(path, &text, NULL, &error))
    return pass_pools_parse(path, text, origin, errors);
  if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    add_error(errors, g_steal_pointer(&error));
  return g_ptr_array_new_with_free_func((GDestroyNotify)pass_pool_unref);
}

void
pass_pools_merge(GPtrArray *into, GPtrArray *more, GPtrArray *errors)
{
  for (guint i = 0; i < more->len; i++) {
    PassPool *pool = g_ptr_array_index(more, i);
    const PassPool *first = NULL;

    for (guint j = 0; j < into->len && !first; j++)
      if (g_str_equal(((const PassPool *)g_ptr_array_index(into, j))->name, pool->name))
        first = g_ptr_array_index(into, j);
    if (first) {
      g_autofree char *here = where(pool), *there = where(first);

      add_error(errors, g_error_new(G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE,
                                    "%s%s[Pool %s]: already defined at %s", here ? here : "",
                                    here ? ": " : "", pool->name, there ? there : "run time"));
      continue;
    }
    g_ptr_array_add(into, pass_pool_ref(pool));
  }
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *
pass_pools_load_directory(const char *directory, GPtrArray *errors)
{
  GPtrArray *pools = g_ptr_array_new_with_free_func((GDestroyNotify)pass_pool_unref);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open(directory, 0, &error);
  const char *name;

  if (!dir) {
    if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      add_error(errors, g_steal_pointer(&error));
    return pools;
  }
  while ((name = g_dir_read_name(dir)))
    if (name[0] != '.' && g_str_has_suffix(name, ".conf"))
      g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, compare_names);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename(directory, g_ptr_array_index(names, i), NULL);
    g_autoptr(GPtrArray) more = pass_pools_load_file(path, PASS_POOL_ORIGIN_FILE, errors);

    pass_pools_merge(pools, more, errors);
  }
  return pools;
}

/* ---- writing ---- */

char *
pass_pools_to_text(GPtrArray *pools)
{
  g_autoptr(GKeyFile) file = g_key_file_new();

  g_key_file_set_comment(file, NULL, NULL,
                         " Pools defined at run time (passctl pool define), written by passd.",
                         NULL);
  for (guint i = 0; i < pools->len; i++) {
    const PassPool *pool = g_ptr_array_index(pools, i);
    g_autofree char *group = g_strconcat(GROUP_PREFIX, pool->name, NULL);

    g_key_file_set_string(file, group, "Kind", pass_pool_kind_to_string(pool->kind));
    if (pool->vendor_id >= 0) {
      g_autofree char *id = g_strdup_printf("0x%04x", (guint)pool->vendor_id);

      g_key_file_set_string(file, group, "Vendor", id);
    }
    if (pool->product_id >= 0) {
      g_autofree char *id = g_strdup_printf("0x%04x", (guint)pool->product_id);

      g_key_file_set_string(file, group, "Product", id);
    }
    if (pool->driver)
      g_key_file_set_string(file, group, "Driver", pool->driver);
    if (pool->pfs->len > 0) {
      g_autoptr(GString) list = g_string_new(NULL);

      /* No selector holds a ';' (the parser refuses one), so a plain join is the list. */
      for (guint p = 0; p < pool->pfs->len; p++) {
        g_autofree char *one = pass_pool_pf_to_string(g_ptr_array_index(pool->pfs, p));

        g_string_append_printf(list, "%s%s", p ? ";" : "", one);
      }
      g_key_file_set_string(file, group, "PF", list->str);
    }
    if (pool->numa_node >= 0) {
      g_autofree char *node = g_strdup_printf("%d", pool->numa_node);

      g_key_file_set_string(file, group, "NUMA", node);
    }
  }
  return g_key_file_to_data(file, NULL, NULL);
}

gboolean
pass_pools_save(const char *path, GPtrArray *pools, GError **error)
{
  g_autofree char *text = pass_pools_to_text(pools);

  return pass_state_write_file(path, text, -1, error);
}
