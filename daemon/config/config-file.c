/* passd.conf into a PassConfig (see config-file.h). The text is scanned first for the structure
 * (key-scan.h: groups, keys and their lines), then GKeyFile reads the values. */
#define G_LOG_DOMAIN "passd"

#include "config-file.h"

#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "key-scan.h"
#include "pass-address.h"

/* ---- the structure: which keys, on which lines ---- */

/* Keep the earliest problem: the one on the lowest line. */
static void
keep_first(PassKeyProblem *first, guint line, char *message)
{
  if (first->message && first->line <= line) {
    g_free(message);
    return;
  }
  g_free(first->message);
  first->line = line;
  first->message = message;
}

/* The keys of the [passd] groups in file order into @entries (PassKeyLine, borrowed from
 * @sections); FALSE with the first problem of the structure in the file: a line that is not a
 * comment, a [passd] header or a key=value line of that group, or a key set twice (two [passd]
 * groups are one). */
static gboolean
check_structure(const char *path, GPtrArray *sections, GPtrArray *entries, GError **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal); /* -> PassKeyLine */
  PassKeyProblem first = {0, NULL};

  for (guint s = 0; s < sections->len; s++) {
    const PassKeySection *section = g_ptr_array_index(sections, s);

    if (section->problem)
      keep_first(&first, section->problem->line, g_strdup(section->problem->message));
    if (section->name && !g_str_equal(section->name, PASS_CONFIG_GROUP))
      keep_first(&first, section->line,
                 g_strdup_printf("[%s]: unknown group (the only one is [%s])", section->name,
                                 PASS_CONFIG_GROUP));
    for (guint k = 0; k < section->keys->len; k++) {
      PassKeyLine *entry = g_ptr_array_index(section->keys, k);
      PassKeyLine *earlier = g_hash_table_lookup(seen, entry->key);

      if (!section->name) {
        keep_first(&first, entry->line,
                   g_strdup_printf("%s: before the [%s] group", entry->key, PASS_CONFIG_GROUP));
        continue;
      }
      if (earlier) {
        keep_first(&first, entry->line,
                   g_strdup_printf("%s: set again (first on line %u)", entry->key, earlier->line));
        continue;
      }
      g_hash_table_insert(seen, entry->key, entry);
      g_ptr_array_add(entries, entry);
    }
  }
  if (!first.message)
    return TRUE;
  g_propagate_error(error, pass_key_error_new(path, first.line, "%s", first.message));
  g_free(first.message);
  return FALSE;
}

/* ---- the values ---- */

typedef struct _Key Key;

/* Store @key's value from @file in @config; FALSE with *why saying what is wrong with it. */
typedef gboolean (*KeyParseFunc)(const Key *key, GKeyFile *file, PassConfig *config, char **why);

struct _Key {
  const char *name;
  KeyParseFunc parse;
  gsize offset; /* of the field in PassConfig */
  guint base, min, max;
  const char *what; /* numbers: what one is, for the message */
};

#define FIELD(config, key, type) ((type *)G_STRUCT_MEMBER_P(config, (key)->offset))

/* @key's string, unescaped, without surrounding blanks; NULL with *why. */
static char *
get_string(const Key *key, GKeyFile *file, char **why)
{
  return pass_key_get_string(file, PASS_CONFIG_GROUP, key->name, why);
}

static gboolean
parse_string(const Key *key, GKeyFile *file, PassConfig *config, char **why)
{
  g_autofree char *value = get_string(key, file, why);

  if (!value)
    return FALSE;
  if (*value == '\0') {
    *why = g_strdup("empty");
    return FALSE;
  }
  g_free(*FIELD(config, key, char *));
  *FIELD(config, key, char *) = g_steal_pointer(&value);
  return TRUE;
}

static gboolean
parse_path(const Key *key, GKeyFile *file, PassConfig *config, char **why)
{
  if (!parse_string(key, file, config, why))
    return FALSE;
  if (g_path_is_absolute(*FIELD(config, key, char *)))
    return TRUE;
  *why = g_strdup_printf("'%s' is not an absolute path", *FIELD(config, key, char *));
  return FALSE;
}

