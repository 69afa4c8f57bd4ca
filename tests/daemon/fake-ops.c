/* The recording fake PassOps (see fake-ops.h). */
#include "fake-ops.h"

#include <stdlib.h>
#include <string.h>

#include "cpulist.h"
#include "pass-error.h"

typedef struct {
  char *address;
  int group;
  char *physfn;
  guint32 class_code;
  char *driver, *default_driver;
  int numa_node;                 /* -1: unknown */
  int totalvfs;                  /* -1: no SR-IOV */
  int autoprobe;                 /* sriov_drivers_autoprobe */
  char *vf_driver;               /* what new VFs get with autoprobe on */
  char *mdev_type, *mdev_parent; /* an mdev ("mdev:UUID"): its type and parent */
  gboolean mdev_persistent;
  /* USB devices ("usb:..." addresses): ids, bus and device number */
  guint16 usb_vendor, usb_product;
  int usb_bus, usb_devnum;
} FakeDevice;

typedef struct {
  char *address;
  guint where;
  char *alias;
  char *mac; /* an <interface type='hostdev'>; NULL: a <hostdev> */
} FakeHostdev;

typedef struct {
  char *name;
  gboolean active, persistent;
  GPtrArray *hostdevs; /* FakeHostdev* */
  char *numa_nodes;    /* <numatune> nodeset; NULL: none */
} FakeDomain;

struct _FakeOps {
  PassOps parent;
  GMutex lock;
  GPtrArray *devices; /* FakeDevice* */
  GPtrArray *domains; /* FakeDomain* */
  GHashTable *protected;
  GPtrArray *calls;
  GPtrArray *fail_prefixes; /* char*: each fails one call */
  gboolean reads_fail;      /* read_domain and read_device fail as with libvirt gone */
  guint attach_delay_ms;
  guint next_alias;
  int next_group; /* for VFs that set_num_vfs creates */
  gint running, max_running;
  GPtrArray *mdev_types; /* PassMdevType*: what create_mdev may make */
  guint next_mdev;
  GPtrArray *lingering; /* FakeDevice*: removed mdevs read_device still finds; NULL: none do */
};

static void
fake_device_free(FakeDevice *d)
{
  g_free(d->address);
  g_free(d->physfn);
  g_free(d->driver);
  g_free(d->default_driver);
  g_free(d->vf_driver);
  g_free(d->mdev_type);
  g_free(d->mdev_parent);
  g_free(d);
}

static void
fake_hostdev_free(FakeHostdev *h)
{
  g_free(h->address);
  g_free(h->alias);
  g_free(h->mac);
  g_free(h);
}

static void
fake_domain_free(FakeDomain *d)
{
  g_free(d->name);
  g_free(d->numa_nodes);
  g_ptr_array_unref(d->hostdevs);
  g_free(d);
}

static FakeDevice *
lookup_device(FakeOps *fake, const char *address)
{
  for (guint i = 0; i < fake->devices->len; i++) {
    FakeDevice *d = g_ptr_array_index(fake->devices, i);

    if (g_str_equal(d->address, address))
      return d;
  }
  return NULL;
}

static FakeDevice *
find_device(FakeOps *fake, const char *address)
{
  FakeDevice *d = lookup_device(fake, address);

  if (!d)
    g_error("fake: no device %s", address);
  return d;
}

static FakeDomain *
find_domain(FakeOps *fake, const char *name)
{
  for (guint i = 0; i < fake->domains->len; i++) {
    FakeDomain *d = g_ptr_array_index(fake->domains, i);

    if (g_str_equal(d->name, name))
      return d;
  }
  g_error("fake: no domain %s", name);
}

static FakeHostdev *
find_hostdev(FakeDomain *domain, const char *address)
{
  for (guint i = 0; i < domain->hostdevs->len; i++) {
    FakeHostdev *h = g_ptr_array_index(domain->hostdevs, i);

    if (g_str_equal(h->address, address))
      return h;
  }
  return NULL;
}

