/* scratch.h: per-thread buffers for formatting and encoding.
 *
 * Each thread that logs gets one allocation, made on its first record (and
 * again only if max_record_size grows), freed when the thread exits. This is
 * what keeps the steady-state call path free of heap allocation. */
#ifndef NLOG_CORE_SCRATCH_H
#define NLOG_CORE_SCRATCH_H

#include <stddef.h>

typedef struct nlog__scratch {
    size_t cap; /* bytes of each buffer */
    char *msg;  /* formatted printf-style message */
    char *json; /* encoded JSON line */
    char *text; /* encoded text line */
} nlog__scratch;

/* The calling thread's buffers, each at least `cap` bytes; NULL if memory
 * ran out (reported once). */
nlog__scratch *nlog__scratch_get(size_t cap);

#endif /* NLOG_CORE_SCRATCH_H */
