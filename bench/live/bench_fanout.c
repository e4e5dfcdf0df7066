/* bench_fanout.c: the live stream's fan-out, measured (scripts/bench_live.sh).
 *
 *   bench_fanout --port P [--clients 100] [--rate 600] [--seconds 20]
 *                [--warmup 3] [--producers 4] [--batch-ms 10]
 *
 * Against a running nlogd on 127.0.0.1:P: opens --clients WebSocket streams
 * (each subscribed to everything, level=TRACE), then --producers threads
 * POST NDJSON batches to /api/v2/logs/entries every --batch-ms so that
 * --rate records per second are stored (ingest goes on all the time). Each
 * record's message carries the CLOCK_MONOTONIC time its batch was sent; two
 * receiver threads (epoll) read every client's frames and take, per entry,
 * delivery latency = receipt - send (POST, parse, queue, commit, hub,
 * sender, socket: the whole path). After --warmup seconds the figures are
 * counted for --seconds. Prints one Markdown table row set and a JSON line:
 * entries/s delivered in total, p50/p90/p99/max latency, dropped counts,
 * stored rate, nlogd's CPU (from /proc/PID/stat with --pid) and the load.
 *
 * A plain-C client on purpose: a Python client at 50,000 messages/s would
 * itself need more than the two cores this machine has. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port, clients = 100, rate = 600, seconds = 20, warmup = 3, producers = 4,
                  batch_ms = 10, pid;
static volatile int stop_all;
static int64_t t_start, t_end; /* counting window, monotonic ns */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t) port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *) &a, sizeof a) != 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

/* Producers --------------------------------------------------------------- */

static uint64_t posted, post_errors;
/* POST round trips in the window (the ingest part of the delivery path) */
static pthread_mutex_t post_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t *post_us;
static size_t n_post, cap_post;

static void *producer(void *arg)
{
    int id = (int) (intptr_t) arg;
    int fd = dial();
    double per_batch = (double) rate / producers * batch_ms / 1000.0;
    double owed = 0;
    size_t cap = 1 << 22;
    char *body = malloc(cap), *req = malloc(cap + 512), resp[8192];
    int64_t next = now_ns();
    uint64_t seq = 0;
    while (!stop_all) {
        owed += per_batch;
        int n = (int) owed;
        owed -= n;
        int64_t sent = now_ns();
        size_t len = 0;
        for (int i = 0; i < n; i++) {
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            len += (size_t) snprintf(body + len, cap - len,
                                     "{\"timestamp\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\","
                                     "\"level\":\"INFO\",\"category\":\"bench\",\"module\":\"bench.p%d\","
                                     "\"message\":\"bench t=%lld n=%llu\",\"context\":{\"request_id\":"
                                     "\"r%llu\"},\"performance_data\":{\"response_time\":0.012}}\n",
                                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                     tm.tm_min, tm.tm_sec, id, (long long) sent,
                                     (unsigned long long) seq, (unsigned long long) seq);
            seq++;
        }
        if (n) {
            int hl = snprintf(req, 512,
                              "POST /api/v2/logs/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                              "application/x-ndjson\r\nContent-Length: %zu\r\n\r\n",
                              len);
            memcpy(req + hl, body, len);
            size_t total = (size_t) hl + len, off = 0;
            while (off < total) {
                ssize_t w = write(fd, req + off, total - off);
                if (w <= 0) {
                    perror("post");
                    exit(1);
                }
                off += (size_t) w;
            }
            /* the answer: headers, then Content-Length bytes */
            size_t got = 0;
            char *eoh = NULL;
            while (!eoh) {
                ssize_t r = read(fd, resp + got, sizeof resp - 1 - got);
                if (r <= 0) {
                    perror("answer");
                    exit(1);
                }
                got += (size_t) r;
                resp[got] = '\0';
                eoh = strstr(resp, "\r\n\r\n");
            }
            const char *cl = strcasestr(resp, "Content-Length:");
            size_t want = (size_t) (eoh + 4 - resp) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
            while (got < want) {
                ssize_t r = read(fd, resp + got, sizeof resp - 1 - got);
                if (r <= 0)
                    break;
                got += (size_t) r;
            }
            int64_t done = now_ns();
            if (done >= t_start && done < t_end) {
                pthread_mutex_lock(&post_lock);
                if (n_post == cap_post) {
                    cap_post = cap_post ? cap_post * 2 : 65536;
                    post_us = realloc(post_us, cap_post * sizeof *post_us);
                }
                post_us[n_post++] = (uint32_t) ((done - sent) / 1000);
                pthread_mutex_unlock(&post_lock);
            }
            if (strncmp(resp, "HTTP/1.1 202", 12) != 0)
                __atomic_fetch_add(&post_errors, 1, __ATOMIC_RELAXED);
            else
                __atomic_fetch_add(&posted, (uint64_t) n, __ATOMIC_RELAXED);
        }
        next += (int64_t) batch_ms * 1000000LL;
        int64_t wait = next - now_ns();
        if (wait > 0) {
            struct timespec ts = {(time_t) (wait / 1000000000LL), (long) (wait % 1000000000LL)};
            nanosleep(&ts, NULL); /* pacing the offered load, not synchronisation */
        }
    }
    close(fd);
    free(body);
    free(req);
    return NULL;
}

