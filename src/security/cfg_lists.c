/* cfg_lists.c: the name-list and public-key configuration types.
 *
 * A name list is written either as one text with commas ("password, token")
 * or as a YAML sequence ([password, token]); both read the same everywhere
 * (file, environment, nlog_config_set()). In mask_fields and
 * security.pattern_fields the word `defaults` stands for the built-in list,
 * so a program can add a name without repeating the defaults:
 * `mask_fields: [defaults, ssn]`. Names are kept in the order given, without
 * duplicates (compared case-insensitively), and the struct is zeroed first so
 * that equal lists are equal bytes.
 * Tested by: tests/unit/security/test_security_config.c */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "internal/ascii.h"
#include "security/sec_internal.h"

const char *const nlog__sec_default_mask_fields[] = {
    "password",     "passwd",        "pwd",          "secret",      "token",
    "access_token", "refresh_token", "id_token",     "api_key",     "apikey",
    "authorization", "cookie",       "set_cookie",   "session_id",  "sessionid",
    "credit_card",  "card_number",   "cvv",          "cvc",         "pin",
    "private_key",  "client_secret", "ssn",          NULL};

const char *const nlog__sec_default_pattern_fields[] = {
    "resource", "action", "url", "path", "query", "body", "user_agent", "referer",
    "input", "parameters", "command", "filename", NULL};

int nlog__sec_valid_field_name(const char *s, size_t len)
{
    if (len == 0 || len >= NLOG_SECURITY_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

static int list_has(const nlog_name_list *l, const char *s, size_t len)
{
    for (int i = 0; i < l->n; i++) {
        const char *n = l->names[i];
        if (strlen(n) != len)
            continue;
        size_t j = 0;
        while (j < len && nlog__ascii_lower((unsigned char) n[j]) ==
                              nlog__ascii_lower((unsigned char) s[j]))
            j++;
        if (j == len)
            return 1;
    }
    return 0;
}

static const char name_accepted[] =
    "names of 1 to 47 characters from A-Z a-z 0-9 _ - ., as one text separated by commas or "
    "as a YAML sequence";

static nlog_status add_name(nlog_name_list *l, const char *s, size_t len,
                            const char *const *defaults, char *why, size_t why_size)
{
    char q[128];
    if (defaults && len == 8 && memcmp(s, "defaults", 8) == 0) {
        for (size_t i = 0; defaults[i]; i++) {
            nlog_status st = add_name(l, defaults[i], strlen(defaults[i]), NULL, why, why_size);
            if (st != NLOG_OK)
                return st;
        }
        return NLOG_OK;
    }
    if (!nlog__sec_valid_field_name(s, len)) {
        nlog__cfg_quote(q, sizeof q, s, len);
        snprintf(why, why_size, "%s is not a field name; accepted: %s%s", q, name_accepted,
                 defaults ? ", and 'defaults' for the built-in list" : "");
        return NLOG_ECONFIG;
    }
    if (list_has(l, s, len))
        return NLOG_OK;
    if (l->n >= NLOG_NAME_LIST_MAX) {
        snprintf(why, why_size, "more than %d names; accepted: at most %d names",
                 NLOG_NAME_LIST_MAX, NLOG_NAME_LIST_MAX);
        return NLOG_ECONFIG;
    }
    memcpy(l->names[l->n], s, len);
    l->names[l->n][len] = '\0';
    l->n++;
    return NLOG_OK;
}

/* Adds the comma-separated names of one text. */
static nlog_status add_text(nlog_name_list *l, const char *s, size_t len,
                            const char *const *defaults, char *why, size_t why_size)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        size_t a = i, b = j;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
            b--;
        if (b > a) {
            nlog_status st = add_name(l, s + a, b - a, defaults, why, why_size);
            if (st != NLOG_OK)
                return st;
        }
        i = j + 1;
    }
    return NLOG_OK;
}

