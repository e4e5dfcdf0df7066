/* console.c: the console sink (stdout or stderr).
 *
 * Each line goes out in one write(2) where the kernel allows (terminals and
 * pipes take up to PIPE_BUF atomically), looping over short writes. If the
 * stream is a pipe or socket, SIGPIPE is blocked around the write and any
 * pending SIGPIPE consumed, so a reader that went away (`prog | head`) ends
 * console output, not the application. Failures are reported once and
 * counted; the sink keeps trying, so output resumes if the stream recovers.
 * Tested by: tests/unit/sink/test_console_sink.c */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal/diag.h"
#include "platform/platform.h"
#include "sink/sink.h"

typedef struct console_sink {
    nlog__sink base;
    int fd;
    int may_sigpipe; /* the fd is a pipe or socket */
    int failed;      /* reported and not yet recovered (atomic) */
} console_sink;

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = nlog__sys_write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

static int write_nosigpipe(int fd, const char *p, size_t len)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    (void) sigpending(&pending);
    int already = sigismember(&pending, SIGPIPE);
    (void) pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int err = write_all(fd, p, len);
    if (err == EPIPE && !already) {
        const struct timespec zero = {0, 0};
        (void) sigtimedwait(&pipe_set, NULL, &zero);
    }
    (void) pthread_sigmask(SIG_SETMASK, &old, NULL);
    return err;
}

static nlog_status console_write(nlog__sink *s, const char *line, size_t len)
{
    console_sink *c = (console_sink *) s;
    int err = c->may_sigpipe ? write_nosigpipe(c->fd, line, len) : write_all(c->fd, line, len);
    if (err) {
        NLOG__COUNT(output_errors, 1);
        NLOG__COUNT(records_failed, 1);
        if (!__atomic_exchange_n(&c->failed, 1, __ATOMIC_RELAXED))
            nlog__diag(NLOG_DIAG_OUTPUT_FAILED, NLOG_EIO, err, c->fd == 1 ? "stdout" : "stderr",
                       "cannot write to %s: %s; console records are counted as failed until it "
                       "works again",
                       c->fd == 1 ? "stdout" : "stderr", strerror(err));
        return NLOG_EIO;
    }
    if (__atomic_load_n(&c->failed, __ATOMIC_RELAXED) &&
        __atomic_exchange_n(&c->failed, 0, __ATOMIC_RELAXED))
        nlog__diag(NLOG_DIAG_OUTPUT_RECOVERED, NLOG_OK, 0, c->fd == 1 ? "stdout" : "stderr",
                   "writing to %s works again", c->fd == 1 ? "stdout" : "stderr");
    return NLOG_OK;
}

static nlog_status console_flush(nlog__sink *s)
{
    (void) s;
    return NLOG_OK;
}

static nlog_status console_sync(nlog__sink *s)
{
    (void) s;
    return NLOG_OK;
}

static void console_destroy(nlog__sink *s)
{
    free(s);
}

static const nlog__sink_ops console_ops = {
    .name = "console",
    .write = console_write,
    .flush = console_flush,
    .sync = console_sync,
    .destroy = console_destroy,
};

nlog_status nlog__console_sink_create(int fd, nlog__sink **ret_sink)
{
    console_sink *c = calloc(1, sizeof *c);
    if (!c)
        return NLOG_ENOMEM;
    c->base.ops = &console_ops;
    c->fd = fd;
    struct stat st;
    c->may_sigpipe = fstat(fd, &st) != 0 || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
    *ret_sink = &c->base;
    return NLOG_OK;
}
