/* driver_nlog.c: NetLink Logging, in its default (synchronous) mode and in
 * asynchronous mode.
 *
 * Both variants configure the library the same way: environment ignored,
 * console off, JSON-lines file on in the run directory (<dir>/netlink.log),
 * level INFO. "nlog async" additionally sets the key "async" to "true"
 * through nlog_config_set(), exactly as a program or a YAML file would; while
 * the library does not know that key the variant is reported as not built,
 * and once it does, the bench measures it without any change here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlog/nlog.h>

#include "harness.h"

static nlog_logger *lg;

BENCH_INLINE void log_one(uint64_t i)
{
    NLOG_INFO(lg, BENCH_MESSAGE, NLOG_CATEGORY(NLOG_CAT_API), NLOG_CTX("request_id", i),
              NLOG_CTX("user_id", BENCH_USER_ID), NLOG_META("auth_method", BENCH_AUTH_METHOD));
}

BENCH_INLINE void log_disabled(uint64_t i)
{
    NLOG_DEBUG(lg, BENCH_MESSAGE, NLOG_CATEGORY(NLOG_CAT_API), NLOG_CTX("request_id", i),
               NLOG_CTX("user_id", BENCH_USER_ID), NLOG_META("auth_method", BENCH_AUTH_METHOD));
}

#include "loops.h"

/* An output failure must stop the bench, not quietly shorten the file. */
static void on_diag(const nlog_diag *d, void *user)
{
    (void) user;
    if (d->kind == NLOG_DIAG_OUTPUT_FAILED || d->kind == NLOG_DIAG_INTERNAL)
        bench_die("nlog reported a failure: %s", d->message);
}

static int open_mode(const char *dir, int async, char *why, size_t why_size)
{
    nlog_config cfg;
    nlog_error err;

    nlog_config_init(&cfg);
    cfg.use_environment = 0;
    cfg.console_enabled = 0;
    cfg.file_enabled = 1;
    cfg.structured_enabled = 1;
    cfg.level = NLOG_LEVEL_INFO;
    /* The start/stop AUDIT records would be two lines more than the peers
     * write (and than the line count expects). */
    cfg.audit_lifecycle = 0;
    if ((size_t) snprintf(cfg.directory, sizeof cfg.directory, "%s", dir) >= sizeof cfg.directory)
        bench_die("directory name too long: %s", dir);
    if (async && nlog_config_set(&cfg, "async", "true", &err) != NLOG_OK) {
        snprintf(why, why_size, "not built yet");
        return -1;
    }
    nlog_set_diagnostics(on_diag, NULL);
    if (nlog_init(&cfg) != NLOG_OK)
        bench_die("nlog_init: %s", nlog_errmsg());
    lg = nlog_get_logger(BENCH_LOGGER);
    return 0;
}

static int open_sync(const char *dir, char *why, size_t why_size)
{
    return open_mode(dir, 0, why, why_size);
}

static int open_async(const char *dir, char *why, size_t why_size)
{
    return open_mode(dir, 1, why, why_size);
}

static void close_nlog(void)
{
    if (nlog_flush() != NLOG_OK)
        bench_die("nlog_flush: %s", nlog_errmsg());
    nlog_shutdown();
    nlog_set_diagnostics(NULL, NULL);
    lg = NULL;
}

static const char *version(void)
{
    return nlog_version();
}

const bench_driver bench_driver_nlog_sync = {
    "nlog sync", "netlink.log", open_sync, close_nlog, BENCH_LOOPS, version,
};

const bench_driver bench_driver_nlog_async = {
    "nlog async", "netlink.log", open_async, close_nlog, BENCH_LOOPS, version,
};
