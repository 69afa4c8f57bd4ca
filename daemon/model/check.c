/* The host doctor's findings (see check.h). */
#include "check.h"

PassCheck *
pass_check_new(const char *id, const char *title, PassCheckStatus status, const char *evidence,
               const char *fix)
{
  PassCheck *check = g_new0(PassCheck, 1);

  check->id = g_strdup(id);
  check->title = g_strdup(title);
  check->status = status;
  check->evidence = g_strdup(evidence);
  /* A passing check has nothing to fix, whatever the caller had at hand. */
  check->fix = status == PASS_CHECK_PASS ? NULL : g_strdup(fix);
  return check;
}

void
pass_check_free(PassCheck *check)
{
  if (check == NULL)
    return;
  g_free(check->id);
  g_free(check->title);
  g_free(check->evidence);
  g_free(check->fix);
  g_free(check);
}

const char *
pass_check_status_name(PassCheckStatus status)
{
  switch (status) {
    case PASS_CHECK_PASS:
      return "pass";
    case PASS_CHECK_WARN:
      return "warn";
    case PASS_CHECK_FAIL:
      break;
  }
  return "fail";
}
