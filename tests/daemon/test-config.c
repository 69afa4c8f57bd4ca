/* passd.conf: every key with good and bad values (the exact message, with file, line and key),
 * unknown keys and groups, keys set twice, lines that are none of the GKeyFile kinds, missing
 * files, and the command line over the file. */
#include <glib/gstdio.h>

#include "config-file.h"
#include "pass-config.h"
#include "pass-varlink.h"
#include "tx.h"

#define PATH "/t/passd.conf"

/* The set fields of @config, "Key=value" space-separated in the table's order. */
static char *
describe(const PassConfig *config)
{
  g_autoptr(GString) text = g_string_new(NULL);

  /* A space before each but the first. */
#define ADD(...)                                                                                   \
  g_string_append_printf(text, text->len ? " " : ""), g_string_append_printf(text, __VA_ARGS__)
  if (config->connect)
    ADD("Connect=%s", config->connect);
  if (config->socket)
    ADD("Socket=%s", config->socket);
  if (config->group)
    ADD("Group=%s(%u)", config->group, (unsigned)config->group_id);
  if (config->socket_mode >= 0)
    ADD("SocketMode=%04o", (unsigned)config->socket_mode);
  if (config->max_connections >= 0)
    ADD("MaxConnections=%d", config->max_connections);
  if (config->max_connections_per_uid >= 0)
    ADD("MaxConnectionsPerUid=%d", config->max_connections_per_uid);
  if (config->removal_timeout >= 0)
    ADD("RemovalTimeout=%d", config->removal_timeout);
  if (config->reask_interval >= 0)
    ADD("ReaskInterval=%d", config->reask_interval);
  if (config->state_directory)
    ADD("StateDirectory=%s", config->state_directory);
  if (config->pools_directory)
    ADD("PoolsDirectory=%s", config->pools_directory);
  if (config->protected_devices) {
    g_autofree char *list = g_strjoinv(",", config->protected_devices);

    ADD("ProtectedDevices=%s", list);
  }
  if (config->verbose >= 0)
    ADD("Verbose=%d", config->verbose);
#undef ADD
  return g_string_free(g_steal_pointer(&text), FALSE);
}

typedef struct {
  const char *text;
  const char *expected; /* describe() of the result, or the error message */
} Case;

#define G "[passd]\n"
#define E PATH ":2: " /* the first key after the group line */

static const Case good[] = {
    {"", ""},
    {"# nothing yet\n\n" G "  # indented comment\n", ""},
    {G "Connect=qemu:///system\n", "Connect=qemu:///system"},
    {G "  Connect = test:///default  \n", "Connect=test:///default"},
    {G "Socket=/run/passd/other\n", "Socket=/run/passd/other"},
    {G "Group=root\n", "Group=root(0)"},
    {G "SocketMode=0660\n", "SocketMode=0660"},
    {G "SocketMode=666\n", "SocketMode=0666"},
    {G "SocketMode=0\n", "SocketMode=0000"},
    {G "MaxConnections=1\n", "MaxConnections=1"},
    {G "MaxConnections=4096\n", "MaxConnections=4096"},
    {G "MaxConnectionsPerUid=8\n", "MaxConnectionsPerUid=8"},
    {G "RemovalTimeout=0\n", "RemovalTimeout=0"},
    {G "RemovalTimeout=86400\n", "RemovalTimeout=86400"},
    {G "ReaskInterval=1\n", "ReaskInterval=1"},
    {G "ReaskInterval=3600\n", "ReaskInterval=3600"},
    {G "StateDirectory=/srv/passd\n", "StateDirectory=/srv/passd"},
    {G "PoolsDirectory=/srv/pools.d\n", "PoolsDirectory=/srv/pools.d"},
    /* Any accepted form, canonical, sorted, once each; spaces around the items are fine. */
    {G "ProtectedDevices=41:00.1; pci_0000_02_00_0;0000:41:00.1;\n",
     "ProtectedDevices=0000:02:00.0,0000:41:00.1"},
    {G "ProtectedDevices=\n", "ProtectedDevices="},
    {G "Verbose=true\n", "Verbose=1"},
    {G "Verbose=false\n", "Verbose=0"},
    {G "Verbose=1\n", "Verbose=1"},
    /* Two [passd] groups are one. */
    {G "Socket=/a\n" G "Verbose=true\n", "Socket=/a Verbose=1"},
    {G "Connect=test:///default\nSocket=/s\nGroup=root\nSocketMode=0640\nMaxConnections=10\n"
       "MaxConnectionsPerUid=2\nRemovalTimeout=5\nStateDirectory=/var/lib/passd\n"
       "ProtectedDevices=0000:41:00.1\nVerbose=false\n",
     "Connect=test:///default Socket=/s Group=root(0) SocketMode=0640 MaxConnections=10 "
     "MaxConnectionsPerUid=2 RemovalTimeout=5 StateDirectory=/var/lib/passd "
     "ProtectedDevices=0000:41:00.1 Verbose=0"},
};

