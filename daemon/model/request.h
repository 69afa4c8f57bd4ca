/* Who asked for what: made by the service for every call and handed to every operation, so
 * logs (and later the journal and an audit trail) can name the caller. Immutable once made;
 * shared by reference, since an operation (a pending unplug) can outlive its call. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct {
  guint64 id;     /* unique in this passd's life, from 1 */
  char *method;   /* "Attach", ...: the method's short name */
  uid_t uid;      /* the peer's credentials at connect time (SO_PEERCRED) */
  gid_t gid;      /* its primary group; (gid_t)-1 when unknown */
  pid_t pid;      /* 0 when unknown */
  GArray *groups; /* gid_t: its supplementary groups (SO_PEERGROUPS); NULL when unknown */
} PassRequest;

/* @method: the short method name; @groups (may be NULL) is shared, not copied. Ids count up
 * from 1 per process. */
PassRequest *pass_request_new(const char *method, uid_t uid, gid_t gid, pid_t pid, GArray *groups);
PassRequest *pass_request_ref(PassRequest *request);
void pass_request_unref(PassRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassRequest, pass_request_unref)

/* "request 12 (Attach, uid 0, pid 4711)": for log lines. */
char *pass_request_describe(const PassRequest *request);

G_END_DECLS
