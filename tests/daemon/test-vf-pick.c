/* Picking VFs and planning the balance: rules/vf-pick.h over small hand-made hosts. */
#include <glib.h>
#include <string.h>

#include "vf-pick.h"

/* A host: PFs "0000:BB:00.0" with VFs "0000:BB:SS.F" (slot 1 + i / 8, function i % 8). */
typedef struct {
  GStringChunk *strings;
  GArray *rows; /* PassVfRow */
} Host;

static Host *
host_new(void)
{
  Host *host = g_new0(Host, 1);

  host->strings = g_string_chunk_new(256);
  host->rows = g_array_new(FALSE, TRUE, sizeof(PassVfRow));
  return host;
}

static void
host_free(Host *host)
{
  g_string_chunk_free(host->strings);
  g_array_unref(host->rows);
  g_free(host);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Host, host_free)

static void
host_add_pf_named(Host *host, const char *pf, guint bus, int node, guint n_vfs)
{
  const char *pf_text = g_string_chunk_insert_const(host->strings, pf);

  for (guint i = 0; i < n_vfs; i++) {
    g_autofree char *vf = g_strdup_printf("%.*s:%02x:%02x.%u", (int)(strchr(pf, ':') - pf), pf, bus,
                                          1 + i / 8, i % 8);
    PassVfRow row = {.address = g_string_chunk_insert(host->strings, vf),
                     .pf = pf_text,
                     .numa_node = node,
                     .eligible = TRUE};

    g_array_append_val(host->rows, row);
  }
}

static void
host_add_pf(Host *host, guint bus, int node, guint n_vfs)
{
  g_autofree char *pf = g_strdup_printf("0000:%02x:00.0", bus);

  host_add_pf_named(host, pf, bus, node, n_vfs);
}

static PassVfRow *
host_vf(Host *host, const char *address)
{
  for (guint i = 0; i < host->rows->len; i++) {
    PassVfRow *row = &g_array_index(host->rows, PassVfRow, i);

    if (strcmp(row->address, address) == 0)
      return row;
  }
  g_assert_not_reached();
}

/* @address now held by @owner (NULL: in use by nobody we know of). */
static void
host_use(Host *host, const char *address, const char *owner)
{
  PassVfRow *row = host_vf(host, address);

  row->in_use = TRUE;
  row->eligible = FALSE;
  row->owner = owner != NULL ? g_string_chunk_insert_const(host->strings, owner) : NULL;
}

/* The same, by a guest without NUMA affinity. */
static void
host_use_unplaced(Host *host, const char *address, const char *owner)
{
  host_use(host, address, owner);
  host_vf(host, address)->owner_unplaced = TRUE;
}

static void shuffle_rows(GArray *rows, guint32 seed);

static PassVfPick *
host_pick(Host *host, guint count, PassVfPolicy policy, PassVfNumaMode numa, const int *nodes,
          gsize n_nodes)
{
  PassVfRequest request = {count, policy, numa, nodes, n_nodes};

  return pass_vf_pick((const PassVfRow *)host->rows->data, host->rows->len, &request);
}

static PassVfTable *
host_table(Host *host)
{
  return pass_vf_table_new((const PassVfRow *)host->rows->data, host->rows->len);
}

/* The chosen addresses, space-separated ("" when none). */
static char *
chosen(const PassVfPick *pick)
{
  GString *text = g_string_new(NULL);

  for (guint i = 0; pick->choices != NULL && i < pick->choices->len; i++) {
    const PassVfChoice *choice = pick->choices->pdata[i];

    g_string_append_printf(text, "%s%s", i > 0 ? " " : "", choice->address);
  }
  return g_string_free(text, FALSE);
}

static const char *
reason(const PassVfPick *pick, guint i)
{
  return ((const PassVfChoice *)pick->choices->pdata[i])->reason;
}

/* Four guests attach one VF each, one after the other, over two equal PFs. */
static char *
attach_four(PassVfPolicy policy)
{
  g_autoptr(Host) host = host_new();
  GString *placed = g_string_new(NULL);

  host_add_pf(host, 0x3b, 0, 8);
  host_add_pf(host, 0x5e, 0, 8);
  for (guint i = 0; i < 4; i++) {
    g_autofree char *guest = g_strdup_printf("vm%u", i + 1);
    g_autoptr(PassVfPick) pick = host_pick(host, 1, policy, PASS_VF_NUMA_PREFERRED, NULL, 0);
    const PassVfChoice *choice;

    g_assert_cmpint(pick->verdict, ==, PASS_VF_PICK_OK);
    g_assert_cmpuint(pick->choices->len, ==, 1);
    g_assert_null(pick->message);
    choice = pick->choices->pdata[0];
    host_use(host, choice->address, guest);
    g_string_append_printf(placed, "%s%s", i > 0 ? " " : "", choice->address);
  }
  return g_string_free(placed, FALSE);
}

static void
test_spread_four_guests(void)
{
  g_autofree char *placed = attach_four(PASS_VF_POLICY_SPREAD);

  /* 2 per PF: each pick goes to the PF with fewer in use, ties to the lower PF address */
  g_assert_cmpstr(placed, ==, "0000:3b:01.0 0000:5e:01.0 0000:3b:01.1 0000:5e:01.1");
}

static void
test_pack_four_guests(void)
{
  g_autofree char *placed = attach_four(PASS_VF_POLICY_PACK);

  g_assert_cmpstr(placed, ==, "0000:3b:01.0 0000:3b:01.1 0000:3b:01.2 0000:3b:01.3");
}

