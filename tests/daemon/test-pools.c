/* Pools: PF selectors, names and the other values as every way in parses them (the exact
 * messages); pools.d files whose bad pools are reported with file, line and key while the good
 * ones stay, names defined twice across files; the run-time pools saved and read back exactly;
 * which VFs a pool takes. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pass-error.h"
#include "pool-match.h"
#include "pool-parse.h"
#include "pools-file.h"

typedef struct {
  const char *text;
  const char *expected; /* the canonical selector, or the error message */
} Case;

/* ---- PF selectors ---- */

static const Case good_selectors[] = {
    {"0000:3b:00.0#0-3,6", "0000:3b:00.0#0-3,6"},
    {"3b:00.0", "0000:3b:00.0"},
    {"pci_0000_3B_00_1#2", "0000:3b:00.1#2"},
    {"0000:3B:00.0", "0000:3b:00.0"},
    {"enp59s0f0#2", "enp59s0f0#2"},
    {"enp59s0f0", "enp59s0f0"},
    {"bond0.100", "bond0.100"},
    /* Sorted, adjacent ones merged, single-index ranges shortened. */
    {"eth0#6,0-2,3", "eth0#0-3,6"},
    {"eth0#1-1", "eth0#1"},
    {"eth0#007", "eth0#7"},
    {"eth0#0,2,4", "eth0#0,2,4"},
    {"eth0#4095", "eth0#4095"},
    {"eth0#0-4095", "eth0#0-4095"},
    {"a23456789012345", "a23456789012345"},
};

#define NOT_PCI   "is not a PCI address (expected DDDD:BB:SS.F)"
#define NOT_RANGE "is not a VF index or range (such as 6 or 0-3)"

static const Case bad_selectors[] = {
    {"", "'' is not a PF selector (expected a PCI address or a netdev name, optionally followed "
         "by VF indices such as #0-3,6)"},
    {"#1", "'#1' is not a PF selector (expected a PCI address or a netdev name, optionally "
           "followed by VF indices such as #0-3,6)"},
    /* The address. */
    {"3b:00.g", "'3b:00.g' " NOT_PCI},
    {"3b:00.0x#1", "'3b:00.0x' " NOT_PCI},
    {"0000:3b:20.0#1", "'0000:3b:20.0' is not a PCI address: slot 0x20 out of range (max 0x1f)"},
    {"3b:00.8", "'3b:00.8' is not a PCI address: function 8 out of range (max 7)"},
    {"pci_0000_3b", "'pci_0000_3b' " NOT_PCI},
    {"1:2:3:4", "'1:2:3:4' " NOT_PCI},
    /* The netdev name. */
    {"a234567890123456", "'a234567890123456' is not a netdev name: longer than 15 characters"},
    {"eth 0", "'eth 0' is not a netdev name: it may not hold white space, control or non-ASCII "
              "characters"},
    {"eth/0", "'eth/0' is not a netdev name: '/' may not appear in one"},
    {"eth;0", "'eth;0' is not a netdev name: ';' may not appear in one"},
    {".", "'.' is not a netdev name"},
    {"..#1", "'..' is not a netdev name"},
    /* The ranges: empty, malformed, reversed, too high, twice. */
    {"enp59s0f0#", "'enp59s0f0#': no VF indices after '#' (such as #0-3,6)"},
    {"eth0#1,,2", "'eth0#1,,2': an empty VF index range (two commas, or one at an end)"},
    {"eth0#1,", "'eth0#1,': an empty VF index range (two commas, or one at an end)"},
    {"eth0#a", "'eth0#a': 'a' " NOT_RANGE},
    {"eth0#1-", "'eth0#1-': '1-' " NOT_RANGE},
    {"eth0#-1", "'eth0#-1': '-1' " NOT_RANGE},
    {"eth0#1-2-3", "'eth0#1-2-3': '1-2-3' " NOT_RANGE},
    {"eth0#+1", "'eth0#+1': '+1' " NOT_RANGE},
    {"eth0# 1", "'eth0# 1': ' 1' " NOT_RANGE},
    {"eth0#1#2", "'eth0#1#2': '1#2' " NOT_RANGE},
    {"eth0#0x1", "'eth0#0x1': '0x1' " NOT_RANGE},
    {"eth0#3-1", "'eth0#3-1': VF index range '3-1' is reversed (did you mean 1-3?)"},
    {"eth0#4096", "'eth0#4096': VF index 4096 is above 4095"},
    {"eth0#0-99999999999999999999",
     "'eth0#0-99999999999999999999': VF index 9999999999999999... is above 4095"},
    {"eth0#0-3,2", "'eth0#0-3,2': VF index 2 is given twice"},
    {"eth0#5,5", "'eth0#5,5': VF index 5 is given twice"},
    {"eth0#4-6,0-4", "'eth0#4-6,0-4': VF index 4 is given twice"},
};

static void
test_selectors(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(good_selectors); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(PassPoolPf) pf = pass_pool_parse_pf_selector(good_selectors[i].text, &error);
    g_autofree char *got = NULL;

    g_test_message("good: %s", good_selectors[i].text);
    g_assert_no_error(error);
    got = pass_pool_pf_to_string(pf);
    g_assert_cmpstr(got, ==, good_selectors[i].expected);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(bad_selectors); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(PassPoolPf) pf = pass_pool_parse_pf_selector(bad_selectors[i].text, &error);

    g_test_message("bad: %s", bad_selectors[i].text);
    g_assert_null(pf);
    g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
    g_assert_cmpstr(error->message, ==, bad_selectors[i].expected);
  }
}