/* Receivers ----------------------------------------------------------------- */

typedef struct conn {
    int fd;
    char *buf;
    size_t len, cap;
    int upgraded;
} conn;

typedef struct rx {
    conn *conns;
    int n;
    uint32_t *lat_us; /* samples in the window */
    size_t n_lat, cap_lat;
    uint64_t entries, dropped_msgs, dropped, others;
} rx;

static void handle_frame(rx *r, conn *c, int op, const char *p, size_t n)
{
    if (op == 9) { /* ping: answer with a masked pong */
        unsigned char f[256];
        size_t m = n > 125 ? 125 : n;
        f[0] = 0x8A;
        f[1] = (unsigned char) (0x80 | m);
        memset(f + 2, 0, 4); /* mask 0: the payload goes as it is */
        memcpy(f + 6, p, m);
        (void) !write(c->fd, f, 6 + m);
        return;
    }
    if (op != 1)
        return;
    const char *t = memmem(p, n, "bench t=", 8);
    if (t) {
        int64_t sent = strtoll(t + 8, NULL, 10), now = now_ns();
        r->entries++;
        if (now >= t_start && now < t_end) {
            if (r->n_lat == r->cap_lat) {
                r->cap_lat = r->cap_lat ? r->cap_lat * 2 : 1 << 20;
                r->lat_us = realloc(r->lat_us, r->cap_lat * sizeof *r->lat_us);
            }
            int64_t us = (now - sent) / 1000;
            r->lat_us[r->n_lat++] = (uint32_t) (us < 0 ? 0 : us);
        }
    } else if (memmem(p, n, "\"dropped\"", 9)) {
        r->dropped_msgs++;
        const char *cnt = memmem(p, n, "\"count\":", 8);
        if (cnt)
            r->dropped += strtoull(cnt + 8, NULL, 10);
    } else {
        __atomic_fetch_add(&r->others, 1, __ATOMIC_RELAXED);
    }
}

