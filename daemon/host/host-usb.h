/* What only sysfs says about a USB device (libvirt's node device has the rest). */
#pragma once

#include "host.h"
#include "usb.h"

G_BEGIN_DECLS

/* Fill @info's class (bDeviceClass), speed and the drivers of its interfaces ("PORT:C.I/driver")
 * from <root>/sys/bus/usb/devices/@info->port; what cannot be read stays unknown. */
void pass_host_usb_fill(PassHost *host, PassUsbInfo *info);

/* pass_host_check_protected for "usb:PORT": TRUE with @reason when a block device below it
 * holds a mounted file system or swap, a network interface on it has the default route or an
 * address, or it carries every keyboard the host has (an input device whose keys include
 * Esc..S, as udev's ID_INPUT_KEYBOARD; taking the only one leaves no console). */
gboolean pass_host_usb_check_protected(PassHost *host, const char *address, char **reason);

G_END_DECLS
