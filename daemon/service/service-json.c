#define G_LOG_DOMAIN "passd"

#include "service-json.h"

#include "pass-error.h"

static void
set_string_or_null(JsonObject *object, const char *member, const char *value)
{
  if (value)
    json_object_set_string_member(object, member, value);
  else
    json_object_set_null_member(object, member);
}

/* -1 is the structs' "unknown". */
static void
set_int_or_null(JsonObject *object, const char *member, int value)
{
  if (value >= 0)
    json_object_set_int_member(object, member, value);
  else
    json_object_set_null_member(object, member);
}

/* "0x" and @digits lower-case hex digits. */
static void
set_hex(JsonObject *object, const char *member, int digits, guint value)
{
  g_autofree char *text = g_strdup_printf("0x%0*x", digits, value);

  json_object_set_string_member(object, member, text);
}

JsonArray *
pass_json_strings(GPtrArray *strings)
{
  JsonArray *array = json_array_sized_new(strings ? strings->len : 0);

  for (guint i = 0; strings && i < strings->len; i++)
    json_array_add_string_element(array, g_ptr_array_index(strings, i));
  return array;
}

static void
set_strings(JsonObject *object, const char *member, GPtrArray *strings)
{
  json_object_set_array_member(object, member, pass_json_strings(strings));
}

static void
set_strv(JsonObject *object, const char *member, const char *const *strings)
{
  JsonArray *array = json_array_new();

  for (guint i = 0; strings && strings[i]; i++)
    json_array_add_string_element(array, strings[i]);
  json_object_set_array_member(object, member, array);
}

JsonObject *
pass_json_device(const PassDevice *device, GPtrArray *iommu_group_members, GPtrArray *vfs,
                 GPtrArray *owners)
{
  JsonObject *object = json_object_new();

  /* Member order follows the IDL so the output reads like the documentation. */
  json_object_set_string_member(object, "address", device->address);
  json_object_set_string_member(object, "kind", pass_device_kind_to_string(device->kind));
  json_object_set_string_member(object, "name", device->name ? device->name : "");
  set_hex(object, "vendor_id", 4, device->vendor_id);
  set_hex(object, "product_id", 4, device->product_id);
  set_string_or_null(object, "vendor", device->vendor);
  set_string_or_null(object, "product", device->product);
  set_hex(object, "class", 6, device->class_code);
  set_string_or_null(object, "driver", device->driver);
  set_int_or_null(object, "iommu_group", device->iommu_group);
  set_strings(object, "iommu_group_members", iommu_group_members);
  set_int_or_null(object, "numa_node", device->numa_node);
  set_string_or_null(object, "parent", device->parent);
  set_string_or_null(object, "physfn", device->physfn);
  set_strings(object, "vfs", vfs);
  set_int_or_null(object, "totalvfs", device->totalvfs);
  set_strv(object, "netdevs", (const char *const *)device->netdevs);
  set_strings(object, "owners", owners);
  /* absent for other kinds: an optional member, and their JSON stays as it was */
  if (device->kind == PASS_DEVICE_KIND_MDEV)
    json_object_set_object_member(object, "mdev", pass_json_mdev(device));
  if (device->usb != NULL)
    json_object_set_object_member(object, "usb", pass_json_usb(device->usb));
  if (device->provisional)
    json_object_set_boolean_member(object, "provisional", TRUE);
  return object;
}

JsonObject *
pass_json_usb(const PassUsbInfo *usb)
{
  JsonObject *object = json_object_new();
  JsonArray *drivers = json_array_new();

  json_object_set_string_member(object, "port", usb->port);
  set_int_or_null(object, "bus", usb->bus);
  set_int_or_null(object, "device", usb->devnum);
  if (usb->device_class >= 0)
    set_hex(object, "class", 2, (guint)usb->device_class);
  else
    json_object_set_null_member(object, "class");
  set_string_or_null(object, "speed", usb->speed);
  for (guint i = 0; usb->drivers != NULL && usb->drivers[i] != NULL; i++)
    json_array_add_string_element(drivers, usb->drivers[i]);
  json_object_set_array_member(object, "drivers", drivers);
  set_string_or_null(object, "controller", usb->controller);
  return object;
}

JsonObject *
pass_json_engine_device(PassEngine *engine, const PassDevice *device)
{
  return pass_json_device(device, pass_engine_get_group_members(engine, device),
                          pass_engine_get_vfs(engine, device->address),
                          pass_engine_get_owners(engine, device->address));
}

