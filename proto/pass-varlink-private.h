/* Internals shared by the varlink server, the client and the unit tests: message framing and
 * JSON encoding. Not part of the library's public contract. */
#pragma once

#include <json-glib/json-glib.h>

#include "pass-varlink.h"

G_BEGIN_DECLS

/* Accumulates bytes read from a socket and hands out complete NUL-terminated messages. */
typedef struct {
  GByteArray *data;
  gsize start;   /* first byte not handed out yet */
  gsize scanned; /* bytes in [start, scanned) are known to hold no NUL */
  gsize max_message;
} PassVarlinkInput;

void pass_varlink_input_init(PassVarlinkInput *input, gsize max_message);
void pass_varlink_input_clear(PassVarlinkInput *input);
void pass_varlink_input_append(PassVarlinkInput *input, const void *bytes, gsize length);
/* Room for @length more bytes at the end, to receive into; then commit what was filled. */
guint8 *pass_varlink_input_reserve(PassVarlinkInput *input, gsize length);
void pass_varlink_input_commit(PassVarlinkInput *input, gsize reserved, gsize used);
/* TRUE with *@message set to the next complete message (without its NUL; borrowed until the
 * next call on @input) or NULL when none is complete yet. FALSE (PASS_ERROR_PROTOCOL) when the
 * next message is, or can only become, longer than the limit. */
gboolean pass_varlink_input_next(PassVarlinkInput *input, const char **message, gsize *length,
                                 GError **error);
/* Bytes received and not handed out yet. */
gsize pass_varlink_input_get_pending(PassVarlinkInput *input);

/* A member of a message's outermost object, found while checking it: @value points into the
 * message text (NULL when absent; the last one wins when repeated), @length bytes long. */
typedef struct {
  const char *name; /* matched as written: a key spelt with escapes is not found */
  const char *value;
  gsize length;
} PassJsonMember;

/* One pass over @text: strict JSON (no extensions, depth-limited, UTF-8, no NULs in strings)
 * whose value is an object; fills @members (may be NULL when @n_members is 0) and, if given,
 * *@escaped_keys: whether an outermost key used escapes (so @members may have missed it).
 * PASS_ERROR_PROTOCOL otherwise. */
gboolean pass_varlink_message_check(const char *text, gsize length, PassJsonMember *members,
                                    guint n_members, gboolean *escaped_keys, GError **error);
/* One message's JSON, which must be an object (PASS_ERROR_PROTOCOL otherwise). */
JsonObject *pass_varlink_message_parse(const char *text, gsize length, GError **error);
/* @object as JSON text with its terminating NUL; *@length counts the NUL. */
char *pass_varlink_message_serialize(JsonObject *object, gsize *length);

/* Cap on queued, unwritten reply bytes per connection; a peer that lets more pile up is
 * dropped. For tests. */
#define PASS_VARLINK_DEFAULT_MAX_OUTPUT (64u * 1024 * 1024)
void pass_varlink_server_set_max_output(PassVarlinkServer *server, gsize max_output);

/* The built-in org.varlink.service interface file. */
extern const char pass_varlink_service_idl[];

G_END_DECLS