static void
test_reasons(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfPick) spread = NULL;
  g_autoptr(PassVfPick) pack = NULL;
  g_autoptr(PassVfPick) tie = NULL;
  const int node1[] = {1};

  host_add_pf(host, 0x3b, 1, 8);
  host_add_pf(host, 0x5e, 1, 8);
  host_use(host, "0000:3b:01.0", "vm1");
  host_use(host, "0000:5e:01.0", "vm2");
  host_use(host, "0000:5e:01.1", "vm3");

  spread = host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, node1, 1);
  g_assert_cmpstr(reason(spread, 0), ==,
                  "lowest free VF of PF 0000:3b:00.0, which has the fewest VFs in use (1 of 8); "
                  "NUMA node 1, local to the domain");
  g_assert_false(spread->numa_fallback);
  g_assert_null(spread->numa_note);
  g_assert_cmpuint(spread->n_eligible, ==, 13);
  g_assert_cmpuint(spread->n_local, ==, 13);

  pack = host_pick(host, 1, PASS_VF_POLICY_PACK, PASS_VF_NUMA_IGNORE, node1, 1);
  g_assert_cmpstr(reason(pack, 0), ==,
                  "lowest free VF of PF 0000:5e:00.0, the most-loaded PF with a free VF (2 of 8 "
                  "in use); NUMA node 1 (NUMA ignored)");

  host_use(host, "0000:3b:01.1", "vm4");
  tie = host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, NULL, 0);
  g_assert_cmpstr(reason(tie, 0), ==,
                  "lowest free VF of PF 0000:3b:00.0, which has the fewest VFs in use (2 of 8), "
                  "tied with PF 0000:5e:00.0 (lower address first); NUMA node 1 (the domain's "
                  "NUMA placement is unknown)");
  g_assert_cmpstr(tie->numa_note, ==,
                  "the domain's NUMA placement is unknown: VFs chosen without regard to NUMA");
  g_assert_false(tie->numa_fallback);
}

static void
test_two_vfs_distinct_pfs(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfPick) two = NULL;
  g_autoptr(PassVfPick) three = NULL;
  g_autoptr(PassVfPick) packed = NULL;
  g_autofree char *two_text = NULL;
  g_autofree char *three_text = NULL;
  g_autofree char *packed_text = NULL;

  host_add_pf(host, 0x3b, 0, 8);
  host_add_pf(host, 0x5e, 0, 8);
  host_use(host, "0000:5e:01.0", "vm1");

  /* after the first pick both PFs have 1 in use (a tie the address would give to 3b again),
   * but the second goes to the PF this request does not use yet */
  two = host_pick(host, 2, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, NULL, 0);
  two_text = chosen(two);
  g_assert_cmpstr(two_text, ==, "0000:3b:01.0 0000:5e:01.1");

  host_use(host, "0000:5e:01.1", "vm2");
  host_use(host, "0000:5e:01.2", "vm3");
  /* 3b: 0 in use, 5e: 3; the second still takes 5e (distinct PFs), the third reuses 3b */
  three = host_pick(host, 3, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_IGNORE, NULL, 0);
  three_text = chosen(three);
  g_assert_cmpstr(three_text, ==, "0000:3b:01.0 0000:5e:01.3 0000:3b:01.1");
  g_assert_cmpstr(reason(three, 1), ==,
                  "lowest free VF of PF 0000:5e:00.0, which has the fewest VFs in use (3 of 8) of "
                  "the PFs this request does not use yet; NUMA node 0 (NUMA ignored)");
  g_assert_cmpstr(reason(three, 2), ==,
                  "lowest free VF of PF 0000:3b:00.0, which has the fewest VFs in use (1 of 8, "
                  "1 of them this request's), reused: every PF with a free VF already has one of "
                  "this request's; NUMA node 0 (NUMA ignored)");

  /* pack keeps 3b whole */
  packed = host_pick(host, 2, PASS_VF_POLICY_PACK, PASS_VF_NUMA_IGNORE, NULL, 0);
  packed_text = chosen(packed);
  g_assert_cmpstr(packed_text, ==, "0000:5e:01.3 0000:5e:01.4");
}

/* 0000:3b on node 0, 0000:5e on node 1; the domain on node 1. */
static Host *
numa_host(void)
{
  Host *host = host_new();

  host_add_pf(host, 0x3b, 0, 4);
  host_add_pf(host, 0x5e, 1, 4);
  return host;
}

static void
test_numa_required(void)
{
  g_autoptr(Host) host = numa_host();
  const int node1[] = {1};
  const int nodes[] = {3, 1, 3};
  g_autoptr(PassVfPick) local = NULL;
  g_autoptr(PassVfPick) partial = NULL;
  g_autoptr(PassVfPick) none = NULL;
  g_autoptr(PassVfPick) unknown = NULL;
  g_autoptr(PassVfPick) two_nodes = NULL;
  g_autofree char *local_text = NULL;

  /* node 1's PF is the busier one: required still takes it */
  host_use(host, "0000:5e:01.0", "vm1");
  host_use(host, "0000:5e:01.1", "vm2");
  local = host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, node1, 1);
  local_text = chosen(local);
  g_assert_cmpint(local->verdict, ==, PASS_VF_PICK_OK);
  g_assert_cmpstr(local_text, ==, "0000:5e:01.2");
  g_assert_true(((PassVfChoice *)local->choices->pdata[0])->local);
  g_assert_false(local->numa_fallback);

  partial = host_pick(host, 3, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, node1, 1);
  g_assert_cmpint(partial->verdict, ==, PASS_VF_PICK_NOT_LOCAL);
  g_assert_cmpuint(partial->choices->len, ==, 0);
  g_assert_cmpstr(partial->message, ==,
                  "NUMA required: only 2 eligible VFs on NUMA node 1, the domain's, and 3 needed; "
                  "the other eligible VFs are on node 0: 4 (PF 0000:3b:00.0)");

  host_use(host, "0000:5e:01.2", "vm3");
  host_use(host, "0000:5e:01.3", "vm4");
  none = host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, nodes, 3);
  g_assert_cmpint(none->verdict, ==, PASS_VF_PICK_NOT_LOCAL);
  g_assert_cmpstr(none->message, ==,
                  "NUMA required: no eligible VF on NUMA nodes 1, 3, the domain's (1 needed); "
                  "the eligible VFs are on node 0: 4 (PF 0000:3b:00.0)");
  g_assert_cmpuint(none->n_local, ==, 0);

  unknown = host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, NULL, 0);
  g_assert_cmpint(unknown->verdict, ==, PASS_VF_PICK_NUMA_UNKNOWN);
  g_assert_cmpstr(unknown->message, ==,
                  "NUMA required, but the domain's NUMA placement is unknown (it has no "
                  "<numatune>, vCPU pinning or guest NUMA cells)");

  /* a domain spanning both nodes: everything is local */
  two_nodes =
      host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, (const int[]){0, 1}, 2);
  g_assert_cmpint(two_nodes->verdict, ==, PASS_VF_PICK_OK);
  g_assert_true(((PassVfChoice *)two_nodes->choices->pdata[0])->local);
}

