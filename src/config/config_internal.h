/* config_internal.h: what the files of src/config share (never installed).
 *
 * One table, nlog__cfg_keys[] (keys.c), describes every configuration key:
 * its name in the YAML file, the nlog_config member it fills, its type and
 * range, its default and its value in each profile. Everything else is
 * driven by that table: the YAML reader (yaml.c) looks keys up in it, the
 * environment layer derives NETLINK_LOG_<KEY> from it, nlog_config_explain()
 * walks it in order, and docs/configuration.md follows it row by row. Adding
 * a key means adding a row (and a member to struct nlog_config).
 *
 * Nested sections: a row named "server.port" is read from
 *
 *     server:
 *       port: 8080
 *
 * and from NETLINK_LOG_SERVER_PORT. A top-level name is a section as soon as
 * one row's name starts with it and a dot; no other code has to change.
 *
 * Values travel as text in the file's syntax ("true", "64KB", "INFO") until
 * nlog__cfg_parse_value() checks and stores them, so the file, the
 * environment, nlog_config_set(), the defaults and the profile columns all go
 * through the same checks and produce the same messages.
 *
 * Tested by: tests/unit/config/test_config_keys.c, test_config_file.c,
 * test_config_resolve.c, test_config_env.c, tests/fuzz/fuzz_config.c */
#ifndef NLOG_CONFIG_INTERNAL_H
#define NLOG_CONFIG_INTERNAL_H

#include <stddef.h>

#include <nlog/config.h>

#include "internal/compiler.h"

/* Largest configuration file read, in bytes. */
#define NLOG__CONFIG_FILE_MAX (1024 * 1024)
/* Most rows the key table may have (sizes the per-key arrays below). */
#define NLOG__CFG_KEYS_MAX 256
/* Room for a "problem; accepted: ..." text. */
#define NLOG__CFG_WHY_MAX 2048 /* the list of accepted keys passed 1 KB with the seal, perf and server keys */
/* Room for a value rendered as text (the longest is a path). */
#define NLOG__CFG_VALUE_MAX (NLOG_CONFIG_PATH_MAX + 8)
/* Room for an environment variable name. */
#define NLOG__CFG_ENV_MAX 128

typedef enum nlog__cfg_type {
    NLOG__CFG_BOOL,   /* int member, 0 or 1 */
    NLOG__CFG_INT,    /* int member, min..max, decimal digits */
    NLOG__CFG_SIZE,   /* int member (int64_t when .size says so), bytes min..max, "64KB" */
    NLOG__CFG_LEVEL,  /* nlog_level member */
    NLOG__CFG_ENUM,   /* int member, index into names[] */
    NLOG__CFG_PATH,   /* char[] member, non-empty, no control characters */
    NLOG__CFG_EMAIL,  /* char[] member, name@domain or empty for none */
    NLOG__CFG_LEVELS, /* the loggers[] map: logger name -> level */
    NLOG__CFG_URL,    /* char[] member, a URL whose scheme is one of names[], or empty for
                         none; shown with its secrets redacted (config/url.h) */
    NLOG__CFG_STRING, /* char[] member checked by the row's `check` (may accept "") */
    NLOG__CFG_CUSTOM  /* a member parsed from a value tree by the row's `custom` ops
                         (name lists, rules, keys): see nlog__cfg_custom below */
} nlog__cfg_type;

/* STRING rows: checks `s` (len bytes, not NUL-terminated, len < member size)
 * and returns 0, or writes the problem (without "accepted") into why and
 * returns -1. */
typedef int (*nlog__cfg_check_fn)(const char *s, size_t len, char *why, size_t why_size);

/* Profiles, in the order of nlog_profile_names(). */
typedef enum nlog__profile {
    NLOG__PROFILE_DEVELOPMENT,
    NLOG__PROFILE_TESTING,
    NLOG__PROFILE_PRODUCTION,
    NLOG__PROFILE_DEBUG,
    NLOG__PROFILE_COUNT
} nlog__profile;

