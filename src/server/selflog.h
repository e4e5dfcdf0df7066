/* selflog.h: nlogd's own SECURITY and AUDIT records, stored in its store
 * like any other record (so /api/v2/logs/security/events, exports and the
 * live stream show them).
 *
 *   security events (401, 403, 429 answers) are asynchronous: the request
 *   thread hands the event over and answers at once; a thread stores them
 *   every 100 ms. Repeats (same type, address, key, method and path) while
 *   one is waiting are merged into it with a count, and when 256 different
 *   events wait, further ones are merged into one "other refused requests"
 *   record: a flood of refused requests costs bounded memory and a bounded
 *   number of records, and no event is lost without being counted.
 *   audit records (exports, security-event queries, configuration changes)
 *   are synchronous: nlogd_audit() returns once the record is committed, and
 *   the caller does the audited action only then (a failed audit write is a
 *   503, the action is not done).
 * Thread-safety: any thread. */
#ifndef NLOGD_SELFLOG_H
#define NLOGD_SELFLOG_H

#include <stddef.h>

struct nlogd_server;
typedef struct nlogd_selflog nlogd_selflog;

int nlogd_selflog_start(struct nlogd_server *srv, nlogd_selflog **ret);
/* Stores what waits, then stops. Must run before the queue stops. NULL ok. */
void nlogd_selflog_stop(nlogd_selflog *sl);

/* A refused request. event_type: AUTH_FAILURE, ACCESS_DENIED, RATE_LIMITED;
 * severity: LOW, MEDIUM, HIGH. user may be NULL (no valid key). Strings are
 * copied (each cut at 255 bytes). */
void nlogd_security_event(nlogd_selflog *sl, const char *event_type, const char *severity,
                          const char *user, const char *ip, const char *method,
                          const char *path, int status, const char *reason);

/* Stores one AUDIT record and waits for its commit. `details` is a JSON
 * object text or NULL. Returns 0, or -1 when the store did not take it. */
int nlogd_audit(struct nlogd_server *srv, const char *action, const char *user,
                const char *role, const char *ip, const char *details);

#endif