/* What is stored: an address or a netdev name, and the ranges as numbers. */
static void
test_selector_fields(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PassPoolPf) address = pass_pool_parse_pf_selector("3b:00.0#6,0-3", &error);
  g_autoptr(PassPoolPf) netdev = pass_pool_parse_pf_selector("enp59s0f0", &error);
  g_autoptr(PassPoolPf) copy = NULL;
  const PassPoolRange *ranges;

  g_assert_no_error(error);
  g_assert_cmpstr(address->address, ==, "0000:3b:00.0");
  g_assert_null(address->netdev);
  g_assert_cmpuint(address->ranges->len, ==, 2);
  ranges = (const PassPoolRange *)address->ranges->data;
  g_assert_cmpuint(ranges[0].first, ==, 0);
  g_assert_cmpuint(ranges[0].last, ==, 3);
  g_assert_cmpuint(ranges[1].first, ==, 6);
  g_assert_cmpuint(ranges[1].last, ==, 6);
  g_assert_true(pass_pool_pf_has_index(address, 3));
  g_assert_false(pass_pool_pf_has_index(address, 4));
  g_assert_true(pass_pool_pf_has_index(address, 6));
  g_assert_false(pass_pool_pf_has_index(address, 7));

  g_assert_null(netdev->address);
  g_assert_cmpstr(netdev->netdev, ==, "enp59s0f0");
  g_assert_cmpuint(netdev->ranges->len, ==, 0);
  g_assert_true(pass_pool_pf_has_index(netdev, 4095));

  copy = pass_pool_pf_copy(address);
  g_assert_true(pass_pool_pf_equal(copy, address));
  g_assert_false(pass_pool_pf_equal(copy, netdev));
  g_array_index(copy->ranges, PassPoolRange, 1).last = 7;
  g_assert_false(pass_pool_pf_equal(copy, address));
}

/* One selector per PF, however it is spelled; an address and a netdev may both be given. */
static void
test_add_pf(void)
{
  g_autoptr(PassPool) pool = pass_pool_new("p");
  g_autoptr(GError) error = NULL;

  g_assert_true(pass_pool_add_pf(pool, pass_pool_parse_pf_selector("3b:00.0#1", NULL), &error));
  g_assert_true(pass_pool_add_pf(pool, pass_pool_parse_pf_selector("eth0", NULL), &error));
  g_assert_true(pass_pool_add_pf(pool, pass_pool_parse_pf_selector("3b:00.1", NULL), &error));
  g_assert_no_error(error);
  g_assert_false(
      pass_pool_add_pf(pool, pass_pool_parse_pf_selector("pci_0000_3b_00_0#2-3", NULL), &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpstr(error->message, ==,
                  "'0000:3b:00.0#1' and '0000:3b:00.0#2-3' select the same PF 0000:3b:00.0 "
                  "(give its VF indices in one)");
  g_clear_error(&error);
  g_assert_false(pass_pool_add_pf(pool, pass_pool_parse_pf_selector("eth0#0", NULL), &error));
  g_assert_cmpstr(error->message, ==,
                  "'eth0' and 'eth0#0' select the same PF eth0 (give its VF indices in one)");
  g_assert_cmpuint(pool->pfs->len, ==, 3);
}

/* ---- names and the other values ---- */

static void
test_names(void)
{
  static const char *const good[] = {
      "a",
      "nic-vfs",
      "A_1.2",
      "0",
      "x.",
      "x-",
      "a234567890123456789012345678901234567890123456789012345678901234"};
  static const Case bad[] = {
      {"", "a pool name may not be empty"},
      {"a2345678901234567890123456789012345678901234567890123456789012345",
       /* Quoted values are cut at 64 characters. */
       "'a234567890123456789012345678901234567890123456789012345678901234...' is not a pool "
       "name: longer than 64 characters"},
      {".hidden", "'.hidden' is not a pool name: it may not start with '.'"},
      {"-x", "'-x' is not a pool name: it may not start with '-'"},
      {"a b", "'a b' is not a pool name: only letters, digits, '_', '.' and '-' may appear in one"},
      {"a/b", "'a/b' is not a pool name: only letters, digits, '_', '.' and '-' may appear in one"},
      {"nic\n", "'nic\\n' is not a pool name: only letters, digits, '_', '.' and '-' may appear "
                "in one"},
      {"caf\xc3\xa9", "'caf\\303\\251' is not a pool name: only letters, digits, '_', '.' and '-' "
                      "may appear in one"},
  };

  for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(GError) error = NULL;

    g_assert_true(pass_pool_validate_name(good[i], &error));
    g_assert_no_error(error);
  }
  g_assert_cmpuint(strlen(good[G_N_ELEMENTS(good) - 1]), ==, PASS_POOL_MAX_NAME);
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;

    g_test_message("bad name: %s", bad[i].text);
    g_assert_false(pass_pool_validate_name(bad[i].text, &error));
    g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
    g_assert_cmpstr(error->message, ==, bad[i].expected);
  }
}

