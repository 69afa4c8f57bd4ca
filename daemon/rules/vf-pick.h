/* Choosing VFs for a pool attach, and balancing VFs across PFs: pure decisions over a plain
 * table of VFs (no engine, no I/O), so they are table-tested and benchmarked on their own.
 *
 * Building the rows (for tx): one row per VF of the pool (or of the host, for GetBalance), from
 * the engine's picture under the same lock that later reserves the chosen VFs:
 *   address/pf   the VF's canonical address and its physfn;
 *   numa_node    the VF's numa_node (-1 unknown);
 *   in_use       owned by a guest, live or config (pass_engine_get_owners() not empty), or
 *                reserved by an attach still in flight (so two racing picks never get one VF);
 *   owner        the first owner's name (NULL when not in use or only reserved);
 *   owner_unplaced  the owner has no NUMA affinity (no <numatune>, no vcpu or emulator
 *                pinning, no guest <numa> cells): a balance move may take it to another node;
 *   eligible     free for this request: not in use, not bound to a host driver that is in use
 *                (unbound or vfio-pci), its PF not assigned to a guest, not protected.
 * A VF that is neither (bound to a host driver, say) still counts toward its PF's size. The
 * table orders everything itself, so the rows may come in any order.
 *
 * The exact order of a pick (each VF of a request is chosen in turn, counting the ones chosen
 * before it; "load" of a PF = its VFs in use + this request's VFs on it so far):
 *   candidates  eligible VFs not yet chosen; with NUMA REQUIRED only those local to the domain;
 *               with PREFERRED the local ones while any is left, then the others (flagged);
 *               with IGNORE, or PREFERRED when the domain's placement is unknown, all of them.
 *               A VF is local when its numa_node (known, >= 0) is one of the domain's nodes.
 *   SPREAD      the PF with the fewest of this request's VFs (distinct PFs before reusing one:
 *               anti-affinity for bonding), then the lowest load, then the lowest PF address;
 *   PACK        the PF with the highest load (so one PF fills before the next and whole PFs stay
 *               free), then the lowest PF address;
 *   within the PF, the VF with the lowest address.
 * Addresses order numerically (domain, bus, slot, function: for 4-digit domains the same as
 * strcmp on canonical lower-case text); text that is not canonical sorts last, by strcmp.
 *
 * A table is built once per picture (O(rows): radix-sorted by address) and is read-only
 * afterwards, so any number of threads may read it: a pick costs O(PFs) per chosen VF, a
 * summary O(VFs), a plan O(VFs) plus about O(PFs) per move (bench/README.md has numbers). A
 * pick does not record its choice: tx reserves the VFs (in_use in the next picture). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *address;     /* the VF, canonical "dddd:bb:ss.f" */
  const char *pf;          /* its PF's address */
  int numa_node;           /* -1: unknown */
  gboolean eligible;       /* free for this request (ignored when in_use) */
  gboolean in_use;         /* owned by a guest: counts toward its PF's load */
  const char *owner;       /* the guest holding it, or NULL */
  gboolean owner_unplaced; /* the owner has no NUMA affinity (see above) */
} PassVfRow;

typedef enum {
  PASS_VF_POLICY_SPREAD, /* default */
  PASS_VF_POLICY_PACK,
} PassVfPolicy;

typedef enum {
  PASS_VF_NUMA_PREFERRED, /* default */
  PASS_VF_NUMA_REQUIRED,
  PASS_VF_NUMA_IGNORE,
} PassVfNumaMode;

typedef struct {
  guint count; /* >= 1 */
  PassVfPolicy policy;
  PassVfNumaMode numa;
  const int *domain_nodes; /* the domain's NUMA nodes; none (0): placement unknown */
  gsize n_domain_nodes;
} PassVfRequest;

typedef enum {
  PASS_VF_PICK_OK,
  PASS_VF_PICK_NOT_ENOUGH,   /* fewer eligible VFs than requested (whatever the NUMA mode) */
  PASS_VF_PICK_NUMA_UNKNOWN, /* REQUIRED, but the domain's NUMA placement is unknown */
  PASS_VF_PICK_NOT_LOCAL,    /* REQUIRED, and too few eligible VFs on the domain's nodes */
} PassVfVerdict;

typedef struct {
  char *address; /* the VF */
  char *pf;
  int numa_node;
  gboolean local; /* on one of the domain's nodes */
  char *reason;   /* e.g. "lowest free VF of PF 0000:3b:00.0, which has the fewest VFs in use
                   * (1 of 8); NUMA node 1, local to the domain" */
} PassVfChoice;

