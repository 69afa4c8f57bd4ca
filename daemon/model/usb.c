#define G_LOG_DOMAIN "passd"

#include "usb.h"

PassUsbInfo *
pass_usb_info_new(void)
{
  PassUsbInfo *info = g_new0(PassUsbInfo, 1);

  info->bus = -1;
  info->devnum = -1;
  info->device_class = -1;
  info->drivers = g_new0(char *, 1);
  return info;
}

PassUsbInfo *
pass_usb_info_copy(const PassUsbInfo *info)
{
  PassUsbInfo *copy;

  if (info == NULL)
    return NULL;
  copy = g_new0(PassUsbInfo, 1);
  *copy = *info;
  copy->port = g_strdup(info->port);
  copy->path = g_strdup(info->path);
  copy->speed = g_strdup(info->speed);
  copy->drivers = g_strdupv(info->drivers);
  copy->controller = g_strdup(info->controller);
  return copy;
}

void
pass_usb_info_free(PassUsbInfo *info)
{
  if (info == NULL)
    return;
  g_free(info->port);
  g_free(info->path);
  g_free(info->speed);
  g_strfreev(info->drivers);
  g_free(info->controller);
  g_free(info);
}

gboolean
pass_usb_info_equal(const PassUsbInfo *a, const PassUsbInfo *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;
  return g_strcmp0(a->port, b->port) == 0 && g_strcmp0(a->path, b->path) == 0 && a->bus == b->bus &&
         a->devnum == b->devnum && a->device_class == b->device_class &&
         g_strcmp0(a->speed, b->speed) == 0 &&
         g_strv_equal((const char *const *)a->drivers, (const char *const *)b->drivers) &&
         g_strcmp0(a->controller, b->controller) == 0;
}