static void
test_numa_required_where(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfPick) pick = NULL;

  /* four PFs on node 0 (only three named), one on an unknown node, the domain on node 2 */
  for (guint bus = 0x10; bus < 0x14; bus++)
    host_add_pf(host, bus, 0, 2);
  host_add_pf(host, 0x20, -1, 1);
  pick = host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, (const int[]){2}, 1);
  g_assert_cmpstr(pick->message, ==,
                  "NUMA required: no eligible VF on NUMA node 2, the domain's (1 needed); the "
                  "eligible VFs are on node unknown: 1 (PF 0000:20:00.0); node 0: 8 (PFs "
                  "0000:10:00.0, 0000:11:00.0, 0000:12:00.0 and 1 more)");
}

static void
test_numa_preferred(void)
{
  g_autoptr(Host) host = numa_host();
  const int node1[] = {1};
  g_autoptr(PassVfPick) local = NULL;
  g_autoptr(PassVfPick) mixed = NULL;
  g_autoptr(PassVfPick) fallback = NULL;
  g_autofree char *local_text = NULL;
  g_autofree char *mixed_text = NULL;
  g_autofree char *fallback_text = NULL;

  host_use(host, "0000:5e:01.0", "vm1");
  host_use(host, "0000:5e:01.1", "vm2");
  host_use(host, "0000:5e:01.2", "vm3");
  local = host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, node1, 1);
  local_text = chosen(local);
  g_assert_cmpstr(local_text, ==, "0000:5e:01.3");
  g_assert_false(local->numa_fallback);

  /* one local left: it first, the other from node 0, flagged */
  mixed = host_pick(host, 2, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, node1, 1);
  mixed_text = chosen(mixed);
  g_assert_cmpint(mixed->verdict, ==, PASS_VF_PICK_OK);
  g_assert_cmpstr(mixed_text, ==, "0000:5e:01.3 0000:3b:01.0");
  g_assert_true(mixed->numa_fallback);
  g_assert_cmpstr(mixed->numa_note, ==,
                  "1 of the 2 VFs is not on NUMA node 1, the domain's (1 eligible there): "
                  "0000:3b:01.0 on node 0");
  g_assert_false(((PassVfChoice *)mixed->choices->pdata[1])->local);
  g_assert_cmpstr(reason(mixed, 1), ==,
                  "lowest free VF of PF 0000:3b:00.0, which has the fewest VFs in use (0 of 4); "
                  "NUMA node 0, not local to the domain (no free VF left on NUMA node 1)");

  host_use(host, "0000:5e:01.3", "vm4");
  fallback = host_pick(host, 2, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, node1, 1);
  fallback_text = chosen(fallback);
  g_assert_cmpstr(fallback_text, ==, "0000:3b:01.0 0000:3b:01.1");
  g_assert_cmpstr(fallback->numa_note, ==,
                  "2 of the 2 VFs are not on NUMA node 1, the domain's (0 eligible there): "
                  "0000:3b:01.0 on node 0, 0000:3b:01.1 on node 0");
}

static void
test_numa_ignore(void)
{
  g_autoptr(Host) host = numa_host();
  g_autoptr(PassVfPick) ignore = NULL;
  g_autoptr(PassVfPick) preferred = NULL;
  g_autofree char *ignore_text = NULL;
  g_autofree char *preferred_text = NULL;

  host_use(host, "0000:3b:01.0", "vm1");
  /* node 0's PF is busier; ignore takes node 1's, preferred (domain on node 0) node 0's */
  ignore = host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_IGNORE, (const int[]){0}, 1);
  ignore_text = chosen(ignore);
  g_assert_cmpstr(ignore_text, ==, "0000:5e:01.0");
  g_assert_false(ignore->numa_fallback);
  g_assert_null(ignore->numa_note);
  preferred =
      host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, (const int[]){0}, 1);
  preferred_text = chosen(preferred);
  g_assert_cmpstr(preferred_text, ==, "0000:3b:01.1");
}

