/* deadline.h: the whole-body timeout (server.request_timeout_ms).
 *
 * CivetWeb bounds how long a request's headers take (request_timeout_ms
 * from their first byte), but reads a body with a per-receive timeout only:
 * a client that sends one byte a second never trips it and holds a worker
 * thread (one of server.num_threads) for as long as it likes. So every body
 * read arms a deadline here, and one watchdog thread ends the reads that
 * pass theirs: it finds the connection's socket (by its addresses, in
 * /proc/self/fd) and shuts down its read side. CivetWeb's read then returns
 * at once, and the reader answers 408 and closes the connection.
 * Thread-safety: arm/disarm from any worker; start/stop from main only.
 * Tested by: tests/integration/server/test_server.py (group slow) */
#ifndef NLOGD_HTTP_DEADLINE_H
#define NLOGD_HTTP_DEADLINE_H

#include <stdint.h>

struct mg_request_info;
typedef struct nlogd_watchdog nlogd_watchdog;

/* One armed read; lives in the reader's stack frame while armed. */
typedef struct nlogd_deadline {
    struct nlogd_deadline *prev, *next;
    int64_t at_ns;           /* CLOCK_MONOTONIC */
    uint32_t peer_addr;      /* network order */
    uint16_t peer_port;      /* network order */
    int local_port;
    int fired;               /* the watchdog ended the read */
} nlogd_deadline;

int nlogd_watchdog_start(nlogd_watchdog **ret);
void nlogd_watchdog_stop(nlogd_watchdog *w); /* NULL is a no-op */

int64_t nlogd_mono_ns(void);
/* Arms d for the connection of ri, to expire at at_ns (CLOCK_MONOTONIC).
 * With w NULL, nothing is armed. */
void nlogd_deadline_arm(nlogd_watchdog *w, nlogd_deadline *d, const struct mg_request_info *ri,
                        int64_t at_ns);
/* Disarms d; returns 1 when its time had passed (fired or not), else 0. */
int nlogd_deadline_disarm(nlogd_watchdog *w, nlogd_deadline *d);

#endif
