/* sink.h: the output interface. One vtable per file (console.c, file.c).
 *
 * A sink receives finished lines (encoded by src/format) and owns how they
 * reach their destination. write() may be called from many threads at once
 * and must deliver each line whole or not at all (a line is never
 * interleaved with another). Sinks never print; they report failures once
 * through nlog__diag() and count them. */
#ifndef NLOG_SINK_SINK_H
#define NLOG_SINK_SINK_H

#include <stddef.h>

#include <nlog/status.h>

typedef struct nlog__sink nlog__sink;

typedef struct nlog__sink_ops {
    const char *name;
    /* Writes one or more complete lines (the last ending in '\n') with one
     * write(2) where possible. Returns NLOG_OK or NLOG_EIO. */
    nlog_status (*write)(nlog__sink *s, const char *line, size_t len);
    /* Makes previous writes visible to other processes (no-op for write(2)). */
    nlog_status (*flush)(nlog__sink *s);
    /* Makes previous writes durable (fsync for files; no-op for the console). */
    nlog_status (*sync)(nlog__sink *s);
    /* Closes and frees; accepts half-built sinks. No write may be running. */
    void (*destroy)(nlog__sink *s);
} nlog__sink_ops;

struct nlog__sink {
    const nlog__sink_ops *ops;
};

/* Console sink on `fd` (1 or 2). Tested by: tests/unit/sink/test_console_sink.c */
nlog_status nlog__console_sink_create(int fd, nlog__sink **ret_sink);

/* Append-only file `name` in `dir`, opened on first write; `dir` is created
 * if missing. Tested by: tests/unit/sink/test_file_sink.c */
nlog_status nlog__file_sink_create(const char *dir, const char *name, nlog__sink **ret_sink);

#endif /* NLOG_SINK_SINK_H */