static void
test_values(void)
{
  g_autoptr(GError) error = NULL;
  PassPoolKind kind = PASS_POOL_KIND_PCI;
  guint16 id = 0;
  int node = -1;

  g_assert_true(pass_pool_parse_id("0x8086", "vendor", &id, &error));
  g_assert_cmphex(id, ==, 0x8086);
  g_assert_true(pass_pool_parse_id("10CA", "product", &id, &error));
  g_assert_cmphex(id, ==, 0x10ca);
  g_assert_true(pass_pool_parse_id("0X1", "product", &id, &error));
  g_assert_cmphex(id, ==, 1);
  g_assert_no_error(error);
  for (const char *const *bad =
           (const char *const[]){"", "0x", "0x10000", "80 86", "-1", "g", "0x80866", NULL};
       *bad; bad++) {
    g_autofree char *expected = g_strdup_printf(
        "'%s' is not a PCI vendor id (expected up to 4 hex digits, such as 0x8086)", *bad);

    g_assert_false(pass_pool_parse_id(*bad, "vendor", &id, &error));
    g_assert_cmpstr(error->message, ==, expected);
    g_clear_error(&error);
  }

  g_assert_true(pass_pool_parse_numa_node("0", &node, &error));
  g_assert_cmpint(node, ==, 0);
  g_assert_true(pass_pool_parse_numa_node("1023", &node, &error));
  g_assert_cmpint(node, ==, 1023);
  g_assert_no_error(error);
  for (const char *const *bad =
           (const char *const[]){"1024", "-1", "", "1x", " 1", "99999999999999999999", NULL};
       *bad; bad++) {
    g_autofree char *expected = g_strdup_printf("'%s' is not a NUMA node (0 to 1023)", *bad);

    g_assert_false(pass_pool_parse_numa_node(*bad, &node, &error));
    g_assert_cmpstr(error->message, ==, expected);
    g_clear_error(&error);
  }
  g_assert_cmpint(node, ==, 1023);

  g_assert_true(pass_pool_parse_kind("net", &kind, &error));
  g_assert_cmpint(kind, ==, PASS_POOL_KIND_NET);
  g_assert_true(pass_pool_parse_kind("pci", &kind, &error));
  g_assert_cmpint(kind, ==, PASS_POOL_KIND_PCI);
  g_assert_false(pass_pool_parse_kind("PCI", &kind, &error));
  g_assert_cmpstr(error->message, ==, "'PCI' is not a pool kind (pci or net)");
  g_clear_error(&error);

  g_assert_true(pass_pool_validate_driver("vfio-pci", &error));
  g_assert_no_error(error);
  g_assert_false(pass_pool_validate_driver("", &error));
  g_assert_cmpstr(error->message, ==, "a driver name may not be empty");
  g_clear_error(&error);
  g_assert_false(pass_pool_validate_driver("vfio pci", &error));
  g_assert_cmpstr(error->message, ==,
                  "'vfio pci' is not a driver name: it may not hold white space, control or "
                  "non-ASCII characters");
  g_clear_error(&error);
  g_assert_false(pass_pool_validate_driver("../nvme", &error));
  g_assert_cmpstr(error->message, ==, "'../nvme' is not a driver name: '/' may not appear in one");
  g_clear_error(&error);
}

/* DefinePool's check of a whole definition. */
static void
test_validate(void)
{
  g_autoptr(PassPool) empty = pass_pool_new("empty");
  g_autoptr(PassPool) badname = pass_pool_new("-x");
  g_autoptr(PassPool) numa = pass_pool_new("numa");
  g_autoptr(GError) error = NULL;

  g_assert_false(pass_pool_validate(empty, &error));
  g_assert_error(error, PASS_ERROR, PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpstr(error->message, ==,
                  "pool 'empty' has no selector (give at least one of vendor, product, driver, "
                  "PF, NUMA node)");
  g_clear_error(&error);
  badname->vendor_id = 0x8086;
  g_assert_false(pass_pool_validate(badname, &error));
  g_assert_cmpstr(error->message, ==, "'-x' is not a pool name: it may not start with '-'");
  g_clear_error(&error);
  numa->numa_node = 0;
  g_assert_true(pass_pool_validate(numa, &error));
  g_assert_no_error(error);
}

/* ---- files ---- */

/* "NAME kind vendor product driver pfs numa origin", '-' for what is unset. */
static char *
describe(const PassPool *pool)
{
  g_autoptr(GString) pfs = g_string_new(NULL);
  g_autofree char *origin = pass_pool_describe_origin(pool);
  g_autofree char *vendor = NULL, *product = NULL, *numa = NULL;

  for (guint i = 0; i < pool->pfs->len; i++) {
    g_autofree char *one = pass_pool_pf_to_string(g_ptr_array_index(pool->pfs, i));

    g_string_append_printf(pfs, "%s%s", i ? ";" : "", one);
  }
  vendor = pool->vendor_id >= 0 ? g_strdup_printf("%04x", pool->vendor_id) : g_strdup("-");
  product = pool->product_id >= 0 ? g_strdup_printf("%04x", pool->product_id) : g_strdup("-");
  numa = pool->numa_node >= 0 ? g_strdup_printf("%d", pool->numa_node) : g_strdup("-");
  return g_strdup_printf(
      "%s %s %s %s %s %s %s %s", pool->name, pass_pool_kind_to_string(pool->kind), vendor, product,
      pool->driver ? pool->driver : "-", pfs->len ? pfs->str : "-", numa, origin);
}

static GPtrArray *
new_errors(void)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify)g_error_free);
}

static void
assert_pools(GPtrArray *pools, const char *const *expected)
{
  for (guint i = 0; i < pools->len || expected[i]; i++) {
    g_autofree char *got = i < pools->len ? describe(g_ptr_array_index(pools, i)) : NULL;

    g_assert_cmpstr(got, ==, expected[i]);
  }
}

static void
assert_errors(GPtrArray *errors, const char *const *expected)
{
  for (guint i = 0; i < errors->len || expected[i]; i++) {
    const GError *error = i < errors->len ? g_ptr_array_index(errors, i) : NULL;

    g_assert_cmpstr(error ? error->message : NULL, ==, expected[i]);
    g_assert_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE);
  }
}

#define PATH "/t/pools.d/10-nics.conf"

/* Every bad pool is named with file, line and key and left out; the good ones stay, before,
 * between and after them. */
