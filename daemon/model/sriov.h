/* What GetSriov reports of one SR-IOV physical function: the host's side (from the inventory
 * and sysfs) beside what passd was asked to keep (the desired count). Plain data, filled by the
 * transactions, encoded by the service. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  PASS_SRIOV_SETTLED,  /* nothing recorded, or the PF has what was recorded */
  PASS_SRIOV_APPLYING, /* a SetNumVFs or the re-apply at start runs or waits for it */
  PASS_SRIOV_DIFFERS,  /* recorded, and the PF has something else */
  PASS_SRIOV_VANISHED, /* recorded, and the host has no such device */
} PassSriovState;

typedef struct {
  char *address;
  int index; /* virtfnN */
  char *driver;
  GPtrArray *owners; /* char*, sorted */
  int numa_node;     /* -1: unknown */
} PassSriovVf;

typedef struct {
  char *address;
  gboolean present;
  int totalvfs, numvfs; /* -1: not present */
  int desired;          /* -1: none recorded */
  int autoprobe;        /* -1: unknown */
  char *driver;
  int numa_node;
  PassSriovState state;
  char *message;  /* why it differs or vanished; NULL otherwise */
  GPtrArray *vfs; /* PassSriovVf*, by index */
} PassSriovPf;

PassSriovPf *pass_sriov_pf_new(const char *address);
void pass_sriov_pf_free(PassSriovPf *pf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PassSriovPf, pass_sriov_pf_free)

PassSriovVf *pass_sriov_vf_new(const char *address, int index);
void pass_sriov_vf_free(PassSriovVf *vf);

/* "settled", "applying", "differs", "vanished": the IDL's names. */
const char *pass_sriov_state_name(PassSriovState state);

G_END_DECLS