/* The first group of @pattern in @xml, or NULL. */
static char *
xml_match(const char *xml, const char *pattern)
{
  g_autoptr(GRegex) regex = g_regex_new(pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;

  return g_regex_match(regex, xml, 0, &match) ? g_match_info_fetch(match, 1) : NULL;
}

/* " mac=M vlan=N" for an <interface>'s XML (as much as it has), "" for a <hostdev>. */
static char *
xml_interface_suffix(const char *xml)
{
  g_autofree char *mac = xml_match(xml, "<mac address=\"([^\"]*)\"/>");
  g_autofree char *vlan = xml_match(xml, "<tag id=\"([0-9]+)\"/>");

  return g_strdup_printf("%s%s%s%s", mac ? " mac=" : "", mac ? mac : "", vlan ? " vlan=" : "",
                         vlan ? vlan : "");
}

/* Record @call; FALSE with @error when it is the one chosen to fail. Locked. */
static gboolean
record(FakeOps *fake, char *call, GError **error)
{
  g_ptr_array_add(fake->calls, call);
  for (guint i = 0; i < fake->fail_prefixes->len; i++) {
    if (!g_str_has_prefix(call, g_ptr_array_index(fake->fail_prefixes, i)))
      continue;
    g_ptr_array_remove_index(fake->fail_prefixes, i);
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR, "fake: %s failed", call);
    return FALSE;
  }
  return TRUE;
}

static FakeDevice *lookup_device(FakeOps *fake, const char *address);

/* A <hostdev type='usb'> from xml-usb.c names its device by ids (and bus/device): which one,
 * as libvirt would find it; "?" when none or several match. */
static char *
xml_usb_address(FakeOps *fake, const char *xml)
{
  g_autofree char *vendor = xml_match(xml, "<vendor id=\"0x([0-9a-f]+)\"/>");
  g_autofree char *product = xml_match(xml, "<product id=\"0x([0-9a-f]+)\"/>");
  g_autofree char *bus = xml_match(xml, "<address bus=\"([0-9]+)\"");
  g_autofree char *devnum = xml_match(xml, "device=\"([0-9]+)\"/>");
  const char *found = NULL;
  guint n = 0;

  for (guint i = 0; vendor && product && i < fake->devices->len; i++) {
    FakeDevice *d = g_ptr_array_index(fake->devices, i);

    if (!g_str_has_prefix(d->address, "usb:") ||
        d->usb_vendor != g_ascii_strtoull(vendor, NULL, 16) ||
        d->usb_product != g_ascii_strtoull(product, NULL, 16))
      continue;
    if (bus && devnum && (d->usb_bus != atoi(bus) || d->usb_devnum != atoi(devnum)))
      continue;
    found = d->address;
    n++;
  }
  return g_strdup(n == 1 ? found : "?");
}

/* The host address in a hostdev XML from xml-hostdev.c (or xml-usb.c). */
static char *
xml_address(FakeOps *fake, const char *xml)
{
  g_autoptr(GRegex) regex =
      g_regex_new("domain=\"0x([0-9a-f]+)\" bus=\"0x([0-9a-f]+)\" slot=\"0x([0-9a-f]+)\" "
                  "function=\"0x([0-9a-f]+)\"",
                  0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *d = NULL, *b = NULL, *s = NULL, *f = NULL;
  g_autofree char *uuid = xml_match(xml, "<address uuid=\"([0-9a-f-]+)\"/>");

  if (uuid)
    return g_strconcat("mdev:", uuid, NULL);
  if (strstr(xml, "type=\"usb\"") != NULL)
    return xml_usb_address(fake, xml);
  if (!g_regex_match(regex, xml, 0, &match))
    return g_strdup("?");
  d = g_match_info_fetch(match, 1);
  b = g_match_info_fetch(match, 2);
  s = g_match_info_fetch(match, 3);
  f = g_match_info_fetch(match, 4);
  return g_strdup_printf("%s:%s:%s.%s", d, b, s, f);
}

/* ---- PassOps ---- */

typedef struct {
  FakeOps *fake;
  PassOpsJobFunc func;
  gpointer data;
  GDestroyNotify data_free;
} Job;

static void
job_free(gpointer data)
{
  Job *job = data;

  if (job->data_free && job->data)
    job->data_free(job->data);
  g_free(job);
}

static void
job_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  gpointer result = job->func(&job->fake->parent, job->fake, job->data, &error);

  if (error)
    g_task_return_error(task, error);
  else
    g_task_return_pointer(task, result, NULL);
}

static void
fake_run(PassOps *ops, PassOpsJobFunc func, gpointer data, GDestroyNotify data_free,
         GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new(NULL, NULL, callback, user_data);
  Job *job = g_new0(Job, 1);

  job->fake = (FakeOps *)ops;
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  g_task_set_task_data(task, job, job_free);
  g_task_run_in_thread(task, job_thread);
}

