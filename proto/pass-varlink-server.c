#define _GNU_SOURCE  /* struct ucred */
#define G_LOG_DOMAIN "passd-varlink"

#include "pass-varlink.h"

#include <errno.h>
#include <poll.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pass-error.h"
#include "pass-varlink-private.h"

#define READ_CHUNK (64 * 1024)

typedef struct _Connection Connection;

typedef struct {
  char *name;
  char *description;
} Interface;

typedef struct {
  PassVarlinkMethodFunc func;
  gpointer user_data;
} Method;

typedef struct {
  PassVarlinkServer *server;
  GSocket *socket;
  GSource *source;
} Listener;

struct _PassVarlinkServer {
  GMainContext *context;
  char *vendor, *product, *version, *url;
  GPtrArray *interfaces; /* Interface*, org.varlink.service first */
  GHashTable *methods;   /* full method name -> Method* */
  GPtrArray *listeners;  /* Listener* */
  GList *connections;    /* Connection*, one ref each */
  guint n_connections;
  gsize max_message;
  guint max_connections;
  guint max_connections_per_uid;
  gsize max_output;
  mode_t socket_mode;       /* of a socket file we create */
  gid_t socket_group;       /* its group, or (gid_t)-1 to leave it */
  guint n_refused;          /* since refused_logged_at */
  gint64 refused_logged_at; /* monotonic time of the last "refusing" message */
  char *socket_path;        /* unlinked on free if it is still our socket */
  dev_t socket_dev;
  ino_t socket_ino;
};

struct _Connection {
  gint ref_count;
  PassVarlinkServer *server; /* NULL once closed */
  GSocket *socket;
  GSource *source;
  gpointer fd_tag;
  GSource *idle; /* deferred dispatch or close */
  PassVarlinkInput input;
  GByteArray *output;
  gsize output_start;
  uid_t uid;
  gid_t gid;
  pid_t pid;
  GArray *groups;           /* gid_t, supplementary; NULL when unknown */
  PassVarlinkCall *current; /* awaiting its final reply */
  gboolean dispatching;
  gboolean read_eof;
  gboolean doomed; /* to be closed from the idle handler */
};

struct _PassVarlinkCall {
  gint ref_count;
  Connection *connection; /* NULL once finished or closed */
  char *method;
  JsonObject *parameters;
  gboolean more, oneway, finished;
  uid_t uid;
  gid_t gid;
  pid_t pid;
  GArray *groups; /* the connection's, shared */
  PassVarlinkCallClosedFunc closed_func;
  gpointer closed_data;
  GDestroyNotify closed_destroy;
};

typedef struct {
  GSource source;
  Connection *connection;
} ConnectionSource;

static void connection_update_events(Connection *conn);
static void connection_schedule(Connection *conn);
static void connection_process(Connection *conn);

/* ---- connections ---- */

static Connection *
connection_ref(Connection *conn)
{
  g_atomic_int_inc(&conn->ref_count);
  return conn;
}

static void
connection_unref(Connection *conn)
{
  if (!g_atomic_int_dec_and_test(&conn->ref_count))
    return;
  g_assert(conn->server == NULL && conn->current == NULL);
  g_clear_object(&conn->socket);
  pass_varlink_input_clear(&conn->input);
  g_byte_array_unref(conn->output);
  g_clear_pointer(&conn->groups, g_array_unref);
  g_free(conn);
}

static void
destroy_source(GSource **source)
{
  if (*source) {
    g_source_destroy(*source);
    g_clear_pointer(source, g_source_unref);
  }
}

/* Detaches @conn from its server, closes the socket and tells the pending call, if any. */
static void
connection_close(Connection *conn, const char *why)
{
  PassVarlinkServer *server = conn->server;

  if (server == NULL)
    return;
  if (why)
    g_message("Closing varlink connection (uid %d, pid %d): %s", (int)conn->uid, (int)conn->pid,
              why);
  else
    g_debug("Varlink connection (uid %d, pid %d) closed", (int)conn->uid, (int)conn->pid);

  conn->server = NULL;
  destroy_source(&conn->source);
  destroy_source(&conn->idle);
  g_socket_close(conn->socket, NULL);
  server->connections = g_list_remove(server->connections, conn);
  server->n_connections--;

  PassVarlinkCall *call = g_steal_pointer(&conn->current);
  if (call) {
    call->connection = NULL;
    if (call->closed_func)
      call->closed_func(call, call->closed_data);
    /* Once only, even if the handler set it again. */
    call->closed_func = NULL;
    connection_unref(conn); /* the call's ref */
    pass_varlink_call_unref(call);
  }
  connection_unref(conn); /* the server's ref */
}

