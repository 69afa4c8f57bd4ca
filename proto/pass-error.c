#include "pass-error.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK(pass-error-quark, pass_error)
/* clang-format on */

static const struct {
  PassError code;
  const char *name;
} error_names[] = {
    {PASS_ERROR_FAILED, "io.passd.Manager.Failed"},
    {PASS_ERROR_INVALID_PARAMETER, "org.varlink.service.InvalidParameter"},
    {PASS_ERROR_METHOD_NOT_FOUND, "org.varlink.service.MethodNotFound"},
    {PASS_ERROR_INTERFACE_NOT_FOUND, "org.varlink.service.InterfaceNotFound"},
    {PASS_ERROR_METHOD_NOT_IMPLEMENTED, "org.varlink.service.MethodNotImplemented"},
    {PASS_ERROR_EXPECTED_MORE, "org.varlink.service.ExpectedMore"},
    {PASS_ERROR_PERMISSION_DENIED, "io.passd.Manager.PermissionDenied"},
    {PASS_ERROR_NO_SUCH_DEVICE, "io.passd.Manager.NoSuchDevice"},
    {PASS_ERROR_HYPERVISOR_UNAVAILABLE, "io.passd.Manager.HypervisorUnavailable"},
    {PASS_ERROR_HYPERVISOR_ERROR, "io.passd.Manager.HypervisorError"},
    {PASS_ERROR_NO_SUCH_DOMAIN, "io.passd.Manager.NoSuchDomain"},
    {PASS_ERROR_DEVICE_IN_USE, "io.passd.Manager.DeviceInUse"},
    {PASS_ERROR_IOMMU_GROUP_NOT_VIABLE, "io.passd.Manager.IommuGroupNotViable"},
    {PASS_ERROR_DEVICE_PROTECTED, "io.passd.Manager.DeviceProtected"},
    {PASS_ERROR_REMOVAL_PENDING, "io.passd.Manager.RemovalPending"},
    {PASS_ERROR_REMOVAL_FAILED, "io.passd.Manager.RemovalFailed"},
    {PASS_ERROR_DEVICE_NOT_ASSIGNED, "io.passd.Manager.DeviceNotAssigned"},
    {PASS_ERROR_JOURNAL_FAILED, "io.passd.Manager.JournalFailed"},
    {PASS_ERROR_NO_SUCH_POOL, "io.passd.Manager.NoSuchPool"},
    {PASS_ERROR_POOL_EXISTS, "io.passd.Manager.PoolExists"},
    {PASS_ERROR_POOL_FROM_FILE, "io.passd.Manager.PoolFromFile"},
    {PASS_ERROR_NO_ELIGIBLE_DEVICE, "io.passd.Manager.NoEligibleDevice"},
    {PASS_ERROR_VFS_IN_USE, "io.passd.Manager.VfsInUse"},
    {PASS_ERROR_SRIOV_NOT_SUPPORTED, "io.passd.Manager.SriovNotSupported"},
    {PASS_ERROR_NO_CAPACITY, "io.passd.Manager.NoCapacity"},
    {PASS_ERROR_DISCONNECTED, "io.passd.Client.Disconnected"},
    {PASS_ERROR_PROTOCOL, "io.passd.Client.ProtocolError"},
};

const char *
pass_error_to_name(PassError code)
{
  for (gsize i = 0; i < G_N_ELEMENTS(error_names); i++)
    if (error_names[i].code == code)
      return error_names[i].name;
  return error_names[0].name;
}

PassError
pass_error_from_name(const char *name)
{
  for (gsize i = 0; name && i < G_N_ELEMENTS(error_names); i++)
    if (g_str_equal(error_names[i].name, name))
      return error_names[i].code;
  return PASS_ERROR_FAILED;
}

char *
pass_error_quote_input(const char *text)
{
  g_autofree char *escaped = g_strescape(text ? text : "", NULL);

  if (strlen(escaped) > 64)
    return g_strdup_printf("'%.64s...'", escaped);
  return g_strdup_printf("'%s'", escaped);
}
