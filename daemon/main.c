/* passd: wiring only. PassVirt (libvirt) feeds PassEngine (the picture); PassTx (transactions)
 * watches it and acts through the backend (libvirt + sysfs); PassService serves both on varlink. */
#define G_LOG_DOMAIN "passd"

#include <errno.h>
#include <glib-unix.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "backend.h"
#include "config-file.h"
#include "engine.h"
#include "host-doctor.h"
#include "host-pci.h"
#include "host-usb.h"
#include "journal.h"
#include "pass-config.h"
#include "pass-varlink.h"
#include "pools-file.h"
#include "service.h"
#include "tx-pool.h"
#include "tx.h"
#include "virt.h"

/* systemd kills a service that is not ready in time; a slow first inventory must not do that. */
#define READY_TIMEOUT_SECONDS 15
/* The descriptors passd needs besides its connections (libvirt, the listener, uevents, logs). */
#define FDS_BESIDES_CONNECTIONS 32

/* RemovalTimeout and Detach's timeout parameter take the same values. */
G_STATIC_ASSERT((gint64)PASS_CONFIG_MAX_REMOVAL_TIMEOUT * 1000 == PASS_TX_MAX_REMOVAL_TIMEOUT_MS);

/* What the configuration file and the command line set up for the server, the service and
 * the transactions. */
typedef struct {
  const char *uri, *socket_path, *host_root;
  const char *state_dir; /* passd's own files: the intent journal, desired VF counts */
  const char *pools_dir; /* the administrator's pool definitions */
  gid_t write_group;     /* PASS_AUTHZ_NO_GROUP: none */
  mode_t socket_mode;
  gboolean socket_mode_given;
  guint max_connections, max_connections_per_uid;
  guint removal_timeout_ms;
  guint reask_interval_ms;
  const char *const *protected_devices; /* NULL: none */
  char *protected_why;                  /* where they are listed */
} Options;

typedef struct {
  GMainLoop *loop;
  PassEngine *engine;
  PassTx *tx;
  PassVarlinkServer *server;
  const char *uri;
  gboolean ready_sent;
  guint ready_timeout_id;
  int activation_fd;  /* the service manager's socket, served once ready; -1: none (or served) */
  gboolean failed;    /* could not serve it: exit with a failure */
  gboolean reapplied; /* the recorded VF counts were set again after the first snapshot */
  PassHost *host;     /* sysfs: what libvirt does not say about USB devices */
  /* PCI functions the kernel removed and libvirt has not (yet): its re-reads of them from
   * before the removal are stale */
  GHashTable *kernel_removed;
  GHashTable *kernel_added; /* address -> the source of its pending sysfs read */
} Daemon;

/* ---- logging ---- */

static GLogWriterOutput
log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  gboolean journal = GPOINTER_TO_INT(user_data);
  const char *domain = NULL;

  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal(fields[i].key, "GLIB_DOMAIN")) {
      domain = fields[i].value;
      break;
    }
  }
  /* Debug and info only with --verbose or G_MESSAGES_DEBUG, as GLib's default writer does. */
  if (g_log_writer_default_would_drop(level, domain))
    return G_LOG_WRITER_HANDLED;
  if (journal && g_log_writer_journald(level, fields, n_fields, NULL) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_standard_streams(level, fields, n_fields, NULL);
}

static void
setup_logging(gboolean verbose)
{
  /* Only when stderr really is a journal stream: a test harness capturing stderr must see it. */
  gboolean journal = g_log_writer_is_journald(STDERR_FILENO);

  if (verbose)
    g_log_set_debug_enabled(TRUE);
  g_log_writer_default_set_use_stderr(TRUE); /* stdout stays empty */
  g_log_set_writer_func(log_writer, GINT_TO_POINTER(journal), NULL);
}

/* ---- sd_notify ---- */

/* A socket-activated passd accepts once ready: the client whose connection started it waits in
 * the socket's backlog for the inventory instead of being told "not connected to libvirt yet".
 * Without libvirt it is served at the ready timeout, as systemd is told. */
static void
serve_activation_socket(Daemon *daemon)
{
  g_autoptr(GError) error = NULL;
  int fd = daemon->activation_fd;

  if (fd < 0)
    return;
  daemon->activation_fd = -1;
  if (!pass_varlink_server_listen_fd(daemon->server, fd, &error)) {
    g_printerr("passd: cannot serve the socket passed by the service manager: %s\n",
               error->message);
    daemon->failed = TRUE;
    g_main_loop_quit(daemon->loop);
  }
}

