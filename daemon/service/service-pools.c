/* Pools: ListPools, DefinePool, UndefinePool, GetBalance, and Attach by pool. The pools are
 * plain data main.c hands over (the files' and the run-time ones); DefinePool's and
 * UndefinePool's changes are saved through the function main.c gave, before they are served. */
#define G_LOG_DOMAIN "passd"

#include <string.h>

#include "pass-error.h"
#include "pool-parse.h"
#include "service-json.h"
#include "service-methods.h"
#include "service-private.h"
#include "tx-pool.h"

void
pass_service_set_pools(PassService *service, GPtrArray *pools, PassServicePoolsSaveFunc save,
                       gpointer data, const char *run_time_file)
{
  g_ptr_array_set_size(service->pools, 0);
  for (guint i = 0; pools && i < pools->len; i++)
    g_ptr_array_add(service->pools, pass_pool_ref(g_ptr_array_index(pools, i)));
  service->pools_save = save;
  service->pools_save_data = data;
  g_free(service->pools_file);
  service->pools_file = g_strdup(run_time_file);
}

static PassPool *
find_pool(PassService *service, const char *name, guint *index)
{
  for (guint i = 0; i < service->pools->len; i++) {
    PassPool *pool = g_ptr_array_index(service->pools, i);

    if (g_str_equal(pool->name, name)) {
      if (index)
        *index = i;
      return pool;
    }
  }
  return NULL;
}

static void reply_pool_error(PassVarlinkCall *call, int code, const PassPool *pool,
                             const char *name, const char *format, ...) G_GNUC_PRINTF(5, 6);

static void
reply_pool_error(PassVarlinkCall *call, int code, const PassPool *pool, const char *name,
                 const char *format, ...)
{
  g_autoptr(JsonObject) extra = json_object_new();
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start(args, format);
  error = g_error_new_valist(PASS_ERROR, code, format, args);
  va_end(args);
  json_object_set_string_member(extra, "pool", name);
  if (code == PASS_ERROR_POOL_FROM_FILE)
    json_object_set_string_member(extra, "file", pool && pool->file ? pool->file : "");
  pass_varlink_call_reply_gerror(call, error, extra);
}

/* InvalidParameter naming @parameter, with the parser's sentence; takes @error. */
static void
reply_invalid(PassVarlinkCall *call, const char *parameter, GError *error)
{
  g_autoptr(JsonObject) extra = json_object_new();
  g_autoptr(GError) owned = error;

  json_object_set_string_member(extra, "parameter", parameter);
  pass_varlink_call_reply_gerror(call, owned, extra);
}

static gint
compare_pools(gconstpointer a, gconstpointer b)
{
  const PassPool *x = *(PassPool *const *)a;
  const PassPool *y = *(PassPool *const *)b;

  return strcmp(x->name, y->name);
}

static JsonObject *
pool_object(PassService *service, const PassPool *pool)
{
  g_autoptr(PassVfTable) table = pass_tx_vf_table(service->tx, pool);
  g_autoptr(PassVfBalance) usage = pass_vf_table_balance(table);

  return pass_json_pool(pool, usage);
}

void
pass_service_list_pools(PassService *service, PassVarlinkCall *call, PassRequest *request,
                        const PassArgs *args)
{
  g_autoptr(JsonObject) reply = json_object_new();
  g_autoptr(GPtrArray) sorted = g_ptr_array_copy(service->pools, NULL, NULL);
  JsonArray *pools = json_array_new();

  g_ptr_array_set_free_func(sorted, NULL); /* borrowed */
  g_ptr_array_sort(sorted, compare_pools);
  for (guint i = 0; i < sorted->len; i++)
    json_array_add_object_element(pools, pool_object(service, g_ptr_array_index(sorted, i)));
  json_object_set_array_member(reply, "pools", pools);
  pass_varlink_call_reply(call, reply);
}

/* The run-time pools of @pools, in order (borrowed). */
static GPtrArray *
run_time_pools(GPtrArray *pools)
{
  GPtrArray *out = g_ptr_array_new();

  for (guint i = 0; i < pools->len; i++) {
    PassPool *pool = g_ptr_array_index(pools, i);

    if (pool->origin == PASS_POOL_ORIGIN_RUN_TIME)
      g_ptr_array_add(out, pool);
  }
  return out;
}