JsonObject *
pass_json_assignment(const PassHostdev *hostdev, const PassDevice *device, gboolean removal_pending)
{
  JsonObject *object = json_object_new();

  json_object_set_string_member(object, "address", hostdev->address);
  set_string_or_null(object, "guest_address", hostdev->guest_address);
  if (device) {
    set_hex(object, "vendor_id", 4, device->vendor_id);
    set_hex(object, "product_id", 4, device->product_id);
  } else {
    json_object_set_null_member(object, "vendor_id");
    json_object_set_null_member(object, "product_id");
  }
  set_string_or_null(object, "vendor", device ? device->vendor : NULL);
  set_string_or_null(object, "product", device ? device->product : NULL);
  json_object_set_boolean_member(object, "live", (hostdev->where & PASS_HOSTDEV_LIVE) != 0);
  json_object_set_boolean_member(object, "config", (hostdev->where & PASS_HOSTDEV_CONFIG) != 0);
  json_object_set_boolean_member(object, "interface", hostdev->interface);
  set_string_or_null(object, "mac", hostdev->interface ? hostdev->mac : NULL);
  set_int_or_null(object, "vlan", hostdev->interface ? hostdev->vlan : -1);
  json_object_set_boolean_member(object, "removal_pending", removal_pending);
  return object;
}

JsonObject *
pass_json_check(const PassCheck *check)
{
  JsonObject *object = json_object_new();

  json_object_set_string_member(object, "id", check->id);
  json_object_set_string_member(object, "title", check->title);
  json_object_set_string_member(object, "status", pass_check_status_name(check->status));
  json_object_set_string_member(object, "evidence", check->evidence);
  set_string_or_null(object, "fix", check->fix);
  return object;
}

const char *
pass_json_domain_state(const PassDomain *domain)
{
  if (!domain->active)
    return "shutoff";
  switch (domain->state) {
    case PASS_DOMAIN_STATE_RUNNING:
      return "running";
    case PASS_DOMAIN_STATE_PAUSED:
      return "paused";
    case PASS_DOMAIN_STATE_SHUTOFF:
      return "shutoff";
    case PASS_DOMAIN_STATE_OTHER:
      break;
  }
  return "other";
}

const char *
pass_json_event_type_name(PassEngineEventType type)
{
  switch (type) {
    case PASS_ENGINE_EVENT_ADDED:
      return "added";
    case PASS_ENGINE_EVENT_REMOVED:
      return "removed";
    case PASS_ENGINE_EVENT_CHANGED:
      return "changed";
    case PASS_ENGINE_EVENT_OWNERS:
      return "owners";
    case PASS_ENGINE_EVENT_HYPERVISOR:
      return "hypervisor";
    case PASS_ENGINE_EVENT_DOMAIN:
      break; /* not an API event */
  }
  g_return_val_if_reached("changed");
}

static JsonObject *
event_new(const char *type, gint64 time)
{
  JsonObject *object = json_object_new();

  json_object_set_string_member(object, "type", type);
  json_object_set_int_member(object, "timestamp", time);
  json_object_set_null_member(object, "address");
  json_object_set_null_member(object, "device");
  json_object_set_null_member(object, "connected");
  json_object_set_null_member(object, "message");
  return object;
}

JsonObject *
pass_json_event(const PassEngineEvent *event, JsonObject *device)
{
  JsonObject *object = event_new(pass_json_event_type_name(event->type), event->time);

  if (event->type == PASS_ENGINE_EVENT_HYPERVISOR) {
    json_object_set_boolean_member(object, "connected", event->connected);
    set_string_or_null(object, "message", event->message);
    return object;
  }
  set_string_or_null(object, "address", event->address);
  if (device && event->type != PASS_ENGINE_EVENT_REMOVED)
    json_object_set_object_member(object, "device", json_object_ref(device));
  return object;
}

JsonObject *
pass_json_event_subscribed(gint64 time)
{
  return event_new("subscribed", time);
}

static const char *const action_names[] = {
    [PASS_ACTION_DETACH_HOST] = "detach_host", [PASS_ACTION_ATTACH] = "attach",
    [PASS_ACTION_DETACH] = "detach",           [PASS_ACTION_REATTACH_HOST] = "reattach_host",
    [PASS_ACTION_SET_NUM_VFS] = "set_num_vfs",
};