static const Case bad[] = {
    {G "Connect=\n", E "Connect: empty"},
    {G "Socket=run/passd/sock\n", E "Socket: 'run/passd/sock' is not an absolute path"},
    {G "Socket=\n", E "Socket: empty"},
    {G "Group=passd-no-such-group\n",
     E "Group: 'passd-no-such-group': no such group (see /etc/group)"},
    {G "SocketMode=0999\n", E "SocketMode: '0999' is not an octal mode from 0 to 0777"},
    {G "SocketMode=01000\n", E "SocketMode: '01000' is not an octal mode from 0 to 0777"},
    {G "SocketMode=rw\n", E "SocketMode: 'rw' is not an octal mode from 0 to 0777"},
    {G "MaxConnections=0\n", E "MaxConnections: '0' is not a number from 1 to 4096"},
    {G "MaxConnections=4097\n", E "MaxConnections: '4097' is not a number from 1 to 4096"},
    {G "MaxConnections=-1\n", E "MaxConnections: '-1' is not a number from 1 to 4096"},
    {G "MaxConnections=ten\n", E "MaxConnections: 'ten' is not a number from 1 to 4096"},
    {G "MaxConnectionsPerUid=0x10\n",
     E "MaxConnectionsPerUid: '0x10' is not a number from 1 to 4096"},
    {G "RemovalTimeout=86401\n",
     E "RemovalTimeout: '86401' is not a number of seconds from 0 to 86400"},
    {G "ReaskInterval=0\n", E "ReaskInterval: '0' is not a number of seconds from 1 to 3600"},
    {G "ReaskInterval=3601\n", E "ReaskInterval: '3601' is not a number of seconds from 1 to 3600"},
    {G "RemovalTimeout=1.5\n",
     E "RemovalTimeout: '1.5' is not a number of seconds from 0 to 86400"},
    {G "RemovalTimeout=\n", E "RemovalTimeout: '' is not a number of seconds from 0 to 86400"},
    {G "StateDirectory=var/lib/passd\n",
     E "StateDirectory: 'var/lib/passd' is not an absolute path"},
    {G "PoolsDirectory=pools.d\n", E "PoolsDirectory: 'pools.d' is not an absolute path"},
    {G "ProtectedDevices=41:00.1;zz\n",
     E "ProtectedDevices: 'zz' is not a PCI address (expected DDDD:BB:SS.F)"},
    {G "ProtectedDevices=00:20.0\n",
     E "ProtectedDevices: '00:20.0' is not a PCI address: slot 0x20 out of range (max 0x1f)"},
    {G "Verbose=yes\n", E "Verbose: 'yes' is not a boolean (true or false)"},
    {G "Verbose=\n", E "Verbose: '' is not a boolean (true or false)"},
    /* The structure. */
    {G "Sockets=/a\n", E "Sockets: unknown key (see passd(8))"},
    {G "connect=qemu:///system\n", E "connect: unknown key (see passd(8))"},
    {G "Connect[de]=qemu:///system\n", E "Connect[de]: unknown key (see passd(8))"},
    {G "[journal]\nPath=/x\n", E "[journal]: unknown group (the only one is [passd])"},
    {"[Passd]\n", PATH ":1: [Passd]: unknown group (the only one is [passd])"},
    {G "Socket=/a\n# again:\nSocket=/b\n", PATH ":4: Socket: set again (first on line 2)"},
    {G "Verbose=true\n" G "Verbose=false\n", PATH ":4: Verbose: set again (first on line 2)"},
    {"Socket=/a\n" G, PATH ":1: Socket: before the [passd] group"},
    {G "Socket /a\n", E "'Socket /a' is not a key=value line, a [group] or a comment"},
    {G "[passd\n", E "[passd: not a group header"},
    {G "=x\n", E "'=x': no key before the '='"},
    /* Control bytes are escaped, not written to a terminal or the log. */
    {G "\x1b[2J\n", E "'\\033[2J' is not a key=value line, a [group] or a comment"},
    /* Of the keys, the first problem in the file is the one reported... */
    {G "Verbose=maybe\nMaxConnections=0\n", E "Verbose: 'maybe' is not a boolean (true or false)"},
    {G "Nope=1\nMaxConnections=0\n", E "Nope: unknown key (see passd(8))"},
    {G "MaxConnections=0\nNope=1\n", E "MaxConnections: '0' is not a number from 1 to 4096"},
    /* ...but the structure (groups, lines, keys set twice) before any value. */
    {G "MaxConnections=0\n[x]\n", PATH ":3: [x]: unknown group (the only one is [passd])"},
};

