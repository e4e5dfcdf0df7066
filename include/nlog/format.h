/* format.h: rendering records outside the logging path.
 *
 * Programs that handle records they did not log themselves (nlogd's TXT
 * export, tools that print stored records) render them with the same
 * encoders the library's outputs use, so a line looks the same wherever it
 * was made. A record is described by an nlog_record_view, which borrows every
 * string it points to.
 *
 * Thread-safety: every function here may be called from any thread at the
 * same time; none allocates. Since: 0.1 */
#ifndef NLOG_FORMAT_H
#define NLOG_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/export.h>
#include <nlog/field.h>
#include <nlog/level.h>

NLOG_BEGIN_DECLS

/* One record, borrowed. Strings need not be NUL-terminated where a length
 * is given; NULL function/file mean "unknown", line 0 means unknown. */
typedef struct nlog_record_view {
    int64_t time_ns;          /* ns since the Unix epoch, UTC */
    nlog_level level;
    const char *category;     /* NUL-terminated; NULL = "application" */
    const char *logger;       /* the "module"; NULL = "root" */
    size_t logger_len;        /* bytes */
    const char *message;      /* NULL = "" */
    size_t message_len;       /* bytes */
    const char *file;         /* NUL-terminated or NULL */
    const char *function;     /* NUL-terminated or NULL */
    int line;
    const nlog_field *fields; /* may be NULL */
    size_t n_fields;
    int64_t pid, tid;
} nlog_record_view;

/* Options of nlog_format_console(). */
#define NLOG_FORMAT_UTC 1u    /* times in UTC instead of local time */
#define NLOG_FORMAT_FIELDS 2u /* append " category=..." and " key=value" */
#define NLOG_FORMAT_CALLER 4u /* append " (file.c:142 function)" */
#define NLOG_FORMAT_COLORS 8u /* ANSI colour on the level tag */

/* Smallest `cap` the format functions accept, in bytes. */
#define NLOG_FORMAT_MIN_CAP 1024

/* Writes `r` as one console line ("[2024-01-15 10:30:45] [INFO    ] module:
 * message", docs/record-format.md) followed by '\n' into out[0..cap), neutralising
 * control characters. Returns the bytes written (0 when cap <
 * NLOG_FORMAT_MIN_CAP or r/out is NULL); *ret_truncated (may be NULL) is set
 * to 1 when something had to be cut to fit. Since: 0.1 */
NLOG_API size_t nlog_format_console(const nlog_record_view *r, unsigned flags, char *out,
                                    size_t cap, int *ret_truncated);

/* Writes `r` as one JSON-lines record (docs/record-format.md) followed by '\n'
 * into out[0..cap), with the same guarantees as the file output. Since: 0.1 */
NLOG_API size_t nlog_format_json(const nlog_record_view *r, char *out, size_t cap,
                                 int *ret_truncated);

/* Writes the RFC 3339 UTC form of time_ns, "2024-01-15T10:30:45.123456Z"
 * (27 bytes) and a NUL into out[28]. Since: 0.1 */
#define NLOG_FORMAT_RFC3339_SIZE 28
NLOG_API void nlog_format_rfc3339(int64_t time_ns, char out[NLOG_FORMAT_RFC3339_SIZE]);

NLOG_END_DECLS

#endif /* NLOG_FORMAT_H */