static void
test_unknown_node_never_local(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfPick) pick = NULL;
  g_autoptr(PassVfPick) preferred = NULL;

  host_add_pf(host, 0x3b, -1, 2);
  pick = host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, (const int[]){0}, 1);
  g_assert_cmpint(pick->verdict, ==, PASS_VF_PICK_NOT_LOCAL);
  g_assert_cmpstr(pick->message, ==,
                  "NUMA required: no eligible VF on NUMA node 0, the domain's (1 needed); the "
                  "eligible VFs are on node unknown: 2 (PF 0000:3b:00.0)");
  preferred =
      host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, (const int[]){0}, 1);
  g_assert_cmpstr(preferred->numa_note, ==,
                  "1 of the 1 VFs is not on NUMA node 0, the domain's (0 eligible there): "
                  "0000:3b:01.0 on an unknown node");
}

/* A PF whose VFs report different nodes: each VF's own node decides. */
static void
test_mixed_node_pf(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfPick) pick = NULL;
  g_autoptr(PassVfTable) table = NULL;
  g_autoptr(PassVfBalance) balance = NULL;
  g_autofree char *text = NULL;

  host_add_pf(host, 0x3b, 0, 4);
  host_vf(host, "0000:3b:01.2")->numa_node = 1;
  pick = host_pick(host, 1, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, (const int[]){1}, 1);
  text = chosen(pick);
  g_assert_cmpstr(text, ==, "0000:3b:01.2");

  table = host_table(host);
  balance = pass_vf_table_balance(table);
  g_assert_cmpint(((PassVfPfLoad *)balance->pfs->pdata[0])->numa_node, ==, -1);
}

static void
test_ties_by_address(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfPick) pick = NULL;
  g_autoptr(PassVfPick) domains = NULL;
  g_autofree char *text = NULL;
  g_autofree char *domains_text = NULL;

  /* added in reverse: the table orders them itself */
  host_add_pf(host, 0x7c, 0, 3);
  host_add_pf(host, 0x0a, 0, 3);
  host_add_pf(host, 0x3b, 0, 3);
  for (guint i = 0; i < host->rows->len / 2; i++) {
    PassVfRow *a = &g_array_index(host->rows, PassVfRow, i);
    PassVfRow *b = &g_array_index(host->rows, PassVfRow, host->rows->len - 1 - i);
    PassVfRow swap = *a;

    *a = *b;
    *b = swap;
  }
  pick = host_pick(host, 4, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_PREFERRED, NULL, 0);
  text = chosen(pick);
  g_assert_cmpstr(text, ==, "0000:0a:01.0 0000:3b:01.0 0000:7c:01.0 0000:0a:01.1");
  g_assert_cmpstr(reason(pick, 1), ==,
                  "lowest free VF of PF 0000:3b:00.0, which has the fewest VFs in use (0 of 3), "
                  "tied with PF 0000:7c:00.0 (lower address first); NUMA node 0 (the domain's "
                  "NUMA placement is unknown)");

  /* domains order by number, not text: ffff before 10000 */
  g_array_set_size(host->rows, 0);
  host_add_pf_named(host, "10000:01:00.0", 0x01, 0, 1);
  host_add_pf_named(host, "ffff:01:00.0", 0x01, 0, 1);
  domains = host_pick(host, 2, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_IGNORE, NULL, 0);
  domains_text = chosen(domains);
  g_assert_cmpstr(domains_text, ==, "ffff:01:01.0 10000:01:01.0");
}

/* Text that is not a canonical address still orders (after all canonical ones, by strcmp),
 * whatever the rows' order. */
static void
test_non_canonical_addresses(void)
{
  const char *expected = "0000:3b:01.0 0000:3b:01.1 0000:3b:zz pf-a:1 pf-a:2 pf-b:1";

  for (guint32 seed = 1; seed <= 6; seed++) {
    g_autoptr(Host) host = host_new();
    const PassVfRow extra[] = {
        {"pf-b:1", "pf-b", 0, TRUE, FALSE, NULL},
        {"pf-a:2", "pf-a", 0, TRUE, FALSE, NULL},
        {"0000:3b:zz", "0000:3b:00.0", 0, TRUE, FALSE, NULL},
        {"pf-a:1", "pf-a", 0, TRUE, FALSE, NULL},
    };
    g_autoptr(PassVfPick) pick = NULL;
    g_autofree char *text = NULL;

    host_add_pf(host, 0x3b, 0, 2);
    g_array_append_vals(host->rows, extra, G_N_ELEMENTS(extra));
    shuffle_rows(host->rows, seed);
    pick = host_pick(host, 6, PASS_VF_POLICY_PACK, PASS_VF_NUMA_IGNORE, NULL, 0);
    text = chosen(pick);
    g_assert_cmpstr(text, ==, expected);
  }
}

static void
test_not_enough(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfPick) pick = NULL;
  g_autoptr(PassVfPick) exact = NULL;

  host_add_pf(host, 0x3b, 0, 3);
  host_add_pf(host, 0x5e, 0, 3);
  host_use(host, "0000:3b:01.0", "vm1");
  host_use(host, "0000:5e:01.0", NULL);
  host_vf(host, "0000:5e:01.1")->eligible = FALSE; /* on a host driver, say */
  host_vf(host, "0000:3b:01.0")->eligible = TRUE;  /* in use wins over eligible */
  pick = host_pick(host, 4, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_IGNORE, NULL, 0);
  g_assert_cmpint(pick->verdict, ==, PASS_VF_PICK_NOT_ENOUGH);
  g_assert_cmpuint(pick->choices->len, ==, 0);
  g_assert_cmpstr(pick->message, ==,
                  "not enough eligible VFs: 3 eligible, 4 needed (of 6 VFs, 2 of them in use)");
  /* not enough wins over the NUMA verdicts */
  g_clear_pointer(&pick, pass_vf_pick_free);
  pick = host_pick(host, 4, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_REQUIRED, NULL, 0);
  g_assert_cmpint(pick->verdict, ==, PASS_VF_PICK_NOT_ENOUGH);
  exact = host_pick(host, 3, PASS_VF_POLICY_SPREAD, PASS_VF_NUMA_IGNORE, NULL, 0);
  g_assert_cmpint(exact->verdict, ==, PASS_VF_PICK_OK);
  g_assert_cmpuint(exact->choices->len, ==, 3);
}