static nlog_status parse_list(const nlog__cfg_node *v, nlog_name_list *l,
                              const char *const *defaults, const char *accepted, char *why,
                              size_t why_size, nlog__cfg_pos *ret_pos)
{
    memset(l, 0, sizeof *l);
    if (!v)
        return NLOG_OK;
    if (v->kind == NLOG__CFG_NODE_SCALAR) {
        *ret_pos = v->pos;
        return add_text(l, v->text, v->len, defaults, why, why_size);
    }
    if (v->kind != NLOG__CFG_NODE_SEQ) {
        *ret_pos = v->pos;
        snprintf(why, why_size, "expected a list of names, found a mapping; accepted: %s",
                 accepted);
        return NLOG_ECONFIG;
    }
    for (const nlog__cfg_node *c = v->child; c; c = c->next) {
        *ret_pos = c->pos;
        if (c->kind != NLOG__CFG_NODE_SCALAR || c->is_null) {
            snprintf(why, why_size, "expected a name, found %s; accepted: %s",
                     c->kind == NLOG__CFG_NODE_SCALAR ? "no value" : "a nested list or mapping",
                     name_accepted);
            return NLOG_ECONFIG;
        }
        nlog_status st = add_name(l, c->text, c->len, defaults, why, why_size);
        if (st != NLOG_OK)
            return st;
    }
    return NLOG_OK;
}

static nlog_status parse_mask(const nlog__cfg_node *v, void *m, char *why, size_t why_size,
                              nlog__cfg_pos *ret_pos)
{
    return parse_list(v, m, nlog__sec_default_mask_fields, nlog__sec_cfg_mask_fields.accepted,
                      why, why_size, ret_pos);
}

static nlog_status parse_pattern_fields(const nlog__cfg_node *v, void *m, char *why,
                                        size_t why_size, nlog__cfg_pos *ret_pos)
{
    return parse_list(v, m, nlog__sec_default_pattern_fields,
                      nlog__sec_cfg_pattern_fields.accepted, why, why_size, ret_pos);
}

static nlog_status parse_plain(const nlog__cfg_node *v, void *m, char *why, size_t why_size,
                               nlog__cfg_pos *ret_pos)
{
    return parse_list(v, m, NULL, nlog__sec_cfg_names.accepted, why, why_size, ret_pos);
}

static void unset_list(void *m)
{
    nlog_name_list *l = m;
    memset(l, 0, sizeof *l);
    l->n = NLOG_UNSET;
}

static int list_is_set(const void *m)
{
    return ((const nlog_name_list *) m)->n != NLOG_UNSET;
}

static nlog_status check_list(const void *m, char *why, size_t why_size)
{
    const nlog_name_list *l = m;
    if (l->n < 0 || l->n > NLOG_NAME_LIST_MAX) {
        snprintf(why, why_size, "n is %d; accepted: 0 to %d names", l->n, NLOG_NAME_LIST_MAX);
        return NLOG_ECONFIG;
    }
    for (int i = 0; i < l->n; i++) {
        const char *nul = memchr(l->names[i], '\0', NLOG_SECURITY_NAME_MAX);
        if (!nul || !nlog__sec_valid_field_name(l->names[i], (size_t) (nul - l->names[i]))) {
            char q[128];
            nlog__cfg_quote(q, sizeof q, l->names[i], nul ? (size_t) (nul - l->names[i]) : 16);
            snprintf(why, why_size, "name %d, %s, is not a field name; accepted: %s", i + 1, q,
                     name_accepted);
            return NLOG_ECONFIG;
        }
    }
    return NLOG_OK;
}

/* Whether YAML reads `s` back as this plain text: not a null word, and not
 * starting with a character YAML gives a meaning ('-' of a sequence, '.' of
 * "..."). */
static int plain_safe(const char *s)
{
    static const char *const nulls[] = {"null", "Null", "NULL", NULL};
    for (size_t i = 0; nulls[i]; i++)
        if (strcmp(s, nulls[i]) == 0)
            return 0;
    return s[0] != '-' && s[0] != '.';
}

