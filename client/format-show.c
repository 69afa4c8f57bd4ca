/* passctl show: every field of one device, one per line. */
#include "format.h"

/* Values start in one column so the eye can run down them. */
#define LABEL_WIDTH 20

static void
add_field(GString *out, const char *label, const char *value)
{
  g_string_append_printf(out, "%-*s%s\n", LABEL_WIDTH, label, value);
}

/* Continuation lines under a field (group mates, VFs). */
static void
add_item(GString *out, const char *value)
{
  g_string_append_printf(out, "%-*s%s\n", LABEL_WIDTH, "", value);
}

static char *
name_with_id(const char *name, const char *id)
{
  if (name != NULL)
    return g_strdup_printf("%s (%s)", name, id ? id : "?");
  return g_strdup_printf("unknown (%s)", id ? id : "?");
}

static void
add_group(GString *out, JsonObject *device, GHashTable *group)
{
  const char *self = passctl_json_string(device, "address");
  JsonArray *members = passctl_json_array(device, "iommu_group_members");
  guint n = members ? json_array_get_length(members) : 0;
  gint64 number;
  g_autofree char *value = NULL;

  if (!passctl_json_int(device, "iommu_group", &number)) {
    add_field(out, "IOMMU group:", "none");
    return;
  }
  value = g_strdup_printf("%" G_GINT64_FORMAT " (%u device%s)", number, n, n == 1 ? "" : "s");
  add_field(out, "IOMMU group:", value);

  for (guint i = 0; i < n; i++) {
    const char *mate = json_array_get_string_element(members, i);
    JsonObject *other;
    const char *driver;
    g_autofree char *line = NULL;

    if (mate == NULL)
      continue;
    if (g_strcmp0(mate, self) == 0) {
      other = device;
    } else {
      other = group ? g_hash_table_lookup(group, mate) : NULL;
    }
    if (other != NULL)
      driver = passctl_json_string(other, "driver") ?: "-";
    else
      driver = "?";
    line = g_strdup_printf("%s  %s%s", mate, driver,
                           g_strcmp0(mate, self) == 0 ? "  (this device)" : "");
    add_item(out, line);
  }
}

static void
add_sriov(GString *out, JsonObject *device)
{
  const char *physfn = passctl_json_string(device, "physfn");
  JsonArray *vfs = passctl_json_array(device, "vfs");
  guint n = vfs ? json_array_get_length(vfs) : 0;
  gint64 total;
  g_autofree char *value = NULL;

  if (physfn != NULL) {
    add_field(out, "Physical function:", physfn);
    return;
  }
  if (passctl_json_int(device, "totalvfs", &total))
    value = g_strdup_printf("%u of %" G_GINT64_FORMAT, n, total);
  else if (n > 0)
    value = g_strdup_printf("%u", n);
  else
    return; /* not SR-IOV: no line at all */
  add_field(out, "Virtual functions:", value);
  for (guint i = 0; i < n; i++) {
    const char *vf = json_array_get_string_element(vfs, i);

    if (vf != NULL)
      add_item(out, vf);
  }
}

char *
passctl_format_device_show(JsonObject *device, GHashTable *group)
{
  g_autoptr(GString) out = g_string_new(NULL);
  const char *class = passctl_json_string(device, "class");
  const char *class_name = passctl_class_name(device);
  const char *parent = passctl_json_string(device, "parent");
  g_autofree char *vendor =
      name_with_id(passctl_json_string(device, "vendor"), passctl_json_string(device, "vendor_id"));
  g_autofree char *product = name_with_id(passctl_json_string(device, "product"),
                                          passctl_json_string(device, "product_id"));
  g_autofree char *class_text = NULL;
  g_autofree char *numa = NULL;
  g_autofree char *owners = passctl_device_owners(device, ", ");
  g_autofree char *netdevs = passctl_device_strings(device, "netdevs", ", ");
  gint64 node;

  if (class_name != NULL)
    class_text = g_strdup_printf("%s (%s)", class ? class : "?", class_name);
  else
    class_text = g_strdup(class ? class : "?");
  if (passctl_json_int(device, "numa_node", &node))
    numa = g_strdup_printf("%" G_GINT64_FORMAT, node);

  add_field(out, "Address:", passctl_json_string(device, "address") ?: "?");
  add_field(out, "Name:", passctl_json_string(device, "name") ?: "?");
  /* a mediated device has no PCI identity of its own: its type, parent and state instead */
  if (passctl_json_object(device, "mdev")) {
    g_autofree char *state = passctl_mdev_state(passctl_json_object(device, "mdev"));

    add_field(out,
              "Type:", passctl_json_string(passctl_json_object(device, "mdev"), "type") ?: "?");
    add_field(out,
              "Parent:", passctl_json_string(passctl_json_object(device, "mdev"), "parent") ?: "?");
    add_field(out, "State:", state);
    add_field(out, "Driver:", passctl_json_string(device, "driver") ?: "none");
    add_group(out, device, group);
    add_field(out, "Owners:", owners ? owners : "none");
    return g_string_free(g_steal_pointer(&out), FALSE);
  }
  add_field(out, "Vendor:", vendor);
  add_field(out, "Product:", product);
  add_field(out, "Class:", class_text);
  add_field(out, "Driver:", passctl_json_string(device, "driver") ?: "none");
  passctl_format_usb_show(out, device, LABEL_WIDTH);
  add_group(out, device, group);
  add_field(out, "NUMA node:", numa ? numa : "unknown");
  add_field(out, "Parent:", parent ? parent : "none (root bus)");
  if (netdevs != NULL)
    add_field(out, "Interfaces:", netdevs);
  add_sriov(out, device);
  add_field(out, "Owners:", owners ? owners : "none");
  return g_string_free(g_steal_pointer(&out), FALSE);
}
