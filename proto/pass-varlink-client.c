#include "pass-varlink.h"

#include <gio/gunixsocketaddress.h>
#include <string.h>

#include "pass-error.h"
#include "pass-varlink-private.h"

#define READ_CHUNK (64 * 1024)

struct _PassVarlinkClient {
  GSocket *socket;
  char *path;
  PassVarlinkInput input;
  /* Set once the stream is out of step (protocol error, disconnect, abandoned "more" call):
   * every later call fails with this. */
  GError *broken;
};

PassVarlinkClient *
pass_varlink_client_connect(const char *path, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_DEFAULT, &local_error);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);

  if (socket == NULL || !g_socket_connect(socket, address, NULL, &local_error)) {
    /* GLib's message does not say which socket; the path is what the user can act on. */
    const char *reason = local_error->message;
    if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      reason = "no such socket";
    else if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
      reason = "connection refused (is the service running?)";
    else if (g_error_matches(local_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
      reason = "permission denied";
    g_set_error(error, local_error->domain, local_error->code, "Cannot connect to %s: %s", path,
                reason);
    return NULL;
  }

  PassVarlinkClient *client = g_new0(PassVarlinkClient, 1);
  client->socket = g_steal_pointer(&socket);
  client->path = g_strdup(path);
  pass_varlink_input_init(&client->input, PASS_VARLINK_DEFAULT_MAX_MESSAGE);
  return client;
}

void
pass_varlink_client_free(PassVarlinkClient *client)
{
  if (client == NULL)
    return;
  g_socket_close(client->socket, NULL);
  g_object_unref(client->socket);
  pass_varlink_input_clear(&client->input);
  g_clear_error(&client->broken);
  g_free(client->path);
  g_free(client);
}

/* Marks the client unusable with @error's reason and passes @error on. */
static gboolean
client_fail(PassVarlinkClient *client, GError *error, GError **out)
{
  if (client->broken == NULL)
    client->broken = g_error_copy(error);
  g_propagate_error(out, error);
  return FALSE;
}

static gboolean
client_check(PassVarlinkClient *client, GError **error)
{
  if (client->broken) {
    g_set_error(error, client->broken->domain, client->broken->code,
                "Connection to %s is no longer usable: %s", client->path, client->broken->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
client_send(PassVarlinkClient *client, const char *method, JsonObject *parameters, gboolean more,
            GError **error)
{
  g_autoptr(JsonObject) message = json_object_new();
  gsize length;

  json_object_set_string_member(message, "method", method);
  json_object_set_object_member(message, "parameters",
                                parameters ? json_object_ref(parameters) : json_object_new());
  if (more)
    json_object_set_boolean_member(message, "more", TRUE);
  g_autofree char *text = pass_varlink_message_serialize(message, &length);

  for (gsize sent = 0; sent < length;) {
    GError *local_error = NULL;
    gssize n = g_socket_send(client->socket, text + sent, length - sent, NULL, &local_error);
    if (n < 0) {
      GError *e = g_error_new(PASS_ERROR, PASS_ERROR_DISCONNECTED, "Cannot send to %s: %s",
                              client->path, local_error->message);
      g_error_free(local_error);
      return client_fail(client, e, error);
    }
    sent += (gsize)n;
  }
  return TRUE;
}

/* Blocks until the next message has arrived: its text, borrowed until the next read. */
static gboolean
client_read(PassVarlinkClient *client, const char **text, gsize *length, GError **error)
{
  GError *local_error = NULL;

  for (;;) {
    if (!pass_varlink_input_next(&client->input, text, length, &local_error))
      return client_fail(client, local_error, error);
    if (*text)
      return TRUE;
    guint8 *buffer = pass_varlink_input_reserve(&client->input, READ_CHUNK);
    gssize n = g_socket_receive(client->socket, (char *)buffer, READ_CHUNK, NULL, &local_error);
    pass_varlink_input_commit(&client->input, READ_CHUNK, n > 0 ? (gsize)n : 0);
    if (n <= 0) {
      GError *e = g_error_new(PASS_ERROR, PASS_ERROR_DISCONNECTED,
                              "%s closed the connection before replying%s%s", client->path,
                              local_error ? ": " : "", local_error ? local_error->message : "");
      g_clear_error(&local_error);
      return client_fail(client, e, error);
    }
  }
}

static gboolean
client_malformed(PassVarlinkClient *client, GError **error)
{
  return client_fail(
      client, g_error_new(PASS_ERROR, PASS_ERROR_PROTOCOL, "Malformed reply from %s", client->path),
      error);
}

/* A reply's text as a tree: its parameters, whether it continues, and the error name if it is
 * an error reply. */
static JsonObject *
client_decode(PassVarlinkClient *client, const char *text, gsize length, gboolean *continues,
              char **error_name, GError **error)
{
  GError *local_error = NULL;
  g_autoptr(JsonObject) reply = pass_varlink_message_parse(text, length, &local_error);

  if (reply == NULL) {
    client_fail(client, local_error, error);
    return NULL;
  }

  JsonNode *error_node = json_object_get_member(reply, "error");
  JsonNode *parameters_node = json_object_get_member(reply, "parameters");
  JsonNode *continues_node = json_object_get_member(reply, "continues");
  if ((error_node && json_node_get_value_type(error_node) != G_TYPE_STRING) ||
      (parameters_node && !JSON_NODE_HOLDS_NULL(parameters_node) &&
       !JSON_NODE_HOLDS_OBJECT(parameters_node)) ||
      (continues_node && json_node_get_value_type(continues_node) != G_TYPE_BOOLEAN)) {
    client_malformed(client, error);
    return NULL;
  }

  *continues = continues_node && json_node_get_boolean(continues_node);
  *error_name = error_node ? g_strdup(json_node_get_string(error_node)) : NULL;
  if (parameters_node && JSON_NODE_HOLDS_OBJECT(parameters_node))
    return json_object_ref(json_node_get_object(parameters_node));
  return json_object_new();
}

/* Blocks until the next reply and decodes it (see client_decode()). */
static JsonObject *
client_receive(PassVarlinkClient *client, gboolean *continues, char **error_name, GError **error)
{
  const char *text;
  gsize length;

  if (!client_read(client, &text, &length, error))
    return NULL;
  return client_decode(client, text, length, continues, error_name, error);
}

static const char *
string_member(JsonObject *object, const char *key)
{
  JsonNode *node = json_object_get_member(object, key);

  if (node && json_node_get_value_type(node) == G_TYPE_STRING)
    return json_node_get_string(node);
  return NULL;
}

/* "NoSuchDevice" -> "No such device". */
static char *
sentence_from_name(const char *name)
{
  const char *last = strrchr(name, '.');
  GString *s = g_string_new(NULL);

  for (const char *p = last ? last + 1 : name; *p; p++) {
    if (g_ascii_isupper(*p) && s->len > 0)
      g_string_append_c(s, ' ');
    g_string_append_c(s, s->len == 0 ? *p : g_ascii_tolower(*p));
  }
  return g_string_free(s, FALSE);
}

/* The error's own "message" if it has one; else a sentence from the name and its parameter. */
static char *
error_message(const char *name, JsonObject *parameters)
{
  const char *message = string_member(parameters, "message");
  const char *parameter = string_member(parameters, "parameter");
  const char *interface = string_member(parameters, "interface");
  const char *method = string_member(parameters, "method");

  if (message)
    return g_strdup(message);
  if (g_str_equal(name, "org.varlink.service.InvalidParameter") && parameter)
    return g_strdup_printf("Invalid parameter '%s'", parameter);
  if (g_str_equal(name, "org.varlink.service.InterfaceNotFound") && interface)
    return g_strdup_printf("Interface '%s' not found", interface);
  if (g_str_equal(name, "org.varlink.service.MethodNotFound") && method)
    return g_strdup_printf("Method '%s' not found", method);
  if (g_str_equal(name, "org.varlink.service.MethodNotImplemented") && method)
    return g_strdup_printf("Method '%s' not implemented", method);
  if (g_str_equal(name, "org.varlink.service.ExpectedMore"))
    return g_strdup("The method must be called with \"more\"");

  /* Otherwise the name as words, plus the first string parameter for context. */
  g_autofree char *sentence = sentence_from_name(name);
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;
  json_object_iter_init(&iter, parameters);
  while (json_object_iter_next(&iter, &member, &node))
    if (json_node_get_value_type(node) == G_TYPE_STRING)
      return g_strdup_printf("%s (%s '%s')", sentence, member, json_node_get_string(node));
  return g_steal_pointer(&sentence);
}

/* FALSE, with @error set, when a decoded reply is an error reply or breaks the protocol
 * ("continues" where it may not); an error's parameters go to @error_parameters if given. */
static gboolean
client_check_reply(PassVarlinkClient *client, gboolean more, gboolean continues,
                   const char *error_name, JsonObject **parameters, JsonObject **error_parameters,
                   GError **error)
{
  if (continues && (!more || error_name)) {
    return client_fail(client,
                       g_error_new(PASS_ERROR, PASS_ERROR_PROTOCOL,
                                   "%s sent \"continues\" where it may not", client->path),
                       error);
  }
  if (error_name) {
    g_autofree char *message = error_message(error_name, *parameters);
    g_set_error_literal(error, PASS_ERROR, pass_error_from_name(error_name), message);
    if (error_parameters)
      *error_parameters = g_steal_pointer(parameters);
    return FALSE;
  }
  return TRUE;
}

/* Reads replies to the call just sent until the final one or @func stops. */
static gboolean
client_receive_replies(PassVarlinkClient *client, gboolean more, PassVarlinkReplyFunc func,
                       gpointer user_data, JsonObject **result, JsonObject **error_parameters,
                       GError **error)
{
  for (;;) {
    g_autofree char *error_name = NULL;
    gboolean continues = FALSE;
    g_autoptr(JsonObject) parameters = client_receive(client, &continues, &error_name, error);

    if (parameters == NULL)
      return FALSE;
    if (!client_check_reply(client, more, continues, error_name, &parameters, error_parameters,
                            error))
      return FALSE;
    if (result) {
      *result = g_steal_pointer(&parameters);
      return TRUE;
    }
    if (!func(parameters, continues, user_data)) {
      if (continues) {
        /* The rest of the stream would arrive in answer to the next call. */
        client->broken = g_error_new(PASS_ERROR, PASS_ERROR_DISCONNECTED,
                                     "a \"more\" call was abandoned before its final reply");
        g_socket_shutdown(client->socket, TRUE, TRUE, NULL);
      }
      return TRUE;
    }
    if (!continues)
      return TRUE;
  }
}

JsonObject *
pass_varlink_client_call(PassVarlinkClient *client, const char *method, JsonObject *parameters,
                         JsonObject **error_parameters, GError **error)
{
  JsonObject *result = NULL;

  if (error_parameters)
    *error_parameters = NULL;
  if (!client_check(client, error) || !client_send(client, method, parameters, FALSE, error))
    return NULL;
  if (!client_receive_replies(client, FALSE, NULL, NULL, &result, error_parameters, error))
    return NULL;
  return result;
}

gboolean
pass_varlink_client_call_more(PassVarlinkClient *client, const char *method, JsonObject *parameters,
                              PassVarlinkReplyFunc func, gpointer user_data,
                              JsonObject **error_parameters, GError **error)
{
  if (error_parameters)
    *error_parameters = NULL;
  if (!client_check(client, error) || !client_send(client, method, parameters, TRUE, error))
    return FALSE;
  return client_receive_replies(client, TRUE, func, user_data, NULL, error_parameters, error);
}

/* The reply is checked in one pass and its parameters cut out of it: no tree is built, which
 * for a large reply (the whole inventory) is most of a call's cost. Error replies, and the
 * odd reply whose keys are spelt with escapes, take the tree path so they read the same. */
char *
pass_varlink_client_call_raw(PassVarlinkClient *client, const char *method, JsonObject *parameters,
                             gsize *length, JsonObject **error_parameters, GError **error)
{
  PassJsonMember members[] = {{"parameters", NULL, 0}, {"error", NULL, 0}, {"continues", NULL, 0}};
  const PassJsonMember *params = &members[0], *continues = &members[2];
  GError *local_error = NULL;
  gboolean escaped_keys = FALSE;
  const char *text;
  gsize text_length;

  if (error_parameters)
    *error_parameters = NULL;
  if (!client_check(client, error) || !client_send(client, method, parameters, FALSE, error) ||
      !client_read(client, &text, &text_length, error))
    return NULL;
  if (!pass_varlink_message_check(text, text_length, members, G_N_ELEMENTS(members), &escaped_keys,
                                  &local_error)) {
    client_fail(client, local_error, error);
    return NULL;
  }

  if (escaped_keys || members[1].value != NULL) {
    g_autofree char *error_name = NULL;
    gboolean is_continued = FALSE;
    g_autoptr(JsonObject) reply =
        client_decode(client, text, text_length, &is_continued, &error_name, error);

    if (reply == NULL || !client_check_reply(client, FALSE, is_continued, error_name, &reply,
                                             error_parameters, error))
      return NULL;
    char *serialized = pass_varlink_message_serialize(reply, length);
    if (length)
      *length -= 1;
    return serialized;
  }

  if (continues->value != NULL) {
    gboolean is_true = continues->length == 4 && memcmp(continues->value, "true", 4) == 0;
    gboolean is_false = continues->length == 5 && memcmp(continues->value, "false", 5) == 0;
    if (is_true)
      client_check_reply(client, FALSE, TRUE, NULL, NULL, NULL, error);
    else if (!is_false)
      client_malformed(client, error);
    if (!is_false)
      return NULL;
  }
  if (params->value == NULL || (params->length == 4 && memcmp(params->value, "null", 4) == 0)) {
    if (length)
      *length = 2;
    return g_strdup("{}");
  }
  if (params->value[0] != '{') {
    client_malformed(client, error);
    return NULL;
  }
  if (length)
    *length = params->length;
  return g_strndup(params->value, params->length);
}
