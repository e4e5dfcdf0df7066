/* diag.c: the diagnostics callback and the process-wide counters.
 *
 * The callback and its user data are read together under a mutex and the
 * callback is called after the mutex is released, so a callback may take a
 * long time (or install another callback) without blocking other reports.
 * Diagnostics are rare, so the lock costs nothing that matters.
 * Tested by: tests/unit/core/test_diag.c */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal/diag.h"

nlog__counters nlog__stats;

static pthread_mutex_t target_lock = PTHREAD_MUTEX_INITIALIZER;
static nlog_diag_fn target_fn = nlog_diag_stderr;
static void *target_user;

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
    pthread_mutex_lock(&target_lock);
    target_fn = fn ? fn : nlog_diag_stderr;
    target_user = fn ? user : NULL;
    pthread_mutex_unlock(&target_lock);
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
    pthread_mutex_lock(&target_lock);
    nlog_diag_fn fn = target_fn;
    void *user = target_user;
    pthread_mutex_unlock(&target_lock);
    fn(&d, user);
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
    c.remote_sent = __atomic_load_n(&nlog__stats.remote_sent, __ATOMIC_RELAXED);
    c.remote_spooled = __atomic_load_n(&nlog__stats.remote_spooled, __ATOMIC_RELAXED);
    c.remote_retries = __atomic_load_n(&nlog__stats.remote_retries, __ATOMIC_RELAXED);
    size_t n = out->struct_size < sizeof c ? out->struct_size : sizeof c;
    size_t keep = out->struct_size;
    memcpy(out, &c, n);
    out->struct_size = keep;
    return NLOG_OK;
}