static void
notify_status(Daemon *daemon, const char *status)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf("%sSTATUS=%s", daemon->ready_sent ? "" : "READY=1\n", status);
  daemon->ready_sent = TRUE;
  g_clear_handle_id(&daemon->ready_timeout_id, g_source_remove);
  serve_activation_socket(daemon);
  g_debug("sd_notify: %s", text);
  sd_notify(0, text);
}

static gboolean
ready_timeout(gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autofree char *status = g_strdup_printf("waiting for libvirt at %s", daemon->uri);

  daemon->ready_timeout_id = 0;
  notify_status(daemon, status);
  return G_SOURCE_REMOVE;
}

/* ---- PassVirt -> engine ---- */

static void
on_connection_changed(gboolean connected, const char *message, gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autofree char *status = NULL;

  g_debug("libvirt at %s: %s%s%s", daemon->uri, connected ? "connected" : "disconnected",
          message ? ": " : "", message ? message : "");
  /* Connected only counts once the snapshot that follows is loaded (see on_snapshot), so a
   * client that sees "connected" also sees the inventory. READY waits for it as well. */
  if (connected) {
    if (daemon->ready_sent)
      sd_notifyf(0, "STATUS=connected to %s, reading the inventory", daemon->uri);
    return;
  }
  pass_engine_set_connected(daemon->engine, FALSE, message);
  /* The reason is in the log already (PassVirt logs it). */
  status = g_strdup_printf("waiting for libvirt at %s", daemon->uri);
  notify_status(daemon, status);
}

/* A USB device fresh from libvirt, not shared yet: sysfs adds class, speed, interface drivers. */
static void
fill_usb(Daemon *daemon, PassDevice *device)
{
  if (device->usb != NULL && daemon->host != NULL)
    pass_host_usb_fill(daemon->host, device->usb);
}

static void
on_snapshot(GPtrArray *devices, GPtrArray *domains, gpointer user_data)
{
  Daemon *daemon = user_data;
  g_autofree char *status = NULL;

  for (guint i = 0; i < devices->len; i++)
    fill_usb(daemon, g_ptr_array_index(devices, i));
  g_hash_table_remove_all(daemon->kernel_removed);
  pass_engine_reset(daemon->engine, devices, domains);
  pass_engine_set_connected(daemon->engine, TRUE, NULL);
  /* Before any request from a client can run: operations a crash or a lost libvirt left
   * half-way are finished or undone against this fresh picture (clients' writes wait). */
  pass_tx_recover(daemon->tx);
  status = g_strdup_printf("%u devices, connected to %s", pass_engine_get_n_devices(daemon->engine),
                           daemon->uri);
  notify_status(daemon, status);
  /* After a host reboot the PFs have no VFs: set the recorded counts again, once. */
  if (!daemon->reapplied) {
    daemon->reapplied = TRUE;
    pass_tx_sriov_reapply(daemon->tx);
  }
  /* Reading the snapshot (libvirt's XML, its parse trees) leaves megabytes of freed heap in
   * the worker's arena; give it back rather than keep it as resident memory. */
  malloc_trim(0);
}

static void
on_device_changed(PassDevice *device, gpointer user_data)
{
  Daemon *daemon = user_data;

  if (g_hash_table_contains(daemon->kernel_removed, device->address)) {
    g_debug("%s: libvirt's reading comes after the kernel removed it; ignored", device->address);
    return;
  }
  fill_usb(daemon, device);
  pass_engine_device_changed(daemon->engine, device);
}

static void
on_device_removed(const char *address, gpointer user_data)
{
  Daemon *daemon = user_data;
  PassDevice *device = pass_engine_lookup_device(daemon->engine, address);

  g_hash_table_remove(daemon->kernel_removed, address); /* libvirt has caught up */
  /* libvirt not finding a device it has not listed yet (its re-read after the new function's
   * driver bound) removes nothing: sysfs has the news meanwhile. */
  if (device != NULL && device->provisional && daemon->host != NULL) {
    g_autoptr(PassDevice) now = pass_host_read_pci_device(daemon->host, address);

    if (now != NULL) {
      pass_engine_device_changed(daemon->engine, now);
      return;
    }
  }
  pass_engine_device_removed(daemon->engine, address);
}

