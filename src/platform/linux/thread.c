/* thread.c: cached thread and process ids.
 *
 * getpid() and gettid() are cheap but are system calls; a record needs both,
 * so they are cached. The pid cache is invalidated in the child of fork(). */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/platform.h"

static _Thread_local int64_t cached_tid;
static int64_t cached_pid;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void after_fork_child(void)
{
    __atomic_store_n(&cached_pid, 0, __ATOMIC_RELAXED);
    cached_tid = 0; /* the forking thread is the child's only thread */
}

static void register_atfork(void)
{
    (void) pthread_atfork(NULL, NULL, after_fork_child);
}

int64_t nlog__thread_id(void)
{
    if (cached_tid == 0)
        cached_tid = (int64_t) syscall(SYS_gettid);
    return cached_tid;
}

int64_t nlog__process_id(void)
{
    int64_t pid = __atomic_load_n(&cached_pid, __ATOMIC_RELAXED);
    if (pid == 0) {
        (void) pthread_once(&atfork_once, register_atfork);
        pid = (int64_t) getpid();
        __atomic_store_n(&cached_pid, pid, __ATOMIC_RELAXED);
    }
    return pid;
}

void nlog__block_async_signals(void)
{
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
}
