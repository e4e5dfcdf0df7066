/* field.h: typed structured fields for logging calls.
 *
 * A field is a key, a value and the group of the record it belongs to:
 * `context`, `metadata` or `performance_data` (the product's record shape).
 * A category travels as a field too, so one call form carries everything:
 *
 *     NLOG_INFO(lg, "User login",
 *               NLOG_CATEGORY(NLOG_CAT_SECURITY),
 *               NLOG_CTX("user_id", uid),
 *               NLOG_META("success", true),
 *               NLOG_PERF("response_time", 0.045));
 *
 * The value type is chosen by C11 _Generic: strings (char *, const char *),
 * signed and unsigned integers of every width, float/double/long double,
 * _Bool, and NULL (or any void pointer that is NULL) as JSON null. A non-NULL
 * void pointer is written as a "0x..." string. The literal tokens `true` and
 * `false` are recognised as booleans even though C11's <stdbool.h> defines
 * them as int constants. Any other type (int *, struct, ...) does not compile.
 *
 * Ownership: keys and string values are borrowed for the duration of the
 * logging call only; the library copies what it keeps. */
#ifndef NLOG_FIELD_H
#define NLOG_FIELD_H

#include <stdbool.h>
#include <stdint.h>

#include <nlog/export.h>
#include <nlog/category.h>

NLOG_BEGIN_DECLS

typedef enum nlog_field_group {
    NLOG_GROUP_CONTEXT = 0,     /* "context" object */
    NLOG_GROUP_METADATA = 1,    /* "metadata" object */
    NLOG_GROUP_PERFORMANCE = 2, /* "performance_data" object */
    NLOG_GROUP_CATEGORY = 3     /* sets the record's category (v.i); no member */
} nlog_field_group;

typedef enum nlog_value_type {
    NLOG_VALUE_NULL = 0,
    NLOG_VALUE_BOOL = 1,
    NLOG_VALUE_INT = 2,     /* v.i */
    NLOG_VALUE_UINT = 3,    /* v.u */
    NLOG_VALUE_DOUBLE = 4,  /* v.d; NaN and infinities are written as null */
    NLOG_VALUE_STRING = 5,  /* v.s, `len` bytes or NUL-terminated */
    NLOG_VALUE_POINTER = 6  /* v.p, written as a "0x..." string */
} nlog_value_type;

/* `len` value meaning "NUL-terminated: use strlen". */
#define NLOG_LEN_NUL UINT32_MAX

/* Most fields one call may carry; extra fields are ignored and counted. */
#define NLOG_FIELDS_MAX 64

typedef struct nlog_field {
    const char *key;     /* NUL-terminated; NULL only for NLOG_GROUP_CATEGORY */
    uint8_t group;       /* nlog_field_group */
    uint8_t type;        /* nlog_value_type */
    uint16_t hints;      /* internal: set by the NLOG_CTX()... macros, 0 otherwise */
    uint32_t len;        /* bytes of v.s, or NLOG_LEN_NUL */
    union {
        bool b;
        int64_t i;
        uint64_t u;
        double d;
        const char *s;
        const void *p;
    } v;
} nlog_field;

/* Constructors used by the macros below. They are plain inline functions so
 * C++ and bindings can build fields without _Generic. */
static inline nlog_field nlog_field_null(unsigned group, const char *key)
{
    nlog_field f = {.key = key, .group = (uint8_t) group, .type = NLOG_VALUE_NULL};
    return f;
}
static inline nlog_field nlog_field_bool(unsigned group, const char *key, bool v)
{
    nlog_field f = {.key = key, .group = (uint8_t) group, .type = NLOG_VALUE_BOOL};
    f.v.b = v;
    return f;
}
static inline nlog_field nlog_field_int(unsigned group, const char *key, int64_t v)
{
    nlog_field f = {.key = key, .group = (uint8_t) group, .type = NLOG_VALUE_INT};
    f.v.i = v;
    return f;
}
static inline nlog_field nlog_field_uint(unsigned group, const char *key, uint64_t v)
{
    nlog_field f = {.key = key, .group = (uint8_t) group, .type = NLOG_VALUE_UINT};
    f.v.u = v;
    return f;
}
static inline nlog_field nlog_field_double(unsigned group, const char *key, double v)
{
    nlog_field f = {.key = key, .group = (uint8_t) group, .type = NLOG_VALUE_DOUBLE};
    f.v.d = v;
    return f;
}
static inline nlog_field nlog_field_ldouble(unsigned group, const char *key, long double v)
{
    return nlog_field_double(group, key, (double) v);
}
/* A NULL string is written as null. */
static inline nlog_field nlog_field_str(unsigned group, const char *key, const char *v)
{
    nlog_field f = {.key = key, .group = (uint8_t) group,
                    .type = (uint8_t) (v ? NLOG_VALUE_STRING : NLOG_VALUE_NULL),
                    .len = NLOG_LEN_NUL};
    f.v.s = v;
    return f;
}
/* A string of exactly `len` bytes (it may contain NUL bytes, which are escaped). */
static inline nlog_field nlog_field_strn(unsigned group, const char *key, const char *v, uint32_t len)
{
    nlog_field f = nlog_field_str(group, key, v);
    f.len = v ? (len == NLOG_LEN_NUL ? NLOG_LEN_NUL - 1 : len) : NLOG_LEN_NUL;
    return f;
}
static inline nlog_field nlog_field_ptr(unsigned group, const char *key, const void *v)
{
    nlog_field f = {.key = key, .group = (uint8_t) group,
                    .type = (uint8_t) (v ? NLOG_VALUE_POINTER : NLOG_VALUE_NULL)};
    f.v.p = v;
    return f;
}
static inline nlog_field nlog_field_category(nlog_category cat)
{
    nlog_field f = {.key = 0, .group = NLOG_GROUP_CATEGORY, .type = NLOG_VALUE_INT};
    f.v.i = (int64_t) cat;
    return f;
}

