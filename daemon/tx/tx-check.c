/* Verdicts of the transactions on the main context, against the engine's current picture:
 * existence, ownership (PF/VF included) and IOMMU group viability. Each check returns FALSE (or
 * NULL) with the operation's result filled (the error and its parameters); the caller ends the
 * operation. Host protection reads sysfs, so it is judged on the worker (tx-job.c). */
#define G_LOG_DOMAIN "passd"

#include "tx-private.h"

#include "iommu.h"
#include "pass-error.h"

/* ---- validation ---- */

gboolean
tx_verdict(Op *op, int code, const char *format, ...)
{
  va_list args;

  va_start(args, format);
  g_clear_error(&op->result->error);
  op->result->error = g_error_new_valist(PASS_ERROR, code, format, args);
  va_end(args);
  return FALSE;
}

gboolean
tx_verdict_error(Op *op, GError *error)
{
  g_clear_error(&op->result->error);
  op->result->error = error;
  return FALSE;
}

gboolean
tx_check_connected(Op *op)
{
  PassEngine *engine = op->tx->engine;

  if (!op->tx->ops || !pass_engine_has_inventory(engine) || !pass_engine_is_connected(engine)) {
    const char *why = pass_engine_get_message(engine);

    return tx_verdict(op, PASS_ERROR_HYPERVISOR_UNAVAILABLE, "Not connected to libvirt%s%s",
                      why ? ": " : "", why ? why : "");
  }
  return TRUE;
}

PassDevice *
tx_need_device(Op *op, const char *address)
{
  PassDevice *device = pass_engine_lookup_device(op->tx->engine, address);

  if (!device)
    tx_verdict(op, PASS_ERROR_NO_SUCH_DEVICE, "No PCI device at %s", address);
  else if (device->provisional) {
    /* shown from sysfs only (main.c): libvirt could not act on it yet */
    tx_verdict(op, PASS_ERROR_NO_SUCH_DEVICE,
               "libvirt does not list %s yet (the kernel added it a moment ago); try again",
               address);
    device = NULL;
  }
  return device;
}

PassDomain *
tx_need_domain(Op *op)
{
  PassDomain *domain = pass_engine_lookup_domain(op->tx->engine, op->domain);

  if (!domain)
    tx_verdict(op, PASS_ERROR_NO_SUCH_DOMAIN, "No domain named %s", op->domain);
  return domain;
}

/* Takes @why. */
gboolean
tx_fail_in_use(Op *op, const char *address, GPtrArray *owners, char *why)
{
  g_autofree char *message = why;
  g_autoptr(GPtrArray) copy = pass_strings_copy(owners);

  g_free(op->result->address);
  op->result->address = g_strdup(address);
  op->result->owners = g_steal_pointer(&copy);
  return tx_verdict(op, PASS_ERROR_DEVICE_IN_USE, "%s", message);
}

/* Nobody holds @address, its PF or any of its VFs. */
gboolean
tx_check_unowned(Op *op, const char *address)
{
  PassEngine *engine = op->tx->engine;
  PassDevice *device = pass_engine_lookup_device(engine, address);
  GPtrArray *owners = pass_engine_get_owners(engine, address);
  GPtrArray *vfs;

  if (owners->len) {
    g_autofree char *names = pass_strings_join(owners, ", ");

    if (op->domain && g_ptr_array_find_with_equal_func(owners, op->domain, g_str_equal, NULL))
      return tx_fail_in_use(op, address, owners,
                            g_strdup_printf("%s is already assigned to %s", address, op->domain));
    return tx_fail_in_use(op, address, owners,
                          g_strdup_printf("%s is assigned to %s", address, names));
  }
  if (device && device->physfn) {
    GPtrArray *pf_owners = pass_engine_get_owners(engine, device->physfn);

    if (pf_owners->len) {
      g_autofree char *names = pass_strings_join(pf_owners, ", ");

      return tx_fail_in_use(op, address, pf_owners,
                            g_strdup_printf("%s is a VF of %s, which is assigned to %s", address,
                                            device->physfn, names));
    }
  }
  vfs = pass_engine_get_vfs(engine, address);
  for (guint i = 0; i < vfs->len; i++) {
    const char *vf = g_ptr_array_index(vfs, i);
    GPtrArray *vf_owners = pass_engine_get_owners(engine, vf);

    if (vf_owners->len) {
      g_autofree char *names = pass_strings_join(vf_owners, ", ");

      return tx_fail_in_use(
          op, address, vf_owners,
          g_strdup_printf("%s is the PF of %s, which is assigned to %s", address, vf, names));
    }
  }
  return TRUE;
}