static void
on_domain_changed(PassDomain *domain, gpointer user_data)
{
  Daemon *daemon = user_data;

  pass_engine_domain_changed(daemon->engine, domain);
}

static void
on_domain_removed(const char *name, gpointer user_data)
{
  Daemon *daemon = user_data;

  pass_engine_domain_removed(daemon->engine, name);
}

static void
on_domain_device_removed(const char *domain, const char *alias, gboolean failed, gpointer user_data)
{
  Daemon *daemon = user_data;

  /* Completes a Detach waiting for the guest (or one left pending). */
  pass_tx_device_removal(daemon->tx, domain, alias, failed);
}

static void
on_domain_rebooted(const char *domain, gpointer user_data)
{
  Daemon *daemon = user_data;

  /* A reset guest forgets an unplug it was asked for: ask again once it is up. */
  pass_tx_domain_rebooted(daemon->tx, domain);
}

/* A PCI function the kernel just added (a new VF, say) is shown at once, read from sysfs, until
 * libvirt's own reading replaces it: libvirt learns of it only after udevd, which on a loaded
 * host takes seconds. Nothing takes a provisional device (tx refuses it). A snapshot (a
 * reconnect) drops one libvirt does not list yet; its event brings it back. "At once" is a
 * moment later: the kernel announces a new VF before it links it to its PF (the physfn link
 * comes right after the "add" uevent; the lab caught a VF without it). */
#define KERNEL_ADD_READ_DELAY_MS 100

typedef struct {
  Daemon *daemon;
  char *address;
} KernelAdd;

static void
kernel_add_free(gpointer data)
{
  KernelAdd *add = data;

  g_free(add->address);
  g_free(add);
}

static gboolean
kernel_add_read(gpointer data)
{
  KernelAdd *add = data;
  Daemon *daemon = add->daemon;
  g_autoptr(PassDevice) device = NULL;

  g_hash_table_remove(daemon->kernel_added, add->address);
  if (!pass_engine_has_inventory(daemon->engine) ||
      pass_engine_lookup_device(daemon->engine, add->address) != NULL)
    return G_SOURCE_REMOVE;
  device = pass_host_read_pci_device(daemon->host, add->address);
  if (device != NULL)
    pass_engine_device_changed(daemon->engine, device);
  return G_SOURCE_REMOVE;
}

static void
on_kernel_device_added(const char *address, gpointer user_data)
{
  Daemon *daemon = user_data;
  KernelAdd *add;
  guint id;

  g_hash_table_remove(daemon->kernel_removed, address); /* back: libvirt's news are fresh */
  if (daemon->host == NULL || g_hash_table_contains(daemon->kernel_added, address))
    return;
  add = g_new0(KernelAdd, 1);
  add->daemon = daemon;
  add->address = g_strdup(address);
  id = g_timeout_add_full(G_PRIORITY_DEFAULT, KERNEL_ADD_READ_DELAY_MS, kernel_add_read, add,
                          kernel_add_free);
  g_hash_table_insert(daemon->kernel_added, g_strdup(address), GUINT_TO_POINTER(id));
}

static void
kernel_added_cancel(Daemon *daemon, const char *address)
{
  guint id = GPOINTER_TO_UINT(g_hash_table_lookup(daemon->kernel_added, address));

  if (id != 0) {
    g_hash_table_remove(daemon->kernel_added, address);
    g_source_remove(id);
  }
}

/* The kernel removed a PCI function: so does the inventory, ahead of libvirt's event (which
 * then finds nothing to remove; for one libvirt never listed none comes). Until libvirt has
 * caught up, its readings of the function are older than the removal. */
static void
on_kernel_device_removed(const char *address, gpointer user_data)
{
  Daemon *daemon = user_data;

  kernel_added_cancel(daemon, address);
  g_hash_table_add(daemon->kernel_removed, g_strdup(address));
  pass_engine_device_removed(daemon->engine, address);
}

static const PassVirtCallbacks virt_callbacks = {
    .connection_changed = on_connection_changed,
    .snapshot = on_snapshot,
    .device_changed = on_device_changed,
    .device_removed = on_device_removed,
    .domain_changed = on_domain_changed,
    .domain_removed = on_domain_removed,
    .domain_device_removed = on_domain_device_removed,
    .domain_rebooted = on_domain_rebooted,
    .kernel_device_added = on_kernel_device_added,
    .kernel_device_removed = on_kernel_device_removed,
};