/* A flow sequence, "[password, token]", which reads back the same. */
static void render_list(const void *m, char *buf, size_t size)
{
    const nlog_name_list *l = m;
    size_t o = 0;
    if (!size)
        return;
    buf[0] = '\0';
    if (l->n <= 0)
        return;
    for (int i = 0; i < l->n && i < NLOG_NAME_LIST_MAX; i++) {
        const char *q = plain_safe(l->names[i]) ? "" : "\"";
        int n = snprintf(buf + o, size - o, "%s%s%s%s%s", i ? ", " : "[", q, l->names[i], q,
                         i + 1 == l->n ? "]" : "");
        if (n < 0 || (size_t) n >= size - o)
            return;
        o += (size_t) n;
    }
}

const nlog__cfg_custom nlog__sec_cfg_mask_fields = {
    .accepted = "field names (any case) separated by commas or as a YAML sequence; "
                "'defaults' stands for the built-in list; empty for none",
    .unset = unset_list,
    .is_set = list_is_set,
    .parse = parse_mask,
    .check = check_list,
    .render = render_list,
};

const nlog__cfg_custom nlog__sec_cfg_pattern_fields = {
    .accepted = "field names separated by commas or as a YAML sequence; 'defaults' stands "
                "for the built-in list",
    .unset = unset_list,
    .is_set = list_is_set,
    .parse = parse_pattern_fields,
    .check = check_list,
    .render = render_list,
};

const nlog__cfg_custom nlog__sec_cfg_names = {
    .accepted = "field names separated by commas or as a YAML sequence; empty for none",
    .unset = unset_list,
    .is_set = list_is_set,
    .parse = parse_plain,
    .check = check_list,
    .render = render_list,
};

/* ---- encryption_public_key ------------------------------------------------ */

static const char key_accepted[] =
    "a public key of 32 bytes in base64 (44 characters), as written by 'nlog keygen "
    "--encryption' into encryption.pub, or empty for none";

static nlog_status check_key_text(const char *s, size_t len, char *why, size_t why_size)
{
    unsigned char key[32];
    size_t n = 0;
    char q[128];
    if (len == 0)
        return NLOG_OK;
    if (len >= NLOG_ENCRYPTION_KEY_TEXT_MAX ||
        sodium_base642bin(key, sizeof key, s, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != sizeof key) {
        nlog__cfg_quote(q, sizeof q, s, len);
        snprintf(why, why_size, "%s is not a public key; accepted: %s", q, key_accepted);
        return NLOG_ECONFIG;
    }
    return NLOG_OK;
}

static nlog_status parse_key(const nlog__cfg_node *v, void *m, char *why, size_t why_size,
                             nlog__cfg_pos *ret_pos)
{
    char *dst = m;
    memset(dst, 0, NLOG_ENCRYPTION_KEY_TEXT_MAX);
    if (!v)
        return NLOG_OK;
    *ret_pos = v->pos;
    if (v->kind != NLOG__CFG_NODE_SCALAR) {
        snprintf(why, why_size, "expected a single value, found a %s; accepted: %s",
                 v->kind == NLOG__CFG_NODE_SEQ ? "sequence" : "mapping", key_accepted);
        return NLOG_ECONFIG;
    }
    nlog_status st = check_key_text(v->text, v->len, why, why_size);
    if (st == NLOG_OK)
        memcpy(dst, v->text, v->len);
    return st;
}

static void unset_key(void *m)
{
    memset(m, 0, NLOG_ENCRYPTION_KEY_TEXT_MAX);
}

static int key_is_set(const void *m)
{
    return ((const char *) m)[0] != '\0';
}

static nlog_status check_key(const void *m, char *why, size_t why_size)
{
    const char *s = m;
    const char *nul = memchr(s, '\0', NLOG_ENCRYPTION_KEY_TEXT_MAX);
    if (!nul) {
        snprintf(why, why_size, "the string is not NUL-terminated");
        return NLOG_ECONFIG;
    }
    return check_key_text(s, (size_t) (nul - s), why, why_size);
}

static void render_key(const void *m, char *buf, size_t size)
{
    const char *s = m;
    snprintf(buf, size, "%.*s", (int) strnlen(s, NLOG_ENCRYPTION_KEY_TEXT_MAX), s);
}

const nlog__cfg_custom nlog__sec_cfg_public_key = {
    .accepted = key_accepted,
    .unset = unset_key,
    .is_set = key_is_set,
    .parse = parse_key,
    .check = check_key,
    .render = render_key,
};
