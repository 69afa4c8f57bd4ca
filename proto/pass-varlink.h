/* Varlink over unix stream sockets: NUL-terminated JSON messages, GIO main-loop server and a
 * blocking client. Knows varlink and JSON, nothing about PCI.
 *
 * Server: calls on one connection are dispatched one at a time, so replies go out in order;
 * a call stays current until its final reply (a reply without "continues"). Handlers run on the
 * server's main context and may reply later (keep a ref on the call) - but only from that
 * context. org.varlink.service (GetInfo, GetInterfaceDescription) is built in.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

#define PASS_VARLINK_DEFAULT_MAX_MESSAGE     (16u * 1024 * 1024)
#define PASS_VARLINK_DEFAULT_MAX_CONNECTIONS 256u
/* So that one user cannot take every slot from the others. */
#define PASS_VARLINK_DEFAULT_MAX_CONNECTIONS_PER_UID 32u

typedef struct _PassVarlinkServer PassVarlinkServer;
typedef struct _PassVarlinkCall PassVarlinkCall;

/* @parameters is never NULL (an empty object when the caller sent none or null); it is owned
 * by the call and valid as long as the call is. */
typedef void (*PassVarlinkMethodFunc)(PassVarlinkCall *call, JsonObject *parameters,
                                      gpointer user_data);

PassVarlinkServer *pass_varlink_server_new(const char *vendor, const char *product,
                                           const char *version, const char *url);
void pass_varlink_server_free(PassVarlinkServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassVarlinkServer, pass_varlink_server_free)

void pass_varlink_server_set_limits(PassVarlinkServer *server, gsize max_message_size,
                                    guint max_connections);
/* A peer whose uid has @max connections open already is refused at accept. */
void pass_varlink_server_set_max_connections_per_uid(PassVarlinkServer *server, guint max);
/* The mode (default 0600) and group ((gid_t)-1, the default: left as created) of the socket file
 * pass_varlink_server_listen_path() creates; call before it. */
void pass_varlink_server_set_socket_access(PassVarlinkServer *server, mode_t mode, gid_t group);

/* @description is the interface file's text, served verbatim by GetInterfaceDescription; the
 * interface name is read from its "interface" line. FALSE if it has none. */
gboolean pass_varlink_server_add_interface(PassVarlinkServer *server, const char *description,
                                           GError **error);

/* @method is fully qualified ("io.passd.Manager.ListDevices"); its interface must be added. */
void pass_varlink_server_add_method(PassVarlinkServer *server, const char *method,
                                    PassVarlinkMethodFunc func, gpointer user_data);

/* Listen on a filesystem path (a stale socket file is replaced; the directory is created), or
 * on an already listening fd (socket activation). */
gboolean pass_varlink_server_listen_path(PassVarlinkServer *server, const char *path,
                                         GError **error);
gboolean pass_varlink_server_listen_fd(PassVarlinkServer *server, int fd, GError **error);

guint pass_varlink_server_get_n_connections(PassVarlinkServer *server);

/* ---- calls (server side) ---- */

PassVarlinkCall *pass_varlink_call_ref(PassVarlinkCall *call);
void pass_varlink_call_unref(PassVarlinkCall *call);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassVarlinkCall, pass_varlink_call_unref)

const char *pass_varlink_call_get_method(PassVarlinkCall *call);
gboolean pass_varlink_call_wants_more(PassVarlinkCall *call);
gboolean pass_varlink_call_is_oneway(PassVarlinkCall *call);
/* Peer credentials from SO_PEERCRED at accept time; (uid_t)-1 and (gid_t)-1 when unknown. */
uid_t pass_varlink_call_get_peer_uid(PassVarlinkCall *call);
gid_t pass_varlink_call_get_peer_gid(PassVarlinkCall *call);
pid_t pass_varlink_call_get_peer_pid(PassVarlinkCall *call);
/* The peer's supplementary groups (gid_t) at connect time (SO_PEERGROUPS), read once per
 * connection; borrowed, valid as long as the call. NULL when the kernel could not tell. */
