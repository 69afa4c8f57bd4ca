/* Pure formatting: JSON in (shaped as io.passd.Manager's types), text out. No I/O, no
 * globals, so unit tests check every line without a daemon. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* ---- fields.c: tolerant accessors (missing, null or mistyped members read as absent) ---- */

const char *passctl_json_string(JsonObject *object, const char *member);
gboolean passctl_json_int(JsonObject *object, const char *member, gint64 *out);
gboolean passctl_json_bool(JsonObject *object, const char *member, gboolean *out);
JsonArray *passctl_json_array(JsonObject *object, const char *member);
JsonObject *passctl_json_object(JsonObject *object, const char *member);

/* "8086:10d3" from vendor_id/product_id ("0x8086", "0x10d3"). */
char *passctl_device_ids(JsonObject *device);
/* "020000" from class "0x020000". */
char *passctl_device_class_short(JsonObject *device);
/* "PF 4/7", "VF of 0000:02:00.0", or "-". */
char *passctl_device_sriov(JsonObject *device);
/* Owners joined with @separator, or NULL when there are none. */
char *passctl_device_owners(JsonObject *device, const char *separator);
/* The strings of array @member joined with @separator, or NULL when there are none. */
char *passctl_device_strings(JsonObject *device, const char *member, const char *separator);
/* "Vendor Product", whichever is known; for a provisional device (no names before libvirt lists
 * it) a note saying so; else NULL. */
char *passctl_device_names(JsonObject *device);
/* "network controller" for class 0x02xxxx; NULL when unknown. */
const char *passctl_class_name(JsonObject *device);

/* ---- output.c: aligned text and JSON ---- */

typedef struct _PassctlTable PassctlTable;

/* @headers: @n_columns strings, or NULL for a table without a header line. */
PassctlTable *passctl_table_new(guint n_columns, const char *const *headers);
void passctl_table_free(PassctlTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassctlTable, passctl_table_free)

/* @cells: n_columns strings; NULL cells print as "-". */
void passctl_table_add_row(PassctlTable *table, const char *const *cells);

/* Columns are separated by two spaces and padded to their widest cell (in characters); a
 * column that is empty in every row (header included) is left out. Lines carry no trailing
 * white space. @max_width > 0 cuts each line to that many characters (the last column gives
 * way); 0 never cuts. */
char *passctl_table_render(PassctlTable *table, int max_width);

/* Character count of UTF-8 @text; invalid bytes count one each. */
gsize passctl_text_width(const char *text);
/* @text cut to at most @width characters (new string). */
char *passctl_text_truncate(const char *text, gsize width);

/* Columns of the terminal on stdout; 0 when stdout is not a terminal. */
int passctl_terminal_width(void);

/* @object as JSON text plus a newline: pretty (indent 2) or compact on one line. */
char *passctl_json_to_text(JsonObject *object, gboolean pretty);
/* The same pretty text as passctl_json_to_text() gives for the parsed value of @text, read
 * straight from @length bytes of JSON already checked (pass_varlink_client_call_raw()); no
 * tree is built. A member name repeated within one object is printed each time (the tree
 * would keep one). */
char *passctl_json_indent(const char *text, gsize length);

/* ---- format-list.c ---- */

char *passctl_format_device_table(JsonArray *devices, int max_width);
/* Rooted at devices whose parent is null or not listed; VFs under their PF. @utf8 picks
 * box-drawing connectors over ASCII ones. */
char *passctl_format_device_tree(JsonArray *devices, gboolean utf8, int max_width);

/* ---- format-mdev.c ---- */

/* ListMdevTypes' types as a table (PARENT TYPE AVAILABLE API NAME). */
char *passctl_format_mdev_types(JsonArray *types, int max_width);
/* "active, persistent, autostart", "not created, persistent", "active, transient". */
char *passctl_mdev_state(JsonObject *mdev);

/* ---- format-show.c ---- */

/* @group: address -> JsonObject device of the IOMMU group mates passctl could fetch (may be
 * NULL or incomplete: unknown mates show "?" for the driver). */
char *passctl_format_device_show(JsonObject *device, GHashTable *group);

/* ---- format-status.c ---- */

char *passctl_format_status(JsonObject *status, const char *socket_path);

/* ---- format-check.c ---- */

/* CheckHost's checks: "FAIL  title" per check; under each that is not a pass, its evidence
 * and fix indented; then a count. */
char *passctl_format_checks(JsonArray *checks);
/* How many of @checks failed (NULL: none). */
guint passctl_checks_failed(JsonArray *checks);

/* ---- format-monitor.c ---- */

/* One line (with newline) for a Watch event, prefixed with @time; NULL for events that have
 * no human form ("subscribed"). */
char *passctl_format_event(JsonObject *event, const char *time);
/* HH:MM:SS in @tz of the event's "timestamp" (when passd's inventory changed); now when it has
 * none (an older passd). */
char *passctl_event_time(JsonObject *event, GTimeZone *tz);

/* ---- format-actions.c ---- */

/* One Action as a line without newline: "0000:02:00.1: nvme -> vfio-pci",
 * "0000:02:00.1: attached to vm1 (live, config)", "0000:41:00.0: 0 -> 3 VFs (autoprobe off)";
 * in the future tense with @dry_run. */
char *passctl_format_action(JsonObject *action, gboolean dry_run);
/* Every Action, one line each; with @dry_run "Would:" then numbered steps, each step's XML
 * indented below it. "nothing to do" when there are none. */
char *passctl_format_actions(JsonArray *actions, gboolean dry_run);

/* ---- format-sriov.c ---- */

/* A GetSriov reply's pfs: per PF "ADDR (driver, NUMA node N): 3 of 4 VFs, 3 kept by passd,
 * settled; autoprobe on", its message indented, then a table of its VFs. */
char *passctl_format_sriov(JsonArray *pfs);

/* ---- format-vm.c ---- */

/* A GetDomain reply: "vm1 (running, persistent)", then a table of the assignments or
 * "no host devices". */
char *passctl_format_domain(JsonObject *domain);

/* ---- format-pools.c ---- */

/* ListPools' pools: a header line per pool (name, kind, counts), its selectors and origin, and
 * a table per PF (NUMA, total, free, in use, guests). */
char *passctl_format_pools(JsonArray *pools);
/* An Attach by pool: the VFs taken (or, with @dry_run, to take), each with its reason, and the
 * NUMA note; the actions follow separately. */
char *passctl_format_picks(JsonObject *reply, gboolean dry_run);
/* GetBalance: in use and skew, the PFs, each NUMA node, and the plan when it has moves. */
char *passctl_format_balance(JsonObject *reply);
/* A plan's moves, numbered, each with its reason. */
char *passctl_format_moves(JsonArray *moves);

/* USB devices (format-usb.c): their interface drivers for the table's DRIVER column (NULL for
 * other kinds), and their lines in show, labels @label_width wide. */
char *passctl_usb_driver_cell(JsonObject *device);
void passctl_format_usb_show(GString *out, JsonObject *device, int label_width);

G_END_DECLS
