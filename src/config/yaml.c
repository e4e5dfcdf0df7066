/* yaml.c: reads a configuration file with libfyaml's event parser.
 *
 * Events rather than a document tree: every event carries its line and
 * column, nothing is built that is not needed, and aliases are never
 * expanded (they are refused outright), so the work is bounded by the input,
 * which is itself capped at NLOG__CONFIG_FILE_MAX bytes. libfyaml's own
 * diagnostics are collected instead of printed, and turned into our message.
 *
 * The walk follows the key table: a key names a row (a value), a section
 * (a nested mapping whose keys are rows "section.key"), or the loggers map.
 * The first problem found is reported; the rest of the input is still run
 * through the parser so that a YAML syntax error anywhere takes precedence
 * (a file that is not YAML at all should say so first).
 *
 * Two defences against libfyaml 0.7.12 bugs found by fuzzing: the input is
 * checked to be UTF-8 of YAML's character set before the parser sees it (the
 * parser never returns on some invalid UTF-8), and single-quoted scalars with
 * '' escapes are unescaped here (libfyaml leaks memory doing it). Both have
 * regression inputs in tests/fuzz/corpus/config/libfyaml_*.
 * Tested by: tests/unit/config/test_config_file.c; fuzzed by tests/fuzz/fuzz_config.c */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libfyaml.h>

#include "config/config_internal.h"

typedef struct reader {
    struct fy_parser *fyp;
    struct fy_diag *diag;
    struct fy_event *ev;   /* current event, owned */
    const char *name;      /* file name for messages */
    const char *data;      /* the input, for raw scalar text */
    size_t len;
    char *unquoted;        /* scratch for single-quoted scalars we unescape */
    size_t unquoted_cap;
    nlog__cfg_layer *layer;
    nlog_error *err;
    int syntax;            /* the parser stopped on an error */
    nlog__cfg_pos fail_pos; /* where the first problem was found */
    nlog__cfg_tree *tree;  /* tree mode: the value tree being read */
} reader;

/* Moves to the next event. Returns 0 when the parser stopped (an error, or
 * input ending early). */
static int advance(reader *r)
{
    if (r->ev) {
        fy_parser_event_free(r->fyp, r->ev);
        r->ev = NULL;
    }
    r->ev = fy_parser_parse(r->fyp);
    if (!r->ev) {
        r->syntax = 1;
        return 0;
    }
    return 1;
}

/* Where an event starts. libfyaml marks a quoted scalar after its opening
 * quote and an alias after its '*'; we point at the quote and the '*'. An
 * empty value has no mark: callers fall back to the key's position. */
static nlog__cfg_pos ev_pos(struct fy_event *ev)
{
    nlog__cfg_pos p = {0, 0};
    const struct fy_mark *m = fy_event_start_mark(ev);
    if (m) {
        p.line = m->line + 1;
        p.column = m->column + 1;
        if (ev->type == FYET_ALIAS && p.column > 1)
            p.column--;
        if (ev->type == FYET_SCALAR && ev->scalar.value && p.column > 1) {
            enum fy_scalar_style style = fy_token_scalar_style(ev->scalar.value);
            if (style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED)
                p.column--;
        }
    }
    return p;
}

/* ev_pos(), or `fallback` when the event has no position. */
static nlog__cfg_pos ev_pos_or(struct fy_event *ev, nlog__cfg_pos fallback)
{
    nlog__cfg_pos p = ev_pos(ev);
    return p.line ? p : fallback;
}

static const char *kind_name(enum fy_event_type t)
{
    switch (t) {
    case FYET_SEQUENCE_START: return "a sequence";
    case FYET_MAPPING_START: return "a mapping";
    case FYET_SCALAR: return "a single value";
    case FYET_ALIAS: return "an alias";
    default: return "something else";
    }
}

/* Records a problem at `pos`; returns NLOG_ECONFIG. */
static nlog_status fail_at(reader *r, nlog__cfg_pos pos, const char *key, int show_key,
                           const char *fmt, ...) NLOG__PRINTF(5, 6);
