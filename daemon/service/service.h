/* io.passd.Manager on a PassVarlinkServer: decodes parameters, asks the engine and the
 * transactions, encodes the replies. The only code that knows the API's JSON field names: the
 * method table (service-methods.c) for parameters, service-json.c for replies. */
#pragma once

#include "authz.h"
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

/* Add the interface and its methods to @server. */
gboolean pass_service_register(PassService *service, PassVarlinkServer *server, GError **error);

G_END_DECLS
