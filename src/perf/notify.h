/* notify.h (internal): e-mail and webhook notifications of alert
 * transitions.
 *
 * With `alerts_enabled`, each transition of an alert whose `notify` is set
 * becomes one job per configured channel: an e-mail to `alert_email` through
 * the SMTP relay `alert_smtp_url` (from `alert_email_from`), and a JSON post
 * to `alert_webhook_url`. Jobs wait in a bounded queue (256; a full queue
 * refuses and counts) for one delivery thread, which retries failures that
 * may pass (connection errors, SMTP 4xx, HTTP 408/429/5xx) with exponential
 * backoff (1 s, 2 s, 4 s, 8 s; 5 attempts), and gives up at once on refusals
 * (SMTP 5xx, other HTTP 4xx). Logging never waits for it. Failures go to the
 * diagnostics callback (once when a channel starts failing, once per job
 * given up, once when it works again) with URLs redacted (config/url.h).
 * Backoff follows the injectable monotonic clock.
 *
 * At nlog_shutdown() jobs that are due get one last attempt within 5
 * seconds in all; the others are dropped and counted.
 * Tested by: tests/unit/perf/test_notify.c (a real SMTP server and a real
 * HTTP listener on 127.0.0.1) */
#ifndef NLOG_PERF_NOTIFY_H
#define NLOG_PERF_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/nlog.h>

/* Applies the channels of a resolved configuration (any thread). */
void nlog__notify_configure(const nlog_config *cfg);
/* Queues the notifications of one transition. Never blocks on delivery. */
void nlog__notify_alert(const nlog_alert_event *ev);
/* Stops the delivery thread (see above). */
void nlog__notify_stop(void);
void nlog__notify_counters(uint64_t *sent, uint64_t *retried, uint64_t *failed,
                           uint64_t *dropped);
void nlog__notify_atfork_prepare(void);
void nlog__notify_atfork_parent(void);
void nlog__notify_atfork_child(void);

/* Pure formatting, for the senders and the tests. Each returns a malloc'd
 * text (NULL on allocation failure) and its length. */
char *nlog__mail_format(const nlog_alert_event *ev, const char *from, const char *to,
                        const char *host, int64_t now_ns, size_t *ret_len);
char *nlog__webhook_format(const nlog_alert_event *ev, const char *host, size_t *ret_len);

/* Delivery results. */
enum { NLOG__SEND_OK = 0, NLOG__SEND_RETRY = 1, NLOG__SEND_REFUSED = 2 };
/* One attempt (curl). `why` receives a short reason on failure, without
 * any part of the URL. *abort_at (monotonic ns, 0: none; read atomically
 * while the transfer runs) cuts it short. */
int nlog__mail_send(const char *url, const char *from, const char *to, const char *msg,
                    size_t len, const int64_t *abort_at, char *why, size_t why_size);
int nlog__webhook_send(const char *url, const char *body, size_t len, const int64_t *abort_at,
                       char *why, size_t why_size);

/* Tests: backoff base and cap (ns), attempts, and the stop grace (ns); 0
 * keeps a value. */
void nlog__notify_test_backoff(int64_t base_ns, int64_t max_ns, int attempts, int64_t grace_ns);
/* Tests: waits (at most timeout_ms of real time) until no job is due and
 * none is being delivered; returns the jobs still queued (waiting for a
 * retry), or -1 on timeout. */
int nlog__notify_wait_idle(int timeout_ms);

#endif /* NLOG_PERF_NOTIFY_H */
