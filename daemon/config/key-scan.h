/* The structure of a GKeyFile text: its groups, their keys and the line of each. GKeyFile parses
 * the values but says neither where a key is nor that one came twice (the last one silently
 * wins), and fails the whole text at one bad line; the scan finds all that first, so passd.conf
 * and the pools.d files name FILE:LINE: KEY in every message, and a pools.d file can lose one
 * bad group and keep the others. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *key; /* as written, locale suffix included ("Name[de]") */
  guint line;
} PassKeyLine;

/* The first thing wrong in a section: "KEY: why" (or a line's text) on @line. */
typedef struct {
  guint line;
  char *message;
} PassKeyProblem;

/* One [group] header and the lines up to the next, or the lines before the first header. */
typedef struct {
  char *name;              /* between the brackets; NULL: before the first header */
  guint line;              /* of the header; 0 before the first */
  GPtrArray *keys;         /* PassKeyLine, in file order */
  GString *text;           /* the header and its key lines, for g_key_file_load_from_data() */
  PassKeyProblem *problem; /* the first structural problem in it; NULL: none */
} PassKeySection;

/* The sections of @text in file order. A section gets a problem for a header that does not end
 * in ']', a line that is neither a key=value line, a header nor a comment, or a key set twice in
 * it; keys after a problem are still listed. The section before the first header is there only
 * when it has a line that is not blank or a comment. */
GPtrArray *pass_key_scan(const char *text);

/* A GError (G_KEY_FILE_ERROR_PARSE) "PATH:LINE: message". */
GError *pass_key_error_new(const char *path, guint line, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/* @section's text loaded into a GKeyFile; NULL with *why when GKeyFile refuses it after all. */
GKeyFile *pass_key_section_load(const PassKeySection *section, char **why);

/* @key's value in @group, unescaped and without surrounding blanks (which no value passd reads
 * wants); NULL with *why. */
char *pass_key_get_string(GKeyFile *file, const char *group, const char *key, char **why);

G_END_DECLS