static gboolean
connection_idle_cb(gpointer user_data)
{
  Connection *conn = user_data;

  g_clear_pointer(&conn->idle, g_source_unref);
  if (conn->doomed)
    connection_close(conn, "output queue overflow (the peer does not read)");
  else
    connection_process(conn);
  return G_SOURCE_REMOVE;
}

/* Work that must not run inside a handler's reply() call: the next dispatch, or a close. */
static void
connection_schedule(Connection *conn)
{
  if (conn->idle || conn->server == NULL)
    return;
  conn->idle = g_idle_source_new();
  g_source_set_priority(conn->idle, G_PRIORITY_DEFAULT);
  g_source_set_callback(conn->idle, connection_idle_cb, connection_ref(conn),
                        (GDestroyNotify)connection_unref);
  g_source_attach(conn->idle, conn->server->context);
}

/* Appends one message given in @n_parts pieces, straight into the output buffer: a large
 * cached reply is copied once, into a buffer that keeps its size between replies. */
static void
connection_queue(Connection *conn, const char *const *parts, guint n_parts)
{
  if (conn->server == NULL || conn->doomed)
    return;
  for (guint i = 0; i < n_parts; i++)
    g_byte_array_append(conn->output, (const guint8 *)parts[i], (guint)strlen(parts[i]));
  g_byte_array_append(conn->output, (const guint8 *)"", 1);
  if (conn->output->len - conn->output_start > conn->server->max_output) {
    conn->doomed = TRUE;
    connection_schedule(conn);
    return;
  }
  connection_update_events(conn);
}

/* FALSE when the connection had to be closed. */
static gboolean
connection_flush(Connection *conn)
{
  while (conn->output_start < conn->output->len) {
    g_autoptr(GError) error = NULL;
    gssize n = g_socket_send(conn->socket, (const char *)conn->output->data + conn->output_start,
                             conn->output->len - conn->output_start, NULL, &error);
    if (n < 0) {
      if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      connection_close(conn, NULL);
      return FALSE;
    }
    conn->output_start += (gsize)n;
  }
  if (conn->output_start == conn->output->len) {
    g_byte_array_set_size(conn->output, 0);
    conn->output_start = 0;
  } else if (conn->output_start > conn->output->len / 2) {
    g_byte_array_remove_range(conn->output, 0, (guint)conn->output_start);
    conn->output_start = 0;
  }
  return TRUE;
}

/* FALSE when the connection had to be closed. Reads what is there, within the buffer cap. */
static gboolean
connection_read(Connection *conn)
{
  /* While a call is pending, buffer at most about one maximal message more; beyond that the
   * socket is not polled for input until the call finishes (back-pressure). */
  while (!conn->read_eof &&
         pass_varlink_input_get_pending(&conn->input) <= conn->server->max_message) {
    g_autoptr(GError) error = NULL;
    guint8 *buffer = pass_varlink_input_reserve(&conn->input, READ_CHUNK);
    gssize n = g_socket_receive(conn->socket, (char *)buffer, READ_CHUNK, NULL, &error);
    pass_varlink_input_commit(&conn->input, READ_CHUNK, n > 0 ? (gsize)n : 0);
    if (n < 0) {
      if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;
      connection_close(conn, error->message);
      return FALSE;
    }
    if (n == 0)
      conn->read_eof = TRUE;
    if (n < READ_CHUNK)
      break;
  }
  return TRUE;
}

static void
connection_handle_events(Connection *conn, GIOCondition revents)
{
  connection_ref(conn);
  if ((revents & G_IO_OUT) && !connection_flush(conn))
    goto out;
  if ((revents & (G_IO_IN | G_IO_HUP | G_IO_ERR)) && !connection_read(conn))
    goto out;
  connection_process(conn);
  /* A full hang-up: whatever was readable has been dispatched, nobody is left to answer. */
  if (revents & (G_IO_HUP | G_IO_ERR))
    connection_close(conn, NULL);
  else if (conn->server)
    connection_update_events(conn);
out:
  connection_unref(conn);
}

static gboolean
connection_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
  Connection *conn = ((ConnectionSource *)source)->connection;

  connection_handle_events(conn, g_source_query_unix_fd(source, conn->fd_tag));
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs connection_source_funcs = {
    .dispatch = connection_source_dispatch,
};