/* The group must be viable with @devices going; fills the blockers on failure. */
gboolean
tx_check_group(Op *op, PassDevice *device)
{
  PassEngine *engine = op->tx->engine;
  guint n;
  g_autofree PassIommuMember *table = NULL;
  g_autoptr(GPtrArray) going = NULL;
  g_auto(GStrv) blockers = NULL;
  GError *error = NULL;

  /* No IOMMU information (or a USB device): libvirt's detach will say what it thinks. Before
   * the copy below: it takes op->devices' free function until it is cleared. */
  if (device->iommu_group < 0)
    return TRUE;
  table = pass_tx_group_table(engine, device, &n);
  going = g_ptr_array_copy(op->devices, NULL, NULL);
  g_ptr_array_set_free_func(going, NULL); /* borrowed from op->devices */
  g_ptr_array_add(going, NULL);
  if (pass_iommu_group_check(device->iommu_group, device->address, table, n,
                             (const char *const *)going->pdata, &blockers, &error))
    return TRUE;
  op->result->group = device->iommu_group;
  op->result->blockers = g_ptr_array_new_with_free_func((GDestroyNotify)pass_blocker_free);
  for (guint i = 0; blockers && blockers[i]; i++) {
    PassDevice *member = pass_engine_lookup_device(engine, blockers[i]);

    g_ptr_array_add(op->result->blockers,
                    pass_blocker_new(blockers[i], member ? member->driver : NULL));
  }
  return tx_verdict_error(op, error);
}

gboolean
tx_fail_protected(Op *op, const char *address, const char *reason)
{
  g_free(op->result->address);
  op->result->address = g_strdup(address);
  g_free(op->result->reason);
  op->result->reason = g_strdup(reason);
  return tx_verdict(op, PASS_ERROR_DEVICE_PROTECTED, "%s is protected: %s", address, reason);
}

gboolean
tx_check_listed(Op *op)
{
  PassTx *tx = op->tx;

  for (guint i = 0; tx->protected && i < op->protect->len; i++) {
    const PassDevice *device = g_ptr_array_index(op->protect, i);

    if (g_strv_contains((const char *const *)tx->protected, device->address)) {
      g_autofree char *reason = g_strdup_printf("%s is %s", device->address, tx->protected_why);

      return tx_fail_protected(op, device->address, reason);
    }
  }
  return TRUE;
}

gboolean
tx_fail_parameter(Op *op, const char *parameter, const char *format, ...)
{
  va_list args;

  va_start(args, format);
  g_clear_error(&op->result->error);
  op->result->error = g_error_new_valist(PASS_ERROR, PASS_ERROR_INVALID_PARAMETER, format, args);
  va_end(args);
  op->result->parameter = g_strdup(parameter);
  return FALSE;
}

PassIommuMember *
pass_tx_group_table(PassEngine *engine, const PassDevice *device, guint *n)
{
  GPtrArray *members = pass_engine_get_group_members(engine, device);
  PassIommuMember *table = g_new0(PassIommuMember, members->len + 1);

  for (guint i = 0; i < members->len; i++) {
    PassDevice *member = pass_engine_lookup_device(engine, g_ptr_array_index(members, i));

    table[i].address = g_ptr_array_index(members, i);
    table[i].driver = member ? member->driver : NULL;
    table[i].class_code = member ? member->class_code : 0;
  }
  *n = members->len;
  return table;
}

const char *
tx_group_member_owned(Op *op, PassDevice *device)
{
  PassEngine *engine = op->tx->engine;
  GPtrArray *members = pass_engine_get_group_members(engine, device);

  for (guint i = 0; i < members->len; i++) {
    const char *member = g_ptr_array_index(members, i);

    if (!g_str_equal(member, device->address) && pass_engine_get_owners(engine, member)->len)
      return member;
  }
  return NULL;
}
