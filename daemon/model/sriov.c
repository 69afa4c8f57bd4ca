#include "sriov.h"

PassSriovPf *
pass_sriov_pf_new(const char *address)
{
  PassSriovPf *pf = g_new0(PassSriovPf, 1);

  pf->address = g_strdup(address);
  pf->totalvfs = pf->numvfs = pf->desired = pf->autoprobe = pf->numa_node = -1;
  pf->vfs = g_ptr_array_new_with_free_func((GDestroyNotify)pass_sriov_vf_free);
  return pf;
}

void
pass_sriov_pf_free(PassSriovPf *pf)
{
  if (!pf)
    return;
  g_free(pf->address);
  g_free(pf->driver);
  g_free(pf->message);
  g_ptr_array_unref(pf->vfs);
  g_free(pf);
}

PassSriovVf *
pass_sriov_vf_new(const char *address, int index)
{
  PassSriovVf *vf = g_new0(PassSriovVf, 1);

  vf->address = g_strdup(address);
  vf->index = index;
  vf->numa_node = -1;
  vf->owners = g_ptr_array_new_with_free_func(g_free);
  return vf;
}

void
pass_sriov_vf_free(PassSriovVf *vf)
{
  if (!vf)
    return;
  g_free(vf->address);
  g_free(vf->driver);
  g_ptr_array_unref(vf->owners);
  g_free(vf);
}

const char *
pass_sriov_state_name(PassSriovState state)
{
  switch (state) {
    case PASS_SRIOV_SETTLED:
      return "settled";
    case PASS_SRIOV_APPLYING:
      return "applying";
    case PASS_SRIOV_DIFFERS:
      return "differs";
    case PASS_SRIOV_VANISHED:
      return "vanished";
  }
  g_return_val_if_reached("settled");
}
