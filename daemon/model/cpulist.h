/* CPU and NUMA node lists as the kernel (sysfs cpulist, "0-3,8") and libvirt (cpuset and
 * nodeset attributes, "0-3,^2,8") spell them. One parser for the domain reader (xml/) and the
 * host's node map (host/). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest number a list may name (beyond any host's CPUs or nodes). */
#define PASS_CPULIST_MAX 65535

/* Add the numbers of @text to @set (a sorted GArray of int without repeats, kept so): items
 * "N" and "N-M" separated by ',', and libvirt's "^N" taking N out again. White space around
 * items is allowed. FALSE (and @set as it was) when @text is malformed or names a number above
 * PASS_CPULIST_MAX. "" is an empty list. */
gboolean pass_cpulist_parse(const char *text, GArray *set);

/* Add @value to the sorted @set unless it is there. */
void pass_int_set_add(GArray *set, int value);

/* TRUE when the sorted @set holds @value. */
gboolean pass_int_set_contains(const GArray *set, int value);

G_END_DECLS