static void
test_good(gconstpointer data)
{
  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(PassConfig) config = pass_config_parse(PATH, good[i].text, &error);
    g_autofree char *got = NULL;

    g_test_message("good[%" G_GSIZE_FORMAT "]: %s", i, good[i].text);
    g_assert_no_error(error);
    g_assert_cmpstr(config->path, ==, PATH);
    got = describe(config);
    g_assert_cmpstr(got, ==, good[i].expected);
  }
}

static void
test_bad(gconstpointer data)
{
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(PassConfig) config = pass_config_parse(PATH, bad[i].text, &error);

    g_test_message("bad[%" G_GSIZE_FORMAT "]: %s", i, bad[i].text);
    g_assert_null(config);
    g_assert_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE);
    g_assert_cmpstr(error->message, ==, bad[i].expected);
  }
}

static void
test_load(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("passd-config-XXXXXX", &error);
  g_autofree char *path = g_build_filename(dir, "passd.conf", NULL);
  g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
  g_autoptr(PassConfig) absent = NULL, required = NULL, read = NULL, broken = NULL;
  g_autofree char *got = NULL, *expected = NULL;

  g_assert_no_error(error);
  /* The default may be missing: nothing set, no file named. */
  absent = pass_config_load(missing, FALSE, &error);
  g_assert_no_error(error);
  g_assert_null(absent->path);
  got = describe(absent);
  g_assert_cmpstr(got, ==, "");
  /* --config FILE may not. */
  required = pass_config_load(missing, TRUE, &error);
  g_assert_null(required);
  g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error(&error);

  g_assert_true(g_file_set_contents(path, G "RemovalTimeout=7\n", -1, &error));
  read = pass_config_load(path, TRUE, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(read->path, ==, path);
  g_assert_cmpint(read->removal_timeout, ==, 7);

  g_assert_true(g_file_set_contents(path, "\n" G "RemovalTimeout=x\n", -1, &error));
  broken = pass_config_load(path, FALSE, &error);
  g_assert_null(broken);
  expected =
      g_strdup_printf("%s:3: RemovalTimeout: 'x' is not a number of seconds from 0 to 86400", path);
  g_assert_cmpstr(error->message, ==, expected);

  g_assert_cmpint(g_unlink(path), ==, 0);
  g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* What the command line sets wins; what it does not set stays as the file says. */
static void
test_override(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PassConfig) config =
      pass_config_parse(PATH,
                        G "Connect=test:///default\nSocket=/file\nSocketMode=0600\n"
                          "MaxConnections=5\nRemovalTimeout=9\nProtectedDevices=41:00.1\n"
                          "Verbose=false\n",
                        &error);
  g_autoptr(PassConfig) command_line = pass_config_new();
  g_autoptr(PassConfig) nothing = pass_config_new();
  g_autofree char *got = NULL, *unchanged = NULL;

  g_assert_no_error(error);
  pass_config_override(config, nothing);
  unchanged = describe(config);
  g_assert_cmpstr(unchanged, ==,
                  "Connect=test:///default Socket=/file SocketMode=0600 MaxConnections=5 "
                  "RemovalTimeout=9 ProtectedDevices=0000:41:00.1 Verbose=0");

  command_line->socket = g_strdup("/command-line");
  command_line->group = g_strdup("root");
  command_line->group_id = 0;
  command_line->socket_mode = 0;
  command_line->max_connections_per_uid = 3;
  command_line->verbose = TRUE;
  pass_config_override(config, command_line);
  got = describe(config);
  g_assert_cmpstr(got, ==,
                  "Connect=test:///default Socket=/command-line Group=root(0) SocketMode=0000 "
                  "MaxConnections=5 MaxConnectionsPerUid=3 RemovalTimeout=9 "
                  "ProtectedDevices=0000:41:00.1 Verbose=1");
  g_assert_cmpstr(config->path, ==, PATH);
}

static void
test_lookup_group(void)
{
  g_autoptr(GError) error = NULL;
  gid_t gid = 4711;

  g_assert_true(pass_config_lookup_group("root", &gid, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(gid, ==, 0);
  g_assert_false(pass_config_lookup_group("passd-no-such-group", &gid, &error));
  g_assert_cmpstr(error->message, ==, "no such group (see /etc/group)");
}

/* The installed example: uncommented, every key is there and valid (Group=root, since a passd
 * group need not exist here), and the defaults it shows are the code's. */
static void
test_example(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL, *got = NULL;
  g_autoptr(GString) uncommented = g_string_new(NULL);
  g_auto(GStrv) lines = NULL;
  g_autoptr(PassConfig) config = NULL;

  g_assert_true(g_file_get_contents(PASS_TEST_CONFIG_EXAMPLE, &text, NULL, &error));
  g_assert_no_error(error);
  lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    const char *line = lines[i];

    if (line[0] == '#' && g_ascii_isupper(line[1]))
      line = g_str_has_prefix(line, "#Group=") ? "Group=root" : line + 1;
    g_string_append_printf(uncommented, "%s\n", line);
  }
  config = pass_config_parse(PASS_TEST_CONFIG_EXAMPLE, uncommented->str, &error);
  g_assert_no_error(error);
  got = describe(config);
  g_assert_cmpstr(
      got, ==,
      "Connect=qemu:///system Socket=/run/passd/io.passd.Manager Group=root(0) "
      "SocketMode=0600 MaxConnections=256 MaxConnectionsPerUid=32 RemovalTimeout=20 "
      "ReaskInterval=20 StateDirectory=/var/lib/passd PoolsDirectory=/etc/passd/pools.d "
      "ProtectedDevices=0000:41:00.0,0000:41:00.1 "
      "Verbose=0");
  g_assert_cmpstr(config->connect, ==, PASS_DEFAULT_URI);
  g_assert_cmpstr(config->socket, ==, PASS_DEFAULT_SOCKET);
  g_assert_cmpint(config->max_connections, ==, PASS_VARLINK_DEFAULT_MAX_CONNECTIONS);
  g_assert_cmpint(config->max_connections_per_uid, ==,
                  PASS_VARLINK_DEFAULT_MAX_CONNECTIONS_PER_UID);
  g_assert_cmpint(config->removal_timeout * 1000, ==, PASS_TX_DEFAULT_REMOVAL_TIMEOUT_MS);
  g_assert_cmpstr(config->state_directory, ==, PASS_CONFIG_DEFAULT_STATE_DIRECTORY);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_data_func("/config/good", NULL, test_good);
  g_test_add_data_func("/config/bad", NULL, test_bad);
  g_test_add_func("/config/load", test_load);
  g_test_add_func("/config/override", test_override);
  g_test_add_func("/config/lookup-group", test_lookup_group);
  g_test_add_func("/config/example", test_example);
  return g_test_run();
}
