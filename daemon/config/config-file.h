/* passd.conf, the daemon's configuration file (a GKeyFile with one group, [passd]), read into
 * plain data. Every value is validated here, and anything wrong (an unknown group or key, a key
 * set twice, a bad value) is an error naming the file, the line and the key: a typo in a file
 * nobody reads back must not go unnoticed. The command line is main.c's business: it lays its
 * options over what the file says (pass_config_override). */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define PASS_CONFIG_DEFAULT_PATH            "/etc/passd/passd.conf"
#define PASS_CONFIG_DEFAULT_STATE_DIRECTORY "/var/lib/passd"
#define PASS_CONFIG_GROUP                   "passd"
/* Bounds of MaxConnections and MaxConnectionsPerUid (and of their options). */
#define PASS_CONFIG_MAX_CONNECTIONS 4096
/* RemovalTimeout's bound in seconds, the same as Detach's timeout parameter. */
#define PASS_CONFIG_MAX_REMOVAL_TIMEOUT (24 * 3600)
/* ReaskInterval's bound in seconds. */
#define PASS_CONFIG_MAX_REASK_INTERVAL 3600

/* What the file (or the command line) sets; everything else is unset and the daemon's defaults
 * apply. */
typedef struct {
  char *path;    /* the file read; NULL when none was */
  char *connect; /* libvirt URI; NULL: unset */
  char *socket;  /* absolute path; NULL: unset */
  char *group;   /* the write group's name, known to exist; NULL: unset */
  gid_t group_id;
  /* Numbers and the flag: -1 when unset. */
  int socket_mode;                              /* 0 to 0777 */
  int max_connections, max_connections_per_uid; /* 1 to PASS_CONFIG_MAX_CONNECTIONS */
  int removal_timeout;                          /* seconds, 0 to PASS_CONFIG_MAX_REMOVAL_TIMEOUT */
  int reask_interval;                           /* seconds, 1 to PASS_CONFIG_MAX_REASK_INTERVAL */
  int verbose;                                  /* FALSE or TRUE */
  char *state_directory;                        /* absolute; NULL: unset */
  char *pools_directory;                        /* absolute; NULL: unset */
  GStrv protected_devices; /* canonical PCI addresses, sorted, unique; NULL: unset */
} PassConfig;

PassConfig *pass_config_new(void);
void pass_config_free(PassConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassConfig, pass_config_free)

/* Parse @text, the contents of @path (used in messages only). NULL with @error
 * (G_KEY_FILE_ERROR_PARSE) saying "PATH:LINE: KEY: why" for the first problem: of the
 * structure (groups, lines, keys set twice), else the first bad key in the file. */
PassConfig *pass_config_parse(const char *path, const char *text, GError **error);

/* Read and parse @path. A missing file is an empty configuration unless @required. */
PassConfig *pass_config_load(const char *path, gboolean required, GError **error);

/* Whatever @over sets replaces what @config says (the command line over the file). */
void pass_config_override(PassConfig *config, const PassConfig *over);

/* The gid of group @name; FALSE with @error (G_IO_ERROR) when there is none. */
gboolean pass_config_lookup_group(const char *name, gid_t *gid, GError **error);

G_END_DECLS
