/* level.h: severity levels.
 *
 * The numbers are the product's and are stable. A threshold admits its own
 * level and every level above it; SECURITY and AUDIT are not subject to the
 * threshold at all (see security_enabled / audit_enabled in config.h). */
#ifndef NLOG_LEVEL_H
#define NLOG_LEVEL_H

#include <nlog/export.h>
#include <nlog/status.h>

NLOG_BEGIN_DECLS

typedef enum nlog_level {
    NLOG_LEVEL_INVALID = 0, /* returned by parsing failures; never logged */
    NLOG_LEVEL_TRACE = 5,
    NLOG_LEVEL_DEBUG = 10,
    NLOG_LEVEL_INFO = 20,
    NLOG_LEVEL_WARNING = 30,
    NLOG_LEVEL_ERROR = 40,
    NLOG_LEVEL_CRITICAL = 50,
    NLOG_LEVEL_SECURITY = 60,
    NLOG_LEVEL_AUDIT = 70
} nlog_level;

/* Number of levels, for arrays indexed by nlog_level_index(). */
#define NLOG_LEVEL_COUNT 8

/* The canonical upper-case name ("WARNING"), or NULL for a value that is
 * not one of the eight levels. Thread-safety: any thread. Since: 0.1 */
NLOG_API const char *nlog_level_name(nlog_level level);

/* Parses a level name, case-insensitively; "WARN" is accepted for WARNING.
 * Surrounding whitespace is not accepted. On success stores the level in
 * *ret_level; on failure returns NLOG_EINVAL and leaves *ret_level alone.
 * Thread-safety: any thread. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_level_parse(const char *name, nlog_level *ret_level);

/* Dense index 0..7 (TRACE..AUDIT) of a level, or -1 for an invalid value.
 * Thread-safety: any thread. Since: 0.1 */
NLOG_API int nlog_level_index(nlog_level level);

/* The level at dense index `index` (0..7), or NLOG_LEVEL_INVALID. Since: 0.1 */
NLOG_API nlog_level nlog_level_from_index(int index);

NLOG_END_DECLS

#endif /* NLOG_LEVEL_H */
