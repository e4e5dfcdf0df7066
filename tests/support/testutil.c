/* testutil.c: see testutil.h. */
#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/platform.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove(path);
}

static void mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            (void) mkdir(tmp, 0755);
            *p = '/';
        }
    }
    (void) mkdir(tmp, 0755);
}

const char *tu_scratch(const char *name)
{
    static char buf[4096];
    const char *base = getenv("NLOG_TEST_TMP");
    char fallback[64];
    if (!base || !*base) {
        snprintf(fallback, sizeof fallback, "/tmp/nlog-test-%d", (int) getpid());
        base = fallback;
    }
    snprintf(buf, sizeof buf, "%s/%s", base, name);
    (void) nftw(buf, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    mkdir_p(buf);
    return buf;
}

const char *tu_path(const char *dir, const char *name)
{
    static char slots[8][4096];
    static unsigned next;
    char *b = slots[next++ % 8];
    snprintf(b, 4096, "%s/%s", dir, name);
    return b;
}

char *tu_read_file(const char *path, size_t *ret_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[len] = '\0';
    if (ret_len)
        *ret_len = len;
    return buf;
}

size_t tu_split_lines(char *text, size_t len, char ***ret_lines)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    char **lines = malloc((n + 1) * sizeof *lines);
    assert_non_null(lines);
    size_t k = 0;
    char *start = text;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            text[i] = '\0';
            lines[k++] = start;
            start = text + i + 1;
        }
    }
    if (start != text + len)
        fail_msg("output ends with a partial line: '%.80s'", start);
    lines[k] = NULL;
    *ret_lines = lines;
    return k;
}

json_object *tu_parse_json(const char *line)
{
    json_tokener *tok = json_tokener_new();
    assert_non_null(tok);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    size_t len = strlen(line);
    json_object *obj = json_tokener_parse_ex(tok, line, (int) len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    if (!obj || jerr != json_tokener_success || (size_t) json_tokener_get_parse_end(tok) != len) {
        json_tokener_free(tok);
        fail_msg("invalid JSON (%s): %.300s", json_tokener_error_desc(jerr), line);
    }
    json_tokener_free(tok);
    if (!json_object_is_type(obj, json_type_object))
        fail_msg("JSON line is not an object: %.300s", line);
    return obj;
}

size_t tu_assert_json_lines(const char *path)
{
    size_t len;
    char *text = tu_read_file(path, &len);
    if (!text)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    char **lines;
    size_t n = tu_split_lines(text, len, &lines);
    for (size_t i = 0; i < n; i++)
        json_object_put(tu_parse_json(lines[i]));
    free(lines);
    free(text);
    return n;
}

#define DIAG_MAX 256
static pthread_mutex_t diag_lock = PTHREAD_MUTEX_INITIALIZER;
static char *diag_msgs[DIAG_MAX];
static nlog_diag_kind diag_kinds[DIAG_MAX];
static size_t diag_n;

static void diag_cb(const nlog_diag *d, void *user)
{
    (void) user;
    pthread_mutex_lock(&diag_lock);
    if (diag_n < DIAG_MAX) {
        diag_kinds[diag_n] = d->kind;
        diag_msgs[diag_n++] = strdup(d->message);
    }
    pthread_mutex_unlock(&diag_lock);
}

void tu_diag_reset(void)
{
    pthread_mutex_lock(&diag_lock);
    for (size_t i = 0; i < diag_n; i++)
        free(diag_msgs[i]);
    diag_n = 0;
    pthread_mutex_unlock(&diag_lock);
}

void tu_diag_capture(void)
{
    tu_diag_reset();
    nlog_set_diagnostics(diag_cb, NULL);
}

size_t tu_diag_count(void)
{
    pthread_mutex_lock(&diag_lock);
    size_t n = diag_n;
    pthread_mutex_unlock(&diag_lock);
    return n;
}

const char *tu_diag_message(size_t i)
{
    return i < diag_n ? diag_msgs[i] : "";
}

nlog_diag_kind tu_diag_kind(size_t i)
{
    return i < diag_n ? diag_kinds[i] : (nlog_diag_kind) 0;
}

int tu_diag_contains(const char *needle)
{
    int found = 0;
    pthread_mutex_lock(&diag_lock);
    for (size_t i = 0; i < diag_n && !found; i++)
        found = strstr(diag_msgs[i], needle) != NULL;
    pthread_mutex_unlock(&diag_lock);
    return found;
}

static int64_t fake_real, fake_mono;
static int64_t fake_realtime(void)
{
    return __atomic_load_n(&fake_real, __ATOMIC_RELAXED);
}
static int64_t fake_monotonic(void)
{
    return __atomic_load_n(&fake_mono, __ATOMIC_RELAXED);
}

void tu_clock_fake(int64_t realtime_ns, int64_t monotonic_ns)
{
    __atomic_store_n(&fake_real, realtime_ns, __ATOMIC_RELAXED);
    __atomic_store_n(&fake_mono, monotonic_ns, __ATOMIC_RELAXED);
    nlog__clock_override(fake_realtime, fake_monotonic);
}

void tu_clock_advance(int64_t ns)
{
    __atomic_fetch_add(&fake_real, ns, __ATOMIC_RELAXED);
    __atomic_fetch_add(&fake_mono, ns, __ATOMIC_RELAXED);
}

void tu_clock_step_realtime(int64_t ns)
{
    __atomic_fetch_add(&fake_real, ns, __ATOMIC_RELAXED);
}

void tu_clock_real(void)
{
    nlog__clock_override(NULL, NULL);
}

void tu_config(nlog_config *cfg, const char *dir)
{
    nlog_config_init(cfg);
    cfg->use_environment = 0;
    cfg->level = NLOG_LEVEL_TRACE;
    cfg->console_enabled = 0;
    cfg->audit_lifecycle = 0; /* tests count lines; test_security_audit.c turns it on */
    if (dir) {
        cfg->file_enabled = 1;
        snprintf(cfg->directory, sizeof cfg->directory, "%s", dir);
    } else {
        cfg->file_enabled = 0;
    }
}