static gpointer
fake_run_finish(PassOps *ops, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer(G_TASK(result), error);
}

static gboolean
fake_check_protected(PassOps *ops, gpointer worker, const char *address, guint32 class_code,
                     char **reason)
{
  FakeOps *fake = (FakeOps *)ops;
  const char *why;

  /* It reads procfs and sysfs in the daemon: never on the main loop. */
  g_assert_false(g_main_context_is_owner(g_main_context_default()));
  g_mutex_lock(&fake->lock);
  why = g_hash_table_lookup(fake->protected, address);
  g_mutex_unlock(&fake->lock);

  if (!why)
    return FALSE;
  *reason = g_strdup(why);
  return TRUE;
}

static gboolean
fake_detach_host(PassOps *ops, gpointer worker, const char *address, GError **error)
{
  FakeOps *fake = worker;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  FakeDevice *d = find_device(fake, address);

  if (!record(fake, g_strdup_printf("detach_host %s", address), error))
    return FALSE;
  g_free(d->driver);
  d->driver = g_strdup("vfio-pci");
  return TRUE;
}

static gboolean
fake_reattach_host(PassOps *ops, gpointer worker, const char *address, gboolean known,
                   const char *driver, GError **error)
{
  FakeOps *fake = worker;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  FakeDevice *d = find_device(fake, address);

  if (!record(fake,
              g_strdup_printf("reattach_host %s %s", address,
                              known ? (driver ? driver : "(none)") : "(default)"),
              error))
    return FALSE;
  g_free(d->driver);
  d->driver = g_strdup(known ? driver : d->default_driver);
  return TRUE;
}

static gboolean
fake_attach_domain(PassOps *ops, gpointer worker, const char *domain, const char *xml, guint where,
                   GError **error)
{
  FakeOps *fake = worker;
  g_autofree char *address = xml_address(fake, xml);
  g_autofree char *suffix = xml_interface_suffix(xml);
  gint running = g_atomic_int_add(&fake->running, 1) + 1;
  gboolean ok;

  g_mutex_lock(&fake->lock);
  if (running > fake->max_running)
    fake->max_running = running;
  g_mutex_unlock(&fake->lock);
  if (fake->attach_delay_ms)
    g_usleep(fake->attach_delay_ms * 1000);
  g_atomic_int_add(&fake->running, -1);

  g_mutex_lock(&fake->lock);
  ok = record(
      fake,
      g_strdup_printf("attach %s %s %s%s", domain, address, pass_hostdev_where_text(where), suffix),
      error);
  if (ok) {
    FakeDomain *dom = find_domain(fake, domain);
    FakeHostdev *h = find_hostdev(dom, address);

    if (!h) {
      h = g_new0(FakeHostdev, 1);
      h->address = g_strdup(address);
      g_ptr_array_add(dom->hostdevs, h);
    }
    /* libvirt makes up a MAC for an interface that has none. */
    if (g_str_has_prefix(xml, "<interface") && !h->mac)
      h->mac = xml_match(xml, "<mac address=\"([^\"]*)\"/>");
    if (g_str_has_prefix(xml, "<interface") && !h->mac)
      h->mac = g_strdup("52:54:00:00:00:99");
    h->where |= where;
    if ((where & PASS_HOSTDEV_LIVE) && !h->alias)
      h->alias = g_strdup_printf("hostdev%u", fake->next_alias++);
  }
  g_mutex_unlock(&fake->lock);
  return ok;
}

static void
hostdev_drop(FakeDomain *dom, FakeHostdev *h, guint where)
{
  h->where &= ~where;
  if (where & PASS_HOSTDEV_LIVE)
    g_clear_pointer(&h->alias, g_free);
  if (!h->where)
    g_ptr_array_remove(dom->hostdevs, h);
}

