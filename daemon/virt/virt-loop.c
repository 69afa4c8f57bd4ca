#define G_LOG_DOMAIN "passd-virt"

#include "virt-private.h"

#include <libvirt/virterror.h>

/* ---- libvirt's event loop ----
 * libvirt 9's default event implementation lives in GLib's global default main context. When
 * the caller's context is that one, the caller's loop drives libvirt's events (our callbacks
 * only queue work, so that is cheap); otherwise one thread per process iterates it. Two threads
 * must never iterate one context: sources would be dispatched on either. */

static GMutex loop_lock;
static guint loop_users;
static GThread *loop_thread;
static int loop_timer = -1;
static gint loop_quit;

static void
ignore_libvirt_error(void *opaque, virErrorPtr error)
{
  /* Errors reach callers as GErrors; libvirt must not print them on stderr. */
}

void
pass_virt_loop_init(void)
{
  static gsize done = 0;

  if (g_once_init_enter(&done)) {
    virInitialize();
    virSetErrorFunc(NULL, ignore_libvirt_error);
    /* Must precede the first connection so it gets event and keep-alive support. */
    if (virEventRegisterDefaultImpl() < 0)
      g_warning("cannot register libvirt's event loop");
    g_once_init_leave(&done, 1);
  }
}

/* Armed (interval 0) only to stop the loop; removes itself so nothing is left behind. */
static void
loop_wake(int timer, void *opaque)
{
  if (g_atomic_int_get(&loop_quit))
    virEventRemoveTimeout(timer);
}

static gpointer
loop_run(gpointer data)
{
  while (!g_atomic_int_get(&loop_quit)) {
    if (virEventRunDefaultImpl() < 0) {
      g_warning("libvirt event loop failed; retrying");
      g_usleep(G_USEC_PER_SEC / 10);
    }
  }
  /* libvirt frees removed timers and handles from idle callbacks: let them run. */
  while (g_main_context_iteration(NULL, FALSE))
    ;
  return NULL;
}

void
pass_virt_loop_acquire(void)
{
  g_mutex_lock(&loop_lock);
  if (loop_users++ == 0) {
    g_atomic_int_set(&loop_quit, 0);
    loop_timer = virEventAddTimeout(-1, loop_wake, NULL, NULL);
    loop_thread = g_thread_new("passd-virt-ev", loop_run, NULL);
  }
  g_mutex_unlock(&loop_lock);
}

void
pass_virt_loop_release(void)
{
  g_mutex_lock(&loop_lock);
  if (--loop_users == 0) {
    g_atomic_int_set(&loop_quit, 1);
    /* A zero interval makes a running poll return and a starting one not block. */
    virEventUpdateTimeout(loop_timer, 0);
    g_thread_join(g_steal_pointer(&loop_thread));
    loop_timer = -1;
  }
  g_mutex_unlock(&loop_lock);
}
