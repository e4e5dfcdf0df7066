/* ratelimit.h: requests per second per API key (server.rate_limit), a token
 * bucket per key name: `rate` tokens a second, holding at most one second's
 * worth, so a key may burst to `rate` requests and then keeps to `rate` per
 * second. Beyond it the request is answered 429 with Retry-After.
 * Memory is bounded: at most NLOGD_RATE_KEYS buckets (a key file holds at
 * most 1024 keys, but keys come and go at run time); when they are all in
 * use, a bucket idle for a second is recycled, and with none idle the new
 * name is limited (never let through unlimited).
 * Thread-safety: any thread; one mutex. */
#ifndef NLOGD_RATELIMIT_H
#define NLOGD_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

#define NLOGD_RATE_KEYS 2048

typedef struct nlogd_rate_bucket {
    char name[72];         /* "" = free slot */
    double tokens;
    int64_t last_ns;       /* CLOCK_MONOTONIC of the last refill */
} nlogd_rate_bucket;

typedef struct nlogd_ratelimit {
    pthread_mutex_t lock;
    double rate;           /* tokens per second; 0 = no limit */
    nlogd_rate_bucket slots[NLOGD_RATE_KEYS];
} nlogd_ratelimit;

void nlogd_rate_init(nlogd_ratelimit *rl, int per_second);
void nlogd_rate_deinit(nlogd_ratelimit *rl);
/* Takes one token for `name` at now_ns (monotonic). Returns 0 when the
 * request may go on, else the seconds (>= 1) the caller should wait. */
int nlogd_rate_take(nlogd_ratelimit *rl, const char *name, int64_t now_ns);

#endif