static gboolean
fake_detach_domain(PassOps *ops, gpointer worker, const char *domain, const char *xml, guint where,
                   GError **error)
{
  FakeOps *fake = worker;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  g_autofree char *address = xml_address(fake, xml);
  g_autofree char *suffix = xml_interface_suffix(xml);
  g_autofree char *mac = xml_match(xml, "<mac address=\"([^\"]*)\"/>");
  FakeDomain *dom = find_domain(fake, domain);
  FakeHostdev *h = find_hostdev(dom, address);

  if (!record(fake,
              g_strdup_printf("detach %s %s %s%s", domain, address, pass_hostdev_where_text(where),
                              suffix),
              error))
    return FALSE;
  /* libvirt finds an interface by its MAC: without one it takes any, ambiguous with two. */
  if (h && h->mac && g_strcmp0(mac, h->mac) != 0) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_ERROR,
                "fake: no interface with MAC %s in %s", mac ? mac : "(none)", domain);
    return FALSE;
  }
  /* A live detach by XML is only used by rollbacks here: a freshly plugged device, released
   * at once. */
  if (h)
    hostdev_drop(dom, h, where);
  return TRUE;
}

static gboolean
fake_unplug_live(PassOps *ops, gpointer worker, const char *domain, const char *alias,
                 GError **error)
{
  FakeOps *fake = worker;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

  return record(fake, g_strdup_printf("unplug %s %s", domain, alias), error);
}

static int
hostdev_compare(gconstpointer a, gconstpointer b)
{
  const PassHostdev *ha = *(PassHostdev *const *)a, *hb = *(PassHostdev *const *)b;

  return strcmp(ha->address, hb->address);
}

static PassDomain *
domain_build(FakeOps *fake, FakeDomain *d)
{
  PassDomain *domain = pass_domain_new(d->name);

  domain->active = d->active;
  domain->persistent = d->persistent;
  domain->state = d->active ? PASS_DOMAIN_STATE_RUNNING : PASS_DOMAIN_STATE_SHUTOFF;
  if (d->numa_nodes)
    g_assert_true(pass_cpulist_parse(d->numa_nodes, domain->numa_nodes));
  for (guint i = 0; i < d->hostdevs->len; i++) {
    FakeHostdev *h = g_ptr_array_index(d->hostdevs, i);
    PassHostdev *hostdev = pass_hostdev_new();

    hostdev->address = g_strdup(h->address);
    hostdev->alias = g_strdup(h->alias);
    hostdev->where = h->where;
    hostdev->interface = h->mac != NULL;
    hostdev->mac = g_strdup(h->mac);
    if (g_str_has_prefix(h->address, "usb:")) {
      FakeDevice *dev = lookup_device(fake, h->address);

      hostdev->usb = g_new0(PassUsbSource, 1);
      hostdev->usb->vendor_id = dev ? dev->usb_vendor : 0;
      hostdev->usb->product_id = dev ? dev->usb_product : 0;
      hostdev->managed = TRUE;
    }
    g_ptr_array_add(domain->hostdevs, hostdev);
  }
  g_ptr_array_sort(domain->hostdevs, hostdev_compare);
  return domain;
}

static PassDevice *
device_build(FakeDevice *d)
{
  PassDevice *device = pass_device_new();

  device->address = g_strdup(d->address);
  device->name = g_strdup_printf("pci_%s", d->address);
  g_strdelimit(device->name, ":.", '_');
  device->vendor_id = 0x8086;
  device->product_id = 0x1234;
  device->class_code = d->class_code;
  device->iommu_group = d->group;
  device->physfn = g_strdup(d->physfn);
  device->driver = g_strdup(d->driver);
  device->numa_node = d->numa_node;
  device->totalvfs = d->totalvfs;
  if (d->mdev_type) {
    device->kind = PASS_DEVICE_KIND_MDEV;
    g_free(device->name);
    device->name = g_strdup_printf("mdev_%s", d->address + 5);
    device->vendor_id = device->product_id = 0;
    device->mdev_type = g_strdup(d->mdev_type);
    device->mdev_parent = g_strdup(d->mdev_parent);
    device->mdev_state = PASS_MDEV_ACTIVE | (d->mdev_persistent ? PASS_MDEV_PERSISTENT : 0);
  }
  if (g_str_has_prefix(d->address, "usb:")) {
    device->kind = PASS_DEVICE_KIND_USB;
    g_free(device->name);
    device->name = g_strdup_printf("usb_%s", d->address + 4);
    g_strdelimit(device->name, "-.", '_');
    device->vendor_id = d->usb_vendor;
    device->product_id = d->usb_product;
    device->usb = pass_usb_info_new();
    device->usb->port = g_strdup(d->address + 4);
    device->usb->bus = d->usb_bus;
    device->usb->devnum = d->usb_devnum;
  }
  return device;
}

