/* record.h: the in-memory view of one log record, as outputs see it.
 *
 * A record borrows everything it points to. In synchronous mode the strings
 * live in the caller's frame and the calling thread's scratch buffers; the
 * asynchronous pipeline will rebuild the same view from its queue entries, so
 * the encoders only ever see this struct. */
#ifndef NLOG_CORE_RECORD_H
#define NLOG_CORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/field.h>
#include <nlog/level.h>

typedef struct nlog__record {
    int64_t time_ns;          /* wall clock, ns since the Unix epoch (UTC) */
    nlog_level level;         /* one of the eight levels */
    const char *category;     /* category name, never NULL */
    const char *logger;       /* logger name ("module"), never NULL */
    size_t logger_len;        /* bytes */
    const char *message;      /* never NULL; may contain any bytes */
    size_t message_len;       /* bytes */
    const char *file;         /* call site file, may be NULL */
    const char *function;     /* call site function, may be NULL */
    int line;                 /* call site line, 0 if unknown */
    const nlog_field *fields; /* fields; NLOG_GROUP_CATEGORY entries are skipped */
    size_t n_fields;
    int64_t pid;              /* process id */
    int64_t tid;              /* kernel thread id */
    unsigned flags;           /* NLOG__REC_* */
} nlog__record;

/* Every string of the record (message, logger, function, category, keys,
 * string values) is immutable and stays at its address for the life of the
 * process or library, so encoders may cache by pointer (json_cache.h). */
#define NLOG__REC_STATIC 0x1u

#endif /* NLOG_CORE_RECORD_H */
