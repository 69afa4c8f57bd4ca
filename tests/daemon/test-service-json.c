/* Device and Event JSON, checked as exact text: field names, order, formats and nulls. */
#include "service-json.h"

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

  assert_json(object, "{\"address\":\"0000:3b:10.2\",\"name\":\"pci_0000_3b_10_2\","
                      "\"vendor_id\":\"0x15b3\",\"product_id\":\"0x101e\","
                      "\"vendor\":\"Mellanox Technologies\","
                      "\"product\":\"ConnectX Family mlx5Gen Virtual Function\","
                      "\"class\":\"0x020000\",\"driver\":\"mlx5_core\",\"iommu_group\":0,"
                      "\"iommu_group_members\":[\"0000:3b:10.0\",\"0000:3b:10.2\"],"
                      "\"numa_node\":1,\"parent\":\"0000:3a:00.0\",\"physfn\":\"0000:3b:00.0\","
                      "\"vfs\":[],\"totalvfs\":0,\"owners\":[\"vm1\",\"vm2\"]}");
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
  assert_json(object, "{\"address\":\"0000:00:00.0\",\"name\":\"pci_0000_00_00_0\","
                      "\"vendor_id\":\"0x8086\",\"product_id\":\"0x000a\",\"vendor\":null,"
                      "\"product\":null,\"class\":\"0x060000\",\"driver\":null,"
                      "\"iommu_group\":null,\"iommu_group_members\":[],\"numa_node\":null,"
                      "\"parent\":null,\"physfn\":null,\"vfs\":[],\"totalvfs\":null,"
                      "\"owners\":[]}");
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
  g_autoptr(JsonObject) subscribed = pass_json_event_subscribed();
  PassEngineEvent removed = {.type = PASS_ENGINE_EVENT_REMOVED, .address = "0000:00:1f.3"};
  PassEngineEvent owners = {.type = PASS_ENGINE_EVENT_OWNERS, .address = "0000:00:02.0"};
  PassEngineEvent down = {.type = PASS_ENGINE_EVENT_HYPERVISOR,
                          .connected = FALSE,
                          .message = "End of file while reading data"};
  PassEngineEvent up = {.type = PASS_ENGINE_EVENT_HYPERVISOR, .connected = TRUE};
  JsonObject *object;

  assert_json(subscribed, "{\"type\":\"subscribed\",\"address\":null,\"device\":null,"
                          "\"connected\":null,\"message\":null}");

  object = pass_json_event(&removed, NULL);
  assert_json(object, "{\"type\":\"removed\",\"address\":\"0000:00:1f.3\",\"device\":null,"
                      "\"connected\":null,\"message\":null}");
  json_object_unref(object);

  device->address = g_strdup("0000:00:02.0");
  device->name = g_strdup("pci_0000_00_02_0");
  device_object = pass_json_device(device, NULL, NULL, NULL);
  object = pass_json_event(&owners, device_object);
  assert_json(object,
              "{\"type\":\"owners\",\"address\":\"0000:00:02.0\",\"device\":{\"address\":"
              "\"0000:00:02.0\",\"name\":\"pci_0000_00_02_0\",\"vendor_id\":\"0x0000\","
              "\"product_id\":\"0x0000\",\"vendor\":null,\"product\":null,\"class\":\"0x000000\","
              "\"driver\":null,\"iommu_group\":null,\"iommu_group_members\":[],\"numa_node\":"
              "null,\"parent\":null,\"physfn\":null,\"vfs\":[],\"totalvfs\":null,\"owners\":[]},"
              "\"connected\":null,\"message\":null}");
  json_object_unref(object);

  object = pass_json_event(&down, NULL);
  assert_json(object, "{\"type\":\"hypervisor\",\"address\":null,\"device\":null,"
                      "\"connected\":false,\"message\":\"End of file while reading data\"}");
  json_object_unref(object);
  object = pass_json_event(&up, NULL);
  assert_json(object, "{\"type\":\"hypervisor\",\"address\":null,\"device\":null,"
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
                      "\"config\":true,\"interface\":false,\"removal_pending\":true}");
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

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/service-json/device-full", test_device_full);
  g_test_add_func("/service-json/device-minimal", test_device_minimal);
  g_test_add_func("/service-json/engine-device", test_engine_device);
  g_test_add_func("/service-json/events", test_events);
  g_test_add_func("/service-json/assignment", test_assignment);
  return g_test_run();
}