static void on_readable(rx *r, conn *c)
{
    for (;;) {
        if (c->cap - c->len < 65536) {
            c->cap = c->cap ? c->cap * 2 : 1 << 20;
            c->buf = realloc(c->buf, c->cap);
        }
        ssize_t got = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (got <= 0) {
            if (got < 0 && errno == EAGAIN)
                break;
            return;
        }
        c->len += (size_t) got;
    }
    size_t off = 0;
    if (!c->upgraded) {
        char *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (!e)
            return;
        if (strncmp(c->buf, "HTTP/1.1 101", 12) != 0) {
            fprintf(stderr, "handshake refused: %.60s\n", c->buf);
            exit(1);
        }
        c->upgraded = 1;
        off = (size_t) (e + 4 - c->buf);
    }
    while (c->len - off >= 2) {
        unsigned char *h = (unsigned char *) c->buf + off;
        int op = h[0] & 15;
        uint64_t n = h[1] & 127;
        size_t hl = 2;
        if (n == 126) {
            if (c->len - off < 4)
                break;
            n = (uint64_t) h[2] << 8 | h[3];
            hl = 4;
        } else if (n == 127) {
            if (c->len - off < 10)
                break;
            n = 0;
            for (int i = 0; i < 8; i++)
                n = n << 8 | h[2 + i];
            hl = 10;
        }
        if (c->len - off < hl + n)
            break;
        handle_frame(r, c, op, (const char *) h + hl, (size_t) n);
        off += hl + (size_t) n;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
}

static void *receiver(void *arg)
{
    rx *r = arg;
    int ep = epoll_create1(0);
    for (int i = 0; i < r->n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &r->conns[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, r->conns[i].fd, &ev);
    }
    struct epoll_event evs[128];
    while (!stop_all) {
        int n = epoll_wait(ep, evs, 128, 100);
        for (int i = 0; i < n; i++)
            on_readable(r, evs[i].data.ptr);
    }
    close(ep);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

static double cpu_s(int p)
{
    if (p <= 0)
        return 0;
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", p);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (s)
        sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    return (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
}

int main(int argc, char **argv)
{
    static const struct option o[] = {
        {"port", 1, 0, 'p'},      {"clients", 1, 0, 'c'}, {"rate", 1, 0, 'r'},
        {"seconds", 1, 0, 's'},   {"warmup", 1, 0, 'w'},  {"producers", 1, 0, 'P'},
        {"batch-ms", 1, 0, 'b'},  {"pid", 1, 0, 'i'},     {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
        int v = atoi(optarg);
        switch (ch) {
        case 'p': port = v; break;
        case 'c': clients = v; break;
        case 'r': rate = v; break;
        case 's': seconds = v; break;
        case 'w': warmup = v; break;
        case 'P': producers = v; break;
        case 'b': batch_ms = v; break;
        case 'i': pid = v; break;
        default: return 2;
        }
    }
    if (!port || clients < 1 || producers < 1) {
        fprintf(stderr, "usage: bench_fanout --port P [--clients N] [--rate R] [--seconds S]\n");
        return 2;
    }
    conn *cs = calloc((size_t) clients, sizeof *cs);
    for (int i = 0; i < clients; i++) {
        cs[i].fd = dial();
        const char *hs = "GET /api/v2/logs/stream?level=TRACE HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n\r\n";
        if (write(cs[i].fd, hs, strlen(hs)) != (ssize_t) strlen(hs))
            return 1;
        fcntl(cs[i].fd, F_SETFL, fcntl(cs[i].fd, F_GETFL) | O_NONBLOCK);
    }
    rx rs[2];
    memset(rs, 0, sizeof rs);
    rs[0].conns = cs;
    rs[0].n = clients / 2;
    rs[1].conns = cs + clients / 2;
    rs[1].n = clients - clients / 2;
    pthread_t rt[2], pt[64];
    int64_t t0 = now_ns();
    t_start = t0 + (int64_t) warmup * 1000000000LL;
    t_end = t_start + (int64_t) seconds * 1000000000LL;
    for (int i = 0; i < 2; i++)
        pthread_create(&rt[i], NULL, receiver, &rs[i]);
    /* every client has its hello before the load starts */
    for (int tries = 0; tries < 1000; tries++) {
        uint64_t o = __atomic_load_n(&rs[0].others, __ATOMIC_RELAXED) +
                     __atomic_load_n(&rs[1].others, __ATOMIC_RELAXED);
        if (o >= (uint64_t) clients)
            break;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL); /* polling a condition, bounded */
    }
    if (producers > 64)
        producers = 64;
    for (int i = 0; i < producers; i++)
        pthread_create(&pt[i], NULL, producer, (void *) (intptr_t) i);
    /* wait out the window */
    struct timespec ts;
    int64_t wait = t_start - now_ns();
    if (wait > 0) {
        ts.tv_sec = (time_t) (wait / 1000000000LL);
        ts.tv_nsec = (long) (wait % 1000000000LL);
        nanosleep(&ts, NULL);
    }
    double cpu0 = cpu_s(pid);
    uint64_t posted0 = __atomic_load_n(&posted, __ATOMIC_RELAXED);
    wait = t_end - now_ns();
    ts.tv_sec = (time_t) (wait / 1000000000LL);
    ts.tv_nsec = (long) (wait % 1000000000LL);
    nanosleep(&ts, NULL);
    double cpu1 = cpu_s(pid);
    uint64_t posted1 = __atomic_load_n(&posted, __ATOMIC_RELAXED);
    double load[3] = {0, 0, 0};
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = -1;
        fclose(lf);
    }
    stop_all = 1;
    for (int i = 0; i < producers; i++)
        pthread_join(pt[i], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(rt[i], NULL);
    size_t n = rs[0].n_lat + rs[1].n_lat;
    uint32_t *all = malloc((n ? n : 1) * sizeof *all);
    memcpy(all, rs[0].lat_us, rs[0].n_lat * sizeof *all);
    memcpy(all + rs[0].n_lat, rs[1].lat_us, rs[1].n_lat * sizeof *all);
    qsort(all, n, sizeof *all, cmp_u32);
#define PCT(q) (n ? all[(size_t) ((double) (n - 1) * (q))] / 1000.0 : 0.0)
    qsort(post_us, n_post, sizeof *post_us, cmp_u32);
    double ing50 = n_post ? post_us[(n_post - 1) / 2] / 1000.0 : 0,
           ing99 = n_post ? post_us[(size_t) ((double) (n_post - 1) * 0.99)] / 1000.0 : 0;
    double per_s = (double) n / seconds;
    uint64_t dropped = rs[0].dropped + rs[1].dropped;
    printf("| clients | stored/s | delivered/s (total) | p50 ms | p90 ms | p99 ms | max ms | "
           "dropped | ingest p50/p99 ms | nlogd CPU | load avg |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|\n");
    printf("| %d | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %llu | %.2f / %.2f | %.0f%% | %.2f |\n",
           clients, (double) (posted1 - posted0) / seconds, per_s, PCT(0.50), PCT(0.90),
           PCT(0.99), n ? all[n - 1] / 1000.0 : 0.0, (unsigned long long) dropped, ing50, ing99,
           pid ? 100.0 * (cpu1 - cpu0) / seconds : 0.0, load[0]);
    printf("{\"clients\":%d,\"stored_per_s\":%.0f,\"delivered_per_s\":%.0f,\"p50_ms\":%.3f,"
           "\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"dropped\":%llu,\"post_errors\":%llu,"
           "\"ingest_p50_ms\":%.3f,\"ingest_p99_ms\":%.3f,\"nlogd_cpu_pct\":%.1f,\"loadavg1\":%.2f}\n",
           clients, (double) (posted1 - posted0) / seconds, per_s, PCT(0.50), PCT(0.90),
           PCT(0.99), n ? all[n - 1] / 1000.0 : 0.0, (unsigned long long) dropped,
           (unsigned long long) post_errors, ing50, ing99,
           pid ? 100.0 * (cpu1 - cpu0) / seconds : 0.0, load[0]);
    return post_errors ? 1 : 0;
}
