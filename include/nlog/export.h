/* export.h: visibility and attribute macros shared by every public header.
 *
 * The library is built with -fvisibility=hidden; only declarations marked
 * NLOG_API are exported from libnlog.so. */
#ifndef NLOG_EXPORT_H
#define NLOG_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define NLOG_API __attribute__((visibility("default")))
#define NLOG_NODISCARD __attribute__((warn_unused_result))
#define NLOG_PRINTF(fmt_idx, first_arg) __attribute__((format(printf, fmt_idx, first_arg)))
#define NLOG_DEPRECATED(since, msg) __attribute__((deprecated(msg " (deprecated since " since ")")))
#define NLOG_LIKELY(x) __builtin_expect(!!(x), 1)
#define NLOG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define NLOG_API
#define NLOG_NODISCARD
#define NLOG_PRINTF(fmt_idx, first_arg)
#define NLOG_DEPRECATED(since, msg)
#define NLOG_LIKELY(x) (x)
#define NLOG_UNLIKELY(x) (x)
#endif

#ifdef __cplusplus
#define NLOG_BEGIN_DECLS extern "C" {
#define NLOG_END_DECLS }
#else
#define NLOG_BEGIN_DECLS
#define NLOG_END_DECLS
#endif

#endif /* NLOG_EXPORT_H */
