/* One finding of the host doctor (CheckHost): what was checked, what was read, how to fix it.
 * Plain data, filled by host/ (files it read) and service/ (what passd itself knows). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Ordered by severity, so the worst of several is their maximum. */
typedef enum {
  PASS_CHECK_PASS,
  PASS_CHECK_WARN,
  PASS_CHECK_FAIL,
} PassCheckStatus;

typedef struct {
  char *id;    /* stable, e.g. "cpu-virtualization" */
  char *title; /* short, e.g. "CPU virtualisation (VT-x/AMD-V)" */
  PassCheckStatus status;
  char *evidence; /* what was read: file and value */
  char *fix;      /* the exact fix; NULL for PASS_CHECK_PASS */
} PassCheck;

/* Copies every string; @fix is dropped for a passing check. */
PassCheck *pass_check_new(const char *id, const char *title, PassCheckStatus status,
                          const char *evidence, const char *fix);
void pass_check_free(PassCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassCheck, pass_check_free)

/* "pass", "warn", "fail": the IDL's names. */
const char *pass_check_status_name(PassCheckStatus status);

G_END_DECLS