typedef struct nlog__cfg_key {
    const char *name;                         /* "console_colors"; "section.key" when nested */
    nlog__cfg_type type;
    size_t offset;                            /* offsetof(nlog_config, member) */
    size_t size;                              /* sizeof the member (char[]: with the NUL) */
    long min, max;                            /* INT and SIZE: accepted range */
    const char *unit;                         /* INT and SIZE: "seconds", "bytes" */
    const char *const *names;                 /* ENUM: names by value, NULL-terminated;
                                                 URL: the accepted schemes */
    const char *def;                          /* built-in default, as text */
    const char *profile[NLOG__PROFILE_COUNT]; /* value in each profile, NULL: not set by it */
    const char *help;                         /* one line of English */
    nlog__cfg_check_fn check;                 /* STRING: the value check */
    const char *accepted;                     /* STRING: what is accepted, for messages */
    int secret;                               /* STRING: never quoted back nor shown
                                                 (explain and errors say "***") */
    const struct nlog__cfg_custom *custom;    /* CUSTOM: how the member is read and shown */
} nlog__cfg_key;

/* The table, in documentation (and explain) order. The loggers map is the
 * last row. */
extern const nlog__cfg_key nlog__cfg_keys[];
extern const size_t nlog__cfg_n_keys;

/* A position in a file: 1-based line and column, 0 when unknown. */
typedef struct nlog__cfg_pos {
    int line;
    int column;
} nlog__cfg_pos;

/* One layer read from text (a file, a list of nlog_config_set() calls):
 * the values, which keys the layer sets (a layer may set a string to ""),
 * and where each value was found. */
typedef struct nlog__cfg_layer {
    nlog_config v;                                  /* loggers in v.loggers[0..n_loggers) */
    unsigned char set[NLOG__CFG_KEYS_MAX];          /* 1: the layer sets row i */
    nlog__cfg_pos pos[NLOG__CFG_KEYS_MAX];          /* where row i's value is */
    nlog__cfg_pos logger_pos[NLOG_CONFIG_LOGGERS_MAX]; /* where each loggers entry's level is */
} nlog__cfg_layer;

/* A value read from YAML as a small tree, for CUSTOM rows whose values are
 * lists or mappings (security.rules, mask_fields, ...). Nodes live in the
 * tree's arena; map children alternate key, value. */
typedef enum nlog__cfg_node_kind {
    NLOG__CFG_NODE_SCALAR,
    NLOG__CFG_NODE_MAP,
    NLOG__CFG_NODE_SEQ
} nlog__cfg_node_kind;

typedef struct nlog__cfg_node {
    nlog__cfg_node_kind kind;
    nlog__cfg_pos pos;               /* where the node starts (0 when unknown) */
    const char *text;                /* SCALAR: its text (NUL-terminated copy) */
    size_t len;                      /* SCALAR: bytes of text */
    int is_null;                     /* SCALAR: YAML null (empty, ~, null) */
    struct nlog__cfg_node *child;    /* MAP, SEQ: first child */
    struct nlog__cfg_node *next;     /* next sibling */
    size_t n_children;               /* MAP: keys + values; SEQ: items */
} nlog__cfg_node;

/* Most nodes, and deepest nesting, of one value tree. */
#define NLOG__CFG_TREE_NODES_MAX 8192
#define NLOG__CFG_TREE_DEPTH_MAX 6

typedef struct nlog__cfg_tree {
    nlog__cfg_node *root;            /* NULL: no value (empty text) */
    void *arena;                     /* owned; freed by nlog__cfg_tree_free() */
    size_t n_nodes;
} nlog__cfg_tree;

void nlog__cfg_tree_free(nlog__cfg_tree *t);

/* Parses `text` (a value from the environment, nlog_config_set() or a
 * default) as a YAML document into *t (root NULL for empty text). On
 * failure returns NLOG_ECONFIG with the problem in why and its position
 * within the text in *ret_pos. */