static void
connection_update_events(Connection *conn)
{
  GIOCondition events = G_IO_HUP | G_IO_ERR;

  if (conn->server == NULL)
    return;
  if (!conn->read_eof && pass_varlink_input_get_pending(&conn->input) <= conn->server->max_message)
    events |= G_IO_IN;
  if (conn->output_start < conn->output->len)
    events |= G_IO_OUT;
  g_source_modify_unix_fd(conn->source, conn->fd_tag, events);
}

/* ---- calls ---- */

PassVarlinkCall *
pass_varlink_call_ref(PassVarlinkCall *call)
{
  g_return_val_if_fail(call != NULL, NULL);
  g_atomic_int_inc(&call->ref_count);
  return call;
}

void
pass_varlink_call_unref(PassVarlinkCall *call)
{
  if (call == NULL || !g_atomic_int_dec_and_test(&call->ref_count))
    return;
  g_assert(call->connection == NULL);
  if (call->closed_destroy)
    call->closed_destroy(call->closed_data);
  g_free(call->method);
  json_object_unref(call->parameters);
  g_clear_pointer(&call->groups, g_array_unref);
  g_free(call);
}

const char *
pass_varlink_call_get_method(PassVarlinkCall *call)
{
  return call->method;
}

gboolean
pass_varlink_call_wants_more(PassVarlinkCall *call)
{
  return call->more;
}

gboolean
pass_varlink_call_is_oneway(PassVarlinkCall *call)
{
  return call->oneway;
}

uid_t
pass_varlink_call_get_peer_uid(PassVarlinkCall *call)
{
  return call->uid;
}

gid_t
pass_varlink_call_get_peer_gid(PassVarlinkCall *call)
{
  return call->gid;
}

pid_t
pass_varlink_call_get_peer_pid(PassVarlinkCall *call)
{
  return call->pid;
}

GArray *
pass_varlink_call_get_peer_groups(PassVarlinkCall *call)
{
  return call->groups;
}

gboolean
pass_varlink_call_is_open(PassVarlinkCall *call)
{
  /* A connection being dropped for not reading is as good as closed to a streaming handler. */
  return call->connection != NULL && !call->connection->doomed;
}

void
pass_varlink_call_set_closed_func(PassVarlinkCall *call, GCallback func, gpointer user_data,
                                  GDestroyNotify destroy)
{
  if (call->closed_destroy)
    call->closed_destroy(call->closed_data);
  call->closed_func = (PassVarlinkCallClosedFunc)(void (*)(void))func;
  call->closed_data = user_data;
  call->closed_destroy = destroy;
}

/* Ends the call's hold on its connection; the next call can be dispatched. */
static void
call_finish(PassVarlinkCall *call)
{
  Connection *conn = g_steal_pointer(&call->connection);

  call->finished = TRUE;
  if (conn == NULL)
    return;
  if (conn->current == call) {
    conn->current = NULL;
    pass_varlink_call_unref(call);
  }
  if (!conn->dispatching)
    connection_schedule(conn);
  connection_unref(conn);
}

/* Writes one reply message; @parameters_json is an object's text. */
static void
call_send(PassVarlinkCall *call, const char *error_name, const char *parameters_json,
          gboolean continues)
{
  if (call->finished && call->connection == NULL && !call->oneway) {
    /* Closed calls drop replies silently; a second final reply is a handler bug. */
    g_warning("Reply to %s after its final reply; dropped", call->method);
    return;
  }
  if (call->connection == NULL)
    return;
  if (continues && !call->more && !call->oneway) {
    g_warning("Handler of %s sent \"continues\" to a call without \"more\"; sent as final",
              call->method);
    continues = FALSE;
  }
  if (!call->oneway) {
    g_autofree char *quoted = NULL;
    if (error_name) {
      g_autoptr(JsonNode) node = json_node_init_string(json_node_alloc(), error_name);
      quoted = json_to_string(node, FALSE);
    }
    const char *parts[] = {
        "{",
        quoted ? "\"error\":" : "",
        quoted ? quoted : "",
        quoted ? "," : "",
        "\"parameters\":",
        parameters_json,
        continues ? ",\"continues\":true}" : "}",
    };
    connection_queue(call->connection, parts, G_N_ELEMENTS(parts));
  }
  if (!continues)
    call_finish(call);
}

static void
call_send_object(PassVarlinkCall *call, const char *error_name, JsonObject *parameters,
                 gboolean continues)
{
  g_autoptr(JsonObject) empty = NULL;

  if (call->connection == NULL || call->oneway) {
    call_send(call, error_name, "{}", continues);
    return;
  }
  if (parameters == NULL)
    parameters = empty = json_object_new();
  g_autofree char *text = pass_varlink_message_serialize(parameters, NULL);
  call_send(call, error_name, text, continues);
}