/* Save @pools' run-time pools; FALSE after replying Failed. */
static gboolean
save_pools(PassService *service, PassVarlinkCall *call, GPtrArray *pools)
{
  g_autoptr(GPtrArray) keep = run_time_pools(pools);
  g_autoptr(GError) error = NULL;

  if (!service->pools_save || service->pools_save(keep, service->pools_save_data, &error))
    return TRUE;
  g_message("saving the run-time pools: %s", error->message);
  {
    g_autoptr(GError) failed =
        g_error_new(PASS_ERROR, PASS_ERROR_FAILED, "Could not save the pools, nothing changed: %s",
                    error->message);

    pass_varlink_call_reply_gerror(call, failed, NULL);
  }
  return FALSE;
}

/* DefinePool's parameters as a pool; NULL after replying InvalidParameter. */
static PassPool *
pool_from_args(PassVarlinkCall *call, const PassArgs *args, const char *file)
{
  g_autoptr(PassPool) pool = NULL;
  GError *error = NULL;
  guint16 id;

  if (!pass_pool_validate_name(args->pool_name, &error)) {
    reply_invalid(call, "name", error);
    return NULL;
  }
  pool = pass_pool_new(args->pool_name);
  pool->origin = PASS_POOL_ORIGIN_RUN_TIME;
  pool->file = g_strdup(file);
  if (args->kind && !pass_pool_parse_kind(args->kind, &pool->kind, &error)) {
    reply_invalid(call, "kind", error);
    return NULL;
  }
  if (args->vendor_id) {
    if (!pass_pool_parse_id(args->vendor_id, "vendor", &id, &error)) {
      reply_invalid(call, "vendor_id", error);
      return NULL;
    }
    pool->vendor_id = id;
  }
  if (args->product_id) {
    if (!pass_pool_parse_id(args->product_id, "product", &id, &error)) {
      reply_invalid(call, "product_id", error);
      return NULL;
    }
    pool->product_id = id;
  }
  if (args->driver) {
    if (!pass_pool_validate_driver(args->driver, &error)) {
      reply_invalid(call, "driver", error);
      return NULL;
    }
    pool->driver = g_strdup(args->driver);
  }
  for (guint i = 0; args->pfs && i < json_array_get_length(args->pfs); i++) {
    PassPoolPf *pf =
        pass_pool_parse_pf_selector(json_array_get_string_element(args->pfs, i), &error);

    if (!pf || !pass_pool_add_pf(pool, pf, &error)) {
      reply_invalid(call, "pfs", error);
      return NULL;
    }
  }
  pool->numa_node = (int)args->numa_node;
  if (!pass_pool_validate(pool, &error)) {
    /* The one way left to fail: no selector at all. */
    reply_invalid(call, "name", error);
    return NULL;
  }
  return g_steal_pointer(&pool);
}

void
pass_service_define_pool(PassService *service, PassVarlinkCall *call, PassRequest *request,
                         const PassArgs *args)
{
  g_autoptr(PassPool) pool = pool_from_args(call, args, service->pools_file);
  g_autoptr(GPtrArray) next = NULL;
  g_autoptr(JsonObject) reply = NULL;
  PassPool *existing;

  if (!pool)
    return;
  existing = find_pool(service, pool->name, NULL);
  if (existing && existing->origin == PASS_POOL_ORIGIN_FILE) {
    g_autofree char *where = pass_pool_describe_origin(existing);

    reply_pool_error(call, PASS_ERROR_POOL_FROM_FILE, existing, pool->name,
                     "Pool %s is defined in %s; change it there", pool->name, where);
    return;
  }
  if (existing) {
    reply_pool_error(call, PASS_ERROR_POOL_EXISTS, existing, pool->name,
                     "Pool %s is defined already (UndefinePool first to change it)", pool->name);
    return;
  }
  next = g_ptr_array_copy(service->pools, (GCopyFunc)(gpointer)pass_pool_ref, NULL);
  g_ptr_array_set_free_func(next, (GDestroyNotify)pass_pool_unref);
  g_ptr_array_add(next, pass_pool_ref(pool));
  if (!save_pools(service, call, next))
    return;
  g_message("pool %s defined", pool->name);
  g_ptr_array_add(service->pools, pass_pool_ref(pool));
  reply = json_object_new();
  json_object_set_object_member(reply, "pool", pool_object(service, pool));
  pass_varlink_call_reply(call, reply);
}

