/* bench_security.c: nlog_bench_security, the security module's benchmark
 * (issue 6). Three measurements, each with a baseline measured in the same
 * run so that the figures are ratios, not absolute claims about a machine:
 *
 *   1. Masking on the encode path: nlog__redact() + the JSON encoder on a
 *      record of the product's shape, against the encoder alone: without
 *      sensitive data (the fast path every record pays), with a masked key
 *      and a card number (the slow path), and with one encrypted field.
 *   2. The flood: 1,000,000 distinct addresses and users in one minute of
 *      event time (one LOGIN_FAILURE every 60 us) with one address guessing
 *      a password every second inside it, through the default detectors and
 *      a 64 MB cap: events per second, state and heap held, evictions, and
 *      whether the brute force was found. Baseline: a fail2ban-style counter
 *      (a GLib hash table from address to count, no window, no cap).
 *   3. nlog_log_security_event() end to end, writing security.log and
 *      netlink.log, against NLOG_SECURITY() records of the same size.
 *
 * Usage: nlog_bench_security [--events N] [--records N]
 * Not a test; built with -DNLOG_BUILD_BENCH=ON; results in docs/PERFORMANCE.md. */
#include <glib.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nlog/nlog.h>

#include "core/record.h"
#include "format/json.h"
#include "security/redact.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static volatile size_t sink; /* keeps the encoder's work observable */

/* ---- 1. the encode path ---------------------------------------------------- */

static double encode_ns(nlog__redactor *rd, const nlog__record *r, long n, char *buf, size_t cap)
{
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_s();
        for (long i = 0; i < n; i++) {
            nlog__record tmp;
            int tr;
            const nlog__record *x = rd ? nlog__redact(rd, r, 1, &tmp) : r;
            sink += nlog__json_encode(x, buf, cap, &tr);
        }
        double ns = (now_s() - t0) * 1e9 / (double) n;
        if (ns < best)
            best = ns;
    }
    return best;
}

static void bench_encode(long n)
{
    static char buf[65536];
    nlog_config in, cfg;
    nlog_error err;
    char pk[NLOG_ENCRYPTION_KEY_B64_SIZE], sk[NLOG_ENCRYPTION_KEY_B64_SIZE];
    if (nlog_encryption_keypair(pk, sk) != NLOG_OK)
        return;
    nlog_config_init(&in);
    in.use_environment = 0;
    if (nlog_config_resolve(&in, &cfg, &err) != NLOG_OK)
        return;
    nlog__redactor *masking = NULL, *crypt = NULL;
    if (nlog__redactor_create(&cfg, 65536, &masking) != NLOG_OK)
        return;
    if (nlog_config_set(&in, "encrypt_fields", "card_holder", &err) != NLOG_OK)
        return;
    snprintf(in.encryption_public_key, sizeof in.encryption_public_key, "%s", pk);
    if (nlog_config_resolve(&in, &cfg, &err) != NLOG_OK ||
        nlog__redactor_create(&cfg, 65536, &crypt) != NLOG_OK)
        return;

    const nlog_field clean[] = {
        NLOG_CTX("request_id", "req_123456"), NLOG_CTX("user_id", "user_789"),
        NLOG_CTX("ip_address", "192.168.1.100"), NLOG_META("auth_method", "password"),
        NLOG_META("duration_ms", 45), NLOG_PERF("response_time", 0.045),
        NLOG_PERF("memory_usage", 128.5)};
    const nlog_field dirty[] = {
        NLOG_CTX("request_id", "req_123456"), NLOG_CTX("user_id", "user_789"),
        NLOG_CTX("ip_address", "192.168.1.100"), NLOG_META("password", "hunter2"),
        NLOG_META("note", "card 4111 1111 1111 1111"), NLOG_PERF("response_time", 0.045),
        NLOG_PERF("memory_usage", 128.5)};
    const nlog_field secret[] = {
        NLOG_CTX("request_id", "req_123456"), NLOG_CTX("user_id", "user_789"),
        NLOG_CTX("ip_address", "192.168.1.100"), NLOG_META("card_holder", "Jane Q. Public"),
        NLOG_META("duration_ms", 45), NLOG_PERF("response_time", 0.045),
        NLOG_PERF("memory_usage", 128.5)};
    nlog__record r = {
        .time_ns = 1700000000123456789LL, .level = NLOG_LEVEL_INFO, .category = "api",
        .logger = "auth_service", .logger_len = 12, .message = "User authenticated successfully",
        .message_len = 31, .function = "authenticate_user", .line = 142, .fields = clean,
        .n_fields = 7, .pid = 4242, .tid = 4243};
    double base = encode_ns(NULL, &r, n, buf, sizeof buf);
    double fast = encode_ns(masking, &r, n, buf, sizeof buf);
    r.fields = dirty;
    double base_dirty = encode_ns(NULL, &r, n, buf, sizeof buf);
    double slow = encode_ns(masking, &r, n, buf, sizeof buf);
    r.fields = secret;
    double base_secret = encode_ns(NULL, &r, n, buf, sizeof buf);
    double enc = encode_ns(crypt, &r, n, buf, sizeof buf);
    printf("\n### Masking and encryption on the encode path\n\n");
    printf("%ld records of the product's shape (7 fields, ~300 bytes), JSON encoder, best of 5 "
           "runs; nlog__redact() runs where records are encoded (the writer thread in async "
           "mode), never on the calling thread of an async call.\n\n",
           n);
    printf("| record | encoder alone | masking + encoder | added | ratio |\n|---|---|---|---|---|\n");
    printf("| nothing sensitive (the fast path, default masking on) | %.0f ns | %.0f ns | %+.0f ns | %.2f× |\n",
           base, fast, fast - base, fast / base);
    printf("| a masked key and a card number in a value | %.0f ns | %.0f ns | %+.0f ns | %.2f× |\n",
           base_dirty, slow, slow - base_dirty, slow / base_dirty);
    printf("| one encrypted field (XChaCha20-Poly1305; sealed data key per 1000 records) | %.0f ns | %.0f ns | %+.0f ns | %.2f× |\n",
           base_secret, enc, enc - base_secret, enc / base_secret);
    nlog__redactor_destroy(masking);
    nlog__redactor_destroy(crypt);
}

