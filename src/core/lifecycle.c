/* lifecycle.c: nlog_init, nlog_set_profile, nlog_get_config, nlog_shutdown,
 * zero-configuration start, and the per-thread error message.
 *
 * This file holds the library state in force: the resolved configuration,
 * the input it was resolved from (so nlog_set_profile() can re-resolve with
 * another profile), and the output pipeline. The pipeline pointer is guarded
 * by `state_lock`, a writer-preferring rwlock: logging calls take it shared
 * for the duration of a delivery, reconfiguration takes it exclusively only
 * to swap pointers, and the old pipeline is destroyed after the swap, when no
 * call can still be using it.
 * Tested by: tests/unit/core/test_lifecycle.c */
#include <pthread.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "async/async.h"
#include "core/core.h"
#include "core/lifecycle_internal.h"
#include "core/state.h"
#include "internal/diag.h"
#include "perf/engine.h"
#include "security/sec_internal.h"

static pthread_rwlock_t state_lock;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER; /* serialises (re)configuration */
static nlog__pipeline *pipeline;
static nlog_config active;     /* resolved configuration in force */
static nlog_config last_input; /* what the last nlog_init() was given */
static int initialized;        /* atomic */
static size_t record_cap = 65536; /* atomic: max_record_size in force */

size_t nlog__record_cap(void)
{
    return __atomic_load_n(&record_cap, __ATOMIC_RELAXED);
}

static _Thread_local char errmsg[2048];

void nlog__set_errmsg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void) vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
}

void nlog__clear_errmsg(void)
{
    errmsg[0] = '\0';
}

const char *nlog_errmsg(void)
{
    return errmsg;
}

/* Everything queued is written at normal exit, as at nlog_shutdown(). */
static void flush_at_exit(void)
{
    (void) nlog__async_flush(0);
}

/* fork(): take every library lock in order so the child never inherits one
 * held by a thread that does not exist there; the asynchronous writer is
 * between cycles while the state lock is held for writing. */
static void atfork_prepare(void)
{
    pthread_mutex_lock(&config_lock);
    pthread_rwlock_wrlock(&state_lock);
    nlog__async_atfork_prepare();
    nlog__registry_lock();
    nlog__perf_atfork_prepare();
}

static void atfork_parent(void)
{
    nlog__perf_atfork_parent();
    nlog__registry_unlock();
    nlog__async_atfork_parent();
    pthread_rwlock_unlock(&state_lock);
    pthread_mutex_unlock(&config_lock);
}

static void init_state_lock(void);

static void atfork_child(void)
{
    nlog__perf_atfork_child();
    nlog__registry_unlock();
    if (pipeline)
        nlog__pipeline_forget_batches(pipeline);
    nlog__async_atfork_child();
    /* The rwlock may still record readers and writers of the parent that
     * wait for it (the writer thread, for one), which do not exist here.
     * Release it (so checkers see it released), then start it afresh: with
     * this thread its only user, a fresh lock is equivalent. */
    pthread_rwlock_unlock(&state_lock);
    init_state_lock();
    pthread_mutex_unlock(&config_lock);
}

static void make_lock(void)
{
    (void) atexit(flush_at_exit);
    (void) pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    init_state_lock();
}

static void init_state_lock(void)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* Without writer preference a busy logging process could starve nlog_init(). */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&state_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
}

nlog__pipeline *nlog__state_read_begin(void)
{
    (void) pthread_once(&state_once, make_lock);
    pthread_rwlock_rdlock(&state_lock);
    return pipeline;
}

void nlog__state_read_end(void)
{
    pthread_rwlock_unlock(&state_lock);
}

nlog__pipeline *nlog__state_peek(void)
{
    return __atomic_load_n(&pipeline, __ATOMIC_ACQUIRE);
}

/* Makes `resolved` the configuration in force. Called with config_lock held.
 * `how` names the call for the audit trail. */
