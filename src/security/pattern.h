/* pattern.h: PCRE2 content patterns for the detectors (never installed).
 *
 * Patterns are compiled once, for UTF-8 subjects that may be ill-formed
 * (PCRE2_MATCH_INVALID_UTF), JIT-compiled when the platform allows, and run
 * under match, depth and heap limits so that no input can make a match take
 * unbounded time or memory. Subjects are the values as records show them
 * (masked first); the first NLOG__PATTERN_SUBJECT_MAX bytes of a field are
 * scanned.
 *
 * Thread-safety: a compiled pattern is read-only; nlog__pattern_match() may
 * run on any number of threads at once over the same pattern. Each thread
 * has its own match data and JIT stack (created on its first match, freed
 * when it exits: at most about 520 KB per thread, most of it a JIT stack
 * that is only committed as it is used).
 * Tested by: tests/unit/security/test_security_patterns.c */
#ifndef NLOG_SECURITY_PATTERN_H
#define NLOG_SECURITY_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include <nlog/status.h>

#define NLOG__PATTERN_SUBJECT_MAX 8192 /* bytes of one (masked) field scanned */
#define NLOG__PATTERN_MATCH_LIMIT 200000
#define NLOG__PATTERN_DEPTH_LIMIT 20000
#define NLOG__PATTERN_HEAP_LIMIT_KB 2048 /* interpreter backtracking memory per match */

typedef struct nlog__pattern nlog__pattern;

/* Whether `text` compiles; on failure writes PCRE2's message and offset. */
nlog_status nlog__sec_pattern_check(const char *text, char *err, size_t err_size);

/* Compiles (and JIT-compiles) `text`. */
nlog_status nlog__pattern_create(const char *text, nlog__pattern **ret, char *err,
                                 size_t err_size);

/* For tests: the same with another match limit, and with the JIT off when
 * `interpreter` is 1 (the interpreter counts every backtracking step against
 * the limit, so a low limit proves that a pattern needs few of them). */
nlog_status nlog__pattern_create_limited(const char *text, uint32_t match_limit, int interpreter,
                                         nlog__pattern **ret, char *err, size_t err_size);
void nlog__pattern_destroy(nlog__pattern *p);

/* Runs `p` over s[0..len) (cut to NLOG__PATTERN_SUBJECT_MAX). Returns 1 on
 * a match, 0 on none, -1 when a limit stopped it (or memory for the thread's
 * match data could not be had): the subject could not be decided. */
int nlog__pattern_match(const nlog__pattern *p, const char *s, size_t len);

/* For tests: the items the interpreter evaluates matching `text` over
 * s[0..len) (cut as above), counted with an automatic callout before each
 * one: a measure of a pattern's work that does not depend on the machine.
 * UINT64_MAX if it does not compile. */
uint64_t nlog__pattern_steps(const char *text, const char *s, size_t len);

/* Decodes what hides an attack from the patterns: %XX (again while a '%'
 * is left, up to three rounds: %253C), '+' as a blank, &#NN; / &#xHH; (ASCII)
 * and &lt; &gt; &quot; &apos; &amp;. Writes at most
 * min(len, NLOG__PATTERN_SUBJECT_MAX) bytes (decoding never lengthens) into
 * out, which holds NLOG__PATTERN_SUBJECT_MAX bytes; returns the length. */
size_t nlog__pattern_decode(const char *s, size_t len, char *out);

/* The built-in patterns: name, regular expression. NULL-terminated. */
typedef struct nlog__builtin_pattern {
    const char *name;
    const char *regex;
} nlog__builtin_pattern;
extern const nlog__builtin_pattern nlog__builtin_patterns[];

#endif /* NLOG_SECURITY_PATTERN_H */
