/* The only code that talks to libvirt. Owns the connection (reconnecting with back-off when it
 * drops or cannot be made), keeps libvirt's event loop running, and does every blocking libvirt
 * call on worker threads; results and events reach the caller on the main context the PassVirt
 * was created on. libvirt 9 keeps its events in GLib's global default context: when that is the
 * caller's context, the caller's loop drives them (libvirt's callbacks only queue work); on any
 * other context a thread of ours iterates it. */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "device.h"
#include "domain.h"

G_BEGIN_DECLS

typedef struct _PassVirt PassVirt;

/* Every callback runs on the creating main context. Pointers are borrowed for the call: take a
 * ref (pass_device_ref, pass_domain_ref, g_ptr_array_ref) to keep them. Any may be NULL. */
typedef struct {
  /* The connection came up (@connected, @message NULL) or went away (@message says why). */
  void (*connection_changed)(gboolean connected, const char *message, gpointer user_data);
  /* After every (re)connect, before any other event from that connection: the whole picture,
   * replacing whatever the caller had. @devices: PassDevice*, @domains: PassDomain*. */
  void (*snapshot)(GPtrArray *devices, GPtrArray *domains, gpointer user_data);
  /* A device appeared or was re-read (it may be equal to what the caller has). */
  void (*device_changed)(PassDevice *device, gpointer user_data);
  void (*device_removed)(const char *address, gpointer user_data);
  /* A domain was defined, started, stopped, or gained or lost a device; re-read whole. */
  void (*domain_changed)(PassDomain *domain, gpointer user_data);
  /* A domain is gone (undefined and not running). */
  void (*domain_removed)(const char *name, gpointer user_data);
  /* libvirt's DEVICE_REMOVED (@failed FALSE) or DEVICE_REMOVAL_FAILED (@failed TRUE) for the
   * device with alias @alias; domain_changed for @domain follows. */
  void (*domain_device_removed)(const char *domain, const char *alias, gboolean failed,
                                gpointer user_data);
  /* libvirt's REBOOT: the guest reset (a guest reboot, virsh reset, a watchdog). */
  void (*domain_rebooted)(const char *domain, gpointer user_data);
  /* The host kernel added or removed the PCI function @address (its uevents; local hosts only,
   * see pass_virt_watch_uevents). libvirt's device_changed or device_removed for it comes
   * later, once udevd has handled it, or never for a device gone before libvirt saw it. */
  void (*kernel_device_added)(const char *address, gpointer user_data);
  void (*kernel_device_removed)(const char *address, gpointer user_data);
} PassVirtCallbacks;

PassVirt *pass_virt_new(const char *uri, const PassVirtCallbacks *callbacks, gpointer user_data);
/* Stops the event thread and the workers (waiting for running jobs) and closes the connection. */
void pass_virt_free(PassVirt *virt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassVirt, pass_virt_free)

/* Connect in the background; keeps retrying until connected, and reconnects after a loss. */
void pass_virt_start(PassVirt *virt);
const char *pass_virt_get_uri(PassVirt *virt);

/* Re-read a device when the host kernel reports a driver bind/unbind for it (libvirt raises no
 * event for that). On by default for local non-test URIs after pass_virt_start; call before
 * pass_virt_start to override. */
void pass_virt_watch_uevents(PassVirt *virt, gboolean watch);
gboolean pass_virt_is_connected(PassVirt *virt);

/* Re-read one device (e.g. after its driver binding changed); device_changed or device_removed
 * follows. Ordered with the event stream: never overtaken by an older read. */
void pass_virt_refresh_device(PassVirt *virt, const char *address);
/* Re-read one domain; domain_changed or domain_removed follows. */
void pass_virt_refresh_domain(PassVirt *virt, const char *name);

/* Run @func on a worker thread with the current connection (NULL conn is never passed: the job
 * fails with PASS_ERROR_HYPERVISOR_UNAVAILABLE when disconnected); @callback runs on the main
 * context; get @func's result with pass_virt_run_finish(). The building block for operations. */
typedef gpointer (*PassVirtJobFunc)(virConnectPtr conn, gpointer data, GError **error);
void pass_virt_run_async(PassVirt *virt, PassVirtJobFunc func, gpointer data,
                         GDestroyNotify data_free, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data);
gpointer pass_virt_run_finish(PassVirt *virt, GAsyncResult *result, GError **error);

/* Set @error from libvirt's last error on this thread: PASS_ERROR_NO_SUCH_DOMAIN,
 * PASS_ERROR_NO_SUCH_DEVICE where libvirt says so, else PASS_ERROR_HYPERVISOR_ERROR; the message
 * is "@what: libvirt's message". Always returns FALSE (for "return pass_virt_error(...)"). */
gboolean pass_virt_set_error(GError **error, const char *what);
/* The same for a call on @conn, which may be why it failed: when libvirt went away (libvirtd
 * exited, or stopped answering and keep-alive gave up) it is PASS_ERROR_HYPERVISOR_UNAVAILABLE,
 * "@what: libvirt at URI went away (libvirt's message)". */
gboolean pass_virt_set_call_error(virConnectPtr conn, GError **error, const char *what);

/* ---- when libvirt goes away ----
 * A call in progress fails with PASS_ERROR_HYPERVISOR_UNAVAILABLE (pass_virt_set_call_error):
 * at once when libvirtd's socket closes (it exited or was killed); when libvirtd stops answering
 * (SIGSTOP, a hang), once libvirt's keep-alive gives up: a ping after
 * PASS_VIRT_KEEPALIVE_INTERVAL_S s without a message from libvirtd, closed after
 * PASS_VIRT_KEEPALIVE_COUNT unanswered ones, so within 5 * (3 + 1) = 20 s of libvirtd's last
 * message. A job started while disconnected fails at once. Remote URIs only (qemu:///system is
 * one: it talks to libvirtd); in-process drivers (test:///) cannot go away. */
#define PASS_VIRT_KEEPALIVE_INTERVAL_S 5
#define PASS_VIRT_KEEPALIVE_COUNT      3
/* Reconnecting: after a loss one attempt at once, then retry number @attempt (0, 1, ...) of this
 * outage waits this long: 0.5 s, doubling, at most 10 s. Each outage starts again at 0 (a
 * connection that came up and read its snapshot ends the outage). Each retry is logged as
 * "libvirt at URI gone: WHY; retrying in N s". */
guint pass_virt_retry_delay_ms(guint attempt);

/* Auto-cleanups for libvirt's types. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virNodeDevice, virNodeDeviceFree)

G_END_DECLS