static nlog_status fail_at(reader *r, nlog__cfg_pos pos, const char *key, int show_key,
                           const char *fmt, ...)
{
    char source[NLOG_CONFIG_PATH_MAX + 32];
    char text[sizeof r->err->message];
    va_list ap;

    r->fail_pos = pos;
    if (!r->name[0]) /* a value's text (tree mode): the caller places it */
        source[0] = '\0';
    else if (pos.line > 0)
        snprintf(source, sizeof source, "%.*s:%d:%d", NLOG_CONFIG_PATH_MAX, r->name, pos.line,
                 pos.column);
    else
        snprintf(source, sizeof source, "%.*s", NLOG_CONFIG_PATH_MAX, r->name);
    va_start(ap, fmt);
    (void) vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    nlog__cfg_fail(r->err, NLOG_ECONFIG, source, key, show_key, "%s", text);
    return NLOG_ECONFIG;
}

/* Turns libfyaml's first collected error into our message. */
static nlog_status fail_syntax(reader *r)
{
    void *it = NULL;
    struct fy_diag_error *de;
    while ((de = fy_diag_errors_iterate(r->diag, &it)) != NULL) {
        if (de->type >= FYET_ERROR && de->msg) {
            char msg[256];
            nlog__cfg_pos p = {de->line, de->column};
            snprintf(msg, sizeof msg, "%s", de->msg);
            for (char *c = msg; *c; c++) /* keep the message on one line */
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                    *c = ' ';
            return fail_at(r, p, "", 0, "invalid YAML: %s", msg);
        }
    }
    return fail_at(r, (nlog__cfg_pos){0, 0}, "", 0, "invalid YAML");
}

static nlog_status fail_alias(reader *r, const char *key)
{
    const char *anchor = NULL;
    size_t len = 0;
    if (r->ev->alias.anchor)
        anchor = fy_token_get_text(r->ev->alias.anchor, &len);
    char q[128];
    nlog__cfg_quote(q, sizeof q, anchor ? anchor : "", anchor ? len : 0);
    return fail_at(r, ev_pos(r->ev), key, *key != '\0',
                   "alias %s: aliases (*name) are not supported in configuration files; write "
                   "the value out",
                   q);
}

/* A single-quoted scalar with '' escapes, unescaped by us: libfyaml 0.7.12
 * leaks its chunk array when it prepares such text itself (a run of five or
 * more '' escapes; fixed upstream after 0.7.12). Single-line only: folding a
 * multi-line one is left to libfyaml, so that case is refused instead. */
static nlog_status unquote_single(reader *r, const char *key, const char **ret_text,
                                  size_t *ret_len)
{
    struct fy_token *t = r->ev->scalar.value;
    const struct fy_mark *a = fy_token_start_mark(t), *b = fy_token_end_mark(t);
    *ret_text = NULL;
    if (!a || !b || a->input_pos > b->input_pos || b->input_pos > r->len)
        return NLOG_OK; /* no raw text: let libfyaml do it */
    const char *raw = r->data + a->input_pos;
    size_t rlen = b->input_pos - a->input_pos;
    if (!memmem(raw, rlen, "''", 2))
        return NLOG_OK;
    if (memchr(raw, '\n', rlen) || memchr(raw, '\r', rlen))
        return fail_at(r, ev_pos(r->ev), key, *key != '\0',
                       "a single-quoted value with '' escapes must be on one line; accepted: "
                       "the value on one line, or in double quotes");
    if (rlen > r->unquoted_cap) {
        char *nb = realloc(r->unquoted, rlen);
        if (!nb) {
            nlog__cfg_fail(r->err, NLOG_ENOMEM, r->name, "", 0, "out of memory");
            return NLOG_ENOMEM;
        }
        r->unquoted = nb;
        r->unquoted_cap = rlen;
    }
    size_t n = 0;
    for (size_t i = 0; i < rlen; i++) {
        r->unquoted[n++] = raw[i];
        if (raw[i] == '\'' && i + 1 < rlen && raw[i + 1] == '\'')
            i++;
    }
    *ret_text = r->unquoted;
    *ret_len = n;
    return NLOG_OK;
}

/* Text of the current scalar event. A plain empty, "~" or "null" scalar is
 * YAML's null and comes back as "" (no value). `key` names what is being
 * read, for messages. */
