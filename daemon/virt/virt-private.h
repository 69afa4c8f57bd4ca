/* Internals of daemon/virt, shared by its files: libvirt's event loop (virt-loop.c), ordered
 * delivery to the caller's main context (virt-sink.c) and the blocking reads that turn libvirt
 * objects into PassDevice/PassDomain (virt-read.c). */
#pragma once

#include "virt.h"

G_BEGIN_DECLS

/* Once per process: libvirt init, silent error printing, default event implementation. */
void pass_virt_loop_init(void);
/* Run libvirt's event loop on a thread of its own while there are users. */
void pass_virt_loop_acquire(void);
void pass_virt_loop_release(void);

/* ---- delivery to the main context, strictly in order ---- */

typedef enum {
  PASS_VIRT_DELIVER_CONNECTION,
  PASS_VIRT_DELIVER_SNAPSHOT,
  PASS_VIRT_DELIVER_DEVICE_CHANGED,
  PASS_VIRT_DELIVER_DEVICE_REMOVED,
  PASS_VIRT_DELIVER_DOMAIN_CHANGED,
  PASS_VIRT_DELIVER_DOMAIN_REMOVED,
  PASS_VIRT_DELIVER_DOMAIN_DEVICE_REMOVED,
  PASS_VIRT_DELIVER_DOMAIN_REBOOTED,
  PASS_VIRT_DELIVER_KERNEL_ADDED,
  PASS_VIRT_DELIVER_KERNEL_REMOVED,
} PassVirtDeliveryKind;

typedef struct {
  PassVirtDeliveryKind kind;
  gboolean flag; /* connected, failed */
  char *text;    /* message, address, name */
  char *alias;
  PassDevice *device;
  PassDomain *domain;
  GPtrArray *devices;
  GPtrArray *domains;
} PassVirtDelivery;

void pass_virt_delivery_free(PassVirtDelivery *d);

/* Queues deliveries (from any thread) and hands them to the callbacks on @context, in order.
 * pass_virt_sink_close (main context) drops pending ones and the caller's reference. */
typedef struct _PassVirtSink PassVirtSink;
PassVirtSink *pass_virt_sink_new(GMainContext *context, const PassVirtCallbacks *callbacks,
                                 gpointer user_data);
void pass_virt_sink_push(PassVirtSink *sink, PassVirtDelivery *d);
void pass_virt_sink_deliver(PassVirtSink *sink, PassVirtDeliveryKind kind, gboolean flag,
                            const char *text, const char *alias);
void pass_virt_sink_close(PassVirtSink *sink);
/* What the callbacks were last told (main context). */
gboolean pass_virt_sink_is_connected(PassVirtSink *sink);

/* pass_virt_set_call_error(), naming the failure @lost_what when libvirt went away (a lookup
 * inside a step: "Cannot find ..." only when libvirt answered so). Once per failure: it resets
 * libvirt's last error. */
gboolean pass_virt_set_call_error_full(virConnectPtr conn, GError **error, const char *what,
                                       const char *lost_what);

/* USB devices (virt-read-usb.c): appends libvirt's usb_device node devices to @devices
 * (root hubs left out); FALSE with @error only when libvirt went away. */
gboolean pass_virt_read_usb_devices(virConnectPtr conn, GPtrArray *devices, GError **error);
/* Resolves a domain's <hostdev type='usb'> to a device address (a PassXmlUsbResolve); lists
 * the USB devices once, at its first use. */
typedef struct {
  virConnectPtr conn;
  GPtrArray *devices; /* NULL until first used */
} PassVirtUsbResolver;
char *pass_virt_usb_resolve(const PassUsbSource *source, gpointer user_data);
void pass_virt_usb_resolver_clear(PassVirtUsbResolver *resolver);

/* Blocking reads (worker threads). Errors as pass_virt_set_call_error(). */
PassDevice *pass_virt_read_device(virConnectPtr conn, virNodeDevicePtr dev, GError **error);
PassDomain *pass_virt_read_domain(virDomainPtr dom, GError **error);
/* Fills @devices (PassDevice*: PCI functions, then mdevs active and defined) and @domains
 * (PassDomain*), skipping objects that vanish or fail to parse meanwhile; @net_parents, when
 * not NULL, gets each network interface's node device name -> the address of the PCI device it
 * is below. */
gboolean pass_virt_read_snapshot(virConnectPtr conn, GPtrArray *devices, GPtrArray *domains,
                                 GHashTable *net_parents, GError **error);
/* The address of the PCI device that network interface node device @dev is below; NULL (with
 * a debug line) when libvirt cannot say or it is below no PCI device. */
char *pass_virt_read_net_parent(virNodeDevicePtr dev);

G_END_DECLS
