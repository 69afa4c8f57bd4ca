/* SetNumVFs and GetSriov against the recording fake ops: the refusals with their exact messages
 * and parameters (a PF that is none, a count above totalvfs, the PF or a VF held by a domain, a
 * VF on vfio-pci and force), the no-op, autoprobe alone, a dry run, the engine having the new
 * VFs when the reply comes, the recorded count (the state file) and its re-apply by a new
 * passd, a recorded PF that vanished, and the journal fields. */
#include <glib/gstdio.h>
#include <string.h>

#include "fake-ops.h"
#include "pass-error.h"
#include "tx.h"

#define PF     "0000:04:00.0" /* igb, 7 VFs at most, 2 now (04:10.0 igbvf, 04:10.1 none) */
#define PF2    "0000:07:00.0" /* nvme, 4 VFs at most, none now, autoprobe off */
#define PLAIN  "0000:02:00.0" /* nvme without SR-IOV */
#define VF0    "0000:04:10.0"
#define VF1    "0000:04:10.1"
#define HELDPF "0000:08:00.0" /* SR-IOV, held by vm2 itself */

typedef struct {
  PassEngine *engine;
  PassTx *tx;
  FakeOps *fake;
  char *state_dir;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->state_dir = g_dir_make_tmp("passd-sriov-XXXXXX", &error);
  g_assert_no_error(error);
  f->engine = pass_engine_new();
  f->tx = pass_tx_new(f->engine);
  f->fake = fake_ops_new();
  fake_ops_add_device(f->fake, PLAIN, 2, NULL, 0x010802, "nvme", "nvme");
  fake_ops_add_device(f->fake, PF, 4, NULL, 0x020000, "igb", "igb");
  fake_ops_set_sriov(f->fake, PF, 7, 1, "igbvf");
  fake_ops_add_device(f->fake, VF0, 5, PF, 0x020000, "igbvf", "igbvf");
  fake_ops_add_device(f->fake, VF1, 6, PF, 0x020000, NULL, "igbvf");
  fake_ops_add_device(f->fake, PF2, 7, NULL, 0x010802, "nvme", "nvme");
  fake_ops_set_sriov(f->fake, PF2, 4, 0, "nvme");
  fake_ops_add_device(f->fake, HELDPF, 8, NULL, 0x020000, "vfio-pci", "igb");
  fake_ops_set_sriov(f->fake, HELDPF, 4, 1, "igbvf");
  fake_ops_add_domain(f->fake, "vm1", TRUE, TRUE);
  fake_ops_add_domain(f->fake, "vm2", FALSE, TRUE);
  fake_ops_add_hostdev(f->fake, "vm2", HELDPF, PASS_HOSTDEV_CONFIG);
  fake_ops_load(f->fake, f->engine);
  g_assert_true(pass_tx_set_state_dir(f->tx, f->state_dir, &error));
  g_assert_no_error(error);
  pass_tx_set_ops(f->tx, fake_ops_get_ops(f->fake));
}

/* Warnings are recorded here rather than fatal; a test takes the ones it expects, and any
 * other fails the test at teardown. */
static GMutex warnings_lock;
static GPtrArray *warnings;
static GPtrArray *records; /* "MESSAGE | PASSD_...=..." of every line with PASSD_OPERATION */

static GLogWriterOutput
warning_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  GString *record = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal(fields[i].key, "PASSD_OPERATION"))
      record = g_string_new(NULL);
  for (gsize i = 0; record && i < n_fields; i++) {
    if (g_str_equal(fields[i].key, "MESSAGE"))
      g_string_prepend(record, fields[i].value);
    else if (g_str_has_prefix(fields[i].key, "PASSD_"))
      g_string_append_printf(record, " %s=%s", fields[i].key, (const char *)fields[i].value);
  }
  if (record) {
    g_mutex_lock(&warnings_lock);
    g_ptr_array_add(records, g_string_free(record, FALSE));
    g_mutex_unlock(&warnings_lock);
  }
  if (level & G_LOG_LEVEL_WARNING) {
    for (gsize i = 0; i < n_fields; i++)
      if (g_str_equal(fields[i].key, "MESSAGE")) {
        g_mutex_lock(&warnings_lock);
        g_ptr_array_add(warnings, g_strdup(fields[i].value));
        g_mutex_unlock(&warnings_lock);
      }
  }
  return g_log_writer_default(level, fields, n_fields, user_data);
}

