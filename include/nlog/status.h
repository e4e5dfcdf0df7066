/* status.h: the one status enum returned by every fallible nlog function. */
#ifndef NLOG_STATUS_H
#define NLOG_STATUS_H

#include <nlog/export.h>

NLOG_BEGIN_DECLS

/* Values are part of the ABI: append only, never renumber. */
typedef enum nlog_status {
    NLOG_OK = 0,
    NLOG_EINVAL = -1,     /* bad argument: a programming error or rejected input */
    NLOG_ENOMEM = -2,     /* an allocation failed */
    NLOG_EIO = -3,        /* an output failed; details went to the diagnostics callback */
    NLOG_ECONFIG = -4,    /* the configuration is invalid; see nlog_errmsg() */
    NLOG_ESTATE = -5,     /* not allowed in the library's current state */
    NLOG_ENOTFOUND = -6,  /* the named thing does not exist */
    NLOG_ELIMIT = -7,     /* a hard cap was reached (count or length) */
    NLOG_EQUEUE_FULL = -8, /* an asynchronous queue was full and the policy refused */
    NLOG_ETIMEDOUT = -9    /* a bounded wait for a background thread ended at its deadline */
} nlog_status;

/* A short English description of `st`, e.g. "invalid argument".
 * Never NULL, also for unknown values. Thread-safety: any thread. Since: 0.1 */
NLOG_API const char *nlog_status_str(nlog_status st);

NLOG_END_DECLS

#endif /* NLOG_STATUS_H */