JsonObject *
pass_json_action(const PassAction *action)
{
  JsonObject *object = json_object_new();
  gboolean host =
      action->type == PASS_ACTION_DETACH_HOST || action->type == PASS_ACTION_REATTACH_HOST;
  gboolean domain = action->type == PASS_ACTION_ATTACH || action->type == PASS_ACTION_DETACH;
  gboolean sriov = action->type == PASS_ACTION_SET_NUM_VFS;

  json_object_set_string_member(object, "action", action_names[action->type]);
  json_object_set_string_member(object, "address", action->address);
  set_string_or_null(object, "driver_from", host ? action->driver_from : NULL);
  set_string_or_null(object, "driver_to", host ? action->driver_to : NULL);
  if (host)
    json_object_set_boolean_member(object, "driver_to_default", action->to_default);
  else
    json_object_set_null_member(object, "driver_to_default");
  set_string_or_null(object, "domain", domain ? action->domain : NULL);
  if (!domain) {
    json_object_set_null_member(object, "live");
    json_object_set_null_member(object, "config");
  } else {
    json_object_set_boolean_member(object, "live", (action->where & PASS_HOSTDEV_LIVE) != 0);
    json_object_set_boolean_member(object, "config", (action->where & PASS_HOSTDEV_CONFIG) != 0);
  }
  set_string_or_null(object, "xml", domain ? action->xml : NULL);
  set_int_or_null(object, "numvfs_from", sriov ? action->numvfs_from : -1);
  set_int_or_null(object, "numvfs_to", sriov ? action->numvfs_to : -1);
  if (sriov && action->autoprobe >= 0)
    json_object_set_boolean_member(object, "autoprobe", action->autoprobe != 0);
  else
    json_object_set_null_member(object, "autoprobe");
  return object;
}

JsonObject *
pass_json_op_error(const PassOpResult *result)
{
  JsonObject *extra = json_object_new();

  switch (result->error->code) {
    case PASS_ERROR_INVALID_PARAMETER:
      set_string_or_null(extra, "parameter", result->parameter);
      break;
    case PASS_ERROR_NO_SUCH_DOMAIN:
      set_string_or_null(extra, "domain", result->domain);
      break;
    case PASS_ERROR_NO_ELIGIBLE_DEVICE:
    case PASS_ERROR_NO_SUCH_POOL:
      set_string_or_null(extra, "pool", result->pool);
      break;
    case PASS_ERROR_NO_SUCH_DEVICE:
      set_string_or_null(extra, "address", result->address);
      break;
    case PASS_ERROR_DEVICE_IN_USE:
      set_string_or_null(extra, "address", result->address);
      json_object_set_array_member(extra, "owners", pass_json_strings(result->owners));
      break;
    case PASS_ERROR_DEVICE_NOT_ASSIGNED:
    case PASS_ERROR_REMOVAL_PENDING:
    case PASS_ERROR_REMOVAL_FAILED:
      set_string_or_null(extra, "address", result->address);
      set_string_or_null(extra, "domain", result->domain);
      break;
    case PASS_ERROR_IOMMU_GROUP_NOT_VIABLE: {
      JsonArray *blocking = json_array_new();

      for (guint i = 0; result->blockers && i < result->blockers->len; i++) {
        const PassBlocker *blocker = g_ptr_array_index(result->blockers, i);
        JsonObject *object = json_object_new();

        json_object_set_string_member(object, "address", blocker->address);
        set_string_or_null(object, "driver", blocker->driver);
        json_array_add_object_element(blocking, object);
      }
      set_string_or_null(extra, "address", result->address);
      json_object_set_int_member(extra, "group", result->group);
      json_object_set_array_member(extra, "blocking", blocking);
      break;
    }
    case PASS_ERROR_DEVICE_PROTECTED:
      set_string_or_null(extra, "address", result->address);
      set_string_or_null(extra, "reason", result->reason);
      break;
    case PASS_ERROR_VFS_IN_USE:
      set_string_or_null(extra, "pf", result->address);
      json_object_set_array_member(extra, "vfs", pass_json_strings(result->vfs));
      break;
    case PASS_ERROR_SRIOV_NOT_SUPPORTED:
      set_string_or_null(extra, "address", result->address);
      break;
    default:
      break;
  }
  return extra;
}

static JsonObject *
sriov_vf(const PassSriovVf *vf)
{
  JsonObject *object = json_object_new();

  json_object_set_string_member(object, "address", vf->address);
  json_object_set_int_member(object, "index", vf->index);
  set_string_or_null(object, "driver", vf->driver);
  set_strings(object, "owners", vf->owners);
  set_int_or_null(object, "numa_node", vf->numa_node);
  return object;
}

