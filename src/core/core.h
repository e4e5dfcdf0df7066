/* core.h: declarations shared by the files of src/core (never installed).
 *
 * Global state lives in exactly two places: the logger registry
 * (registry.c: loggers, overrides, global thresholds) and the library state
 * (lifecycle.c: configuration in force and the output pipeline). */
#ifndef NLOG_CORE_CORE_H
#define NLOG_CORE_CORE_H

#include <nlog/nlog.h>

#include "internal/compiler.h"

/* Sets the calling thread's nlog_errmsg() text. */
void nlog__set_errmsg(const char *fmt, ...) NLOG__PRINTF(1, 2);
/* Clears it (called at the start of public calls that can fail). */
void nlog__clear_errmsg(void);

/* logger.c ----------------------------------------------------------------- */

/* nlog_log() with the record's time given (ns since the epoch; 0 = now), for
 * records that describe an event with its own time (security events). */
nlog_status nlog__log_at(nlog_logger *lg, nlog_level level, const nlog_site *site,
                         const char *message, const nlog_field *fields, size_t n_fields,
                         int64_t time_ns);

/* registry.c -------------------------------------------------------------- */

/* Applies the thresholds of a resolved configuration: global level,
 * security/audit switches and the loggers map (which replaces all overrides).
 * Returns NLOG_ENOMEM or NLOG_ELIMIT without changing anything on failure. */
nlog_status nlog__registry_apply(const nlog_config *cfg);
/* nlog_get_logger() without the implicit initialisation (for use while the
 * library is being configured). */
nlog_logger *nlog__registry_get(const char *name);
/* The registry lock, for fork() handling in lifecycle.c. */
void nlog__registry_lock(void);
void nlog__registry_unlock(void);
/* Frees every logger and override (nlog_shutdown). */
void nlog__registry_reset(void);
/* Whether the registry has been given a configuration (lifecycle check). */
int nlog__registry_configured(void);

/* lifecycle.c ------------------------------------------------------------- */

/* Initialises from the environment if nothing has initialised the library
 * yet. Cheap after the first call. */
void nlog__ensure_init(void);

/* max_record_size in force, readable without a lock. */
size_t nlog__record_cap(void);

#endif /* NLOG_CORE_CORE_H */
