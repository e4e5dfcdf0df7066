/* codec.h: copying a logging call into a queue entry, and back.
 *
 * The calling thread copies what a record needs — level, time, logger
 * handle, call site, message and fields — into one contiguous entry, so
 * that nothing it borrowed is needed after the call returns. Strings whose
 * bytes lie in the program's read-only image (string literals, __func__,
 * __FILE__; see nlog__is_static() in platform.h) cannot change or go away,
 * so for them the entry keeps the pointer; every other string is copied
 * into the entry. Logger handles live until nlog_shutdown(), which drains
 * the queues first, so they are kept as pointers too. The writer thread
 * turns an entry back into the nlog__record view the encoders take.
 *
 * Entry layout (8-byte aligned, no allocation):
 *   nlog__qrec | nlog__qfield[n_fields] | copied bytes | padding to 8
 * The fields are the caller's nlog_field array as it is (category entries
 * included), with the struct's two padding bytes used for flags. Copied
 * bytes come in this order: file, function (NUL-terminated), message, then
 * per field its key (NUL-terminated) and its string value. A copied string's
 * pointer slot holds its offset from the start of the entry instead.
 *
 * Two writers produce the same layout: nlog__qrec_write_static(), the call
 * path's fast case (every string static, no copying, no measuring), and
 * nlog__qrec_measure() + nlog__qrec_write() for everything else.
 * Tested by: tests/unit/async/test_codec.c */
#ifndef NLOG_ASYNC_CODEC_H
#define NLOG_ASYNC_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <nlog/logger.h>

#include "async/ring.h"
#include "core/record.h"
#include "platform/platform.h"

#define NLOG__QKIND_RECORD 1

/* nlog__qrec.flags */
#define NLOG__QF_TSC 0x1u       /* time holds TSC ticks (nlog__tsc_to_ns) */
#define NLOG__QF_TRUNC 0x2u     /* strings were cut to fit the budget */
#define NLOG__QF_FILE 0x4u      /* file was copied: the slot holds an offset */
#define NLOG__QF_FUNCTION 0x8u  /* function was copied */
#define NLOG__QF_MSG 0x10u      /* message was copied */
#define NLOG__QF_STATIC 0x20u   /* no string was copied: all are static (NLOG__REC_STATIC) */

/* nlog__qfield.flags (entries that copied something; the fast path leaves
 * the caller's NLOG__HINT_LITERAL there) */
#define NLOG__QFF_KEY 0x1u      /* key was copied: the slot holds an offset */
#define NLOG__QFF_STR 0x2u      /* string value was copied */

typedef struct nlog__qrec {
    nlog__ring_hdr h;         /* h.level_index: the record's dense level index */
    int64_t time;             /* wall clock ns, or TSC ticks with NLOG__QF_TSC */
    const nlog_logger *logger;
    const char *file;         /* NUL-terminated, NULL, or an offset (NLOG__QF_FILE) */
    const char *function;     /* likewise (NLOG__QF_FUNCTION) */
    const char *msg;          /* likewise (NLOG__QF_MSG) */
    uint32_t msg_len;         /* bytes, or NLOG_LEN_NUL: NUL-terminated */
    int32_t line;
    uint32_t n_fields;        /* entries of the field array, category ones included */
    uint32_t flags;           /* NLOG__QF_* */
} nlog__qrec;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
_Static_assert(offsetof(nlog__qrec, line) == offsetof(nlog__qrec, msg_len) + 4 &&
                   offsetof(nlog__qrec, flags) == offsetof(nlog__qrec, n_fields) + 4 &&
                   offsetof(nlog__ring_hdr, kind) == 4 && offsetof(nlog__ring_hdr, level_index) == 5,
               "nlog__qrec_write_static() stores member pairs as one word");
#else
#error "nlog__qrec_write_static() assumes a little-endian machine"
#endif

