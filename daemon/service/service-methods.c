#define G_LOG_DOMAIN "passd"

#include "service-methods.h"

#include <stddef.h>

#include "pass-error.h"
#include "service-private.h"
#include "tx.h"
#include "xml-hostdev.h"

#define INTERFACE "io.passd.Manager"

/* clang-format off */
#define STRING(name, field, required) \
  {name, PASS_PARAM_STRING, required, .offset = offsetof(PassArgs, field)}
#define ADDRESS         {"address", PASS_PARAM_ADDRESS, TRUE}
#define DEVICE          {"address", PASS_PARAM_DEVICE, TRUE}
#define FLAG(name, bit) {name, PASS_PARAM_BOOL_FLAG, FALSE, .flag = bit}
#define END             {NULL}
/* Which device, in which domain, in which definitions: Attach and Detach alike. */
#define ASSIGNMENT \
  STRING("domain", domain, TRUE), DEVICE, FLAG("live", PASS_OP_LIVE), \
  FLAG("config", PASS_OP_CONFIG)
/* clang-format on */

/* Each table lists its fields in the order they are checked: that decides which of several bad
 * ones is reported. */
static const PassParam list_devices_params[] = {
    STRING("kind", kind, FALSE),
    STRING("vendor_id", vendor_id, FALSE),
    STRING("product_id", product_id, FALSE),
    STRING("class", device_class, FALSE),
    STRING("driver", driver, FALSE),
    STRING("owner", owner, FALSE),
    STRING("sriov", sriov, FALSE),
    END,
};
static const PassParam get_device_params[] = {DEVICE, END};
static const PassParam get_domain_params[] = {STRING("domain", domain, TRUE), END};
/* The address is optional here: exactly one of it and pool (checked by the handler). */
static const PassParam attach_params[] = {
    STRING("domain", domain, TRUE),
    {"address", PASS_PARAM_DEVICE, FALSE},
    FLAG("live", PASS_OP_LIVE),
    FLAG("config", PASS_OP_CONFIG),
    FLAG("whole_group", PASS_OP_WHOLE_GROUP),
    FLAG("force", PASS_OP_FORCE),
    FLAG("interface", PASS_OP_INTERFACE),
    /* Only with interface (pass_service_attach checks). */
    {"mac", PASS_PARAM_MAC, FALSE},
    {"vlan", PASS_PARAM_INT, FALSE, .offset = offsetof(PassArgs, vlan), .min = 1,
     .max = PASS_VLAN_MAX, .def = 0},
    FLAG("dry_run", PASS_OP_DRY_RUN),
    /* pools */
    STRING("pool", pool, FALSE),
    {"count", PASS_PARAM_INT, FALSE, .offset = offsetof(PassArgs, vf_count), .min = 1,
     .max = PASS_SERVICE_MAX_POOL_COUNT, .def = 1},
    STRING("numa", numa, FALSE),
    STRING("policy", policy, FALSE),
    /* by mdev type: instead of address and pool */
    STRING("mdev_type", mdev_type, FALSE),
    STRING("parent", mdev_parent, FALSE),
    FLAG("persistent", PASS_ARGS_FLAG_PERSISTENT),
    END,
};
static const PassParam detach_params[] = {
    ASSIGNMENT,
    FLAG("dry_run", PASS_OP_DRY_RUN),
    /* Absent: the transactions' default (RemovalTimeout in passd.conf). */
    {"timeout", PASS_PARAM_INT, FALSE, .offset = offsetof(PassArgs, timeout), .min = 0,
     .max = PASS_TX_MAX_REMOVAL_TIMEOUT_MS / 1000, .def = PASS_ARGS_TIMEOUT_DEFAULT},
    END,
};
static const PassParam check_host_params[] = {{"address", PASS_PARAM_ADDRESS, FALSE}, END};
static const PassParam reattach_params[] = {ADDRESS, FLAG("dry_run", PASS_OP_DRY_RUN), END};
/* pools */
static const PassParam define_pool_params[] = {
    STRING("name", pool_name, TRUE),
    STRING("kind", kind, FALSE),
    STRING("vendor_id", vendor_id, FALSE),
    STRING("product_id", product_id, FALSE),
    STRING("driver", driver, FALSE),
    {"pfs", PASS_PARAM_STRINGS, FALSE, .offset = offsetof(PassArgs, pfs)},
    {"numa_node", PASS_PARAM_INT, FALSE, .offset = offsetof(PassArgs, numa_node), .min = 0,
     .max = PASS_SERVICE_MAX_NUMA_NODE, .def = -1},
    END,
};
static const PassParam undefine_pool_params[] = {STRING("name", pool_name, TRUE), END};
static const PassParam get_balance_params[] = {FLAG("plan", PASS_ARGS_FLAG_PLAN), END};
static const PassParam get_sriov_params[] = {{"pf", PASS_PARAM_ADDRESS, FALSE}, END};
static const PassParam set_num_vfs_params[] = {
    {"pf", PASS_PARAM_ADDRESS, TRUE},
    {"count", PASS_PARAM_INT, TRUE, .offset = offsetof(PassArgs, count), .min = 0,
     .max = PASS_TX_MAX_NUM_VFS, .def = -1},
    {"autoprobe", PASS_PARAM_BOOL, FALSE, .offset = offsetof(PassArgs, autoprobe)},
    FLAG("force", PASS_OP_FORCE),
    FLAG("dry_run", PASS_OP_DRY_RUN),
    END,
};
/* mediated devices */
static const PassParam create_mdev_params[] = {
    STRING("parent", mdev_parent, TRUE),
    STRING("type", mdev_type, TRUE),
    STRING("uuid", mdev_uuid, FALSE),
    FLAG("persistent", PASS_ARGS_FLAG_PERSISTENT),
    FLAG("autostart", PASS_ARGS_FLAG_AUTOSTART),
    END,
};
static const PassParam remove_mdev_params[] = {DEVICE, END};

