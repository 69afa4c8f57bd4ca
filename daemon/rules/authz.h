/* Who may change the host: the one authorisation rule, pure (credentials in, verdict out) so it
 * is table-tested; the service feeds it the peer's credentials the socket gave at connect.
 *
 * Reading is for anyone who can open the socket (its file mode decides that); a method that
 * changes the host is for root, and for members of the configured group when there is one:
 * by primary group or by a supplementary group. */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* No group configured: root only. Also what unknown credentials read as. */
#define PASS_AUTHZ_NO_GROUP ((gid_t)-1)

/* TRUE when a peer with @uid, primary group @gid and the @n_groups supplementary @groups (may be
 * NULL when @n_groups is 0) may call methods that change the host, @write_group being the
 * configured group or PASS_AUTHZ_NO_GROUP. */
gboolean pass_authz_may_write(uid_t uid, gid_t gid, const gid_t *groups, gsize n_groups,
                              gid_t write_group);

G_END_DECLS