/* The layout of nlog_field, naming its padding. */
typedef struct nlog__qfield {
    const char *key;          /* NUL-terminated, NULL, or an offset (NLOG__QFF_KEY) */
    uint8_t group;
    uint8_t type;
    uint16_t flags;           /* NLOG__QFF_* */
    uint32_t len;             /* bytes of a string value, or NLOG_LEN_NUL */
    union {
        int64_t i;
        uint64_t u;
        double d;
        const char *s;        /* or an offset (NLOG__QFF_STR) */
        const void *p;
        uint8_t b;
    } v;
} nlog__qfield;

_Static_assert(sizeof(nlog__qfield) == sizeof(nlog_field), "nlog__qfield mirrors nlog_field");
_Static_assert(offsetof(nlog__qfield, group) == offsetof(nlog_field, group) &&
                   offsetof(nlog__qfield, type) == offsetof(nlog_field, type) &&
                   offsetof(nlog__qfield, len) == offsetof(nlog_field, len) &&
                   offsetof(nlog__qfield, v) == offsetof(nlog_field, v) &&
                   offsetof(nlog__qfield, flags) == offsetof(nlog_field, hints) &&
                   offsetof(nlog_field, hints) == 10,
               "nlog__qfield mirrors nlog_field");

/* What one call contributes to an entry (the general path). */
typedef struct nlog__qcall {
    const nlog_logger *logger;
    int level_index;           /* dense index of the level */
    int64_t time;              /* ns, or ticks with NLOG__QF_TSC in time_flags */
    uint32_t time_flags;
    const nlog_site *site;
    const char *msg;           /* never NULL */
    size_t msg_len;
    const nlog_field *fields;
    size_t n_fields;           /* <= NLOG_FIELDS_MAX */
    int truncated;             /* the message was already cut */
} nlog__qcall;

/* Longest key kept, in bytes; longer keys are cut. */
#define NLOG__QKEY_MAX 1024

/* What the general path decided for one call: which strings are copied and
 * how many of their bytes, measured once for both the size and the copy. */
typedef struct nlog__qlens {
    uint32_t flags;                    /* NLOG__QF_FILE | _FUNCTION | _MSG | _TRUNC */
    uint32_t file, function, msg;      /* bytes copied (file, function: NUL excluded) */
    uint16_t key[NLOG_FIELDS_MAX];     /* key bytes copied, NUL excluded; 0xFFFF: kept */
    uint32_t str[NLOG_FIELDS_MAX];     /* string bytes copied; UINT32_MAX: kept */
} nlog__qlens;

#define NLOG__QKEEP16 0xFFFFu
#define NLOG__QKEEP32 UINT32_MAX

/* Decides and measures `c` and returns the bytes of its entry. Copied
 * message and string values share `budget` bytes (cut in order: message
 * first, then fields). */
uint32_t nlog__qrec_measure(const nlog__qcall *c, size_t budget, nlog__qlens *lens);

/* Writes the entry for `c` into `dst` (the size nlog__qrec_measure() gave). */
void nlog__qrec_write(void *dst, uint32_t size, const nlog__qcall *c, const nlog__qlens *lens);

/* The call path's fast case: writes the entry into `dst` (of
 * NLOG__QREC_STATIC_SIZE(n) bytes), stamped with the current time (TSC
 * ticks where the writer can convert them), if the
 * site strings, the message, every key and every string value are static
 * and every category is built in. Returns 1, or 0 (nothing useful written)
 * when the general path must do it. Only the main program's range is tried,
 * in registers. */
