/* compress.h: crash-safe compression of one rotated segment (zstd or gzip).
 *
 * NAME is compressed to NAME.zst.tmp (or .gz.tmp), which is fsync()ed,
 * renamed to NAME.zst and the directory fsync()ed; only then is NAME
 * unlinked. A crash therefore leaves NAME, or NAME and a complete NAME.zst
 * (recovery deletes NAME), plus possibly a .tmp (recovery deletes it); never
 * neither. The results are ordinary files for `zstd -d` and `gzip -d`.
 * Tested by: tests/unit/sink/test_compress.c */
#ifndef NLOG_SINK_COMPRESS_H
#define NLOG_SINK_COMPRESS_H

#include <nlog/status.h>

#include "internal/compiler.h"

/* Outcomes of nlog__compress_segment(). */
#define NLOG__COMPRESS_DONE 0    /* NAME.zst complete, NAME removed */
#define NLOG__COMPRESS_BUSY 1    /* a writer still holds NAME (flock): try again later */
#define NLOG__COMPRESS_GONE 2    /* NAME no longer exists (another process did it) */
#define NLOG__COMPRESS_FAILED 3  /* I/O error (errno in *ret_err): NAME kept, .tmp removed */
#define NLOG__COMPRESS_CANCELLED 4 /* *cancel became non-zero: NAME kept, .tmp removed */

/* Compresses `name` in `dir` with `algo` (nlog_compression). Takes
 * flock(LOCK_EX|LOCK_NB) on the file first: a writer that may still append
 * to it holds LOCK_SH. `cancel` (may be NULL) is polled between blocks.
 * Thread-safety: any thread; files are coordinated by flock. */
NLOG_NODISCARD int nlog__compress_segment(const char *dir, const char *name, int algo,
                                          const int *cancel, int *ret_err);

/* The suffix of `algo`: ".zst" or ".gz". */
const char *nlog__compress_suffix(int algo);

#endif /* NLOG_SINK_COMPRESS_H */
