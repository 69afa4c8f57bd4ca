/* Who may change the host, table-driven: root always, the configured group by primary or
 * supplementary membership, nobody else; unknown credentials never. */
#include <glib.h>

#include "authz.h"

#define NONE    PASS_AUTHZ_NO_GROUP
#define UNKNOWN ((uid_t)-1)
#define OPS     990 /* the configured group */

typedef struct {
  const char *name;
  uid_t uid;
  gid_t gid;
  gid_t groups[4];
  gsize n_groups;
  gid_t write_group;
  gboolean allowed;
} Case;

static const Case cases[] = {
    {"root-no-group", 0, 0, {0}, 0, NONE, TRUE},
    {"root-with-group", 0, 0, {0}, 0, OPS, TRUE},
    {"root-unknown-gid", 0, (gid_t)-1, {0}, 0, NONE, TRUE},
    {"user-no-group", 1000, 1000, {1000}, 1, NONE, FALSE},
    {"user-in-group-by-gid-but-none-configured", 1000, OPS, {0}, 0, NONE, FALSE},
    {"user-primary-group", 1000, OPS, {0}, 0, OPS, TRUE},
    {"user-supplementary-first", 1000, 1000, {OPS, 27, 100}, 3, OPS, TRUE},
    {"user-supplementary-last", 1000, 1000, {27, 100, 4, OPS}, 4, OPS, TRUE},
    {"user-other-groups", 1000, 1000, {27, 100, 4, 991}, 4, OPS, FALSE},
    {"user-groups-unknown", 1000, 1000, {0}, 0, OPS, FALSE},
    /* The group 0 (root's) configured: its members, not its name, decide. */
    {"user-in-group-0", 1000, 1000, {0}, 1, 0, TRUE},
    {"user-not-in-group-0", 1000, 1000, {1}, 1, 0, FALSE},
    /* SO_PEERCRED failed: uid and gid read as -1, and that matches neither root nor "none". */
    {"unknown-no-group", UNKNOWN, (gid_t)-1, {0}, 0, NONE, FALSE},
    {"unknown-with-group", UNKNOWN, (gid_t)-1, {0}, 0, OPS, FALSE},
    {"unknown-groups-minus-one", UNKNOWN, (gid_t)-1, {(gid_t)-1}, 1, NONE, FALSE},
    {"nobody", 65534, 65534, {65534}, 1, OPS, FALSE},
    {"nobody-extra-group", 65534, 65534, {65534, OPS}, 2, OPS, TRUE},
};

static void
test_case(gconstpointer data)
{
  const Case *c = data;

  g_assert_cmpint(pass_authz_may_write(c->uid, c->gid, c->n_groups ? c->groups : NULL, c->n_groups,
                                       c->write_group),
                  ==, c->allowed);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *path = g_strdup_printf("/authz/%s", cases[i].name);

    g_test_add_data_func(path, &cases[i], test_case);
  }
  return g_test_run();
}