/* ---- 2. the flood ------------------------------------------------------------ */

typedef struct flood_result {
    double seconds;
    uint64_t detections_attacker, detections_other;
    char attacker_detectors[256];
    uint64_t slow_hits;       /* brute_force on the slow attacker */
    nlog_security_stats st;
    size_t peak_bytes, heap_bytes;
} flood_result;

/* A second attacker, slower than a node of the flood lives: one try every
 * --slow seconds (12 by default: 5 tries in 48 s, inside brute_force's
 * 300 s window). Only the ghost of its evicted node remembers it. */
static const char slow_ip[] = "198.51.100.12";
static long slow_every_s = 12;

static void on_hit(const nlog_security_detection *d, void *user)
{
    flood_result *r = user;
    /* the attacker's address, or the account it attacks */
    if (strcmp(d->key, slow_ip) == 0 || strcmp(d->key, "admin") == 0) {
        r->slow_hits += strcmp(d->detector, "brute_force") == 0;
    } else if (strcmp(d->key, "203.0.113.66") == 0 || strcmp(d->key, "root") == 0) {
        r->detections_attacker++;
        size_t n = strlen(r->attacker_detectors);
        snprintf(r->attacker_detectors + n, sizeof r->attacker_detectors - n, "%s%s",
                 n ? ", " : "", d->detector);
    } else {
        r->detections_other++;
    }
}

