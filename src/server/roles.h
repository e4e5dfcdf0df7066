/* roles.h: who may reach what. Four roles, and one permission per route
 * (the route table in http/router.c names it):
 *
 *   permission       ingest  viewer  security  admin
 *   OPEN               yes     yes     yes      yes   (and callers without a key)
 *   INGEST             yes      -       -       yes
 *   READ                -      yes     yes      yes   (viewer: no SECURITY/AUDIT records)
 *   SECURITY            -       -      yes      yes
 *   ADMIN               -       -       -       yes
 *
 * docs/rest-api.md "Access control" carries the same table per endpoint;
 * tests/integration/server/test_live.py roles checks it endpoint by endpoint.
 * Thread-safety: pure functions. */
#ifndef NLOGD_ROLES_H
#define NLOGD_ROLES_H

#include <stddef.h>

typedef enum nlogd_role {
    NLOGD_ROLE_NONE = 0,     /* not authenticated */
    NLOGD_ROLE_INGEST = 1,   /* write records only */
    NLOGD_ROLE_VIEWER = 2,   /* entries, stats, metrics, stream; never SECURITY/AUDIT records */
    NLOGD_ROLE_SECURITY = 3, /* viewer + security events and AUDIT records */
    NLOGD_ROLE_ADMIN = 4,    /* everything: + export, configuration, keys */
    NLOGD_ROLE_COUNT
} nlogd_role;

typedef enum nlogd_perm {
    NLOGD_PERM_OPEN = 0,
    NLOGD_PERM_INGEST,
    NLOGD_PERM_READ,
    NLOGD_PERM_SECURITY,
    NLOGD_PERM_ADMIN
} nlogd_perm;

#define NLOGD_ROLES_ACCEPTED "ingest, viewer, security, admin"

/* "viewer", ...; "none" for NLOGD_ROLE_NONE. Never NULL. */
const char *nlogd_role_name(nlogd_role r);
/* The role called s[0..len) (exact, lower case), or NLOGD_ROLE_NONE. */
nlogd_role nlogd_role_parse(const char *s, size_t len);
/* Whether role r may use a route needing p. */
int nlogd_role_allows(nlogd_role r, nlogd_perm p);
/* The roles that may use p, for messages: "security or admin". */
const char *nlogd_perm_roles(nlogd_perm p);
/* The highest record level role r may read (nlog_level): CRITICAL for the
 * viewer, 0 (no bound) otherwise. */
int nlogd_role_max_level(nlogd_role r);

#endif