static void
test_empty(void)
{
  g_autoptr(PassVfTable) table = pass_vf_table_new(NULL, 0);
  PassVfRequest request = {.count = 1};
  g_autoptr(PassVfPick) pick = pass_vf_table_pick(table, &request);
  g_autoptr(PassVfBalance) balance = pass_vf_table_balance(table);
  g_autoptr(PassVfPlan) plan = pass_vf_table_plan(table);

  g_assert_cmpint(pick->verdict, ==, PASS_VF_PICK_NOT_ENOUGH);
  g_assert_cmpstr(pick->message, ==,
                  "not enough eligible VFs: 0 eligible, 1 needed (of 0 VFs, 0 of them in use)");
  g_assert_cmpuint(pass_vf_table_get_n_pfs(table), ==, 0);
  g_assert_cmpuint(balance->pfs->len, ==, 0);
  g_assert_cmpuint(balance->skew, ==, 0);
  g_assert_cmpuint(plan->moves->len, ==, 0);
}

/* "guest from -> to" per move, one a line. */
static char *
format_moves(const PassVfPlan *plan)
{
  GString *text = g_string_new(NULL);

  for (guint i = 0; i < plan->moves->len; i++) {
    const PassVfMove *move = plan->moves->pdata[i];

    g_string_append_printf(text, "%s %s -> %s\n", move->guest, move->from, move->to);
  }
  return g_string_free(text, FALSE);
}

static guint
pf_in_use(const PassVfBalance *balance, guint i)
{
  return ((const PassVfPfLoad *)balance->pfs->pdata[i])->in_use;
}

static void
test_balance_summary(void)
{
  g_autoptr(Host) host = numa_host();
  g_autoptr(PassVfTable) table = NULL;
  g_autoptr(PassVfBalance) balance = NULL;
  const PassVfPfLoad *pf;
  const PassVfNodeLoad *node;
  g_autofree char *guests = NULL;

  host_add_pf(host, 0x7c, 1, 2);
  host_use(host, "0000:5e:01.2", "vm-b");
  host_use(host, "0000:5e:01.0", "vm-a");
  host_use(host, "0000:5e:01.1", "vm-b");
  host_use(host, "0000:3b:01.3", NULL);
  host_vf(host, "0000:7c:01.1")->eligible = FALSE;
  table = host_table(host);
  g_assert_cmpuint(pass_vf_table_get_n_vfs(table), ==, 10);
  g_assert_cmpuint(pass_vf_table_get_n_pfs(table), ==, 3);
  balance = pass_vf_table_balance(table);

  g_assert_cmpuint(balance->pfs->len, ==, 3);
  pf = balance->pfs->pdata[1];
  g_assert_cmpstr(pf->address, ==, "0000:5e:00.0");
  g_assert_cmpint(pf->numa_node, ==, 1);
  g_assert_cmpuint(pf->n_vfs, ==, 4);
  g_assert_cmpuint(pf->in_use, ==, 3);
  g_assert_cmpuint(pf->eligible, ==, 1);
  guests = g_strjoinv(" ", pf->guests);
  g_assert_cmpstr(guests, ==, "vm-a vm-b");
  g_assert_cmpuint(g_strv_length(((PassVfPfLoad *)balance->pfs->pdata[0])->guests), ==, 0);
  g_assert_cmpuint(pf_in_use(balance, 0), ==, 1);
  g_assert_cmpuint(pf_in_use(balance, 2), ==, 0);
  g_assert_cmpuint(((PassVfPfLoad *)balance->pfs->pdata[2])->eligible, ==, 1);

  g_assert_cmpuint(balance->in_use, ==, 4);
  g_assert_cmpuint(balance->min_in_use, ==, 0);
  g_assert_cmpuint(balance->max_in_use, ==, 3);
  g_assert_cmpuint(balance->skew, ==, 3);
  g_assert_cmpuint(balance->nodes->len, ==, 2);
  node = &g_array_index(balance->nodes, PassVfNodeLoad, 0);
  g_assert_cmpint(node->numa_node, ==, 0);
  g_assert_cmpuint(node->n_pfs, ==, 1);
  g_assert_cmpuint(node->n_vfs, ==, 4);
  g_assert_cmpuint(node->in_use, ==, 1);
  g_assert_cmpuint(node->eligible, ==, 3);
  g_assert_cmpuint(node->skew, ==, 0);
  node = &g_array_index(balance->nodes, PassVfNodeLoad, 1);
  g_assert_cmpint(node->numa_node, ==, 1);
  g_assert_cmpuint(node->n_pfs, ==, 2);
  g_assert_cmpuint(node->n_vfs, ==, 6);
  g_assert_cmpuint(node->in_use, ==, 3);
  g_assert_cmpuint(node->eligible, ==, 2);
  g_assert_cmpuint(node->skew, ==, 3);
}