static PassDomain *
fake_read_domain(PassOps *ops, gpointer worker, const char *name, GError **error)
{
  FakeOps *fake = worker;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  FakeDomain *d = find_domain(fake, name);

  if (fake->reads_fail) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE, "fake: libvirt is gone");
    return NULL;
  }
  if (!d) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DOMAIN, "no domain %s", name);
    return NULL;
  }
  return domain_build(fake, d);
}

static PassDevice *
fake_read_device(PassOps *ops, gpointer worker, const char *address, GError **error)
{
  FakeOps *fake = worker;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  FakeDevice *d = lookup_device(fake, address);

  if (fake->reads_fail) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_HYPERVISOR_UNAVAILABLE, "fake: libvirt is gone");
    return NULL;
  }
  for (guint i = 0; !d && fake->lingering && i < fake->lingering->len; i++)
    if (g_str_equal(((FakeDevice *)g_ptr_array_index(fake->lingering, i))->address, address))
      d = g_ptr_array_index(fake->lingering, i);
  if (!d) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE, "no device %s", address);
    return NULL;
  }
  return device_build(d);
}

static int
address_compare(gconstpointer a, gconstpointer b)
{
  return strcmp((*(FakeDevice *const *)a)->address, (*(FakeDevice *const *)b)->address);
}

/* @pf's VFs, by address (which is by index here). Locked. */
static GPtrArray *
vfs_of(FakeOps *fake, const char *pf)
{
  GPtrArray *vfs = g_ptr_array_new();

  for (guint i = 0; i < fake->devices->len; i++) {
    FakeDevice *d = g_ptr_array_index(fake->devices, i);

    if (g_strcmp0(d->physfn, pf) == 0)
      g_ptr_array_add(vfs, d);
  }
  g_ptr_array_sort(vfs, address_compare);
  return vfs;
}

static gboolean
fake_read_sriov(PassOps *ops, gpointer worker, const char *pf, PassOpsSriov *sriov, GError **error)
{
  FakeOps *fake = worker;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  FakeDevice *d = lookup_device(fake, pf);
  g_autoptr(GPtrArray) vfs = NULL;

  /* It reads sysfs in the daemon: never on the main loop. */
  g_assert_false(g_main_context_is_owner(g_main_context_default()));
  if (!d || d->totalvfs < 0) {
    g_set_error(error, PASS_ERROR, PASS_ERROR_SRIOV_NOT_SUPPORTED, "fake: %s has no SR-IOV", pf);
    return FALSE;
  }
  vfs = vfs_of(fake, pf);
  sriov->totalvfs = d->totalvfs;
  sriov->numvfs = (int)vfs->len;
  sriov->autoprobe = d->autoprobe;
  sriov->vfs = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < vfs->len; i++)
    g_ptr_array_add(sriov->vfs, g_strdup(((FakeDevice *)g_ptr_array_index(vfs, i))->address));
  return TRUE;
}

/* Like the kernel: every VF goes, then @count new ones at 10.0, 10.1, ... of the PF's bus. */
static gboolean
fake_set_num_vfs(PassOps *ops, gpointer worker, const char *pf, guint count, int autoprobe,
                 GError **error)
{
  FakeOps *fake = worker;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  FakeDevice *d = find_device(fake, pf);
  g_autoptr(GPtrArray) vfs = NULL;
  g_autofree char *bus = g_strndup(pf, strlen("0000:00"));

  if (!record(fake,
              g_strdup_printf("set_num_vfs %s %u autoprobe=%s", pf, count,
                              autoprobe < 0 ? "keep"
                              : autoprobe   ? "1"
                                            : "0"),
              error))
    return FALSE;
  if (autoprobe >= 0)
    d->autoprobe = autoprobe;
  vfs = vfs_of(fake, pf);
  if (vfs->len == count)
    return TRUE;
  for (guint i = 0; i < vfs->len; i++)
    g_ptr_array_remove(fake->devices, g_ptr_array_index(vfs, i));
  for (guint i = 0; i < count; i++) {
    FakeDevice *vf = g_new0(FakeDevice, 1);

    vf->address = g_strdup_printf("%s:%02x.%u", bus, 0x10 + i / 8, i % 8);
    vf->group = fake->next_group++;
    vf->physfn = g_strdup(pf);
    vf->class_code = d->class_code;
    vf->driver = g_strdup(d->autoprobe ? d->vf_driver : NULL);
    vf->default_driver = g_strdup(d->vf_driver);
    vf->totalvfs = -1;
    g_ptr_array_add(fake->devices, vf);
  }
  return TRUE;
}

