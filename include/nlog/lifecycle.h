/* lifecycle.h: starting, reconfiguring and stopping the library.
 *
 * The library holds one process-wide configuration and one registry of
 * loggers. It starts either explicitly with nlog_init() or implicitly on the
 * first nlog_get_logger() (from the environment). */
#ifndef NLOG_LIFECYCLE_H
#define NLOG_LIFECYCLE_H

#include <nlog/config.h>
#include <nlog/export.h>
#include <nlog/status.h>

NLOG_BEGIN_DECLS

/* Starts the library with the configuration resolved from `cfg` (see
 * nlog_config_resolve(); NULL means defaults, profile, file and environment
 * only). Calling it again reconfigures a running library: loggers keep their
 * handles, thresholds and outputs change for all threads at once.
 * Returns NLOG_OK, or NLOG_ECONFIG with a message from nlog_errmsg() and the
 * previous configuration (if any) still in force.
 * Thread-safety: any thread; concurrent logging calls are safe. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_init(const nlog_config *cfg);

/* Re-resolves the configuration with profile `name` (development, testing,
 * production, debug) in place of the current one, keeping the file,
 * environment and code layers of the last nlog_init(). Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_set_profile(const char *name);

/* Copies the configuration in force into *out (every setting resolved).
 * Returns NLOG_ESTATE before initialisation. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_get_config(nlog_config *out);

/* The message of the calling thread's last failed nlog call, or "" if none.
 * Valid until that thread's next nlog call. Since: 0.1 */
NLOG_API const char *nlog_errmsg(void);

/* Flushes and closes every output and frees every logger. Handles obtained
 * before are invalid afterwards; the library may be initialised again.
 * Must not race with logging calls in other threads. NULL-safe to call
 * twice. Refused (a diagnostic, NLOG_ESTATE, nothing stopped) when called
 * from an alert or diagnostics callback that runs on one of the library's
 * own threads; nlog_init() and nlog_set_profile() return NLOG_ESTATE there.
 * Since: 0.1 */
NLOG_API void nlog_shutdown(void);

NLOG_END_DECLS

#endif /* NLOG_LIFECYCLE_H */