NLOG_NODISCARD nlog_status nlog__cfg_tree_from_text(const char *text, size_t len,
                                                    nlog__cfg_tree *t, char *why,
                                                    size_t why_size, nlog__cfg_pos *ret_pos);

/* How a CUSTOM row's member is read, checked and shown. */
typedef struct nlog__cfg_custom {
    const char *accepted;                      /* "accepted: ..." text */
    void (*unset)(void *member);               /* the "not set" state (nlog_config_init) */
    int (*is_set)(const void *member);
    /* Parses `value` (NULL: no value) into *member. On failure returns
     * NLOG_ECONFIG, leaves *member in an unspecified state, writes
     * "problem; accepted: ..." into why and the offending node's position
     * into *ret_pos (left 0 if none). */
    nlog_status (*parse)(const nlog__cfg_node *value, void *member, char *why, size_t why_size,
                         nlog__cfg_pos *ret_pos);
    /* Checks a member set in code (it is set). */
    nlog_status (*check)(const void *member, char *why, size_t why_size);
    /* The member as text in the file's syntax. */
    void (*render)(const void *member, char *buf, size_t size);
} nlog__cfg_custom;

/* Empties a layer: nothing set. This function can't fail. */
void nlog__cfg_layer_init(nlog__cfg_layer *layer);

/* keys.c ------------------------------------------------------------------ */

/* The row called `name` (exact, case-sensitive), or NULL. */
const nlog__cfg_key *nlog__cfg_key_find(const char *name, size_t len);
/* Index of a row in nlog__cfg_keys[]. */
size_t nlog__cfg_key_index(const nlog__cfg_key *k);
/* The row of the loggers map. */
const nlog__cfg_key *nlog__cfg_key_loggers(void);
/* Whether `name` (len bytes) is a section: some row is named "name.xxx". */
int nlog__cfg_is_section(const char *name, size_t len);

/* Writes "NETLINK_LOG_" + the key upper-cased, dots as '_' into buf. */
void nlog__cfg_env_name(const nlog__cfg_key *k, char *buf, size_t size);

/* Checks `text` (len bytes, not necessarily NUL-terminated) as a value of row
 * `k` and stores it into the member of *cfg. On failure returns NLOG_ECONFIG,
 * leaves *cfg alone and writes "problem; accepted: ..." into why (which may
 * be NULL). Not for NLOG__CFG_LEVELS rows. */
NLOG_NODISCARD nlog_status nlog__cfg_parse_value(const nlog__cfg_key *k, const char *text,
                                                 size_t len, nlog_config *cfg, char *why,
                                                 size_t why_size);

/* Checks a value already stored in a member of *cfg (the code layer) the way
 * nlog__cfg_parse_value() would have. `is_set` receives whether the member
 * holds a value at all (not NLOG_UNSET, NLOG_LEVEL_INVALID or ""). Returns
 * NLOG_ECONFIG with "problem; accepted: ..." in why for a bad value. */
NLOG_NODISCARD nlog_status nlog__cfg_check_member(const nlog__cfg_key *k, const nlog_config *cfg,
                                                  int *is_set, char *why, size_t why_size);

/* Renders the member of row k as text in the file's syntax ("true", "INFO"). */
void nlog__cfg_value_text(const nlog__cfg_key *k, const nlog_config *cfg, char *buf,
                          size_t size);

/* "accepted" text of row k, as used in messages and docs. */
void nlog__cfg_accepted(const nlog__cfg_key *k, char *buf, size_t size);

/* The accepted key names directly under `prefix` ("" for the top level,
 * "server." for a section), comma-separated, in table order. */
void nlog__cfg_key_list(const char *prefix, char *buf, size_t size);

/* The key under `prefix` closest to `name` (a likely typo), or NULL. The
 * result is not NUL-terminated: *ret_len receives its length. */
const char *nlog__cfg_suggest(const char *prefix, const char *name, size_t len, size_t *ret_len);

