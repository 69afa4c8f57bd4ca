/* Timing helpers the C benchmarks share: a monotonic clock and sorting the measured times. */
#pragma once

#include <glib.h>
#include <stdlib.h>
#include <time.h>

static inline gint64
bench_now_ns(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int
bench_compare_times(const void *pa, const void *pb)
{
  gint64 a = *(const gint64 *)pa, b = *(const gint64 *)pb;

  return (a > b) - (a < b);
}

/* Sorts @times (ns) so that times[n / 2] is the median. */
static inline void
bench_sort_times(gint64 *times, guint n)
{
  qsort(times, n, sizeof(gint64), bench_compare_times);
}
