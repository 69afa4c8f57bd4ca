/* passd's one error domain. Each code maps 1:1 to a varlink error name, so an error crosses the
 * socket and comes back as the same GError on the client side. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PASS_ERROR (pass_error_quark())

typedef enum {
  PASS_ERROR_FAILED,                 /* io.passd.Manager.Failed (catch-all, not in the IDL) */
  PASS_ERROR_INVALID_PARAMETER,      /* org.varlink.service.InvalidParameter */
  PASS_ERROR_METHOD_NOT_FOUND,       /* org.varlink.service.MethodNotFound */
  PASS_ERROR_INTERFACE_NOT_FOUND,    /* org.varlink.service.InterfaceNotFound */
  PASS_ERROR_METHOD_NOT_IMPLEMENTED, /* org.varlink.service.MethodNotImplemented */
  PASS_ERROR_EXPECTED_MORE,          /* org.varlink.service.ExpectedMore */
  PASS_ERROR_PERMISSION_DENIED,      /* io.passd.Manager.PermissionDenied */
  PASS_ERROR_NO_SUCH_DEVICE,         /* io.passd.Manager.NoSuchDevice */
  PASS_ERROR_HYPERVISOR_UNAVAILABLE, /* io.passd.Manager.HypervisorUnavailable */
  PASS_ERROR_HYPERVISOR_ERROR,       /* io.passd.Manager.HypervisorError */
  PASS_ERROR_NO_SUCH_DOMAIN,         /* io.passd.Manager.NoSuchDomain */
  PASS_ERROR_DEVICE_IN_USE,          /* io.passd.Manager.DeviceInUse */
  PASS_ERROR_IOMMU_GROUP_NOT_VIABLE, /* io.passd.Manager.IommuGroupNotViable */
  PASS_ERROR_DEVICE_PROTECTED,       /* io.passd.Manager.DeviceProtected */
  PASS_ERROR_REMOVAL_PENDING,        /* io.passd.Manager.RemovalPending */
  PASS_ERROR_REMOVAL_FAILED,         /* io.passd.Manager.RemovalFailed */
  PASS_ERROR_DEVICE_NOT_ASSIGNED,    /* io.passd.Manager.DeviceNotAssigned */
  PASS_ERROR_JOURNAL_FAILED,         /* io.passd.Manager.JournalFailed */
  /* pools */
  PASS_ERROR_NO_SUCH_POOL,        /* io.passd.Manager.NoSuchPool */
  PASS_ERROR_POOL_EXISTS,         /* io.passd.Manager.PoolExists */
  PASS_ERROR_POOL_FROM_FILE,      /* io.passd.Manager.PoolFromFile */
  PASS_ERROR_NO_ELIGIBLE_DEVICE,  /* io.passd.Manager.NoEligibleDevice */
  PASS_ERROR_VFS_IN_USE,          /* io.passd.Manager.VfsInUse */
  PASS_ERROR_SRIOV_NOT_SUPPORTED, /* io.passd.Manager.SriovNotSupported */
  PASS_ERROR_NO_CAPACITY,         /* io.passd.Manager.NoCapacity */
  PASS_ERROR_DISCONNECTED,        /* transport: the peer went away (client side only) */
  PASS_ERROR_PROTOCOL,            /* transport: the peer broke the protocol (client side only) */
} PassError;

GQuark pass_error_quark(void);

/* The fully qualified varlink error name of @code (never NULL). */
const char *pass_error_to_name(PassError code);

/* The code for a varlink error name; PASS_ERROR_FAILED for names passd does not know. */
PassError pass_error_from_name(const char *name);

/* User input quoted for an error message: escaped (no control or non-ASCII byte reaches a
 * terminal or log) and cut after 64 characters. */
char *pass_error_quote_input(const char *text);

G_END_DECLS
