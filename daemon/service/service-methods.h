/* io.passd.Manager's one method table: for every method its handler, who may call it and its
 * parameters. One dispatcher serves every entry: it makes the PassRequest, checks access,
 * decodes the parameters and only then runs the handler. */
#pragma once

#include "request.h"
#include "service.h"
#include "service-params.h"

G_BEGIN_DECLS

typedef enum {
  PASS_ACCESS_NONE, /* not callable: an entry that says nothing is refused */
  PASS_ACCESS_READ,
  PASS_ACCESS_WRITE, /* changes the host; goes through pass_service_authorize() */
} PassAccess;

/* A handler, called with @args decoded already; it replies (now or later, keeping a ref on
 * @call). A function type, so that the handlers below are declared with it. */
typedef void PassMethodHandler(PassService *service, PassVarlinkCall *call, PassRequest *request,
                               const PassArgs *args);

typedef struct {
  const char *name; /* short: "Attach" */
  PassMethodHandler *func;
  PassAccess access;
  const PassParam *params; /* NULL-name terminated; NULL: the method takes none */
} PassMethod;

extern const PassMethod pass_service_methods[];
extern const guint pass_service_n_methods;

/* The entry called @name in the table, or NULL. */
const PassMethod *pass_service_lookup_method(const char *name);

/* Whether @request may call the write method @method. The one place authorisation decides:
 * root, and members of the service's write group if it has one (pass_authz_may_write()). */
gboolean pass_service_authorize(PassService *service, PassRequest *request,
                                const PassMethod *method);

/* Registers every entry of @methods with the dispatcher (pass_service_register() does it with
 * the table; tests with their own). The interface must be added. */
void pass_service_register_methods(PassService *service, PassVarlinkServer *server,
                                   const PassMethod *methods, guint n_methods);

/* The handlers (service.c: read, service-doctor.c: CheckHost, service-sriov.c: GetSriov,
 * service-ops.c: write). */
PassMethodHandler pass_service_get_status, pass_service_list_devices, pass_service_get_device,
    pass_service_watch, pass_service_get_domain, pass_service_check_host, pass_service_get_sriov;
PassMethodHandler pass_service_attach, pass_service_detach, pass_service_reattach,
    pass_service_set_num_vfs;
/* service-pools.c */
PassMethodHandler pass_service_list_pools, pass_service_define_pool, pass_service_undefine_pool,
    pass_service_get_balance;
/* service-mdev.c */
PassMethodHandler pass_service_list_mdev_types, pass_service_create_mdev, pass_service_remove_mdev;
/* Attach with a pool (pass_service_attach hands it on). */
void pass_service_attach_pool(PassService *service, PassVarlinkCall *call, PassRequest *request,
                              const PassArgs *args, PassOpDoneFunc done, gpointer reply);

/* The most VFs one pool attach takes, and the highest NUMA node a pool names. */
#define PASS_SERVICE_MAX_POOL_COUNT 64
#define PASS_SERVICE_MAX_NUMA_NODE  1023

G_END_DECLS
