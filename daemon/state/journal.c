/* The append-only intent journal (see journal.h). */
#define G_LOG_DOMAIN "passd"

#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state-file.h"

#define JOURNAL_NAME "journal"

struct _PassJournal {
  GMutex lock;
  char *path;
  int fd;     /* O_APPEND */
  int dir_fd; /* flock()ed: one passd a state directory (the file itself is replaced) */
  GPtrArray *loaded;
  guint64 next_seq;
  guint n_appended;
};

static gboolean
fail_errno(GError **error, int errsv, const char *what, const char *path)
{
  g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errsv), "%s %s: %s", what, path,
              g_strerror(errsv));
  return FALSE;
}

static char *
record_line(JsonObject *record)
{
  g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), record);
  g_autofree char *text = json_to_string(node, FALSE);

  return g_strconcat(text, "\n", NULL);
}

/* One line of the file as a record; NULL when it is not one. */
static JsonObject *
parse_line(const char *line, gsize length, guint64 *seq, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonNode *root;
  JsonObject *object;
  JsonNode *seq_node;

  if (!json_parser_load_from_data(parser, line, (gssize)length, error))
    return NULL;
  root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a JSON object");
    return NULL;
  }
  object = json_node_get_object(root);
  seq_node = json_object_get_member(object, "seq");
  if (!seq_node || json_node_get_value_type(seq_node) != G_TYPE_INT64 ||
      json_node_get_int(seq_node) <= 0 || !json_object_has_member(object, "type")) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no \"seq\" or \"type\"");
    return NULL;
  }
  *seq = (guint64)json_node_get_int(seq_node);
  return json_object_ref(object);
}

static gboolean
load(PassJournal *journal, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length, start = 0;
  guint line_number = 0;

  if (!g_file_get_contents(journal->path, &contents, &length, error))
    return FALSE;
  while (start < length) {
    const char *line = contents + start;
    const char *newline = memchr(line, '\n', length - start);
    gsize line_length = newline ? (gsize)(newline - line) : length - start;
    g_autoptr(GError) local = NULL;
    guint64 seq = 0;
    JsonObject *record;

    line_number++;
    /* An append cut short by a crash (even one that lost only its newline: the next append
     * would be glued to it): the caller never acted on it. */
    record = newline ? parse_line(line, line_length, &seq, &local) : NULL;
    if (!record || seq < journal->next_seq) {
      if (!newline) {
        g_message("%s:%u: dropping a record cut short by a crash (%s)", journal->path, line_number,
                  local ? local->message : "out of order");
        if (ftruncate(journal->fd, (off_t)start) < 0)
          return fail_errno(error, errno, "cannot truncate", journal->path);
        g_clear_pointer(&record, json_object_unref);
        break;
      }
      g_clear_pointer(&record, json_object_unref);
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "%s:%u: not a journal record (%s); move the file aside to start without it",
                  journal->path, line_number, local ? local->message : "sequence goes back");
      return FALSE;
    }
    journal->next_seq = seq + 1;
    g_ptr_array_add(journal->loaded, record);
    start += line_length + (newline ? 1 : 0);
  }
  return TRUE;
}

PassJournal *
pass_journal_open(const char *dir, GError **error)
{
  g_autoptr(PassJournal) journal = g_new0(PassJournal, 1);

  g_mutex_init(&journal->lock);
  journal->fd = -1;
  journal->dir_fd = -1;
  journal->next_seq = 1;
  journal->loaded = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
  journal->path = g_build_filename(dir, JOURNAL_NAME, NULL);
  if (!pass_state_make_dir(dir, error))
    return NULL;
  journal->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (journal->dir_fd < 0) {
    fail_errno(error, errno, "cannot open", dir);
    return NULL;
  }
  if (flock(journal->dir_fd, LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK)
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY,
                  "%s is in use by another passd (one passd a state directory)", dir);
    else
      fail_errno(error, errno, "cannot lock", dir);
    return NULL;
  }
  journal->fd = open(journal->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (journal->fd < 0) {
    fail_errno(error, errno, "cannot open", journal->path);
    return NULL;
  }
  if (!load(journal, error))
    return NULL;
  return g_steal_pointer(&journal);
}

void
pass_journal_free(PassJournal *journal)
{
  if (!journal)
    return;
  if (journal->fd >= 0)
    close(journal->fd);
  if (journal->dir_fd >= 0)
    close(journal->dir_fd);
  g_ptr_array_unref(journal->loaded);
  g_free(journal->path);
  g_mutex_clear(&journal->lock);
  g_free(journal);
}

const char *
pass_journal_get_path(PassJournal *journal)
{
  return journal->path;
}

GPtrArray *
pass_journal_get_loaded(PassJournal *journal)
{
  return journal->loaded;
}

guint64
pass_journal_append(PassJournal *journal, JsonObject *record, GError **error)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&journal->lock);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *time = g_date_time_format_iso8601(now);
  g_autofree char *line = NULL;
  guint64 seq = journal->next_seq;
  off_t end = lseek(journal->fd, 0, SEEK_END);

  json_object_set_int_member(record, "seq", (gint64)seq);
  json_object_set_string_member(record, "time", time);
  line = record_line(record);
  if (!pass_state_write_all(journal->fd, line, strlen(line)) || fdatasync(journal->fd) < 0) {
    int errsv = errno;

    /* A partial line would be glued to the next append: cut it (best effort; the next open
     * drops a torn last line anyway). */
    if (end >= 0 && ftruncate(journal->fd, end) < 0)
      g_debug("cannot truncate %s: %s", journal->path, g_strerror(errno));
    fail_errno(error, errsv, "cannot write", journal->path);
    return 0;
  }
  journal->next_seq++;
  journal->n_appended++;
  return seq;
}

gboolean
pass_journal_rewrite(PassJournal *journal, GPtrArray *records, GError **error)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&journal->lock);
  g_autoptr(GString) text = g_string_new(NULL);
  struct stat on_disk, ours;
  gboolean ok;
  int fd;

  guint64 next_seq = journal->next_seq;

  for (guint i = 0; i < records->len; i++) {
    JsonObject *record = g_ptr_array_index(records, i);
    g_autofree char *line = NULL;

    if (!json_object_has_member(record, "seq")) {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc();
      g_autofree char *time = g_date_time_format_iso8601(now);

      json_object_set_int_member(record, "seq", (gint64)next_seq++);
      json_object_set_string_member(record, "time", time);
    }
    line = record_line(record);
    g_string_append(text, line);
  }
  ok = pass_state_write_file(journal->path, text->str, (gssize)text->len, error);
  /* Whether or not all of it worked, appends must go to the file that is there now: after the
   * rename the old descriptor is on a deleted one. */
  if (stat(journal->path, &on_disk) == 0 && fstat(journal->fd, &ours) == 0 &&
      (on_disk.st_ino != ours.st_ino || on_disk.st_dev != ours.st_dev)) {
    fd = open(journal->path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
      if (ok)
        fail_errno(error, errno, "cannot open", journal->path);
      return FALSE;
    }
    close(journal->fd);
    journal->fd = fd;
    journal->next_seq = next_seq;
    journal->n_appended = 0;
  }
  return ok;
}

guint
pass_journal_get_n_appended(PassJournal *journal)
{
  return journal->n_appended;
}