/* Internal: a hint the compiler gives the asynchronous call path for free.
 * NLOG__HINT_LITERAL means the field's key is a string literal and so is its
 * value if it is a string (or, for a category, that the id is a built-in
 * constant): the library may then keep pointers instead of checking them,
 * provided the call comes from the main program (whose literals never go
 * away). __builtin_constant_p() is 1 for string literals and 0 for any
 * array or pointer variable, so a wrong hint cannot arise; without it the
 * hint is 0 and the library checks at run time. */
#define NLOG__HINT_LITERAL 0x8000u
#if defined(__GNUC__) || defined(__clang__)
#define NLOG__IS_LITERAL(x) __builtin_constant_p(x)
#else
#define NLOG__IS_LITERAL(x) 0
#endif
static inline nlog_field nlog__field_hint(nlog_field f, int literal)
{
    f.hints = (uint16_t) (literal ? NLOG__HINT_LITERAL : 0);
    return f;
}

#ifndef __cplusplus

/* Internal: whether a value is of a string type (a constant expression). */
#define NLOG__IS_STRTYPE(v) _Generic((v), char *: 1, const char *: 1, default: 0)

/* Internal: does the stringified argument spell exactly `true` / `false`?
 * Padding the literal keeps every index in bounds. */
#define NLOG__SPELLS4(s, a, b, c, d)                                                 \
    (sizeof(s) == 5 && (s "\0\0\0\0\0")[0] == (a) && (s "\0\0\0\0\0")[1] == (b) &&    \
     (s "\0\0\0\0\0")[2] == (c) && (s "\0\0\0\0\0")[3] == (d))
#define NLOG__SPELLS5(s, a, b, c, d, e)                                              \
    (sizeof(s) == 6 && (s "\0\0\0\0\0")[0] == (a) && (s "\0\0\0\0\0")[1] == (b) &&    \
     (s "\0\0\0\0\0")[2] == (c) && (s "\0\0\0\0\0")[3] == (d) && (s "\0\0\0\0\0")[4] == (e))

#define NLOG__GENERIC(g, k, v)                                                       \
    _Generic((v),                                                                    \
        _Bool: nlog_field_bool,                                                      \
        char: nlog_field_int,                                                        \
        signed char: nlog_field_int,                                                 \
        short: nlog_field_int,                                                       \
        int: nlog_field_int,                                                         \
        long: nlog_field_int,                                                        \
        long long: nlog_field_int,                                                   \
        unsigned char: nlog_field_uint,                                              \
        unsigned short: nlog_field_uint,                                             \
        unsigned int: nlog_field_uint,                                               \
        unsigned long: nlog_field_uint,                                              \
        unsigned long long: nlog_field_uint,                                         \
        float: nlog_field_double,                                                    \
        double: nlog_field_double,                                                   \
        long double: nlog_field_ldouble,                                             \
        char *: nlog_field_str,                                                      \
        const char *: nlog_field_str,                                                \
        void *: nlog_field_ptr,                                                      \
        const void *: nlog_field_ptr)((g), (k), (v))

/* `s` is the value's spelling, taken with # by the outermost macro: an inner
 * macro would see `true` already replaced by 1. */
#define NLOG__FIELD(g, k, v, s)                                                      \
    nlog__field_hint(                                                                \
        (NLOG__SPELLS4(s, 't', 'r', 'u', 'e')        ? nlog_field_bool((g), (k), 1)   \
         : NLOG__SPELLS5(s, 'f', 'a', 'l', 's', 'e') ? nlog_field_bool((g), (k), 0)   \
                                                     : NLOG__GENERIC(g, k, v)),       \
        NLOG__IS_LITERAL(k) && (!NLOG__IS_STRTYPE(v) || NLOG__IS_LITERAL(v)))

/* A member of the record's "context" object (who/what/where: request ids,
 * user ids, addresses). */
#define NLOG_CTX(key, value) NLOG__FIELD(NLOG_GROUP_CONTEXT, key, value, #value)
/* A member of the record's "metadata" object (facts about the event). */
#define NLOG_META(key, value) NLOG__FIELD(NLOG_GROUP_METADATA, key, value, #value)
/* A member of the record's "performance_data" object (measurements). */
#define NLOG_PERF(key, value) NLOG__FIELD(NLOG_GROUP_PERFORMANCE, key, value, #value)
/* A string of `len` bytes, not NUL-terminated, in group `group`. */
#define NLOG_STRN(group, key, str, len) nlog_field_strn((group), (key), (str), (uint32_t) (len))
/* The record's category: a built-in NLOG_CAT_* value or an id returned by
 * nlog_category_register(). Without it a record is "application". */
#define NLOG_CATEGORY(cat)                                                           \
    nlog__field_hint(nlog_field_category((nlog_category) (cat)),                     \
                     NLOG__IS_LITERAL(cat) && (unsigned) (cat) < NLOG_CAT_BUILTIN_COUNT)

#endif /* !__cplusplus */

NLOG_END_DECLS

#endif /* NLOG_FIELD_H */
