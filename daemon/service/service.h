/* io.passd.Manager on a PassVarlinkServer: decodes parameters, asks the engine and the
 * transactions, encodes the replies. The only code that knows the API's JSON field names: the
 * method table (service-methods.c) for parameters, service-json.c for replies. */
#pragma once

#include "authz.h"
#include "check.h"
#include "engine.h"
#include "tx.h"
#include "pass-varlink.h"

G_BEGIN_DECLS

typedef struct _PassService PassService;

/* Watches @engine from now on; @engine and @tx must outlive the service. @uri is what GetStatus
 * reports. */
PassService *pass_service_new(PassEngine *engine, PassTx *tx, const char *uri);
/* Drops Watch subscribers without a final reply (their connections close with the server). */
void pass_service_free(PassService *service);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassService, pass_service_free)

/* Members of @group (primary or supplementary) may call the methods that change the host too;
 * PASS_AUTHZ_NO_GROUP (the default): only root. */
void pass_service_set_write_group(PassService *service, gid_t group);

/* The host doctor's probes for CheckHost: append PassCheck*s for the host and, when @address
 * (canonical) is not NULL, for that device to @checks. Called on a worker thread, never on the
 * main loop, since it reads dozens of files. A function handed in by main.c (which wires it to
 * host/host-doctor.h) rather than a call into host/: the service may not see host/, and
 * tx's PassOps is the wrong home too, its jobs run on libvirt's workers and need a connection,
 * while the doctor must answer when libvirt is down. */
typedef void (*PassServiceDoctorFunc)(const char *address, GPtrArray *checks, gpointer data);

/* @data must outlive the service. Without a doctor CheckHost reports only what the service
 * knows itself (libvirt, IOMMU group viability). */
void pass_service_set_doctor(PassService *service, PassServiceDoctorFunc func, gpointer data);

/* ---- pools ---- */

/* Saves the pools defined at run time (PassPool*, in order) where the next start reads them;
 * FALSE with @error (nothing changed then). Handed in by main.c (config/ writes the file: the
 * service may not see config/). */
typedef gboolean (*PassServicePoolsSaveFunc)(GPtrArray *run_time_pools, gpointer data,
                                             GError **error);

/* The pools served (PassPool*, refs taken; the files' and the run-time ones, names unique).
 * @save (NULL: DefinePool and UndefinePool change nothing on disk) with @data, which must outlive
 * the service; @run_time_file names where run-time pools live, for ListPools (NULL: none). */
void pass_service_set_pools(PassService *service, GPtrArray *pools, PassServicePoolsSaveFunc save,
                            gpointer data, const char *run_time_file);

/* Add the interface and its methods to @server. */
gboolean pass_service_register(PassService *service, PassVarlinkServer *server, GError **error);

G_END_DECLS