static void
fake_free(PassOps *ops)
{
  FakeOps *fake = (FakeOps *)ops;

  g_ptr_array_unref(fake->devices);
  g_ptr_array_unref(fake->domains);
  g_hash_table_unref(fake->protected);
  g_ptr_array_unref(fake->calls);
  g_ptr_array_unref(fake->fail_prefixes);
  g_ptr_array_unref(fake->mdev_types);
  g_clear_pointer(&fake->lingering, g_ptr_array_unref);
  g_mutex_clear(&fake->lock);
  g_free(fake);
}

static GPtrArray *
fake_list_mdev_types(PassOps *ops, gpointer worker, GError **error)
{
  FakeOps *fake = worker;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  GPtrArray *types = g_ptr_array_new_with_free_func((GDestroyNotify)pass_mdev_type_free);

  for (guint i = 0; i < fake->mdev_types->len; i++) {
    const PassMdevType *t = g_ptr_array_index(fake->mdev_types, i);
    PassMdevType *copy = pass_mdev_type_new();

    copy->parent = g_strdup(t->parent);
    copy->parent_name = g_strdup(t->parent_name);
    copy->id = g_strdup(t->id);
    copy->available = t->available;
    g_ptr_array_add(types, copy);
  }
  return types;
}

static PassMdevType *
fake_mdev_type(FakeOps *fake, const char *parent, const char *id)
{
  for (guint i = 0; i < fake->mdev_types->len; i++) {
    PassMdevType *t = g_ptr_array_index(fake->mdev_types, i);

    if (g_str_equal(t->id, id) &&
        (g_str_equal(t->parent, parent) || g_str_equal(t->parent_name, parent)))
      return t;
  }
  return NULL;
}

static char *
fake_create_mdev(PassOps *ops, gpointer worker, const char *parent_name, const char *type_id,
                 const char *uuid, gboolean persistent, gboolean autostart, GError **error)
{
  FakeOps *fake = worker;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  char *call =
      g_strdup_printf("create_mdev %s %s %s%s%s", parent_name, type_id, uuid ? uuid : "(new)",
                      persistent ? " persistent" : "", autostart ? " autostart" : "");
  PassMdevType *type = fake_mdev_type(fake, parent_name, type_id);
  FakeDevice *d;

  if (!record(fake, call, error))
    return NULL;
  g_assert_nonnull(type);
  g_assert_cmpint(type->available, >, 0);
  type->available--;
  d = g_new0(FakeDevice, 1);
  d->address = uuid ? g_strconcat("mdev:", uuid, NULL)
                    : g_strdup_printf("mdev:00000000-0000-0000-0000-%012u", ++fake->next_mdev);
  d->group = 100 + (int)fake->devices->len;
  d->driver = g_strdup("mtty");
  d->numa_node = -1;
  d->totalvfs = -1;
  d->mdev_type = g_strdup(type_id);
  d->mdev_parent = g_strdup(type->parent);
  d->mdev_persistent = persistent;
  g_ptr_array_add(fake->devices, d);
  return g_strdup(d->address);
}

static gboolean
fake_remove_mdev(PassOps *ops, gpointer worker, const char *address, GError **error)
{
  FakeOps *fake = worker;
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  char *call = g_strdup_printf("remove_mdev %s", address);
  FakeDevice *d;
  guint i;

  if (!record(fake, call, error))
    return FALSE;
  d = find_device(fake, address);
  fake_mdev_type(fake, d->mdev_parent, d->mdev_type)->available++;
  if (fake->lingering && g_ptr_array_find(fake->devices, d, &i))
    g_ptr_array_add(fake->lingering, g_ptr_array_steal_index(fake->devices, i));
  else
    g_ptr_array_remove(fake->devices, d);
  return TRUE;
}

static const PassOpsClass fake_class = {
    .run = fake_run,
    .run_finish = fake_run_finish,
    .check_protected = fake_check_protected,
    .detach_host = fake_detach_host,
    .reattach_host = fake_reattach_host,
    .attach_domain = fake_attach_domain,
    .detach_domain = fake_detach_domain,
    .unplug_live = fake_unplug_live,
    .read_domain = fake_read_domain,
    .read_device = fake_read_device,
    .list_mdev_types = fake_list_mdev_types,
    .create_mdev = fake_create_mdev,
    .remove_mdev = fake_remove_mdev,
    .read_sriov = fake_read_sriov,
    .set_num_vfs = fake_set_num_vfs,
    .free = fake_free,
};

