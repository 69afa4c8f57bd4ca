/* Transactions: Attach, Detach and Reattach, each validated against the engine's picture while
 * holding per-device and per-domain locks, executed as PassOps jobs on worker threads, and
 * applied to the picture (fresh re-reads) before the locks are released. The transactions
 * observe the engine (a watch) and feed it what their steps re-read; the engine does not know
 * they exist. No libvirt and no sysfs here: the steps go through PassOps (tx-ops.h). */
#pragma once

#include <glib.h>

#include "action.h"
#include "engine.h"
#include "iommu.h"
#include "journal.h"
#include "request.h"
#include "sriov.h"
#include "tx-ops.h"

G_BEGIN_DECLS

typedef struct _PassTx PassTx;

/* How long a detach waits for the guest unless it says (RemovalTimeout in passd.conf sets
 * another default), and the longest it may ask for (a day). */
#define PASS_TX_DEFAULT_REMOVAL_TIMEOUT_MS 20000
#define PASS_TX_MAX_REMOVAL_TIMEOUT_MS     (24 * 3600 * 1000)
/* pass_tx_detach's @timeout_ms for "the PassTx's default" (pass_tx_set_removal_timeout). */
#define PASS_TX_REMOVAL_TIMEOUT_DEFAULT G_MAXUINT

/* Watches @engine, which must outlive the PassTx. */
PassTx *pass_tx_new(PassEngine *engine);
void pass_tx_free(PassTx *tx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassTx, pass_tx_free)

/* Operations need ops (the PassTx owns them from now on; NULL drops them); without, they fail
 * with PASS_ERROR_HYPERVISOR_UNAVAILABLE. */
void pass_tx_set_ops(PassTx *tx, PassOps *ops);

/* The wait of a detach that does not give its own. */
void pass_tx_set_removal_timeout(PassTx *tx, guint timeout_ms);
guint pass_tx_get_removal_timeout(PassTx *tx);

/* Devices an attach refuses like those the host needs (DeviceProtected, unless forced), from
 * configuration: @addresses canonical (NULL: none); @why ends the reason "ADDRESS is WHY",
 * e.g. "listed in ProtectedDevices in /etc/passd/passd.conf". Both are copied. */
void pass_tx_set_protected(PassTx *tx, const char *const *addresses, const char *why);

/* @result is borrowed for the call. May run before the starting function returns. */
typedef void (*PassOpDoneFunc)(const PassOpResult *result, gpointer user_data);

/* @request: who asks (a ref is taken; NULL for passd's own operations). @flags: PassOpFlags.
 * Each operation that changes the host logs its start and its end with journal fields naming
 * it (see tx_log_event in tx-log.c): PASSD_OPERATION, PASSD_DEVICE (once per device),
 * PASSD_DOMAIN, PASSD_REQUEST, PASSD_UID, and PASSD_ERROR on failure. */
void pass_tx_attach(PassTx *tx, PassRequest *request, const char *domain, const char *address,
                    guint flags, PassOpDoneFunc done, gpointer user_data);
/* An attach as <interface type='hostdev'> (PASS_OP_INTERFACE is implied; pass_tx_attach with it
 * is this with @mac NULL and @vlan 0): libvirt programs @mac and the VLAN tag @vlan on the VF
 * through its PF. @mac: "xx:xx:xx:xx:xx:xx", unicast; NULL: pass_xml_generate_mac(@domain,
 * @address), the same each time. @vlan: 1..PASS_VLAN_MAX, 0 for none. Both apply to @address;
 * other members of its group (PASS_OP_WHOLE_GROUP) get their own generated MACs and no VLAN. A
 * bad @mac or @vlan: InvalidParameter naming "mac" or "vlan". */
void pass_tx_attach_interface(PassTx *tx, PassRequest *request, const char *domain,
                              const char *address, guint flags, const char *mac, guint vlan,
                              PassOpDoneFunc done, gpointer user_data);
/* @timeout_ms (or PASS_TX_REMOVAL_TIMEOUT_DEFAULT): how long to wait for the guest to release a
 * hot-plugged device before answering RemovalPending (the transaction then finishes by itself when
 * the guest lets go). Flags: LIVE, CONFIG, DRY_RUN. */
void pass_tx_detach(PassTx *tx, PassRequest *request, const char *domain, const char *address,
                    guint flags, guint timeout_ms, PassOpDoneFunc done, gpointer user_data);