JsonObject *
pass_json_sriov_pf(const PassSriovPf *pf)
{
  JsonObject *object = json_object_new();
  JsonArray *vfs = json_array_sized_new(pf->vfs->len);

  json_object_set_string_member(object, "address", pf->address);
  json_object_set_boolean_member(object, "present", pf->present);
  set_int_or_null(object, "totalvfs", pf->totalvfs);
  set_int_or_null(object, "numvfs", pf->numvfs);
  set_int_or_null(object, "desired", pf->desired);
  if (pf->autoprobe >= 0)
    json_object_set_boolean_member(object, "autoprobe", pf->autoprobe != 0);
  else
    json_object_set_null_member(object, "autoprobe");
  set_string_or_null(object, "driver", pf->driver);
  set_int_or_null(object, "numa_node", pf->numa_node);
  json_object_set_string_member(object, "state", pass_sriov_state_name(pf->state));
  set_string_or_null(object, "message", pf->message);
  for (guint i = 0; i < pf->vfs->len; i++)
    json_array_add_object_element(vfs, sriov_vf(g_ptr_array_index(pf->vfs, i)));
  json_object_set_array_member(object, "vfs", vfs);
  return object;
}

char *
pass_json_to_string(JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);

  return json_to_string(node, FALSE);
}

void
pass_json_journal_status(JsonObject *reply, PassTx *tx)
{
  g_auto(GStrv) held = pass_tx_list_held(tx);
  GPtrArray *recovered = pass_tx_get_recovered(tx);
  JsonArray *held_array = json_array_new();
  JsonArray *recovered_array = json_array_new();

  set_string_or_null(reply, "journal", pass_tx_get_journal_path(tx));
  json_object_set_int_member(reply, "open_operations", pass_tx_get_n_intents(tx));
  json_object_set_boolean_member(reply, "recovering", pass_tx_is_recovering(tx));
  for (guint i = 0; held[i]; i++) {
    JsonObject *object = json_object_new();
    const char *driver = NULL;

    pass_tx_lookup_original(tx, held[i], &driver);
    json_object_set_string_member(object, "address", held[i]);
    set_string_or_null(object, "driver", driver);
    json_array_add_object_element(held_array, object);
  }
  json_object_set_array_member(reply, "held", held_array);
  for (guint i = 0; i < recovered->len; i++) {
    const PassRecovery *recovery = g_ptr_array_index(recovered, i);
    JsonObject *object = json_object_new();
    g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(recovery->time / G_USEC_PER_SEC);
    g_autofree char *text = g_date_time_format_iso8601(time);

    json_object_set_string_member(object, "time", text);
    json_object_set_string_member(object, "operation", recovery->operation);
    json_object_set_string_member(object, "address", recovery->address);
    set_string_or_null(object, "domain", recovery->domain);
    json_object_set_string_member(object, "outcome", recovery->outcome);
    json_object_set_boolean_member(object, "resolved", recovery->resolved);
    json_array_add_object_element(recovered_array, object);
  }
  json_object_set_array_member(reply, "recovered", recovered_array);
}

/* ---- pools ---- */

void
pass_json_pool_picks(JsonObject *reply, const PassOpResult *result)
{
  JsonArray *picks = json_array_new();

  for (guint i = 0; result->picks && i < result->picks->len; i++) {
    const PassPoolPick *pick = g_ptr_array_index(result->picks, i);
    JsonObject *object = json_object_new();

    json_object_set_string_member(object, "address", pick->address);
    json_object_set_string_member(object, "pf", pick->pf);
    set_int_or_null(object, "numa_node", pick->numa_node);
    json_object_set_boolean_member(object, "local", pick->local);
    json_object_set_string_member(object, "reason", pick->reason);
    json_array_add_object_element(picks, object);
  }
  set_string_or_null(reply, "pool", result->pool);
  json_object_set_array_member(reply, "picks", picks);
  set_string_or_null(reply, "numa_note", result->numa_note);
}

JsonObject *
pass_json_pool_pf(const PassVfPfLoad *load)
{
  JsonObject *object = json_object_new();
  JsonArray *guests = json_array_new();

  json_object_set_string_member(object, "address", load->address);
  set_int_or_null(object, "numa_node", load->numa_node);
  json_object_set_int_member(object, "total", load->n_vfs);
  json_object_set_int_member(object, "free", load->eligible);
  json_object_set_int_member(object, "in_use", load->in_use);
  for (guint i = 0; load->guests && load->guests[i]; i++)
    json_array_add_string_element(guests, load->guests[i]);
  json_object_set_array_member(object, "guests", guests);
  return object;
}