static nlog_status scalar_text(reader *r, const char *key, const char **ret_text,
                               size_t *ret_len)
{
    struct fy_token *t = r->ev->scalar.value;
    size_t len = 0;
    const char *s = NULL;

    *ret_text = "";
    *ret_len = 0;
    if (!t)
        return NLOG_OK;
    if (fy_token_scalar_style(t) == FYSS_SINGLE_QUOTED) {
        nlog_status st = unquote_single(r, key, &s, &len);
        if (st != NLOG_OK)
            return st;
    }
    if (!s)
        s = fy_token_get_text(t, &len);
    if (!s)
        return NLOG_OK;
    if (fy_token_scalar_style(t) == FYSS_PLAIN &&
        ((len == 1 && s[0] == '~') ||
         (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)))))
        return NLOG_OK;
    *ret_text = s;
    *ret_len = len;
    return NLOG_OK;
}

static nlog_status read_value(reader *r, const nlog__cfg_key *k, nlog__cfg_pos kpos)
{
    char why[NLOG__CFG_WHY_MAX];
    char acc[NLOG__CFG_WHY_MAX / 2];
    nlog__cfg_pos pos = ev_pos_or(r->ev, kpos);
    size_t len, i = nlog__cfg_key_index(k);
    const char *text;

    if (r->ev->type == FYET_ALIAS)
        return fail_alias(r, k->name);
    if (r->ev->type != FYET_SCALAR) {
        nlog__cfg_accepted(k, acc, sizeof acc);
        return fail_at(r, pos, k->name, 1, "expected a single value, found %s; accepted: %s",
                       kind_name(r->ev->type), acc);
    }
    nlog_status st = scalar_text(r, k->name, &text, &len);
    if (st != NLOG_OK)
        return st;
    if (nlog__cfg_parse_value(k, text, len, &r->layer->v, why, sizeof why) != NLOG_OK)
        return fail_at(r, pos, k->name, 1, "%s", why);
    r->layer->set[i] = 1;
    r->layer->pos[i] = pos;
    return NLOG_OK;
}

/* ---- value trees (CUSTOM rows) ---------------------------------------------
 *
 * A CUSTOM row's value (a list of rules, a list of names) is read into a
 * small tree first and handed to the row's own parser, which knows what the
 * keys mean. The tree is bounded (NLOG__CFG_TREE_NODES_MAX nodes, nesting
 * NLOG__CFG_TREE_DEPTH_MAX) and refuses aliases like the rest of the reader. */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[];
} arena_block;

static void *arena_alloc(nlog__cfg_tree *t, size_t n)
{
    arena_block *b = t->arena;
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        arena_block *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        t->arena = nb;
        b = nb;
    }
    void *p = (char *) b->data + b->used;
    b->used += n;
    return p;
}

void nlog__cfg_tree_free(nlog__cfg_tree *t)
{
    arena_block *b = t->arena;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    t->arena = NULL;
    t->root = NULL;
    t->n_nodes = 0;
}

static nlog_status tree_nomem(reader *r)
{
    nlog__cfg_fail(r->err, NLOG_ENOMEM, r->name, "", 0, "out of memory");
    return NLOG_ENOMEM;
}

static int is_null_scalar(reader *r);

/* Reads the node that starts at the current event (and everything inside
 * it) into the tree. */
static nlog_status read_tree(reader *r, const char *key, int depth, nlog__cfg_node **ret)
{
    nlog__cfg_tree *t = r->tree;
    nlog__cfg_pos pos = ev_pos(r->ev);
    if (r->ev->type == FYET_ALIAS)
        return fail_alias(r, key);
    if (depth > NLOG__CFG_TREE_DEPTH_MAX)
        return fail_at(r, pos, key, *key != '\0',
                       "nested more than %d levels deep; accepted: the shapes this key "
                       "describes in docs/configuration.md",
                       NLOG__CFG_TREE_DEPTH_MAX);
    if (t->n_nodes >= NLOG__CFG_TREE_NODES_MAX)
        return fail_at(r, pos, key, *key != '\0', "more than %d values; accepted: at most %d",
                       NLOG__CFG_TREE_NODES_MAX, NLOG__CFG_TREE_NODES_MAX);
    nlog__cfg_node *n = arena_alloc(t, sizeof *n);
    if (!n)
        return tree_nomem(r);
    memset(n, 0, sizeof *n);
    t->n_nodes++;
    n->pos = pos;
    *ret = n;
    switch (r->ev->type) {
    case FYET_SCALAR: {
        const char *text;
        size_t len;
        n->kind = NLOG__CFG_NODE_SCALAR;
        n->is_null = is_null_scalar(r);
        nlog_status st = scalar_text(r, key, &text, &len);
        if (st != NLOG_OK)
            return st;
        char *copy = arena_alloc(t, len + 1);
        if (!copy)
            return tree_nomem(r);
        memcpy(copy, text, len);
        copy[len] = '\0';
        n->text = copy;
        n->len = len;
        return NLOG_OK;
    }
    case FYET_SEQUENCE_START:
    case FYET_MAPPING_START: {
        enum fy_event_type end =
            r->ev->type == FYET_SEQUENCE_START ? FYET_SEQUENCE_END : FYET_MAPPING_END;
        n->kind = r->ev->type == FYET_SEQUENCE_START ? NLOG__CFG_NODE_SEQ : NLOG__CFG_NODE_MAP;
        nlog__cfg_node **tail = &n->child;
        for (;;) {
            if (!advance(r))
                return NLOG_ECONFIG;
            if (r->ev->type == end)
                return NLOG_OK;
            nlog_status st = read_tree(r, key, depth + 1, tail);
            if (st != NLOG_OK)
                return st;
            tail = &(*tail)->next;
            n->n_children++;
        }
    }
    default:
        return fail_at(r, pos, key, *key != '\0', "unexpected %s", kind_name(r->ev->type));
    }
}