static void
test_balance_evens(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfTable) table = NULL;
  g_autoptr(PassVfPlan) plan = NULL;
  g_autofree char *moves = NULL;
  const PassVfMove *move;

  host_add_pf(host, 0x3b, 0, 8);
  host_add_pf(host, 0x5e, 0, 8);
  host_use(host, "0000:3b:01.0", "vm1");
  host_use(host, "0000:3b:01.1", "vm2");
  host_use(host, "0000:3b:01.2", "vm3");
  host_use(host, "0000:3b:01.3", "vm4");
  table = host_table(host);
  plan = pass_vf_table_plan(table);
  moves = format_moves(plan);
  g_assert_cmpstr(moves, ==,
                  "vm1 0000:3b:01.0 -> 0000:5e:01.0\n"
                  "vm2 0000:3b:01.1 -> 0000:5e:01.1\n");
  move = plan->moves->pdata[0];
  g_assert_cmpstr(move->from_pf, ==, "0000:3b:00.0");
  g_assert_cmpstr(move->to_pf, ==, "0000:5e:00.0");
  g_assert_cmpint(move->numa_node, ==, 0);
  g_assert_cmpstr(move->reason, ==,
                  "PF 0000:3b:00.0 has 4 VFs in use, PF 0000:5e:00.0 0: the least-loaded PF with "
                  "a free VF on NUMA node 0 (as 0000:3b:01.0 is) where vm1 has no VF yet");
  g_assert_cmpuint(plan->before->skew, ==, 4);
  g_assert_cmpuint(plan->after->skew, ==, 0);
  g_assert_cmpuint(pf_in_use(plan->after, 0), ==, 2);
  g_assert_cmpuint(pf_in_use(plan->after, 1), ==, 2);
  /* the freed VFs count as free again; the table itself is untouched */
  g_assert_cmpuint(((PassVfPfLoad *)plan->after->pfs->pdata[0])->eligible, ==, 6);
  g_assert_cmpuint(pf_in_use(plan->before, 0), ==, 4);
  g_assert_cmpstr(((PassVfPfLoad *)plan->after->pfs->pdata[1])->guests[0], ==, "vm1");
}

static void
test_balance_numa(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfTable) table = NULL;
  g_autoptr(PassVfPlan) plan = NULL;
  g_autoptr(PassVfTable) same_node = NULL;
  g_autoptr(PassVfPlan) none = NULL;
  g_autofree char *moves = NULL;

  /* 3b (node 0) 4/0 against 5e on node 1: nothing can move */
  host_add_pf(host, 0x3b, 0, 4);
  host_add_pf(host, 0x5e, 1, 4);
  for (guint i = 0; i < 4; i++) {
    g_autofree char *vf = g_strdup_printf("0000:3b:01.%u", i);
    g_autofree char *guest = g_strdup_printf("vm%u", i + 1);

    host_use(host, vf, guest);
  }
  table = host_table(host);
  none = pass_vf_table_plan(table);
  g_assert_cmpuint(none->moves->len, ==, 0);
  g_assert_cmpuint(none->before->skew, ==, 4);
  g_assert_cmpuint(none->after->skew, ==, 4);

  /* with a second PF on node 0 (after 5e in address order), that one takes them */
  host_add_pf(host, 0x7c, 0, 4);
  same_node = host_table(host);
  plan = pass_vf_table_plan(same_node);
  moves = format_moves(plan);
  g_assert_cmpstr(moves, ==,
                  "vm1 0000:3b:01.0 -> 0000:7c:01.0\n"
                  "vm2 0000:3b:01.1 -> 0000:7c:01.1\n");
  g_assert_cmpuint(plan->after->skew, ==, 2);
  g_assert_cmpuint(g_array_index(plan->after->nodes, PassVfNodeLoad, 0).skew, ==, 0);
  g_assert_cmpuint(g_array_index(plan->before->nodes, PassVfNodeLoad, 0).skew, ==, 4);
}

/* Guests without NUMA affinity may change node, the others may not: 3b (node 0) holds
 * pinned (lowest VF), vm1 and vm2 unplaced, 5e on node 1 nothing. */
static void
test_balance_across_nodes(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfTable) table = NULL;
  g_autoptr(PassVfPlan) plan = NULL;
  g_autofree char *moves = NULL;
  const PassVfMove *move;

  host_add_pf(host, 0x3b, 0, 4);
  host_add_pf(host, 0x5e, 1, 4);
  host_use(host, "0000:3b:01.0", "pinned");
  host_use_unplaced(host, "0000:3b:01.1", "vm1");
  host_use_unplaced(host, "0000:3b:01.2", "vm2");
  table = host_table(host);
  plan = pass_vf_table_plan(table);
  moves = format_moves(plan);
  /* 3/0 -> 2/1: one move, the pinned guest's lower VF passed over */
  g_assert_cmpstr(moves, ==, "vm1 0000:3b:01.1 -> 0000:5e:01.0\n");
  move = plan->moves->pdata[0];
  g_assert_cmpint(move->from_numa_node, ==, 0);
  g_assert_cmpint(move->numa_node, ==, 1);
  g_assert_cmpstr(move->reason, ==,
                  "PF 0000:3b:00.0 has 3 VFs in use, PF 0000:5e:00.0 0: the least-loaded PF with "
                  "a free VF where vm1 has no VF yet; it is on NUMA node 1 and 0000:3b:01.1 on "
                  "NUMA node 0, but vm1 has no NUMA affinity (no <numatune>, vcpu pinning or "
                  "guest <numa> cells), so it loses no locality");
  g_assert_cmpuint(plan->before->skew, ==, 3);
  g_assert_cmpuint(plan->after->skew, ==, 1);
  g_assert_cmpstr(((PassVfPfLoad *)plan->after->pfs->pdata[1])->guests[0], ==, "vm1");
}