void
pass_varlink_call_reply(PassVarlinkCall *call, JsonObject *parameters)
{
  call_send_object(call, NULL, parameters, FALSE);
}

void
pass_varlink_call_reply_continues(PassVarlinkCall *call, JsonObject *parameters)
{
  call_send_object(call, NULL, parameters, TRUE);
}

void
pass_varlink_call_reply_raw(PassVarlinkCall *call, const char *parameters_json, gboolean continues)
{
  call_send(call, NULL, parameters_json ? parameters_json : "{}", continues);
}

void
pass_varlink_call_reply_error(PassVarlinkCall *call, const char *error_name, JsonObject *parameters)
{
  call_send_object(call, error_name, parameters, FALSE);
}

void
pass_varlink_call_reply_gerror(PassVarlinkCall *call, const GError *error, JsonObject *extra)
{
  g_autoptr(JsonObject) parameters = json_object_new();
  const char *name = pass_error_to_name(PASS_ERROR_FAILED);

  if (error->domain == PASS_ERROR)
    name = pass_error_to_name((PassError)error->code);
  json_object_set_string_member(parameters, "message", error->message);
  if (extra) {
    JsonObjectIter iter;
    const char *member;
    JsonNode *node;
    json_object_iter_init(&iter, extra);
    while (json_object_iter_next(&iter, &member, &node))
      json_object_set_member(parameters, member, json_node_copy(node));
  }
  call_send_object(call, name, parameters, FALSE);
}

void
pass_varlink_call_reply_invalid_parameter(PassVarlinkCall *call, const char *parameter)
{
  g_autoptr(JsonObject) parameters = json_object_new();

  json_object_set_string_member(parameters, "parameter", parameter);
  call_send_object(call, "org.varlink.service.InvalidParameter", parameters, FALSE);
}

static void
reply_error_string(PassVarlinkCall *call, const char *error_name, const char *key,
                   const char *value)
{
  g_autoptr(JsonObject) parameters = json_object_new();

  json_object_set_string_member(parameters, key, value);
  pass_varlink_call_reply_error(call, error_name, parameters);
}

/* ---- dispatch ---- */

static Interface *
server_find_interface(PassVarlinkServer *server, const char *name)
{
  for (guint i = 0; i < server->interfaces->len; i++) {
    Interface *iface = g_ptr_array_index(server->interfaces, i);
    if (g_str_equal(iface->name, name))
      return iface;
  }
  return NULL;
}

/* FALSE for a malformed optional boolean field. */
static gboolean
get_flag(JsonObject *object, const char *key, gboolean *out)
{
  JsonNode *node = json_object_get_member(object, key);

  *out = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL(node))
    return TRUE;
  if (json_node_get_value_type(node) != G_TYPE_BOOLEAN)
    return FALSE;
  *out = json_node_get_boolean(node);
  return TRUE;
}

/* FALSE (with @error) on a protocol violation: the connection is closed. */
static gboolean
connection_dispatch(Connection *conn, JsonObject *message, GError **error)
{
  PassVarlinkServer *server = conn->server;
  JsonNode *method_node = json_object_get_member(message, "method");
  JsonNode *parameters_node = json_object_get_member(message, "parameters");
  gboolean more, oneway, upgrade;

  if (method_node == NULL || json_node_get_value_type(method_node) != G_TYPE_STRING) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_PROTOCOL, "Call without a \"method\" string");
    return FALSE;
  }
  if (parameters_node && !JSON_NODE_HOLDS_NULL(parameters_node) &&
      !JSON_NODE_HOLDS_OBJECT(parameters_node)) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_PROTOCOL,
                        "Call with \"parameters\" that are not an object");
    return FALSE;
  }
  if (!get_flag(message, "more", &more) || !get_flag(message, "oneway", &oneway) ||
      !get_flag(message, "upgrade", &upgrade)) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_PROTOCOL,
                        "Call with a non-boolean \"more\", \"oneway\" or \"upgrade\"");
    return FALSE;
  }

  g_autoptr(PassVarlinkCall) call = g_new0(PassVarlinkCall, 1);
  call->ref_count = 1;
  call->method = g_strdup(json_node_get_string(method_node));
  call->parameters = parameters_node && JSON_NODE_HOLDS_OBJECT(parameters_node)
                         ? json_object_ref(json_node_get_object(parameters_node))
                         : json_object_new();
  call->oneway = oneway;
  call->more = more && !oneway;
  call->uid = conn->uid;
  call->gid = conn->gid;
  call->pid = conn->pid;
  call->groups = conn->groups ? g_array_ref(conn->groups) : NULL;
  call->connection = connection_ref(conn);
  if (!oneway)
    conn->current = pass_varlink_call_ref(call);

  const char *dot = strrchr(call->method, '.');
  g_autofree char *interface = g_strndup(call->method, dot ? (gsize)(dot - call->method) : 0);
  Method *method = g_hash_table_lookup(server->methods, call->method);

  if (server_find_interface(server, interface) == NULL)
    reply_error_string(call, "org.varlink.service.InterfaceNotFound", "interface", interface);
  else if (method == NULL)
    reply_error_string(call, "org.varlink.service.MethodNotFound", "method", call->method);
  else if (upgrade)
    reply_error_string(call, "org.varlink.service.MethodNotImplemented", "method", call->method);
  else
    method->func(call, call->parameters, method->user_data);

  /* Oneway calls are done once dispatched, whatever the handler keeps. */
  if (oneway && call->connection)
    call_finish(call);
  return TRUE;
}

