/* notify.h (internal): e-mail and webhook notifications of alert
 * transitions.
 *
 * With `alerts_enabled`, each transition of an alert whose `notify` is set
 * becomes one job per configured channel: an e-mail to `alert_email` through
 * the SMTP relay `alert_smtp_url` (from `alert_email_from`), and a JSON post
 * to `alert_webhook_url`. Each channel has its own bounded queue (256 jobs;
 * a full queue refuses and counts) and its own delivery thread, so a relay
 * that does not answer delays only its own channel. Failures that may pass
 * (connection errors, timeouts, SMTP 4xx, HTTP 408/429/5xx) are retried with
 * exponential backoff (1 s doubling, at most 60 s between attempts; an HTTP
 * Retry-After longer than that is honoured) for as long as the retry budget
 * lasts: NLOG__NOTIFY_RETRY_BUDGET_NS (15 minutes) from the job's first
 * attempt; refusals (SMTP 5xx, login or STARTTLS refused, other HTTP 4xx) are
 * given up at once. Logging never waits for delivery. Failures go to the
 * diagnostics callback (once when a channel starts failing, once per job
 * given up, once when it works again), never under the queue's lock, with
 * URLs redacted (config/url.h). Backoff follows the injectable monotonic
 * clock.
 *
 * At nlog_shutdown() jobs that are due get one last attempt, and every
 * transfer still running is aborted 5 seconds (of the injectable monotonic
 * clock) after the stop began; jobs waiting for a retry are dropped and
 * counted.
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
/* One attempt (curl; connect timeout 10 s, transfer 30 s). `why` receives a
 * short reason on failure, without any part of the URL. *abort_at
 * (monotonic ns, 0: none; read atomically while the transfer runs) cuts it
 * short. The webhook sets *ret_retry_after_ns to the wait an HTTP
 * Retry-After asked for (0: none). */
int nlog__mail_send(const char *url, const char *from, const char *to, const char *msg,
                    size_t len, const int64_t *abort_at, char *why, size_t why_size);
int nlog__webhook_send(const char *url, const char *body, size_t len, const int64_t *abort_at,
                       int64_t *ret_retry_after_ns, char *why, size_t why_size);

#define NLOG__NOTIFY_RETRY_BUDGET_NS (15 * 60 * INT64_C(1000000000))

/* Tests: backoff base and cap, the retry budget and the stop grace (ns); 0
 * keeps a value. */
void nlog__notify_test_policy(int64_t base_ns, int64_t max_ns, int64_t budget_ns, int64_t grace_ns);
/* Tests: waits (at most timeout_ms of real time) until no job is due and
 * none is being delivered, on any channel; returns the jobs still queued
 * (waiting for a retry), or -1 on timeout. */
int nlog__notify_wait_idle(int timeout_ms);
/* Tests: waits (at most timeout_ms) until `n` notifications were delivered
 * since the process started (notifications_sent); 0, or -1 on timeout. */
int nlog__notify_test_wait_sent(uint64_t n, int timeout_ms);
/* Tests: waits (at most timeout_ms) until a stop has begun; 0 or -1. */
int nlog__notify_test_wait_stopping(int timeout_ms);

#endif /* NLOG_PERF_NOTIFY_H */
