/* category.h: record categories.
 *
 * Nine categories are built in. Applications may register more, named by
 * 1 to 32 characters from [a-z0-9_.-]; a category is then identified by
 * the small integer returned at registration, which is what a logging call
 * carries (so the call path never compares strings). */
#ifndef NLOG_CATEGORY_H
#define NLOG_CATEGORY_H

#include <nlog/export.h>
#include <nlog/status.h>

NLOG_BEGIN_DECLS

typedef enum nlog_category {
    NLOG_CAT_APPLICATION = 0, /* the default */
    NLOG_CAT_SYSTEM = 1,
    NLOG_CAT_SECURITY = 2,
    NLOG_CAT_PERFORMANCE = 3,
    NLOG_CAT_API = 4,
    NLOG_CAT_DATABASE = 5,
    NLOG_CAT_NETWORK = 6,
    NLOG_CAT_AUTH = 7,
    NLOG_CAT_AUDIT = 8,
    NLOG_CAT_BUILTIN_COUNT = 9
} nlog_category;

/* Longest custom category name, in bytes. */
#define NLOG_CATEGORY_NAME_MAX 32
/* Most custom categories a process may register. */
#define NLOG_CATEGORY_CUSTOM_MAX 256

/* The name of a category ("security"), or NULL if `cat` is neither built in
 * nor registered. The string stays valid for the life of the process.
 * Thread-safety: any thread. Since: 0.1 */
NLOG_API const char *nlog_category_name(nlog_category cat);

/* Checks a custom category name against [a-z0-9_.-]{1,32}. Returns NLOG_OK
 * or NLOG_EINVAL. Thread-safety: any thread. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_category_validate(const char *name);

/* Looks up a built-in or registered category by name (exact, lower case).
 * Returns NLOG_OK and sets *ret_cat, or NLOG_ENOTFOUND / NLOG_EINVAL.
 * Thread-safety: any thread. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_category_find(const char *name, nlog_category *ret_cat);

/* Registers a custom category, or returns the existing id if `name` is
 * already known (built-in names return their built-in id). Errors:
 * NLOG_EINVAL for a name outside [a-z0-9_.-]{1,32} (the message, via
 * nlog_errmsg(), says what is accepted), NLOG_ELIMIT after
 * NLOG_CATEGORY_CUSTOM_MAX registrations. Registrations last for the life of
 * the process (they survive nlog_shutdown()).
 * Thread-safety: any thread. Since: 0.1 */
NLOG_API NLOG_NODISCARD nlog_status nlog_category_register(const char *name, nlog_category *ret_cat);

NLOG_END_DECLS

#endif /* NLOG_CATEGORY_H */
