/* ratelimit.c: token buckets per key name (see ratelimit.h), in an open
 * addressing table (FNV-1a, linear probing). Buckets are never emptied (so
 * no probe chain breaks); when the table is full, a new name takes over a
 * bucket idle for a second or more, which holds a full second's worth of
 * tokens and so is the same as no bucket at all. A full table with no idle
 * bucket limits the new name: running out of room never lifts the limit.
 * Tested by: tests/unit/server/test_server_auth.c */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server/ratelimit.h"

void nlogd_rate_init(nlogd_ratelimit *rl, int per_second)
{
    memset(rl, 0, sizeof *rl);
    pthread_mutex_init(&rl->lock, NULL);
    rl->rate = per_second > 0 ? per_second : 0;
}

void nlogd_rate_deinit(nlogd_ratelimit *rl)
{
    pthread_mutex_destroy(&rl->lock);
}

static uint32_t fnv(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char) *s) * 16777619u;
    return h;
}

int nlogd_rate_take(nlogd_ratelimit *rl, const char *name, int64_t now_ns)
{
    if (rl->rate <= 0 || !name || !name[0])
        return 0;
    int wait = 0;
    pthread_mutex_lock(&rl->lock);
    uint32_t i = fnv(name) % NLOGD_RATE_KEYS;
    nlogd_rate_bucket *b = NULL, *idle = NULL;
    for (uint32_t probe = 0; probe < NLOGD_RATE_KEYS; probe++) {
        nlogd_rate_bucket *s = &rl->slots[(i + probe) % NLOGD_RATE_KEYS];
        if (!s->name[0]) {
            snprintf(s->name, sizeof s->name, "%s", name);
            s->tokens = rl->rate;
            s->last_ns = now_ns;
            b = s;
            break;
        }
        if (strcmp(s->name, name) == 0) {
            b = s;
            break;
        }
        if (!idle && now_ns - s->last_ns >= 1000000000LL)
            idle = s;
    }
    if (!b && idle) {
        snprintf(idle->name, sizeof idle->name, "%s", name);
        idle->tokens = rl->rate;
        idle->last_ns = now_ns;
        b = idle;
    }
    if (!b) {
        wait = 1; /* no room and nobody idle: limited, not waved through */
    } else {
        double dt = (double) (now_ns - b->last_ns) / 1e9;
        if (dt > 0) {
            b->tokens += dt * rl->rate;
            if (b->tokens > rl->rate)
                b->tokens = rl->rate;
            b->last_ns = now_ns;
        }
        if (b->tokens >= 1.0) {
            b->tokens -= 1.0;
        } else {
            wait = (int) ceil((1.0 - b->tokens) / rl->rate);
            if (wait < 1)
                wait = 1;
        }
    }
    pthread_mutex_unlock(&rl->lock);
    return wait;
}
