/* The method table and its dispatcher: every IDL method is in the table with an access level
 * and the IDL's parameters; decoding reports the field it did before the table; a handler gets
 * the caller's PassRequest; an entry without an access level cannot be called. The dispatcher
 * is served on a real socket, with recording handlers in place of the real ones. */
#include <string.h>
#include <unistd.h>

#include "pass-error.h"
#include "pass-idl.h"
#include "service-call.h"
#include "service-methods.h"

#define M "io.passd.Manager."

/* ---- the table against the IDL ---- */

static int
compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* @names sorted and comma-joined (consumed). */
static char *
joined(GPtrArray *names)
{
  char *text;

  g_ptr_array_sort(names, compare_strings);
  g_ptr_array_add(names, NULL);
  text = g_strjoinv(",", (char **)names->pdata);
  g_ptr_array_unref(names);
  return text;
}

/* "name: type" -> name, if any, into @names; empties @item. */
static void
add_name(GPtrArray *names, GString *item)
{
  char *colon = strchr(item->str, ':');

  if (colon)
    *colon = '\0';
  g_strstrip(item->str);
  if (*item->str)
    g_ptr_array_add(names, g_strdup(item->str));
  g_string_truncate(item, 0);
}

/* The parameter names of the list that opens at @open. */
static char *
idl_param_names(const char *open)
{
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GString) item = g_string_new(NULL);
  int depth = 0;

  for (const char *p = open;; p++) {
    g_assert_cmpint(*p, !=, '\0');
    if (*p == '(' && depth++ == 0)
      continue;
    if (*p == ')' && --depth == 0)
      break;
    if (depth == 1 && *p == ',')
      add_name(names, item);
    else if (depth == 1)
      g_string_append_c(item, *p);
  }
  add_name(names, item);
  return joined(names);
}

/* Each "method NAME(...)" of the IDL: NAME -> its parameter names. */
static GHashTable *
idl_methods(void)
{
  GHashTable *methods = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *text = g_strdup(pass_idl_manager);

  /* Comments out first: they hold commas and parentheses. */
  for (char *hash = strchr(text, '#'); hash; hash = strchr(hash, '#'))
    while (*hash && *hash != '\n')
      *hash++ = ' ';
  for (const char *line = text; line; line = strchr(line, '\n')) {
    const char *name, *open;

    line += *line == '\n';
    if (!g_str_has_prefix(line, "method "))
      continue;
    name = line + strlen("method ");
    open = strchr(name, '(');
    g_assert_nonnull(open);
    g_hash_table_insert(methods, g_strndup(name, open - name), idl_param_names(open));
  }
  return methods;
}

static char *
table_param_names(const PassMethod *method)
{
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

  for (const PassParam *param = method->params; param && param->name; param++)
    g_ptr_array_add(names, g_strdup(param->name));
  return joined(names);
}