/* Only the pinned guests are left to move: nothing crosses nodes. */
static void
test_balance_pinned_stay(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfTable) table = NULL;
  g_autoptr(PassVfPlan) plan = NULL;

  host_add_pf(host, 0x3b, 0, 4);
  host_add_pf(host, 0x5e, 1, 4);
  host_use(host, "0000:3b:01.0", "vm1");
  host_use(host, "0000:3b:01.1", "vm2");
  host_use(host, "0000:3b:01.2", "vm3");
  /* a guest unplaced on one VF but not on another (two rows disagree) counts as placed */
  host_use_unplaced(host, "0000:3b:01.3", "vm1");
  table = host_table(host);
  plan = pass_vf_table_plan(table);
  g_assert_cmpuint(plan->moves->len, ==, 0);
  g_assert_cmpuint(plan->after->skew, ==, 4);
}

/* An unplaced guest still prefers a target on its own node when the target PF has one. */
static void
test_balance_unplaced_same_node_first(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfTable) table = NULL;
  g_autoptr(PassVfPlan) plan = NULL;
  g_autofree char *moves = NULL;
  const PassVfMove *move;

  /* 5e has VFs on node 0 and node 1 (a PF whose VFs disagree); vm1's VF is on node 1 */
  host_add_pf(host, 0x3b, 1, 4);
  host_add_pf(host, 0x5e, 0, 2);
  host_vf(host, "0000:5e:01.1")->numa_node = 1;
  host_use_unplaced(host, "0000:3b:01.0", "vm1");
  host_use_unplaced(host, "0000:3b:01.1", "vm2");
  table = host_table(host);
  plan = pass_vf_table_plan(table);
  moves = format_moves(plan);
  g_assert_cmpstr(moves, ==, "vm1 0000:3b:01.0 -> 0000:5e:01.1\n");
  move = plan->moves->pdata[0];
  g_assert_cmpint(move->from_numa_node, ==, 1);
  g_assert_cmpint(move->numa_node, ==, 1);
  g_assert_true(strstr(move->reason, "(as 0000:3b:01.0 is)") != NULL);
}

static void
test_balance_anti_affinity(void)
{
  g_autoptr(Host) host = host_new();
  g_autoptr(PassVfTable) table = NULL;
  g_autoptr(PassVfPlan) plan = NULL;
  g_autofree char *moves = NULL;

  /* bond has one VF on each PF; its 3b VF is the lowest but must not join its 5e VF */
  host_add_pf(host, 0x3b, 0, 4);
  host_add_pf(host, 0x5e, 0, 4);
  host_use(host, "0000:3b:01.0", "bond");
  host_use(host, "0000:3b:01.1", "vm1");
  host_use(host, "0000:3b:01.2", "vm2");
  host_use(host, "0000:5e:01.0", "bond");
  /* a VF in use without an owner never moves */
  host_use(host, "0000:3b:01.3", NULL);
  table = host_table(host);
  plan = pass_vf_table_plan(table);
  moves = format_moves(plan);
  g_assert_cmpstr(moves, ==, "vm1 0000:3b:01.1 -> 0000:5e:01.1\n");
  g_assert_cmpuint(plan->before->skew, ==, 3);
  g_assert_cmpuint(plan->after->skew, ==, 1);
}

/* Fisher-Yates with a fixed seed. */
static void
shuffle_rows(GArray *rows, guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(seed);

  for (guint i = rows->len; i > 1; i--) {
    guint j = (guint)g_rand_int_range(rand, 0, (gint32)i);
    PassVfRow swap = g_array_index(rows, PassVfRow, i - 1);

    g_array_index(rows, PassVfRow, i - 1) = g_array_index(rows, PassVfRow, j);
    g_array_index(rows, PassVfRow, j) = swap;
  }
}

/* Everything a pick and a plan say, as text. */
static char *
describe(Host *host)
{
  g_autoptr(PassVfTable) table = host_table(host);
  GString *text = g_string_new(NULL);
  const int node1[] = {1};
  const PassVfPolicy policies[] = {PASS_VF_POLICY_SPREAD, PASS_VF_POLICY_PACK};
  const PassVfNumaMode modes[] = {PASS_VF_NUMA_PREFERRED, PASS_VF_NUMA_REQUIRED,
                                  PASS_VF_NUMA_IGNORE};
  g_autoptr(PassVfPlan) plan = pass_vf_table_plan(table);

  for (guint p = 0; p < G_N_ELEMENTS(policies); p++) {
    for (guint m = 0; m < G_N_ELEMENTS(modes); m++) {
      PassVfRequest request = {5, policies[p], modes[m], node1, 1};
      g_autoptr(PassVfPick) pick = pass_vf_table_pick(table, &request);

      g_string_append_printf(text, "%d %s %s\n", pick->verdict, pick->message, pick->numa_note);
      for (guint i = 0; i < pick->choices->len; i++) {
        const PassVfChoice *c = pick->choices->pdata[i];

        g_string_append_printf(text, "  %s %s\n", c->address, c->reason);
      }
    }
  }
  for (guint i = 0; i < plan->moves->len; i++) {
    const PassVfMove *move = plan->moves->pdata[i];

    g_string_append_printf(text, "%s %s %s %s\n", move->guest, move->from, move->to, move->reason);
  }
  g_string_append_printf(text, "skew %u -> %u\n", plan->before->skew, plan->after->skew);
  return g_string_free(text, FALSE);
}

/* A skewed host: 6 PFs on 2 nodes, guests with 1 or 2 VFs (on distinct PFs) crowded onto the
 * first PFs of each node. */
static Host *
skewed_host(void)
{
  Host *host = host_new();
  g_autoptr(GRand) rand = g_rand_new_with_seed(7);

  for (guint p = 0; p < 6; p++)
    host_add_pf(host, 0x10 + p, p < 3 ? 0 : 1, 8);
  for (guint g = 0; g < 16; g++) {
    g_autofree char *guest = g_strdup_printf("guest%02u", g);
    guint base = g % 2 == 0 ? 0x10 : 0x13;
    guint first = base + (guint)g_rand_int_range(rand, 0, 2);
    g_autofree char *vf = g_strdup_printf("0000:%02x:01.%u", first, g / 2 % 8);

    if (host_vf(host, vf)->in_use)
      continue;
    host_use(host, vf, guest);
    if (g % 3 == 0) {
      g_autofree char *second =
          g_strdup_printf("0000:%02x:01.%u", first == base ? base + 1 : base, g / 2 % 8);

      if (!host_vf(host, second)->in_use)
        host_use(host, second, guest);
    }
  }
  return host;
}