/* The one recorded warning matching @pattern (a glob), taken. */
static void
take_warning(const char *pattern)
{
  gboolean found = FALSE;

  g_mutex_lock(&warnings_lock);
  for (guint i = 0; i < warnings->len && !found; i++)
    if (g_pattern_match_simple(pattern, g_ptr_array_index(warnings, i))) {
      g_ptr_array_remove_index(warnings, i);
      found = TRUE;
    }
  g_mutex_unlock(&warnings_lock);
  if (!found)
    g_error("no warning like \"%s\"", pattern);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  g_autofree char *file = g_build_filename(f->state_dir, PASS_TX_SRIOV_FILE, NULL);

  g_assert_cmpuint(pass_tx_get_n_operations(f->tx), ==, 0);
  for (guint i = 0; i < warnings->len; i++)
    g_test_message("unexpected warning: %s", (char *)g_ptr_array_index(warnings, i));
  g_assert_cmpuint(warnings->len, ==, 0);
  pass_tx_free(f->tx);
  pass_engine_free(f->engine);
  g_unlink(file);
  g_assert_cmpint(g_rmdir(f->state_dir), ==, 0);
  g_free(f->state_dir);
}

/* ---- running operations ---- */

typedef struct {
  gboolean finished;
  int code; /* -1: success */
  char *message, *address, *parameter;
  GStrv vfs, owners;
  GStrv actions; /* "set_num_vfs 0000:04:00.0 2->3 autoprobe=keep" */
} Outcome;

static void
outcome_clear(Outcome *o)
{
  g_free(o->message);
  g_free(o->address);
  g_free(o->parameter);
  g_strfreev(o->vfs);
  g_strfreev(o->owners);
  g_strfreev(o->actions);
  memset(o, 0, sizeof *o);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Outcome, outcome_clear)

static GStrv
strv_from(GPtrArray *strings)
{
  GStrv out;

  if (!strings)
    return NULL;
  out = g_new0(char *, strings->len + 1);
  for (guint i = 0; i < strings->len; i++)
    out[i] = g_strdup(g_ptr_array_index(strings, i));
  return out;
}

static void
on_done(const PassOpResult *result, gpointer user_data)
{
  Outcome *o = user_data;

  g_assert_false(o->finished);
  o->finished = TRUE;
  o->code = result->error ? result->error->code : -1;
  if (result->error) {
    g_assert_true(result->error->domain == PASS_ERROR);
    o->message = g_strdup(result->error->message);
  }
  o->address = g_strdup(result->address);
  o->parameter = g_strdup(result->parameter);
  o->vfs = strv_from(result->vfs);
  o->owners = strv_from(result->owners);
  if (result->actions) {
    o->actions = g_new0(char *, result->actions->len + 1);
    for (guint i = 0; i < result->actions->len; i++) {
      const PassAction *a = g_ptr_array_index(result->actions, i);

      g_assert_cmpint(a->type, ==, PASS_ACTION_SET_NUM_VFS);
      o->actions[i] = g_strdup_printf("set_num_vfs %s %d->%d autoprobe=%s", a->address,
                                      a->numvfs_from, a->numvfs_to,
                                      a->autoprobe < 0 ? "keep"
                                      : a->autoprobe   ? "on"
                                                       : "off");
    }
  }
}

static void
wait_for(gboolean *finished)
{
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

  while (!*finished) {
    g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    g_main_context_iteration(NULL, TRUE);
  }
}

static void
set_vfs(Fixture *f, const char *pf, guint count, int autoprobe, guint flags, Outcome *o)
{
  pass_tx_set_num_vfs(f->tx, NULL, pf, count, autoprobe, flags, on_done, o);
  wait_for(&o->finished);
}