typedef struct {
  PassVfVerdict verdict;
  char *message;          /* why it failed, for the caller's error; NULL when OK */
  GPtrArray *choices;     /* PassVfChoice*, in pick order; empty unless OK */
  gboolean numa_fallback; /* PREFERRED: some choices are not local */
  char *numa_note;        /* which and why when numa_fallback, or that the placement is unknown
                           * (PREFERRED without domain nodes); else NULL */
  guint n_eligible;       /* eligible VFs in the table */
  guint n_local;          /* of them on the domain's nodes */
} PassVfPick;

typedef struct _PassVfTable PassVfTable;

/* Copies what it needs from @rows; PFs are derived from them. One row per VF address. */
PassVfTable *pass_vf_table_new(const PassVfRow *rows, gsize n_rows);
void pass_vf_table_free(PassVfTable *table);
guint pass_vf_table_get_n_vfs(const PassVfTable *table);
guint pass_vf_table_get_n_pfs(const PassVfTable *table);

/* Chooses @request->count VFs (all or none; see the order above). NULL only when @request is
 * invalid (count 0). */
PassVfPick *pass_vf_table_pick(const PassVfTable *table, const PassVfRequest *request);
/* The same in one call, for a picture used once. */
PassVfPick *pass_vf_pick(const PassVfRow *rows, gsize n_rows, const PassVfRequest *request);
void pass_vf_pick_free(PassVfPick *pick);

/* GetBalance: VFs in use per PF and per NUMA node, and the skew. */
typedef struct {
  char *address; /* the PF */
  int numa_node; /* its VFs' node when they agree, else -1 */
  guint n_vfs;   /* its VFs in the table */
  guint in_use;
  guint eligible;
  GStrv guests; /* owners of its VFs in use: sorted, each once */
} PassVfPfLoad;

typedef struct {
  int numa_node; /* -1: unknown (or PFs whose VFs disagree) */
  guint n_pfs;   /* PFs whose numa_node this is */
  guint n_vfs;   /* VFs on this node */
  guint in_use;
  guint eligible;
  guint skew; /* max - min VFs in use over this node's PFs */
} PassVfNodeLoad;

typedef struct {
  GPtrArray *pfs; /* PassVfPfLoad*, by PF address */
  GArray *nodes;  /* PassVfNodeLoad, by node (-1 first) */
  guint in_use;
  guint min_in_use; /* over all PFs (0 when there are none) */
  guint max_in_use;
  guint skew; /* max_in_use - min_in_use */
} PassVfBalance;

PassVfBalance *pass_vf_table_balance(const PassVfTable *table);
void pass_vf_balance_free(PassVfBalance *balance);

/* balance --plan: moves (unplug @from, plug @to, for @guest) that even out the PFs' loads.
 * Greedy and deterministic: each step takes, from the most-loaded PF (ties: lowest address),
 * the lowest-addressed VF that can move to the least-loaded PF that can take it (ties: lowest
 * address), where "can" means the target PF has at least 2 fewer VFs in use (so the move
 * strictly evens the loads and never widens the skew), an eligible VF on the same NUMA node
 * as the one it replaces (the lowest such address; locality never gets worse), and none of
 * the guest's other VFs (no two VFs of a guest end up on one PF). A guest without NUMA
 * affinity (owner_unplaced on all its VFs) loses no locality anywhere, so its VF may also
 * go to another node: the target PF's eligible VF on the same node when it has one, else the
 * lowest-addressed eligible VF of its lowest node that has one (unknown first). A VF without an
 * owner, one freed by a move, and one a move plugged are not moved again or reused. It stops when
 * no step is possible; skew_after is then the skew those rules allow. */
typedef struct {
  char *guest;
  char *from; /* VF now held */
  char *from_pf;
  char *to; /* VF to plug instead */
  char *to_pf;
  int numa_node;      /* @to's (-1: unknown) */
  int from_numa_node; /* @from's: another node only for a guest without NUMA affinity */
  char *reason;
} PassVfMove;

typedef struct {
  GPtrArray *moves; /* PassVfMove*, in the order to apply them */
  PassVfBalance *before;
  PassVfBalance *after; /* predicted: the moved-from VFs counted free (eligible) again */
} PassVfPlan;

PassVfPlan *pass_vf_table_plan(const PassVfTable *table);
void pass_vf_plan_free(PassVfPlan *plan);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassVfTable, pass_vf_table_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassVfPick, pass_vf_pick_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassVfBalance, pass_vf_balance_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassVfPlan, pass_vf_plan_free)

G_END_DECLS
