/* Shared between the host-*.c files only; the rest of the daemon uses host.h. */
#pragma once

#include "host.h"

G_BEGIN_DECLS

struct _PassHost {
  char *root;       /* absolute, no trailing slash except for "/" itself */
  GHashTable *ipv4; /* test override: iface -> address; NULL: getifaddrs() when root is "/" */
};

/* <root>/@path (@path is absolute as seen from the host, e.g. "/proc/swaps"). */
char *pass_host_path(PassHost *host, const char *path);

/* Resolve every symlink in @path inside the root, as the kernel would after chroot(root):
 * absolute link targets start again at the root, ".." never climbs above it. Returns the
 * host-side absolute path ("/sys/devices/..."); NULL on a symlink loop. Components that do
 * not exist are kept as they are. */
char *pass_host_resolve(PassHost *host, const char *path);

/* TRUE when the host-side path @path has @address as one of its components, i.e. the object
 * sits at or below that PCI function in /sys/devices. */
gboolean pass_host_path_below(const char *path, const char *address);

/* Contents of <root>/@path, NULL when unreadable. */
char *pass_host_read(PassHost *host, const char *path);

/* pass_host_check_protected's storage and network verdicts for the device whose sysfs directory
 * is named @component (a PCI address, a USB port "1-3"), appended to @reasons as sentences
 * about @subject (host-protect.c; USB devices use them too). */
void pass_host_check_storage(PassHost *host, const char *component, const char *subject,
                             GPtrArray *reasons);
void pass_host_check_network(PassHost *host, const char *component, const char *subject,
                             GPtrArray *reasons);

G_END_DECLS