static gboolean
parse_number(const Key *key, GKeyFile *file, PassConfig *config, char **why)
{
  g_autofree char *value = get_string(key, file, why);
  guint64 number;

  if (!value)
    return FALSE;
  if (!g_ascii_string_to_unsigned(value, key->base, key->min, key->max, &number, NULL)) {
    *why = g_strdup_printf(key->base == 8 ? "'%s' is not %s from %o to 0%o"
                                          : "'%s' is not %s from %u to %u",
                           value, key->what, key->min, key->max);
    return FALSE;
  }
  *FIELD(config, key, int) = (int)number;
  return TRUE;
}

static gboolean
parse_bool(const Key *key, GKeyFile *file, PassConfig *config, char **why)
{
  g_autofree char *value = get_string(key, file, why);
  g_autoptr(GError) error = NULL;
  gboolean flag;

  if (!value)
    return FALSE;
  flag = g_key_file_get_boolean(file, PASS_CONFIG_GROUP, key->name, &error);
  if (error) {
    *why = g_strdup_printf("'%s' is not a boolean (true or false)", value);
    return FALSE;
  }
  *FIELD(config, key, int) = flag;
  return TRUE;
}

static gboolean
parse_group(const Key *key, GKeyFile *file, PassConfig *config, char **why)
{
  g_autoptr(GError) error = NULL;

  if (!parse_string(key, file, config, why))
    return FALSE;
  if (pass_config_lookup_group(config->group, &config->group_id, &error))
    return TRUE;
  *why = g_strdup_printf("'%s': %s", config->group, error->message);
  return FALSE;
}

static int
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean
parse_addresses(const Key *key, GKeyFile *file, PassConfig *config, char **why)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) list = g_key_file_get_string_list(file, PASS_CONFIG_GROUP, key->name, NULL, &error);
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func(g_free);

  if (!list) {
    /* An empty value is an empty list, not an error: "nothing protected besides the host's". */
    if (!g_error_matches(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE)) {
      *why = g_strdup(error->message);
      return FALSE;
    }
  }
  for (guint i = 0; list && list[i]; i++) {
    const char *item = g_strstrip(list[i]);
    g_autoptr(GError) bad = NULL;
    char *address;

    if (*item == '\0')
      continue;
    address = pass_address_canonicalize(item, &bad);
    if (!address) {
      *why = g_strdup(bad->message);
      return FALSE;
    }
    if (g_ptr_array_find_with_equal_func(addresses, address, g_str_equal, NULL))
      g_free(address);
    else
      g_ptr_array_add(addresses, address);
  }
  g_ptr_array_sort(addresses, compare_strings);
  g_ptr_array_add(addresses, NULL);
  g_strfreev(config->protected_devices);
  config->protected_devices = (GStrv)g_ptr_array_free(g_steal_pointer(&addresses), FALSE);
  return TRUE;
}

#define KEY(name, field, func)                                                                     \
  {                                                                                                \
    name, func, offsetof(PassConfig, field)                                                        \
  }
#define NUMBER(name, field, base, min, max, what)                                                  \
  {                                                                                                \
    name, parse_number, offsetof(PassConfig, field), base, min, max, what                          \
  }

static const Key keys[] = {
    KEY("Connect", connect, parse_string),
    KEY("Socket", socket, parse_path),
    KEY("Group", group, parse_group),
    NUMBER("SocketMode", socket_mode, 8, 0, 0777, "an octal mode"),
    NUMBER("MaxConnections", max_connections, 10, 1, PASS_CONFIG_MAX_CONNECTIONS, "a number"),
    NUMBER("MaxConnectionsPerUid", max_connections_per_uid, 10, 1, PASS_CONFIG_MAX_CONNECTIONS,
           "a number"),
    NUMBER("RemovalTimeout", removal_timeout, 10, 0, PASS_CONFIG_MAX_REMOVAL_TIMEOUT,
           "a number of seconds"),
    NUMBER("ReaskInterval", reask_interval, 10, 1, PASS_CONFIG_MAX_REASK_INTERVAL,
           "a number of seconds"),
    KEY("StateDirectory", state_directory, parse_path),
    KEY("PoolsDirectory", pools_directory, parse_path),
    KEY("ProtectedDevices", protected_devices, parse_addresses),
    KEY("Verbose", verbose, parse_bool),
};

/* ---- the configuration ---- */