static char *
state_file(Fixture *f)
{
  g_autofree char *path = g_build_filename(f->state_dir, PASS_TX_SRIOV_FILE, NULL);
  char *contents = NULL;

  if (!g_file_get_contents(path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

static void
assert_strv(GStrv got, const char *const *want)
{
  g_autofree char *a = got ? g_strjoinv(" | ", got) : g_strdup("(null)");
  g_autofree char *b = want ? g_strjoinv(" | ", (char **)want) : g_strdup("(null)");

  g_assert_cmpstr(a, ==, b);
}

/* The engine's VFs of @pf, joined. */
static char *
engine_vfs(Fixture *f, const char *pf)
{
  GPtrArray *vfs = pass_engine_get_vfs(f->engine, pf);
  GString *text = g_string_new(NULL);

  for (guint i = 0; i < vfs->len; i++)
    g_string_append_printf(text, "%s%s", i ? " " : "", (char *)g_ptr_array_index(vfs, i));
  return g_string_free(text, FALSE);
}

/* ---- SetNumVFs ---- */

static void
test_set_count(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) up = {0};
  g_auto(Outcome) down = {0};
  g_autofree char *vfs = NULL, *fewer = NULL, *file = NULL;
  const char *const one[] = {"set_num_vfs " PF2 " 0->3 autoprobe=keep", NULL};
  const char *const two[] = {"set_num_vfs " PF2 " 3->2 autoprobe=keep", NULL};

  set_vfs(f, PF2, 3, -1, 0, &up);
  g_assert_cmpint(up.code, ==, -1);
  assert_strv(up.actions, one);
  /* The reply comes with the engine having them already. */
  vfs = engine_vfs(f, PF2);
  g_assert_cmpstr(vfs, ==, "0000:07:10.0 0000:07:10.1 0000:07:10.2");
  file = state_file(f);
  g_assert_nonnull(strstr(file, "[" PF2 "]\nNumVFs=3\nAutoprobe=false\n"));

  set_vfs(f, PF2, 2, -1, 0, &down);
  g_assert_cmpint(down.code, ==, -1);
  assert_strv(down.actions, two);
  fewer = engine_vfs(f, PF2);
  g_assert_cmpstr(fewer, ==, "0000:07:10.0 0000:07:10.1");
  g_assert_null(pass_engine_lookup_device(f->engine, "0000:07:10.2"));
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "set_num_vfs " PF2 " "), ==, 2);
}

static void
test_no_change(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) same = {0};
  g_auto(Outcome) probe = {0};
  g_autofree char *file = NULL, *vfs = NULL;
  const char *const none[] = {NULL};
  const char *const off[] = {"set_num_vfs " PF " 2->2 autoprobe=off", NULL};

  /* Same count, same autoprobe: no step, but the count is recorded. */
  set_vfs(f, PF, 2, 1, 0, &same);
  g_assert_cmpint(same.code, ==, -1);
  assert_strv(same.actions, none);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "set_num_vfs"), ==, 0);
  file = state_file(f);
  g_assert_nonnull(strstr(file, "[" PF "]\nNumVFs=2\nAutoprobe=true\n"));

  /* Autoprobe alone leaves the VFs alone, even one on vfio-pci. */
  fake_ops_set_driver(f->fake, VF1, "vfio-pci");
  fake_ops_load(f->fake, f->engine);
  set_vfs(f, PF, 2, 0, 0, &probe);
  g_assert_cmpint(probe.code, ==, -1);
  assert_strv(probe.actions, off);
  vfs = engine_vfs(f, PF);
  g_assert_cmpstr(vfs, ==, VF0 " " VF1);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "set_num_vfs " PF " 2 autoprobe=0"), ==, 1);
}

static void
test_refusals(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) plain = {0};
  g_auto(Outcome) vf = {0};
  g_auto(Outcome) none = {0};
  g_auto(Outcome) many = {0};
  g_auto(Outcome) held = {0};
  const char *const vm2[] = {"vm2", NULL};

  set_vfs(f, PLAIN, 1, -1, 0, &plain);
  g_assert_cmpint(plain.code, ==, PASS_ERROR_SRIOV_NOT_SUPPORTED);
  g_assert_cmpstr(plain.message, ==,
                  PLAIN " is not an SR-IOV physical function (libvirt reports no SR-IOV "
                        "capability for it)");
  g_assert_cmpstr(plain.address, ==, PLAIN);

  set_vfs(f, VF0, 1, -1, 0, &vf);
  g_assert_cmpint(vf.code, ==, PASS_ERROR_SRIOV_NOT_SUPPORTED);
  g_assert_cmpstr(vf.message, ==, VF0 " is a VF of " PF "; only a physical function has VFs");

  set_vfs(f, "0000:99:00.0", 1, -1, 0, &none);
  g_assert_cmpint(none.code, ==, PASS_ERROR_NO_SUCH_DEVICE);

  set_vfs(f, PF, 8, -1, PASS_OP_FORCE, &many);
  g_assert_cmpint(many.code, ==, PASS_ERROR_INVALID_PARAMETER);
  g_assert_cmpstr(many.parameter, ==, "count");
  g_assert_cmpstr(many.message, ==, PF " supports at most 7 VFs (sriov_totalvfs), not 8");

  set_vfs(f, HELDPF, 1, -1, PASS_OP_FORCE, &held);
  g_assert_cmpint(held.code, ==, PASS_ERROR_DEVICE_IN_USE);
  g_assert_cmpstr(held.message, ==,
                  HELDPF " is assigned to vm2; its VFs cannot change while a domain holds it");
  assert_strv(held.owners, vm2);

  g_assert_cmpuint(fake_ops_count_calls(f->fake, "set_num_vfs"), ==, 0);
  g_assert_null(state_file(f));
}

