/* reader.h (internal): lines of a log file, plain or compressed.
 *
 * Opens a file (or a memory buffer) and returns its lines in order with
 * their byte offsets in the decompressed contents. zstd and gzip are
 * recognised by their magic bytes, not by the file name, so a renamed
 * segment is still read. Memory is bounded: a line longer than
 * NLOG__SEAL_LINE_MAX is skipped to its end and reported as too long; a
 * corrupt compressed stream ends the file with an error.
 * Tested by: tests/unit/seal/test_seal_verify.c; fuzzed by
 * tests/fuzz/fuzz_seal_verify.c */
#ifndef NLOG_SEAL_READER_H
#define NLOG_SEAL_READER_H

#include <stddef.h>
#include <stdint.h>

#define NLOG__SEAL_LINE_MAX (16u << 20) /* bytes of the longest line read */

typedef struct nlog__seal_reader nlog__seal_reader;

typedef enum nlog__seal_read {
    NLOG__READ_EOF = 0,
    NLOG__READ_LINE = 1,    /* a complete line (without its '\n') */
    NLOG__READ_PARTIAL = 2, /* the last line, without a '\n' */
    NLOG__READ_LONG = 3,    /* a line longer than NLOG__SEAL_LINE_MAX was skipped (*ret_len:
                               its length) */
    NLOG__READ_ERROR = -1   /* read or decompression error; why says which; *ret_off: where
                               the readable contents end (the start of the line it broke
                               off, in decompressed bytes) */
} nlog__seal_read;

/* Returns 0, or an errno with a message in why. */
int nlog__seal_reader_open(const char *path, nlog__seal_reader **ret, char *why, size_t why_size);
/* Reads from data[0..len) (not copied: it must outlive the reader). */
int nlog__seal_reader_open_mem(const void *data, size_t len, nlog__seal_reader **ret);

nlog__seal_read nlog__seal_reader_next(nlog__seal_reader *r, const char **ret_line,
                                       size_t *ret_len, uint64_t *ret_off);

/* Text of the last error. */
const char *nlog__seal_reader_error(const nlog__seal_reader *r);
/* Input bytes consumed so far (compressed bytes for compressed files). */
uint64_t nlog__seal_reader_consumed(const nlog__seal_reader *r);
/* Whether the contents were compressed: 0 plain, 1 zstd, 2 gzip. */
int nlog__seal_reader_format(const nlog__seal_reader *r);

void nlog__seal_reader_close(nlog__seal_reader *r);

#endif /* NLOG_SEAL_READER_H */
