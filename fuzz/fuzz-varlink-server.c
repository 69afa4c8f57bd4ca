/* Varlink framing and dispatch as passd serves them: a real PassVarlinkServer with the service's
 * method table, in-process, on a socket in a temporary directory. The dispatcher cannot be
 * reached without a connection (a call belongs to one), so each input is one peer: connect,
 * send the input, shut the sending side down, then iterate the main context and read replies
 * until the server closes the connection, as it must once a peer has said all it will.
 *
 * Handlers: the real ones for the synchronous read methods (GetStatus, ListDevices, GetDevice,
 * GetDomain) over an inventory read from tests/data/xml; for the others (Watch, CheckHost on a
 * worker thread, the writes) a recording handler that checks the decoded arguments and
 * answers, streaming once when the call asked for "more". The peer is in the write group, so
 * write calls get as far as decoding.
 *
 * Invariants: no crash, leak, warning or hang; every reply is a strict JSON object with an
 * object "parameters"; the connection is gone afterwards. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "pass-address.h"
#include "pass-idl.h"
#include "pass-varlink-private.h"
#include "service-methods.h"
#include "xml-read.h"

#define MAX_MESSAGE 4096

static struct {
  char *dir, *path;
  PassEngine *engine;
  PassTx *tx;
  PassService *service;
  PassVarlinkServer *server;
  PassMethod *methods;
} fixture;

static void
record(PassService *service, PassVarlinkCall *call, PassRequest *request, const PassArgs *args)
{
  g_autoptr(JsonObject) reply = json_object_new();

  if (args->address) {
    /* Any kind: the PCI-only methods' addresses are device ids too. */
    fuzz_check_canonical_id(args->address);
    json_object_set_string_member(reply, "address", args->address);
  }
  if (args->domain)
    json_object_set_string_member(reply, "domain", args->domain);
  /* Detach without a timeout decodes to the default marker, not to 0. */
  FUZZ_CHECK(args->timeout == PASS_ARGS_TIMEOUT_DEFAULT ||
             (args->timeout >= 0 && args->timeout <= 24 * 3600));
  json_object_set_int_member(reply, "flags", args->flags);
  json_object_set_int_member(reply, "timeout", args->timeout);
  if (pass_varlink_call_wants_more(call))
    pass_varlink_call_reply_continues(call, reply);
  pass_varlink_call_reply(call, reply);
}

