/* FIFO shared/exclusive key locks (see tx-locks.h). */
#include "tx-locks.h"

typedef struct {
  guint shared;
  gboolean exclusive;
} KeyState;

struct _PassLockRequest {
  GStrv exclusive, shared;
  PassLockGrantFunc func;
  gpointer user_data;
  gboolean granted;
};

struct _PassLocks {
  GHashTable *held; /* key -> KeyState */
  GQueue waiting;   /* PassLockRequest*, oldest first */
  gboolean pumping, again;
};

static void
request_free(PassLockRequest *request)
{
  g_strfreev(request->exclusive);
  g_strfreev(request->shared);
  g_free(request);
}

PassLocks *
pass_locks_new(void)
{
  PassLocks *locks = g_new0(PassLocks, 1);

  locks->held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init(&locks->waiting);
  return locks;
}

void
pass_locks_free(PassLocks *locks)
{
  if (!locks)
    return;
  g_queue_clear_full(&locks->waiting, (GDestroyNotify)request_free);
  g_hash_table_unref(locks->held);
  g_free(locks);
}

static gboolean
compatible(GHashTable *table, const PassLockRequest *request)
{
  for (guint i = 0; request->exclusive && request->exclusive[i]; i++) {
    KeyState *state = g_hash_table_lookup(table, request->exclusive[i]);

    if (state && (state->exclusive || state->shared))
      return FALSE;
  }
  for (guint i = 0; request->shared && request->shared[i]; i++) {
    KeyState *state = g_hash_table_lookup(table, request->shared[i]);

    if (state && state->exclusive)
      return FALSE;
  }
  return TRUE;
}

static KeyState *
state_get(GHashTable *table, const char *key)
{
  KeyState *state = g_hash_table_lookup(table, key);

  if (!state) {
    state = g_new0(KeyState, 1);
    g_hash_table_insert(table, g_strdup(key), state);
  }
  return state;
}

static void
take(GHashTable *table, const PassLockRequest *request)
{
  for (guint i = 0; request->exclusive && request->exclusive[i]; i++)
    state_get(table, request->exclusive[i])->exclusive = TRUE;
  for (guint i = 0; request->shared && request->shared[i]; i++)
    state_get(table, request->shared[i])->shared++;
}

static void
give_back(GHashTable *table, const PassLockRequest *request)
{
  for (guint i = 0; request->exclusive && request->exclusive[i]; i++)
    g_hash_table_remove(table, request->exclusive[i]);
  for (guint i = 0; request->shared && request->shared[i]; i++) {
    KeyState *state = g_hash_table_lookup(table, request->shared[i]);

    if (state && --state->shared == 0 && !state->exclusive)
      g_hash_table_remove(table, request->shared[i]);
  }
}

/* Grant whatever can run now, in queue order. Not re-entered: a grant callback that releases
 * or acquires makes the running pump go round again. */
static void
pump(PassLocks *locks)
{
  if (locks->pumping) {
    locks->again = TRUE;
    return;
  }
  locks->pumping = TRUE;
  do {
    g_autoptr(GHashTable) reserved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GPtrArray) ready = g_ptr_array_new();

    locks->again = FALSE;
    for (GList *l = locks->waiting.head; l;) {
      GList *next = l->next;
      PassLockRequest *request = l->data;

      if (compatible(locks->held, request) && compatible(reserved, request)) {
        take(locks->held, request);
        request->granted = TRUE;
        g_queue_delete_link(&locks->waiting, l);
        g_ptr_array_add(ready, request);
      } else {
        take(reserved, request);
      }
      l = next;
    }
    for (guint i = 0; i < ready->len; i++) {
      PassLockRequest *request = g_ptr_array_index(ready, i);

      request->func(request, request->user_data);
    }
  } while (locks->again);
  locks->pumping = FALSE;
}

PassLockRequest *
pass_locks_acquire(PassLocks *locks, const char *const *exclusive, const char *const *shared,
                   PassLockGrantFunc func, gpointer user_data)
{
  PassLockRequest *request = g_new0(PassLockRequest, 1);

  request->exclusive = g_strdupv((char **)exclusive);
  request->shared = g_strdupv((char **)shared);
  request->func = func;
  request->user_data = user_data;
  g_queue_push_tail(&locks->waiting, request);
  pump(locks);
  return request;
}

void
pass_locks_release(PassLocks *locks, PassLockRequest *request)
{
  if (!request)
    return;
  if (request->granted)
    give_back(locks->held, request);
  else
    g_queue_remove(&locks->waiting, request);
  request_free(request);
  pump(locks);
}

guint
pass_locks_get_n_waiting(PassLocks *locks)
{
  return locks->waiting.length;
}