/* Dispatches buffered calls while none is pending. */
static void
connection_process(Connection *conn)
{
  if (conn->dispatching || conn->server == NULL)
    return;
  connection_ref(conn);
  conn->dispatching = TRUE;
  while (conn->server && conn->current == NULL && !conn->doomed) {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) message = NULL;
    const char *text;
    gsize length;

    if (!pass_varlink_input_next(&conn->input, &text, &length, &error)) {
      connection_close(conn, error->message);
      break;
    }
    if (text == NULL) {
      /* A peer that closed its sending side gets its answers, then the connection ends. */
      if (conn->read_eof && conn->output_start == conn->output->len)
        connection_close(conn, NULL);
      break;
    }
    message = pass_varlink_message_parse(text, length, &error);
    if (message == NULL || !connection_dispatch(conn, message, &error)) {
      /* Calls answered before the broken one still get their replies, if they fit. */
      if (connection_flush(conn))
        connection_close(conn, error->message);
      break;
    }
  }
  conn->dispatching = FALSE;
  if (conn->doomed)
    connection_schedule(conn);
  else if (conn->server)
    connection_update_events(conn);
  connection_unref(conn);
}

/* ---- org.varlink.service ---- */

static void
service_get_info(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  PassVarlinkServer *server = user_data;
  g_autoptr(JsonObject) reply = json_object_new();
  JsonArray *interfaces = json_array_new();

  json_object_set_string_member(reply, "vendor", server->vendor);
  json_object_set_string_member(reply, "product", server->product);
  json_object_set_string_member(reply, "version", server->version);
  json_object_set_string_member(reply, "url", server->url);
  for (guint i = 0; i < server->interfaces->len; i++)
    json_array_add_string_element(interfaces,
                                  ((Interface *)g_ptr_array_index(server->interfaces, i))->name);
  json_object_set_array_member(reply, "interfaces", interfaces);
  pass_varlink_call_reply(call, reply);
}

static void
service_get_interface_description(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  PassVarlinkServer *server = user_data;
  JsonNode *node = json_object_get_member(parameters, "interface");

  if (node == NULL || json_node_get_value_type(node) != G_TYPE_STRING) {
    pass_varlink_call_reply_invalid_parameter(call, "interface");
    return;
  }
  const char *name = json_node_get_string(node);
  Interface *iface = server_find_interface(server, name);
  if (iface == NULL) {
    reply_error_string(call, "org.varlink.service.InterfaceNotFound", "interface", name);
    return;
  }
  g_autoptr(JsonObject) reply = json_object_new();
  json_object_set_string_member(reply, "description", iface->description);
  pass_varlink_call_reply(call, reply);
}

/* ---- server ---- */

static void
interface_free(Interface *iface)
{
  g_free(iface->name);
  g_free(iface->description);
  g_free(iface);
}

static void
listener_free(Listener *listener)
{
  destroy_source(&listener->source);
  g_socket_close(listener->socket, NULL);
  g_object_unref(listener->socket);
  g_free(listener);
}

