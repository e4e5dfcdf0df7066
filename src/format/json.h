/* json.h (internal): the JSON-lines record encoder.
 *
 * One record becomes one JSON object on one line. The member order, value
 * rendering, escaping and truncation rules are described in docs/format.md.
 * Thread-safety: every function here may be called from any thread at the
 * same time; the only shared state is read-only after first use.
 * Tested by: tests/unit/format/test_json_golden.c, test_json_escape.c,
 *            test_json_truncate.c, tests/fuzz/fuzz_json_encode.c */
#ifndef NLOG_FORMAT_JSON_H
#define NLOG_FORMAT_JSON_H

#include <stddef.h>

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

/* Escapes s[0..len) as JSON string content (no quotes) into dst[0..room),
 * writing only whole escapes and characters. Returns the bytes written and
 * stores in *ret_used how many input bytes they cover (len if it all fit).
 * Ill-formed UTF-8 becomes U+FFFD; U+2028/U+2029 are escaped. */
size_t nlog__json_escape(char *dst, size_t room, const char *s, size_t len, size_t *ret_used);

#endif /* NLOG_FORMAT_JSON_H */
