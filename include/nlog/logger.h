/* logger.h: named loggers and the logging calls.
 *
 * Loggers are named with dotted paths ("db", "db.pool", "noisy.lib.http")
 * that form a hierarchy: a logger's effective threshold is its own override,
 * else the override of its nearest ancestor name that has one, else the global
 * level (the semantics of Python's `logging`). Overrides may name loggers that
 * do not exist yet, which is how a `loggers:` map silences a third-party
 * component before it logs its first line.
 *
 * Two call forms exist for every level:
 *
 *     nlog_info(lg, "user %s logged in after %d tries", user, n);   printf-style
 *     NLOG_INFO(lg, "User login", NLOG_CTX("user_id", uid), ...);   structured
 *
 * Both capture file, function and line. When the level is below the logger's
 * threshold the call costs one load, one compare and one predictable branch:
 * the format is not expanded and no argument is evaluated (so arguments must
 * not have side effects the program depends on). `lg` is evaluated twice.
 *
 * Thread-safety: every function here may be called from any thread at any
 * time between initialisation and nlog_shutdown(). Threshold changes are
 * visible to all threads on their next call. */
#ifndef NLOG_LOGGER_H
#define NLOG_LOGGER_H

#include <stdarg.h>
#include <stddef.h>

#include <nlog/export.h>
#include <nlog/field.h>
#include <nlog/level.h>
#include <nlog/status.h>

NLOG_BEGIN_DECLS

/* Opaque logger handle, owned by the library. */
typedef struct nlog_logger nlog_logger;

/* Where a call was made. Strings must outlive the call (literals do). */
typedef struct nlog_site {
    const char *file;     /* __FILE__ */
    const char *function; /* __func__ */
    int line;             /* __LINE__ */
} nlog_site;

/* Longest logger name in bytes; longer names are cut at a UTF-8 boundary. */
#define NLOG_LOGGER_NAME_MAX 255

/* Returns the logger called `name`, creating it on first use. The same name
 * gives the same handle from any thread. NULL or "" name the root logger
 * ("root"). The first call in a process that has not called nlog_init()
 * initialises the library from the environment (NETLINK_LOG_*).
 * Never returns NULL: if memory runs out, a shared fallback logger is
 * returned and the failure is reported through the diagnostics callback.
 * Ownership: the handle belongs to the library and stays valid until
 * nlog_shutdown(). Since: 0.1 */
NLOG_API nlog_logger *nlog_get_logger(const char *name);

/* The logger's name. Valid as long as the handle. Since: 0.1 */
NLOG_API const char *nlog_logger_name(const nlog_logger *lg);

/* Sets an override for this logger's name (and so for its descendants that
 * have none of their own). Equivalent to nlog_set_logger_level(name, level).
 * Returns NLOG_EINVAL for an invalid level. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_logger_set_level(nlog_logger *lg, nlog_level level);

/* Removes this logger's own override; it inherits again. Since: 0.1 */
NLOG_API void nlog_logger_clear_level(nlog_logger *lg);

/* The threshold the logger applies now (after inheritance). Since: 0.1 */
NLOG_API nlog_level nlog_logger_effective_level(const nlog_logger *lg);

/* Sets (or with NLOG_LEVEL_INVALID removes) the override for a dotted name,
 * whether or not a logger of that name exists yet. At most
 * NLOG_LEVEL_OVERRIDES_MAX names may carry overrides (NLOG_ELIMIT beyond).
 * Since: 0.1 */
#define NLOG_LEVEL_OVERRIDES_MAX 1024
NLOG_API NLOG_NODISCARD nlog_status nlog_set_logger_level(const char *name, nlog_level level);

/* The global threshold, used by loggers with no override on their path. */
NLOG_API NLOG_NODISCARD nlog_status nlog_set_level(nlog_level level);
NLOG_API nlog_level nlog_get_level(void);

/* Logs one record with a literal message (not a format) and `n_fields`
 * fields. This is what the NLOG_<LEVEL> macros call once the level check has
 * passed; it checks the level again, so it may also be called directly.
 * `site` may be NULL. Fields and strings are borrowed for the call only.
 * Returns NLOG_OK when the record was accepted (or filtered out), NLOG_EINVAL
 * for an invalid level or an unknown category id (the record is then still
 * written, with category "application"), NLOG_EIO if an output failed (the
 * record may have reached the other outputs). Since: 0.1 */
NLOG_API nlog_status nlog_log(nlog_logger *lg, nlog_level level, const nlog_site *site,
                              const char *message, const nlog_field *fields, size_t n_fields);

/* Internal: what the NLOG_<LEVEL> macros call for TRACE..CRITICAL once
 * their inline level check has passed; `level_index` is the level's dense
 * index (nlog_level_index()), with NLOG__HINT_MSG added when the message is
 * a string literal (see NLOG__HINT_LITERAL in field.h); `site` and `fields`
 * are never NULL. Not for use by applications: call nlog_log(). Since: 0.1 */
#define NLOG__HINT_MSG 0x100
NLOG_API nlog_status nlog__log_admitted(nlog_logger *lg, int level_index, const nlog_site *site,
                                        const char *message, const nlog_field *fields,
                                        size_t n_fields);

/* Logs one record whose message is formatted printf-style. A message longer
 * than the record cap is cut and the record counted as truncated. Since: 0.1 */
NLOG_API nlog_status nlog_logf(nlog_logger *lg, nlog_level level, const nlog_site *site,
                               const char *fmt, ...) NLOG_PRINTF(4, 5);
NLOG_API nlog_status nlog_logv(nlog_logger *lg, nlog_level level, const nlog_site *site,
                               const char *fmt, va_list ap) NLOG_PRINTF(4, 0);

