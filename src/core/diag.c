/* diag.c: the diagnostics callback and the process-wide counters.
 *
 * The callback pointer and its user data are read together under a small
 * spin-free scheme: both live in one struct swapped by pointer, so a report
 * never pairs one callback with another's user data. Installed structs are
 * never freed (there are at most a handful per process; each is 16 bytes),
 * which keeps a report racing with nlog_set_diagnostics() safe.
 * Tested by: tests/unit/core/test_diag.c */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/diag.h"

nlog__counters nlog__stats;

typedef struct diag_target {
    nlog_diag_fn fn;
    void *user;
} diag_target;

static diag_target default_target = {nlog_diag_stderr, NULL};
static diag_target *current = &default_target;

void nlog_diag_stderr(const nlog_diag *diag, void *user)
{
    (void) user;
    char line[1200];
    int n = snprintf(line, sizeof line, "nlog: %s\n", diag->message);
    if (n < 0)
        return;
    if ((size_t) n >= sizeof line) {
        n = (int) sizeof line - 1;
        line[n - 1] = '\n';
    }
    /* One write(2) so concurrent reports do not interleave. */
    ssize_t w = write(STDERR_FILENO, line, (size_t) n);
    (void) w;
}

void nlog_set_diagnostics(nlog_diag_fn fn, void *user)
{
    diag_target *t = &default_target;
    if (fn) {
        t = malloc(sizeof *t);
        if (!t)
            return; /* keep the previous target */
        t->fn = fn;
        t->user = user;
    }
    __atomic_store_n(&current, t, __ATOMIC_RELEASE);
}

void nlog__diag(nlog_diag_kind kind, nlog_status status, int sys_errno, const char *subject,
                const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    NLOG__COUNT(diagnostics, 1);
    nlog_diag d = {
        .kind = kind,
        .status = status,
        .sys_errno = sys_errno,
        .subject = subject ? subject : "",
        .message = msg,
    };
    diag_target *t = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
    t->fn(&d, t->user);
}

nlog_status nlog_stats(nlog_counters *out)
{
    if (!out || out->struct_size < sizeof(size_t))
        return NLOG_EINVAL;
    nlog_counters c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    for (int i = 0; i < NLOG_LEVEL_COUNT; i++) {
        c.records[i] = __atomic_load_n(&nlog__stats.records[i], __ATOMIC_RELAXED);
        c.dropped[i] = __atomic_load_n(&nlog__stats.dropped[i], __ATOMIC_RELAXED);
    }
    c.disabled = __atomic_load_n(&nlog__stats.disabled, __ATOMIC_RELAXED);
    c.output_errors = __atomic_load_n(&nlog__stats.output_errors, __ATOMIC_RELAXED);
    c.records_failed = __atomic_load_n(&nlog__stats.records_failed, __ATOMIC_RELAXED);
    c.records_truncated = __atomic_load_n(&nlog__stats.records_truncated, __ATOMIC_RELAXED);
    c.fields_ignored = __atomic_load_n(&nlog__stats.fields_ignored, __ATOMIC_RELAXED);
    c.diagnostics = __atomic_load_n(&nlog__stats.diagnostics, __ATOMIC_RELAXED);
    size_t n = out->struct_size < sizeof c ? out->struct_size : sizeof c;
    size_t keep = out->struct_size;
    memcpy(out, &c, n);
    out->struct_size = keep;
    return NLOG_OK;
}
