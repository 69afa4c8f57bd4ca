#define G_LOG_DOMAIN "passd"

#include "domain.h"

PassHostdev *
pass_hostdev_new(void)
{
  PassHostdev *hostdev = g_new0(PassHostdev, 1);

  hostdev->vlan = -1;
  return hostdev;
}

void
pass_hostdev_free(PassHostdev *hostdev)
{
  if (hostdev == NULL)
    return;
  g_free(hostdev->address);
  g_free(hostdev->alias);
  g_free(hostdev->guest_address);
  g_free(hostdev->mac);
  g_free(hostdev->usb);
  g_free(hostdev);
}

static void
domain_clear(gpointer data)
{
  PassDomain *domain = data;

  g_free(domain->name);
  g_free(domain->uuid);
  g_clear_pointer(&domain->hostdevs, g_ptr_array_unref);
  g_clear_pointer(&domain->numa_nodes, g_array_unref);
  g_clear_pointer(&domain->cpus, g_array_unref);
}

PassDomain *
pass_domain_new(const char *name)
{
  PassDomain *domain = g_atomic_rc_box_new0(PassDomain);

  domain->name = g_strdup(name);
  domain->state = PASS_DOMAIN_STATE_OTHER;
  domain->hostdevs = g_ptr_array_new_with_free_func((GDestroyNotify)pass_hostdev_free);
  domain->numa_nodes = g_array_new(FALSE, FALSE, sizeof(int));
  domain->cpus = g_array_new(FALSE, FALSE, sizeof(int));
  return domain;
}

PassDomain *
pass_domain_ref(PassDomain *domain)
{
  g_return_val_if_fail(domain != NULL, NULL);
  return g_atomic_rc_box_acquire(domain);
}

void
pass_domain_unref(PassDomain *domain)
{
  if (domain != NULL)
    g_atomic_rc_box_release_full(domain, domain_clear);
}

const PassHostdev *
pass_domain_find_hostdev(const PassDomain *domain, const char *address)
{
  g_return_val_if_fail(domain != NULL, NULL);

  if (address == NULL)
    return NULL;
  /* A domain holds a handful of devices: a linear scan beats keeping an index in sync. */
  for (guint i = 0; i < domain->hostdevs->len; i++) {
    const PassHostdev *hostdev = g_ptr_array_index(domain->hostdevs, i);

    if (g_strcmp0(hostdev->address, address) == 0)
      return hostdev;
  }
  return NULL;
}

const char *
pass_hostdev_where_text(guint where)
{
  switch (where & (PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG)) {
    case PASS_HOSTDEV_LIVE:
      return "live";
    case PASS_HOSTDEV_CONFIG:
      return "config";
    case PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG:
      return "live+config";
  }
  return "nowhere";
}

gboolean
pass_domain_has_numa_affinity(const PassDomain *domain)
{
  g_return_val_if_fail(domain != NULL, TRUE);

  return (domain->numa_nodes && domain->numa_nodes->len > 0) ||
         (domain->cpus && domain->cpus->len > 0) || domain->numa_cells > 0;
}
