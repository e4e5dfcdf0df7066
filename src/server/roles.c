/* roles.c: the role table (see roles.h). Kept as data so the documentation
 * table and the code cannot drift apart silently: the integration test
 * walks every endpoint with every role.
 * Tested by: tests/unit/server/test_server_auth.c,
 * tests/integration/server/test_live.py (roles) */
#include <string.h>

#include <nlog/level.h>

#include "server/roles.h"

static const char *const names[NLOGD_ROLE_COUNT] = {"none", "ingest", "viewer", "security",
                                                    "admin"};

/* allowed[perm][role] */
static const unsigned char allowed[5][NLOGD_ROLE_COUNT] = {
    /*                   none ingest viewer security admin */
    [NLOGD_PERM_OPEN] = {1, 1, 1, 1, 1},
    [NLOGD_PERM_INGEST] = {0, 1, 0, 0, 1},
    [NLOGD_PERM_READ] = {0, 0, 1, 1, 1},
    [NLOGD_PERM_SECURITY] = {0, 0, 0, 1, 1},
    [NLOGD_PERM_ADMIN] = {0, 0, 0, 0, 1},
};

static const char *const perm_roles[5] = {
    [NLOGD_PERM_OPEN] = "any caller",
    [NLOGD_PERM_INGEST] = "ingest or admin",
    [NLOGD_PERM_READ] = "viewer, security or admin",
    [NLOGD_PERM_SECURITY] = "security or admin",
    [NLOGD_PERM_ADMIN] = "admin",
};

const char *nlogd_role_name(nlogd_role r)
{
    return (unsigned) r < NLOGD_ROLE_COUNT ? names[r] : "none";
}

nlogd_role nlogd_role_parse(const char *s, size_t len)
{
    for (int r = NLOGD_ROLE_INGEST; r < NLOGD_ROLE_COUNT; r++)
        if (strlen(names[r]) == len && memcmp(names[r], s, len) == 0)
            return (nlogd_role) r;
    return NLOGD_ROLE_NONE;
}

int nlogd_role_allows(nlogd_role r, nlogd_perm p)
{
    if ((unsigned) r >= NLOGD_ROLE_COUNT || (unsigned) p > NLOGD_PERM_ADMIN)
        return 0;
    return allowed[p][r];
}

const char *nlogd_perm_roles(nlogd_perm p)
{
    return (unsigned) p <= NLOGD_PERM_ADMIN ? perm_roles[p] : "admin";
}

int nlogd_role_max_level(nlogd_role r)
{
    return r == NLOGD_ROLE_VIEWER ? NLOG_LEVEL_CRITICAL : 0;
}