JsonObject *
pass_json_pool(const PassPool *pool, const PassVfBalance *usage)
{
  JsonObject *object = json_object_new();
  JsonArray *pfs = json_array_new();
  JsonArray *pf_usage = json_array_new();
  guint total = 0, n_free = 0;

  json_object_set_string_member(object, "name", pool->name);
  json_object_set_string_member(object, "kind", pass_pool_kind_to_string(pool->kind));
  if (pool->vendor_id >= 0)
    set_hex(object, "vendor_id", 4, (guint)pool->vendor_id);
  else
    json_object_set_null_member(object, "vendor_id");
  if (pool->product_id >= 0)
    set_hex(object, "product_id", 4, (guint)pool->product_id);
  else
    json_object_set_null_member(object, "product_id");
  set_string_or_null(object, "driver", pool->driver);
  for (guint i = 0; i < pool->pfs->len; i++) {
    g_autofree char *text = pass_pool_pf_to_string(g_ptr_array_index(pool->pfs, i));

    json_array_add_string_element(pfs, text);
  }
  json_object_set_array_member(object, "pfs", pfs);
  set_int_or_null(object, "numa_node", pool->numa_node);
  json_object_set_string_member(object, "origin",
                                pool->origin == PASS_POOL_ORIGIN_FILE ? "file" : "run_time");
  set_string_or_null(object, "file", pool->file);
  set_int_or_null(object, "line", pool->line > 0 ? (int)pool->line : -1);
  for (guint i = 0; i < usage->pfs->len; i++) {
    const PassVfPfLoad *load = g_ptr_array_index(usage->pfs, i);

    total += load->n_vfs;
    n_free += load->eligible;
    json_array_add_object_element(pf_usage, pass_json_pool_pf(load));
  }
  json_object_set_int_member(object, "total", total);
  json_object_set_int_member(object, "free", n_free);
  json_object_set_int_member(object, "in_use", usage->in_use);
  json_object_set_array_member(object, "pf_usage", pf_usage);
  return object;
}

static void
set_balance(JsonObject *reply, const PassVfBalance *balance)
{
  JsonArray *pfs = json_array_new();
  JsonArray *nodes = json_array_new();

  json_object_set_int_member(reply, "in_use", balance->in_use);
  json_object_set_int_member(reply, "skew", balance->skew);
  for (guint i = 0; i < balance->pfs->len; i++)
    json_array_add_object_element(pfs, pass_json_pool_pf(g_ptr_array_index(balance->pfs, i)));
  json_object_set_array_member(reply, "pfs", pfs);
  for (guint i = 0; i < balance->nodes->len; i++) {
    const PassVfNodeLoad *load = &g_array_index(balance->nodes, PassVfNodeLoad, i);
    JsonObject *node = json_object_new();

    set_int_or_null(node, "numa_node", load->numa_node);
    json_object_set_int_member(node, "pfs", load->n_pfs);
    json_object_set_int_member(node, "total", load->n_vfs);
    json_object_set_int_member(node, "free", load->eligible);
    json_object_set_int_member(node, "in_use", load->in_use);
    json_object_set_int_member(node, "skew", load->skew);
    json_array_add_object_element(nodes, node);
  }
  json_object_set_array_member(reply, "nodes", nodes);
}

JsonObject *
pass_json_balance(const PassVfBalance *balance, const PassVfPlan *plan)
{
  JsonObject *reply = json_object_new();
  JsonArray *moves;

  set_balance(reply, balance);
  if (!plan) {
    json_object_set_null_member(reply, "moves");
    json_object_set_null_member(reply, "skew_after");
    return reply;
  }
  moves = json_array_new();
  for (guint i = 0; i < plan->moves->len; i++) {
    const PassVfMove *move = g_ptr_array_index(plan->moves, i);
    JsonObject *object = json_object_new();

    json_object_set_string_member(object, "guest", move->guest);
    json_object_set_string_member(object, "from", move->from);
    json_object_set_string_member(object, "from_pf", move->from_pf);
    json_object_set_string_member(object, "to", move->to);
    json_object_set_string_member(object, "to_pf", move->to_pf);
    set_int_or_null(object, "numa_node", move->numa_node);
    set_int_or_null(object, "from_numa_node", move->from_numa_node);
    json_object_set_string_member(object, "reason", move->reason);
    json_array_add_object_element(moves, object);
  }
  json_object_set_array_member(reply, "moves", moves);
  json_object_set_int_member(reply, "skew_after", plan->after->skew);
  return reply;
}
