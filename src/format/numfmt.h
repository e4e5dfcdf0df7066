/* numfmt.h (internal): number formatting for the encoders.
 *
 * None of these functions writes a terminating NUL; each returns the number
 * of bytes written, which never exceeds the *_MAX constant given. They are
 * locale-independent, allocation-free and safe to call from any thread.
 * Tested by: tests/unit/format/test_json_values.c */
#ifndef NLOG_FORMAT_NUMFMT_H
#define NLOG_FORMAT_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

#define NLOG__U64_MAX_DIGITS 20 /* "18446744073709551615" */
#define NLOG__I64_MAX_CHARS  20 /* "-9223372036854775808" */
#define NLOG__HEX64_MAX      16 /* "ffffffffffffffff" */
#define NLOG__DOUBLE_MAX     32 /* "%.17g" needs at most 24 ("-2.2250738585072014e-308") */

/* "00".."99": two decimal digits of v at nlog__digits2 + 2 * v. */
extern const char nlog__digits2[201];

/* Decimal digits of v. */
size_t nlog__fmt_u64(char *out, uint64_t v);

/* Decimal, with '-' for negatives; INT64_MIN is exact. */
size_t nlog__fmt_i64(char *out, int64_t v);

/* Lower-case hexadecimal without prefix or leading zeros ("0" for 0). */
size_t nlog__fmt_hex64(char *out, uint64_t v);

/* The shortest of %.15g, %.16g, %.17g that reads back (strtod) as exactly
 * v, always in the C locale ('.' as decimal point) whatever the
 * application's setlocale() says. Integral values below 1e15 take a fast
 * path with the same result ("3", "-0"). NaN and infinities give "null".
 * The result is a valid JSON number (or null). */
size_t nlog__fmt_double(char *out, double v);

/* Number of bytes nlog__fmt_u64 / nlog__fmt_i64 would write. */
size_t nlog__u64_len(uint64_t v);
size_t nlog__i64_len(int64_t v);

#endif /* NLOG_FORMAT_NUMFMT_H */
