/* diag.h: how the library reports its own problems, and its counters.
 *
 * A logger cannot log about itself without risking recursion, so problems
 * (an output that cannot be opened or written, a bad environment value, a
 * record that had to be cut) go to one diagnostics callback and into the
 * counters returned by nlog_stats(). A condition is reported once when it
 * starts and once when it ends, not once per record. */
#ifndef NLOG_DIAG_H
#define NLOG_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/export.h>
#include <nlog/level.h>
#include <nlog/status.h>

NLOG_BEGIN_DECLS

typedef enum nlog_diag_kind {
    NLOG_DIAG_OUTPUT_FAILED = 1,    /* an output cannot be opened or written */
    NLOG_DIAG_OUTPUT_RECOVERED = 2, /* a failed output works again */
    NLOG_DIAG_CONFIG = 3,           /* a configuration value was rejected or fell back */
    NLOG_DIAG_INPUT = 4,            /* a call's input was rejected or cut */
    NLOG_DIAG_INTERNAL = 5          /* anything else (allocation failure, ...) */
} nlog_diag_kind;

typedef struct nlog_diag {
    nlog_diag_kind kind;
    nlog_status status;
    int sys_errno;       /* errno of the failed system call, or 0 */
    const char *subject; /* path, key or variable concerned; never NULL ("" if none) */
    const char *message; /* one line of English, no trailing newline; never NULL */
} nlog_diag;

/* Receives diagnostics. It may be called from any thread, including with
 * internal locks held: it must not call back into nlog. The strings are
 * valid for the duration of the call only. */
typedef void (*nlog_diag_fn)(const nlog_diag *diag, void *user);

/* Installs `fn` (NULL restores the default, which writes "nlog: MESSAGE" as
 * one line to stderr). Thread-safety: any thread; calls already in progress
 * may still reach the previous callback. Since: 0.1 */
NLOG_API void nlog_set_diagnostics(nlog_diag_fn fn, void *user);

/* The default callback, for callbacks that want to chain to it. */
NLOG_API void nlog_diag_stderr(const nlog_diag *diag, void *user);

typedef struct nlog_counters {
    size_t struct_size;                         /* set by the caller: sizeof(nlog_counters) */
    uint64_t records[NLOG_LEVEL_COUNT];         /* records accepted, by nlog_level_index() */
    uint64_t dropped[NLOG_LEVEL_COUNT];         /* records dropped by a queue policy */
    uint64_t disabled;                          /* SECURITY/AUDIT records refused because
                                                   security_enabled/audit_enabled is off */
    uint64_t output_errors;                     /* failed open/write operations */
    uint64_t records_failed;                    /* record deliveries an output could not make */
    uint64_t records_truncated;                 /* records cut to fit max_record_size */
    uint64_t fields_ignored;                    /* fields beyond NLOG_FIELDS_MAX */
    uint64_t diagnostics;                       /* diagnostics reported */
    /* Remote output (server_url), appended in 0.1. */
    uint64_t remote_sent;                       /* records the server acknowledged */
    uint64_t remote_spooled;                    /* records written to the spool directory */
    uint64_t remote_retries;                    /* failed delivery attempts (retried later) */
} nlog_counters;

/* Copies the counters into *out (up to out->struct_size bytes, so callers
 * built against an older header keep working). Counters start at zero when
 * the process starts and are never reset. Thread-safety: any thread; the
 * values are individually, not mutually, consistent. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_stats(nlog_counters *out);

NLOG_END_DECLS

#endif /* NLOG_DIAG_H */
