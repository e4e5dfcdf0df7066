/* diag.h (internal): reporting problems through the diagnostics callback and
 * the shared counters.
 *
 * Library code never prints; it calls nlog__diag(), which formats one line
 * and hands it to the installed callback (default: stderr).
 * Tested by: tests/unit/core/test_diag.c */
#ifndef NLOG_INTERNAL_DIAG_H
#define NLOG_INTERNAL_DIAG_H

#include <stdint.h>

#include <nlog/diag.h>

#include "compiler.h"

/* Reports one diagnostic. `subject` may be NULL. Never fails, never logs. */
void nlog__diag(nlog_diag_kind kind, nlog_status status, int sys_errno, const char *subject,
                const char *fmt, ...) NLOG__PRINTF(5, 6);

/* Process-wide counters behind nlog_stats(); updated with relaxed atomics. */
typedef struct nlog__counters {
    uint64_t records[NLOG_LEVEL_COUNT];
    uint64_t dropped[NLOG_LEVEL_COUNT];
    uint64_t disabled;
    uint64_t output_errors;
    uint64_t records_failed;
    uint64_t records_truncated;
    uint64_t fields_ignored;
    uint64_t diagnostics;
    uint64_t remote_sent;
    uint64_t remote_spooled;
    uint64_t remote_retries;
} nlog__counters;

extern nlog__counters nlog__stats;

#define NLOG__COUNT(member, n) ((void) __atomic_fetch_add(&nlog__stats.member, (n), __ATOMIC_RELAXED))

#endif /* NLOG_INTERNAL_DIAG_H */
