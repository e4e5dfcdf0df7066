/* sec_testutil.h: helpers shared by the tests in tests/unit/security/
 * (static functions: each test is its own executable). */
#ifndef NLOG_SEC_TESTUTIL_H
#define NLOG_SEC_TESTUTIL_H

#include "testutil.h"

#define SEC_T0 (1700000000LL * 1000000000LL) /* 2023-11-14T22:13:20Z */
#define SEC_S(x) ((int64_t) ((x) * 1e9))

/* Records of a file in `dir`, parsed; NULL-terminated; *n the count. */
static inline json_object **sec_records(const char *dir, const char *file, size_t *n)
{
    size_t len;
    char *text = tu_read_file(tu_path(dir, file), &len);
    char **lines = NULL;
    *n = text ? tu_split_lines(text, len, &lines) : 0;
    json_object **objs = calloc(*n + 1, sizeof *objs);
    for (size_t i = 0; i < *n; i++)
        objs[i] = tu_parse_json(lines[i]);
    free(lines);
    free(text);
    return objs;
}

static inline void sec_free_records(json_object **objs)
{
    for (size_t i = 0; objs && objs[i]; i++)
        json_object_put(objs[i]);
    free(objs);
}

/* The member at a dotted path ("context.user_id"), or NULL. */
static inline json_object *sec_get(json_object *o, const char *path)
{
    char part[128];
    while (o && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t) (dot - path) : strlen(path);
        snprintf(part, sizeof part, "%.*s", (int) n, path);
        if (!json_object_object_get_ex(o, part, &o))
            return NULL;
        path += n + (dot ? 1 : 0);
    }
    return o;
}

static inline const char *sec_str(json_object *o, const char *path)
{
    json_object *v = sec_get(o, path);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Detections collected by a callback, formatted. */
typedef struct sec_hits {
    size_t n;
    char line[64][2048];
    nlog_security_detection last; /* its strings point into the copies below */
    char last_detector[64], last_key[256], last_group_by[64], last_counted[64];
    char last_sample_of[64], last_matched[64], last_sample[NLOG_SECURITY_SAMPLE_MAX][64];
    const char *last_sample_ptr[NLOG_SECURITY_SAMPLE_MAX];
    uint64_t last_count;
} sec_hits;

static inline void sec_collect(const nlog_security_detection *d, void *user)
{
    sec_hits *h = user;
    if (h->n < 64)
        assert_int_equal(nlog_security_detection_format(d, h->line[h->n], sizeof h->line[0], NULL),
                         NLOG_OK);
    h->n++;
    /* the detection's strings live for the callback only: keep copies */
    h->last = *d;
    snprintf(h->last_detector, sizeof h->last_detector, "%s", d->detector);
    snprintf(h->last_key, sizeof h->last_key, "%s", d->key);
    snprintf(h->last_group_by, sizeof h->last_group_by, "%s", d->group_by);
    snprintf(h->last_counted, sizeof h->last_counted, "%s", d->counted);
    snprintf(h->last_sample_of, sizeof h->last_sample_of, "%s", d->sample_of);
    snprintf(h->last_matched, sizeof h->last_matched, "%s", d->matched_field);
    for (size_t i = 0; i < d->n_sample && i < NLOG_SECURITY_SAMPLE_MAX; i++) {
        snprintf(h->last_sample[i], sizeof h->last_sample[i], "%s", d->sample[i]);
        h->last_sample_ptr[i] = h->last_sample[i];
    }
    h->last.detector = h->last_detector;
    h->last.key = h->last_key;
    h->last.group_by = h->last_group_by;
    h->last.counted = h->last_counted;
    h->last.sample_of = h->last_sample_of;
    h->last.matched_field = h->last_matched;
    h->last.sample = h->last_sample_ptr;
    h->last_count = d->count;
}

/* A resolved configuration for detector tests: no environment, no files. */
static inline void sec_resolved(nlog_config *in, nlog_config *out)
{
    nlog_error err;
    memset(&err, 0, sizeof err);
    if (nlog_config_resolve(in, out, &err) != NLOG_OK)
        fail_msg("resolve: %s", err.message);
}

static inline int sec_contains_file(const char *path, const char *needle)
{
    size_t len;
    char *text = tu_read_file(path, &len);
    if (!text)
        return 0;
    int found = memmem(text, len, needle, strlen(needle)) != NULL;
    free(text);
    return found;
}

#endif /* NLOG_SEC_TESTUTIL_H */
