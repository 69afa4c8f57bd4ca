/* Device, Event, Action, SriovPf and error JSON, checked as exact text: field names, order, formats
 * and nulls. */
#include "service-json.h"

#include "pass-error.h"

static PassDevice *
full_device(void)
{
  PassDevice *device = pass_device_new();

  device->address = g_strdup("0000:3b:10.2");
  device->name = g_strdup("pci_0000_3b_10_2");
  device->vendor_id = 0x15b3;
  device->product_id = 0x101e;
  device->vendor = g_strdup("Mellanox Technologies");
  device->product = g_strdup("ConnectX Family mlx5Gen Virtual Function");
  device->class_code = 0x020000;
  device->driver = g_strdup("mlx5_core");
  device->iommu_group = 0;
  device->numa_node = 1;
  device->parent = g_strdup("0000:3a:00.0");
  device->physfn = g_strdup("0000:3b:00.0");
  device->totalvfs = 0;
  device->netdevs = g_strsplit("enp59s0v2,eth1", ",", -1);
  return device;
}

static GPtrArray *
strings(const char *first, ...)
{
  GPtrArray *array = g_ptr_array_new();
  va_list ap;

  va_start(ap, first);
  for (const char *s = first; s; s = va_arg(ap, const char *))
    g_ptr_array_add(array, (gpointer)s);
  va_end(ap);
  return array;
}

static void
assert_json(JsonObject *object, const char *expected)
{
  g_autofree char *text = pass_json_to_string(object);

  g_assert_cmpstr(text, ==, expected);
}

static void
test_device_full(void)
{
  g_autoptr(PassDevice) device = full_device();
  g_autoptr(GPtrArray) members = strings("0000:3b:10.0", "0000:3b:10.2", NULL);
  g_autoptr(GPtrArray) vfs = strings(NULL);
  g_autoptr(GPtrArray) owners = strings("vm1", "vm2", NULL);
  g_autoptr(JsonObject) object = pass_json_device(device, members, vfs, owners);

  assert_json(object,
              "{\"address\":\"0000:3b:10.2\",\"kind\":\"pci\",\"name\":\"pci_0000_3b_10_2\","
              "\"vendor_id\":\"0x15b3\",\"product_id\":\"0x101e\","
              "\"vendor\":\"Mellanox Technologies\","
              "\"product\":\"ConnectX Family mlx5Gen Virtual Function\","
              "\"class\":\"0x020000\",\"driver\":\"mlx5_core\",\"iommu_group\":0,"
              "\"iommu_group_members\":[\"0000:3b:10.0\",\"0000:3b:10.2\"],"
              "\"numa_node\":1,\"parent\":\"0000:3a:00.0\",\"physfn\":\"0000:3b:00.0\","
              "\"vfs\":[],\"totalvfs\":0,\"netdevs\":[\"enp59s0v2\",\"eth1\"],"
              "\"owners\":[\"vm1\",\"vm2\"]}");
}

static void
test_device_minimal(void)
{
  g_autoptr(PassDevice) device = pass_device_new();
  g_autoptr(JsonObject) object = NULL;

  device->address = g_strdup("0000:00:00.0");
  device->name = g_strdup("pci_0000_00_00_0");
  device->vendor_id = 0x8086;
  device->product_id = 0x0a;
  device->class_code = 0x60000;
  object = pass_json_device(device, NULL, NULL, NULL);
  assert_json(object,
              "{\"address\":\"0000:00:00.0\",\"kind\":\"pci\",\"name\":\"pci_0000_00_00_0\","
              "\"vendor_id\":\"0x8086\",\"product_id\":\"0x000a\",\"vendor\":null,"
              "\"product\":null,\"class\":\"0x060000\",\"driver\":null,"
              "\"iommu_group\":null,\"iommu_group_members\":[],\"numa_node\":null,"
              "\"parent\":null,\"physfn\":null,\"vfs\":[],\"totalvfs\":null,"
              "\"netdevs\":[],\"owners\":[]}");
  /* one the kernel announced and libvirt does not list yet says so (absent above) */
  device->provisional = TRUE;
  g_clear_pointer(&object, json_object_unref);
  object = pass_json_device(device, NULL, NULL, NULL);
  g_assert_true(json_object_get_boolean_member(object, "provisional"));
}

