/* client.c: see client.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <nlog/nlog.h>

#include "client.h"

void tool_filter_defaults(tool_filter *f, char *buf, size_t size)
{
    nlog_config cfg;
    nlog_error err;
    snprintf(buf, size, "http://127.0.0.1:8000");
    if (nlog_config_resolve(NULL, &cfg, &err) == NLOG_OK && cfg.server_url[0])
        snprintf(buf, size, "%s", cfg.server_url);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == '/')
        buf[--n] = '\0';
    f->server = buf;
}

/* "10m", "2h", "3d", "45s" before now, or an RFC 3339 time as given. */
static int resolve_time(const char *v, char *out, size_t size)
{
    char *end;
    long n = strtol(v, &end, 10);
    long mult = 0;
    if (end != v && n >= 0 && end[0] && !end[1]) {
        switch (end[0]) {
        case 's': mult = 1; break;
        case 'm': mult = 60; break;
        case 'h': mult = 3600; break;
        case 'd': mult = 86400; break;
        }
    }
    if (!mult) {
        if (strlen(v) >= size)
            return -1;
        snprintf(out, size, "%s", v);
        return 0;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char t[NLOG_FORMAT_RFC3339_SIZE];
    nlog_format_rfc3339(((int64_t) ts.tv_sec - n * mult) * 1000000000LL + ts.tv_nsec, t);
    snprintf(out, size, "%s", t);
    return 0;
}

int tool_filter_option(const char *cmd, int argc, char **argv, int *i, tool_filter *f)
{
    static const char *const names[] = {"--server", "--level", "--category", "--logger",
                                        "--search", "--since", "--until", NULL};
    const char *a = argv[*i];
    size_t k = 0;
    while (names[k] && strcmp(names[k], a) != 0)
        k++;
    if (!names[k])
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "nlog %s: %s needs a value\n", cmd, a);
        return -1;
    }
    const char *v = argv[++*i];
    switch (k) {
    case 0: {
        static char server[1024];
        snprintf(server, sizeof server, "%s", v);
        size_t n = strlen(server);
        while (n && server[n - 1] == '/')
            server[--n] = '\0';
        f->server = server;
        break;
    }
    case 1: f->level = v; break;
    case 2: f->category = v; break;
    case 3: f->logger = v; break;
    case 4: f->search = v; break;
    case 5:
    case 6:
        if (resolve_time(v, k == 5 ? f->since : f->until, sizeof f->since) != 0) {
            fprintf(stderr, "nlog %s: %s: '%.60s' is too long; accepted: an RFC 3339 time or "
                    "a duration before now such as 30s, 10m, 2h, 7d\n", cmd, a, v);
            return -1;
        }
        break;
    }
    return 1;
}

void tool_query_add(char *buf, size_t size, const char *name, const char *value)
{
    size_t o = strlen(buf);
    int n = snprintf(buf + o, size - o, "%s%s=", o ? "&" : "", name);
    if (n < 0 || (size_t) n >= size - o)
        return;
    o += (size_t) n;
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *) value; *p && o + 4 < size; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            buf[o++] = (char) *p;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[*p >> 4];
            buf[o++] = hex[*p & 15];
        }
    }
    buf[o] = '\0';
}

typedef struct ctx {
    tool_body_fn fn;
    void *user;
    long status;
    CURL *c;
    char errbody[4096];
    size_t errlen;
} ctx;

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
    ctx *x = user;
    size_t len = size * n;
    if (!x->status)
        curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &x->status);
    if (x->status >= 200 && x->status < 300)
        return x->fn && x->fn(p, len, x->user) ? 0 : len;
    size_t room = sizeof x->errbody - 1 - x->errlen;
    size_t take = len < room ? len : room;
    memcpy(x->errbody + x->errlen, p, take);
    x->errlen += take;
    x->errbody[x->errlen] = '\0';
    return len;
}

int tool_http(const char *method, const char *url, const char *body, tool_body_fn fn,
              void *user, long *ret_status, char *err, size_t err_size)
{
    static int inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = 1;
    }
    ctx x;
    memset(&x, 0, sizeof x);
    x.fn = fn;
    x.user = user;
    x.c = curl_easy_init();
    if (!x.c) {
        snprintf(err, err_size, "cannot start an HTTP client");
        return -1;
    }
    struct curl_slist *h = NULL;
    curl_easy_setopt(x.c, CURLOPT_URL, url);
    curl_easy_setopt(x.c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(x.c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x.c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(x.c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(x.c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(x.c, CURLOPT_ACCEPT_ENCODING, "");
    /* With access control on, the key comes from server_api_key
     * (NETLINK_LOG_SERVER_API_KEY or the configuration file). */
    char auth[300] = "";
    {
        nlog_config cfg;
        nlog_error cerr;
        if (nlog_config_resolve(NULL, &cfg, &cerr) == NLOG_OK && cfg.server_api_key[0])
            snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg.server_api_key);
        explicit_bzero(cfg.server_api_key, sizeof cfg.server_api_key);
    }
    if (auth[0])
        h = curl_slist_append(h, auth);
    if (body)
        h = curl_slist_append(h, "Content-Type: application/json");
    if (h)
        curl_easy_setopt(x.c, CURLOPT_HTTPHEADER, h);
    if (body)
        curl_easy_setopt(x.c, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(x.c);
    if (!x.status)
        curl_easy_getinfo(x.c, CURLINFO_RESPONSE_CODE, &x.status);
    curl_easy_cleanup(x.c);
    curl_slist_free_all(h);
    explicit_bzero(auth, sizeof auth);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && x.status)) {
        snprintf(err, err_size, "cannot reach %s: %s", url, curl_easy_strerror(rc));
        return -1;
    }
    *ret_status = x.status;
    if (x.status < 200 || x.status >= 300) {
        json_object *o = json_tokener_parse(x.errbody), *e, *m;
        if (o && json_object_object_get_ex(o, "error", &e) &&
            json_object_object_get_ex(e, "message", &m))
            snprintf(err, err_size, "server answered %ld: %s", x.status, json_object_get_string(m));
        else
            snprintf(err, err_size, "server answered %ld", x.status);
        json_object_put(o);
    }
    return 0;
}
