/* Which NUMA node each host CPU belongs to (sysfs nodeN/cpulist), so that a domain pinned to
 * CPUs has NUMA nodes for pool attaches. */
#define G_LOG_DOMAIN "passd"

#include "host-private.h"
#include "host.h"

#include <stdlib.h>

#include "cpulist.h"

#define NODE_DIRECTORY "/sys/devices/system/node"

GArray *
pass_host_read_cpu_nodes(PassHost *host)
{
  GArray *map = g_array_new(FALSE, FALSE, sizeof(int));
  g_autofree char *path = pass_host_path(host, NODE_DIRECTORY);
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name(dir))) {
    guint64 node;
    g_autofree char *file = NULL, *text = NULL;
    g_autoptr(GArray) cpus = g_array_new(FALSE, FALSE, sizeof(int));

    if (!g_str_has_prefix(name, "node") ||
        !g_ascii_string_to_unsigned(name + 4, 10, 0, G_MAXINT, &node, NULL))
      continue;
    file = g_strdup_printf(NODE_DIRECTORY "/%s/cpulist", name);
    text = pass_host_read(host, file);
    if (!text || !pass_cpulist_parse(g_strstrip(text), cpus)) {
      g_debug("%s: no CPU list", file);
      continue;
    }
    for (guint i = 0; i < cpus->len; i++) {
      int cpu = g_array_index(cpus, int, i);
      int value = (int)node;

      while (map->len <= (guint)cpu) {
        int unknown = -1;

        g_array_append_val(map, unknown);
      }
      g_array_index(map, int, cpu) = value;
    }
  }
  return map;
}
