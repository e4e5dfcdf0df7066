/* level.c: level names, parsing and dense indexes.
 * Tested by: tests/unit/core/test_level.c */
#include "internal/ascii.h"

#include <nlog/level.h>

static const struct {
    nlog_level level;
    const char *name;
} levels[NLOG_LEVEL_COUNT] = {
    {NLOG_LEVEL_TRACE, "TRACE"},       {NLOG_LEVEL_DEBUG, "DEBUG"},
    {NLOG_LEVEL_INFO, "INFO"},         {NLOG_LEVEL_WARNING, "WARNING"},
    {NLOG_LEVEL_ERROR, "ERROR"},       {NLOG_LEVEL_CRITICAL, "CRITICAL"},
    {NLOG_LEVEL_SECURITY, "SECURITY"}, {NLOG_LEVEL_AUDIT, "AUDIT"},
};

int nlog_level_index(nlog_level level)
{
    switch (level) {
    case NLOG_LEVEL_TRACE: return 0;
    case NLOG_LEVEL_DEBUG: return 1;
    case NLOG_LEVEL_INFO: return 2;
    case NLOG_LEVEL_WARNING: return 3;
    case NLOG_LEVEL_ERROR: return 4;
    case NLOG_LEVEL_CRITICAL: return 5;
    case NLOG_LEVEL_SECURITY: return 6;
    case NLOG_LEVEL_AUDIT: return 7;
    case NLOG_LEVEL_INVALID: break;
    }
    return -1;
}

nlog_level nlog_level_from_index(int index)
{
    if (index < 0 || index >= NLOG_LEVEL_COUNT)
        return NLOG_LEVEL_INVALID;
    return levels[index].level;
}

const char *nlog_level_name(nlog_level level)
{
    int i = nlog_level_index(level);
    return i < 0 ? NULL : levels[i].name;
}

nlog_status nlog_level_parse(const char *name, nlog_level *ret_level)
{
    if (!name || !ret_level)
        return NLOG_EINVAL;
    for (int i = 0; i < NLOG_LEVEL_COUNT; i++) {
        if (nlog__ascii_caseeq(name, levels[i].name)) {
            *ret_level = levels[i].level;
            return NLOG_OK;
        }
    }
    if (nlog__ascii_caseeq(name, "WARN")) {
        *ret_level = NLOG_LEVEL_WARNING;
        return NLOG_OK;
    }
    return NLOG_EINVAL;
}