static void
test_table(void)
{
  g_autoptr(GHashTable) idl = idl_methods();

  g_assert_cmpuint(g_hash_table_size(idl), ==, 18);
  g_assert_cmpuint(pass_service_n_methods, ==, g_hash_table_size(idl));
  for (guint i = 0; i < pass_service_n_methods; i++) {
    const PassMethod *method = &pass_service_methods[i];
    g_autofree char *names = table_param_names(method);

    g_test_message("%s(%s)", method->name, names);
    g_assert_nonnull(method->func);
    g_assert_cmpint(method->access, !=, PASS_ACCESS_NONE);
    g_assert_true(pass_service_lookup_method(method->name) == method);
    g_assert_true(g_hash_table_contains(idl, method->name));
    g_assert_cmpstr(names, ==, g_hash_table_lookup(idl, method->name));
  }
  /* What changes the host is a write, what only looks is a read. */
  g_assert_cmpint(pass_service_lookup_method("Attach")->access, ==, PASS_ACCESS_WRITE);
  g_assert_cmpint(pass_service_lookup_method("Detach")->access, ==, PASS_ACCESS_WRITE);
  g_assert_cmpint(pass_service_lookup_method("Reattach")->access, ==, PASS_ACCESS_WRITE);
  g_assert_cmpint(pass_service_lookup_method("GetStatus")->access, ==, PASS_ACCESS_READ);
  g_assert_cmpint(pass_service_lookup_method("ListDevices")->access, ==, PASS_ACCESS_READ);
  g_assert_cmpint(pass_service_lookup_method("GetDevice")->access, ==, PASS_ACCESS_READ);
  g_assert_cmpint(pass_service_lookup_method("Watch")->access, ==, PASS_ACCESS_READ);
  g_assert_cmpint(pass_service_lookup_method("GetDomain")->access, ==, PASS_ACCESS_READ);
  g_assert_cmpint(pass_service_lookup_method("CheckHost")->access, ==, PASS_ACCESS_READ);
  /* pools */
  g_assert_cmpint(pass_service_lookup_method("ListPools")->access, ==, PASS_ACCESS_READ);
  g_assert_cmpint(pass_service_lookup_method("GetBalance")->access, ==, PASS_ACCESS_READ);
  g_assert_cmpint(pass_service_lookup_method("DefinePool")->access, ==, PASS_ACCESS_WRITE);
  g_assert_cmpint(pass_service_lookup_method("UndefinePool")->access, ==, PASS_ACCESS_WRITE);
  g_assert_cmpint(pass_service_lookup_method("SetNumVFs")->access, ==, PASS_ACCESS_WRITE);
  g_assert_cmpint(pass_service_lookup_method("GetSriov")->access, ==, PASS_ACCESS_READ);
  g_assert_null(pass_service_lookup_method("Bogus"));
}

/* ---- decoding, without a socket ---- */

/* The field @method's decoding reports for @parameters (NULL: none). @args borrows strings from
 * *@node. */
static char *
decode(const char *method, const char *parameters, PassArgs *args, JsonNode **node)
{
  const char *bad = NULL;

  *node = json_from_string(parameters, NULL);
  g_assert_nonnull(*node);
  if (pass_args_decode(args, pass_service_lookup_method(method)->params,
                       json_node_get_object(*node), &bad))
    return NULL;
  return g_strdup(bad);
}

#define assert_bad(method, parameters, expected)                                                   \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_auto(PassArgs) _args = {0};                                                                  \
    g_autoptr(JsonNode) _node = NULL;                                                              \
    g_autofree char *_bad = decode(method, parameters, &_args, &_node);                            \
    g_assert_cmpstr(_bad, ==, expected);                                                           \
  }                                                                                                \
  G_STMT_END