/* ---- the host doctor ---- */

/* CheckHost's probes, on the service's worker thread: host/ reads, the service decides when.
 * @data is the root (it lives as long as the process); each run has a PassHost of its own, so
 * a run still going at shutdown never reads a freed one. */
static void
run_doctor(const char *address, GPtrArray *checks, gpointer data)
{
  g_autoptr(PassHost) host = pass_host_new(data);

  pass_host_doctor_host(host, checks);
  if (address != NULL)
    pass_host_doctor_device(host, address, checks);
}

/* ---- pools ---- */

/* The pools: those of the files in the pools directory, then those defined at run time (in
 * the state directory). A bad pool is logged (file:line: key: why) and left out; the others are
 * served. */
static GPtrArray *
load_pools(const Options *options, const char *run_time_file)
{
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func((GDestroyNotify)g_error_free);
  GPtrArray *pools = pass_pools_load_directory(options->pools_dir, errors);
  g_autoptr(GPtrArray) run_time =
      pass_pools_load_file(run_time_file, PASS_POOL_ORIGIN_RUN_TIME, errors);

  pass_pools_merge(pools, run_time, errors);
  for (guint i = 0; i < errors->len; i++)
    g_warning("pool left out: %s", ((GError *)g_ptr_array_index(errors, i))->message);
  g_message("%u pools (from %s and %s)", pools->len, options->pools_dir, run_time_file);
  return pools;
}

/* DefinePool and UndefinePool save through this: config/ writes the file. */
static gboolean
save_pools(GPtrArray *run_time_pools, gpointer data, GError **error)
{
  return pass_pools_save(data, run_time_pools, error);
}

/* ---- socket ---- */

/* Listens on options->socket_path; or, under socket activation, checks the service manager's
 * socket and leaves it in *@activation_fd for serve_activation_socket. */
static gboolean
listen_socket(PassVarlinkServer *server, const Options *options, int *activation_fd, GError **error)
{
  int n = sd_listen_fds(TRUE);

  if (n < 0) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(-n), "sd_listen_fds: %s", g_strerror(-n));
    return FALSE;
  }
  if (n == 0) {
    pass_varlink_server_set_socket_access(server, options->socket_mode, options->write_group);
    if (!pass_varlink_server_listen_path(server, options->socket_path, error))
      return FALSE;
    g_debug("listening on %s (mode %04o)", options->socket_path, (unsigned)options->socket_mode);
    return TRUE;
  }
  /* The service manager made the socket: its unit says who may open it. --group still
   * decides who may write (passd.service passes it), so only an ignored --socket-mode is worth
   * a word. */
  if (options->socket_mode_given)
    g_message("the socket passed by the service manager keeps its own mode and group "
              "(SocketMode=, SocketGroup=)");
  if (n > 1)
    g_warning("%d sockets passed by the service manager; using the first", n);
  if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "the socket passed by the service manager is not a listening unix stream "
                "socket");
    return FALSE;
  }
  g_debug("serving the socket passed by the service manager once ready");
  *activation_fd = SD_LISTEN_FDS_START;
  return TRUE;
}

static gboolean
on_quit_signal(gpointer user_data)
{
  Daemon *daemon = user_data;

  g_message("shutting down");
  g_main_loop_quit(daemon->loop);
  return G_SOURCE_CONTINUE;
}

/* ---- main ---- */

