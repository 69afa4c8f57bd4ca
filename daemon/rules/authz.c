#include "authz.h"

gboolean
pass_authz_may_write(uid_t uid, gid_t gid, const gid_t *groups, gsize n_groups, gid_t write_group)
{
  if (uid == 0)
    return TRUE;
  /* Checked first: unknown credentials ((gid_t)-1) must not match "no group". */
  if (write_group == PASS_AUTHZ_NO_GROUP)
    return FALSE;
  if (gid == write_group)
    return TRUE;
  for (gsize i = 0; i < n_groups; i++)
    if (groups[i] == write_group)
      return TRUE;
  return FALSE;
}
