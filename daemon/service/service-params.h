/* A method's parameters, described declaratively and decoded in one place: the first field
 * that is unknown, missing where required, of the wrong JSON type or malformed is named, so
 * the caller can answer org.varlink.service.InvalidParameter with it. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  PASS_PARAM_STRING,    /* a string; a required one must not be empty */
  PASS_PARAM_ADDRESS,   /* a PCI address in any accepted form; stored canonical in address */
  PASS_PARAM_DEVICE,    /* any device id (pass_device_id_canonicalize); canonical in address */
  PASS_PARAM_BOOL_FLAG, /* a bool; true sets flag in flags */
  PASS_PARAM_INT,       /* an integer in [min, max]; def when absent or null */
  PASS_PARAM_MAC,       /* a unicast MAC address (pass_mac_parse); stored canonical in mac */
  PASS_PARAM_STRINGS,   /* an array of strings (a JsonArray, borrowed) */
  PASS_PARAM_BOOL,      /* a bool as an int: 0 or 1; -1 when absent or null */
} PassParamType;

typedef struct {
  const char *name; /* NULL ends a table */
  PassParamType type;
  gboolean required;
  gsize offset;         /* STRING: of a const char * in PassArgs; INT: of a gint64; BOOL: int;
                         * STRINGS: JsonArray * */
  guint flag;           /* BOOL_FLAG: a PassOpFlags bit */
  gint64 min, max, def; /* INT */
} PassParam;

/* The decoded values of every method: fields a method does not take stay 0/NULL. Strings are
 * borrowed from the call's parameters; NULL when absent or null. */
typedef struct {
  const char *domain;
  char *address; /* canonical */
  const char *vendor_id, *product_id, *device_class, *driver, *owner, *sriov;
  guint flags;    /* PassOpFlags */
  gint64 timeout; /* seconds; PASS_ARGS_TIMEOUT_DEFAULT when not given */
  char *mac;      /* Attach: canonical; NULL when not given */
  gint64 vlan;    /* Attach: 0 when not given */
  /* pools: Attach by pool, DefinePool, UndefinePool, GetBalance */
  const char *pool, *pool_name, *kind, *numa, *policy;
  gint64 vf_count;  /* Attach's count; 1 when not given */
  gint64 numa_node; /* DefinePool's; -1 when not given */
  JsonArray *pfs;   /* DefinePool's PF selectors; NULL when not given */
  gint64 count;     /* SetNumVFs */
  int autoprobe;    /* SetNumVFs: 0, 1; -1 when not given */
  const char *mdev_parent, *mdev_type, *mdev_uuid; /* CreateMdev */
} PassArgs;

/* GetBalance's plan: a flag bit outside PassOpFlags. */
#define PASS_ARGS_FLAG_PLAN (1u << 24)
/* CreateMdev's persistent and autostart. */
#define PASS_ARGS_FLAG_PERSISTENT (1u << 25)
#define PASS_ARGS_FLAG_AUTOSTART  (1u << 26)

#define PASS_ARGS_TIMEOUT_DEFAULT (-1)

void pass_args_clear(PassArgs *args);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PassArgs, pass_args_clear)

/* Fills @args from @parameters as @params (NULL: none) describes. FALSE with *bad naming the
 * field to report: a member not in @params first, then the fields in @params' order. */
gboolean pass_args_decode(PassArgs *args, const PassParam *params, JsonObject *parameters,
                          const char **bad);

G_END_DECLS