void
pass_service_undefine_pool(PassService *service, PassVarlinkCall *call, PassRequest *request,
                           const PassArgs *args)
{
  g_autoptr(GPtrArray) next = NULL;
  g_autoptr(JsonObject) reply = NULL;
  guint index = 0;
  PassPool *pool = find_pool(service, args->pool_name, &index);

  if (!pool) {
    reply_pool_error(call, PASS_ERROR_NO_SUCH_POOL, NULL, args->pool_name, "No pool named %s",
                     args->pool_name);
    return;
  }
  if (pool->origin == PASS_POOL_ORIGIN_FILE) {
    g_autofree char *where = pass_pool_describe_origin(pool);

    reply_pool_error(call, PASS_ERROR_POOL_FROM_FILE, pool, pool->name,
                     "Pool %s is defined in %s; remove it there", pool->name, where);
    return;
  }
  next = g_ptr_array_copy(service->pools, (GCopyFunc)(gpointer)pass_pool_ref, NULL);
  g_ptr_array_set_free_func(next, (GDestroyNotify)pass_pool_unref);
  g_ptr_array_remove_index(next, index);
  if (!save_pools(service, call, next))
    return;
  g_message("pool %s undefined", pool->name);
  g_ptr_array_remove_index(service->pools, index);
  reply = json_object_new();
  pass_varlink_call_reply(call, reply);
}

void
pass_service_get_balance(PassService *service, PassVarlinkCall *call, PassRequest *request,
                         const PassArgs *args)
{
  g_autoptr(PassVfTable) table = pass_tx_vf_table(service->tx, NULL);
  g_autoptr(PassVfBalance) balance = pass_vf_table_balance(table);
  g_autoptr(PassVfPlan) plan =
      (args->flags & PASS_ARGS_FLAG_PLAN) ? pass_vf_table_plan(table) : NULL;
  g_autoptr(JsonObject) reply = pass_json_balance(balance, plan);

  pass_varlink_call_reply(call, reply);
}

void
pass_service_attach_pool(PassService *service, PassVarlinkCall *call, PassRequest *request,
                         const PassArgs *args, PassOpDoneFunc done, gpointer reply)
{
  PassVfPolicy policy = PASS_VF_POLICY_SPREAD;
  PassVfNumaMode numa = PASS_VF_NUMA_PREFERRED;
  const char *bad = NULL;
  PassPool *pool;

  if (args->address)
    bad = "pool"; /* both */
  else if (args->flags & PASS_OP_WHOLE_GROUP)
    bad = "whole_group";
  else if (args->policy && g_str_equal(args->policy, "pack"))
    policy = PASS_VF_POLICY_PACK;
  else if (args->policy && !g_str_equal(args->policy, "spread"))
    bad = "policy";
  if (!bad && args->numa) {
    if (g_str_equal(args->numa, "required"))
      numa = PASS_VF_NUMA_REQUIRED;
    else if (g_str_equal(args->numa, "ignore"))
      numa = PASS_VF_NUMA_IGNORE;
    else if (!g_str_equal(args->numa, "preferred"))
      bad = "numa";
  }
  if (bad) {
    g_autoptr(PassOpResult) result = pass_op_result_new(NULL, args->domain);

    result->error = g_error_new(
        PASS_ERROR, PASS_ERROR_INVALID_PARAMETER,
        g_str_equal(bad, "pool")          ? "Give address or pool, not both"
        : g_str_equal(bad, "whole_group") ? "whole_group is for a named device, not a pool"
        : g_str_equal(bad, "policy")      ? "policy is spread or pack"
                                          : "numa is required, preferred or ignore");
    result->parameter = g_strdup(bad);
    done(result, reply);
    return;
  }
  pool = find_pool(service, args->pool, NULL);
  if (!pool) {
    g_autoptr(PassOpResult) result = pass_op_result_new(NULL, args->domain);

    result->error =
        g_error_new(PASS_ERROR, PASS_ERROR_NO_SUCH_POOL, "No pool named %s", args->pool);
    result->pool = g_strdup(args->pool);
    done(result, reply);
    return;
  }
  pass_tx_attach_pool(service->tx, request, args->domain, pool, (guint)args->vf_count, policy, numa,
                      args->flags, done, reply);
}