#define NLOG__QREC_STATIC_SIZE(n) ((uint32_t) (sizeof(nlog__qrec) + (n) * sizeof(nlog__qfield)))
#define NLOG__TRUST_SITE 0x1u   /* site->file and site->function are the main program's */
#define NLOG__TRUST_MSG 0x2u    /* msg is a literal of the main program */
#define NLOG__TRUST_FIELDS 0x4u /* fields with NLOG__HINT_LITERAL need no check */
static inline __attribute__((always_inline)) int
nlog__qrec_write_static(void *dst, const nlog_logger *lg, int level_index, unsigned trust,
                        const nlog_site *site, const char *msg, const nlog_field *fields,
                        size_t n)
{
    const uintptr_t lo = nlog__static_ranges[0].lo, span = nlog__static_ranges[0].len;
#define NLOG__QST(p) ((uintptr_t) (p) - lo < span)
    /* The header goes first, so that nothing but the loop's own values is
     * live during the loop; if a check below fails the entry is simply not
     * committed. TSC ticks when the writer can convert them (clock.c). */
    nlog__qrec *q = (nlog__qrec *) dst;
    int64_t time;
    uint32_t time_flags;
    if (NLOG_LIKELY(__atomic_load_n(&nlog__tsc_on, __ATOMIC_RELAXED))) {
        time = (int64_t) nlog__tsc_read();
        time_flags = NLOG__QF_TSC;
    } else {
        time = nlog__clock_realtime_ns();
        time_flags = 0;
    }
    /* Paired 32-bit members go out as single 64-bit stores (little-endian
     * order, checked by the static assertions below the struct). */
    uint64_t h = (uint64_t) NLOG__QREC_STATIC_SIZE(n) | (uint64_t) NLOG__QKIND_RECORD << 32 |
                 (uint64_t) (uint8_t) level_index << 40;
    uint64_t len_line = (uint64_t) NLOG_LEN_NUL | (uint64_t) (uint32_t) site->line << 32;
    uint64_t count_flags = (uint64_t) (uint32_t) n | (uint64_t) (time_flags | NLOG__QF_STATIC)
                                                          << 32;
    const char *file = site->file, *function = site->function;
    memcpy(&q->h, &h, 8);
    q->time = time;
    q->logger = lg;
    q->file = file;
    q->function = function;
    q->msg = msg;
    memcpy(&q->msg_len, &len_line, 8);
    memcpy(&q->n_fields, &count_flags, 8);
    if ((!(trust & NLOG__TRUST_MSG) && !NLOG__QST(msg)) ||
        (!(trust & NLOG__TRUST_SITE) && (!NLOG__QST(file) || !NLOG__QST(function))))
        return 0;
    const uint64_t proven = (trust & NLOG__TRUST_FIELDS) ? (uint64_t) NLOG__HINT_LITERAL << 16 : 0;
    char *o = (char *) (q + 1);
    const char *in = (const char *) fields, *end = n ? in + n * sizeof(nlog_field) : in;
    /* Three words per field: key, group|type|pad|len, value. */
    for (; in != end; in += sizeof(nlog_field), o += sizeof(nlog__qfield)) {
        uint64_t w0, w1, w2;
        memcpy(&w0, in, 8);
        memcpy(&w1, in + 8, 8);
        memcpy(&w2, in + 16, 8);
        if (!(w1 & proven)) { /* no proof from the macros: check the pointers */
            if ((uint8_t) w1 == NLOG_GROUP_CATEGORY) {
                if (w2 >= NLOG_CAT_BUILTIN_COUNT)
                    return 0;
            } else if (!NLOG__QST(w0) ||
                       ((uint8_t) (w1 >> 8) == NLOG_VALUE_STRING && !NLOG__QST(w2))) {
                return 0;
            }
        }
        /* The hints stay in the entry's flag bytes; the writer reads no
         * per-field flags of an entry that copied nothing. */
        memcpy(o, &w0, 8);
        memcpy(o + 8, &w1, 8);
        memcpy(o + 16, &w2, 8);
    }
#undef NLOG__QST
    return 1;
}

/* Rebuilds the record view of an entry copied out of a ring (its time
 * already in ns). `fields` must hold NLOG_FIELDS_MAX entries; pid and tid
 * are the producer's. Returns the category (the last category field; an
 * unknown id reads as application). */
nlog_category nlog__qrec_read(const void *entry, nlog__record *r, nlog_field *fields, int64_t pid,
                              int64_t tid);

#endif /* NLOG_ASYNC_CODEC_H */