const PassMethod pass_service_methods[] = {
    {"GetStatus", pass_service_get_status, PASS_ACCESS_READ, NULL},
    {"ListDevices", pass_service_list_devices, PASS_ACCESS_READ, list_devices_params},
    {"GetDevice", pass_service_get_device, PASS_ACCESS_READ, get_device_params},
    {"Watch", pass_service_watch, PASS_ACCESS_READ, NULL},
    {"GetDomain", pass_service_get_domain, PASS_ACCESS_READ, get_domain_params},
    {"CheckHost", pass_service_check_host, PASS_ACCESS_READ, check_host_params},
    {"Attach", pass_service_attach, PASS_ACCESS_WRITE, attach_params},
    {"Detach", pass_service_detach, PASS_ACCESS_WRITE, detach_params},
    {"Reattach", pass_service_reattach, PASS_ACCESS_WRITE, reattach_params},
    /* pools */
    {"ListPools", pass_service_list_pools, PASS_ACCESS_READ, NULL},
    {"DefinePool", pass_service_define_pool, PASS_ACCESS_WRITE, define_pool_params},
    {"UndefinePool", pass_service_undefine_pool, PASS_ACCESS_WRITE, undefine_pool_params},
    {"GetBalance", pass_service_get_balance, PASS_ACCESS_READ, get_balance_params},
    {"GetSriov", pass_service_get_sriov, PASS_ACCESS_READ, get_sriov_params},
    {"SetNumVFs", pass_service_set_num_vfs, PASS_ACCESS_WRITE, set_num_vfs_params},
    /* mediated devices */
    {"ListMdevTypes", pass_service_list_mdev_types, PASS_ACCESS_READ, NULL},
    {"CreateMdev", pass_service_create_mdev, PASS_ACCESS_WRITE, create_mdev_params},
    {"RemoveMdev", pass_service_remove_mdev, PASS_ACCESS_WRITE, remove_mdev_params},
};
const guint pass_service_n_methods = G_N_ELEMENTS(pass_service_methods);

const PassMethod *
pass_service_lookup_method(const char *name)
{
  for (guint i = 0; i < pass_service_n_methods; i++)
    if (g_str_equal(pass_service_methods[i].name, name))
      return &pass_service_methods[i];
  return NULL;
}

gboolean
pass_service_authorize(PassService *service, PassRequest *request, const PassMethod *method)
{
  GArray *groups = request->groups;

  return pass_authz_may_write(request->uid, request->gid,
                              groups ? (const gid_t *)(gpointer)groups->data : NULL,
                              groups ? groups->len : 0, service->write_group);
}

static gboolean
allowed(PassService *service, PassRequest *request, const PassMethod *method)
{
  switch (method->access) {
    case PASS_ACCESS_READ:
      return TRUE;
    case PASS_ACCESS_WRITE:
      return pass_service_authorize(service, request, method);
    case PASS_ACCESS_NONE:
      break;
  }
  return FALSE; /* deny by default: an entry must say who may call it */
}

typedef struct {
  PassService *service;
  const PassMethod *method;
} Binding;

static void
dispatch(PassVarlinkCall *call, JsonObject *parameters, gpointer user_data)
{
  const Binding *binding = user_data;
  const PassMethod *method = binding->method;
  g_autoptr(PassRequest) request = pass_request_new(
      method->name, pass_varlink_call_get_peer_uid(call), pass_varlink_call_get_peer_gid(call),
      pass_varlink_call_get_peer_pid(call), pass_varlink_call_get_peer_groups(call));
  g_auto(PassArgs) args = {0};
  const char *bad;

  if (!allowed(binding->service, request, method)) {
    g_autoptr(JsonObject) extra = json_object_new();
    g_autofree char *who = pass_request_describe(request);

    g_info("%s: permission denied", who);
    json_object_set_string_member(extra, "method", pass_varlink_call_get_method(call));
    pass_varlink_call_reply_error(call, pass_error_to_name(PASS_ERROR_PERMISSION_DENIED), extra);
    return;
  }
  /* Every change to the host is in the log with who asked for it. */
  if (method->access == PASS_ACCESS_WRITE) {
    g_autofree char *who = pass_request_describe(request);

    g_info("%s", who);
  }
  if (!pass_args_decode(&args, method->params, parameters, &bad)) {
    pass_varlink_call_reply_invalid_parameter(call, bad);
    return;
  }
  if (!pass_service_resolve_device(binding->service, call, &args))
    return;
  method->func(binding->service, call, request, &args);
}

void
pass_service_register_methods(PassService *service, PassVarlinkServer *server,
                              const PassMethod *methods, guint n_methods)
{
  for (guint i = 0; i < n_methods; i++) {
    Binding *binding = g_new(Binding, 1);
    g_autofree char *name = g_strconcat(INTERFACE ".", methods[i].name, NULL);

    binding->service = service;
    binding->method = &methods[i];
    g_ptr_array_add(service->bindings, binding);
    pass_varlink_server_add_method(server, name, dispatch, binding);
  }
}