/* The engine's relations end up in the object. */
static void
test_engine_device(void)
{
  g_autoptr(PassEngine) engine = pass_engine_new();
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
  g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func((GDestroyNotify)pass_domain_unref);
  PassDevice *pf = pass_device_new(), *vf = full_device();
  PassDomain *domain = pass_domain_new("guest");
  PassHostdev *hostdev = pass_hostdev_new();
  g_autoptr(JsonObject) object = NULL;
  JsonArray *array;

  pf->address = g_strdup("0000:3b:00.0");
  pf->iommu_group = 0;
  pf->totalvfs = 8;
  g_ptr_array_add(devices, pf);
  g_ptr_array_add(devices, vf);
  hostdev->address = g_strdup("0000:3b:00.0");
  hostdev->where = PASS_HOSTDEV_CONFIG;
  g_ptr_array_add(domain->hostdevs, hostdev);
  g_ptr_array_add(domains, domain);
  pass_engine_reset(engine, devices, domains);

  object = pass_json_engine_device(engine, pf);
  array = json_object_get_array_member(object, "iommu_group_members");
  g_assert_cmpuint(json_array_get_length(array), ==, 2);
  g_assert_cmpstr(json_array_get_string_element(array, 0), ==, "0000:3b:00.0");
  g_assert_cmpstr(json_array_get_string_element(array, 1), ==, "0000:3b:10.2");
  array = json_object_get_array_member(object, "vfs");
  g_assert_cmpuint(json_array_get_length(array), ==, 1);
  g_assert_cmpstr(json_array_get_string_element(array, 0), ==, "0000:3b:10.2");
  array = json_object_get_array_member(object, "owners");
  g_assert_cmpuint(json_array_get_length(array), ==, 1);
  g_assert_cmpstr(json_array_get_string_element(array, 0), ==, "guest");
  g_assert_cmpint(json_object_get_int_member(object, "totalvfs"), ==, 8);
  /* A device without a name still has the member (the IDL makes it mandatory). */
  g_assert_cmpstr(json_object_get_string_member(object, "name"), ==, "");
}

static void
test_events(void)
{
  g_autoptr(PassDevice) device = pass_device_new();
  g_autoptr(JsonObject) device_object = NULL;
  g_autoptr(JsonObject) subscribed = pass_json_event_subscribed(1764650000000001);
  PassEngineEvent removed = {
      .type = PASS_ENGINE_EVENT_REMOVED, .address = "0000:00:1f.3", .time = 1764650000000002};
  PassEngineEvent owners = {
      .type = PASS_ENGINE_EVENT_OWNERS, .address = "0000:00:02.0", .time = 1764650000000003};
  PassEngineEvent down = {.type = PASS_ENGINE_EVENT_HYPERVISOR,
                          .connected = FALSE,
                          .message = "End of file while reading data",
                          .time = 1764650000000004};
  PassEngineEvent up = {
      .type = PASS_ENGINE_EVENT_HYPERVISOR, .connected = TRUE, .time = 1764650000000005};
  JsonObject *object;

  assert_json(
      subscribed,
      "{\"type\":\"subscribed\",\"timestamp\":1764650000000001,\"address\":null,\"device\":null,"
      "\"connected\":null,\"message\":null}");

  object = pass_json_event(&removed, NULL);
  assert_json(object, "{\"type\":\"removed\",\"timestamp\":1764650000000002,\"address\":\"0000:00:"
                      "1f.3\",\"device\":null,"
                      "\"connected\":null,\"message\":null}");
  json_object_unref(object);

  device->address = g_strdup("0000:00:02.0");
  device->name = g_strdup("pci_0000_00_02_0");
  device_object = pass_json_device(device, NULL, NULL, NULL);
  object = pass_json_event(&owners, device_object);
  assert_json(
      object,
      "{\"type\":\"owners\",\"timestamp\":1764650000000003,\"address\":\"0000:00:02.0\",\"device\":"
      "{\"address\":"
      "\"0000:00:02.0\",\"kind\":\"pci\",\"name\":\"pci_0000_00_02_0\",\"vendor_id\":\"0x0000\","
      "\"product_id\":\"0x0000\",\"vendor\":null,\"product\":null,\"class\":\"0x000000\","
      "\"driver\":null,\"iommu_group\":null,\"iommu_group_members\":[],\"numa_node\":"
      "null,\"parent\":null,\"physfn\":null,\"vfs\":[],\"totalvfs\":null,\"netdevs\":[],"
      "\"owners\":[]},"
      "\"connected\":null,\"message\":null}");
  json_object_unref(object);

  object = pass_json_event(&down, NULL);
  assert_json(
      object,
      "{\"type\":\"hypervisor\",\"timestamp\":1764650000000004,\"address\":null,\"device\":null,"
      "\"connected\":false,\"message\":\"End of file while reading data\"}");
  json_object_unref(object);
  object = pass_json_event(&up, NULL);
  assert_json(
      object,
      "{\"type\":\"hypervisor\",\"timestamp\":1764650000000005,\"address\":null,\"device\":null,"
      "\"connected\":true,\"message\":null}");
  json_object_unref(object);

  g_assert_cmpstr(pass_json_event_type_name(PASS_ENGINE_EVENT_ADDED), ==, "added");
  g_assert_cmpstr(pass_json_event_type_name(PASS_ENGINE_EVENT_CHANGED), ==, "changed");
}

