/* The USB-only parts of the model: what a USB device is beyond the common fields, and how a
 * domain's <hostdev type='usb'> names one. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A USB device's own facts (PassDevice.usb, NULL for other kinds). libvirt gives the numbers
 * and the sysfs path; host/ adds what only sysfs says (class, speed, interface drivers). */
typedef struct {
  char *port;       /* the sysfs name, "3-1.2": the canonical address without "usb:" */
  char *path;       /* libvirt's <path>: the device's sysfs directory; NULL when not given */
  int bus;          /* busnum */
  int devnum;       /* device number on its bus: a new one at every re-plug */
  int device_class; /* bDeviceClass; -1 unknown. 0: per interface */
  char *speed;      /* link speed in Mbit/s as sysfs spells it ("480", "5000"); NULL unknown */
  char **drivers;   /* drivers of its interfaces, sorted, each once; never NULL */
  char *controller; /* PCI address of the host controller it hangs off; NULL when not PCI */
} PassUsbInfo;

PassUsbInfo *pass_usb_info_new(void); /* numbers -1, drivers empty */
PassUsbInfo *pass_usb_info_copy(const PassUsbInfo *info);
void pass_usb_info_free(PassUsbInfo *info);
gboolean pass_usb_info_equal(const PassUsbInfo *a, const PassUsbInfo *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassUsbInfo, pass_usb_info_free)

/* How a <hostdev type='usb'> names its device: vendor and product, and, when the XML gives them
 * (libvirt fills them in the live definition), bus and device number. 0: not given. */
typedef struct {
  guint16 vendor_id;
  guint16 product_id;
  guint bus;
  guint devnum;
} PassUsbSource;

G_END_DECLS
