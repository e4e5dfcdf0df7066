/* b64.h (internal): base64url without padding (RFC 4648 section 5), the
 * encoding of every binary value in sealed lines.
 *
 * Decoding is strict so that every value has exactly one text form: only the
 * 64 URL-safe characters, no padding, no whitespace, a length that is not 1
 * modulo 4, and unused bits of the last character zero. A sealed line whose
 * bytes change therefore never decodes to the same values.
 * Tested by: tests/unit/seal/test_seal_format.c */
#ifndef NLOG_SEAL_B64_H
#define NLOG_SEAL_B64_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed for n bytes. */
#define NLOG__B64_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/* Writes the encoding of in[0..n) to out (NLOG__B64_LEN(n) characters, no
 * NUL). Returns the number of characters written. */
size_t nlog__b64_encode(const uint8_t *in, size_t n, char *out);

/* Decodes text[0..len) into out (at most cap bytes). Returns the number of
 * bytes, or -1 if the text is not canonical base64url or does not fit. */
long nlog__b64_decode(const char *text, size_t len, uint8_t *out, size_t cap);

#endif /* NLOG_SEAL_B64_H */
