/* Writes topology files for libvirt's test driver ("test:///path"), for tests of daemon/virt. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *address; /* "dddd:bb:ss.f" */
  const char *parent;  /* address or NULL for "computer" */
  guint vendor_id;
  guint product_id;
  guint class_code;
  int iommu_group;    /* -1: none */
  int numa_node;      /* -1: none */
  int totalvfs;       /* -1: not SR-IOV capable */
  const char *physfn; /* address or NULL */
  const char *netdev; /* a network interface below it (a net_* node device), or NULL */
} PassTestDevice;

/* A <node> document with @devices and the raw <domain> XML strings in @domains (NULL ends
 * both lists; either may be NULL). */
char *pass_test_topology_xml(const PassTestDevice *devices, guint n_devices,
                             const char *const *domains);

/* Writes it to "@dir/node.xml" and returns the "test:///…" URI for it. */
char *pass_test_topology_write(const char *dir, const PassTestDevice *devices, guint n_devices,
                               const char *const *domains, GError **error);

G_END_DECLS