static nlog_status apply_locked(const nlog_config *resolved, const nlog_config *input,
                                const char *how)
{
    static nlog_config before; /* guarded by config_lock */
    int was = __atomic_load_n(&initialized, __ATOMIC_ACQUIRE);
    nlog__pipeline *fresh = NULL;
    nlog_status st = nlog__pipeline_create(resolved, &fresh);
    if (st != NLOG_OK) {
        nlog__set_errmsg("cannot set up the outputs: %s", nlog_status_str(st));
        return st;
    }
    /* A change that switches auditing off is audited first, through the
     * outputs still in force, and written out before they close. */
    int silencing = was && nlog__audit_turns_off(&active, resolved);
    if (silencing) {
        nlog__audit_disabling(&active, resolved, how);
        (void) nlog__async_flush(active.audit_sync);
    }
    st = nlog__registry_apply(resolved);
    if (st != NLOG_OK) {
        nlog__pipeline_destroy(fresh);
        nlog__set_errmsg("cannot apply the logger levels: %s", nlog_status_str(st));
        if (silencing) /* the trail stays on: say the change did not happen */
            nlog__audit_config(NLOG__AUDIT_REJECTED, &active, NULL, how, NULL);
        return st;
    }
    (void) pthread_once(&state_once, make_lock);
    pthread_rwlock_wrlock(&state_lock);
    nlog__pipeline *old = pipeline;
    pipeline = fresh;
    if (was)
        before = active;
    active = *resolved;
    if (input != &last_input) {
        if (input)
            last_input = *input;
        else
            nlog_config_init(&last_input);
    }
    pthread_rwlock_unlock(&state_lock);
    nlog__pipeline_destroy(old);
    __atomic_store_n(&record_cap, (size_t) resolved->max_record_size, __ATOMIC_RELAXED);
    (void) nlog__async_configure(resolved); /* on failure it reports and stays synchronous */
    nlog__perf_configure(resolved);
    nlog__sec_live_configure(resolved);
    __atomic_store_n(&initialized, 1, __ATOMIC_RELEASE);
    if (!silencing) /* else recorded above, and audit records now go nowhere */
        nlog__audit_config(was ? NLOG__AUDIT_RECONFIGURE : NLOG__AUDIT_START,
                           was ? &before : NULL, resolved, how, NULL);
    return NLOG_OK;
}

/* Alert and diagnostics callbacks may run on the performance module's own
 * threads, which nlog_shutdown() joins and reconfiguration talks to: from
 * there, stopping or reconfiguring the library is refused. */
static int on_library_thread(const char *what)
{
    if (!nlog__perf_on_own_thread())
        return 0;
    nlog__set_errmsg("%s: not allowed from an alert or diagnostics callback running on a "
                     "library thread (hand it to a thread of your own)",
                     what);
    return 1;
}

nlog_status nlog_init(const nlog_config *cfg)
{
    nlog__clear_errmsg();
    if (on_library_thread("nlog_init"))
        return NLOG_ESTATE;
    nlog_config resolved;
    nlog_error err;
    memset(&err, 0, sizeof err);
    pthread_mutex_lock(&config_lock);
    nlog_status st = nlog_config_resolve(cfg, &resolved, &err);
    if (st != NLOG_OK) {
        nlog__set_errmsg("%s", err.message[0] ? err.message : nlog_status_str(st));
        if (__atomic_load_n(&initialized, __ATOMIC_ACQUIRE))
            nlog__audit_config(NLOG__AUDIT_REJECTED, &active, NULL, "nlog_init", err.message);
        pthread_mutex_unlock(&config_lock);
        return st;
    }
    st = apply_locked(&resolved, cfg, "nlog_init");
    pthread_mutex_unlock(&config_lock);
    return st;
}

