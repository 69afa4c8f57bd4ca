/* Decoding a method's parameters: each getter replies org.varlink.service.InvalidParameter with
 * the field's name and returns FALSE (or NULL) when the field is missing where required, of the
 * wrong JSON type, or malformed, so a handler just returns. */
#pragma once

#include "pass-varlink.h"

G_BEGIN_DECLS

/* Every member of @parameters is in @allowed (NULL-terminated). */
gboolean pass_params_check_known(PassVarlinkCall *call, JsonObject *parameters,
                                 const char *const *allowed);

/* An optional string: *value NULL when absent or null. */
gboolean pass_params_get_optional_string(PassVarlinkCall *call, JsonObject *parameters,
                                         const char *name, const char **value);

/* A required, non-empty string. */
gboolean pass_params_get_string(PassVarlinkCall *call, JsonObject *parameters, const char *name,
                                const char **value);

/* The required "address", in canonical form (free it). */
char *pass_params_get_address(PassVarlinkCall *call, JsonObject *parameters);

/* An optional bool; when true, @flag is set in *flags. */
gboolean pass_params_get_flag(PassVarlinkCall *call, JsonObject *parameters, const char *name,
                              guint flag, guint *flags);

G_END_DECLS