/* A VF a domain holds is never destroyed, force or not; one on vfio-pci only with force. */
static void
test_vfs_in_use(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) owned = {0};
  g_auto(Outcome) forced_owned = {0};
  g_auto(Outcome) bound = {0};
  g_auto(Outcome) forced = {0};
  g_autofree char *vfs = NULL, *after = NULL;
  const char *const both[] = {VF0 ": assigned to vm2", VF1 ": bound to vfio-pci", NULL};
  const char *const just_bound[] = {VF1 ": bound to vfio-pci", NULL};
  const char *const step[] = {"set_num_vfs " PF " 2->3 autoprobe=keep", NULL};

  fake_ops_add_hostdev(f->fake, "vm2", VF0, PASS_HOSTDEV_CONFIG);
  fake_ops_set_driver(f->fake, VF1, "vfio-pci");
  fake_ops_load(f->fake, f->engine);

  set_vfs(f, PF, 3, -1, 0, &owned);
  g_assert_cmpint(owned.code, ==, PASS_ERROR_VFS_IN_USE);
  g_assert_cmpstr(owned.address, ==, PF);
  assert_strv(owned.vfs, both);
  g_assert_cmpstr(owned.message, ==,
                  "Changing the VF count of " PF " from 2 to 3 destroys every VF, and these are "
                  "in use: " VF0 ": assigned to vm2; " VF1 ": bound to vfio-pci (passd never "
                  "destroys a VF a domain holds: detach it first)");
  set_vfs(f, PF, 0, -1, PASS_OP_FORCE, &forced_owned);
  g_assert_cmpint(forced_owned.code, ==, PASS_ERROR_VFS_IN_USE);
  vfs = engine_vfs(f, PF);
  g_assert_cmpstr(vfs, ==, VF0 " " VF1);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "set_num_vfs"), ==, 0);

  /* The domain goes: the vfio-pci one is left. */
  pass_engine_domain_removed(f->engine, "vm2");
  set_vfs(f, PF, 3, -1, 0, &bound);
  g_assert_cmpint(bound.code, ==, PASS_ERROR_VFS_IN_USE);
  assert_strv(bound.vfs, just_bound);
  g_assert_cmpstr(bound.message, ==,
                  "Changing the VF count of " PF " from 2 to 3 destroys every VF, and these are "
                  "in use: " VF1 ": bound to vfio-pci (force destroys VFs that are merely bound "
                  "to vfio-pci)");
  set_vfs(f, PF, 3, -1, PASS_OP_FORCE, &forced);
  g_assert_cmpint(forced.code, ==, -1);
  assert_strv(forced.actions, step);
  after = engine_vfs(f, PF);
  g_assert_cmpstr(after, ==, VF0 " " VF1 " 0000:04:10.2");
}

static void
test_dry_run(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_autofree char *vfs = NULL;
  const char *const step[] = {"set_num_vfs " PF2 " 0->4 autoprobe=on", NULL};

  set_vfs(f, PF2, 4, 1, PASS_OP_DRY_RUN, &o);
  g_assert_cmpint(o.code, ==, -1);
  assert_strv(o.actions, step);
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "set_num_vfs"), ==, 0);
  vfs = engine_vfs(f, PF2);
  g_assert_cmpstr(vfs, ==, "");
  g_assert_null(state_file(f));
}