static void
test_parse(void)
{
  static const char text[] = "# nics\n"                             /* 1 */
                             "[Pool a]\n"                           /* 2 */
                             "Kind=net\n"                           /* 3 */
                             "Vendor=0x8086\n"                      /* 4 */
                             "Product = 10ed \n"                    /* 5 */
                             "Driver=ixgbevf\n"                     /* 6 */
                             "PF=0000:3b:00.0#0-3,6; enp59s0f1 ;\n" /* 7 */
                             "NUMA=0\n"                             /* 8 */
                             "\n"                                   /* 9 */
                             "[Pool b]\n"                           /* 10 */
                             "Vendor=intel\n"                       /* 11 */
                             "[Pool c]\n"                           /* 12 */
                             "Vendor=0x8086\n"                      /* 13 */
                             "Numa=0\n"                             /* 14 */
                             "[Pool d]\n"                           /* 15 */
                             "Kind=pci\n"                           /* 16 */
                             "[Pool e]\n"                           /* 17 */
                             "NUMA=0\n"                             /* 18 */
                             "NUMA=1\n"                             /* 19 */
                             "[Pool f]\n"                           /* 20 */
                             "Vendor 0x8086\n"                      /* 21 */
                             "[Other]\n"                            /* 22 */
                             "Vendor=0x8086\n"                      /* 23 */
                             "[Pool .x]\n"                          /* 24 */
                             "NUMA=0\n"                             /* 25 */
                             "[Pool a]\n"                           /* 26 */
                             "NUMA=1\n"                             /* 27 */
                             "[Pool g]\n"                           /* 28 */
                             "PF=eth0#2;eth0#3\n"                   /* 29 */
                             "[Pool h]\n"                           /* 30 */
                             "PF=3b:00.0#9-8\n"                     /* 31 */
                             "[Pool i]\n"                           /* 32 */
                             "Kind=usb\n"                           /* 33 */
                             "[Pool j]\n"                           /* 34 */
                             "PF=;\n"                               /* 35 */
                             "[Pool k\n"                            /* 36 */
                             "NUMA=0\n"                             /* 37 */
                             "[Pool l]\n"                           /* 38 */
                             "Driver=\n"                            /* 39 */
                             "[Pool m]\n"                           /* 40 */
                             "NUMA=1\n"                             /* 41 */
                             "Vendor[de]=0x8086\n"                  /* 42 */
                             "[Pool z]\n"                           /* 43 */
                             "Driver=nvme\n";                       /* 44 */
  static const char *const pools[] = {
      "a net 8086 10ed ixgbevf 0000:3b:00.0#0-3,6;enp59s0f1 0 " PATH ":2",
      "z pci - - nvme - - " PATH ":43",
      NULL,
  };
  static const char *const errors[] = {
      PATH ":11: Vendor: 'intel' is not a PCI vendor id (expected up to 4 hex digits, such as "
           "0x8086)",
      PATH ":14: Numa: unknown key (the keys are Kind, Vendor, Product, Driver, PF and NUMA)",
      PATH ":15: [Pool d]: no selector (set at least one of Vendor, Product, Driver, PF and "
           "NUMA)",
      PATH ":19: NUMA: set again (first on line 18)",
      PATH ":21: 'Vendor 0x8086' is not a key=value line, a [group] or a comment",
      PATH ":22: [Other]: unknown group (expected [Pool NAME])",
      PATH ":24: [Pool .x]: '.x' is not a pool name: it may not start with '.'",
      PATH ":26: [Pool a]: already defined at " PATH ":2",
      PATH ":29: PF: 'eth0#2' and 'eth0#3' select the same PF eth0 (give its VF indices in one)",
      PATH ":31: PF: '3b:00.0#9-8': VF index range '9-8' is reversed (did you mean 8-9?)",
      PATH ":33: Kind: 'usb' is not a pool kind (pci or net)",
      PATH ":35: PF: no PF selector (leave PF out for the VFs of any PF)",
      PATH ":36: [Pool k: not a group header",
      PATH ":39: Driver: a driver name may not be empty",
      PATH ":42: Vendor[de]: unknown key (the keys are Kind, Vendor, Product, Driver, PF and "
           "NUMA)",
      NULL,
  };
  g_autoptr(GPtrArray) errs = new_errors();
  g_autoptr(GPtrArray) got = pass_pools_parse(PATH, text, PASS_POOL_ORIGIN_FILE, errs);
  const PassPool *a = g_ptr_array_index(got, 0);

  assert_pools(got, pools);
  assert_errors(errs, errors);
  g_assert_cmpint(a->origin, ==, PASS_POOL_ORIGIN_FILE);
  g_assert_cmpstr(a->file, ==, PATH);
  g_assert_cmpuint(a->line, ==, 2);
}

