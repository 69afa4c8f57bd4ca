/* Pool definitions in files: the administrator's /etc/passd/pools.d/NAME.conf, and the pools
 * defined at run time, which passd saves in its state directory in the same format.
 *
 * A file holds one or more groups, each one pool:
 *
 *   [Pool NAME]          NAME as pass_pool_validate_name() takes it
 *   Kind=pci|net         how its VFs are attached (<hostdev> or <interface type='hostdev'>);
 *                        default pci
 *   Vendor=0x8086        the VF's vendor id          } each optional, but at least one
 *   Product=0x10ca       the VF's product id         } selector; all that are set must hold
 *   Driver=ixgbevf       the VF's driver             }
 *   PF=0000:3b:00.0#0-3,6;enp94s0f0                  } the VF's PF (';'-separated selectors)
 *   NUMA=0               the VF's NUMA node          }
 *
 * (see rules/pool-parse.h for the values). A problem is an error naming the file, the line and
 * the key ("PATH:LINE: KEY: why"), and costs only the pool it is in: the loaders return the good
 * pools and append an error for each bad one, so one typo does not take every pool away. */
#pragma once

#include <glib.h>

#include "pool.h"

G_BEGIN_DECLS

#define PASS_POOLS_DEFAULT_DIRECTORY "/etc/passd/pools.d"
/* The file of the pools defined at run time, in the state directory. */
#define PASS_POOLS_STATE_FILE "pools.conf"

/* The pools in @text, the contents of @path (for messages and the pools' origin), in file order
 * (PassPool, marked @origin). Every problem is appended to @errors (GError,
 * G_KEY_FILE_ERROR_PARSE) and its pool left out: a header that is no [Pool NAME] or names a
 * pool already defined in the file, an unknown key, a key set twice, a bad value, a pool
 * without any selector, a line that is none of GKeyFile's. */
GPtrArray *pass_pools_parse(const char *path, const char *text, PassPoolOrigin origin,
                            GPtrArray *errors);

/* Read and parse @path. A missing file has no pools; another failure to read it is an error
 * (G_FILE_ERROR) in @errors. */
GPtrArray *pass_pools_load_file(const char *path, PassPoolOrigin origin, GPtrArray *errors);

/* Every NAME.conf file in @directory (not those whose name starts with '.'), in the byte order of
 * their names, as pass_pools_load_file(..., PASS_POOL_ORIGIN_FILE, ...) each. A missing
 * directory has no pools. A name another file already defined is an error naming both places
 * and the later pool is left out. */
GPtrArray *pass_pools_load_directory(const char *directory, GPtrArray *errors);

/* Append those of @more whose names are not in @into already, in order; for each other one an
 * error in @errors naming both places ("PATH:LINE: [Pool NAME]: already defined at ..."). For
 * putting the run-time pools next to the files'. */
void pass_pools_merge(GPtrArray *into, GPtrArray *more, GPtrArray *errors);

/* The text pass_pools_save() writes: every pool (PassPool) in order, every key it sets, Kind
 * always. pass_pools_parse() reads it back to equal pools. */
char *pass_pools_to_text(GPtrArray *pools);

/* Replace @path with @pools, atomically and durably: write PATH.tmp, fsync it, rename it over
 * @path, fsync the directory. FALSE with @error (G_IO_ERROR, naming the file) when any of that
 * fails; @path is then as it was. */
gboolean pass_pools_save(const char *path, GPtrArray *pools, GError **error);

G_END_DECLS