/* The kernel refuses: the error as it came, nothing recorded. */
static void
test_kernel_refuses(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};

  fake_ops_fail_call(f->fake, "set_num_vfs " PF2);
  set_vfs(f, PF2, 2, -1, 0, &o);
  g_assert_cmpint(o.code, ==, PASS_ERROR_HYPERVISOR_ERROR);
  g_assert_cmpstr(o.message, ==, "fake: set_num_vfs " PF2 " 2 autoprobe=keep failed");
  g_assert_null(state_file(f));
}

/* The start and the end in the journal, naming the PF and every VF destroyed, and who asked. */
static void
test_journal(Fixture *f, gconstpointer data)
{
  g_autoptr(PassRequest) request = pass_request_new("SetNumVFs", 1000, 1000, 77, NULL);
  g_autofree char *who = pass_request_describe(request);
  g_autofree char *fields =
      g_strdup_printf(" PASSD_OPERATION=set_num_vfs PASSD_DEVICE=" PF " PASSD_DEVICE=" VF0
                      " PASSD_DEVICE=" VF1 " PASSD_REQUEST=%" G_GUINT64_FORMAT " PASSD_UID=1000",
                      request->id);
  g_autofree char *start = NULL, *end = NULL;
  g_auto(Outcome) o = {0};

  g_ptr_array_set_size(records, 0);
  pass_tx_set_num_vfs(f->tx, request, PF, 3, -1, 0, on_done, &o);
  wait_for(&o.finished);
  g_assert_cmpint(o.code, ==, -1);
  start = g_strdup_printf("set_num_vfs " PF ": 2 -> 3 VFs, for %s%s", who, fields);
  end = g_strconcat("set_num_vfs " PF ": done, 3 VFs", fields, NULL);
  g_assert_cmpuint(records->len, ==, 2);
  g_assert_cmpstr(g_ptr_array_index(records, 0), ==, start);
  g_assert_cmpstr(g_ptr_array_index(records, 1), ==, end);
}

/* ---- GetSriov ---- */

typedef struct {
  gboolean finished;
  int code;
  GPtrArray *lines; /* one per PF and VF */
} Report;

static void
report_clear(Report *r)
{
  g_clear_pointer(&r->lines, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Report, report_clear)

static const char *
bool_text(int value)
{
  return value < 0 ? "?" : value ? "on" : "off";
}

static void
on_report(GPtrArray *pfs, const GError *error, gpointer user_data)
{
  Report *r = user_data;

  r->finished = TRUE;
  r->code = error ? error->code : -1;
  r->lines = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; pfs && i < pfs->len; i++) {
    const PassSriovPf *pf = g_ptr_array_index(pfs, i);

    g_ptr_array_add(r->lines,
                    g_strdup_printf("%s present=%d total=%d num=%d desired=%d autoprobe=%s "
                                    "driver=%s %s%s%s",
                                    pf->address, pf->present, pf->totalvfs, pf->numvfs, pf->desired,
                                    bool_text(pf->autoprobe), pf->driver ? pf->driver : "-",
                                    pass_sriov_state_name(pf->state), pf->message ? ": " : "",
                                    pf->message ? pf->message : ""));
    for (guint j = 0; j < pf->vfs->len; j++) {
      const PassSriovVf *vf = g_ptr_array_index(pf->vfs, j);
      g_autofree char *owners = NULL;

      g_ptr_array_add(vf->owners, NULL);
      owners = g_strjoinv(",", (char **)vf->owners->pdata);
      g_ptr_array_set_size(vf->owners, vf->owners->len - 1);
      g_ptr_array_add(r->lines,
                      g_strdup_printf("  %d %s driver=%s owners=%s", vf->index, vf->address,
                                      vf->driver ? vf->driver : "-", owners));
    }
  }
}

static char *
report(Fixture *f, const char *pf, int *code)
{
  g_auto(Report) r = {0};

  pass_tx_get_sriov(f->tx, pf, on_report, &r);
  wait_for(&r.finished);
  *code = r.code;
  g_ptr_array_add(r.lines, NULL);
  return g_strjoinv("\n", (char **)r.lines->pdata);
}