/* Waits until every record logged before the call has been handed to the
 * operating system by every output. Returns NLOG_EIO if a file output is
 * failing (disk full, ...): in asynchronous mode its records are then kept
 * and retried, not lost, while the queues have room. Since: 0.1 */
NLOG_API nlog_status nlog_flush(void);

/* Internal: the first members of every logger are its thresholds, exposed so
 * the level check below inlines to a load and a compare. Written only by the
 * library, with atomic stores. Not for use by applications. */
struct nlog__logger_head {
    int threshold; /* nlog_level: records at or above it pass */
    int special;   /* bit 0: SECURITY records pass; bit 1: AUDIT records pass */
};

/* Whether a record at `level` would be written by `lg` now. Since: 0.1 */
static inline int nlog_is_enabled(const nlog_logger *lg, nlog_level level)
{
    const struct nlog__logger_head *h = (const struct nlog__logger_head *) (const void *) lg;
    if (level >= NLOG_LEVEL_SECURITY)
        return (__atomic_load_n(&h->special, __ATOMIC_RELAXED) >> (level == NLOG_LEVEL_AUDIT)) & 1;
    return (int) level >= __atomic_load_n(&h->threshold, __ATOMIC_RELAXED);
}

#define NLOG__SITE (&(const nlog_site){__FILE__, __func__, __LINE__})

/* printf-style calls. Each evaluates to void. */
#define NLOG__LOGF(lg, lv, ...) \
    ((void) (nlog_is_enabled((lg), (lv)) ? nlog_logf((lg), (lv), NLOG__SITE, __VA_ARGS__) : NLOG_OK))
#define nlog_trace(lg, ...) NLOG__LOGF(lg, NLOG_LEVEL_TRACE, __VA_ARGS__)
#define nlog_debug(lg, ...) NLOG__LOGF(lg, NLOG_LEVEL_DEBUG, __VA_ARGS__)
#define nlog_info(lg, ...) NLOG__LOGF(lg, NLOG_LEVEL_INFO, __VA_ARGS__)
#define nlog_warning(lg, ...) NLOG__LOGF(lg, NLOG_LEVEL_WARNING, __VA_ARGS__)
#define nlog_error(lg, ...) NLOG__LOGF(lg, NLOG_LEVEL_ERROR, __VA_ARGS__)
#define nlog_critical(lg, ...) NLOG__LOGF(lg, NLOG_LEVEL_CRITICAL, __VA_ARGS__)

#ifndef __cplusplus
/* Structured calls: NLOG_INFO(lg, "message", field, field, ...). The message
 * is used as is (it is not a format). Each evaluates to void. A terminating
 * entry is appended so that the field list may be empty in strict C11. */
#define NLOG__END ((nlog_field){.key = 0, .group = 0xff})
/* SECURITY and AUDIT always reach the library, so that records refused by
 * security_enabled/audit_enabled are counted rather than vanishing. */
#define NLOG__FIELDS(...) (const nlog_field[]){__VA_ARGS__}
#define NLOG__NFIELDS(...) (sizeof((const nlog_field[]){__VA_ARGS__}) / sizeof(nlog_field) - 1)
#define NLOG__LOGS(lv, lg, msg, ...)                                                   \
    ((void) (((lv) >= NLOG_LEVEL_SECURITY || nlog_is_enabled((lg), (lv)))               \
                 ? nlog_log((lg), (lv), NLOG__SITE, (msg), NLOG__FIELDS(__VA_ARGS__),     \
                            NLOG__NFIELDS(__VA_ARGS__))                                 \
                 : NLOG_OK))
/* TRACE..CRITICAL: `li` is the level's dense index, a constant. */
#define NLOG__LOGA(lv, li, lg, msg, ...)                                               \
    ((void) (nlog_is_enabled((lg), (lv))                                                \
                 ? nlog__log_admitted((lg), (li) | (NLOG__IS_LITERAL(msg) ? NLOG__HINT_MSG : 0), \
                                      NLOG__SITE, (msg), NLOG__FIELDS(__VA_ARGS__),     \
                                      NLOG__NFIELDS(__VA_ARGS__))                       \
                 : NLOG_OK))
#define NLOG_LOG(level, ...) NLOG__LOGS((level), __VA_ARGS__, NLOG__END)
#define NLOG_TRACE(...) NLOG__LOGA(NLOG_LEVEL_TRACE, 0, __VA_ARGS__, NLOG__END)
#define NLOG_DEBUG(...) NLOG__LOGA(NLOG_LEVEL_DEBUG, 1, __VA_ARGS__, NLOG__END)
#define NLOG_INFO(...) NLOG__LOGA(NLOG_LEVEL_INFO, 2, __VA_ARGS__, NLOG__END)
#define NLOG_WARNING(...) NLOG__LOGA(NLOG_LEVEL_WARNING, 3, __VA_ARGS__, NLOG__END)
#define NLOG_ERROR(...) NLOG__LOGA(NLOG_LEVEL_ERROR, 4, __VA_ARGS__, NLOG__END)
#define NLOG_CRITICAL(...) NLOG__LOGA(NLOG_LEVEL_CRITICAL, 5, __VA_ARGS__, NLOG__END)
#define NLOG_SECURITY(...) NLOG__LOGS(NLOG_LEVEL_SECURITY, __VA_ARGS__, NLOG__END)
#define NLOG_AUDIT(...) NLOG__LOGS(NLOG_LEVEL_AUDIT, __VA_ARGS__, NLOG__END)
#endif

NLOG_END_DECLS

#endif /* NLOG_LOGGER_H */
