#define G_LOG_DOMAIN "passd-virt"

#include "virt-uevent.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pass-address.h"

char *
pass_virt_uevent_parse(const char *buf, gsize len, PassUeventKind *kind)
{
  const char *action = NULL, *subsystem = NULL, *slot = NULL, *devpath = NULL;
  const char *end = buf + len;
  const char *p = buf;
  PassAddress addr;

  if (buf == NULL || len == 0)
    return NULL;
  /* udevd's re-broadcasts start with "libudev"; only the kernel's plain format is handled. */
  if (memchr(buf, '@', strnlen(buf, len)) == NULL)
    return NULL;

  /* The header is followed by NUL-separated KEY=VALUE pairs. */
  while (p < end) {
    gsize n = strnlen(p, (gsize)(end - p));

    if (p + n == end)
      break; /* unterminated last field: ignore it */
    if (g_str_has_prefix(p, "ACTION="))
      action = p + strlen("ACTION=");
    else if (g_str_has_prefix(p, "SUBSYSTEM="))
      subsystem = p + strlen("SUBSYSTEM=");
    else if (g_str_has_prefix(p, "PCI_SLOT_NAME="))
      slot = p + strlen("PCI_SLOT_NAME=");
    else if (g_str_has_prefix(p, "DEVPATH="))
      devpath = p + strlen("DEVPATH=");
    p += n + 1;
  }
  /* the device's own directory is named by its address */
  if (slot == NULL && devpath != NULL && strrchr(devpath, '/') != NULL)
    slot = strrchr(devpath, '/') + 1;
  if (g_strcmp0(subsystem, "pci") != 0 || slot == NULL)
    return NULL;
  if (g_strcmp0(action, "bind") != 0 && g_strcmp0(action, "unbind") != 0 &&
      g_strcmp0(action, "add") != 0 && g_strcmp0(action, "remove") != 0)
    return NULL;
  if (!pass_address_parse(slot, &addr, NULL))
    return NULL;
  if (kind != NULL)
    *kind = g_str_equal(action, "add")      ? PASS_UEVENT_ADD
            : g_str_equal(action, "remove") ? PASS_UEVENT_REMOVE
                                            : PASS_UEVENT_BINDING;
  return pass_address_to_string(&addr);
}

struct _PassUeventWatch {
  int fd;
  GSource *source;
  PassUeventFunc func;
  gpointer user_data;
};

static gboolean
uevent_ready(int fd, GIOCondition condition, gpointer user_data)
{
  PassUeventWatch *watch = user_data;
  char buf[8192];

  for (;;) {
    struct sockaddr_nl sender = {0};
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
    struct msghdr msg = {
        .msg_name = &sender, .msg_namelen = sizeof(sender), .msg_iov = &iov, .msg_iovlen = 1};
    g_autofree char *address = NULL;
    PassUeventKind kind = PASS_UEVENT_BINDING;
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        g_debug("uevent socket: %s", g_strerror(errno));
      /* ENOBUFS means we lost events; nothing to resync here, libvirt reads are fresh. */
      break;
    }
    /* Only the kernel (port 0) may speak on this group. */
    if (sender.nl_pid != 0 || (msg.msg_flags & MSG_TRUNC))
      continue;
    address = pass_virt_uevent_parse(buf, (gsize)n, &kind);
    if (address != NULL) {
      g_debug(kind == PASS_UEVENT_ADD      ? "kernel added %s"
              : kind == PASS_UEVENT_REMOVE ? "kernel removed %s"
                                           : "driver binding of %s changed",
              address);
      watch->func(address, kind, watch->user_data);
    }
  }
  return G_SOURCE_CONTINUE;
}

PassUeventWatch *
pass_uevent_watch_new(GMainContext *context, PassUeventFunc func, gpointer user_data,
                      GError **error)
{
  g_autofree PassUeventWatch *watch = g_new0(PassUeventWatch, 1);
  struct sockaddr_nl local = {.nl_family = AF_NETLINK, .nl_groups = 1 /* kernel events */};
  int fd;

  fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
  if (fd < 0) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "uevent socket: %s",
                g_strerror(saved));
    return NULL;
  }
  if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
    int saved = errno;
    close(fd);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "uevent bind: %s",
                g_strerror(saved));
    return NULL;
  }
  watch->fd = fd;
  watch->func = func;
  watch->user_data = user_data;
  watch->source = g_unix_fd_source_new(fd, G_IO_IN);
  g_source_set_callback(watch->source, G_SOURCE_FUNC(uevent_ready), watch, NULL);
  g_source_set_name(watch->source, "passd uevents");
  g_source_attach(watch->source, context);
  return g_steal_pointer(&watch);
}

void
pass_uevent_watch_free(PassUeventWatch *watch)
{
  if (watch == NULL)
    return;
  g_source_destroy(watch->source);
  g_source_unref(watch->source);
  close(watch->fd);
  g_free(watch);
}
