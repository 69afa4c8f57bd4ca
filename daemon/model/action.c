#include "action.h"

PassAction *
pass_action_new(PassActionType type, const char *address)
{
  PassAction *action = g_new0(PassAction, 1);

  action->type = type;
  action->address = g_strdup(address);
  action->numvfs_from = action->numvfs_to = action->autoprobe = -1;
  return action;
}

PassAction *
pass_action_copy(const PassAction *src)
{
  PassAction *action = g_new0(PassAction, 1);

  *action = *src;
  action->address = g_strdup(src->address);
  action->driver_from = g_strdup(src->driver_from);
  action->driver_to = g_strdup(src->driver_to);
  action->domain = g_strdup(src->domain);
  action->xml = g_strdup(src->xml);
  return action;
}

void
pass_action_free(PassAction *action)
{
  if (!action)
    return;
  g_free(action->address);
  g_free(action->driver_from);
  g_free(action->driver_to);
  g_free(action->domain);
  g_free(action->xml);
  g_free(action);
}

PassBlocker *
pass_blocker_new(const char *address, const char *driver)
{
  PassBlocker *blocker = g_new0(PassBlocker, 1);

  blocker->address = g_strdup(address);
  blocker->driver = g_strdup(driver);
  return blocker;
}

void
pass_blocker_free(PassBlocker *blocker)
{
  if (!blocker)
    return;
  g_free(blocker->address);
  g_free(blocker->driver);
  g_free(blocker);
}

PassOpResult *
pass_op_result_new(const char *address, const char *domain)
{
  PassOpResult *result = g_new0(PassOpResult, 1);

  result->group = -1;
  result->address = g_strdup(address);
  result->domain = g_strdup(domain);
  return result;
}

void
pass_op_result_free(PassOpResult *result)
{
  if (!result)
    return;
  g_clear_error(&result->error);
  g_free(result->address);
  g_free(result->domain);
  g_clear_pointer(&result->owners, g_ptr_array_unref);
  g_clear_pointer(&result->blockers, g_ptr_array_unref);
  g_free(result->reason);
  g_free(result->parameter);
  g_clear_pointer(&result->devices, g_ptr_array_unref);
  g_clear_pointer(&result->actions, g_ptr_array_unref);
  g_free(result->pool);
  g_clear_pointer(&result->picks, g_ptr_array_unref);
  g_free(result->numa_note);
  g_clear_pointer(&result->vfs, g_ptr_array_unref);
  g_free(result);
}

PassPoolPick *
pass_pool_pick_new(const char *address, const char *pf, int numa_node, gboolean local,
                   const char *reason)
{
  PassPoolPick *pick = g_new0(PassPoolPick, 1);

  pick->address = g_strdup(address);
  pick->pf = g_strdup(pf);
  pick->numa_node = numa_node;
  pick->local = local;
  pick->reason = g_strdup(reason);
  return pick;
}

void
pass_pool_pick_free(PassPoolPick *pick)
{
  if (!pick)
    return;
  g_free(pick->address);
  g_free(pick->pf);
  g_free(pick->reason);
  g_free(pick);
}
