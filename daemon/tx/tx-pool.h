/* Attaching VFs by pool, and the VF tables behind ListPools and GetBalance: rules/vf-pick.h's
 * rows built from the engine's picture (see its top comment for what each row means). */
#pragma once

#include "pool.h"
#include "tx.h"
#include "vf-pick.h"

G_BEGIN_DECLS

/* The host's CPU -> NUMA node map (int, -1: unknown; copied), for domains pinned by CPU. */
void pass_tx_set_cpu_nodes(PassTx *tx, GArray *cpu_nodes);

/* The host NUMA nodes @domain runs on (sorted, each once; empty: unknown): its <numatune>
 * nodesets and the nodes of the CPUs it is pinned to. */
GArray *pass_tx_domain_nodes(PassTx *tx, const PassDomain *domain);

/* Attach @count VFs of @pool (a ref is taken) to @domain, chosen by rules/vf-pick.h with
 * @policy and @numa, then assigned like pass_tx_attach() assigns a device: all or none, one
 * journaled operation. Two pool attaches of one pool never overlap (they hold "pool:NAME" for
 * their whole run), and a VF another operation is about never counts as free, so concurrent
 * picks get different VFs. Kind net pools attach as <interface type='hostdev'>. The result
 * carries the picks with their reasons (dry_run too); NoEligibleDevice when the pick fails.
 * Flags: LIVE, CONFIG, FORCE, DRY_RUN. */
void pass_tx_attach_pool(PassTx *tx, PassRequest *request, const char *domain, PassPool *pool,
                         guint count, PassVfPolicy policy, PassVfNumaMode numa, guint flags,
                         PassOpDoneFunc done, gpointer user_data);

/* The VFs of @pool (NULL: every VF of the host) as a table, from the current picture: in use
 * (owned, or about to be by an operation in flight) and eligible as a pool attach judges them. */
PassVfTable *pass_tx_vf_table(PassTx *tx, const PassPool *pool);

G_END_DECLS
