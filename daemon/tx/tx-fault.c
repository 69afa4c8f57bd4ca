/* Fault injection for the crash tests: a build with -Dfault_injection=true aborts the whole
 * process at a named point when PASSD_FAULT lists it ("attach:detach-host-done,detach:end"),
 * as a crash there would. Release builds have none of it (the option is off by default). */
#define G_LOG_DOMAIN "passd"

#include "tx-private.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef PASS_FAULT_INJECTION
void
tx_fault(const char *op_name, const char *point)
{
  const char *faults = g_getenv("PASSD_FAULT");
  g_autofree char *name = NULL;
  g_auto(GStrv) list = NULL;

  if (!faults || !*faults)
    return;
  name = g_strconcat(op_name, ":", point, NULL);
  list = g_strsplit(faults, ",", -1);
  if (!g_strv_contains((const char *const *)list, name))
    return;
  /* Straight to stderr: the log writer may buffer, and nothing may run after this. */
  fprintf(stderr, "passd: fault injection: aborting at %s\n", name);
  fflush(stderr);
  abort();
}
#else
void
tx_fault(const char *op_name, const char *point)
{
}
#endif
