/* Device ids as the API spells them: a PCI address, a USB port path or vendor:product pair, or
 * a mediated device's UUID. Both sides parse user input with this, like PCI addresses. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  PASS_DEVICE_ID_PCI,        /* "dddd:bb:ss.f" (pass-address.h) */
  PASS_DEVICE_ID_USB_PORT,   /* "usb:BUS-PORT[.PORT...]", e.g. "usb:3-1.2" */
  PASS_DEVICE_ID_USB_VENDOR, /* "usb:vvvv:pppp": names a device only while one matches */
  PASS_DEVICE_ID_MDEV,       /* "mdev:" and a lower-case UUID */
} PassDeviceIdKind;

/* USB's limits: buses and device numbers are 1..999 in the kernel's naming, ports 1..255, and a
 * port path is at most 7 hubs deep (USB 2.0 and 3.x tiers). */
#define PASS_USB_MAX_BUS   999
#define PASS_USB_MAX_PORT  255
#define PASS_USB_MAX_DEPTH 7

/* Accepts what pass_address_canonicalize() accepts, and "usb:BUS-PORT[.PORT...]" (decimal, no
 * leading zeros in the canonical form), "usb:VVVV:PPPP" (hex, any case) and "mdev:UUID" (any
 * case). Returns the canonical text and sets @kind, or NULL with
 * PASS_ERROR_INVALID_PARAMETER in @error. */
char *pass_device_id_canonicalize(const char *text, PassDeviceIdKind *kind, GError **error);

G_END_DECLS
