/* Pool definitions from user input: names, PF selectors, ids, NUMA nodes, kinds. One parser
 * for every way in (the pools.d files, DefinePool's parameters, passctl pool define's options),
 * so they accept and refuse the same text with the same words. Each refusal is a GError
 * (PASS_ERROR_INVALID_PARAMETER) whose message quotes the offending value. */
#pragma once

#include <glib.h>

#include "pool.h"

G_BEGIN_DECLS

/* The highest NUMA node a pool may name (the kernel's MAX_NUMNODES is at most 1024). */
#define PASS_POOL_MAX_NUMA_NODE 1023

/* 1 to PASS_POOL_MAX_NAME characters of [A-Za-z0-9_.-], not starting with '.' or '-'. */
gboolean pass_pool_validate_name(const char *name, GError **error);

/* "TARGET[#RANGES]": TARGET a PCI address in any form pass_address_parse() takes (stored
 * canonical) or a netdev name (1 to 15 characters, none of white space, '/', ':', '#', ';', not
 * "." or ".."); RANGES VF indices and ranges "0-3,6" (0 to PASS_POOL_MAX_VF_INDEX, each once,
 * stored ascending with adjacent ones merged: "6,0-2,3" is "0-3,6"). TARGET is an address when
 * it has a ':' or starts with "pci_", else a netdev name. NULL with @error when malformed. */
PassPoolPf *pass_pool_parse_pf_selector(const char *text, GError **error);

/* Append @pf (taken over, freed on error) to @pool's PF selectors; FALSE with @error when
 * @pool already selects that PF (the same address or netdev name): one selector per PF. */
gboolean pass_pool_add_pf(PassPool *pool, PassPoolPf *pf, GError **error);

/* A PCI vendor or product id: 1 to 4 hex digits, "0x" before them optional ("0x8086", "10ca").
 * @what ("vendor", "product") names it in the message. */
gboolean pass_pool_parse_id(const char *text, const char *what, guint16 *id, GError **error);

/* A NUMA node, 0 to PASS_POOL_MAX_NUMA_NODE in decimal. */
gboolean pass_pool_parse_numa_node(const char *text, int *node, GError **error);

/* "pci" or "net". */
gboolean pass_pool_parse_kind(const char *text, PassPoolKind *kind, GError **error);

/* A kernel driver name as sysfs shows it: 1 to 64 printable characters, none of white space,
 * '/', ';'. */
gboolean pass_pool_validate_driver(const char *driver, GError **error);

/* A whole definition, as DefinePool must check it: a valid name, and at least one selector
 * (a pool of every VF of the host is a mistake, not a wish). */
gboolean pass_pool_validate(const PassPool *pool, GError **error);

G_END_DECLS