static void
test_get_sriov(Fixture *f, gconstpointer data)
{
  g_autofree char *all = NULL, *one = NULL, *plain = NULL, *missing = NULL;
  int code;

  fake_ops_add_hostdev(f->fake, "vm1", VF1, PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG);
  fake_ops_load(f->fake, f->engine);
  all = report(f, NULL, &code);
  g_assert_cmpint(code, ==, -1);
  g_assert_cmpstr(all, ==,
                  PF
                  " present=1 total=7 num=2 desired=-1 autoprobe=on driver=igb settled\n"
                  "  0 " VF0 " driver=igbvf owners=\n"
                  "  1 " VF1 " driver=- owners=vm1\n" PF2
                  " present=1 total=4 num=0 desired=-1 autoprobe=off driver=nvme settled\n" HELDPF
                  " present=1 total=4 num=0 desired=-1 autoprobe=on driver=vfio-pci settled");
  one = report(f, PF2, &code);
  g_assert_cmpint(code, ==, -1);
  g_assert_cmpstr(one, ==,
                  PF2 " present=1 total=4 num=0 desired=-1 autoprobe=off driver=nvme settled");
  plain = report(f, PLAIN, &code);
  g_assert_cmpint(code, ==, PASS_ERROR_SRIOV_NOT_SUPPORTED);
  missing = report(f, "0000:99:00.0", &code);
  g_assert_cmpint(code, ==, PASS_ERROR_NO_SUCH_DEVICE);
}

/* ---- the recorded counts ---- */

static gboolean
idle(PassTx *tx)
{
  return pass_tx_get_n_operations(tx) == 0;
}

/* A new passd (a new PassTx over the same state directory) after a reboot that left PF2
 * without VFs sets the recorded count again, and GetSriov says "applying" until it is done; a
 * recorded PF that vanished is reported, not fatal. */
static void
test_reapply(Fixture *f, gconstpointer data)
{
  g_auto(Outcome) o = {0};
  g_autoptr(GError) error = NULL;
  g_autofree char *during = NULL, *after = NULL, *path = NULL;
  g_autoptr(PassEngine) engine = pass_engine_new();
  PassTx *tx;
  int code;
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

  set_vfs(f, PF2, 3, 0, 0, &o);
  g_assert_cmpint(o.code, ==, -1);
  /* A PF the next boot does not have. */
  path = g_build_filename(f->state_dir, PASS_TX_SRIOV_FILE, NULL);
  {
    g_autofree char *text = state_file(f);
    g_autofree char *more = g_strconcat(text, "\n[0000:66:00.0]\nNumVFs=2\n", NULL);

    g_assert_true(g_file_set_contents(path, more, -1, NULL));
  }

  /* The reboot: PF2's VFs are gone. The old passd stops, the new one starts. */
  pass_tx_set_ops(f->tx, NULL);
  f->fake = fake_ops_new();
  fake_ops_add_device(f->fake, PF2, 7, NULL, 0x010802, "nvme", "nvme");
  fake_ops_set_sriov(f->fake, PF2, 4, 1, "nvme");
  fake_ops_load(f->fake, engine);
  tx = pass_tx_new(engine);
  g_assert_true(pass_tx_set_state_dir(tx, f->state_dir, &error));
  g_assert_no_error(error);
  pass_tx_set_ops(tx, fake_ops_get_ops(f->fake));

  pass_tx_sriov_reapply(tx);
  take_warning("0000:66:00.0 has 2 VFs recorded in *, but the host has no such device*");
  {
    g_auto(Report) r = {0};

    pass_tx_get_sriov(tx, PF2, on_report, &r);
    wait_for(&r.finished);
    g_ptr_array_add(r.lines, NULL);
    during = g_strjoinv("\n", (char **)r.lines->pdata);
  }
  g_assert_nonnull(strstr(during, " applying"));
  while (!idle(tx)) {
    g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    g_main_context_iteration(NULL, TRUE);
  }
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "set_num_vfs " PF2 " 3 autoprobe=0"), ==, 1);
  {
    g_auto(Report) r = {0};

    pass_tx_get_sriov(tx, NULL, on_report, &r);
    wait_for(&r.finished);
    code = r.code;
    g_ptr_array_add(r.lines, NULL);
    after = g_strjoinv("\n", (char **)r.lines->pdata);
  }
  g_assert_cmpint(code, ==, -1);
  g_assert_cmpstr(after, ==,
                  PF2 " present=1 total=4 num=3 desired=3 autoprobe=off driver=nvme settled\n"
                      "  0 0000:07:10.0 driver=- owners=\n"
                      "  1 0000:07:10.1 driver=- owners=\n"
                      "  2 0000:07:10.2 driver=- owners=\n"
                      "0000:66:00.0 present=0 total=-1 num=-1 desired=2 autoprobe=? driver=- "
                      "vanished: the host has no device 0000:66:00.0 (recorded with 2 VFs)");
  pass_tx_free(tx);
}

