/* The intent journal: an append-only file of JSON records, one a line, each on disk
 * (fdatasync) before the caller acts on what it says. A crash can only tear the last line,
 * which the next open drops. What the records mean is the transactions' business (tx/); this
 * file only keeps them. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _PassJournal PassJournal;

/* Opens DIR/journal (creating DIR with mode 0700 and the file with 0600) and reads its records.
 * Fails when another process holds it, or when a line other than a torn last one is not a
 * record (the message names the line: such a file was edited or damaged, and passd will not
 * guess what it meant). */
PassJournal *pass_journal_open(const char *dir, GError **error);
void pass_journal_free(PassJournal *journal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassJournal, pass_journal_free)

const char *pass_journal_get_path(PassJournal *journal);

/* The records found by pass_journal_open, oldest first (JsonObject*, each with its "seq");
 * the journal keeps them until it is freed. */
GPtrArray *pass_journal_get_loaded(PassJournal *journal);

/* Sets "seq" (returned; it grows by one a record) and "time" (UTC, ISO 8601) on @record and
 * appends it durably. 0 with @error. Any thread. */
guint64 pass_journal_append(PassJournal *journal, JsonObject *record, GError **error);

/* Replaces the file by @records (JsonObject*) in one atomic step, for compaction: a record
 * with a "seq" keeps it, one without gets the next (and a "time"); the file must stay in
 * growing order of seq, so records that keep theirs come first. Any thread. */
gboolean pass_journal_rewrite(PassJournal *journal, GPtrArray *records, GError **error);

/* Records appended since the open or the last rewrite. */
guint pass_journal_get_n_appended(PassJournal *journal);

G_END_DECLS
