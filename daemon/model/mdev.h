/* Mediated devices' parents and types: what a parent can still create, as libvirt's
 * mdev_types capability reports it. Plain data, read fresh for each ListMdevTypes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *parent;      /* as the API names it: a PCI address, or a virtual parent ("mtty") */
  char *parent_name; /* libvirt's node-device name of the parent ("mtty_mtty") */
  char *id;          /* "mtty-1", "nvidia-63" */
  char *name;        /* "Single port serial"; NULL when the driver gives none */
  char *device_api;  /* "vfio-pci"; NULL when not given */
  int available;     /* instances that can still be created */
} PassMdevType;

PassMdevType *pass_mdev_type_new(void);
void pass_mdev_type_free(PassMdevType *type);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassMdevType, pass_mdev_type_free)

/* Sorts @types (PassMdevType*) by parent, then type id. */
void pass_mdev_types_sort(GPtrArray *types);

/* Whether @type is offered by @parent (its parent or parent_name); any parent when NULL. */
gboolean pass_mdev_type_of_parent(const PassMdevType *type, const char *parent);

/* The parent for a new instance of @type_id: among @types (optionally only those of @parent,
 * matched against parent and parent_name), the one with the most available instances, ties by
 * parent name. NULL when none has an instance left (or none offers the type). Borrowed. */
const PassMdevType *pass_mdev_pick_parent(GPtrArray *types, const char *type_id,
                                          const char *parent);

G_END_DECLS
