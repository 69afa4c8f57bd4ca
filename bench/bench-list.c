/* Round trip of one call on an already open connection: what a client pays per call once
 * connected, without process start-up. Prints one line of milliseconds (min, median, p90).
 * "tree" takes the reply as a JsonObject (pass_varlink_client_call()), "raw" as checked JSON
 * text (pass_varlink_client_call_raw()).
 *
 * Usage: bench-list SOCKET [N] [METHOD] [tree|raw] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pass-varlink.h"

static int
compare_gint64(gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PassVarlinkClient) client = NULL;
  g_autoptr(GArray) samples = g_array_new(FALSE, FALSE, sizeof(gint64));
  const char *method = argc > 3 ? argv[3] : "io.passd.Manager.ListDevices";
  guint n = argc > 2 ? (guint)g_ascii_strtoull(argv[2], NULL, 10) : 200;
  gboolean raw = argc > 4 && g_str_equal(argv[4], "raw");
  guint devices = 0;

  if (argc < 2 || n == 0) {
    fprintf(stderr, "usage: %s SOCKET [N] [METHOD]\n", argv[0]);
    return 2;
  }
  client = pass_varlink_client_connect(argv[1], &error);
  if (client == NULL) {
    fprintf(stderr, "bench-list: %s\n", error->message);
    return 1;
  }

  /* the first calls warm caches on both sides; not counted */
  for (guint i = 0; i < n + 3; i++) {
    gint64 start = g_get_monotonic_time();
    g_autoptr(JsonObject) reply = NULL;
    g_autofree char *text = NULL;
    gboolean ok;

    if (raw)
      ok = (text = pass_varlink_client_call_raw(client, method, NULL, NULL, NULL, &error)) != NULL;
    else
      ok = (reply = pass_varlink_client_call(client, method, NULL, NULL, &error)) != NULL;
    gint64 elapsed = g_get_monotonic_time() - start;

    if (!ok) {
      fprintf(stderr, "bench-list: %s: %s\n", method, error->message);
      return 1;
    }
    /* Counted outside the timing: "address" appears once per device. */
    if (reply && json_object_has_member(reply, "devices"))
      devices = json_array_get_length(json_object_get_array_member(reply, "devices"));
    for (const char *p = text; p && (p = strstr(p, "\"address\":")); p++)
      devices += i == 0;
    if (i >= 3)
      g_array_append_val(samples, elapsed);
  }

  g_array_sort(samples, compare_gint64);
  printf("%s n=%u devices=%u min_ms=%.3f median_ms=%.3f p90_ms=%.3f\n", method, n, devices,
         g_array_index(samples, gint64, 0) / 1000.0,
         g_array_index(samples, gint64, samples->len / 2) / 1000.0,
         g_array_index(samples, gint64, samples->len * 9 / 10) / 1000.0);
  return 0;
}