/* A CUSTOM row: the value's tree goes to the row's parser. */
static nlog_status read_custom(reader *r, const nlog__cfg_key *k, nlog__cfg_pos kpos)
{
    char why[NLOG__CFG_WHY_MAX];
    nlog__cfg_tree t = {0};
    nlog__cfg_node *root = NULL;
    size_t i = nlog__cfg_key_index(k);
    nlog__cfg_pos vpos = ev_pos_or(r->ev, kpos);
    r->tree = &t;
    nlog_status st = read_tree(r, k->name, 0, &root);
    r->tree = NULL;
    if (st == NLOG_OK) {
        nlog__cfg_pos where = {0, 0};
        if (root && root->kind == NLOG__CFG_NODE_SCALAR && root->is_null)
            root = NULL;
        why[0] = '\0';
        if (k->custom->parse(root, (char *) &r->layer->v + k->offset, why, sizeof why,
                             &where) != NLOG_OK) {
            st = fail_at(r, where.line ? where : vpos, k->name, 1, "%s", why);
        } else {
            r->layer->set[i] = 1;
            r->layer->pos[i] = vpos;
        }
    }
    nlog__cfg_tree_free(&t);
    return st;
}

static nlog_status read_loggers(reader *r)
{
    nlog__cfg_layer *L = r->layer;
    char why[NLOG__CFG_WHY_MAX];
    char acc[NLOG__CFG_WHY_MAX / 2];
    char name[NLOG_LOGGER_NAME_MAX + 1];
    char key[NLOG_LOGGER_NAME_MAX + 16];
    const nlog__cfg_key *k = nlog__cfg_key_loggers();

    for (;;) {
        if (!advance(r))
            return NLOG_ECONFIG;
        if (r->ev->type == FYET_MAPPING_END)
            return NLOG_OK;
        nlog__cfg_pos kpos = ev_pos(r->ev);
        if (r->ev->type == FYET_ALIAS)
            return fail_alias(r, k->name);
        if (r->ev->type != FYET_SCALAR)
            return fail_at(r, kpos, k->name, 1, "a logger name must be text, found %s",
                           kind_name(r->ev->type));
        size_t len;
        const char *text;
        nlog_status st = scalar_text(r, k->name, &text, &len);
        if (st != NLOG_OK)
            return st;
        if (nlog__cfg_check_logger_name(text, len, why, sizeof why) != NLOG_OK)
            return fail_at(r, kpos, k->name, 1, "%s", why);
        memcpy(name, text, len);
        name[len] = '\0';
        snprintf(key, sizeof key, "loggers.%s", name);
        for (size_t i = 0; i < L->v.n_loggers; i++) {
            if (strcmp(L->v.loggers[i].name, name) == 0)
                return fail_at(r, kpos, key, 0, "duplicate key '%s' in loggers (first given on "
                               "line %d)", name, L->logger_pos[i].line);
        }
        if (L->v.n_loggers >= NLOG_CONFIG_LOGGERS_MAX)
            return fail_at(r, kpos, k->name, 1,
                           "more than %d entries; accepted: at most %d loggers in one file",
                           NLOG_CONFIG_LOGGERS_MAX, NLOG_CONFIG_LOGGERS_MAX);

        if (!advance(r))
            return NLOG_ECONFIG;
        nlog__cfg_pos vpos = ev_pos_or(r->ev, kpos);
        if (r->ev->type == FYET_ALIAS)
            return fail_alias(r, key);
        if (r->ev->type != FYET_SCALAR) {
            nlog__cfg_accepted(nlog__cfg_key_find("level", 5), acc, sizeof acc);
            return fail_at(r, vpos, key, 1, "expected a level, found %s; accepted: %s",
                           kind_name(r->ev->type), acc);
        }
        nlog_level lv;
        st = scalar_text(r, key, &text, &len);
        if (st != NLOG_OK)
            return st;
        if (nlog__cfg_parse_level(text, len, &lv, why, sizeof why) != NLOG_OK)
            return fail_at(r, vpos, key, 1, "%s", why);
        size_t idx;
        if (nlog__cfg_logger_put(&L->v, name, lv, &idx) != NLOG_OK)
            return fail_at(r, kpos, k->name, 1, "too many entries"); /* checked above */
        L->logger_pos[idx] = vpos;
    }
}

