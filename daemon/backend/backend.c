/* PassOps backed by libvirt and sysfs (see backend.h). */
#define G_LOG_DOMAIN "passd"

#include "backend.h"

#include "virt-calls.h"
#include "virt-mdev.h"

typedef struct {
  PassOps parent;
  PassVirt *virt;
  PassHost *host;
} OpsVirt;

typedef struct {
  OpsVirt *self;
  PassOpsJobFunc func;
  gpointer data;
  GDestroyNotify data_free;
} Thunk;

static void
thunk_free(gpointer data)
{
  Thunk *thunk = data;

  if (thunk->data_free && thunk->data)
    thunk->data_free(thunk->data);
  g_free(thunk);
}

static gpointer
thunk_run(virConnectPtr conn, gpointer data, GError **error)
{
  Thunk *thunk = data;

  return thunk->func(&thunk->self->parent, conn, thunk->data, error);
}

static void
ops_run(PassOps *ops, PassOpsJobFunc func, gpointer data, GDestroyNotify data_free,
        GAsyncReadyCallback callback, gpointer user_data)
{
  OpsVirt *self = (OpsVirt *)ops;
  Thunk *thunk = g_new0(Thunk, 1);

  thunk->self = self;
  thunk->func = func;
  thunk->data = data;
  thunk->data_free = data_free;
  pass_virt_run_async(self->virt, thunk_run, thunk, thunk_free, NULL, callback, user_data);
}

static gpointer
ops_run_finish(PassOps *ops, GAsyncResult *result, GError **error)
{
  return pass_virt_run_finish(((OpsVirt *)ops)->virt, result, error);
}

static gboolean
ops_check_protected(PassOps *ops, gpointer worker, const char *address, guint32 class_code,
                    char **reason)
{
  return pass_host_check_protected(((OpsVirt *)ops)->host, address, class_code, reason);
}

static gboolean
ops_detach_host(PassOps *ops, gpointer worker, const char *address, GError **error)
{
  return pass_virt_call_detach_host(worker, address, error);
}

/* virNodeDeviceReAttach lets the kernel pick the default driver (and keeps libvirt's own
 * bookkeeping right); when the device had no driver or another one before, put that back. */
static gboolean
ops_reattach_host(PassOps *ops, gpointer worker, const char *address, gboolean known,
                  const char *driver, GError **error)
{
  OpsVirt *self = (OpsVirt *)ops;
  g_autofree char *now = NULL;

  if (!pass_virt_call_reattach_host(worker, address, error))
    return FALSE;
  if (!known)
    return TRUE;
  now = pass_host_get_driver(self->host, address);
  if (g_strcmp0(now, driver) == 0)
    return TRUE;
  if (now && !pass_host_unbind(self->host, address, error))
    return FALSE;
  if (!driver)
    return TRUE;
  /* Bind exactly @driver: override, probe, then clear the override again. */
  if (!pass_host_set_driver_override(self->host, address, driver, error))
    return FALSE;
  if (!pass_host_probe(self->host, address, error)) {
    pass_host_set_driver_override(self->host, address, NULL, NULL);
    return FALSE;
  }
  return pass_host_set_driver_override(self->host, address, NULL, error);
}

static gboolean
ops_attach_domain(PassOps *ops, gpointer worker, const char *domain, const char *xml, guint where,
                  GError **error)
{
  return pass_virt_call_attach_domain(worker, domain, xml, where, error);
}

static gboolean
ops_detach_domain(PassOps *ops, gpointer worker, const char *domain, const char *xml, guint where,
                  GError **error)
{
  return pass_virt_call_detach_domain(worker, domain, xml, where, error);
}

static gboolean
ops_unplug_live(PassOps *ops, gpointer worker, const char *domain, const char *alias,
                GError **error)
{
  return pass_virt_call_unplug_alias(worker, domain, alias, error);
}

static void
ops_refresh_domain(PassOps *ops, const char *domain)
{
  pass_virt_refresh_domain(((OpsVirt *)ops)->virt, domain);
}

static PassDomain *
ops_read_domain(PassOps *ops, gpointer worker, const char *name, GError **error)
{
  return pass_virt_call_read_domain(worker, name, error);
}

static PassDevice *
ops_read_device(PassOps *ops, gpointer worker, const char *address, GError **error)
{
  return pass_virt_call_read_device(worker, address, error);
}

static gboolean
ops_read_sriov(PassOps *ops, gpointer worker, const char *pf, PassOpsSriov *sriov, GError **error)
{
  g_auto(PassHostSriov) host = {0};

  if (!pass_host_read_sriov(((OpsVirt *)ops)->host, pf, &host, error))
    return FALSE;
  sriov->totalvfs = host.totalvfs;
  sriov->numvfs = host.numvfs;
  sriov->autoprobe = host.autoprobe;
  g_clear_pointer(&sriov->vfs, g_ptr_array_unref);
  sriov->vfs = g_steal_pointer(&host.vfs);
  return TRUE;
}

static gboolean
ops_set_num_vfs(PassOps *ops, gpointer worker, const char *pf, guint count, int autoprobe,
                GError **error)
{
  return pass_host_set_num_vfs(((OpsVirt *)ops)->host, pf, count, autoprobe, error);
}

static void
ops_free(PassOps *ops)
{
  g_free(ops);
}

static GPtrArray *
ops_list_mdev_types(PassOps *ops, gpointer worker, GError **error)
{
  return pass_virt_call_list_mdev_types(worker, error);
}

static char *
ops_create_mdev(PassOps *ops, gpointer worker, const char *parent_name, const char *type_id,
                const char *uuid, gboolean persistent, gboolean autostart, GError **error)
{
  return pass_virt_call_create_mdev(worker, parent_name, type_id, uuid, persistent, autostart,
                                    error);
}

static gboolean
ops_remove_mdev(PassOps *ops, gpointer worker, const char *address, GError **error)
{
  return pass_virt_call_remove_mdev(worker, address, error);
}

static const PassOpsClass ops_virt_class = {
    .run = ops_run,
    .run_finish = ops_run_finish,
    .check_protected = ops_check_protected,
    .detach_host = ops_detach_host,
    .reattach_host = ops_reattach_host,
    .attach_domain = ops_attach_domain,
    .detach_domain = ops_detach_domain,
    .unplug_live = ops_unplug_live,
    .read_domain = ops_read_domain,
    .refresh_domain = ops_refresh_domain,
    .read_device = ops_read_device,
    .list_mdev_types = ops_list_mdev_types,
    .create_mdev = ops_create_mdev,
    .remove_mdev = ops_remove_mdev,
    .read_sriov = ops_read_sriov,
    .set_num_vfs = ops_set_num_vfs,
    .free = ops_free,
};

PassOps *
pass_backend_new(PassVirt *virt, PassHost *host)
{
  OpsVirt *self = g_new0(OpsVirt, 1);

  self->parent.klass = &ops_virt_class;
  self->virt = virt;
  self->host = host;
  return &self->parent;
}
