/* text.h (internal): the human-readable console line.
 *
 *   [2024-01-15 10:30:45] [INFO    ] auth_service: User authenticated
 *
 * Everything that comes from the application (message, logger, keys,
 * values, function, file, category) is neutralised: control characters,
 * DEL, C1 controls, bidi overrides/isolates and U+2028/U+2029 are written as
 * visible escapes and ill-formed UTF-8 as U+FFFD, so no input can move the
 * cursor, change colours, reorder the line or split it. The only escape
 * sequences in the output are our own SGR colours, and only when asked for.
 * Rules in docs/record-format.md.
 * Thread-safety: any thread, concurrently.
 * Tested by: tests/unit/format/test_text_format.c, test_text_truncate.c,
 *            tests/fuzz/fuzz_json_encode.c */
#ifndef NLOG_FORMAT_TEXT_H
#define NLOG_FORMAT_TEXT_H

#include <stddef.h>

#include "core/record.h"

/* Same minimum as the JSON encoder (identical redefinition is allowed). */
#define NLOG__RECORD_MIN_CAP 1024

typedef struct nlog__text_opts {
    int colors; /* wrap the level tag in ANSI SGR colours */
    int utc;    /* UTC instead of local time */
    int fields; /* append " category=..." (unless "application") and " key=value" */
    int caller; /* append " (file.c:142 function)" after the logger name */
} nlog__text_opts;

/* Encodes r as one console line + '\n' into out[0..cap). o == NULL means all
 * options off. cap >= NLOG__RECORD_MIN_CAP (a smaller cap writes nothing and
 * returns 0, with *ret_truncated = 1). Returns the bytes written (never more
 * than cap); the line always ends in '\n' and contains no other control
 * character except the ESC of our own colour sequences, and with colours
 * on, the reset after the level tag is always present. Strings that do not
 * fit are cut at a character boundary and end in U+2026, fields that do not
 * fit are left out; *ret_truncated is 1 exactly when that happened. No heap
 * allocation. */
size_t nlog__text_encode(const nlog__record *r, const nlog__text_opts *o, char *out, size_t cap,
                         int *ret_truncated);

#endif /* NLOG_FORMAT_TEXT_H */
