/* ratelimit.c: token buckets per key name (see ratelimit.h), in an open
 * addressing table (FNV-1a, linear probing). Buckets are never removed:
 * their number is bounded by the key names that exist (a removed key's
 * bucket stays, which costs 100 bytes).
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
    nlogd_rate_bucket *b = NULL;
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
    }
    if (b) {
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