/* ---- test API ---- */

FakeOps *
fake_ops_new(void)
{
  FakeOps *fake = g_new0(FakeOps, 1);

  fake->parent.klass = &fake_class;
  g_mutex_init(&fake->lock);
  fake->devices = g_ptr_array_new_with_free_func((GDestroyNotify)fake_device_free);
  fake->domains = g_ptr_array_new_with_free_func((GDestroyNotify)fake_domain_free);
  fake->mdev_types = g_ptr_array_new_with_free_func((GDestroyNotify)pass_mdev_type_free);
  fake->protected = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  fake->calls = g_ptr_array_new_with_free_func(g_free);
  fake->fail_prefixes = g_ptr_array_new_with_free_func(g_free);
  fake->next_group = 100;
  return fake;
}

PassOps *
fake_ops_get_ops(FakeOps *fake)
{
  return &fake->parent;
}

void
fake_ops_add_device(FakeOps *fake, const char *address, int group, const char *physfn,
                    guint32 class_code, const char *driver, const char *default_driver)
{
  FakeDevice *d = g_new0(FakeDevice, 1);

  d->address = g_strdup(address);
  d->group = group;
  d->physfn = g_strdup(physfn);
  d->class_code = class_code;
  d->driver = g_strdup(driver);
  d->default_driver = g_strdup(default_driver);
  d->numa_node = -1;
  d->totalvfs = -1;
  g_ptr_array_add(fake->devices, d);
}

void
fake_ops_add_usb_device(FakeOps *fake, const char *address, guint16 vendor, guint16 product,
                        int bus, int devnum)
{
  FakeDevice *d;

  fake_ops_add_device(fake, address, -1, NULL, 0, "usb", "usb");
  d = g_ptr_array_index(fake->devices, fake->devices->len - 1);
  d->usb_vendor = vendor;
  d->usb_product = product;
  d->usb_bus = bus;
  d->usb_devnum = devnum;
}

void
fake_ops_set_sriov(FakeOps *fake, const char *pf, int totalvfs, int autoprobe,
                   const char *vf_driver)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  FakeDevice *d = find_device(fake, pf);

  d->totalvfs = totalvfs;
  d->autoprobe = autoprobe;
  g_free(d->vf_driver);
  d->vf_driver = g_strdup(vf_driver);
}

void
fake_ops_set_driver(FakeOps *fake, const char *address, const char *driver)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  FakeDevice *d = find_device(fake, address);

  g_free(d->driver);
  d->driver = g_strdup(driver);
}

void
fake_ops_remove_device(FakeOps *fake, const char *address)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

  g_ptr_array_remove(fake->devices, find_device(fake, address));
}

void
fake_ops_add_domain(FakeOps *fake, const char *name, gboolean active, gboolean persistent)
{
  FakeDomain *d = g_new0(FakeDomain, 1);

  d->name = g_strdup(name);
  d->active = active;
  d->persistent = persistent;
  d->hostdevs = g_ptr_array_new_with_free_func((GDestroyNotify)fake_hostdev_free);
  g_ptr_array_add(fake->domains, d);
}

void
fake_ops_add_hostdev(FakeOps *fake, const char *domain, const char *address, guint where)
{
  FakeDomain *d = find_domain(fake, domain);
  FakeHostdev *h = g_new0(FakeHostdev, 1);

  h->address = g_strdup(address);
  h->where = where;
  if (where & PASS_HOSTDEV_LIVE)
    h->alias = g_strdup_printf("hostdev%u", fake->next_alias++);
  g_ptr_array_add(d->hostdevs, h);
}

void
fake_ops_add_interface(FakeOps *fake, const char *domain, const char *address, guint where,
                       const char *mac)
{
  FakeHostdev *h;

  fake_ops_add_hostdev(fake, domain, address, where);
  h = find_hostdev(find_domain(fake, domain), address);
  if (h)
    h->mac = g_strdup(mac);
}

void
fake_ops_set_protected(FakeOps *fake, const char *address, const char *reason)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

  g_hash_table_replace(fake->protected, g_strdup(address), g_strdup(reason));
}

