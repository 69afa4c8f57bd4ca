/* CheckHost: the host doctor. The service's own checks (libvirt, IOMMU group viability) come
 * from the engine on the main context; the host's probes (the doctor function main.c handed
 * in) read files, so they run on a GTask worker thread and the reply is sent when it is done. */
#define G_LOG_DOMAIN "passd"

#include "iommu.h"
#include "service-json.h"
#include "service-methods.h"
#include "service-private.h"

typedef struct {
  PassServiceDoctorFunc func; /* NULL: no probes */
  gpointer data;
  char *address;      /* NULL: the host only */
  GPtrArray *checks;  /* filled by func on the worker */
  PassCheck *libvirt; /* decided on the main context, before the worker starts */
  PassCheck *group;   /* NULL without an address */
} DoctorJob;

static void
doctor_job_free(gpointer data)
{
  DoctorJob *job = data;

  g_free(job->address);
  g_ptr_array_unref(job->checks);
  pass_check_free(job->libvirt);
  pass_check_free(job->group);
  g_free(job);
}

static PassCheck *
libvirt_check(PassService *service)
{
  const char *why = pass_engine_get_message(service->engine);
  g_autofree char *evidence = NULL;

  if (pass_engine_is_connected(service->engine)) {
    evidence = g_strdup_printf("passd is connected to %s (%u devices)", service->uri,
                               pass_engine_get_n_devices(service->engine));
    return pass_check_new("libvirt", "libvirt reachable", PASS_CHECK_PASS, evidence, NULL);
  }
  evidence = g_strdup_printf("passd is not connected to %s%s%s", service->uri, why ? ": " : "",
                             why ? why : "");
  return pass_check_new("libvirt", "libvirt reachable", PASS_CHECK_FAIL, evidence,
                        "Start libvirt (systemctl start libvirtd, or virtqemud.socket on "
                        "modular installs) and check passd's --connect URI; passd reconnects "
                        "by itself");
}

/* The group as libvirt shows it, each member with its driver: "0000:03:00.1 (snd_hda_intel)". */
static char *
group_text(const PassIommuMember *table, guint n)
{
  g_autoptr(GString) text = g_string_new(NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf(text, "%s%s (%s)", i ? ", " : "", table[i].address,
                           table[i].driver ? table[i].driver : "no driver");
  return g_string_free(g_steal_pointer(&text), FALSE);
}

static PassCheck *
group_check(PassService *service, PassDevice *device)
{
  const char *title = "IOMMU group viability";
  PassEngine *engine = service->engine;
  guint n = 0;
  g_autofree PassIommuMember *table = NULL;
  g_autofree char *text = NULL;
  g_autofree char *evidence = NULL;
  g_autoptr(GError) error = NULL;

  if (device == NULL)
    return pass_check_new("device-iommu-group", title, PASS_CHECK_WARN,
                          "unknown: passd has no inventory from libvirt yet",
                          "Make libvirt reachable (see the libvirt check)");
  if (device->iommu_group < 0)
    return pass_check_new("device-iommu-group", title, PASS_CHECK_FAIL,
                          "libvirt's node device shows no IOMMU group for it",
                          "Enable the IOMMU (see iommu-firmware and iommu-enabled)");
  table = pass_tx_group_table(engine, device, &n);
  text = group_text(table, n);
  if (pass_iommu_group_check(device->iommu_group, device->address, table, n, NULL, NULL, &error)) {
    evidence = g_strdup_printf("IOMMU group %d: %s", device->iommu_group, text);
    return pass_check_new("device-iommu-group", title, PASS_CHECK_PASS, evidence, NULL);
  }
  evidence = g_strdup_printf("%s; group %d: %s", error->message, device->iommu_group, text);
  return pass_check_new("device-iommu-group", title, PASS_CHECK_FAIL, evidence,
                        "Pass the other endpoints along (attach --whole-group) or bind them to "
                        "vfio-pci; a group shared with host devices needs another slot");
}

static void
doctor_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DoctorJob *job = task_data;

  if (job->func != NULL)
    job->func(job->address, job->checks, job->data);
  g_task_return_boolean(task, TRUE);
}

/* The host's checks, libvirt, then the device's: the group first, the probes' after it. */
static JsonArray *
doctor_checks(DoctorJob *job)
{
  JsonArray *array = json_array_new();
  gboolean service_added = FALSE;

  for (guint i = 0; i <= job->checks->len; i++) {
    const PassCheck *check = i < job->checks->len ? g_ptr_array_index(job->checks, i) : NULL;

    if (!service_added && (check == NULL || g_str_has_prefix(check->id, "device-"))) {
      json_array_add_object_element(array, pass_json_check(job->libvirt));
      if (job->group != NULL)
        json_array_add_object_element(array, pass_json_check(job->group));
      service_added = TRUE;
    }
    if (check != NULL)
      json_array_add_object_element(array, pass_json_check(check));
  }
  return array;
}

static void
doctor_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
  PassVarlinkCall *call = user_data;
  DoctorJob *job = g_task_get_task_data(G_TASK(result));
  g_autoptr(JsonObject) reply = json_object_new();

  json_object_set_array_member(reply, "checks", doctor_checks(job));
  pass_varlink_call_reply(call, reply);
  pass_varlink_call_unref(call);
}

void
pass_service_check_host(PassService *service, PassVarlinkCall *call, PassRequest *request,
                        const PassArgs *args)
{
  g_autoptr(GTask) task = NULL;
  PassDevice *device = NULL;
  DoctorJob *job;

  /* Without an inventory the device may still be in sysfs: its probes run, the group waits. */
  if (args->address && pass_engine_has_inventory(service->engine)) {
    device = pass_engine_lookup_device(service->engine, args->address);
    if (device == NULL) {
      pass_service_reply_no_such_device(call, args->address);
      return;
    }
  }
  job = g_new0(DoctorJob, 1);
  job->func = service->doctor;
  job->data = service->doctor_data;
  job->address = g_strdup(args->address);
  job->checks = g_ptr_array_new_with_free_func((GDestroyNotify)pass_check_free);
  job->libvirt = libvirt_check(service);
  if (args->address)
    job->group = group_check(service, device);

  task = g_task_new(NULL, NULL, doctor_done, pass_varlink_call_ref(call));
  g_task_set_source_tag(task, pass_service_check_host);
  g_task_set_task_data(task, job, doctor_job_free);
  g_task_run_in_thread(task, doctor_thread);
}
