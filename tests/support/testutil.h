/* testutil.h: helpers shared by the cmocka tests (scratch directories,
 * reading outputs back, JSON validation, captured diagnostics, a fake clock). */
#ifndef NLOG_TESTUTIL_H
#define NLOG_TESTUTIL_H

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <nlog/nlog.h>

/* TU_ASAN is 1 in an AddressSanitizer build. Debian 12's clang 14 runtime does
 * not lock its allocator around fork(): a child forked while another thread
 * is inside malloc() can block forever on the allocator's internal lock the
 * moment it allocates. glibc's malloc has no such problem, so tests that fork
 * while other threads allocate skip that case under ASan (they still run in
 * the gcc, clang and TSan builds). */
#if defined(__SANITIZE_ADDRESS__)
#define TU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_ASAN 1
#endif
#endif
#ifndef TU_ASAN
#define TU_ASAN 0
#endif

/* A fresh, empty directory $NLOG_TEST_TMP/<name> (or /tmp/nlog-test-PID/<name>).
 * Returns a pointer to a static buffer valid until the next call. */
const char *tu_scratch(const char *name);

/* path joined with name, in a rotating static buffer (8 slots). */
const char *tu_path(const char *dir, const char *name);

/* Whole file contents, NUL-terminated (caller frees); NULL if unreadable. */
char *tu_read_file(const char *path, size_t *ret_len);

/* Splits `text` into lines (without '\n'); returns the count. Every line must
 * end with '\n'; a trailing fragment is a test failure. Caller frees *ret_lines
 * (one allocation). */
size_t tu_split_lines(char *text, size_t len, char ***ret_lines);

/* Parses one JSON object with UTF-8 validation; fails the test on error. */
json_object *tu_parse_json(const char *line);

/* Asserts every line of `path` is a JSON object; returns the line count. */
size_t tu_assert_json_lines(const char *path);

/* Diagnostics capture: installs a callback that stores messages. */
void tu_diag_capture(void);
size_t tu_diag_count(void);
const char *tu_diag_message(size_t i);   /* i-th captured message */
nlog_diag_kind tu_diag_kind(size_t i);
int tu_diag_contains(const char *needle); /* 1 if any captured message contains needle */
void tu_diag_reset(void);

/* Fake clocks: after tu_clock_fake(), the library's clocks return these. */
void tu_clock_fake(int64_t realtime_ns, int64_t monotonic_ns);
void tu_clock_advance(int64_t ns);
void tu_clock_step_realtime(int64_t ns); /* the wall clock only (an NTP step) */
void tu_clock_real(void);

/* A minimal configuration for tests: nothing from the environment, console
 * off, files in `dir` (NULL: files off), level TRACE, no lifecycle audit
 * records (audit_lifecycle off, so that tests can count lines). */
void tu_config(nlog_config *cfg, const char *dir);

#endif /* NLOG_TESTUTIL_H */