static void
test_assignment(void)
{
  g_autoptr(PassDevice) device = full_device();
  g_autoptr(PassHostdev) hostdev = pass_hostdev_new();
  g_autoptr(PassDomain) domain = pass_domain_new("vm1");
  JsonObject *object;

  hostdev->address = g_strdup("0000:3b:10.2");
  hostdev->where = PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG;
  object = pass_json_assignment(hostdev, device, TRUE);
  assert_json(object, "{\"address\":\"0000:3b:10.2\",\"guest_address\":null,"
                      "\"vendor_id\":\"0x15b3\",\"product_id\":\"0x101e\","
                      "\"vendor\":\"Mellanox Technologies\","
                      "\"product\":\"ConnectX Family mlx5Gen Virtual Function\",\"live\":true,"
                      "\"config\":true,\"interface\":false,\"mac\":null,\"vlan\":null,"
                      "\"removal_pending\":true}");
  json_object_unref(object);

  /* an interface: its MAC and VLAN; a <hostdev> never shows one */
  hostdev->interface = TRUE;
  hostdev->mac = g_strdup("52:54:00:aa:bb:01");
  hostdev->vlan = 42;
  object = pass_json_assignment(hostdev, NULL, FALSE);
  assert_json(object, "{\"address\":\"0000:3b:10.2\",\"guest_address\":null,\"vendor_id\":null,"
                      "\"product_id\":null,\"vendor\":null,\"product\":null,\"live\":true,"
                      "\"config\":true,\"interface\":true,\"mac\":\"52:54:00:aa:bb:01\","
                      "\"vlan\":42,\"removal_pending\":false}");
  json_object_unref(object);
  hostdev->interface = FALSE;
  object = pass_json_assignment(hostdev, NULL, FALSE);
  g_assert_true(json_object_get_null_member(object, "mac"));
  g_assert_true(json_object_get_null_member(object, "vlan"));
  json_object_unref(object);

  g_assert_cmpstr(pass_json_domain_state(domain), ==, "shutoff");
  domain->active = TRUE;
  domain->state = PASS_DOMAIN_STATE_RUNNING;
  g_assert_cmpstr(pass_json_domain_state(domain), ==, "running");
  domain->state = PASS_DOMAIN_STATE_PAUSED;
  g_assert_cmpstr(pass_json_domain_state(domain), ==, "paused");
  domain->state = PASS_DOMAIN_STATE_OTHER; /* e.g. on its way down */
  g_assert_cmpstr(pass_json_domain_state(domain), ==, "other");
}

/* set_num_vfs: its own fields, the others' null; autoprobe null when the step leaves it. */
static void
test_action_sriov(void)
{
  g_autoptr(PassAction) step = pass_action_new(PASS_ACTION_SET_NUM_VFS, "0000:41:00.0");
  g_autoptr(PassAction) host = pass_action_new(PASS_ACTION_DETACH_HOST, "0000:41:00.1");
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonObject) kept = NULL;
  g_autoptr(JsonObject) other = NULL;

  step->numvfs_from = 4;
  step->numvfs_to = 2;
  step->autoprobe = 0;
  object = pass_json_action(step);
  assert_json(object, "{\"action\":\"set_num_vfs\",\"address\":\"0000:41:00.0\","
                      "\"driver_from\":null,\"driver_to\":null,\"driver_to_default\":null,"
                      "\"domain\":null,\"live\":null,\"config\":null,\"xml\":null,"
                      "\"numvfs_from\":4,\"numvfs_to\":2,\"autoprobe\":false}");
  step->autoprobe = -1;
  kept = pass_json_action(step);
  assert_json(kept, "{\"action\":\"set_num_vfs\",\"address\":\"0000:41:00.0\","
                    "\"driver_from\":null,\"driver_to\":null,\"driver_to_default\":null,"
                    "\"domain\":null,\"live\":null,\"config\":null,\"xml\":null,"
                    "\"numvfs_from\":4,\"numvfs_to\":2,\"autoprobe\":null}");
  host->driver_to = g_strdup("vfio-pci");
  other = pass_json_action(host);
  assert_json(other, "{\"action\":\"detach_host\",\"address\":\"0000:41:00.1\","
                     "\"driver_from\":null,\"driver_to\":\"vfio-pci\","
                     "\"driver_to_default\":false,\"domain\":null,\"live\":null,"
                     "\"config\":null,\"xml\":null,\"numvfs_from\":null,"
                     "\"numvfs_to\":null,\"autoprobe\":null}");
}