/* A null value (plain empty, "~", "null") for a section or the loggers map
 * means "nothing here". */
static int is_null_scalar(reader *r)
{
    size_t len;
    const char *text;
    if (r->ev->type != FYET_SCALAR)
        return 0;
    if (!r->ev->scalar.value)
        return 1;
    if (fy_token_scalar_style(r->ev->scalar.value) != FYSS_PLAIN)
        return 0;
    text = fy_token_get_text(r->ev->scalar.value, &len);
    return !text || len == 0 || (len == 1 && text[0] == '~') ||
           (len == 4 && (!memcmp(text, "null", 4) || !memcmp(text, "Null", 4) ||
                         !memcmp(text, "NULL", 4)));
}

static nlog_status read_map(reader *r, const char *prefix)
{
    unsigned char seen[NLOG__CFG_KEYS_MAX] = {0};
    int seen_line[NLOG__CFG_KEYS_MAX];
    char full[256];
    char q[128];
    char list[NLOG__CFG_WHY_MAX];
    size_t plen = strlen(prefix);
    nlog_status st;

    for (;;) {
        if (!advance(r))
            return NLOG_ECONFIG;
        if (r->ev->type == FYET_MAPPING_END)
            return NLOG_OK;
        nlog__cfg_pos kpos = ev_pos(r->ev);
        if (r->ev->type == FYET_ALIAS)
            return fail_alias(r, "");
        if (r->ev->type != FYET_SCALAR)
            return fail_at(r, kpos, "", 0, "a key must be a plain name, found %s",
                           kind_name(r->ev->type));
        size_t len;
        const char *text;
        st = scalar_text(r, "", &text, &len);
        if (st != NLOG_OK)
            return st;
        const nlog__cfg_key *k = NULL;
        int section = 0;
        size_t flen = plen + len;
        if (flen < sizeof full) {
            memcpy(full, prefix, plen);
            memcpy(full + plen, text, len);
            full[flen] = '\0';
            k = nlog__cfg_key_find(full, flen);
            section = !k && nlog__cfg_is_section(full, flen);
        }
        if (!k && !section) {
            size_t slen = 0;
            const char *s = nlog__cfg_suggest(prefix, text, len, &slen);
            char hint[160] = "";
            nlog__cfg_quote(q, sizeof q, text, len);
            nlog__cfg_key_list(prefix, list, sizeof list);
            if (s)
                snprintf(hint, sizeof hint, " did you mean '%.*s'?", (int) slen, s);
            char keyname[256];
            snprintf(keyname, sizeof keyname, "%.*s", (int) NLOG__MIN(flen, sizeof full - 1),
                     flen < sizeof full ? full : text);
            return fail_at(r, kpos, keyname, 0, "unknown key %s%s;%s accepted keys%s%.*s: %s",
                           q, plen ? " in section" : "", hint, plen ? " in " : "",
                           (int) (plen ? plen - 1 : 0), prefix, list);
        }
        /* Sections are tracked on the first row they contain. */
        size_t idx = 0;
        if (k) {
            idx = nlog__cfg_key_index(k);
        } else {
            while (strncmp(nlog__cfg_keys[idx].name, full, flen) != 0 ||
                   nlog__cfg_keys[idx].name[flen] != '.')
                idx++;
        }
        if (seen[idx])
            return fail_at(r, kpos, full, 0, "duplicate key '%s' (first given on line %d)", full,
                           seen_line[idx]);
        seen[idx] = 1;
        seen_line[idx] = kpos.line;

        if (!advance(r))
            return NLOG_ECONFIG;
        if (section || k->type == NLOG__CFG_LEVELS) {
            if (r->ev->type == FYET_ALIAS)
                return fail_alias(r, full);
            if (is_null_scalar(r))
                continue;
            if (r->ev->type != FYET_MAPPING_START) {
                if (section)
                    return fail_at(r, ev_pos_or(r->ev, kpos), full, 1,
                                   "expected a section (a mapping of keys), found %s",
                                   kind_name(r->ev->type));
                nlog__cfg_accepted(k, list, sizeof list);
                return fail_at(r, ev_pos_or(r->ev, kpos), full, 1,
                               "expected a mapping, found %s; accepted: %s",
                               kind_name(r->ev->type), list);
            }
            if (section) {
                char sub[sizeof full + 1];
                snprintf(sub, sizeof sub, "%s.", full);
                st = read_map(r, sub);
            } else {
                st = read_loggers(r);
            }
        } else if (k->type == NLOG__CFG_CUSTOM) {
            st = read_custom(r, k, kpos);
        } else {
            st = read_value(r, k, kpos);
        }
        if (st != NLOG_OK)
            return st;
    }
}

