#include "request.h"

static void
request_clear(gpointer data)
{
  PassRequest *request = data;

  g_free(request->method);
  g_clear_pointer(&request->groups, g_array_unref);
}

PassRequest *
pass_request_new(const char *method, uid_t uid, gid_t gid, pid_t pid, GArray *groups)
{
  static guint64 last_id;
  PassRequest *request = g_atomic_rc_box_new0(PassRequest);

  request->id = ++last_id; /* main context only */
  request->method = g_strdup(method);
  request->uid = uid;
  request->gid = gid;
  request->pid = pid;
  request->groups = groups ? g_array_ref(groups) : NULL;
  return request;
}

PassRequest *
pass_request_ref(PassRequest *request)
{
  return g_atomic_rc_box_acquire(request);
}

void
pass_request_unref(PassRequest *request)
{
  if (request)
    g_atomic_rc_box_release_full(request, request_clear);
}

char *
pass_request_describe(const PassRequest *request)
{
  if (!request)
    return g_strdup("internal request");
  return g_strdup_printf("request %" G_GUINT64_FORMAT " (%s, uid %u, pid %d)", request->id,
                         request->method, (unsigned)request->uid, (int)request->pid);
}
