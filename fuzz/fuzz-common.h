/* Shared by the libFuzzer targets: quiet logging that still treats a warning as a bug, and the
 * input as a C string. */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pass-address.h"
#include "pass-device-id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Hostile input may be logged about (g_message, g_debug), never warned about: a warning or a
 * critical means the code reached a state it says cannot happen, so it aborts like a crash.
 * Everything else is dropped, so millions of executions do not flood stderr. */
static GLogWriterOutput
fuzz_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) {
    g_log_writer_standard_streams(level, fields, n_fields, data);
    abort();
  }
  return G_LOG_WRITER_HANDLED;
}

static inline void
fuzz_quiet_logs(void)
{
  g_log_set_writer_func(fuzz_log_writer, NULL, NULL);
}

/* The input up to its first NUL, NUL-terminated: what a C string field would carry. */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
  return g_strndup((const char *)data, size);
}

/* Like g_assert(), but never compiled out (G_DISABLE_ASSERT) and with the input's context. */
#define FUZZ_CHECK(cond)                                                                           \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if (!(cond)) {                                                                                 \
      g_printerr("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                          \
      abort();                                                                                     \
    }                                                                                              \
  }                                                                                                \
  G_STMT_END

/* For the targets that need no set-up but the quiet logs. */
#define FUZZ_DEFINE_INITIALIZE_QUIET()                                                             \
  int LLVMFuzzerInitialize(int *argc, char ***argv)                                                \
  {                                                                                                \
    fuzz_quiet_logs();                                                                             \
    return 0;                                                                                      \
  }

/* @address is a PCI address in canonical form. */
static inline void
fuzz_check_canonical(const char *address)
{
  g_autofree char *canonical = pass_address_canonicalize(address, NULL);

  FUZZ_CHECK(canonical != NULL && strcmp(canonical, address) == 0);
}

/* @id is a device id (PCI, USB or mdev) in canonical form. */
static inline void
fuzz_check_canonical_id(const char *id)
{
  g_autofree char *canonical = pass_device_id_canonicalize(id, NULL, NULL);

  FUZZ_CHECK(canonical != NULL && strcmp(canonical, id) == 0);
}
