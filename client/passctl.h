/* passctl: the command table, exit codes and the helpers commands share to talk to passd.
 * Adding a command = one cmd-NAME.c file with a PassctlCommandFunc + one row in passctl.c. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "pass-varlink.h"

G_BEGIN_DECLS

/* Exit codes: the one table. passctl --help prints passctl_exit_code_help() built from this,
 * so keep the two in step (errors.c). */
typedef enum {
  PASSCTL_EXIT_OK = 0,          /* success */
  PASSCTL_EXIT_FAILED = 1,      /* passd answered with an error, or a check failed */
  PASSCTL_EXIT_USAGE = 2,       /* usage error or invalid argument (incl. a bad address) */
  PASSCTL_EXIT_UNREACHABLE = 3, /* cannot reach passd: no socket, refused, disconnected */
  PASSCTL_EXIT_PERMISSION = 4,  /* permission denied */
} PassctlExit;

typedef struct {
  const char *socket_path; /* --socket, else $PASSD_SOCKET, else PASS_DEFAULT_SOCKET */
} PassctlContext;

/* argv[0] is the command name; returns a PassctlExit. */
typedef int (*PassctlCommandFunc)(PassctlContext *ctx, int argc, char **argv);

typedef struct {
  const char *name;
  PassctlCommandFunc func;
  const char *summary;
} PassctlCommand;

int passctl_cmd_list(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_show(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_status(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_monitor(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_attach(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_detach(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_reattach(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_vm(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_check(PassctlContext *ctx, int argc, char **argv);
/* pools */
int passctl_cmd_pools(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_pool(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_balance(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_sriov(PassctlContext *ctx, int argc, char **argv);
int passctl_cmd_mdev(PassctlContext *ctx, int argc, char **argv);

/* ---- errors.c: sentences and exit codes, all in one place ---- */

/* The exit-code table as help text (one "  N  meaning" line each). */
char *passctl_exit_code_help(void);

/* A one-line sentence (no "passctl: " prefix) for an error passd or the transport returned.
 * @error_parameters is the varlink error's parameters, may be NULL. */
char *passctl_error_sentence(const GError *error, JsonObject *error_parameters);
int passctl_error_exit_code(const GError *error);

/* Same for a failure to connect to @socket_path. */
char *passctl_connect_error_sentence(const GError *error, const char *socket_path);
int passctl_connect_error_exit_code(const GError *error);

/* Print "passctl: <sentence>" on stderr. */
void passctl_print_error(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* Print a usage error with a hint to @command's --help; returns PASSCTL_EXIT_USAGE. */
int passctl_usage_error(const char *command, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* ---- connection.c: talk to passd, printing any error ---- */

/* NULL after printing the error; *exit_code says why. */
PassVarlinkClient *passctl_connect(PassctlContext *ctx, int *exit_code);

/* The reply's parameters, or NULL after printing the error (*exit_code set). */
JsonObject *passctl_call(PassVarlinkClient *client, const char *method, JsonObject *parameters,
                         int *exit_code);

/* Connect, call once, disconnect. */
JsonObject *passctl_call_once(PassctlContext *ctx, const char *method, JsonObject *parameters,
                              int *exit_code);

/* Same, with the parameters as checked JSON text (*@length bytes): for printing a large reply
 * without building a tree. */
char *passctl_call_once_raw(PassctlContext *ctx, const char *method, JsonObject *parameters,
                            gsize *length, int *exit_code);

/* Parse a subcommand's options; on error prints it and returns FALSE with *exit_code set.
 * "--help" prints the usage and exits 0 (GOption's behaviour). */
gboolean passctl_parse_options(GOptionContext *optctx, const char *command, int *argc, char ***argv,
                               int *exit_code);

/* ---- actions.c: what attach, detach, reattach and sriov set share ---- */

/* The canonical form of @text, or NULL after a usage error for @command (*exit_code set). */
char *passctl_parse_address(const char *command, const char *text, int *exit_code);
/* Any device id: a PCI address as above, usb:BUS-PORT, usb:VVVV:PPPP or mdev:UUID. */
char *passctl_parse_device(const char *command, const char *text, int *exit_code);

/* "COMMAND DOMAIN ADDRESS": checks the arguments (argv[1] is the domain) and returns the
 * canonical address, or NULL after a usage error (*exit_code set). */
char *passctl_parse_domain_address(const char *command, int argc, char **argv, int *exit_code);

/* Set @member to true when the user @given the flag; leave it out otherwise. */
void passctl_set_flag(JsonObject *params, const char *member, gboolean given);

/* Call @method, whose reply carries "actions", and print them (or the reply as JSON). */
int passctl_run_actions(PassctlContext *ctx, const char *method, JsonObject *params,
                        gboolean dry_run, gboolean json);

G_END_DECLS