PassConfig *
pass_config_new(void)
{
  PassConfig *config = g_new0(PassConfig, 1);

  config->socket_mode = config->max_connections = config->max_connections_per_uid = -1;
  config->removal_timeout = config->reask_interval = config->verbose = -1;
  return config;
}

void
pass_config_free(PassConfig *config)
{
  if (!config)
    return;
  g_free(config->path);
  g_free(config->connect);
  g_free(config->socket);
  g_free(config->group);
  g_free(config->state_directory);
  g_free(config->pools_directory);
  g_strfreev(config->protected_devices);
  g_free(config);
}

PassConfig *
pass_config_parse(const char *path, const char *text, GError **error)
{
  g_autoptr(PassConfig) config = pass_config_new();
  g_autoptr(GPtrArray) sections = pass_key_scan(text);
  g_autoptr(GPtrArray) entries = g_ptr_array_new(); /* PassKeyLine, borrowed from sections */
  g_autoptr(GKeyFile) file = g_key_file_new();
  g_autoptr(GError) local = NULL;

  if (!check_structure(path, sections, entries, error))
    return NULL;
  /* The scan let only what GKeyFile takes through; should it still differ, say so. */
  if (!g_key_file_load_from_data(file, text, -1, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, G_KEY_FILE_ERROR, local->code, "%s: %s", path, local->message);
    return NULL;
  }
  for (guint i = 0; i < entries->len; i++) {
    const PassKeyLine *entry = g_ptr_array_index(entries, i);
    const Key *key = NULL;
    g_autofree char *why = NULL;

    for (guint k = 0; k < G_N_ELEMENTS(keys) && !key; k++)
      if (g_str_equal(keys[k].name, entry->key))
        key = &keys[k];
    if (!key) {
      g_propagate_error(error, pass_key_error_new(path, entry->line,
                                                  "%s: unknown key (see passd(8))", entry->key));
      return NULL;
    }
    if (!key->parse(key, file, config, &why)) {
      g_propagate_error(error, pass_key_error_new(path, entry->line, "%s: %s", key->name, why));
      return NULL;
    }
  }
  config->path = g_strdup(path);
  return g_steal_pointer(&config);
}

PassConfig *
pass_config_load(const char *path, gboolean required, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *text = NULL;

  if (g_file_get_contents(path, &text, NULL, &local))
    return pass_config_parse(path, text, error);
  if (!required && g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return pass_config_new();
  g_propagate_error(error, g_steal_pointer(&local));
  return NULL;
}

static void
override_string(char **field, const char *value)
{
  if (!value)
    return;
  g_free(*field);
  *field = g_strdup(value);
}

static void
override_int(int *field, int value)
{
  if (value >= 0)
    *field = value;
}

void
pass_config_override(PassConfig *config, const PassConfig *over)
{
  override_string(&config->connect, over->connect);
  override_string(&config->socket, over->socket);
  if (over->group) {
    override_string(&config->group, over->group);
    config->group_id = over->group_id;
  }
  override_int(&config->socket_mode, over->socket_mode);
  override_int(&config->max_connections, over->max_connections);
  override_int(&config->max_connections_per_uid, over->max_connections_per_uid);
  override_int(&config->removal_timeout, over->removal_timeout);
  override_int(&config->reask_interval, over->reask_interval);
  override_int(&config->verbose, over->verbose);
  override_string(&config->state_directory, over->state_directory);
  override_string(&config->pools_directory, over->pools_directory);
  if (over->protected_devices) {
    g_strfreev(config->protected_devices);
    config->protected_devices = g_strdupv(over->protected_devices);
  }
}

gboolean
pass_config_lookup_group(const char *name, gid_t *gid, GError **error)
{
  struct group entry, *found = NULL;
  long size = sysconf(_SC_GETGR_R_SIZE_MAX);
  g_autofree char *buffer = NULL;
  int err;

  for (size = size > 0 ? size : 1024;; size *= 2) {
    g_free(buffer);
    buffer = g_malloc(size);
    err = getgrnam_r(name, &entry, buffer, size, &found);
    if (err != ERANGE)
      break;
  }
  if (found == NULL) {
    g_set_error_literal(error, G_FILE_ERROR,
                        err ? g_file_error_from_errno(err) : G_FILE_ERROR_NOENT,
                        err ? g_strerror(err) : "no such group (see /etc/group)");
    return FALSE;
  }
  *gid = found->gr_gid;
  return TRUE;
}
