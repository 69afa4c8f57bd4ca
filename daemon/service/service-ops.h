/* The passthrough methods of io.passd.Manager (Attach, Detach, Reattach): decode, hand to the
 * engine's transactions, encode actions and errors. Part of the service (service.c registers
 * them). */
#pragma once

#include "tx.h"
#include "pass-varlink.h"

G_BEGIN_DECLS

/* @tx must outlive @server's calls. */
void pass_service_ops_register(PassVarlinkServer *server, PassTx *tx);

G_END_DECLS
