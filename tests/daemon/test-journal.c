/* The intent journal's file: records survive a reopen in order, a torn last line (a crash in
 * mid-append) is dropped and cut away, any other bad line stops the open naming the line, one
 * passd a directory, compaction keeps the order of seq, and atomic replacement of a file. */
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "journal.h"
#include "state-file.h"

static char *
make_dir(void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("passd-journal-XXXXXX", &error);

  g_assert_no_error(error);
  return dir;
}

static void
remove_tree(const char *dir)
{
  g_autofree char *command = g_strdup_printf("rm -rf '%s'", dir);

  g_assert_cmpint(system(command), ==, 0);
}

static JsonObject *
record(const char *type, const char *address)
{
  JsonObject *object = json_object_new();

  json_object_set_string_member(object, "type", type);
  json_object_set_string_member(object, "address", address);
  return object;
}

static guint64
append(PassJournal *journal, const char *type, const char *address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = record(type, address);
  guint64 seq = pass_journal_append(journal, object, &error);

  g_assert_no_error(error);
  return seq;
}

static const char *
loaded_string(PassJournal *journal, guint i, const char *member)
{
  return json_object_get_string_member(g_ptr_array_index(pass_journal_get_loaded(journal), i),
                                       member);
}

static gint64
loaded_seq(PassJournal *journal, guint i)
{
  return json_object_get_int_member(g_ptr_array_index(pass_journal_get_loaded(journal), i), "seq");
}

