/* passctl list: the device table and the --tree view. */
#include "format.h"

static const char *const table_headers[] = {
    "ADDRESS", "VENDOR:PRODUCT", "CLASS", "DRIVER", "IOMMU", "NUMA", "SR-IOV", "OWNERS", "NAME",
};

static char *
optional_int(JsonObject *device, const char *member)
{
  gint64 value;

  if (!passctl_json_int(device, member, &value))
    return NULL; /* the table prints "-" */
  return g_strdup_printf("%" G_GINT64_FORMAT, value);
}

static JsonObject *
device_at(JsonArray *devices, guint i)
{
  JsonNode *node = json_array_get_element(devices, i);

  return JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

char *
passctl_format_device_table(JsonArray *devices, int max_width)
{
  g_autoptr(PassctlTable) table = passctl_table_new(G_N_ELEMENTS(table_headers), table_headers);
  guint n = devices ? json_array_get_length(devices) : 0;

  for (guint i = 0; i < n; i++) {
    JsonObject *device = device_at(devices, i);
    g_autofree char *ids = NULL;
    g_autofree char *class = NULL;
    g_autofree char *iommu = NULL;
    g_autofree char *numa = NULL;
    g_autofree char *sriov = NULL;
    g_autofree char *owners = NULL;
    g_autofree char *names = NULL;
    g_autofree char *usb_drivers = NULL;

    if (device == NULL)
      continue;
    usb_drivers = passctl_usb_driver_cell(device);
    ids = passctl_device_ids(device);
    class = passctl_device_class_short(device);
    iommu = optional_int(device, "iommu_group");
    numa = optional_int(device, "numa_node");
    sriov = passctl_device_sriov(device);
    owners = passctl_device_owners(device, ",");
    names = passctl_device_names(device);
    {
      const char *cells[] = {
          passctl_json_string(device, "address"),
          ids,
          class,
          usb_drivers ? usb_drivers : passctl_json_string(device, "driver"),
          iommu,
          numa,
          sriov,
          owners,
          names,
      };
      passctl_table_add_row(table, cells);
    }
  }
  return passctl_table_render(table, max_width);
}

/* ---- tree ---- */

typedef struct {
  JsonObject *device;
  const char *address;
  GPtrArray *children; /* of Node, sorted by address */
  gboolean placed;     /* printed already (guards against cycles in bad data) */
} Node;

static void
node_free(Node *node)
{
  g_ptr_array_unref(node->children);
  g_free(node);
}

static gint
node_compare(gconstpointer a, gconstpointer b)
{
  const Node *na = *(Node *const *)a;
  const Node *nb = *(Node *const *)b;

  return g_strcmp0(na->address, nb->address);
}

typedef struct {
  PassctlTable *table;
  const char *branch; /* connector before a child that has later siblings */
  const char *last;   /* connector before the last child */
  const char *pipe;   /* indentation under a child that has later siblings */
} TreePrinter;

static void
tree_add_line(TreePrinter *printer, Node *node, const char *prefix)
{
  g_autofree char *first = g_strconcat(prefix, node->address, NULL);
  g_autofree char *ids = passctl_device_ids(node->device);
  g_autofree char *owners_list = passctl_device_owners(node->device, ",");
  g_autofree char *owners = owners_list ? g_strdup_printf("[%s]", owners_list) : g_strdup("");
  g_autofree char *names = passctl_device_names(node->device);
  const char *cells[] = {
      first, ids, passctl_json_string(node->device, "driver"), owners, names ? names : "",
  };

  passctl_table_add_row(printer->table, cells);
}

static void
tree_add_children(TreePrinter *printer, Node *node, const char *indent)
{
  for (guint i = 0; i < node->children->len; i++) {
    Node *child = g_ptr_array_index(node->children, i);
    gboolean is_last = i + 1 == node->children->len;
    g_autofree char *prefix = NULL;
    g_autofree char *child_indent = NULL;

    if (child->placed)
      continue;
    child->placed = TRUE;
    prefix = g_strconcat(indent, is_last ? printer->last : printer->branch, NULL);
    child_indent = g_strconcat(indent, is_last ? "   " : printer->pipe, NULL);
    tree_add_line(printer, child, prefix);
    tree_add_children(printer, child, child_indent);
  }
}

char *
passctl_format_device_tree(JsonArray *devices, gboolean utf8, int max_width)
{
  g_autoptr(GHashTable) by_address = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
  g_autoptr(GPtrArray) roots = g_ptr_array_new();
  g_autoptr(PassctlTable) table = passctl_table_new(5, NULL);
  TreePrinter printer = {
      .table = table,
      .branch = utf8 ? "├─ " : "+- ",
      .last = utf8 ? "└─ " : "`- ",
      .pipe = utf8 ? "│  " : "|  ",
  };
  guint n = devices ? json_array_get_length(devices) : 0;

  for (guint i = 0; i < n; i++) {
    JsonObject *device = device_at(devices, i);
    const char *address = passctl_json_string(device, "address");
    Node *node;

    if (address == NULL || g_hash_table_contains(by_address, address))
      continue;
    node = g_new0(Node, 1);
    node->device = device;
    node->address = address;
    node->children = g_ptr_array_new();
    g_ptr_array_add(nodes, node);
    g_hash_table_insert(by_address, (gpointer)address, node);
  }

  for (guint i = 0; i < nodes->len; i++) {
    Node *node = g_ptr_array_index(nodes, i);
    /* A VF hangs off a bridge in PCI terms, but users look for it under its PF. */
    const char *physfn = passctl_json_string(node->device, "physfn");
    Node *up = physfn ? g_hash_table_lookup(by_address, physfn) : NULL;

    if (up == NULL) {
      const char *parent = passctl_json_string(node->device, "parent");

      up = parent ? g_hash_table_lookup(by_address, parent) : NULL;
    }
    if (up != NULL && up != node)
      g_ptr_array_add(up->children, node);
    else
      g_ptr_array_add(roots, node);
  }
  for (guint i = 0; i < nodes->len; i++) {
    Node *node = g_ptr_array_index(nodes, i);

    g_ptr_array_sort(node->children, node_compare);
  }
  g_ptr_array_sort(roots, node_compare);

  for (guint i = 0; i < roots->len; i++) {
    Node *root = g_ptr_array_index(roots, i);

    root->placed = TRUE;
    tree_add_line(&printer, root, "");
    tree_add_children(&printer, root, "");
  }
  /* Devices on a parent cycle (bad data) are reachable from no root: print them flat rather
   * than drop them. */
  g_ptr_array_sort(nodes, node_compare);
  for (guint i = 0; i < nodes->len; i++) {
    Node *node = g_ptr_array_index(nodes, i);

    if (node->placed)
      continue;
    node->placed = TRUE;
    tree_add_line(&printer, node, "");
    tree_add_children(&printer, node, "");
  }
  return passctl_table_render(table, max_width);
}