static void
test_decode(void)
{
  g_auto(PassArgs) attach = {0};
  g_auto(PassArgs) detach = {0};
  g_auto(PassArgs) timeout = {0};
  g_auto(PassArgs) list = {0};
  g_autoptr(JsonNode) attach_node = NULL, detach_node = NULL, timeout_node = NULL;
  g_autoptr(JsonNode) list_node = NULL;

  /* Unknown members first, wherever they are... */
  assert_bad("Attach", "{\"live\": 1, \"bogus\": true}", "bogus");
  assert_bad("GetStatus", "{\"verbose\": true}", "verbose");
  assert_bad("Watch", "{\"x\": null}", "x");
  /* ...then the fields in the table's order, whatever the order of the members. */
  assert_bad("Attach", "{\"live\": 1, \"domain\": 3}", "domain");
  assert_bad("Attach", "{\"domain\": \"\", \"address\": \"02:00.0\"}", "domain");
  assert_bad("Attach", "{\"domain\": \"vm1\", \"address\": \"zz\", \"live\": 1}", "address");
  assert_bad("Attach", "{\"force\": 0, \"domain\": \"vm1\", \"address\": \"02:00.0\"}", "force");
  assert_bad("Attach", "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"mac\": \"52:54\"}",
             "mac");
  assert_bad("Attach",
             "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"mac\": \"03:00:00:00:00:01\"}",
             "mac");
  assert_bad("Attach", "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"vlan\": 4095}", "vlan");
  assert_bad("Attach", "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"vlan\": 0}", "vlan");
  assert_bad("Detach",
             "{\"timeout\": \"5\", \"dry_run\": 1, \"domain\": \"d\", \"address\": "
             "\"02:00.0\"}",
             "dry_run");
  assert_bad("Detach", "{\"domain\": \"d\", \"address\": \"02:00.0\", \"timeout\": 86401}",
             "timeout");
  assert_bad("Detach", "{\"domain\": \"d\", \"address\": \"02:00.0\", \"timeout\": 1.5}",
             "timeout");
  assert_bad("ListDevices", "{\"sriov\": 1, \"vendor_id\": 8086}", "vendor_id");
  assert_bad("GetDevice", "{}", "address");
  assert_bad("GetDevice", "{\"address\": null}", "address");
  /* CheckHost's address is optional, but when given it must be one. */
  assert_bad("CheckHost", "{}", NULL);
  assert_bad("CheckHost", "{\"address\": null}", NULL);
  assert_bad("CheckHost", "{\"address\": \"\"}", "address");
  assert_bad("CheckHost", "{\"address\": \"zz\"}", "address");

  g_assert_null(decode("Attach",
                       "{\"domain\": \"vm1\", \"address\": \"pci_0000_02_00_0\", \"live\": true, "
                       "\"config\": false, \"dry_run\": true, \"force\": null}",
                       &attach, &attach_node));
  g_assert_cmpstr(attach.domain, ==, "vm1");
  g_assert_cmpstr(attach.address, ==, "0000:02:00.0");
  g_assert_cmpuint(attach.flags, ==, PASS_OP_LIVE | PASS_OP_DRY_RUN);
  g_assert_null(attach.mac);
  g_assert_cmpint(attach.vlan, ==, 0); /* none */
  {
    g_auto(PassArgs) nic = {0};
    g_autoptr(JsonNode) nic_node = NULL;

    /* The MAC canonical (lower case); the VLAN at the ends of its range. */
    g_assert_null(decode("Attach",
                         "{\"domain\": \"vm1\", \"address\": \"04:10.0\", \"interface\": true, "
                         "\"mac\": \"52:54:00:AA:bB:01\", \"vlan\": 4094}",
                         &nic, &nic_node));
    g_assert_cmpstr(nic.mac, ==, "52:54:00:aa:bb:01");
    g_assert_cmpint(nic.vlan, ==, 4094);
    g_assert_cmpuint(nic.flags, ==, PASS_OP_INTERFACE);
  }
  /* Detach's timeout: seconds; when not given, the transactions' default (RemovalTimeout). */
  g_assert_null(
      decode("Detach", "{\"domain\": \"d\", \"address\": \"02:00.0\"}", &detach, &detach_node));
  g_assert_cmpint(detach.timeout, ==, PASS_ARGS_TIMEOUT_DEFAULT);
  g_assert_null(decode("Detach",
                       "{\"domain\": \"d\", \"address\": \"02:00.0\", \"timeout\": 86400}",
                       &timeout, &timeout_node));
  g_assert_cmpint(timeout.timeout, ==, 86400);
  /* An optional string may be empty ("" is the unbound driver). */
  g_assert_null(
      decode("ListDevices", "{\"driver\": \"\", \"class\": \"0x02\"}", &list, &list_node));
  g_assert_cmpstr(list.driver, ==, "");
  g_assert_cmpstr(list.device_class, ==, "0x02");
  g_assert_null(list.vendor_id);
}

