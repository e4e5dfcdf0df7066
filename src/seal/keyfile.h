/* keyfile.h (internal): the text files that hold sealing keys.
 *
 *   seal.pub     "nlog-seal-public-key 1 <base64url of 32 bytes>"
 *   master.key   "nlog-seal-master-key 1 <base64url of the 64-byte secret>"
 *   transitions  "nlog-seal-transition 1 <base64url of transition || signature>",
 *                one line per key rotation, oldest first
 *
 * Lines starting with '#' and blank lines are comments. Files are at most
 * 64 KiB; anything else in them is an error that names the line.
 * Tested by: tests/unit/seal/test_seal_keys.c */
#ifndef NLOG_SEAL_KEYFILE_H
#define NLOG_SEAL_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "seal/wire.h"

/* Reads the single key line of kind `tag` ("nlog-seal-public-key", ...)
 * into out[0..n). Returns 0, or an errno (EINVAL: malformed, with a message
 * in why). */
int nlog__seal_keyfile_read(const char *path, const char *tag, uint8_t *out, size_t n, char *why,
                            size_t why_size);

/* Writes a new key file (O_EXCL, mode `mode`) with a comment line and the
 * key line. Returns 0 or an errno. */
int nlog__seal_keyfile_write(const char *path, const char *comment, const char *tag,
                             const uint8_t *key, size_t n, unsigned mode);

/* Reads every transition line of `path` (which may be missing: 0 of them)
 * into out (transition || signature each). Returns the count, or -1 with a
 * message in why. */
int nlog__seal_transitions_read(const char *path, uint8_t *out, size_t max, char *why,
                                size_t why_size);

/* Appends transition lines to a new file. Returns 0 or an errno. */
int nlog__seal_transitions_write(const char *path, const uint8_t *items, size_t n);

/* The 32 bytes of a public key object (seal.h). */
struct nlog_seal_key;
const uint8_t *nlog__seal_key_bytes(const struct nlog_seal_key *key);

#endif /* NLOG_SEAL_KEYFILE_H */