static int
run(const Options *options)
{
  g_autoptr(GError) error = NULL;
  const char *uri = options->uri;
  Daemon daemon = {.uri = uri, .activation_fd = -1};
  PassVarlinkServer *server = NULL;
  PassService *service = NULL;
  PassVirt *virt = NULL;
  PassHost *host = NULL;
  PassJournal *journal = NULL;
  g_autofree char *pools_file = g_build_filename(options->state_dir, PASS_POOLS_STATE_FILE, NULL);
  g_autoptr(GPtrArray) pools = NULL;
  g_autoptr(GArray) cpu_nodes = NULL;
  guint sigterm_id = 0, sigint_id = 0;
  int status = EXIT_FAILURE;

  daemon.loop = g_main_loop_new(NULL, FALSE);
  daemon.engine = pass_engine_new();
  daemon.kernel_removed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  daemon.kernel_added = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  daemon.tx = pass_tx_new(daemon.engine);
  /* Nothing is served without the journal: a write passd could not record could not be
   * recovered after a crash. */
  journal = pass_journal_open(options->state_dir, &error);
  if (!journal) {
    g_printerr("passd: %s\n", error->message);
    goto out;
  }
  pass_tx_set_journal(daemon.tx, g_steal_pointer(&journal));
  pass_tx_set_removal_timeout(daemon.tx, options->removal_timeout_ms);
  pass_tx_set_reask_delay(daemon.tx, options->reask_interval_ms);
  pass_tx_set_protected(daemon.tx, options->protected_devices, options->protected_why);
  if (!pass_tx_set_state_dir(daemon.tx, options->state_dir, &error)) {
    /* Not fatal: passd serves, it just has no recorded VF counts to re-apply. */
    g_warning("%s", error->message);
    g_clear_error(&error);
  }
  service = pass_service_new(daemon.engine, daemon.tx, uri);
  pass_service_set_write_group(service, options->write_group);
  pools = load_pools(options, pools_file);
  pass_service_set_pools(service, pools, save_pools, pools_file, pools_file);
  server = pass_varlink_server_new("passd", "passd", PASS_VERSION,
                                   "file:///usr/share/doc/passd/README.md");
  daemon.server = server;
  pass_varlink_server_set_limits(server, PASS_VARLINK_DEFAULT_MAX_MESSAGE,
                                 options->max_connections);
  pass_varlink_server_set_max_connections_per_uid(server, options->max_connections_per_uid);
  sigterm_id = g_unix_signal_add(SIGTERM, on_quit_signal, &daemon);
  sigint_id = g_unix_signal_add(SIGINT, on_quit_signal, &daemon);

  if (!pass_service_register(service, server, &error) ||
      !listen_socket(server, options, &daemon.activation_fd, &error)) {
    g_printerr("passd: %s\n", error->message);
    goto out;
  }

  virt = pass_virt_new(uri, &virt_callbacks, &daemon);
  host = pass_host_new(options->host_root);
  daemon.host = host;
  /* Domains pinned by CPU have NUMA nodes for pool attaches. */
  cpu_nodes = pass_host_read_cpu_nodes(host);
  pass_tx_set_cpu_nodes(daemon.tx, cpu_nodes);
  pass_service_set_doctor(service, run_doctor, (gpointer)options->host_root);
  pass_tx_set_ops(daemon.tx, pass_backend_new(virt, host));
  pass_virt_start(virt);
  daemon.ready_timeout_id = g_timeout_add_seconds(READY_TIMEOUT_SECONDS, ready_timeout, &daemon);
  g_message("passd %s serving, libvirt at %s", PASS_VERSION, uri);

  g_main_loop_run(daemon.loop);
  sd_notify(0, "STOPPING=1");
  status = daemon.failed ? EXIT_FAILURE : EXIT_SUCCESS;

out:
  /* Callbacks stop with virt; subscribers go with the service before their server. */
  g_clear_pointer(&virt, pass_virt_free);
  /* The ops borrow virt and host: drop them with the transactions first. */
  pass_tx_set_ops(daemon.tx, NULL);
  g_clear_pointer(&host, pass_host_free);
  g_clear_handle_id(&daemon.ready_timeout_id, g_source_remove);
  g_clear_handle_id(&sigterm_id, g_source_remove);
  g_clear_handle_id(&sigint_id, g_source_remove);
  pass_service_free(service);
  pass_varlink_server_free(server); /* removes the socket file it created */
  pass_tx_free(daemon.tx);
  pass_engine_free(daemon.engine);
  g_hash_table_unref(daemon.kernel_removed);
  {
    g_autofree char **pending = (char **)g_hash_table_get_keys_as_array(daemon.kernel_added, NULL);

    for (guint i = 0; pending[i] != NULL; i++)
      kernel_added_cancel(&daemon, pending[i]);
  }
  g_hash_table_unref(daemon.kernel_added);
  g_main_loop_unref(daemon.loop);
  return status;
}

/* ---- options ---- */

/* @text as a number in [@min, @max] of @base; FALSE (printed) otherwise. */
static gboolean
parse_number(const char *option, const char *text, guint base, guint64 min, guint64 max,
             guint64 *out)
{
  g_autoptr(GError) error = NULL;

  if (g_ascii_string_to_unsigned(text, base, min, max, out, &error))
    return TRUE;
  g_printerr("passd: --%s: %s\n", option, error->message);
  return FALSE;
}