GArray *pass_varlink_call_get_peer_groups(PassVarlinkCall *call);
/* FALSE once the peer has gone away; replies to a closed call are dropped silently. */
gboolean pass_varlink_call_is_open(PassVarlinkCall *call);

/* Called once, on the main context, if the connection closes before the final reply (e.g. a
 * Watch subscriber that disconnects). @func has the type PassVarlinkCallClosedFunc; @destroy
 * frees @user_data when the call is freed or the func is replaced. */
typedef void (*PassVarlinkCallClosedFunc)(PassVarlinkCall *call, gpointer user_data);
void pass_varlink_call_set_closed_func(PassVarlinkCall *call, GCallback func, gpointer user_data,
                                       GDestroyNotify destroy);

/* Final reply. @parameters may be NULL (sent as an empty object); not consumed. */
void pass_varlink_call_reply(PassVarlinkCall *call, JsonObject *parameters);
/* Intermediate reply ("continues": true); only for calls that asked for "more". */
void pass_varlink_call_reply_continues(PassVarlinkCall *call, JsonObject *parameters);
/* Same, with parameters already serialized as a JSON object text (cached replies). */
void pass_varlink_call_reply_raw(PassVarlinkCall *call, const char *parameters_json,
                                 gboolean continues);
/* Final error reply. @parameters may be NULL; not consumed. */
void pass_varlink_call_reply_error(PassVarlinkCall *call, const char *error_name,
                                   JsonObject *parameters);
/* A GError of PASS_ERROR is sent under its varlink name with {"message": ...} plus @extra's
 * members (may be NULL); any other domain as io.passd.Manager.Failed. */
void pass_varlink_call_reply_gerror(PassVarlinkCall *call, const GError *error, JsonObject *extra);
/* org.varlink.service.InvalidParameter {"parameter": @parameter}. */
void pass_varlink_call_reply_invalid_parameter(PassVarlinkCall *call, const char *parameter);

/* ---- client (blocking; for passctl and tests) ---- */

typedef struct _PassVarlinkClient PassVarlinkClient;

PassVarlinkClient *pass_varlink_client_connect(const char *path, GError **error);
void pass_varlink_client_free(PassVarlinkClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassVarlinkClient, pass_varlink_client_free)

/* One call, one reply: the reply's parameters (new ref, never NULL on success). A varlink error
 * reply becomes a PASS_ERROR GError (code from pass_error_from_name(), message from the error's
 * "message" parameter or the error name); its parameters, if @error_parameters is given, are
 * stored there (new ref). @parameters may be NULL. */
JsonObject *pass_varlink_client_call(PassVarlinkClient *client, const char *method,
                                     JsonObject *parameters, JsonObject **error_parameters,
                                     GError **error);

/* Same as pass_varlink_client_call(), but the reply's parameters come back as JSON text (an
 * object, "{}" when there were none; *@length, if given, is its length) instead of a tree:
 * checked as strictly, much cheaper for large replies. The text is the peer's own, spacing
 * included. */
char *pass_varlink_client_call_raw(PassVarlinkClient *client, const char *method,
                                   JsonObject *parameters, gsize *length,
                                   JsonObject **error_parameters, GError **error);

/* A "more" call: @func gets each reply's parameters until it returns FALSE or the final reply
 * arrived. TRUE when it ended normally (final reply, or @func stopped). */
typedef gboolean (*PassVarlinkReplyFunc)(JsonObject *parameters, gboolean continues,
                                         gpointer user_data);
gboolean pass_varlink_client_call_more(PassVarlinkClient *client, const char *method,
                                       JsonObject *parameters, PassVarlinkReplyFunc func,
                                       gpointer user_data, JsonObject **error_parameters,
                                       GError **error);

G_END_DECLS
