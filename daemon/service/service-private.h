/* The service's state, shared by its files: service.c (lifetime, the read methods),
 * service-methods.c (the table and the dispatcher) and service-ops.c (the write methods),
 * service-doctor.c (CheckHost). */
#pragma once

#include "service-params.h"
#include "service.h"

G_BEGIN_DECLS

struct _PassService {
  PassEngine *engine;
  PassTx *tx;
  char *uri;
  guint watch_id;
  GHashTable *device_texts; /* address -> serialized Device; dropped on every event for it */
  char *list_text;          /* unfiltered ListDevices reply, valid for list_generation */
  guint64 list_generation;
  GPtrArray *subscribers;       /* PassVarlinkCall refs of running Watch calls */
  GPtrArray *bindings;          /* the dispatcher's user data, one per registered method */
  gid_t write_group;            /* who besides root may write; PASS_AUTHZ_NO_GROUP: nobody */
  PassServiceDoctorFunc doctor; /* CheckHost's host probes; NULL: none */
  gpointer doctor_data;
  /* pools (service-pools.c) */
  GPtrArray *pools; /* PassPool*, by name */
  PassServicePoolsSaveFunc pools_save;
  gpointer pools_save_data;
  char *pools_file; /* where run-time pools are saved; NULL: not known */
};

/* NoSuchDevice for @address (GetDevice, CheckHost). */
void pass_service_reply_no_such_device(PassVarlinkCall *call, const char *address);

/* An "usb:VVVV:PPPP" in @args->address becomes the port address of the one device with those
 * ids (service-usb.c); FALSE when there is none or several: NoSuchDevice, the message listing
 * the matches, is the reply then. Other addresses are left alone. */
gboolean pass_service_resolve_device(PassService *service, PassVarlinkCall *call, PassArgs *args);

G_END_DECLS