/* Every connection is a descriptor: refuse a cap the process could never reach. */
static gboolean
check_fd_limit(guint max_connections)
{
  struct rlimit limit;

  if (getrlimit(RLIMIT_NOFILE, &limit) < 0 || limit.rlim_cur == RLIM_INFINITY ||
      limit.rlim_cur >= (rlim_t)max_connections + FDS_BESIDES_CONNECTIONS)
    return TRUE;
  g_printerr("passd: --max-connections %u needs more file descriptors than the limit of %llu "
             "(ulimit -n; LimitNOFILE= under systemd)\n",
             max_connections, (unsigned long long)limit.rlim_cur);
  return FALSE;
}

int
main(int argc, char **argv)
{
  g_autofree char *uri = NULL, *socket_path = NULL, *host_root = NULL;
  g_autofree char *group = NULL, *socket_mode = NULL, *max_connections = NULL;
  g_autofree char *max_per_uid = NULL, *config_path = NULL, *protected_why = NULL;
  g_autofree char *state_dir = NULL, *pools_dir = NULL;
  gboolean verbose = FALSE, version = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(PassConfig) config = NULL;
  g_autoptr(PassConfig) command_line = pass_config_new();
  Options options = {.write_group = PASS_AUTHZ_NO_GROUP};
  guint64 number;
  const GOptionEntry entries[] = {
      {"config", 0, 0, G_OPTION_ARG_FILENAME, &config_path,
       "Configuration file (default: " PASS_CONFIG_DEFAULT_PATH ", which may be missing); the "
       "options override it",
       "FILE"},
      {"connect", 'c', 0, G_OPTION_ARG_STRING, &uri,
       "libvirt connection URI (default: " PASS_DEFAULT_URI ")", "URI"},
      {"socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
       "Varlink socket to listen on unless socket-activated (default: " PASS_DEFAULT_SOCKET ")",
       "PATH"},
      {"group", 'g', 0, G_OPTION_ARG_STRING, &group,
       "Members of GROUP may also attach, detach and reattach (default: only root); the socket "
       "file becomes root:GROUP, mode 0660",
       "GROUP"},
      {"socket-mode", 0, 0, G_OPTION_ARG_STRING, &socket_mode,
       "Octal mode of the socket file passd creates (default: 0600, 0660 with --group); who can "
       "open it may read",
       "MODE"},
      {"max-connections", 0, 0, G_OPTION_ARG_STRING, &max_connections,
       "Clients connected at once, 1 to 4096 (default: 256)", "N"},
      {"max-connections-per-uid", 0, 0, G_OPTION_ARG_STRING, &max_per_uid,
       "Clients connected at once with the same uid, 1 to 4096 (default: 32)", "N"},
      {"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
       "Directory of passd's own state: the journal of operations and of the devices passd "
       "took, desired VF counts (default: " PASS_CONFIG_DEFAULT_STATE_DIRECTORY ")",
       "DIR"},
      {"pools-dir", 0, 0, G_OPTION_ARG_FILENAME, &pools_dir,
       "Directory of pool definitions, NAME.conf each (default: " PASS_POOLS_DEFAULT_DIRECTORY ")",
       "DIR"},
      {"host-root", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &host_root,
       "Directory standing for / when checking which devices the host needs (for tests "
       "against libvirt's test driver; default: /)",
       "DIR"},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log debug messages", NULL},
      {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
      {NULL},
  };
  /* Each thread that allocates (libvirt's event thread, the worker pool) would otherwise get
   * an arena of its own, each holding on to its freed memory. passd's threads do little
   * allocation at once, so two arenas cost no contention worth having. A fixed mmap threshold
   * (glibc raises it as large blocks are freed) keeps megabyte replies out of the heap, so
   * their memory goes back to the system when the connection that needed them closes. */
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);

  context = g_option_context_new("- PCI passthrough daemon for libvirt/KVM hosts");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    g_printerr("passd: %s\n", error->message);
    return 2;
  }
  if (argc > 1) {
    g_printerr("passd: unexpected argument '%s'\n", argv[1]);
    return 2;
  }
  if (version) {
#ifdef PASS_FAULT_INJECTION
    g_print("passd %s (fault injection: PASSD_FAULT)\n", PASS_VERSION);
#else
    g_print("passd %s\n", PASS_VERSION);
#endif
    return EXIT_SUCCESS;
  }

  /* The file first: a bad one is an error even where the options would override it. */
  config = pass_config_load(config_path ? config_path : PASS_CONFIG_DEFAULT_PATH,
                            config_path != NULL, &error);
  if (!config) {
    g_printerr("passd: %s\n", error->message);
    return 2;
  }
  if (host_root && !g_path_is_absolute(host_root)) {
    g_printerr("passd: --host-root needs an absolute path\n");
    return 2;
  }
  if (state_dir && !g_path_is_absolute(state_dir)) {
    g_printerr("passd: --state-dir needs an absolute path\n");
    return 2;
  }
  command_line->connect = g_strdup(uri);
  if (pools_dir && !g_path_is_absolute(pools_dir)) {
    g_printerr("passd: --pools-dir needs an absolute path\n");
    return 2;
  }
  command_line->state_directory = g_strdup(state_dir);
  command_line->pools_directory = g_strdup(pools_dir);
  command_line->socket = g_strdup(socket_path);
  if (group) {
    if (!pass_config_lookup_group(group, &command_line->group_id, &error)) {
      g_printerr("passd: --group: %s\n", error->message);
      return 2;
    }
    command_line->group = g_strdup(group);
  }
  if (socket_mode) {
    if (!g_ascii_string_to_unsigned(socket_mode, 8, 0, 0777, &number, NULL)) {
      g_printerr("passd: --socket-mode: '%s' is not an octal mode from 0 to 0777\n", socket_mode);
      return 2;
    }
    command_line->socket_mode = (int)number;
  }
  if (max_connections) {
    if (!parse_number("max-connections", max_connections, 10, 1, PASS_CONFIG_MAX_CONNECTIONS,
                      &number))
      return 2;
    command_line->max_connections = (int)number;
  }
  if (max_per_uid) {
    if (!parse_number("max-connections-per-uid", max_per_uid, 10, 1, PASS_CONFIG_MAX_CONNECTIONS,
                      &number))
      return 2;
    command_line->max_connections_per_uid = (int)number;
  }
  if (verbose)
    command_line->verbose = TRUE;
  pass_config_override(config, command_line);

  setup_logging(config->verbose == TRUE);
  /* A subscriber that vanishes mid-write must not kill the daemon. */
  signal(SIGPIPE, SIG_IGN);
  if (config->group)
    options.write_group = config->group_id;
  options.socket_mode = config->group ? 0660 : 0600;
  if (config->socket_mode >= 0) {
    options.socket_mode = (mode_t)config->socket_mode;
    options.socket_mode_given = TRUE;
  }
  options.max_connections = config->max_connections > 0 ? (guint)config->max_connections
                                                        : PASS_VARLINK_DEFAULT_MAX_CONNECTIONS;
  options.max_connections_per_uid = config->max_connections_per_uid > 0
                                        ? (guint)config->max_connections_per_uid
                                        : PASS_VARLINK_DEFAULT_MAX_CONNECTIONS_PER_UID;
  if (!check_fd_limit(options.max_connections))
    return 2;
  options.removal_timeout_ms = config->removal_timeout >= 0 ? (guint)config->removal_timeout * 1000
                                                            : PASS_TX_DEFAULT_REMOVAL_TIMEOUT_MS;
  options.reask_interval_ms = config->reask_interval > 0 ? (guint)config->reask_interval * 1000
                                                         : PASS_TX_DEFAULT_REASK_DELAY_MS;
  options.protected_devices = (const char *const *)config->protected_devices;
  if (config->protected_devices)
    options.protected_why = protected_why =
        g_strdup_printf("listed in ProtectedDevices in %s", config->path);
  options.uri = config->connect ? config->connect : PASS_DEFAULT_URI;
  options.socket_path = config->socket ? config->socket : PASS_DEFAULT_SOCKET;
  options.host_root = host_root ? host_root : "/";
  options.state_dir =
      config->state_directory ? config->state_directory : PASS_CONFIG_DEFAULT_STATE_DIRECTORY;
  options.pools_dir =
      config->pools_directory ? config->pools_directory : PASS_POOLS_DEFAULT_DIRECTORY;
  g_debug("configuration: %s; Detach waits %u s by default, asks again every %u s after a "
          "reset; %u devices in ProtectedDevices; state in %s",
          config->path ? config->path : "no file", options.removal_timeout_ms / 1000,
          options.reask_interval_ms / 1000,
          config->protected_devices ? g_strv_length(config->protected_devices) : 0,
          options.state_dir);
  return run(&options);
}
