/* Aligned text tables, terminal width and JSON text: the pieces every command prints with. */
#include "format.h"

#include <sys/ioctl.h>
#include <unistd.h>

struct _PassctlTable {
  guint n_columns;
  GPtrArray *rows; /* of GStrv, n_columns each; the header (if any) first */
  gboolean has_header;
};

PassctlTable *
passctl_table_new(guint n_columns, const char *const *headers)
{
  PassctlTable *table = g_new0(PassctlTable, 1);

  g_return_val_if_fail(n_columns > 0, NULL);
  table->n_columns = n_columns;
  table->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
  if (headers != NULL) {
    passctl_table_add_row(table, headers);
    table->has_header = TRUE;
  }
  return table;
}

void
passctl_table_free(PassctlTable *table)
{
  if (table == NULL)
    return;
  g_ptr_array_unref(table->rows);
  g_free(table);
}

void
passctl_table_add_row(PassctlTable *table, const char *const *cells)
{
  char **row = g_new0(char *, table->n_columns + 1);

  for (guint i = 0; i < table->n_columns; i++)
    row[i] = g_strdup(cells[i] ? cells[i] : "-");
  g_ptr_array_add(table->rows, row);
}

gsize
passctl_text_width(const char *text)
{
  gsize width = 0;

  /* Walk by hand rather than g_utf8_strlen() so a bad byte from a hardware database cannot
   * make us read past the end. */
  for (const char *p = text; *p != '\0'; width++) {
    gunichar c = g_utf8_get_char_validated(p, -1);

    p = (c == (gunichar)-1 || c == (gunichar)-2) ? p + 1 : g_utf8_next_char(p);
  }
  return width;
}

char *
passctl_text_truncate(const char *text, gsize width)
{
  const char *p = text;

  for (gsize n = 0; *p != '\0' && n < width; n++) {
    gunichar c = g_utf8_get_char_validated(p, -1);

    p = (c == (gunichar)-1 || c == (gunichar)-2) ? p + 1 : g_utf8_next_char(p);
  }
  return g_strndup(text, p - text);
}

static void
append_padded(GString *out, const char *text, gsize width)
{
  g_string_append(out, text);
  for (gsize w = passctl_text_width(text); w < width; w++)
    g_string_append_c(out, ' ');
}

char *
passctl_table_render(PassctlTable *table, int max_width)
{
  g_autofree gsize *widths = g_new0(gsize, table->n_columns);
  g_autoptr(GString) out = g_string_new(NULL);
  guint last = 0;

  for (guint r = 0; r < table->rows->len; r++) {
    char **row = g_ptr_array_index(table->rows, r);

    for (guint c = 0; c < table->n_columns; c++)
      widths[c] = MAX(widths[c], passctl_text_width(row[c]));
  }
  for (guint c = 0; c < table->n_columns; c++)
    if (widths[c] > 0)
      last = c;

  for (guint r = 0; r < table->rows->len; r++) {
    char **row = g_ptr_array_index(table->rows, r);
    g_autoptr(GString) line = g_string_new(NULL);
    gboolean first = TRUE;

    for (guint c = 0; c <= last; c++) {
      if (widths[c] == 0)
        continue;
      if (!first)
        g_string_append(line, "  ");
      first = FALSE;
      if (c == last)
        g_string_append(line, row[c]);
      else
        append_padded(line, row[c], widths[c]);
    }
    /* Padding before an empty last cell would leave trailing blanks. */
    while (line->len > 0 && line->str[line->len - 1] == ' ')
      g_string_truncate(line, line->len - 1);
    if (max_width > 0 && passctl_text_width(line->str) > (gsize)max_width) {
      g_autofree char *cut = passctl_text_truncate(line->str, max_width);

      g_string_append(out, cut);
    } else {
      g_string_append(out, line->str);
    }
    g_string_append_c(out, '\n');
  }
  return g_string_free(g_steal_pointer(&out), FALSE);
}

int
passctl_terminal_width(void)
{
  struct winsize ws = {0};

  if (!isatty(STDOUT_FILENO))
    return 0;
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

char *
passctl_json_to_text(JsonObject *object, gboolean pretty)
{
  g_autoptr(JsonGenerator) generator = json_generator_new();
  g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  json_node_set_object(root, object);
  json_generator_set_root(generator, root);
  json_generator_set_pretty(generator, pretty);
  json_generator_set_indent(generator, 2);
  text = json_generator_to_data(generator, NULL);
  return g_strconcat(text, "\n", NULL);
}