PassVarlinkServer *
pass_varlink_server_new(const char *vendor, const char *product, const char *version,
                        const char *url)
{
  PassVarlinkServer *server = g_new0(PassVarlinkServer, 1);

  server->context = g_main_context_ref_thread_default();
  server->vendor = g_strdup(vendor ? vendor : "");
  server->product = g_strdup(product ? product : "");
  server->version = g_strdup(version ? version : "");
  server->url = g_strdup(url ? url : "");
  server->interfaces = g_ptr_array_new_with_free_func((GDestroyNotify)interface_free);
  server->methods = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  server->listeners = g_ptr_array_new_with_free_func((GDestroyNotify)listener_free);
  server->max_message = PASS_VARLINK_DEFAULT_MAX_MESSAGE;
  server->max_connections = PASS_VARLINK_DEFAULT_MAX_CONNECTIONS;
  server->max_connections_per_uid = PASS_VARLINK_DEFAULT_MAX_CONNECTIONS_PER_UID;
  server->socket_mode = 0600;
  server->socket_group = (gid_t)-1;
  server->max_output = PASS_VARLINK_DEFAULT_MAX_OUTPUT;

  g_assert(pass_varlink_server_add_interface(server, pass_varlink_service_idl, NULL));
  pass_varlink_server_add_method(server, "org.varlink.service.GetInfo", service_get_info, server);
  pass_varlink_server_add_method(server, "org.varlink.service.GetInterfaceDescription",
                                 service_get_interface_description, server);
  return server;
}

void
pass_varlink_server_free(PassVarlinkServer *server)
{
  struct stat st;

  if (server == NULL)
    return;
  g_ptr_array_unref(server->listeners);
  while (server->connections)
    connection_close(server->connections->data, NULL);
  if (server->socket_path && g_lstat(server->socket_path, &st) == 0 &&
      st.st_dev == server->socket_dev && st.st_ino == server->socket_ino)
    g_unlink(server->socket_path);
  g_free(server->socket_path);
  g_hash_table_unref(server->methods);
  g_ptr_array_unref(server->interfaces);
  g_free(server->vendor);
  g_free(server->product);
  g_free(server->version);
  g_free(server->url);
  g_main_context_unref(server->context);
  g_free(server);
}

void
pass_varlink_server_set_limits(PassVarlinkServer *server, gsize max_message_size,
                               guint max_connections)
{
  server->max_message = max_message_size;
  server->max_connections = max_connections;
}

void
pass_varlink_server_set_max_connections_per_uid(PassVarlinkServer *server, guint max)
{
  server->max_connections_per_uid = max;
}

void
pass_varlink_server_set_socket_access(PassVarlinkServer *server, mode_t mode, gid_t group)
{
  server->socket_mode = mode & 0777;
  server->socket_group = group;
}

void
pass_varlink_server_set_max_output(PassVarlinkServer *server, gsize max_output)
{
  server->max_output = max_output;
}

/* The name on the first "interface" line; comments and blank lines may precede it. */
static char *
interface_name_from_description(const char *description)
{
  g_auto(GStrv) lines = g_strsplit(description, "\n", -1);

  for (guint i = 0; lines[i]; i++) {
    const char *line = lines[i];
    while (g_ascii_isspace(*line))
      line++;
    if (*line == '\0' || *line == '#')
      continue;
    if (!g_str_has_prefix(line, "interface") || !g_ascii_isspace(line[9]))
      return NULL;
    line += 9;
    while (g_ascii_isspace(*line))
      line++;
    gsize n = strspn(line, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
    if (n == 0 || strchr(line, '.') == NULL)
      return NULL;
    return g_strndup(line, n);
  }
  return NULL;
}

gboolean
pass_varlink_server_add_interface(PassVarlinkServer *server, const char *description,
                                  GError **error)
{
  g_autofree char *name = interface_name_from_description(description);

  if (name == NULL) {
    g_set_error_literal(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                        "Interface description has no \"interface\" line");
    return FALSE;
  }
  if (server_find_interface(server, name)) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
                "Interface %s is already registered", name);
    return FALSE;
  }
  Interface *iface = g_new0(Interface, 1);
  iface->name = g_steal_pointer(&name);
  iface->description = g_strdup(description);
  g_ptr_array_add(server->interfaces, iface);
  return TRUE;
}

void
pass_varlink_server_add_method(PassVarlinkServer *server, const char *method,
                               PassVarlinkMethodFunc func, gpointer user_data)
{
  const char *dot = strrchr(method, '.');
  g_autofree char *interface = g_strndup(method, dot ? (gsize)(dot - method) : 0);

  g_return_if_fail(server_find_interface(server, interface) != NULL);
  Method *m = g_new0(Method, 1);
  m->func = func;
  m->user_data = user_data;
  g_hash_table_replace(server->methods, g_strdup(method), m);
}

guint
pass_varlink_server_get_n_connections(PassVarlinkServer *server)
{
  return server->n_connections;
}