static void
test_sriov_pf(void)
{
  g_autoptr(PassSriovPf) pf = pass_sriov_pf_new("0000:41:00.0");
  g_autoptr(PassSriovPf) gone = pass_sriov_pf_new("0000:66:00.0");
  PassSriovVf *vf = pass_sriov_vf_new("0000:41:00.1", 0);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonObject) vanished = NULL;

  pf->present = TRUE;
  pf->totalvfs = 4;
  pf->numvfs = 1;
  pf->desired = 1;
  pf->autoprobe = 0;
  pf->driver = g_strdup("nvme");
  pf->numa_node = 1;
  vf->driver = g_strdup("vfio-pci");
  g_ptr_array_add(vf->owners, g_strdup("vm1"));
  g_ptr_array_add(pf->vfs, vf);
  object = pass_json_sriov_pf(pf);
  assert_json(object, "{\"address\":\"0000:41:00.0\",\"present\":true,\"totalvfs\":4,"
                      "\"numvfs\":1,\"desired\":1,\"autoprobe\":false,\"driver\":\"nvme\","
                      "\"numa_node\":1,\"state\":\"settled\",\"message\":null,"
                      "\"vfs\":[{\"address\":\"0000:41:00.1\",\"index\":0,"
                      "\"driver\":\"vfio-pci\",\"owners\":[\"vm1\"],\"numa_node\":null}]}");
  gone->desired = 2;
  gone->state = PASS_SRIOV_VANISHED;
  gone->message = g_strdup("the host has no device 0000:66:00.0 (recorded with 2 VFs)");
  vanished = pass_json_sriov_pf(gone);
  assert_json(vanished, "{\"address\":\"0000:66:00.0\",\"present\":false,\"totalvfs\":null,"
                        "\"numvfs\":null,\"desired\":2,\"autoprobe\":null,\"driver\":null,"
                        "\"numa_node\":null,\"state\":\"vanished\","
                        "\"message\":\"the host has no device 0000:66:00.0 (recorded with 2 "
                        "VFs)\",\"vfs\":[]}");
}

/* The new errors' parameters as the IDL names them. */
static void
test_sriov_errors(void)
{
  g_autoptr(PassOpResult) in_use = pass_op_result_new("0000:41:00.0", NULL);
  g_autoptr(PassOpResult) unsupported = pass_op_result_new("0000:01:00.0", NULL);
  g_autoptr(JsonObject) a = NULL;
  g_autoptr(JsonObject) b = NULL;

  in_use->error = g_error_new_literal(PASS_ERROR, PASS_ERROR_VFS_IN_USE, "x");
  in_use->vfs = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(in_use->vfs, g_strdup("0000:41:00.1: assigned to vm1"));
  a = pass_json_op_error(in_use);
  assert_json(a, "{\"pf\":\"0000:41:00.0\",\"vfs\":[\"0000:41:00.1: assigned to vm1\"]}");
  unsupported->error = g_error_new_literal(PASS_ERROR, PASS_ERROR_SRIOV_NOT_SUPPORTED, "x");
  b = pass_json_op_error(unsupported);
  assert_json(b, "{\"address\":\"0000:01:00.0\"}");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/service-json/device-full", test_device_full);
  g_test_add_func("/service-json/device-minimal", test_device_minimal);
  g_test_add_func("/service-json/engine-device", test_engine_device);
  g_test_add_func("/service-json/events", test_events);
  g_test_add_func("/service-json/assignment", test_assignment);
  g_test_add_func("/service-json/action-sriov", test_action_sriov);
  g_test_add_func("/service-json/sriov-pf", test_sriov_pf);
  g_test_add_func("/service-json/sriov-errors", test_sriov_errors);
  return g_test_run();
}