/* SetNumVFs: the PF, a required count within limits, a tri-state autoprobe. */
static void
test_decode_sriov(void)
{
  g_auto(PassArgs) keep = {0};
  g_auto(PassArgs) off = {0};
  g_auto(PassArgs) all = {0};
  g_autoptr(JsonNode) keep_node = NULL, off_node = NULL, all_node = NULL;

  assert_bad("SetNumVFs", "{\"count\": 2}", "pf");
  assert_bad("SetNumVFs", "{\"pf\": \"41:00.0\"}", "count");
  assert_bad("SetNumVFs", "{\"pf\": \"41:00.0\", \"count\": null}", "count");
  assert_bad("SetNumVFs", "{\"pf\": \"41:00.0\", \"count\": -1}", "count");
  assert_bad("SetNumVFs", "{\"pf\": \"41:00.0\", \"count\": 4097}", "count");
  assert_bad("SetNumVFs", "{\"pf\": \"41:00.0\", \"count\": \"2\"}", "count");
  assert_bad("SetNumVFs", "{\"pf\": \"41:00.0\", \"count\": 2, \"autoprobe\": 0}", "autoprobe");
  assert_bad("GetSriov", "{\"pf\": \"zz\"}", "pf");
  assert_bad("GetSriov", "{}", NULL);

  g_assert_null(decode("SetNumVFs", "{\"pf\": \"41:00.0\", \"count\": 0}", &keep, &keep_node));
  g_assert_cmpstr(keep.address, ==, "0000:41:00.0");
  g_assert_cmpint(keep.count, ==, 0);
  g_assert_cmpint(keep.autoprobe, ==, -1);
  g_assert_null(decode("SetNumVFs", "{\"pf\": \"41:00.0\", \"count\": 3, \"autoprobe\": false}",
                       &off, &off_node));
  g_assert_cmpint(off.autoprobe, ==, 0);
  g_assert_null(decode("SetNumVFs",
                       "{\"pf\": \"41:00.0\", \"count\": 4096, \"autoprobe\": true, "
                       "\"force\": true, \"dry_run\": true}",
                       &all, &all_node));
  g_assert_cmpint(all.count, ==, 4096);
  g_assert_cmpint(all.autoprobe, ==, 1);
  g_assert_cmpuint(all.flags, ==, PASS_OP_FORCE | PASS_OP_DRY_RUN);
}

/* ---- the dispatcher on a socket ---- */

typedef ServiceSocket Fixture;

/* The table with recording handlers. */
static PassMethod *methods;

/* What the recording handler saw last. */
static struct {
  guint calls;
  PassRequest *request;
  char *domain, *address;
  guint flags;
  gint64 timeout;
} seen;

static void
record(PassService *service, PassVarlinkCall *call, PassRequest *request, const PassArgs *args)
{
  seen.calls++;
  g_clear_pointer(&seen.request, pass_request_unref);
  seen.request = pass_request_ref(request);
  g_free(seen.domain);
  seen.domain = g_strdup(args->domain);
  g_free(seen.address);
  seen.address = g_strdup(args->address);
  seen.flags = args->flags;
  seen.timeout = args->timeout;
  pass_varlink_call_reply(call, NULL);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  service_socket_init(f);
  methods = g_memdup2(pass_service_methods, pass_service_n_methods * sizeof(PassMethod));
  for (guint i = 0; i < pass_service_n_methods; i++) {
    methods[i].func = record;
    /* One entry that does not say who may call it. */
    if (g_str_equal(methods[i].name, "GetDomain"))
      methods[i].access = PASS_ACCESS_NONE;
  }
  g_assert_true(pass_varlink_server_add_interface(f->server, pass_idl_manager, &error));
  pass_service_register_methods(f->service, f->server, methods, pass_service_n_methods);
  service_socket_listen(f);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
  service_socket_clear(f);
  g_clear_pointer(&methods, g_free);
  g_clear_pointer(&seen.request, pass_request_unref);
  g_clear_pointer(&seen.domain, g_free);
  g_clear_pointer(&seen.address, g_free);
  memset(&seen, 0, sizeof seen);
}

static void
test_invalid(Fixture *f, gconstpointer data)
{
  assert_invalid(f->path, M "Reattach", "{\"address\": \"02:00.0\", \"bogus\": 1}", "bogus");
  assert_invalid(f->path, M "ListDevices", "{\"owner\": 3}", "owner");
  assert_invalid(f->path, M "Detach",
                 "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"live\": "
                 "\"yes\"}",
                 "live");
  /* The handler never saw them. */
  g_assert_cmpuint(seen.calls, ==, 0);
}

/* @groups are this process's supplementary groups, as the socket told the server. */
static void
assert_own_groups(GArray *groups)
{
  int n = getgroups(0, NULL);
  g_autofree gid_t *own = g_new(gid_t, MAX(n, 1));

  g_assert_cmpint(getgroups(n, own), ==, n);
  g_assert_nonnull(groups);
  g_assert_cmpuint(groups->len, ==, n);
  for (int i = 0; i < n; i++)
    g_assert_cmpuint(g_array_index(groups, gid_t, i), ==, own[i]);
}

