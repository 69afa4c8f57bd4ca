/* The blocking steps behind Attach, Detach and Reattach, behind a small vtable so the
 * transactions run against libvirt and sysfs in the daemon (backend/) and against a recording
 * fake in unit tests. tx/ never calls libvirt or sysfs itself.
 *
 * Threads: run() and run_finish() are called on the main context; every other function is
 * called only from inside a job started with run(), on a worker thread, with the @worker handle
 * that job was given (the libvirt connection in production). */
#pragma once

#include <gio/gio.h>

#include "device.h"
#include "domain.h"
#include "mdev.h"

G_BEGIN_DECLS

typedef struct _PassOps PassOps;

/* An SR-IOV physical function as sysfs shows it (read_sriov). */
typedef struct {
  int totalvfs, numvfs;
  int autoprobe;  /* sriov_drivers_autoprobe: 0 or 1; -1: unknown */
  GPtrArray *vfs; /* char*: the VFs by index (virtfnN); NULL entries for gaps */
} PassOpsSriov;

static inline void
pass_ops_sriov_clear(PassOpsSriov *sriov)
{
  g_clear_pointer(&sriov->vfs, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PassOpsSriov, pass_ops_sriov_clear)

/* A job: runs on a worker, returns its result (or NULL with @error). */
typedef gpointer (*PassOpsJobFunc)(PassOps *ops, gpointer worker, gpointer data, GError **error);

typedef struct {
  /* Run @func on a worker thread; @callback runs on the caller's main context and gets the
   * result with run_finish(). Jobs may run in parallel. */
  void (*run)(PassOps *ops, PassOpsJobFunc func, gpointer data, GDestroyNotify data_free,
              GAsyncReadyCallback callback, gpointer user_data);
  gpointer (*run_finish)(PassOps *ops, GAsyncResult *result, GError **error);
  /* ---- blocking, on a worker ---- */
  /* Does the host need this device (mounted file systems, swap, routes, boot VGA, bridges)?
   * TRUE with @reason when it does. Reads procfs and sysfs, hence off the main loop. */
  gboolean (*check_protected)(PassOps *ops, gpointer worker, const char *address,
                              guint32 class_code, char **reason);
  /* Take @address from its host driver for vfio-pci. */
  gboolean (*detach_host)(PassOps *ops, gpointer worker, const char *address, GError **error);
  /* Give @address back: with @known, to exactly @driver (NULL: leave it unbound); otherwise to
   * whatever driver the kernel picks. */
  gboolean (*reattach_host)(PassOps *ops, gpointer worker, const char *address, gboolean known,
                            const char *driver, GError **error);
  /* @where: PassHostdevWhere bits (live and/or config). */
  gboolean (*attach_domain)(PassOps *ops, gpointer worker, const char *domain, const char *xml,
                            guint where, GError **error);
  gboolean (*detach_domain)(PassOps *ops, gpointer worker, const char *domain, const char *xml,
                            guint where, GError **error);
  /* Ask the running domain to release the device with live alias @alias. Returning TRUE does
   * not mean it did: that is the DEVICE_REMOVED event. */
  gboolean (*unplug_live)(PassOps *ops, gpointer worker, const char *domain, const char *alias,
                          GError **error);
  /* Fresh reads, applied to the engine before the operation's locks are released. NULL with
   * PASS_ERROR_NO_SUCH_DOMAIN / PASS_ERROR_NO_SUCH_DEVICE when gone. */
  PassDomain *(*read_domain)(PassOps *ops, gpointer worker, const char *name, GError **error);
  PassDevice *(*read_device)(PassOps *ops, gpointer worker, const char *address, GError **error);
  /* SR-IOV of PF @pf from sysfs; FALSE with PASS_ERROR_SRIOV_NOT_SUPPORTED when it has none. */
  gboolean (*read_sriov)(PassOps *ops, gpointer worker, const char *pf, PassOpsSriov *sriov,
                         GError **error);
  /* Write sriov_drivers_autoprobe (@autoprobe 0 or 1; -1: keep), then, when @count differs
   * from the PF's VF count, sriov_numvfs 0 and @count. Errors name the kernel's refusal
   * (PASS_ERROR_SRIOV_NOT_SUPPORTED for a driver without SR-IOV support). Returns once the
   * kernel has the VFs; libvirt reports them later. */
  gboolean (*set_num_vfs)(PassOps *ops, gpointer worker, const char *pf, guint count, int autoprobe,
                          GError **error);

  /* ---- mediated devices (tx-mdev.c); NULL: the host has none ---- */
  /* PassMdevType* of every parent, sorted. */
  GPtrArray *(*list_mdev_types)(PassOps *ops, gpointer worker, GError **error);
  /* An instance of @type_id on @parent_name (libvirt's name) with @uuid (NULL: picked),
   * transient or @persistent (and @autostart); returns "mdev:UUID". */
  char *(*create_mdev)(PassOps *ops, gpointer worker, const char *parent_name, const char *type_id,
                       const char *uuid, gboolean persistent, gboolean autostart, GError **error);
  /* Destroy (and undefine) "mdev:UUID". */
  gboolean (*remove_mdev)(PassOps *ops, gpointer worker, const char *address, GError **error);
  /* Main context, optional: read @domain once more after every read already queued from
   * libvirt's events. An event read that began before a step of the operation changed the
   * persistent definition (the config detach after a live unplug) may land after the
   * operation's own re-read with the older picture; this one lands after it. */
  void (*refresh_domain)(PassOps *ops, const char *domain);

  void (*free)(PassOps *ops);
} PassOpsClass;

struct _PassOps {
  const PassOpsClass *klass;
};

static inline void
pass_ops_free(PassOps *ops)
{
  if (ops)
    ops->klass->free(ops);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassOps, pass_ops_free)

G_END_DECLS
