/* test_rotate_util.h: helpers of the rotation, compression and retention
 * tests: read every record of a file and its rotated segments back (plain,
 * or decompressed with the real `zstd -dc` / `gzip -dc` tools) and count
 * records by id. Header-only (static functions); not a test of its own. */
#ifndef TEST_ROTATE_UTIL_H
#define TEST_ROTATE_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sink/rotate.h"
#include "testutil.h"

static const int64_t RT_SEC = 1000000000LL;

/* Reads a whole stream. */
static inline char *rt_slurp(FILE *fp, size_t *ret_len)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
        len += n;
        if (cap - len < 4096) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[len] = '\0';
    *ret_len = len;
    return buf;
}

/* The text of a file: decompressed with the real tool for .zst and .gz. */
static inline char *rt_read_any(const char *path, size_t *ret_len)
{
    size_t pl = strlen(path);
    const char *tool = NULL;
    if (pl > 4 && strcmp(path + pl - 4, ".zst") == 0)
        tool = "zstd -q -d -c";
    else if (pl > 3 && strcmp(path + pl - 3, ".gz") == 0)
        tool = "gzip -d -c";
    if (!tool) {
        char *t = tu_read_file(path, ret_len);
        assert_non_null(t);
        return t;
    }
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s '%s'", tool, path);
    FILE *fp = popen(cmd, "r");
    assert_non_null(fp);
    char *t = rt_slurp(fp, ret_len);
    int rc = pclose(fp);
    if (rc != 0)
        fail_msg("%s failed (%d)", cmd, rc);
    return t;
}

/* Record ids: messages "rec <a> <b>" map to a * per + b. */
typedef struct rt_count {
    unsigned char *seen; /* per id */
    size_t n_ids;
    size_t lines;        /* every line read */
    size_t files;        /* files read (active + segments) */
    size_t compressed;   /* .zst/.gz files among them */
    size_t plain_segments;
} rt_count;

static inline void rt_count_text(rt_count *c, char *text, size_t len, size_t per)
{
    char **lines;
    size_t n = tu_split_lines(text, len, &lines);
    for (size_t i = 0; i < n; i++) {
        json_object *o = tu_parse_json(lines[i]);
        json_object *m;
        assert_true(json_object_object_get_ex(o, "message", &m));
        unsigned a, b;
        if (sscanf(json_object_get_string(m), "rec %u %u", &a, &b) == 2) {
            size_t id = (size_t) a * per + b;
            assert_true(id < c->n_ids);
            c->seen[id]++;
        }
        c->lines++;
        json_object_put(o);
    }
    free(lines);
}

/* Reads `name` (e.g. "netlink.log") in dir and every segment of it. No
 * .tmp file may be left over. */
static inline void rt_count_all(rt_count *c, const char *dir, const char *name, size_t n_ids,
                         size_t per)
{
    memset(c, 0, sizeof *c);
    c->n_ids = n_ids;
    c->seen = calloc(n_ids ? n_ids : 1, 1);
    assert_non_null(c->seen);
    char stem[256], ext[64];
    assert_int_equal(nlog__rot_split(name, stem, sizeof stem, ext, sizeof ext), 0);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        nlog__seg s;
        int active = strcmp(e->d_name, name) == 0;
        if (!active && !nlog__rot_parse(e->d_name, stem, ext, &s))
            continue;
        if (!active) {
            if (s.kind == NLOG__SEG_TMP)
                fail_msg("leftover %s", e->d_name);
            c->compressed += s.kind != NLOG__SEG_PLAIN;
            c->plain_segments += s.kind == NLOG__SEG_PLAIN;
        }
        size_t len;
        char *t = rt_read_any(tu_path(dir, e->d_name), &len);
        rt_count_text(c, t, len, per);
        free(t);
        c->files++;
    }
    closedir(d);
}

/* Every id seen exactly once and nothing else. */
static inline void rt_assert_exactly_once(const rt_count *c)
{
    assert_int_equal(c->lines, c->n_ids);
    for (size_t i = 0; i < c->n_ids; i++)
        if (c->seen[i] != 1)
            fail_msg("record %zu seen %u times", i, c->seen[i]);
}

static inline size_t rt_count_entries(const char *dir, const char *stem, const char *ext, int kind)
{
    nlog__seg *segs;
    size_t n, k = 0;
    assert_int_equal(nlog__rot_list(dir, stem, ext, &segs, &n), 0);
    for (size_t i = 0; i < n; i++)
        k += kind < 0 || (int) segs[i].kind == kind;
    free(segs);
    return k;
}

static inline void rt_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static inline int rt_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

#endif /* TEST_ROTATE_UTIL_H */
