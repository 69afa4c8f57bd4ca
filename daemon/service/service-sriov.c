/* GetSriov: the transactions gather the PFs (the picture, the desired counts, sysfs read on a
 * worker); this encodes them. */
#define G_LOG_DOMAIN "passd"

#include "pass-error.h"
#include "service-json.h"
#include "service-methods.h"
#include "service-private.h"

typedef struct {
  PassVarlinkCall *call;
  char *pf; /* asked for; NULL: all */
} Reply;

static void
sriov_done(GPtrArray *pfs, const GError *error, gpointer user_data)
{
  Reply *reply = user_data;

  if (error) {
    g_autoptr(JsonObject) extra = json_object_new();

    if (reply->pf && (g_error_matches(error, PASS_ERROR, PASS_ERROR_NO_SUCH_DEVICE) ||
                      g_error_matches(error, PASS_ERROR, PASS_ERROR_SRIOV_NOT_SUPPORTED)))
      json_object_set_string_member(extra, "address", reply->pf);
    pass_varlink_call_reply_gerror(reply->call, error, extra);
  } else {
    g_autoptr(JsonObject) object = json_object_new();
    JsonArray *array = json_array_sized_new(pfs->len);

    for (guint i = 0; i < pfs->len; i++)
      json_array_add_object_element(array, pass_json_sriov_pf(g_ptr_array_index(pfs, i)));
    json_object_set_array_member(object, "pfs", array);
    pass_varlink_call_reply(reply->call, object);
  }
  pass_varlink_call_unref(reply->call);
  g_free(reply->pf);
  g_free(reply);
}

void
pass_service_get_sriov(PassService *service, PassVarlinkCall *call, PassRequest *request,
                       const PassArgs *args)
{
  Reply *reply = g_new0(Reply, 1);

  reply->call = pass_varlink_call_ref(call);
  reply->pf = g_strdup(args->address);
  pass_tx_get_sriov(service->tx, args->address, sriov_done, reply);
}