/* Flags: DRY_RUN. */
void pass_tx_reattach(PassTx *tx, PassRequest *request, const char *address, guint flags,
                      PassOpDoneFunc done, gpointer user_data);

/* The intent journal (the PassTx owns it from now on). Every operation that changes the host
 * records its plan before acting and its end after, and the driver each device had before passd
 * took it; the records found in @journal are read now: where devices came from is known again,
 * and operations that began and did not end are recovered by pass_tx_recover(). */
void pass_tx_set_journal(PassTx *tx, PassJournal *journal);
/* With a fresh picture of libvirt (each snapshot, at start and after a reconnect): finish or
 * undo every operation the journal says began and did not end, as passd's own operations, so
 * each device ends either fully assigned as asked (host side, live and config) or back on its
 * original driver, unowned. Requests from clients wait until that is done. */
void pass_tx_recover(PassTx *tx);
/* TRUE while pass_tx_recover's operations run. */
gboolean pass_tx_is_recovering(PassTx *tx);

/* What recovery found and did. */
typedef struct {
  gint64 time;     /* g_get_real_time() when it ended */
  char *operation; /* "attach", "detach", "reattach" */
  char *address, *domain;
  char *outcome;     /* a sentence */
  gboolean resolved; /* FALSE: it is tried again at the next start or reconnect */
} PassRecovery;

/* PassRecovery*, oldest first, since passd started. */
GPtrArray *pass_tx_get_recovered(PassTx *tx);
/* The journal's file; NULL without one. */
const char *pass_tx_get_journal_path(PassTx *tx);
/* Operations begun and not ended (including pending unplugs and those recovery has). */
guint pass_tx_get_n_intents(PassTx *tx);
/* The devices passd took from a host driver and holds (sorted; free with g_strfreev), and the
 * driver each goes back to (NULL: none known, the kernel picks). */
GStrv pass_tx_list_held(PassTx *tx);
gboolean pass_tx_lookup_original(PassTx *tx, const char *address, const char **driver);
/* ---- SR-IOV (tx-sriov.c) ---- */

/* The file of desired VF counts under the state directory. */
#define PASS_TX_SRIOV_FILE "sriov.conf"
/* How long a VF count change waits for libvirt to report the new VFs. */
#define PASS_TX_SRIOV_WAIT_MS 15000
/* The largest count SetNumVFs takes (the PCI spec's TotalVFs is 16 bits; no device has more). */
#define PASS_TX_MAX_NUM_VFS 4096

/* Desired VF counts live in @dir/sriov.conf: loaded now (a missing file is none; a malformed
 * entry is logged and skipped, FALSE with @error only when the file cannot be read or parsed
 * at all), written after each successful SetNumVFs. Without a state directory nothing is
 * recorded. */
gboolean pass_tx_set_state_dir(PassTx *tx, const char *dir, GError **error);

/* Set the VF count of PF @pf (and with @autoprobe 0 or 1 its sriov_drivers_autoprobe first; -1
 * keeps it), recording it in the state directory. Flags: FORCE (destroy VFs merely bound to
 * vfio-pci), DRY_RUN. The reply comes once the engine has the new VFs (or after
 * PASS_TX_SRIOV_WAIT_MS). Logged like the other operations (PASSD_OPERATION=set_num_vfs, the PF
 * and every VF destroyed as PASSD_DEVICE). */
void pass_tx_set_num_vfs(PassTx *tx, PassRequest *request, const char *pf, guint count,
                         int autoprobe, guint flags, PassOpDoneFunc done, gpointer user_data);

/* Once, after the first inventory: every recorded count is set again as passd's own operation
 * (a host reboot left the PFs without VFs); a PF the host no longer has is logged and reported
 * by GetSriov as vanished. */
void pass_tx_sriov_reapply(PassTx *tx);

/* @pfs: PassSriovPf* (borrowed for the call), NULL with @error. */
typedef void (*PassTxSriovFunc)(GPtrArray *pfs, const GError *error, gpointer user_data);

/* GetSriov: every PF of the engine's picture and every recorded one, sorted, or only @pf
 * (canonical; NULL: all); sriov_drivers_autoprobe and the VFs' indexes are read on a worker.
 * Errors: HypervisorUnavailable, NoSuchDevice, SriovNotSupported (not a PF). */
void pass_tx_get_sriov(PassTx *tx, const char *pf, PassTxSriovFunc done, gpointer user_data);