static void bench_flood(long events)
{
    nlog_config in, cfg;
    nlog_error err;
    nlog_config_init(&in);
    in.use_environment = 0;
    if (nlog_config_resolve(&in, &cfg, &err) != NLOG_OK)
        return;
    const int64_t t0 = 1700000000LL * 1000000000LL;
    const int64_t spacing = 60000; /* 1,000,000 a minute */
    char (*ips)[20] = malloc((size_t) events * 20);
    char (*users)[24] = malloc((size_t) events * 24);
    if (!ips || !users)
        return;
    for (long i = 0; i < events; i++) {
        snprintf(ips[i], 20, "10.%ld.%ld.%ld", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        snprintf(users[i], 24, "u%07ld", i);
    }
    flood_result r = {0};
    struct mallinfo2 before = mallinfo2();
    nlog_security_detector *d;
    if (nlog_security_detector_create(&cfg, &d) != NLOG_OK)
        return;
    r.st.struct_size = sizeof r.st;
    long per_second = 1000000000 / spacing;
    double start = now_s();
    for (long i = 0; i < events; i++) {
        nlog_security_event ev = {.type = NLOG_SEC_LOGIN_FAILURE, .user_id = users[i],
                                  .ip_address = ips[i], .timestamp_ns = t0 + i * spacing};
        (void) nlog_security_detector_feed(d, &ev, on_hit, &r);
        if (i % per_second == per_second / 2) { /* the attacker, once a second */
            nlog_security_event a = {.type = NLOG_SEC_LOGIN_FAILURE, .user_id = "root",
                                     .ip_address = "203.0.113.66",
                                     .timestamp_ns = t0 + i * spacing + 1000};
            (void) nlog_security_detector_feed(d, &a, on_hit, &r);
        }
        if (i % (per_second * slow_every_s) == per_second / 4) { /* the slow attacker */
            nlog_security_event a = {.type = NLOG_SEC_LOGIN_FAILURE, .user_id = "admin",
                                     .ip_address = slow_ip,
                                     .timestamp_ns = t0 + i * spacing + 2000};
            (void) nlog_security_detector_feed(d, &a, on_hit, &r);
        }
        if (i % 65536 == 0 && nlog_security_detector_stats(d, &r.st) == NLOG_OK &&
            r.st.memory_bytes > r.peak_bytes)
            r.peak_bytes = r.st.memory_bytes;
    }
    r.seconds = now_s() - start;
    if (nlog_security_detector_stats(d, &r.st) != NLOG_OK)
        return;
    struct mallinfo2 after = mallinfo2();
    /* hblkhd: the ghost tables are large enough to be mmap()ed */
    r.heap_bytes = (after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd);
    nlog_security_detector_destroy(d);

    /* the baseline: count per address, nothing else */
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    struct mallinfo2 b2 = mallinfo2();
    double s2 = now_s();
    uint64_t naive_hits = 0;
    for (long i = 0; i < events; i++) {
        const char *ip = ips[i];
        gpointer v = g_hash_table_lookup(h, ip);
        long c = GPOINTER_TO_INT(v) + 1;
        g_hash_table_replace(h, g_strdup(ip), GINT_TO_POINTER(c));
        naive_hits += c == 5;
        if (i % per_second == per_second / 2) {
            v = g_hash_table_lookup(h, "203.0.113.66");
            c = GPOINTER_TO_INT(v) + 1;
            g_hash_table_replace(h, g_strdup("203.0.113.66"), GINT_TO_POINTER(c));
            naive_hits += c == 5;
        }
    }
    double naive_s = now_s() - s2;
    struct mallinfo2 a2 = mallinfo2();
    size_t naive_heap = a2.uordblks - b2.uordblks;
    g_hash_table_destroy(h);

    double rate = (double) r.st.events / r.seconds;
    double naive_rate = (double) events / naive_s;
    printf("\n### The flood: %ld distinct addresses and users in %.0f s of event time\n\n",
           events, (double) events * (double) spacing / 1e9);
    printf("Default detectors (brute_force, targeted, distributed, spraying, "
           "success_after_failures, privilege_then_config, four patterns), security.memory_cap "
           "64 MB; one address tries a password every second inside the flood.\n\n");
    printf("| measure | target | nlog detectors | fail2ban-style counter (GLib hash, no window, no cap) |\n|---|---|---|---|\n");
    printf("| events per second | ≥ 100,000 | %.0f k/s **%s** | %.0f k/s (%.2f× nlog) |\n",
           rate / 1e3, rate >= 100000 ? "met" : "missed", naive_rate / 1e3, naive_rate / rate);
    printf("| state held at the end (the detector's count) | ≤ 64 MB | %.1f MB (peak %.1f MB) **%s** | — |\n",
           (double) r.st.memory_bytes / 1048576.0, (double) r.peak_bytes / 1048576.0,
           r.peak_bytes <= 64u * 1048576 && r.st.memory_bytes <= 64u * 1048576 ? "met" : "missed");
    printf("| heap held (mallinfo2, before destroy) | ≤ 64 MB + fixed parts | %.1f MB | %.1f MB |\n",
           (double) r.heap_bytes / 1048576.0, (double) naive_heap / 1048576.0);
    printf("| groups held / ghosts held / evicted | — | %llu / %llu / %llu | %u / — / 0 |\n",
           (unsigned long long) r.st.keys, (unsigned long long) r.st.ghosts,
           (unsigned long long) r.st.evictions, (unsigned) events);
    printf("| the brute force from 203.0.113.66 (on account root) | found | %s: %s | "
           "counted (no window) |\n",
           r.detections_attacker ? "**found**" : "**missed**", r.attacker_detectors);
    printf("| a slow brute force from %s (one try every %ld s, %ld tries) | found | %s | "
           "counted (no window) |\n",
           slow_ip, slow_every_s, events / (per_second * slow_every_s) + 1,
           r.slow_hits ? "**found** (brute_force)" : "**missed**");
    printf("| false detections on flood values | 0 | %llu | %llu |\n",
           (unsigned long long) r.detections_other, (unsigned long long) (naive_hits > 0 ? naive_hits - 1 : 0));
    free(ips);
    free(users);
}

/* ---- 3. end to end ----------------------------------------------------------- */

static void bench_end_to_end(long n)
{
    char dir[] = "/tmp/nlog-bench-security-XXXXXX";
    if (!mkdtemp(dir))
        return;
    nlog_config c;
    nlog_config_init(&c);
    c.use_environment = 0;
    c.console_enabled = 0;
    c.audit_lifecycle = 0;
    snprintf(c.directory, sizeof c.directory, "%s", dir);
    if (nlog_init(&c) != NLOG_OK)
        return;
    nlog_logger *lg = nlog_get_logger("security");
    char ip[20];
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        snprintf(ip, sizeof ip, "10.%ld.%ld.%ld", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        NLOG_SECURITY(lg, "LOGIN_FAILURE", NLOG_CATEGORY(NLOG_CAT_SECURITY),
                      NLOG_CTX("event_type", "LOGIN_FAILURE"), NLOG_CTX("severity", "MEDIUM"),
                      NLOG_CTX("outcome", "failure"), NLOG_CTX("user_id", "user123"),
                      NLOG_CTX("ip_address", ip), NLOG_META("reason", "invalid_password"));
    }
    double plain = now_s() - t0;
    t0 = now_s();
    for (long i = 0; i < n; i++) {
        snprintf(ip, sizeof ip, "10.%ld.%ld.%ld", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        nlog_security_event ev = {.type = NLOG_SEC_LOGIN_FAILURE, .user_id = "user123",
                                  .ip_address = ip,
                                  .details = (const nlog_field[]){NLOG_META("reason", "invalid_password")},
                                  .n_details = 1};
        (void) nlog_log_security_event(&ev);
    }
    double events = now_s() - t0;
    nlog_shutdown();
    printf("\n### Security events end to end (synchronous, security.log + netlink.log)\n\n");
    printf("| call | per second | ratio |\n|---|---|---|\n");
    printf("| NLOG_SECURITY() with the same fields (no detectors) | %.0f k/s | 1.00× |\n",
           (double) n / plain / 1e3);
    printf("| nlog_log_security_event() (record + detectors) | %.0f k/s | %.2f× |\n",
           (double) n / events / 1e3, plain / events);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
    long events = 1000000, records = 200000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--events") == 0)
            events = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--records") == 0)
            records = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--slow") == 0)
            slow_every_s = atol(argv[i + 1]) > 0 ? atol(argv[i + 1]) : 12;
    }
    printf("NetLink Logging %s, security module; %ld CPU(s)\n", nlog_version(),
           sysconf(_SC_NPROCESSORS_ONLN));
    bench_encode(records);
    bench_flood(events);
    bench_end_to_end(records);
    return 0;
}