static char *
load(const char *name)
{
  g_autofree char *path = g_build_filename(FUZZ_XML_DIR, name, NULL);
  char *text = NULL;

  FUZZ_CHECK(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

static void
load_inventory(void)
{
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func((GDestroyNotify)pass_device_unref);
  g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func((GDestroyNotify)pass_domain_unref);
  g_autoptr(GDir) dir = g_dir_open(FUZZ_XML_DIR, 0, NULL);
  const char *name;

  FUZZ_CHECK(dir != NULL);
  while ((name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *xml = load(name);
    if (g_str_has_prefix(name, "nodedev-")) {
      PassDevice *device = pass_xml_read_nodedev(xml, NULL);
      if (device)
        g_ptr_array_add(devices, device);
    } else if (g_str_has_prefix(name, "domain-")) {
      g_autofree char *vm = g_strndup(name + 7, strlen(name) - 11);
      PassDomain *domain = pass_domain_new(vm);
      domain->active = g_str_equal(vm, "live");
      domain->persistent = TRUE;
      domain->state = domain->active ? PASS_DOMAIN_STATE_RUNNING : PASS_DOMAIN_STATE_SHUTOFF;
      pass_xml_read_domain_hostdevs(xml, domain->active ? PASS_HOSTDEV_LIVE : PASS_HOSTDEV_CONFIG,
                                    domain, NULL);
      g_ptr_array_add(domains, domain);
    }
  }
  pass_engine_set_connected(fixture.engine, TRUE, NULL);
  pass_engine_reset(fixture.engine, devices, domains);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  static const char *const real[] = {"GetStatus", "ListDevices", "GetDevice", "GetDomain"};

  fuzz_quiet_logs();
  fixture.dir = g_dir_make_tmp("passd-fuzz-XXXXXX", NULL);
  FUZZ_CHECK(fixture.dir != NULL);
  fixture.path = g_build_filename(fixture.dir, "sock", NULL);
  fixture.engine = pass_engine_new();
  fixture.tx = pass_tx_new(fixture.engine);
  fixture.service = pass_service_new(fixture.engine, fixture.tx, "test:///fuzz");
  pass_service_set_write_group(fixture.service, getgid());
  fixture.server = pass_varlink_server_new("passd", "passd", "0", "https://example.org");
  pass_varlink_server_set_limits(fixture.server, MAX_MESSAGE, 8);

  fixture.methods = g_memdup2(pass_service_methods, pass_service_n_methods * sizeof(PassMethod));
  for (guint i = 0; i < pass_service_n_methods; i++) {
    gboolean keep = FALSE;
    for (guint j = 0; j < G_N_ELEMENTS(real); j++)
      keep |= g_str_equal(fixture.methods[i].name, real[j]);
    if (!keep)
      fixture.methods[i].func = record;
  }
  FUZZ_CHECK(pass_varlink_server_add_interface(fixture.server, pass_idl_manager, NULL));
  pass_service_register_methods(fixture.service, fixture.server, fixture.methods,
                                pass_service_n_methods);
  FUZZ_CHECK(pass_varlink_server_listen_path(fixture.server, fixture.path, NULL));
  load_inventory();
  return 0;
}

/* Reads what is there; FALSE at end of stream. Complete replies are checked. */
static gboolean
drain(int fd, PassVarlinkInput *replies)
{
  for (;;) {
    guint8 *room = pass_varlink_input_reserve(replies, 65536);
    ssize_t n = recv(fd, room, 65536, MSG_DONTWAIT);
    pass_varlink_input_commit(replies, 65536, n > 0 ? (gsize)n : 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET))
      return FALSE;
    if (n < 0) {
      FUZZ_CHECK(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
      return TRUE;
    }
    for (;;) {
      const char *text;
      gsize length;
      PassJsonMember parameters = {"parameters"};

      FUZZ_CHECK(pass_varlink_input_next(replies, &text, &length, NULL));
      if (text == NULL)
        break;
      FUZZ_CHECK(pass_varlink_message_check(text, length, &parameters, 1, NULL, NULL));
      FUZZ_CHECK(parameters.value != NULL && parameters.value[0] == '{');
    }
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  PassVarlinkInput replies;
  gsize sent = 0;

  FUZZ_CHECK(fd >= 0);
  g_strlcpy(address.sun_path, fixture.path, sizeof address.sun_path);
  FUZZ_CHECK(connect(fd, (struct sockaddr *)&address, sizeof address) == 0);
  FUZZ_CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
  /* Replies can be larger than any message (a device list), and nothing is limited here. */
  pass_varlink_input_init(&replies, G_MAXSIZE);

  gboolean open = TRUE;
  while (sent < size && open) {
    ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += (gsize)n;
      continue;
    }
    /* A full socket, or the server already dropped us for a bad message. */
    FUZZ_CHECK(errno == EAGAIN || errno == EWOULDBLOCK || errno == EPIPE || errno == ECONNRESET);
    if (errno == EPIPE || errno == ECONNRESET)
      break;
    while (g_main_context_iteration(NULL, FALSE))
      ;
    open = drain(fd, &replies);
  }
  shutdown(fd, SHUT_WR);
  while (open) {
    open = drain(fd, &replies);
    if (open)
      g_main_context_iteration(NULL, TRUE);
  }
  /* The server closed its side: nothing of the connection is left. */
  while (g_main_context_iteration(NULL, FALSE))
    ;
  FUZZ_CHECK(pass_varlink_server_get_n_connections(fixture.server) == 0);
  close(fd);
  pass_varlink_input_clear(&replies);
  return 0;
}
