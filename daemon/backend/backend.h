/* The production PassOps, and the only place that joins the host (sysfs) and virt (libvirt)
 * layers: libvirt calls (virt-calls.c) on PassVirt's worker threads, sysfs through a PassHost
 * for protection checks and for restoring a device's exact original driver. */
#pragma once

#include "host.h"
#include "tx-ops.h"
#include "virt.h"

G_BEGIN_DECLS

/* Borrows @virt and @host; both must outlive the ops. */
PassOps *pass_backend_new(PassVirt *virt, PassHost *host);

G_END_DECLS
