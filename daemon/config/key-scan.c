/* The structure of a GKeyFile text (see key-scan.h). */
#define G_LOG_DOMAIN "passd"

#include "key-scan.h"

#include <string.h>

static void
key_line_free(PassKeyLine *key)
{
  g_free(key->key);
  g_free(key);
}

static void
section_free(PassKeySection *section)
{
  g_free(section->name);
  g_ptr_array_unref(section->keys);
  g_string_free(section->text, TRUE);
  if (section->problem)
    g_free(section->problem->message);
  g_free(section->problem);
  g_free(section);
}

static PassKeySection *
section_new(const char *name, guint line)
{
  PassKeySection *section = g_new0(PassKeySection, 1);

  section->name = g_strdup(name);
  section->line = line;
  section->keys = g_ptr_array_new_with_free_func((GDestroyNotify)key_line_free);
  section->text = g_string_new(NULL);
  return section;
}

static void G_GNUC_PRINTF(3, 4)
    problem(PassKeySection *section, guint line, const char *format, ...)
{
  va_list args;

  if (section->problem)
    return;
  section->problem = g_new0(PassKeyProblem, 1);
  section->problem->line = line;
  va_start(args, format);
  section->problem->message = g_strdup_vprintf(format, args);
  va_end(args);
}

GPtrArray *
pass_key_scan(const char *text)
{
  GPtrArray *sections = g_ptr_array_new_with_free_func((GDestroyNotify)section_free);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  PassKeySection *section = NULL;

  for (guint i = 0; lines[i]; i++) {
    guint line = i + 1;
    char *start = g_strstrip(lines[i]);
    const char *equals = strchr(start, '=');
    PassKeyLine *entry;

    if (*start == '\0' || *start == '#')
      continue;
    if (*start == '[') {
      g_autofree char *name = g_strndup(start + 1, strcspn(start + 1, "]"));

      section = section_new(name, line);
      g_ptr_array_add(sections, section);
      if (!g_str_has_suffix(start, "]")) {
        g_autofree char *escaped = g_strescape(start, NULL);

        problem(section, line, "%s: not a group header", escaped);
      }
      g_string_append_printf(section->text, "%s\n", start);
      continue;
    }
    if (!section) {
      section = section_new(NULL, 0);
      g_ptr_array_add(sections, section);
    }
    if (!equals || equals == start) {
      /* Escaped: a stray binary file must not put control bytes in a terminal or the log. */
      g_autofree char *escaped = g_strescape(start, NULL);

      problem(section, line,
              equals ? "'%s': no key before the '='"
                     : "'%s' is not a key=value line, a [group] or a comment",
              escaped);
      continue;
    }
    entry = g_new0(PassKeyLine, 1);
    entry->key = g_strndup(start, equals - start);
    entry->line = line;
    g_strchomp(entry->key);
    for (guint k = 0; k < section->keys->len; k++) {
      const PassKeyLine *first = g_ptr_array_index(section->keys, k);

      if (g_str_equal(first->key, entry->key)) {
        problem(section, line, "%s: set again (first on line %u)", entry->key, first->line);
        break;
      }
    }
    g_ptr_array_add(section->keys, entry);
    g_string_append_printf(section->text, "%s\n", start);
  }
  return sections;
}

GError *
pass_key_error_new(const char *path, guint line, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start(args, format);
  text = g_strdup_vprintf(format, args);
  va_end(args);
  return g_error_new(G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE, "%s:%u: %s", path, line, text);
}

GKeyFile *
pass_key_section_load(const PassKeySection *section, char **why)
{
  g_autoptr(GKeyFile) file = g_key_file_new();
  g_autoptr(GError) error = NULL;

  if (!g_key_file_load_from_data(file, section->text->str, section->text->len, G_KEY_FILE_NONE,
                                 &error)) {
    *why = g_strdup(error->message);
    return NULL;
  }
  return g_steal_pointer(&file);
}

char *
pass_key_get_string(GKeyFile *file, const char *group, const char *key, char **why)
{
  g_autoptr(GError) error = NULL;
  char *value = g_key_file_get_string(file, group, key, &error);

  if (!value)
    *why = g_strdup(error->message);
  return value ? g_strstrip(value) : NULL;
}