void
fake_ops_fail_call(FakeOps *fake, const char *prefix)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

  if (prefix)
    g_ptr_array_add(fake->fail_prefixes, g_strdup(prefix));
}

void
fake_ops_set_attach_delay(FakeOps *fake, guint ms)
{
  fake->attach_delay_ms = ms;
}

char *
fake_ops_release(FakeOps *fake, const char *domain, const char *address)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  FakeDomain *dom = find_domain(fake, domain);
  FakeHostdev *h = find_hostdev(dom, address);
  char *alias;

  if (!h)
    g_error("fake: %s is not in %s", address, domain);
  alias = g_strdup(h->alias);

  hostdev_drop(dom, h, PASS_HOSTDEV_LIVE);
  return alias;
}

void
fake_ops_load(FakeOps *fake, PassEngine *engine)
{
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
  g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func((GDestroyNotify)pass_domain_unref);

  g_mutex_lock(&fake->lock);
  for (guint i = 0; i < fake->devices->len; i++)
    g_ptr_array_add(devices, device_build(g_ptr_array_index(fake->devices, i)));
  for (guint i = 0; i < fake->domains->len; i++)
    g_ptr_array_add(domains, domain_build(fake, g_ptr_array_index(fake->domains, i)));
  g_mutex_unlock(&fake->lock);
  pass_engine_reset(engine, devices, domains);
  pass_engine_set_connected(engine, TRUE, NULL);
}

void
fake_ops_announce(PassEngine *engine, const char *address, const char *physfn, int numa_node)
{
  g_autoptr(PassDevice) device = pass_device_new();

  device->kind = PASS_DEVICE_KIND_PCI;
  device->provisional = TRUE;
  device->address = g_strdup(address);
  device->physfn = g_strdup(physfn);
  device->numa_node = numa_node;
  device->vendor_id = 0x1b36;
  device->product_id = 0x0010;
  device->class_code = 0x010802;
  pass_engine_device_changed(engine, device);
}

GStrv
fake_ops_get_calls(FakeOps *fake)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  GStrv calls = g_new0(char *, fake->calls->len + 1);

  for (guint i = 0; i < fake->calls->len; i++)
    calls[i] = g_strdup(g_ptr_array_index(fake->calls, i));
  return calls;
}

void
fake_ops_set_reads_fail(FakeOps *fake, gboolean fail)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

  fake->reads_fail = fail;
}

void
fake_ops_assert_calls(FakeOps *fake, const char *const *expected)
{
  g_auto(GStrv) calls = fake_ops_get_calls(fake);

  if (!g_strv_equal((const char *const *)calls, expected)) {
    g_autofree char *got = g_strjoinv(" | ", calls);

    g_test_message("calls: %s", got);
    g_assert_true(g_strv_equal((const char *const *)calls, expected));
  }
}

guint
fake_ops_count_calls(FakeOps *fake, const char *prefix)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  guint n = 0;

  for (guint i = 0; i < fake->calls->len; i++)
    if (g_str_has_prefix(g_ptr_array_index(fake->calls, i), prefix))
      n++;
  return n;
}

char *
fake_ops_get_driver(FakeOps *fake, const char *address)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

  return g_strdup(find_device(fake, address)->driver);
}

guint
fake_ops_get_max_parallel(FakeOps *fake)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

  return fake->max_running;
}

void
fake_ops_set_numa_node(FakeOps *fake, const char *address, int node)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

  find_device(fake, address)->numa_node = node;
}

void
fake_ops_set_domain_nodes(FakeOps *fake, const char *domain, const char *nodeset)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);
  FakeDomain *d = find_domain(fake, domain);

  g_free(d->numa_nodes);
  d->numa_nodes = g_strdup(nodeset);
}

void
fake_ops_set_mdevs_linger(FakeOps *fake)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fake->lock);

  if (fake->lingering == NULL)
    fake->lingering = g_ptr_array_new_with_free_func((GDestroyNotify)fake_device_free);
}

void
fake_ops_add_mdev_type(FakeOps *fake, const char *parent, const char *parent_name,
                       const char *type_id, int available)
{
  PassMdevType *t = pass_mdev_type_new();

  t->parent = g_strdup(parent);
  t->parent_name = g_strdup(parent_name);
  t->id = g_strdup(type_id);
  t->available = available;
  g_ptr_array_add(fake->mdev_types, t);
}
