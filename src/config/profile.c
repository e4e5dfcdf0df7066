/* profile.c: the profile names. What each profile sets is a column of the key
 * table (keys.c), so a key and its profile values are added together.
 * Tested by: tests/unit/config/test_config_resolve.c */
#include <string.h>

#include "config/config_internal.h"
#include "internal/ascii.h"

static const char *const profile_names[NLOG__PROFILE_COUNT + 1] = {
    "development", "testing", "production", "debug", NULL,
};

const char *const *nlog_profile_names(void)
{
    return profile_names;
}

int nlog__cfg_profile_find(const char *name)
{
    for (int i = 0; i < NLOG__PROFILE_COUNT; i++)
        if (nlog__ascii_caseeq(name, profile_names[i]))
            return i;
    return -1;
}

const char *nlog__cfg_profile_name(nlog__profile p)
{
    return (int) p >= 0 && p < NLOG__PROFILE_COUNT ? profile_names[p] : "";
}

const char *nlog__cfg_profile_accepted(void)
{
    return "development, testing, production, debug (any case)";
}
