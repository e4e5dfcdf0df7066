/* pattern.h: PCRE2 content patterns for the detectors (never installed).
 *
 * Patterns are compiled once, for UTF-8 subjects that may be ill-formed
 * (PCRE2_MATCH_INVALID_UTF), JIT-compiled when the platform allows, and run
 * under match and depth limits so that no input can make a match take
 * unbounded time. Only the first NLOG__PATTERN_SUBJECT_MAX bytes of a field
 * are scanned.
 * Tested by: tests/unit/security/test_security_patterns.c */
#ifndef NLOG_SECURITY_PATTERN_H
#define NLOG_SECURITY_PATTERN_H

#include <stddef.h>

#include <nlog/status.h>

#define NLOG__PATTERN_SUBJECT_MAX 8192 /* bytes of one field scanned */
#define NLOG__PATTERN_MATCH_LIMIT 200000
#define NLOG__PATTERN_DEPTH_LIMIT 20000

typedef struct nlog__pattern nlog__pattern;

/* Whether `text` compiles; on failure writes PCRE2's message and offset. */
nlog_status nlog__sec_pattern_check(const char *text, char *err, size_t err_size);

/* Compiles (and JIT-compiles) `text`. */
nlog_status nlog__pattern_create(const char *text, nlog__pattern **ret, char *err,
                                 size_t err_size);
void nlog__pattern_destroy(nlog__pattern *p);

/* Runs `p` over s[0..len) (cut to NLOG__PATTERN_SUBJECT_MAX). Returns 1 on
 * a match, 0 on none, -1 when a limit stopped it. Not thread-safe for one
 * pattern (its match data is reused): callers serialise. */
int nlog__pattern_match(nlog__pattern *p, const char *s, size_t len);

/* The built-in patterns: name, regular expression. NULL-terminated. */
typedef struct nlog__builtin_pattern {
    const char *name;
    const char *regex;
} nlog__builtin_pattern;
extern const nlog__builtin_pattern nlog__builtin_patterns[];

#endif /* NLOG_SECURITY_PATTERN_H */
