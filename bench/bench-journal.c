/* What the intent journal (daemon/state/journal.h) costs the caller: passd appends on its main
 * loop, so each append's write + fdatasync is time in which no other client is served. An
 * attach of a managed device writes three records (begin, original, end), a detach three
 * (begin, returned, end) or, live, four (its unplug request too); compaction rewrites the live
 * records in one atomic step.
 *
 *   append:  N appends of a begin-sized record, each timed alone
 *   rewrite: M rewrites of 64 records (a host holding 64 devices), each timed alone
 *
 * Usage: bench-journal DIR [APPENDS] [REWRITES]
 * DIR must hold no journal yet (the rewrites would replace a real one's records), and should be
 * on the filesystem that holds /var/lib/passd: the numbers are the disk's (tmpfs makes
 * fdatasync free). It is left behind for inspection. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "bench-clock.h"

#include "journal.h"

/* "median X ms (min, p90, p99, max)" of @n times in ns. */
static void
report(const char *what, gint64 *times, guint n)
{
  bench_sort_times(times, n);
  printf("%-34s median %8.3f ms  (min %8.3f, p90 %8.3f, p99 %8.3f, max %8.3f; %u runs)\n", what,
         (double)times[n / 2] / 1e6, (double)times[0] / 1e6, (double)times[n * 9 / 10] / 1e6,
         (double)times[n * 99 / 100] / 1e6, (double)times[n - 1] / 1e6, n);
}

/* A record the size of an attach's begin: what tx-journal.c writes, give or take names. */
static JsonObject *
begin_record(guint i)
{
  JsonObject *record = json_object_new();
  g_autofree char *address = g_strdup_printf("0000:%02x:%02x.%u", 0x40 + i % 64, i % 32, i % 8);
  g_autofree char *domain = g_strdup_printf("guest-%u", i % 100);
  JsonObject *drivers = json_object_new();

  json_object_set_string_member(record, "type", "begin");
  json_object_set_string_member(record, "operation", "attach");
  json_object_set_string_member(record, "address", address);
  json_object_set_string_member(record, "domain", domain);
  json_object_set_boolean_member(record, "live", TRUE);
  json_object_set_boolean_member(record, "config", TRUE);
  json_object_set_string_member(drivers, address, "nvme");
  json_object_set_object_member(record, "drivers", drivers);
  return record;
}

/* A count from 1 to 1 000 000, else 0. */
static guint
parse_count(const char *text)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned(text, 10, 1, 1000000, &value, NULL))
    return 0;
  return (guint)value;
}

int
main(int argc, char **argv)
{
  guint appends = argc > 2 ? parse_count(argv[2]) : 2000;
  guint rewrites = argc > 3 ? parse_count(argv[3]) : 200;
  g_autoptr(GError) error = NULL;
  g_autoptr(PassJournal) journal = NULL;
  g_autofree gint64 *times = NULL;
  g_autofree char *path = NULL;

  if (argc < 2 || appends < 1 || rewrites < 1) {
    fprintf(stderr, "usage: %s DIR [APPENDS] [REWRITES]\n", argv[0]);
    return 2;
  }
  path = g_build_filename(argv[1], "journal", NULL);
  if (g_file_test(path, G_FILE_TEST_EXISTS)) {
    fprintf(stderr, "%s exists: give a new directory, this would overwrite its records\n", path);
    return 2;
  }
  journal = pass_journal_open(argv[1], &error);
  if (!journal) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  times = g_new(gint64, MAX(appends, rewrites));

  for (guint i = 0; i < appends; i++) {
    JsonObject *record = begin_record(i);
    gint64 t0 = bench_now_ns();
    guint64 seq = pass_journal_append(journal, record, &error);

    times[i] = bench_now_ns() - t0;
    json_object_unref(record);
    if (!seq) {
      fprintf(stderr, "%s\n", error->message);
      return 1;
    }
  }
  report("append (write + fdatasync)", times, appends);

  for (guint i = 0; i < rewrites; i++) {
    g_autoptr(GPtrArray) records =
        g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    gint64 t0;

    for (guint d = 0; d < 64; d++)
      g_ptr_array_add(records, begin_record(d));
    t0 = bench_now_ns();
    if (!pass_journal_rewrite(journal, records, &error)) {
      fprintf(stderr, "%s\n", error->message);
      return 1;
    }
    times[i] = bench_now_ns() - t0;
  }
  report("rewrite of 64 records", times, rewrites);
  return 0;
}