static nlog_status read_document(reader *r)
{
    nlog_status st;
    if (!advance(r))
        return NLOG_ECONFIG;
    if (r->ev->type != FYET_STREAM_START) /* not expected from libfyaml */
        return fail_at(r, ev_pos(r->ev), "", 0, "invalid YAML: no stream start");
    if (!advance(r))
        return NLOG_ECONFIG;
    if (r->ev->type == FYET_STREAM_END)
        return NLOG_OK; /* no document at all: nothing set */
    if (!advance(r))    /* past DOCUMENT_START, to the root node */
        return NLOG_ECONFIG;
    switch (r->ev->type) {
    case FYET_MAPPING_START:
        st = read_map(r, "");
        if (st != NLOG_OK)
            return st;
        break;
    case FYET_ALIAS:
        return fail_alias(r, "");
    case FYET_SCALAR:
        if (is_null_scalar(r))
            break; /* "---" alone, or only comments */
        /* fall through */
    default:
        return fail_at(r, ev_pos(r->ev), "", 0,
                       "the top level must be a mapping of keys to values, found %s",
                       kind_name(r->ev->type));
    }
    if (!advance(r))
        return NLOG_ECONFIG;
    if (r->ev->type != FYET_DOCUMENT_END) /* not expected from libfyaml */
        return fail_at(r, ev_pos(r->ev), "", 0, "invalid YAML: the document does not end");
    if (!advance(r))
        return NLOG_ECONFIG;
    if (r->ev->type == FYET_DOCUMENT_START)
        return fail_at(r, ev_pos(r->ev), "", 0,
                       "a second YAML document; a configuration file holds one document");
    return NLOG_OK;
}

/* Checks that the input is YAML's character set: UTF-8 (no overlong forms,
 * surrogates or values past U+10FFFF) of printable characters, tab, CR and
 * LF. libfyaml 0.7.12 loops forever on some invalid UTF-8 (a directive line
 * "%" followed by a stray continuation byte), so nothing else reaches it.
 * Returns 1 if all is well; otherwise stores the 1-based line and column
 * (in characters) of the problem and returns 0 for invalid UTF-8 (with the
 * offending byte in *ret_value) or -1 for a character YAML does not allow
 * (with its code point in *ret_value). */
static int check_characters(const unsigned char *s, size_t len, nlog__cfg_pos *ret_pos,
                            unsigned *ret_value)
{
    int line = 1, column = 1;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i], cp;
        size_t n;
        if (c < 0x80) {
            cp = c;
            n = 1;
        } else if (c >= 0xc2 && c <= 0xdf) {
            cp = c & 0x1f;
            n = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            cp = c & 0x0f;
            n = 3;
        } else if (c >= 0xf0 && c <= 0xf4) {
            cp = c & 0x07;
            n = 4;
        } else {
            goto bad;
        }
        if (n > len - i)
            goto bad;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
            goto bad;
        /* c-printable: tab, LF, CR, 0x20-0x7e, 0x85, 0xa0 and up. */
        if (cp < 0x20 ? (cp != '\t' && cp != '\n' && cp != '\r')
                      : (cp == 0x7f || (cp >= 0x80 && cp < 0xa0 && cp != 0x85))) {
            ret_pos->line = line;
            ret_pos->column = column;
            *ret_value = cp;
            return -1;
        }
        if (cp == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
        i += n;
    }
    return 1;
