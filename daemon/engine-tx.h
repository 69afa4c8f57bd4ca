/* Internal link between engine.c (the picture) and engine-tx.c (the transactions). */
#pragma once

#include "engine.h"

G_BEGIN_DECLS

typedef struct _PassEngineTx PassEngineTx;

PassEngineTx *pass_engine_tx_new(PassEngine *engine);
void pass_engine_tx_free(PassEngineTx *tx);
PassEngineTx *pass_engine_get_tx(PassEngine *engine);
/* After the engine applied a change of domain @name (or its removal; NULL: a whole new
 * picture): a pending unplug whose device left the live domain (or whose domain stopped) is
 * complete. */
void pass_engine_tx_domain_changed(PassEngineTx *tx, const char *name);

G_END_DECLS