static char *
journal_text(const char *dir)
{
  g_autofree char *path = g_build_filename(dir, "journal", NULL);
  char *text = NULL;

  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

static void
write_journal(const char *dir, const char *text)
{
  g_autofree char *path = g_build_filename(dir, "journal", NULL);

  g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void
test_reopen(void)
{
  g_autofree char *top = make_dir();
  g_autofree char *dir = g_build_filename(top, "a", "b", NULL);
  g_autoptr(GError) error = NULL;
  PassJournal *journal = pass_journal_open(dir, &error);
  struct stat st;

  g_assert_no_error(error);
  /* Made with its parents, root's alone. */
  g_assert_cmpint(g_stat(dir, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0700);
  g_assert_cmpuint(pass_journal_get_loaded(journal)->len, ==, 0);
  g_assert_cmpuint(append(journal, "begin", "0000:02:00.0"), ==, 1);
  g_assert_cmpuint(append(journal, "original", "0000:02:00.0"), ==, 2);
  g_assert_cmpuint(append(journal, "end", "0000:02:00.0"), ==, 3);
  g_assert_cmpuint(pass_journal_get_n_appended(journal), ==, 3);
  pass_journal_free(journal);

  journal = pass_journal_open(dir, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(pass_journal_get_loaded(journal)->len, ==, 3);
  g_assert_cmpstr(loaded_string(journal, 0, "type"), ==, "begin");
  g_assert_cmpstr(loaded_string(journal, 1, "type"), ==, "original");
  g_assert_cmpstr(loaded_string(journal, 2, "type"), ==, "end");
  g_assert_cmpint(loaded_seq(journal, 2), ==, 3);
  g_assert_nonnull(loaded_string(journal, 0, "time"));
  /* Numbering goes on where it stopped. */
  g_assert_cmpuint(append(journal, "returned", "0000:02:00.0"), ==, 4);
  pass_journal_free(journal);
  remove_tree(top);
}

static void
test_torn_tail(void)
{
  g_autofree char *dir = make_dir();
  g_autoptr(GError) error = NULL;
  g_autoptr(PassJournal) journal = NULL;
  g_autofree char *text = NULL;
  const char *good = "{\"seq\":1,\"type\":\"begin\"}\n{\"seq\":2,\"type\":\"end\"}\n";

  write_journal(dir,
                "{\"seq\":1,\"type\":\"begin\"}\n{\"seq\":2,\"type\":\"end\"}\n{\"seq\":3,\"ty");
  journal = pass_journal_open(dir, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(pass_journal_get_loaded(journal)->len, ==, 2);
  text = journal_text(dir);
  g_assert_cmpstr(text, ==, good);
  /* The next record takes the torn one's place, on a line of its own. */
  g_assert_cmpuint(append(journal, "begin", "0000:03:00.0"), ==, 3);
  g_clear_pointer(&text, g_free);
  text = journal_text(dir);
  g_assert_true(g_str_has_prefix(text, good));
  g_assert_true(g_str_has_prefix(text + strlen(good), "{\""));
  g_assert_true(g_str_has_suffix(text, "}\n"));
  remove_tree(dir);
}

/* A crash can keep a whole record but lose its newline: dropped too, or the next append would
 * be glued onto its line. */
static void
test_unterminated_record(void)
{
  g_autofree char *dir = make_dir();
  g_autoptr(GError) error = NULL;
  g_autoptr(PassJournal) journal = NULL;
  g_autofree char *text = NULL;
  const char *good = "{\"seq\":1,\"type\":\"begin\"}\n";

  write_journal(dir, "{\"seq\":1,\"type\":\"begin\"}\n{\"seq\":2,\"type\":\"end\"}");
  journal = pass_journal_open(dir, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(pass_journal_get_loaded(journal)->len, ==, 1);
  text = journal_text(dir);
  g_assert_cmpstr(text, ==, good);
  g_assert_cmpuint(append(journal, "end", "0000:03:00.0"), ==, 2);
  g_clear_pointer(&journal, pass_journal_free);
  journal = pass_journal_open(dir, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(pass_journal_get_loaded(journal)->len, ==, 2);
  remove_tree(dir);
}

static void
test_bad_line(void)
{
  static const char *const files[] = {
      "{\"seq\":1,\"type\":\"begin\"}\nnot json\n{\"seq\":3,\"type\":\"end\"}\n",
      "{\"seq\":1,\"type\":\"begin\"}\n{\"type\":\"end\"}\n",           /* no seq */
      "{\"seq\":2,\"type\":\"begin\"}\n{\"seq\":1,\"type\":\"end\"}\n", /* goes back */
      "{\"seq\":1,\"type\":\"begin\"}\n[1,2]\n",                        /* not an object */
  };

  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autofree char *dir = make_dir();
    g_autoptr(GError) error = NULL;
    g_autoptr(PassJournal) journal = NULL;
    g_autofree char *text = NULL;

    write_journal(dir, files[i]);
    journal = pass_journal_open(dir, &error);
    g_assert_null(journal);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "journal:2: not a journal record"));
    g_assert_nonnull(strstr(error->message, "move the file aside"));
    /* Nothing was cut away. */
    text = journal_text(dir);
    g_assert_cmpstr(text, ==, files[i]);
    remove_tree(dir);
  }
}

static void
test_one_passd(void)
{
  g_autofree char *dir = make_dir();
  g_autoptr(GError) error = NULL;
  g_autoptr(PassJournal) first = pass_journal_open(dir, &error);
  g_autoptr(PassJournal) second = NULL;

  g_assert_no_error(error);
  second = pass_journal_open(dir, &error);
  g_assert_null(second);
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_assert_nonnull(strstr(error->message, "in use by another passd"));
  g_clear_error(&error);
  /* Still held after a compaction replaced the file. */
  g_assert_true(pass_journal_rewrite(first, pass_journal_get_loaded(first), &error));
  second = pass_journal_open(dir, &error);
  g_assert_error(error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error(&error);
  g_clear_pointer(&first, pass_journal_free);
  second = pass_journal_open(dir, &error);
  g_assert_no_error(error);
  remove_tree(dir);
}

static void
test_rewrite(void)
{
  g_autofree char *dir = make_dir();
  g_autoptr(GError) error = NULL;
  PassJournal *journal = pass_journal_open(dir, &error);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
  g_autoptr(JsonObject) kept = record("begin", "0000:02:00.0");

  g_assert_no_error(error);
  g_assert_cmpuint(pass_journal_append(journal, kept, &error), ==, 1);
  append(journal, "begin", "0000:03:00.0");
  append(journal, "end", "0000:03:00.0");
  /* The open begin keeps its seq; a new original gets the next one. */
  g_ptr_array_add(records, json_object_ref(kept));
  g_ptr_array_add(records, record("original", "0000:02:00.0"));
  g_assert_true(pass_journal_rewrite(journal, records, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(pass_journal_get_n_appended(journal), ==, 0);
  g_assert_cmpuint(append(journal, "end", "0000:02:00.0"), ==, 5);
  pass_journal_free(journal);

  journal = pass_journal_open(dir, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(pass_journal_get_loaded(journal)->len, ==, 3);
  g_assert_cmpint(loaded_seq(journal, 0), ==, 1);
  g_assert_cmpint(loaded_seq(journal, 1), ==, 4);
  g_assert_cmpstr(loaded_string(journal, 1, "type"), ==, "original");
  g_assert_cmpint(loaded_seq(journal, 2), ==, 5);
  pass_journal_free(journal);
  remove_tree(dir);
}

static void
test_not_a_directory(void)
{
  g_autofree char *dir = make_dir();
  g_autofree char *file = g_build_filename(dir, "file", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PassJournal) journal = NULL;

  g_assert_true(g_file_set_contents(file, "", 0, NULL));
  journal = pass_journal_open(file, &error);
  g_assert_null(journal);
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error->message, file));
  remove_tree(dir);
}

static void
test_write_file(void)
{
  g_autofree char *dir = make_dir();
  g_autofree char *path = g_build_filename(dir, "sriov.conf", NULL);
  g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  struct stat st;

  g_assert_true(pass_state_write_file(path, "one\n", -1, &error));
  g_assert_true(pass_state_write_file(path, "two\0x", 5, &error));
  g_assert_no_error(error);
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_assert_cmpmem(text, 5, "two\0x", 5);
  g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
  g_assert_cmpint(g_stat(path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
  /* A directory that is not there: an error naming the file, nothing left behind. */
  g_clear_pointer(&path, g_free);
  path = g_build_filename(dir, "none", "x", NULL);
  g_assert_false(pass_state_write_file(path, "x", -1, &error));
  g_assert_nonnull(strstr(error->message, "none/x.tmp"));
  remove_tree(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/journal/reopen", test_reopen);
  g_test_add_func("/journal/torn-tail", test_torn_tail);
  g_test_add_func("/journal/unterminated-record", test_unterminated_record);
  g_test_add_func("/journal/bad-line", test_bad_line);
  g_test_add_func("/journal/one-passd", test_one_passd);
  g_test_add_func("/journal/rewrite", test_rewrite);
  g_test_add_func("/journal/not-a-directory", test_not_a_directory);
  g_test_add_func("/state/write-file", test_write_file);
  return g_test_run();
}
