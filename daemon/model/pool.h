/* A pool: a named set of VFs, given by selectors rather than addresses, that attaches take VFs
 * from. Plain data: rules/pool-parse.h reads selectors from user input, rules/pool-match.h says
 * whether a VF belongs, config/pools-file.h reads and writes the files. Built once, then
 * immutable and shared by reference, like PassDevice. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How a VF of the pool is given to a guest. */
typedef enum {
  PASS_POOL_KIND_PCI, /* <hostdev mode='subsystem' type='pci'> */
  PASS_POOL_KIND_NET, /* <interface type='hostdev'> (libvirt sets the MAC and VLAN via the PF) */
} PassPoolKind;

/* Where a pool's definition came from. */
typedef enum {
  PASS_POOL_ORIGIN_FILE,     /* a pools.d file: the administrator's, not undefined at run time */
  PASS_POOL_ORIGIN_RUN_TIME, /* DefinePool (persisted in the state directory) */
} PassPoolOrigin;

/* The largest VF index a selector may name (SR-IOV allows more VFs, no device has them). */
#define PASS_POOL_MAX_VF_INDEX 4095
/* The longest pool name. */
#define PASS_POOL_MAX_NAME 64

/* VF indices @first to @last, both included. */
typedef struct {
  guint16 first;
  guint16 last;
} PassPoolRange;

/* One PF, by exactly one of its canonical PCI address or a netdev name, and which of its VFs.
 */
typedef struct {
  char *address;  /* canonical "dddd:bb:ss.f"; NULL when @netdev is set */
  char *netdev;   /* a network interface of the PF; NULL when @address is set */
  GArray *ranges; /* PassPoolRange, ascending, neither overlapping nor adjacent; empty: all */
} PassPoolPf;

typedef struct {
  char *name;
  PassPoolKind kind;
  /* The selectors; all that are set must hold. */
  int vendor_id;  /* of the VF; -1: any */
  int product_id; /* of the VF; -1: any */
  char *driver;   /* the VF's driver; NULL: any */
  GPtrArray *pfs; /* PassPoolPf: the VF's PF is one of these; empty: any PF */
  int numa_node;  /* the VF's; -1: any */
  /* Where it came from, for messages. */
  PassPoolOrigin origin;
  char *file; /* the file that holds it (pools.d, or the state file); NULL: not read from one */
  guint line; /* of its [Pool NAME] line in @file */
} PassPool;

/* A PF selector with no ranges (all its VFs). Exactly one of @address and @netdev. */
PassPoolPf *pass_pool_pf_new(const char *address, const char *netdev);
PassPoolPf *pass_pool_pf_copy(const PassPoolPf *pf);
void pass_pool_pf_free(PassPoolPf *pf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassPoolPf, pass_pool_pf_free)

/* TRUE when both name the same PF the same way (address or netdev) with the same ranges. */
gboolean pass_pool_pf_equal(const PassPoolPf *a, const PassPoolPf *b);

/* TRUE when @pf's ranges take VF @index (always when it has none). */
gboolean pass_pool_pf_has_index(const PassPoolPf *pf, guint index);

/* The selector as passctl --pf and the files spell it: "0000:3b:00.0#0-3,6", "enp59s0f0". */
char *pass_pool_pf_to_string(const PassPoolPf *pf);

/* "0-3,6": @pf's ranges; "" when it has none. */
char *pass_pool_pf_ranges_to_string(const PassPoolPf *pf);

/* Kind PCI, no selectors, origin run time. */
PassPool *pass_pool_new(const char *name);
PassPool *pass_pool_ref(PassPool *pool);
void pass_pool_unref(PassPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassPool, pass_pool_unref)

/* TRUE when both define the same pool: name, kind and selectors (not where they came from). */
gboolean pass_pool_equal(const PassPool *a, const PassPool *b);

/* TRUE when any selector is set (a pool without one would take every VF of the host). */
gboolean pass_pool_has_selector(const PassPool *pool);

/* "pci", "net". */
const char *pass_pool_kind_to_string(PassPoolKind kind);

/* "/etc/passd/pools.d/nics.conf:3", or "defined at run time". */
char *pass_pool_describe_origin(const PassPool *pool);

G_END_DECLS