static void
test_determinism(void)
{
  g_autoptr(Host) host = skewed_host();
  g_autofree char *first = describe(host);

  g_assert_true(strstr(first, "skew ") != NULL);
  for (guint32 seed = 1; seed <= 5; seed++) {
    g_autofree char *again = NULL;

    shuffle_rows(host->rows, seed);
    again = describe(host);
    g_assert_cmpstr(again, ==, first);
  }
}

/* The plan's rules hold on the skewed host: same node, no guest doubled on a PF, loads only
 * even out, and no move is left that would. */
static void
test_balance_rules(void)
{
  g_autoptr(Host) host = skewed_host();
  g_autoptr(PassVfTable) table = host_table(host);
  g_autoptr(PassVfPlan) plan = pass_vf_table_plan(table);
  g_autoptr(GHashTable) pf_of = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GHashTable) node_of = g_hash_table_new(g_str_hash, g_str_equal);

  g_assert_cmpuint(plan->moves->len, >, 0);
  g_assert_cmpuint(plan->after->skew, <, plan->before->skew);
  for (guint i = 0; i < host->rows->len; i++) {
    const PassVfRow *row = &g_array_index(host->rows, PassVfRow, i);

    g_hash_table_insert(pf_of, (gpointer)row->address, (gpointer)row->pf);
    g_hash_table_insert(node_of, (gpointer)row->address, GINT_TO_POINTER(row->numa_node));
  }
  for (guint i = 0; i < plan->moves->len; i++) {
    const PassVfMove *move = plan->moves->pdata[i];

    g_assert_cmpint(GPOINTER_TO_INT(g_hash_table_lookup(node_of, move->from)), ==,
                    GPOINTER_TO_INT(g_hash_table_lookup(node_of, move->to)));
    g_assert_cmpstr(g_hash_table_lookup(pf_of, move->to), ==, move->to_pf);
    g_assert_cmpstr(move->from_pf, !=, move->to_pf);
  }
  /* after: each guest at most once per PF (the skewed host never doubles one up) */
  for (guint p = 0; p < plan->after->pfs->len; p++) {
    const PassVfPfLoad *pf = plan->after->pfs->pdata[p];
    guint held = 0;

    for (guint i = 0; i < host->rows->len; i++) {
      const PassVfRow *row = &g_array_index(host->rows, PassVfRow, i);
      gboolean moved_away = FALSE;

      for (guint m = 0; m < plan->moves->len; m++)
        moved_away |= strcmp(((PassVfMove *)plan->moves->pdata[m])->from, row->address) == 0;
      if (row->in_use && !moved_away && strcmp(row->pf, pf->address) == 0)
        held++;
    }
    for (guint m = 0; m < plan->moves->len; m++)
      held += strcmp(((PassVfMove *)plan->moves->pdata[m])->to_pf, pf->address) == 0;
    g_assert_cmpuint(held, ==, pf->in_use);
    g_assert_cmpuint(g_strv_length(pf->guests), ==, pf->in_use);
  }
  /* per node, the loads differ by at most one at the end: the rules allowed that here */
  for (guint n = 0; n < plan->after->nodes->len; n++)
    g_assert_cmpuint(g_array_index(plan->after->nodes, PassVfNodeLoad, n).skew, <=, 1);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/vf-pick/spread-four-guests", test_spread_four_guests);
  g_test_add_func("/vf-pick/pack-four-guests", test_pack_four_guests);
  g_test_add_func("/vf-pick/reasons", test_reasons);
  g_test_add_func("/vf-pick/two-vfs-distinct-pfs", test_two_vfs_distinct_pfs);
  g_test_add_func("/vf-pick/numa-required", test_numa_required);
  g_test_add_func("/vf-pick/numa-required-where", test_numa_required_where);
  g_test_add_func("/vf-pick/numa-preferred", test_numa_preferred);
  g_test_add_func("/vf-pick/numa-ignore", test_numa_ignore);
  g_test_add_func("/vf-pick/unknown-node-never-local", test_unknown_node_never_local);
  g_test_add_func("/vf-pick/mixed-node-pf", test_mixed_node_pf);
  g_test_add_func("/vf-pick/ties-by-address", test_ties_by_address);
  g_test_add_func("/vf-pick/non-canonical-addresses", test_non_canonical_addresses);
  g_test_add_func("/vf-pick/not-enough", test_not_enough);
  g_test_add_func("/vf-pick/empty", test_empty);
  g_test_add_func("/vf-balance/summary", test_balance_summary);
  g_test_add_func("/vf-balance/evens", test_balance_evens);
  g_test_add_func("/vf-balance/numa", test_balance_numa);
  g_test_add_func("/vf-balance/across-nodes", test_balance_across_nodes);
  g_test_add_func("/vf-balance/pinned-stay", test_balance_pinned_stay);
  g_test_add_func("/vf-balance/unplaced-same-node-first", test_balance_unplaced_same_node_first);
  g_test_add_func("/vf-balance/anti-affinity", test_balance_anti_affinity);
  g_test_add_func("/vf-balance/rules", test_balance_rules);
  g_test_add_func("/vf-pick/determinism", test_determinism);
  return g_test_run();
}