/* Peers that left may not have been noticed yet when a burst of new ones arrives (their
 * hang-ups are dispatched after the accepts): at the cap, handle those first so that they do
 * not take slots from live clients. */
static void
server_reap_hung_up(PassVarlinkServer *server)
{
  guint n = server->n_connections;
  g_autofree struct pollfd *fds = g_new0(struct pollfd, n);
  g_autofree Connection **conns = g_new0(Connection *, n);
  guint i = 0;

  for (GList *l = server->connections; l && i < n; l = l->next, i++) {
    conns[i] = connection_ref(l->data);
    fds[i].fd = g_socket_get_fd(conns[i]->socket);
    fds[i].events = 0; /* hang-ups and errors are always reported */
  }
  if (poll(fds, i, 0) > 0) {
    for (guint j = 0; j < i; j++)
      if (fds[j].revents & (POLLHUP | POLLERR))
        connection_handle_events(conns[j], G_IO_IN | G_IO_HUP);
  }
  for (guint j = 0; j < i; j++)
    connection_unref(conns[j]);
}

/* The peer's credentials as the kernel recorded them at its connect(): SO_PEERCRED for uid,
 * gid and pid, SO_PEERGROUPS (Linux 4.13) for the supplementary groups. Read once per
 * connection, from the socket itself: unlike /proc/PID/status it cannot race with the peer
 * exiting and its pid being reused, and unlike getpwuid_r() + getgrouplist() it makes no NSS
 * call that could block the main loop (LDAP, sssd), and gives the groups the peer really has
 * rather than what the group database says now. */
static void
read_peer_credentials(Connection *conn, int fd)
{
  struct ucred cred;
  socklen_t length = sizeof cred;
  g_autoptr(GArray) groups = g_array_sized_new(FALSE, FALSE, sizeof(gid_t), 32);

  conn->uid = (uid_t)-1;
  conn->gid = (gid_t)-1;
  conn->pid = 0;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0 && length == sizeof cred) {
    conn->uid = cred.uid;
    conn->gid = cred.gid;
    conn->pid = cred.pid;
  }
  length = 32 * sizeof(gid_t);
  for (;;) {
    g_array_set_size(groups, length / sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups->data, &length) == 0)
      break;
    if (errno != ERANGE) /* an older kernel: no supplementary groups known */
      return;
    /* ERANGE: @length now says how much it takes */
  }
  g_array_set_size(groups, length / sizeof(gid_t));
  conn->groups = g_steal_pointer(&groups);
}

static guint
server_count_uid(PassVarlinkServer *server, uid_t uid)
{
  guint n = 0;

  for (GList *l = server->connections; l; l = l->next)
    n += ((Connection *)l->data)->uid == uid;
  return n;
}

/* Logged at most every few seconds: a connect flood must not flood the journal too. */
static void server_refuse(PassVarlinkServer *server, GSocket *client, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static void
server_refuse(PassVarlinkServer *server, GSocket *client, const char *format, ...)
{
  gint64 now = g_get_monotonic_time();

  server->n_refused++;
  if (server->refused_logged_at == 0 || now - server->refused_logged_at >= 10 * G_USEC_PER_SEC) {
    g_autofree char *why = NULL;
    va_list args;

    va_start(args, format);
    why = g_strdup_vprintf(format, args);
    va_end(args);
    g_message("Refusing varlink connections: %s (%u refused)", why, server->n_refused);
    server->refused_logged_at = now;
    server->n_refused = 0;
  }
  g_socket_close(client, NULL);
}

static void
server_accept_one(PassVarlinkServer *server, GSocket *client)
{
  Connection *conn = g_new0(Connection, 1);

  read_peer_credentials(conn, g_socket_get_fd(client));
  if (server->n_connections >= server->max_connections ||
      server_count_uid(server, conn->uid) >= server->max_connections_per_uid)
    server_reap_hung_up(server);
  if (server->n_connections >= server->max_connections) {
    server_refuse(server, client, "limit of %u reached", server->max_connections);
  } else if (server_count_uid(server, conn->uid) >= server->max_connections_per_uid) {
    server_refuse(server, client, "uid %d has the limit of %u per uid", (int)conn->uid,
                  server->max_connections_per_uid);
  } else {
    conn->ref_count = 1; /* the server's */
    conn->server = server;
    conn->socket = g_object_ref(client);
    conn->output = g_byte_array_new();
    pass_varlink_input_init(&conn->input, server->max_message);
    g_socket_set_blocking(client, FALSE);

    conn->source = g_source_new(&connection_source_funcs, sizeof(ConnectionSource));
    ((ConnectionSource *)conn->source)->connection = conn;
    g_source_set_name(conn->source, "passd varlink connection");
    conn->fd_tag =
        g_source_add_unix_fd(conn->source, g_socket_get_fd(client), G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_attach(conn->source, server->context);

    server->connections = g_list_prepend(server->connections, conn);
    server->n_connections++;
    g_debug("Varlink connection from uid %d, pid %d", (int)conn->uid, (int)conn->pid);
    return;
  }
  g_clear_pointer(&conn->groups, g_array_unref);
  g_free(conn);
}

static gboolean
listener_accept_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Listener *listener = user_data;

  for (;;) {
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocket) client = g_socket_accept(socket, NULL, &error);
    if (client == NULL) {
      if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        g_warning("Cannot accept a varlink connection: %s", error->message);
      break;
    }
    server_accept_one(listener->server, client);
  }
  return G_SOURCE_CONTINUE;
}