/* The lines before the first group, and a file with nothing in it. */
static void
test_parse_preamble(void)
{
  static const char *const none[] = {NULL};
  static const char *const one[] = {"p pci - - - - 1 " PATH ":4", NULL};
  static const char *const one3[] = {"p pci - - - - 1 " PATH ":3", NULL};
  static const char *const before[] = {PATH ":2: NUMA: before the first [Pool NAME] group", NULL};
  static const char *const garbage[] = {
      PATH ":1: 'garbage' is not a key=value line, a [group] or a comment", NULL};
  static const char *const binary[] = {
      PATH ":1: '\\377\\376' is not a key=value line, a [group] or a comment",
      PATH ":3: '=0': no key before the '='", NULL};
  g_autoptr(GPtrArray) errs4 = new_errors();
  g_autoptr(GPtrArray) stray = pass_pools_parse(PATH, "\xff\xfe\n[Pool p]\n=0\n[Pool q]\nNUMA=1\n",
                                                PASS_POOL_ORIGIN_FILE, errs4);
  static const char *const q[] = {"q pci - - - - 1 " PATH ":4", NULL};
  g_autoptr(GPtrArray) errs1 = new_errors(), errs2 = new_errors(), errs3 = new_errors();
  g_autoptr(GPtrArray) empty =
      pass_pools_parse(PATH, "# nothing\n\n", PASS_POOL_ORIGIN_FILE, errs1);
  g_autoptr(GPtrArray) keyed =
      pass_pools_parse(PATH, "\nNUMA=0\nNUMA=1\n[Pool p]\nNUMA=1\n", PASS_POOL_ORIGIN_FILE, errs2);
  g_autoptr(GPtrArray) junk =
      pass_pools_parse(PATH, "garbage\nNUMA=0\n[Pool p]\nNUMA=1\n", PASS_POOL_ORIGIN_FILE, errs3);

  assert_pools(empty, none);
  assert_errors(errs1, none);
  assert_pools(keyed, one);
  assert_errors(errs2, before);
  assert_pools(junk, one3);
  assert_errors(errs3, garbage);
  assert_pools(stray, q);
  assert_errors(errs4, binary);
}

static char *
make_dir(void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("passd-pools-XXXXXX", &error);

  g_assert_no_error(error);
  return dir;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true(g_file_set_contents(path, text, -1, &error));
  g_assert_no_error(error);
}

static void
remove_dir(const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name(handle))) {
    g_autofree char *path = g_build_filename(dir, name, NULL);

    g_assert_cmpint(g_file_test(path, G_FILE_TEST_IS_DIR) ? g_rmdir(path) : g_unlink(path), ==, 0);
  }
  g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* Sorted by name, .conf files only, hidden ones aside; a name defined again in a later file is
 * reported with both places and the first one kept; a file that cannot be read is an error and
 * the rest still loads. */
static void
test_directory(void)
{
  g_autofree char *dir = make_dir();
  g_autofree char *missing = g_build_filename(dir, "missing", NULL);
  g_autofree char *unreadable = g_build_filename(dir, "15-dir.conf", NULL);
  g_autoptr(GPtrArray) errs = new_errors(), none_errs = new_errors();
  g_autoptr(GPtrArray) pools = NULL, none = NULL;
  g_autofree char *a = NULL, *b = NULL, *first = NULL, *second = NULL, *third = NULL;
  g_autofree char *dup = NULL, *dup2 = NULL;
  const GError *error;

  write_file(dir, "20-b.conf", "# b\n[Pool x]\nNUMA=1\n[Pool z]\nNUMA=0\n[Pool y]\nNUMA=0\n");
  write_file(dir, "10-a.conf", "[Pool x]\nNUMA=0\n\n[Pool y]\nVendor=0x8086\n");
  write_file(dir, ".hidden.conf", "[Pool hidden]\nNUMA=0\n");
  write_file(dir, "notes.txt", "[Pool notes]\nNUMA=0\n");
  write_file(dir, "30-c.conf.bak", "[Pool bak]\nNUMA=0\n");
  g_assert_cmpint(g_mkdir(unreadable, 0700), ==, 0);

  none = pass_pools_load_directory(missing, none_errs);
  g_assert_cmpuint(none->len, ==, 0);
  g_assert_cmpuint(none_errs->len, ==, 0);

  pools = pass_pools_load_directory(dir, errs);
  a = g_build_filename(dir, "10-a.conf", NULL);
  b = g_build_filename(dir, "20-b.conf", NULL);
  first = g_strdup_printf("x pci - - - - 0 %s:1", a);
  second = g_strdup_printf("y pci 8086 - - - - %s:4", a);
  third = g_strdup_printf("z pci - - - - 0 %s:4", b);
  assert_pools(pools, (const char *const[]){first, second, third, NULL});
  g_assert_cmpuint(errs->len, ==, 3);
  /* Reading a directory as a file: the error the OS gives, naming the path. */
  error = g_ptr_array_index(errs, 0);
  g_assert_true(error->domain == G_FILE_ERROR);
  g_assert_nonnull(strstr(error->message, unreadable));
  dup = g_strdup_printf("%s:2: [Pool x]: already defined at %s:1", b, a);
  dup2 = g_strdup_printf("%s:6: [Pool y]: already defined at %s:4", b, a);
  error = g_ptr_array_index(errs, 1);
  g_assert_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE);
  g_assert_cmpstr(error->message, ==, dup);
  error = g_ptr_array_index(errs, 2);
  g_assert_cmpstr(error->message, ==, dup2);
  remove_dir(dir);
}

/* The run-time pools next to the files': a clash names both places, or says "run time". */
static void
test_merge(void)
{
  g_autoptr(GPtrArray) errs = new_errors(), into = NULL, more = NULL;
  g_autoptr(PassPool) fresh = pass_pool_new("fresh");
  static const char *const merged[] = {
      "x pci - - - - 0 /etc/passd/pools.d/a.conf:1",
      "w pci - - - - 2 defined at run time",
      NULL,
  };

  into = pass_pools_parse("/etc/passd/pools.d/a.conf", "[Pool x]\nNUMA=0\n", PASS_POOL_ORIGIN_FILE,
                          errs);
  more = pass_pools_parse("/var/lib/passd/pools.conf", "[Pool x]\nNUMA=1\n[Pool w]\nNUMA=2\n",
                          PASS_POOL_ORIGIN_RUN_TIME, errs);
  pass_pools_merge(into, more, errs);
  assert_pools(into, merged);
  g_assert_cmpuint(errs->len, ==, 1);
  g_assert_cmpstr(((GError *)g_ptr_array_index(errs, 0))->message, ==,
                  "/var/lib/passd/pools.conf:1: [Pool x]: already defined at "
                  "/etc/passd/pools.d/a.conf:1");
  g_ptr_array_set_size(errs, 0);

  /* A pool from no file (DefinePool's, before it is saved) against one that is. */
  fresh->numa_node = 3;
  g_ptr_array_set_size(more, 0);
  g_ptr_array_add(more, pass_pool_ref(fresh));
  g_ptr_array_add(more, pass_pool_ref(fresh));
  pass_pools_merge(into, more, errs);
  g_assert_cmpuint(into->len, ==, 3);
  g_assert_cmpstr(((GError *)g_ptr_array_index(errs, 0))->message, ==,
                  "[Pool fresh]: already defined at run time");
}

