/* deadline.c: the watchdog that ends overdue body reads (see deadline.h).
 * Invariant: an armed deadline's connection stays open while it is in the
 * list (its worker disarms before the handler returns, and CivetWeb closes
 * the socket only after that), so the socket found by its addresses under
 * `lock` is that connection's. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <civetweb.h>

#include "server/http/deadline.h"

struct nlogd_watchdog {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    nlogd_deadline *armed;
    int stop;
    pthread_t thread;
};

int64_t nlogd_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The descriptor of the TCP connection local_port <- peer, or -1. */
static int find_socket(uint32_t peer_addr, uint16_t peer_port, int local_port)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int found = -1, self = dirfd(d);
    struct dirent *de;
    while (found < 0 && (de = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(de->d_name, &end, 10);
        if (end == de->d_name || *end || fd < 0 || fd == self)
            continue;
        struct sockaddr_in a;
        socklen_t al = sizeof a;
        if (getsockname((int) fd, (struct sockaddr *) &a, &al) != 0 || a.sin_family != AF_INET ||
            ntohs(a.sin_port) != local_port)
            continue;
        al = sizeof a;
        if (getpeername((int) fd, (struct sockaddr *) &a, &al) == 0 && a.sin_family == AF_INET &&
            a.sin_addr.s_addr == peer_addr && a.sin_port == peer_port)
            found = (int) fd;
    }
    closedir(d);
    return found;
}

static void *watchdog_main(void *arg)
{
    nlogd_watchdog *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        int64_t now = nlogd_mono_ns(), next = 0;
        for (nlogd_deadline *d = w->armed; d; d = d->next) {
            if (d->fired)
                continue;
            if (d->at_ns <= now) {
                /* The read side only: the reader can still send its 408. */
                int fd = find_socket(d->peer_addr, d->peer_port, d->local_port);
                if (fd >= 0)
                    (void) shutdown(fd, SHUT_RD);
                d->fired = 1;
            } else if (!next || d->at_ns < next) {
                next = d->at_ns;
            }
        }
        if (!next) {
            pthread_cond_wait(&w->wake, &w->lock);
        } else {
            struct timespec ts = {(time_t) (next / 1000000000LL), (long) (next % 1000000000LL)};
            pthread_cond_timedwait(&w->wake, &w->lock, &ts);
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int nlogd_watchdog_start(nlogd_watchdog **ret)
{
    nlogd_watchdog *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w->lock, NULL);
    if (pthread_create(&w->thread, NULL, watchdog_main, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return -1;
    }
    *ret = w;
    return 0;
}

void nlogd_watchdog_stop(nlogd_watchdog *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

void nlogd_deadline_arm(nlogd_watchdog *w, nlogd_deadline *d, const struct mg_request_info *ri,
                        int64_t at_ns)
{
    memset(d, 0, sizeof *d);
    d->at_ns = at_ns;
    struct in_addr a;
    if (!w || !ri || inet_pton(AF_INET, ri->remote_addr, &a) != 1)
        return; /* not armed: only CivetWeb's per-receive timeout applies */
    d->peer_addr = a.s_addr;
    d->peer_port = htons((uint16_t) ri->remote_port);
    d->local_port = ri->server_port;
    pthread_mutex_lock(&w->lock);
    d->next = w->armed;
    if (w->armed)
        w->armed->prev = d;
    w->armed = d;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

int nlogd_deadline_disarm(nlogd_watchdog *w, nlogd_deadline *d)
{
    int fired = 0;
    if (w && d->peer_port) {
        pthread_mutex_lock(&w->lock);
        if (d->prev)
            d->prev->next = d->next;
        else if (w->armed == d)
            w->armed = d->next;
        if (d->next)
            d->next->prev = d->prev;
        fired = d->fired;
        pthread_mutex_unlock(&w->lock);
    }
    return fired || nlogd_mono_ns() >= d->at_ns;
}
