/* codec.h: copying a logging call into a queue entry, and back.
 *
 * The calling thread copies everything a record needs — level, time, logger
 * handle, call site, category id, message and fields with their strings —
 * into one contiguous entry, so that nothing it borrowed is needed after the
 * call returns. The writer thread turns an entry back into the nlog__record
 * view the encoders take. Logger handles, file and function names are stored
 * as pointers: loggers live until nlog_shutdown() (which drains the queues
 * first) and call-site strings are string literals and __func__.
 *
 * Entry layout (all in one allocation-free block, 8-byte aligned):
 *   nlog__qrec | nlog__qfield[n_fields] | message | keys (NUL-terminated) and
 *   string values, in field order | padding to 8
 * Tested by: tests/unit/async/test_codec.c */
#ifndef NLOG_ASYNC_CODEC_H
#define NLOG_ASYNC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/logger.h>

#include "async/ring.h"
#include "core/record.h"

#define NLOG__QKIND_RECORD 1

typedef struct nlog__qrec {
    nlog__ring_hdr h;
    int32_t level;
    int32_t line;
    int64_t time_ns;
    const nlog_logger *logger;
    const char *file;
    const char *function;
    uint32_t msg_len;     /* bytes */
    uint16_t n_fields;
    uint16_t category;    /* nlog_category id */
    uint32_t truncated;   /* 1 if strings were cut to fit the budget */
    uint32_t reserved;
    int64_t tid;
} nlog__qrec;

typedef struct nlog__qfield {
    uint8_t group;
    uint8_t type;
    uint16_t key_len;     /* bytes, excluding the NUL */
    uint32_t str_len;     /* bytes of a string value */
    union {
        int64_t i;
        uint64_t u;
        double d;
        const void *p;
        uint8_t b;
    } v;
} nlog__qfield;

/* What one call contributes to an entry. */
typedef struct nlog__qcall {
    const nlog_logger *logger;
    nlog_level level;
    nlog_category category;
    int64_t time_ns;
    int64_t tid;
    const nlog_site *site;
    const char *msg;
    size_t msg_len;
    const nlog_field *fields;
    size_t n_fields;       /* <= NLOG_FIELDS_MAX; category fields included (skipped) */
    int truncated;         /* the message was already cut */
} nlog__qcall;

/* Longest key kept, in bytes; longer keys are cut. */
#define NLOG__QKEY_MAX 1024

/* String lengths of one call, measured once and used for both the size and
 * the copy. */
typedef struct nlog__qlens {
    uint32_t msg;                      /* message bytes kept */
    uint32_t n_real;                   /* fields kept (category fields excluded) */
    int cut;                           /* a string was shortened to fit the budget */
    uint16_t key[NLOG_FIELDS_MAX];     /* key bytes, by field index */
    uint32_t str[NLOG_FIELDS_MAX];     /* string value bytes kept, by field index */
} nlog__qlens;

/* Measures `c` and returns the bytes of its entry, with message and string
 * values limited to `budget` bytes in total (cut in order: message first,
 * then fields). */
uint32_t nlog__qrec_measure(const nlog__qcall *c, size_t budget, nlog__qlens *lens);

/* Writes the entry for `c` into `dst` (the size nlog__qrec_measure() gave). */
void nlog__qrec_write(void *dst, uint32_t size, const nlog__qcall *c, const nlog__qlens *lens);

/* Rebuilds the record view of an entry copied out of a ring. `fields` must
 * hold NLOG_FIELDS_MAX entries; pid is the caller's. Returns the category. */
nlog_category nlog__qrec_read(const void *entry, nlog__record *r, nlog_field *fields,
                              int64_t pid);

#endif /* NLOG_ASYNC_CODEC_H */
