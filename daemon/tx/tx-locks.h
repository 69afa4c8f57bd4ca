/* Per-key locks for the engine's operations, on the main context only (no threads involved:
 * an operation holds its keys while its worker job and its waits run). A request names keys it
 * needs exclusively and keys it shares; it is granted when none conflicts with a held key or
 * with a key of an earlier request still waiting (FIFO: nobody overtakes and starves a waiter).
 * Shared keys let two VFs of one PF run together while the PF itself (taken exclusively) waits
 * for both. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PassLocks PassLocks;
typedef struct _PassLockRequest PassLockRequest;

/* Called once the request holds its keys; may release it or start other requests. */
typedef void (*PassLockGrantFunc)(PassLockRequest *request, gpointer user_data);

PassLocks *pass_locks_new(void);
/* Drops waiting requests without calling them. */
void pass_locks_free(PassLocks *locks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassLocks, pass_locks_free)

/* @exclusive, @shared: NULL-terminated, may be NULL; copied. @func may run before this
 * returns (and may release the request there), so keep the request @func is given rather than
 * the return value. A request stays valid until pass_locks_release(). */
PassLockRequest *pass_locks_acquire(PassLocks *locks, const char *const *exclusive,
                                    const char *const *shared, PassLockGrantFunc func,
                                    gpointer user_data);
/* Give the keys back (or withdraw a request still waiting) and free @request. */
void pass_locks_release(PassLocks *locks, PassLockRequest *request);

/* Requests waiting for keys. */
guint pass_locks_get_n_waiting(PassLocks *locks);

G_END_DECLS