static void
server_add_listener(PassVarlinkServer *server, GSocket *socket)
{
  Listener *listener = g_new0(Listener, 1);

  listener->server = server;
  listener->socket = g_object_ref(socket);
  g_socket_set_blocking(socket, FALSE);
  listener->source = g_socket_create_source(socket, G_IO_IN, NULL);
  g_source_set_callback(listener->source, G_SOURCE_FUNC(listener_accept_cb), listener, NULL);
  g_source_attach(listener->source, server->context);
  g_ptr_array_add(server->listeners, listener);
}

/* Removes @path if it is a socket nobody listens on; an error for anything else there. */
static gboolean
remove_stale_socket(const char *path, GError **error)
{
  struct stat st;

  if (g_lstat(path, &st) < 0)
    return TRUE;
  if (!S_ISSOCK(st.st_mode)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s exists and is not a socket", path);
    return FALSE;
  }

  g_autoptr(GSocket) probe =
      g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
  if (probe && g_socket_connect(probe, address, NULL, NULL)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, "Another process is listening on %s",
                path);
    return FALSE;
  }
  if (g_unlink(path) < 0 && errno != ENOENT) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "Cannot remove stale %s: %s", path,
                g_strerror(saved));
    return FALSE;
  }
  return TRUE;
}

/* The socket file is born with at most @mode (its owner's bits): nobody else can connect in the
 * moment before it gets its final group and mode. Only at start-up, so the process-wide umask
 * is ours to borrow. */
static gboolean
bind_with_mode(GSocket *socket, GSocketAddress *address, mode_t mode, GError **error)
{
  mode_t saved = umask(0777 & ~(mode & 0700));
  gboolean ok = g_socket_bind(socket, address, FALSE, error);

  umask(saved);
  return ok;
}

gboolean
pass_varlink_server_listen_path(PassVarlinkServer *server, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(path);
  g_autoptr(GError) local_error = NULL;
  struct stat st;

  if (g_mkdir_with_parents(dir, 0755) < 0) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "Cannot create %s: %s", dir,
                g_strerror(saved));
    return FALSE;
  }
  if (!remove_stale_socket(path, error))
    return FALSE;

  g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_DEFAULT, &local_error);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
  /* GLib's default backlog of 10 refuses bursts of clients connecting at once (EAGAIN). */
  if (socket)
    g_socket_set_listen_backlog(socket, SOMAXCONN);
  if (socket == NULL || !bind_with_mode(socket, address, server->socket_mode, &local_error) ||
      !g_socket_listen(socket, &local_error)) {
    g_set_error(error, local_error->domain, local_error->code, "Cannot listen on %s: %s", path,
                local_error->message);
    return FALSE;
  }
  /* Group first: the file only opens to the group once it is the group's. */
  if ((server->socket_group != (gid_t)-1 && chown(path, (uid_t)-1, server->socket_group) < 0) ||
      chmod(path, server->socket_mode) < 0) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "Cannot set the access of %s: %s",
                path, g_strerror(saved));
    g_unlink(path);
    return FALSE;
  }
  if (g_lstat(path, &st) == 0 && server->socket_path == NULL) {
    server->socket_path = g_strdup(path);
    server->socket_dev = st.st_dev;
    server->socket_ino = st.st_ino;
  }
  server_add_listener(server, socket);
  return TRUE;
}

gboolean
pass_varlink_server_listen_fd(PassVarlinkServer *server, int fd, GError **error)
{
  g_autoptr(GSocket) socket = g_socket_new_from_fd(fd, error);

  if (socket == NULL)
    return FALSE;
  server_add_listener(server, socket);
  return TRUE;
}