/* The re-apply is refused like any SetNumVFs when a VF is in use: logged, and GetSriov says
 * why the PF differs from its record. */
static void
test_reapply_refused(Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename(f->state_dir, PASS_TX_SRIOV_FILE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *pf = NULL;
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  int code;

  g_assert_true(g_file_set_contents(path, "[" PF "]\nNumVFs=3\n", -1, NULL));
  g_assert_true(pass_tx_set_state_dir(f->tx, f->state_dir, &error));
  fake_ops_add_hostdev(f->fake, "vm2", VF0, PASS_HOSTDEV_CONFIG);
  fake_ops_load(f->fake, f->engine);
  pass_tx_sriov_reapply(f->tx);
  while (!idle(f->tx)) {
    g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    g_main_context_iteration(NULL, TRUE);
  }
  take_warning(PF ": re-applying the recorded count failed: Changing the VF count of " PF
                  " from 2 to 3 destroys every VF, and these are in use: " VF0
                  ": assigned to vm2 *");
  pf = report(f, PF, &code);
  g_assert_cmpint(code, ==, -1);
  g_assert_nonnull(strstr(pf, PF " present=1 total=7 num=2 desired=3 autoprobe=on driver=igb "
                                 "differs: re-applying the recorded count failed: "));
  g_assert_cmpuint(fake_ops_count_calls(f->fake, "set_num_vfs"), ==, 0);
}

/* A state file edited by hand: bad entries are skipped, the good ones kept. */
static void
test_state_file_entries(Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename(f->state_dir, PASS_TX_SRIOV_FILE, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *all = NULL;
  int code;

  g_assert_true(g_file_set_contents(path,
                                    "[nonsense]\nNumVFs=1\n"
                                    "[07:00.0]\nNumVFs=2\nAutoprobe=maybe\n"
                                    "[0000:04:00.0]\nNumVFs=-3\n",
                                    -1, NULL));
  g_assert_true(pass_tx_set_state_dir(f->tx, f->state_dir, &error));
  take_warning("*: [nonsense] is not a PCI address; ignored");
  take_warning("*: [07:00.0] Autoprobe: *; left as the host has it");
  take_warning("*: [0000:04:00.0] NumVFs: not a count from 0 to 4096; ignored");
  all = report(f, NULL, &code);
  g_assert_nonnull(strstr(all, PF " present=1 total=7 num=2 desired=-1 "));
  g_assert_nonnull(strstr(all, PF2 " present=1 total=4 num=0 desired=2 autoprobe=off driver=nvme "
                                   "differs: 2 VFs are recorded, the PF has 0"));

  /* Not a key file at all: an error naming it. */
  g_assert_true(g_file_set_contents(path, "NumVFs=1\n", -1, NULL));
  g_assert_false(pass_tx_set_state_dir(f->tx, f->state_dir, &error));
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error->message, path));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  warnings = g_ptr_array_new_with_free_func(g_free);
  records = g_ptr_array_new_with_free_func(g_free);
  g_log_set_always_fatal(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
  g_log_set_writer_func(warning_writer, NULL, NULL);

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD("/tx-sriov/set-count", test_set_count);
  ADD("/tx-sriov/no-change", test_no_change);
  ADD("/tx-sriov/refusals", test_refusals);
  ADD("/tx-sriov/vfs-in-use", test_vfs_in_use);
  ADD("/tx-sriov/dry-run", test_dry_run);
  ADD("/tx-sriov/kernel-refuses", test_kernel_refuses);
  ADD("/tx-sriov/journal", test_journal);
  ADD("/tx-sriov/get-sriov", test_get_sriov);
  ADD("/tx-sriov/reapply", test_reapply);
  ADD("/tx-sriov/reapply-refused", test_reapply_refused);
  ADD("/tx-sriov/state-file-entries", test_state_file_entries);
#undef ADD
  {
    int status = g_test_run();

    g_ptr_array_unref(warnings);
    g_ptr_array_unref(records);
    return status;
  }
}