/* ---- mediated devices (tx-mdev.c) ---- */
/* @types: PassMdevType* (borrowed for the call), NULL with @error. */
typedef void (*PassTxMdevTypesFunc)(GPtrArray *types, const GError *error, gpointer user_data);
/* ListMdevTypes: every parent's types as libvirt reports them now (read on a worker). Errors:
 * HypervisorUnavailable, HypervisorError. */
void pass_tx_list_mdev_types(PassTx *tx, PassTxMdevTypesFunc done, gpointer user_data);
typedef enum {
  PASS_TX_MDEV_PERSISTENT = 1 << 0, /* defined through libvirt (mdevctl): back after a reboot */
  PASS_TX_MDEV_AUTOSTART = 1 << 1,  /* and created at boot; implies PERSISTENT */
} PassTxMdevFlags;
/* @address: "mdev:UUID" on success, NULL with @error. */
typedef void (*PassTxMdevFunc)(const char *address, const GError *error, gpointer user_data);
/* CreateMdev: an instance of @type_id on @parent (as ListMdevTypes names it, or libvirt's name)
 * with @uuid (NULL: libvirt picks one). The reply comes once the engine has it. Errors:
 * NoSuchDevice (no such parent, or it offers no such type), NoCapacity (none left),
 * InvalidParameter (a bad UUID, or one in use), HypervisorError. Logged as PASSD_OPERATION=
 * create_mdev. */
void pass_tx_create_mdev(PassTx *tx, PassRequest *request, const char *parent, const char *type_id,
                         const char *uuid, guint mdev_flags, PassTxMdevFunc done,
                         gpointer user_data);
/* Attach by mdev type: an instance of @type_id on the parent with the most instances left
 * (pass_mdev_pick_parent; only @parent's when given), transient unless @mdev_flags says
 * PERSISTENT, attached to @domain (@flags: LIVE, CONFIG, FORCE, DRY_RUN: the pick only). When
 * the attach fails the instance is removed again; a transient one is removed when it is
 * detached. The result's picks hold the instance, its parent and why. Errors: NoCapacity (no
 * parent has one left), InvalidParameter (interface, whole_group), those of CreateMdev and
 * Attach. */
void pass_tx_attach_mdev_type(PassTx *tx, PassRequest *request, const char *domain,
                              const char *type_id, const char *parent, guint flags,
                              guint mdev_flags, PassOpDoneFunc done, gpointer user_data);
/* RemoveMdev: destroy (and undefine) @address. Refused while a domain holds it (DeviceInUse
 * naming the owners); NoSuchDevice when passd does not know it. */
void pass_tx_remove_mdev(PassTx *tx, PassRequest *request, const char *address, PassTxMdevFunc done,
                         gpointer user_data);

/* @device's IOMMU group as rules/iommu.h's table, from @engine's picture (@device included;
 * empty without a group): free it with g_free(); its strings are the engine's, valid until it is
 * fed again. For the transactions' verdicts and the doctor alike. */
PassIommuMember *pass_tx_group_table(PassEngine *engine, const PassDevice *device, guint *n);

/* libvirt's DEVICE_REMOVED (@failed FALSE) or DEVICE_REMOVAL_FAILED for @alias in @domain. */
void pass_tx_device_removal(PassTx *tx, const char *domain, const char *alias, gboolean failed);
/* libvirt's REBOOT for @domain. A guest that resets may forget the unplugs it was asked for and
 * had not done (QEMU completes some at the reset itself: DEVICE_REMOVED then ends the wait and
 * the repeats with it), and QEMU does not ask again: passd repeats the request of each such
 * pending unplug every reask delay (the guest's OS must be up to take it, and passd cannot tell
 * when it is), up to PASS_TX_REASK_MAX times, until the guest lets go. QEMU refuses a repeat
 * within 5 s of the last one, so a guest counting down its attention button (Linux waits 5 s,
 * and a second press would cancel) is never pressed again. */
void pass_tx_domain_rebooted(PassTx *tx, const char *domain);
#define PASS_TX_DEFAULT_REASK_DELAY_MS 20000
#define PASS_TX_REASK_MAX              30
void pass_tx_set_reask_delay(PassTx *tx, guint delay_ms);
/* TRUE while an unplug of @address from @domain was requested and the guest has not let go. */
gboolean pass_tx_removal_pending(PassTx *tx, const char *domain, const char *address);
/* Operations started and not finished (including unplugs left pending). */
guint pass_tx_get_n_operations(PassTx *tx);

G_END_DECLS
