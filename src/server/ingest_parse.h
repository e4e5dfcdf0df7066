/* ingest_parse.h: request bodies of POST /api/v2/logs/entries — a JSON array
 * of records or NDJSON (one record per line) in the product's record format
 * (docs/record-format.md) — into records for the store. A bad record is reported
 * with its index (and line, for NDJSON) and skipped; the others are kept.
 * Only a body that is not a JSON array or NDJSON at all fails as a whole.
 *
 * Memory. A body is never turned into one JSON tree: each record is read on
 * its own (the fast path, or json-c for that record's text only, freed right
 * after), so what a request holds beyond its body is its records: the
 * nlogd_record array and the strings in the arena, nlogd_ingest_mem(). A
 * record's text is at most NLOGD_RECORD_MAX bytes and NLOGD_RECORD_VALUES_MAX
 * JSON values (bigger ones are refused as records, without building their
 * tree), which bounds json-c's many small allocations for one record; and
 * mem_limit bounds the records of the request (413 beyond).
 * Fuzzed by tests/fuzz/fuzz_ingest.c; tested by tests/unit/server/test_server_parse.c */
#ifndef NLOGD_INGEST_PARSE_H
#define NLOGD_INGEST_PARSE_H

#include <stddef.h>

#include "server/arena.h"
#include "server/error.h"
#include "server/store.h"

#define NLOGD_INGEST_ERRORS_MAX 100     /* per-record errors reported per request */
#define NLOGD_MESSAGE_MAX (1024 * 1024) /* bytes of one message */
#define NLOGD_RECORD_MAX (8 * 1024 * 1024) /* bytes of one record's JSON text (a message
                                              of NLOGD_MESSAGE_MAX, escaped, fits) */
#define NLOGD_RECORD_VALUES_MAX 10000   /* JSON values in one record read by json-c */

typedef struct nlogd_ingest_error {
    size_t index; /* 0-based position of the record in the body */
    size_t line;  /* 1-based line for NDJSON, 0 for an array */
    char message[300];
} nlogd_ingest_error;

typedef struct nlogd_ingest {
    nlogd_arena arena;
    nlogd_record *recs;
    size_t n, cap;
    size_t rejected;                       /* records refused (all of them) */
    nlogd_ingest_error *errors;            /* the first NLOGD_INGEST_ERRORS_MAX */
    size_t n_errors;
    size_t mem_limit;                      /* bytes nlogd_ingest_mem() may reach; 0 = none.
                                              Set by the caller after init. */
    int over;                              /* internal: mem_limit was reached */
    /* Parts (nlogd_ingest_parse_part): set by the caller after init. */
    size_t index_base, line_base;          /* records and lines before this part */
    size_t n_base;                         /* records accepted before this part */
    size_t mem_limit_total;                /* the request's budget, for the 413 message */
    /* Set by the NDJSON parse: index_base / line_base for the next part. */
    size_t index_end, line_end;
} nlogd_ingest;

void nlogd_ingest_init(nlogd_ingest *in);
void nlogd_ingest_free(nlogd_ingest *in);
/* Bytes the parsed records hold: the record array (its capacity), the
 * arena and the error list. */
size_t nlogd_ingest_mem(const nlogd_ingest *in);

/* Parses body[0..len). Returns 0 (records in in->recs, per-record problems in
 * in->errors), or -1 with e filled (400 malformed_body; 413 payload_too_large
 * when the records would take more than in->mem_limit; 500 when memory ran
 * out). */
int nlogd_ingest_parse(const char *body, size_t len, nlogd_ingest *in, nlogd_err *e);

/* Large NDJSON bodies in parts (rest_ingest.c stores the first part while
 * it reads the next). is_ndjson: whether nlogd_ingest_parse() would read
 * body as NDJSON. part_end: where the part starting at pos ends, after the
 * first newline at or beyond part_bytes (or at len). parse_part: parses one
 * part as NDJSON into its own `in`, whose index_base, line_base (the
 * index_end, line_end of the part before), n_base and mem_limit (what is
 * left of the budget) the caller sets; a part may hold no records (the
 * caller answers nlogd_no_records() when no part held any). Record
 * indexes, line numbers and messages are what one nlogd_ingest_parse()
 * of the whole body gives. */
int nlogd_ingest_is_ndjson(const char *body, size_t len);
size_t nlogd_ingest_part_end(const char *body, size_t len, size_t pos, size_t part_bytes);
int nlogd_ingest_parse_part(const char *part, size_t len, nlogd_ingest *in, nlogd_err *e);
int nlogd_no_records(nlogd_err *e);

/* As nlogd_ingest_parse(); NLOGD_PARSE_NO_FAST reads every record with
 * json-c (the reference the fast path is tested against). */
#define NLOGD_PARSE_NO_FAST 1u
int nlogd_ingest_parse_ex(const char *body, size_t len, nlogd_ingest *in, nlogd_err *e,
                          unsigned flags);

#endif
