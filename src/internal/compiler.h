/* compiler.h: small compiler helpers for library code (never installed). */
#ifndef NLOG_INTERNAL_COMPILER_H
#define NLOG_INTERNAL_COMPILER_H

#define NLOG__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NLOG__UNUSED(x) ((void) (x))
#define NLOG__HIDDEN __attribute__((visibility("hidden")))
#define NLOG__PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NLOG__MIN(a, b) ((a) < (b) ? (a) : (b))
#define NLOG__MAX(a, b) ((a) > (b) ? (a) : (b))

#endif /* NLOG_INTERNAL_COMPILER_H */