bad:
    ret_pos->line = line;
    ret_pos->column = column;
    *ret_value = s[i];
    return 0;
}

static void discard_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void) diag;
    (void) user;
    (void) buf;
    (void) len;
}

nlog_status nlog__config_parse_buffer(const char *name, const char *data, size_t len,
                                      nlog__cfg_layer *layer, nlog_error *err)
{
    struct fy_diag_cfg dcfg;
    struct fy_parse_cfg pcfg;
    reader r;
    nlog_status st;

    memset(&r, 0, sizeof r);
    r.name = name ? name : "";
    r.data = data;
    r.len = len;
    r.layer = layer;
    r.err = err;
    if (len > NLOG__CONFIG_FILE_MAX)
        return fail_at(&r, (nlog__cfg_pos){0, 0}, "", 0,
                       "the file is larger than %d bytes (1 MiB), the most a configuration "
                       "file may hold",
                       NLOG__CONFIG_FILE_MAX);

    nlog__cfg_pos bad;
    unsigned value;
    switch (check_characters((const unsigned char *) data, len, &bad, &value)) {
    case 0:
        return fail_at(&r, bad, "", 0, "invalid YAML: not UTF-8 (byte 0x%02x)", value);
    case -1:
        return fail_at(&r, bad, "", 0, "invalid YAML: character U+%04X is not allowed", value);
    default:
        break;
    }

    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = discard_output;
    dcfg.level = FYET_ERROR;
    dcfg.colorize = false;
    r.diag = fy_diag_create(&dcfg);
    if (!r.diag)
        goto nomem;
    fy_diag_set_collect_errors(r.diag, true);

    memset(&pcfg, 0, sizeof pcfg);
    pcfg.flags = FYPCF_QUIET | FYPCF_JSON_NONE | FYPCF_ALLOW_DUPLICATE_KEYS;
    pcfg.diag = r.diag;
    r.fyp = fy_parser_create(&pcfg);
    if (!r.fyp)
        goto nomem;
    /* libfyaml wants a non-NULL pointer even for empty input. */
    if (fy_parser_set_string(r.fyp, len ? data : "", len) != 0)
        goto nomem;

    st = read_document(&r);
    /* Let the parser see the whole input: a syntax error beats a value error. */
    while (!r.syntax && r.ev && r.ev->type != FYET_STREAM_END)
        (void) advance(&r);
    if (r.syntax || fy_parser_get_stream_error(r.fyp))
        st = fail_syntax(&r);
    goto out;

nomem:
    nlog__cfg_fail(err, NLOG_ENOMEM, r.name, "", 0, "out of memory while reading the file");
    st = NLOG_ENOMEM;
out:
    if (r.ev)
        fy_parser_event_free(r.fyp, r.ev);
    if (r.fyp)
        fy_parser_destroy(r.fyp);
    if (r.diag)
        fy_diag_destroy(r.diag);
    free(r.unquoted);
    return st;
}

nlog_status nlog__config_parse_file(const char *path, nlog__cfg_layer *layer, nlog_error *err)
{
    char ebuf[128];
    struct stat sb;
    size_t cap = 16384, len = 0, n;
    char *buf = NULL;
    nlog_status st;
    FILE *f = fopen(path, "rbe");

    if (!f) {
        nlog__cfg_fail(err, NLOG_ECONFIG, path, "", 0, "cannot open the configuration file: %s",
                       strerror_r(errno, ebuf, sizeof ebuf));
        return NLOG_ECONFIG;
    }
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        nlog__cfg_fail(err, NLOG_ECONFIG, path, "", 0,
                       "cannot read the configuration file: it is a directory");
        st = NLOG_ECONFIG;
        goto out;
    }
    for (;;) {
        if (!buf || len == cap) {
            if (buf)
                cap = NLOG__MIN(cap * 2, (size_t) NLOG__CONFIG_FILE_MAX + 1);
            char *nb = realloc(buf, cap);
            if (!nb) {
                nlog__cfg_fail(err, NLOG_ENOMEM, path, "", 0, "out of memory reading the file");
                st = NLOG_ENOMEM;
                goto out;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len > NLOG__CONFIG_FILE_MAX) {
            nlog__cfg_fail(err, NLOG_ECONFIG, path, "", 0,
                           "the file is larger than %d bytes (1 MiB), the most a configuration "
                           "file may hold",
                           NLOG__CONFIG_FILE_MAX);
            st = NLOG_ECONFIG;
            goto out;
        }
        if (n == 0 || len < cap) {
            if (ferror(f)) {
                nlog__cfg_fail(err, NLOG_ECONFIG, path, "", 0,
                               "cannot read the configuration file: %s",
                               strerror_r(errno, ebuf, sizeof ebuf));
                st = NLOG_ECONFIG;
                goto out;
            }
            if (feof(f))
                break;
        }
    }
    st = nlog__config_parse_buffer(path, buf, len, layer, err);
out:
    free(buf);
    (void) fclose(f);
    return st;
}

