/* qparams.h: the REST API's parameters — the query string of GET requests
 * and the members of POST /api/v2/logs/export — parsed and checked into a
 * store filter. Every rejection names the parameter and says what is
 * accepted (error.h). Fuzzed by tests/fuzz/fuzz_query_params.c.
 * Tested by: tests/unit/server/test_server_parse.c */
#ifndef NLOGD_QPARAMS_H
#define NLOGD_QPARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "server/error.h"
#include "server/store.h"

#define NLOGD_QP_MAX 32          /* parameters in one query string */
#define NLOGD_QP_VALUE_MAX 2048  /* bytes of one decoded value */
#define NLOGD_LIMIT_DEFAULT 100
#define NLOGD_LIMIT_MAX 1000
/* A page of entries or security events ends early, with a next_cursor,
 * once its JSON passes this size: big records never make one huge answer. */
#define NLOGD_PAGE_BYTES (16u << 20)

typedef struct nlogd_qparam {
    char name[40];
    char value[NLOGD_QP_VALUE_MAX + 1];
    size_t value_len;
    int used;
} nlogd_qparam;

typedef struct nlogd_qparams {
    nlogd_qparam p[NLOGD_QP_MAX];
    size_t n;
} nlogd_qparams;

/* Splits and URL-decodes `qs` (may be NULL). `accepted` is the
 * NULL-terminated list of parameter names this endpoint takes; any other
 * name, a name given twice, bad %-encoding or too many parameters is an
 * error. */
int nlogd_qp_parse(const char *qs, const char *const *accepted, nlogd_qparams *out,
                   nlogd_err *e);
/* The value of `name`, or NULL if absent. */
const char *nlogd_qp_get(const nlogd_qparams *q, const char *name, size_t *ret_len);

/* Value checks shared by query strings and the export body. Each returns 0
 * or fills e (status 400, parameter `param`). */
int nlogd_qp_level(const char *param, const char *v, size_t len, int *ret_level, nlogd_err *e);
int nlogd_qp_time(const char *param, const char *v, size_t len, int64_t *ret_ns, nlogd_err *e);
int nlogd_qp_uint(const char *param, const char *v, size_t len, long min, long max, long *ret,
                  nlogd_err *e);
int nlogd_qp_name(const char *param, const char *v, size_t len, size_t max, char *out,
                  size_t out_size, nlogd_err *e);
/* search_query: 1..512 bytes holding at least one word (see search.h). */
int nlogd_qp_search(const char *param, const char *v, size_t len, char *out, size_t out_size,
                    nlogd_err *e);

/* The filter parameters common to entries and export: level, category,
 * logger, start_time, end_time, search_query (absent ones stay unset).
 * Checks start_time <= end_time. */
int nlogd_qp_filter(const nlogd_qparams *q, nlogd_filter *f, nlogd_err *e);

/* Opaque cursors: the last id of a page bound to the filter that made it,
 * so a cursor replayed with other filters is refused. */
#define NLOGD_CURSOR_LEN 32
void nlogd_cursor_make(const nlogd_filter *f, int64_t last_id, char out[NLOGD_CURSOR_LEN + 1]);
int nlogd_cursor_read(const char *param, const char *v, size_t len, nlogd_filter *f,
                      nlogd_err *e);

#endif

/* Export formats. */
typedef enum nlogd_export_format {
    NLOGD_EXPORT_JSON = 0,
    NLOGD_EXPORT_NDJSON = 1,
    NLOGD_EXPORT_CSV = 2,
    NLOGD_EXPORT_TXT = 3
} nlogd_export_format;

/* The body of POST /api/v2/logs/export: a JSON object with the members
 * format (json, ndjson, csv, txt; default json), level, category, logger,
 * start_time, end_time, search_query, each a string or null. */
int nlogd_export_parse(const char *body, size_t len, nlogd_filter *f, nlogd_export_format *fmt,
                       nlogd_err *e);