static PassPool *
build_pool(const char *name, PassPoolKind kind, int vendor, int product, const char *driver,
           const char *const *pfs, int numa)
{
  PassPool *pool = pass_pool_new(name);

  pool->kind = kind;
  pool->vendor_id = vendor;
  pool->product_id = product;
  pool->driver = g_strdup(driver);
  pool->numa_node = numa;
  for (; pfs && *pfs; pfs++) {
    g_autoptr(GError) error = NULL;

    g_assert_true(pass_pool_add_pf(pool, pass_pool_parse_pf_selector(*pfs, &error), &error));
    g_assert_no_error(error);
  }
  return pool;
}

/* Saved and read back: equal pools, the same text again, nothing left behind. */
static void
test_save(void)
{
  g_autofree char *dir = make_dir();
  g_autofree char *path = g_build_filename(dir, "pools.conf", NULL);
  g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
  g_autofree char *nowhere = g_build_filename(dir, "no", "pools.conf", NULL);
  g_autoptr(GPtrArray) pools = g_ptr_array_new_with_free_func((GDestroyNotify)pass_pool_unref);
  g_autoptr(GPtrArray) errs = new_errors();
  g_autoptr(GPtrArray) read = NULL, empty = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL, *again = NULL, *expected_error = NULL;

  g_ptr_array_add(pools, build_pool("nics", PASS_POOL_KIND_NET, 0x8086, 0x10ed, "ixgbevf",
                                    (const char *const[]){"3b:00.0#6,0-3", "enp59s0f1", NULL}, 0));
  g_ptr_array_add(pools, build_pool("all-nvme", PASS_POOL_KIND_PCI, 0x1b36, -1, NULL, NULL, -1));
  g_ptr_array_add(
      pools, build_pool("odd.name_1", PASS_POOL_KIND_PCI, 0, 0xffff, "vfio-pci",
                        (const char *const[]){"we\\ird#4095", "pci_0001_00_1f_7#0", NULL}, 1023));

  g_assert_true(pass_pools_save(path, pools, &error));
  g_assert_no_error(error);
  g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
  g_assert_true(g_file_get_contents(path, &text, NULL, &error));
  g_assert_cmpstr(text, ==,
                  "# Pools defined at run time (passctl pool define), written by passd.\n"
                  "\n"
                  "[Pool nics]\n"
                  "Kind=net\n"
                  "Vendor=0x8086\n"
                  "Product=0x10ed\n"
                  "Driver=ixgbevf\n"
                  "PF=0000:3b:00.0#0-3,6;enp59s0f1\n"
                  "NUMA=0\n"
                  "\n"
                  "[Pool all-nvme]\n"
                  "Kind=pci\n"
                  "Vendor=0x1b36\n"
                  "\n"
                  "[Pool odd.name_1]\n"
                  "Kind=pci\n"
                  "Vendor=0x0000\n"
                  "Product=0xffff\n"
                  "Driver=vfio-pci\n"
                  "PF=we\\\\ird#4095;0001:00:1f.7#0\n"
                  "NUMA=1023\n");

  read = pass_pools_load_file(path, PASS_POOL_ORIGIN_RUN_TIME, errs);
  g_assert_cmpuint(errs->len, ==, 0);
  g_assert_cmpuint(read->len, ==, pools->len);
  for (guint i = 0; i < pools->len; i++) {
    const PassPool *got = g_ptr_array_index(read, i);

    g_assert_true(pass_pool_equal(got, g_ptr_array_index(pools, i)));
    g_assert_cmpint(got->origin, ==, PASS_POOL_ORIGIN_RUN_TIME);
    g_assert_cmpstr(got->file, ==, path);
  }
  g_assert_cmpstr(((PassPoolPf *)((PassPool *)g_ptr_array_index(read, 2))->pfs->pdata[0])->netdev,
                  ==, "we\\ird");
  again = pass_pools_to_text(read);
  g_assert_cmpstr(again, ==, text);
  g_assert_false(pass_pool_equal(g_ptr_array_index(read, 0), g_ptr_array_index(read, 1)));

  /* Saving again replaces the file; no pools is a file without groups, read back as none. */
  g_ptr_array_set_size(pools, 0);
  g_assert_true(pass_pools_save(path, pools, &error));
  empty = pass_pools_load_file(path, PASS_POOL_ORIGIN_RUN_TIME, errs);
  g_assert_cmpuint(empty->len, ==, 0);
  g_assert_cmpuint(errs->len, ==, 0);

  /* A directory that is not there: an error naming the file, nothing written. */
  g_assert_false(pass_pools_save(nowhere, pools, &error));
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  expected_error = g_strdup_printf("cannot create %s.tmp: No such file or directory", nowhere);
  g_assert_cmpstr(error->message, ==, expected_error);
  g_clear_error(&error);

  /* A missing state file: no pools, no error. */
  g_assert_cmpint(g_unlink(path), ==, 0);
  g_clear_pointer(&empty, g_ptr_array_unref);
  empty = pass_pools_load_file(path, PASS_POOL_ORIGIN_RUN_TIME, errs);
  g_assert_cmpuint(empty->len, ==, 0);
  g_assert_cmpuint(errs->len, ==, 0);
  remove_dir(dir);
}