static void
test_request(Fixture *f, gconstpointer data)
{
  g_auto(Call) attach = {0};
  g_auto(Call) detach = {0};
  guint64 id;

  run_call(f->path, &attach, M "Attach",
           "{\"domain\": \"vm1\", \"address\": \"02:00.0\", \"live\": true, \"dry_run\": true}");
  g_assert_no_error(attach.error);
  g_assert_cmpuint(seen.calls, ==, 1);
  g_assert_nonnull(seen.request);
  g_assert_cmpstr(seen.request->method, ==, "Attach");
  g_assert_cmpuint(seen.request->uid, ==, getuid());
  g_assert_cmpuint(seen.request->gid, ==, getgid());
  g_assert_cmpint(seen.request->pid, ==, getpid());
  assert_own_groups(seen.request->groups);
  g_assert_cmpstr(seen.domain, ==, "vm1");
  g_assert_cmpstr(seen.address, ==, "0000:02:00.0");
  g_assert_cmpuint(seen.flags, ==, PASS_OP_LIVE | PASS_OP_DRY_RUN);
  id = seen.request->id;

  /* Every call is a new request. */
  run_call(f->path, &detach, M "Detach", "{\"domain\": \"vm1\", \"address\": \"02:00.0\"}");
  g_assert_no_error(detach.error);
  g_assert_cmpuint(seen.calls, ==, 2);
  g_assert_cmpstr(seen.request->method, ==, "Detach");
  g_assert_cmpuint(seen.request->id, >, id);
  g_assert_cmpuint(seen.request->uid, ==, getuid());
  g_assert_cmpint(seen.request->pid, ==, getpid());
  g_assert_cmpint(seen.timeout, ==, PASS_ARGS_TIMEOUT_DEFAULT);
}

static void
test_no_access(Fixture *f, gconstpointer data)
{
  g_auto(Call) refused = {0};
  g_auto(Call) refused_bad = {0};

  run_call(f->path, &refused, M "GetDomain", "{\"domain\": \"vm1\"}");
  g_assert_error(refused.error, PASS_ERROR, PASS_ERROR_PERMISSION_DENIED);
  g_assert_cmpstr(json_object_get_string_member(refused.error_parameters, "method"), ==,
                  M "GetDomain");
  /* Refused before its parameters are even looked at. */
  run_call(f->path, &refused_bad, M "GetDomain", "{\"bogus\": 1}");
  g_assert_error(refused_bad.error, PASS_ERROR, PASS_ERROR_PERMISSION_DENIED);
  g_assert_cmpuint(seen.calls, ==, 0);
}

/* The hook hands the request's credentials and the service's group to the rule. */
static void
test_authorize(Fixture *f, gconstpointer data)
{
  const PassMethod *attach = pass_service_lookup_method("Attach");
  g_autoptr(GArray) groups = g_array_new(FALSE, FALSE, sizeof(gid_t));
  gid_t group = 990, other = 27;
  g_autoptr(PassRequest) root = pass_request_new("Attach", 0, 0, 1, NULL);
  g_autoptr(PassRequest) user = pass_request_new("Attach", 1000, 1000, 2, groups);
  g_autoptr(PassRequest) primary = pass_request_new("Attach", 1000, group, 3, NULL);
  g_autoptr(PassRequest) member = NULL;

  g_array_append_val(groups, other);
  g_assert_true(pass_service_authorize(f->service, root, attach));
  g_assert_false(pass_service_authorize(f->service, user, attach));
  g_assert_false(pass_service_authorize(f->service, primary, attach));

  pass_service_set_write_group(f->service, group);
  g_assert_true(pass_service_authorize(f->service, root, attach));
  g_assert_false(pass_service_authorize(f->service, user, attach));
  g_assert_true(pass_service_authorize(f->service, primary, attach));
  /* A supplementary group will do. */
  g_array_append_val(groups, group);
  member = pass_request_new("Attach", 1000, 1000, 4, groups);
  g_assert_true(pass_service_authorize(f->service, member, attach));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/service-methods/table", test_table);
  g_test_add_func("/service-methods/decode", test_decode);
  g_test_add_func("/service-methods/decode-sriov", test_decode_sriov);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD("/service-methods/invalid", test_invalid);
  ADD("/service-methods/request", test_request);
  ADD("/service-methods/no-access", test_no_access);
  ADD("/service-methods/authorize", test_authorize);
#undef ADD
  return g_test_run();
}
