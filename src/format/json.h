/* json.h (internal): the JSON-lines record encoder.
 *
 * One record becomes one JSON object on one line. The member order, value
 * rendering, escaping and truncation rules are described in docs/record-format.md.
 * Thread-safety: every function here may be called from any thread at the
 * same time; the only shared state is read-only after first use.
 * Tested by: tests/unit/format/test_json_golden.c, test_json_escape.c,
 *            test_json_truncate.c, tests/fuzz/fuzz_json_encode.c */
#ifndef NLOG_FORMAT_JSON_H
#define NLOG_FORMAT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "core/record.h"

/* Smallest output buffer the encoders accept: enough for every fixed part of
 * a record with all strings cut to their ellipsis. */
#define NLOG__RECORD_MIN_CAP 1024

/* Encodes r as one JSON object + '\n' into out[0..cap).
 * cap >= NLOG__RECORD_MIN_CAP (a smaller cap writes nothing and returns 0,
 * with *ret_truncated = 1). Returns the bytes written (never more than
 * cap): always one complete, valid JSON object ending in "}\n", with no
 * other '\n' and no NUL. Sets *ret_truncated to 1 if anything was cut or
 * left out to respect cap, else 0. No heap allocation. */
size_t nlog__json_encode(const nlog__record *r, char *out, size_t cap, int *ret_truncated);

/* Call-site templates (json_cache.c): a record whose strings never change
 * encodes to the same bytes as every other record of its call site except
 * for its time and its non-string field values. nlog__json_template()
 * encodes r with those values left out, recording where each goes;
 * nlog__json_fill() puts a record's values into such a template. The
 * result is byte for byte what nlog__json_encode() writes. */
#define NLOG__JSON_HOLE_TIME (-1)
typedef struct nlog__json_hole {
    uint16_t offset; /* bytes into the template */
    int16_t what;    /* NLOG__JSON_HOLE_TIME, or the index of the field in r->fields */
} nlog__json_hole;

/* Bytes a value written into a hole may take at most. */
#define NLOG__JSON_HOLE_MAX 36 /* NLOG__DOUBLE_MAX + 4 ("0x" pointers); the time takes 27 */

/* Encodes the template of r into out[0..cap). Returns its length, or 0 if
 * it does not fit unshortened in cap or has more than max_holes holes. */
size_t nlog__json_template(const nlog__record *r, char *out, size_t cap, nlog__json_hole *holes,
                           size_t max_holes, size_t *ret_n_holes);

/* Writes the record r made from template tpl into out, which must have room
 * for tpl_len + n_holes * NLOG__JSON_HOLE_MAX bytes. Returns the length. */
size_t nlog__json_fill(const char *tpl, size_t tpl_len, const nlog__json_hole *holes,
                       size_t n_holes, const nlog__record *r, char *out);

/* Escapes s[0..len) as JSON string content (no quotes) into dst[0..room),
 * writing only whole escapes and characters. Returns the bytes written and
 * stores in *ret_used how many input bytes they cover (len if it all fit).
 * Ill-formed UTF-8 becomes U+FFFD; U+2028/U+2029 are escaped. */
size_t nlog__json_escape(char *dst, size_t room, const char *s, size_t len, size_t *ret_used);

#endif /* NLOG_FORMAT_JSON_H */