/* Checks a logger name: 1..NLOG_LOGGER_NAME_MAX bytes, no control characters.
 * On failure writes the problem into why and returns NLOG_ECONFIG. */
NLOG_NODISCARD nlog_status nlog__cfg_check_logger_name(const char *name, size_t len, char *why,
                                                       size_t why_size);

/* Parses a level for the loggers map; on failure writes the problem. */
NLOG_NODISCARD nlog_status nlog__cfg_parse_level(const char *text, size_t len,
                                                 nlog_level *ret_level, char *why,
                                                 size_t why_size);

/* Sets (or replaces) the entry `name` of cfg->loggers. Returns NLOG_ELIMIT
 * when the map is full and `name` is not in it. `*ret_index` (may be NULL)
 * receives the entry's index. */
NLOG_NODISCARD nlog_status nlog__cfg_logger_put(nlog_config *cfg, const char *name,
                                                nlog_level level, size_t *ret_index);

/* Writes `s` (len bytes) quoted for a one-line message: 'text', with
 * non-printable bytes as \xNN and long values cut with "...". */
void nlog__cfg_quote(char *buf, size_t size, const char *s, size_t len);

/* Fills *err (if not NULL): status, source, key, and the message
 * "source: key: text" (the parts that are empty are left out; `show_key` 0
 * leaves the key out of the message but still stores it in err->key). */
void nlog__cfg_fail(nlog_error *err, nlog_status status, const char *source, const char *key,
                    int show_key, const char *fmt, ...) NLOG__PRINTF(6, 7);

/* checks_server.c: value checks of the server and remote-output rows ------- */

int nlog__cfg_check_api_key(const char *s, size_t len, char *why, size_t why_size);
int nlog__cfg_check_url(const char *s, size_t len, char *why, size_t why_size);
int nlog__cfg_check_listen(const char *s, size_t len, char *why, size_t why_size);
int nlog__cfg_check_opt_path(const char *s, size_t len, char *why, size_t why_size);
/* A comma-separated list of http[s]://HOST[:PORT] origins (empty: none). */
int nlog__cfg_check_origins(const char *s, size_t len, char *why, size_t why_size);

/* profile.c --------------------------------------------------------------- */

/* The profile called `name` (any case), or -1. */
int nlog__cfg_profile_find(const char *name);
/* The canonical (lower-case) name of profile p. */
const char *nlog__cfg_profile_name(nlog__profile p);
/* "development, testing, production, debug (any case)" */
const char *nlog__cfg_profile_accepted(void);

/* yaml.c ------------------------------------------------------------------ */

/* Reads a YAML document from memory into *layer, which the caller has
 * initialised with nlog__cfg_layer_init(). `name` is the file name used in
 * messages. The document must be a mapping (or empty); aliases are refused,
 * so input size bounds the work. At most NLOG__CONFIG_FILE_MAX bytes.
 * Returns NLOG_OK, NLOG_ECONFIG (err filled: "name:line:col: ...") or
 * NLOG_ENOMEM. On failure *layer holds a partial result.
 * Thread-safety: touches only its arguments. Fuzzed by tests/fuzz/fuzz_config.c. */
NLOG_NODISCARD nlog_status nlog__config_parse_buffer(const char *name, const char *data,
                                                     size_t len, nlog__cfg_layer *layer,
                                                     nlog_error *err);

/* Reads the file at `path` (at most NLOG__CONFIG_FILE_MAX bytes) and parses
 * it as above. An unreadable or missing file is NLOG_ECONFIG. */
NLOG_NODISCARD nlog_status nlog__config_parse_file(const char *path, nlog__cfg_layer *layer,
                                                   nlog_error *err);

/* env.c ------------------------------------------------------------------- */

/* The value of environment variable `name`, or NULL. The only place the
 * library reads the environment. Not safe against a concurrent setenv(). */
const char *nlog__config_getenv(const char *name);

#endif /* NLOG_CONFIG_INTERNAL_H */