/* Tree mode for a value given as text (environment, nlog_config_set(), the
 * key table's defaults): the text is one YAML document, read like a file so
 * that the same checks and workarounds apply. */
nlog_status nlog__cfg_tree_from_text(const char *text, size_t len, nlog__cfg_tree *t, char *why,
                                     size_t why_size, nlog__cfg_pos *ret_pos)
{
    struct fy_diag_cfg dcfg;
    struct fy_parse_cfg pcfg;
    nlog_error err;
    reader r;
    nlog_status st = NLOG_OK;

    memset(&r, 0, sizeof r);
    memset(&err, 0, sizeof err);
    memset(t, 0, sizeof *t);
    r.name = "";
    r.data = text;
    r.len = len;
    r.err = &err;
    r.tree = t;
    *ret_pos = (nlog__cfg_pos){0, 0};
    if (len > NLOG__CONFIG_FILE_MAX) {
        snprintf(why, why_size, "the value is longer than %d bytes", NLOG__CONFIG_FILE_MAX);
        return NLOG_ECONFIG;
    }
    nlog__cfg_pos bad;
    unsigned value;
    switch (check_characters((const unsigned char *) text, len, &bad, &value)) {
    case 0:
        *ret_pos = bad;
        snprintf(why, why_size, "not UTF-8 (byte 0x%02x)", value);
        return NLOG_ECONFIG;
    case -1:
        *ret_pos = bad;
        snprintf(why, why_size, "character U+%04X is not allowed", value);
        return NLOG_ECONFIG;
    default:
        break;
    }
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = discard_output;
    dcfg.level = FYET_ERROR;
    dcfg.colorize = false;
    r.diag = fy_diag_create(&dcfg);
    memset(&pcfg, 0, sizeof pcfg);
    pcfg.flags = FYPCF_QUIET | FYPCF_JSON_NONE | FYPCF_ALLOW_DUPLICATE_KEYS;
    pcfg.diag = r.diag;
    if (r.diag)
        r.fyp = fy_parser_create(&pcfg);
    if (!r.fyp || fy_parser_set_string(r.fyp, len ? text : "", len) != 0) {
        snprintf(why, why_size, "out of memory");
        st = NLOG_ENOMEM;
        goto out;
    }
    /* stream start, then either stream end (no value) or a document */
    if (advance(&r) && advance(&r) && r.ev->type == FYET_DOCUMENT_START && advance(&r)) {
        st = read_tree(&r, "", 0, &t->root);
        if (st == NLOG_OK && advance(&r) && advance(&r) && r.ev->type == FYET_DOCUMENT_START)
            st = fail_at(&r, ev_pos(r.ev), "", 0, "a second YAML document in one value");
    }
    while (!r.syntax && r.ev && r.ev->type != FYET_STREAM_END)
        (void) advance(&r);
    if (r.syntax || fy_parser_get_stream_error(r.fyp))
        st = fail_syntax(&r);
    if (st != NLOG_OK) {
        snprintf(why, why_size, "%s", err.message);
        *ret_pos = r.fail_pos;
    } else if (t->root && t->root->kind == NLOG__CFG_NODE_SCALAR && t->root->is_null) {
        t->root = NULL;
    }
out:
    if (r.ev)
        fy_parser_event_free(r.fyp, r.ev);
    if (r.fyp)
        fy_parser_destroy(r.fyp);
    if (r.diag)
        fy_diag_destroy(r.diag);
    free(r.unquoted);
    if (st != NLOG_OK)
        nlog__cfg_tree_free(t);
    return st;
}