/* The installed example parses as it is, every pool in it good. */
static void
test_example(void)
{
  static const char *const expected[] = {
      "nic-vfs net 8086 10ed - 0000:3b:00.0;enp59s0f1#0-3,6 - " PASS_TEST_POOLS_EXAMPLE ":19",
      "nvme-node1 pci 1b36 0010 - - 1 " PASS_TEST_POOLS_EXAMPLE ":31",
      NULL,
  };
  static const char *const uncommented_expected[] = {
      "nic-vfs net 8086 10ed - 0000:3b:00.0;enp59s0f1#0-3,6 - example:19",
      "nvme-node1 pci 1b36 0010 nvme - 1 example:31",
      NULL,
  };
  g_autoptr(GPtrArray) errs = new_errors();
  g_autoptr(GPtrArray) pools =
      pass_pools_load_file(PASS_TEST_POOLS_EXAMPLE, PASS_POOL_ORIGIN_FILE, errs);
  g_autoptr(GPtrArray) uncommented_pools = NULL;
  g_autoptr(GString) uncommented = g_string_new(NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  assert_errors(errs, (const char *const[]){NULL});
  assert_pools(pools, expected);

  /* The keys shown commented out are good too. */
  g_assert_true(g_file_get_contents(PASS_TEST_POOLS_EXAMPLE, &text, NULL, &error));
  lines = g_strsplit(text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    g_string_append_printf(uncommented, "%s\n",
                           lines[i][0] == '#' && g_ascii_isupper(lines[i][1]) ? lines[i] + 1
                                                                              : lines[i]);
  uncommented_pools = pass_pools_parse("example", uncommented->str, PASS_POOL_ORIGIN_FILE, errs);
  assert_errors(errs, (const char *const[]){NULL});
  assert_pools(uncommented_pools, uncommented_expected);
}

/* ---- matching ---- */

static PassDevice *
make_vf(const char *address, const char *physfn, guint16 vendor, guint16 product,
        const char *driver, int numa)
{
  PassDevice *vf = pass_device_new();

  vf->address = g_strdup(address);
  vf->physfn = g_strdup(physfn);
  vf->vendor_id = vendor;
  vf->product_id = product;
  vf->driver = g_strdup(driver);
  vf->numa_node = numa;
  return vf;
}

typedef struct {
  PassPool *pool;
  int vf_index;
  const char *const *netdevs;
  const char *why; /* NULL: it matches */
} MatchCase;

static void
test_match(void)
{
  g_autoptr(PassDevice) vf = make_vf("0000:3b:10.2", "0000:3b:00.0", 0x8086, 0x10ed, "ixgbevf", 0);
  g_autoptr(PassDevice) unbound = make_vf("0000:3b:10.4", "0000:3b:00.0", 0x8086, 0x10ed, NULL, -1);
  g_autoptr(PassDevice) pf = make_vf("0000:3b:00.0", NULL, 0x8086, 0x10fb, "ixgbe", 0);
  static const char *const netdevs[] = {"enp59s0f0", "eth9", NULL};
  MatchCase cases[] = {
      {build_pool("vendor", 0, 0x8086, -1, NULL, NULL, -1), 1, NULL, NULL},
      {build_pool("vendor-no", 0, 0x1af4, -1, NULL, NULL, -1), 1, NULL,
       "vendor 0x8086, not 0x1af4"},
      {build_pool("product", 0, 0x8086, 0x10ed, NULL, NULL, -1), 1, NULL, NULL},
      {build_pool("product-no", 0, 0x8086, 0x10ca, NULL, NULL, -1), 1, NULL,
       "product 0x10ed, not 0x10ca"},
      {build_pool("driver", 0, -1, -1, "ixgbevf", NULL, -1), 1, NULL, NULL},
      {build_pool("driver-no", 0, -1, -1, "vfio-pci", NULL, -1), 1, NULL,
       "driver ixgbevf, not vfio-pci"},
      {build_pool("address", 0, -1, -1, NULL, (const char *const[]){"3b:00.0", NULL}, -1), 1, NULL,
       NULL},
      {build_pool("address-no", 0, -1, -1, NULL, (const char *const[]){"3b:00.1", "eth0#1", NULL},
                  -1),
       1, netdevs, "PF 0000:3b:00.0 is none of 0000:3b:00.1, eth0#1"},
      {build_pool("netdev", 0, -1, -1, NULL, (const char *const[]){"eth9", NULL}, -1), 1, netdevs,
       NULL},
      /* Without the PF's netdev names a netdev selector cannot take it. */
      {build_pool("netdev-unknown", 0, -1, -1, NULL, (const char *const[]){"eth9", NULL}, -1), 1,
       NULL, "PF 0000:3b:00.0 is none of eth9"},
      {build_pool("range", 0, -1, -1, NULL, (const char *const[]){"3b:00.0#0-1,6", NULL}, -1), 1,
       NULL, NULL},
      {build_pool("range-no", 0, -1, -1, NULL, (const char *const[]){"3b:00.0#0,2-5", NULL}, -1), 1,
       NULL, "VF 1 of 0000:3b:00.0 is not in 0,2-5"},
      {build_pool("range-unknown", 0, -1, -1, NULL, (const char *const[]){"3b:00.0#1", NULL}, -1),
       -1, NULL, "the index of VF 0000:3b:10.2 of 0000:3b:00.0 is unknown (selector #1)"},
      /* Without ranges the index does not matter. */
      {build_pool("all-of-pf", 0, -1, -1, NULL, (const char *const[]){"3b:00.0", NULL}, -1), -1,
       NULL, NULL},
      /* One PF by two selectors (its address and a netdev): either may take the VF. */
      {build_pool("either", 0, -1, -1, NULL,
                  (const char *const[]){"3b:00.0#5", "enp59s0f0#1", NULL}, -1),
       1, netdevs, NULL},
      {build_pool("numa", 0, -1, -1, NULL, NULL, 0), 1, NULL, NULL},
      {build_pool("numa-no", 0, -1, -1, NULL, NULL, 1), 1, NULL, "NUMA node 0, not 1"},
      /* All must hold: the first that does not is the reason. */
      {build_pool("all", PASS_POOL_KIND_NET, 0x8086, 0x10ed, "ixgbevf",
                  (const char *const[]){"enp59s0f0#1", NULL}, 0),
       1, netdevs, NULL},
      {build_pool("all-but-numa", PASS_POOL_KIND_NET, 0x8086, 0x10ed, "ixgbevf",
                  (const char *const[]){"enp59s0f0#1", NULL}, 1),
       1, netdevs, "NUMA node 0, not 1"},
  };
  g_autoptr(PassPool) driver = build_pool("d", 0, -1, -1, "ixgbevf", NULL, -1);
  g_autoptr(PassPool) numa = build_pool("n", 0, -1, -1, NULL, NULL, 0);
  g_autoptr(PassPool) vendor = build_pool("v", 0, 0x8086, -1, NULL, NULL, -1);
  g_autofree char *why = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *got = NULL;
    gboolean match = pass_pool_match(cases[i].pool, vf, cases[i].vf_index, cases[i].netdevs, &got);

    g_test_message("match: %s", cases[i].pool->name);
    g_assert_cmpint(match, ==, cases[i].why == NULL);
    g_assert_cmpstr(got, ==, cases[i].why);
    /* The reason is optional. */
    g_assert_cmpint(pass_pool_match(cases[i].pool, vf, cases[i].vf_index, cases[i].netdevs, NULL),
                    ==, match);
    pass_pool_unref(cases[i].pool);
  }

  g_assert_false(pass_pool_match(driver, unbound, 2, NULL, &why));
  g_assert_cmpstr(why, ==, "no driver, not ixgbevf");
  g_clear_pointer(&why, g_free);
  g_assert_false(pass_pool_match(numa, unbound, 2, NULL, &why));
  g_assert_cmpstr(why, ==, "NUMA node unknown, not 0");
  g_clear_pointer(&why, g_free);
  /* A PF is never in a pool, whatever it matches. */
  g_assert_false(pass_pool_match(vendor, pf, -1, NULL, &why));
  g_assert_cmpstr(why, ==, "0000:3b:00.0 is not a VF");
}

/* A VF's index: its rank by address among all its PF's VFs, given in any order. */
static void
test_vf_index(void)
{
  /* A dual-port NIC's first PF: VF stride 2, the VFs from 3b:10.0 on, past a slot boundary. */
  static const char *const vfs[] = {"0000:3b:11.0", "0000:3b:10.0", "0000:3b:10.6",
                                    "0000:3b:10.2", "0000:3b:10.4", "0000:3b:11.2"};

  g_assert_cmpint(pass_pool_vf_index("0000:3b:10.0", vfs, G_N_ELEMENTS(vfs)), ==, 0);
  g_assert_cmpint(pass_pool_vf_index("0000:3b:10.2", vfs, G_N_ELEMENTS(vfs)), ==, 1);
  g_assert_cmpint(pass_pool_vf_index("0000:3b:10.6", vfs, G_N_ELEMENTS(vfs)), ==, 3);
  g_assert_cmpint(pass_pool_vf_index("0000:3b:11.0", vfs, G_N_ELEMENTS(vfs)), ==, 4);
  g_assert_cmpint(pass_pool_vf_index("0000:3b:11.2", vfs, G_N_ELEMENTS(vfs)), ==, 5);
  g_assert_cmpint(pass_pool_vf_index("0000:3b:10.1", vfs, G_N_ELEMENTS(vfs)), ==, -1);
  g_assert_cmpint(pass_pool_vf_index("0000:3b:10.0", vfs, 0), ==, -1);
  /* Across a bus: hex digits compare as numbers (0x3c > 0x3b, 0xa0 > 0x9f). */
  g_assert_cmpint(
      pass_pool_vf_index("0000:3c:00.0", (const char *const[]){"0000:3c:00.0", "0000:3b:1f.7"}, 2),
      ==, 1);
  g_assert_cmpint(
      pass_pool_vf_index("0000:a0:00.0", (const char *const[]){"0000:a0:00.0", "0000:9f:00.0"}, 2),
      ==, 1);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pools/selectors", test_selectors);
  g_test_add_func("/pools/selector-fields", test_selector_fields);
  g_test_add_func("/pools/add-pf", test_add_pf);
  g_test_add_func("/pools/names", test_names);
  g_test_add_func("/pools/values", test_values);
  g_test_add_func("/pools/validate", test_validate);
  g_test_add_func("/pools/parse", test_parse);
  g_test_add_func("/pools/parse-preamble", test_parse_preamble);
  g_test_add_func("/pools/directory", test_directory);
  g_test_add_func("/pools/merge", test_merge);
  g_test_add_func("/pools/save", test_save);
  g_test_add_func("/pools/example", test_example);
  g_test_add_func("/pools/match", test_match);
  g_test_add_func("/pools/vf-index", test_vf_index);
  return g_test_run();
}