void nlog__ensure_init(void)
{
    if (__atomic_load_n(&initialized, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&config_lock);
    if (!__atomic_load_n(&initialized, __ATOMIC_ACQUIRE)) {
        nlog_config resolved;
        nlog_error err;
        memset(&err, 0, sizeof err);
        if (nlog_config_resolve(NULL, &resolved, &err) != NLOG_OK) {
            /* Zero-config start must not fail: say why and use the defaults. */
            nlog__diag(NLOG_DIAG_CONFIG, NLOG_ECONFIG, 0, err.source,
                       "%s; starting with the built-in defaults instead", err.message);
            nlog_config plain;
            nlog_config_init(&plain);
            plain.use_environment = 0;
            if (nlog_config_resolve(&plain, &resolved, &err) != NLOG_OK) {
                pthread_mutex_unlock(&config_lock);
                return;
            }
        }
        if (apply_locked(&resolved, NULL, "environment") != NLOG_OK)
            nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ENOMEM, 0, NULL, "%s", nlog_errmsg());
    }
    pthread_mutex_unlock(&config_lock);
}

nlog_status nlog_set_profile(const char *name)
{
    nlog__clear_errmsg();
    if (!name) {
        nlog__set_errmsg("profile name is NULL");
        return NLOG_EINVAL;
    }
    if (on_library_thread("nlog_set_profile"))
        return NLOG_ESTATE;
    nlog__ensure_init();
    pthread_mutex_lock(&config_lock);
    nlog_config input = last_input;
    snprintf(input.profile, sizeof input.profile, "%s", name);
    if (strlen(name) >= sizeof input.profile) {
        pthread_mutex_unlock(&config_lock);
        nlog__set_errmsg("unknown profile '%.40s'", name);
        return NLOG_ECONFIG;
    }
    nlog_config resolved;
    nlog_error err;
    memset(&err, 0, sizeof err);
    nlog_status st = nlog_config_resolve(&input, &resolved, &err);
    if (st == NLOG_OK) {
        st = apply_locked(&resolved, &input, "nlog_set_profile");
        if (st == NLOG_OK)
            last_input = input;
    } else {
        nlog__set_errmsg("%s", err.message[0] ? err.message : nlog_status_str(st));
        nlog__audit_config(NLOG__AUDIT_REJECTED, &active, NULL, "nlog_set_profile", err.message);
    }
    pthread_mutex_unlock(&config_lock);
    return st;
}

nlog_status nlog_get_config(nlog_config *out)
{
    if (!out)
        return NLOG_EINVAL;
    pthread_mutex_lock(&config_lock);
    nlog_status st = NLOG_ESTATE;
    if (__atomic_load_n(&initialized, __ATOMIC_ACQUIRE)) {
        *out = active;
        out->level = nlog_get_level(); /* nlog_set_level() changes it at run time */
        st = NLOG_OK;
    }
    pthread_mutex_unlock(&config_lock);
    return st;
}

nlog_status nlog_flush(void)
{
    nlog_status ast = nlog__async_flush(0);
    nlog__pipeline *p = nlog__state_read_begin();
    nlog_status st = p ? nlog__pipeline_flush(p) : NLOG_OK;
    nlog__state_read_end();
    return ast != NLOG_OK ? ast : st;
}

void nlog_shutdown(void)
{
    if (on_library_thread("nlog_shutdown")) {
        nlog__diag(NLOG_DIAG_INTERNAL, NLOG_ESTATE, 0, "nlog_shutdown",
                   "nlog_shutdown() was called from a callback on a library thread and was "
                   "refused; the library keeps running");
        return;
    }
    pthread_mutex_lock(&config_lock);
    nlog__perf_stop();  /* its last records go through the outputs still open */
    if (__atomic_load_n(&initialized, __ATOMIC_ACQUIRE))
        nlog__audit_config(NLOG__AUDIT_STOP, NULL, NULL, "nlog_shutdown", NULL);
    nlog__sec_live_shutdown();
    nlog__async_stop(); /* writes everything queued before the outputs close */
    (void) pthread_once(&state_once, make_lock);
    pthread_rwlock_wrlock(&state_lock);
    nlog__pipeline *old = pipeline;
    pipeline = NULL;
    __atomic_store_n(&initialized, 0, __ATOMIC_RELEASE);
    pthread_rwlock_unlock(&state_lock);
    nlog__pipeline_destroy(old);
    nlog__registry_reset();
    pthread_mutex_unlock(&config_lock);
}
