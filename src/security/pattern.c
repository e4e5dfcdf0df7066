/* pattern.c: see pattern.h.
 *
 * The built-in set flags the four classes of attack the product names. Each
 * expression looks for the syntax an attack needs rather than for words, and
 * for that syntax where it does something, to keep false positives on
 * ordinary query strings, JSON bodies and prose low:
 *   - SQL injection: a quote breaking out of a literal into OR/AND, a
 *     comment or a stacked statement; UNION SELECT (also through comments);
 *     a sleep function after an SQL operator; well-known SQL-only names. A
 *     '#' comment counts after a single quote or a backtick only (`"#fff"` is
 *     JSON), and `--` right after a double quote only;
 *   - path traversal: "../" at the start of a value or after '=', twice in a
 *     row, right after a URL's host or the root, and its encodings; a few
 *     system files; NUL bytes. A single interior "docs/../x" (what URL
 *     normalisation removes) does not count;
 *   - XSS: script-like tags, an on...= attribute inside a tag,
 *     javascript:/vbscript:/data:text/html URLs, document.cookie;
 *   - command injection: a shell separator (; | || && ` $( newline, also
 *     URL-encoded) followed by a command word used as a command — at the end,
 *     before another separator or before something that looks like an
 *     argument (an option, a path, a number, a URL) — never as a parameter
 *     name ("&id=5", ";id=desc"); a single '&' (a query string's or prose's)
 *     only before a command with an option or a path, or at the very end.
 * Every repetition is bounded or stops at a character that ends it, so no
 * subject makes a pattern backtrack much: tests/unit/security/
 * test_security_patterns.c runs them over pathological inputs in the
 * interpreter with a match limit of 20,000 (the limit in force is 200,000),
 * next to the attack strings each must catch and a corpus of ordinary query
 * strings, JSON bodies and prose that none may flag. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/pattern.h"

/* An SQL comment of at most 64 bytes between stars: bounded, so a value of
 * many unclosed comments costs a few steps per start, not a scan to its end. */
#define SQL_COMMENT "/\\*[^*]{0,64}\\*+(?:[^*/][^*]{0,64}\\*+){0,4}/"
#define SQL_GAP "(?:\\s|" SQL_COMMENT ")+"
/* A function name `w` just after an SQL operator, a keyword and one blank, or
 * a comment: "1 AND SLEEP(5)", "'-sleep(5)", "/ * * /benchmark(" — not
 * "sleep(5) please". A lookbehind after the word (each branch of fixed
 * length), so the word is what the matcher looks for first. */
#define SQL_AFTER_OP(w)                                                                    \
    "(?<=\\band\\s" w "|\\bor\\s" w "|\\bselect\\s" w "|\\bif\\s" w "|\\bwhen\\s" w "|\\bthen\\s" w \
    "|\\bwhere\\s" w "|\\bhaving\\s" w "|\\brlike\\s" w "|\\*/" w "|[-+*/=<>'\"`;,(|&]" w ")"

#define SHELL_CMD                                                                          \
    "(?:cat|ls|id|whoami|uname|wget|curl|nc|ncat|netcat|bash|sh|zsh|dash|python[23]?|perl|" \
    "ruby|php|powershell|cmd(?:\\.exe)?|ping|rm|chmod|chown|echo|nslookup|telnet|ssh|"       \
    "sleep|nohup|ifconfig)"
/* What follows a command used as one: the end, another separator or a
 * redirection, or an argument (an option, a path, $, a quote, a number, a
 * host or file name with a dot, a URL, or a word then one of those). */
#define SHELL_WS "(?:\\s|%20|\\+)" /* in a query string, %20 and + are blanks */
#define SHELL_ARG                                                                          \
    "(?:" SHELL_WS "*(?:$|[;&|`)<>])|" SHELL_WS "+(?:[-/~$'\"\\\\\\d]|\\w[\\w-]*[.:@/]|\\w+"   \
    SHELL_WS "+[-/~$\\d]))"

const nlog__builtin_pattern nlog__builtin_patterns[] = {
    {"sql_injection",
     "(?i)(?:\\bunion\\b" SQL_GAP "(?:(?:all|distinct)" SQL_GAP ")?select\\b"
     /* after a quote: OR/AND with a comparison, a stacked statement, a comment
      * (any after ' and `; right after " only, and no #: "#fff" is JSON) */
     "|['\"`](?:\\s*(?:or|and)\\s+(?:['\"`]?\\w+['\"`]?\\s*(?:=|<|>|like\\b)|\\d+\\s*(?:=|<|>))"
     "|\\s*;\\s*(?:drop|delete|insert|update|alter|create|truncate|exec|shutdown)\\b"
     "|(?<=['`])\\s*(?:--|#|/\\*)|(?<=\")(?:--|/\\*))"
     "|\\bor\\s+1\\s*=\\s*1\\b"
     "|;\\s*(?:drop|truncate)\\s+(?:table|database)\\b"
     "|\\b(?:sleep" SQL_AFTER_OP("sleep") "|benchmark" SQL_AFTER_OP("benchmark") ")\\s*\\(\\s*\\d"
     "|\\bpg_sleep\\s*\\(\\s*\\d|\\bwaitfor\\s+delay\\s+['\"]"
     "|\\bxp_cmdshell\\b|\\binformation_schema\\b|\\bload_file\\s*\\(|\\binto\\s+(?:out|dump)file\\b)"},
    {"path_traversal",
     "(?i)(?:(?:^|[='\"(,;:])\\.\\.[/\\\\]"
     "|(?:\\.\\.[/\\\\]){2}"
     "|^[/\\\\]+\\.\\.(?:[/\\\\]|$)"
     "|://[^/\\s]*/\\.\\.(?:[/\\\\]|$)"
     "|%2e%2e(?:%2f|%5c|/|\\\\)|\\.\\.(?:%2f|%5c|%c0%af|%c1%9c)|%252e%252e|%c0%ae%c0%ae"
     "|/etc/(?:passwd|shadow|hosts|group)\\b|\\\\windows\\\\(?:win\\.ini|system32)|\\bboot\\.ini\\b"
     "|%00|\\x00)"},
    {"xss",
     "(?i)(?:<\\s*/?\\s*(?:script|iframe|object|embed|svg|applet|meta|base|form|frameset|math|"
     "style|link)\\b"
     "|<[a-z][^<>]*[\\s/\"']on[a-z]{3,20}\\s*="
     "|\\bjavascript\\s*:|\\bvbscript\\s*:|\\bdata\\s*:\\s*text/html"
     "|\\bdocument\\s*\\.\\s*(?:cookie|domain|write)\\b|\\bsrcdoc\\s*=)"},
    {"command_injection",
     "(?i)(?:(?:[;|`\\n]|&&|\\$\\(|%0a|%3b|%7c|%60|%24%28)" SHELL_WS "*" SHELL_CMD "(?![\\w=.-])" SHELL_ARG
     "|(?:&|%26)" SHELL_WS "*" SHELL_CMD "(?:" SHELL_WS "*$|" SHELL_WS "+[-/~$])"
     "|\\$\\{IFS\\}|/bin/(?:ba|z|da)?sh\\b|\\|\\s*sh\\b)"},
    {NULL, NULL},
};

struct nlog__pattern {
    pcre2_code *code;
    pcre2_match_context *mc; /* limits and the JIT stack callback: read-only while matching */
    int jit;                 /* JIT-compiled: pcre2_match() takes the JIT path */
};

static int strncasecmp_ascii(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char) a[i], y = (unsigned char) b[i];
        if (x >= 'A' && x <= 'Z')
            x |= 0x20;
        if (x != y)
            return 0;
    }
    return 1;
}

/* ---- per-thread match data ----------------------------------------------- */

typedef struct pat_tls {
    pcre2_match_data *md;  /* one pair: we only ask whether it matched */
    pcre2_jit_stack *js;   /* grows to 512 KB as a match needs it */
} pat_tls;

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static _Thread_local pat_tls *mine;

static void tls_release(void *p)
{
    pat_tls *t = p;
    if (t) {
        pcre2_match_data_free(t->md);
        pcre2_jit_stack_free(t->js);
        free(t);
    }
    mine = NULL;
}

static void tls_make_key(void)
{
    (void) pthread_key_create(&tls_key, tls_release);
}

static pat_tls *tls_get(void)
{
    if (mine)
        return mine;
    (void) pthread_once(&tls_once, tls_make_key);
    pat_tls *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->md = pcre2_match_data_create(1, NULL);
    t->js = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
    if (!t->md) {
        tls_release(t);
        return NULL;
    }
    mine = t;
    (void) pthread_setspecific(tls_key, t);
    return t;
}

/* PCRE2 asks for the JIT stack at each JIT match: the calling thread's. NULL
 * makes it use 32 KB of the machine stack. */
static pcre2_jit_stack *jit_stack_of_thread(void *unused)
{
    (void) unused;
    pat_tls *t = tls_get();
    return t ? t->js : NULL;
}

/* ---- compiling ------------------------------------------------------------ */

static pcre2_code *compile(const char *text, char *err, size_t err_size)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR) text, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C,
                                   &code, &off, NULL);
    if (!re && err && err_size) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
            snprintf((char *) msg, sizeof msg, "error %d", code);
        snprintf(err, err_size, "does not compile at offset %zu: %s", (size_t) off,
                 (const char *) msg);
    }
    return re;
}

nlog_status nlog__sec_pattern_check(const char *text, char *err, size_t err_size)
{
    pcre2_code *re = compile(text, err, err_size);
    if (!re)
        return NLOG_ECONFIG;
    pcre2_code_free(re);
    return NLOG_OK;
}

nlog_status nlog__pattern_create_limited(const char *text, uint32_t match_limit, int interpreter,
                                         nlog__pattern **ret, char *err, size_t err_size)
{
    nlog__pattern *p = calloc(1, sizeof *p);
    if (!p)
        return NLOG_ENOMEM;
    p->code = compile(text, err, err_size);
    if (!p->code) {
        free(p);
        return NLOG_ECONFIG;
    }
    /* JIT is an optimisation: where it is unavailable the interpreter runs,
     * under the same limits. */
    p->jit = !interpreter && pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE) == 0;
    p->mc = pcre2_match_context_create(NULL);
    if (!p->mc) {
        nlog__pattern_destroy(p);
        return NLOG_ENOMEM;
    }
    pcre2_set_match_limit(p->mc, match_limit);
    pcre2_set_depth_limit(p->mc, NLOG__PATTERN_DEPTH_LIMIT);
    pcre2_set_heap_limit(p->mc, NLOG__PATTERN_HEAP_LIMIT_KB);
    pcre2_jit_stack_assign(p->mc, jit_stack_of_thread, NULL);
    *ret = p;
    return NLOG_OK;
}

nlog_status nlog__pattern_create(const char *text, nlog__pattern **ret, char *err,
                                 size_t err_size)
{
    return nlog__pattern_create_limited(text, NLOG__PATTERN_MATCH_LIMIT, 0, ret, err, err_size);
}

void nlog__pattern_destroy(nlog__pattern *p)
{
    if (!p)
        return;
    pcre2_match_context_free(p->mc);
    pcre2_code_free(p->code);
    free(p);
}

int nlog__pattern_match(const nlog__pattern *p, const char *s, size_t len)
{
    pat_tls *t = tls_get();
    if (!t)
        return -1;
    if (len > NLOG__PATTERN_SUBJECT_MAX)
        len = NLOG__PATTERN_SUBJECT_MAX;
    int rc = pcre2_match(p->code, (PCRE2_SPTR) s, len, 0, p->jit ? 0 : PCRE2_NO_JIT, t->md,
                         p->mc);
    if (rc >= 0) /* 0: it matched, the one-pair vector was too small for the groups */
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return -1; /* match, depth or heap limit, JIT stack exhausted, ... */
}

/* ---- cost, for tests ------------------------------------------------------ */

static int count_step(pcre2_callout_block *b, void *user)
{
    (void) b;
    (*(uint64_t *) user)++;
    return 0;
}

uint64_t nlog__pattern_steps(const char *text, const char *s, size_t len)
{
    int code;
    PCRE2_SIZE off;
    uint64_t steps = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR) text, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C |
                                       PCRE2_AUTO_CALLOUT,
                                   &code, &off, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_match_data *md = re ? pcre2_match_data_create(1, NULL) : NULL;
    if (!re || !mc || !md) {
        steps = UINT64_MAX;
        goto out;
    }
    pcre2_set_callout(mc, count_step, &steps);
    if (len > NLOG__PATTERN_SUBJECT_MAX)
        len = NLOG__PATTERN_SUBJECT_MAX;
    (void) pcre2_match(re, (PCRE2_SPTR) s, len, 0, PCRE2_NO_JIT, md, mc);
out:
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
    pcre2_code_free(re);
    return steps;
}

/* ---- decoding ------------------------------------------------------------ */

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One round: %XX, '+' as a blank, &#NN; &#xHH; and the five XML entities. */
static size_t decode_once(const char *s, size_t len, char *out)
{
    static const struct {
        const char *name;
        char c;
    } ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}, {"&amp;", '&'}};
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char) s[i];
        if (c == '%' && i + 2 < len && hexval((unsigned char) s[i + 1]) >= 0 &&
            hexval((unsigned char) s[i + 2]) >= 0) {
            out[o++] = (char) (hexval((unsigned char) s[i + 1]) * 16 + hexval((unsigned char) s[i + 2]));
            i += 3;
            continue;
        }
        if (c == '+') {
            out[o++] = ' ';
            i++;
            continue;
        }
        if (c == '&') {
            size_t k = i + 1;
            if (k < len && s[k] == '#') {
                int hex = k + 1 < len && (s[k + 1] | 0x20) == 'x';
                size_t d = k + 1 + (size_t) hex;
                unsigned v = 0, digits = 0;
                while (d < len && digits < 7) {
                    int h = hex ? hexval((unsigned char) s[d])
                                : (s[d] >= '0' && s[d] <= '9' ? s[d] - '0' : -1);
                    if (h < 0)
                        break;
                    v = v * (hex ? 16u : 10u) + (unsigned) h;
                    d++;
                    digits++;
                }
                if (digits > 0 && v > 0 && v < 128) { /* ASCII: what the patterns look for */
                    out[o++] = (char) v;
                    i = d < len && s[d] == ';' ? d + 1 : d;
                    continue;
                }
            } else {
                size_t e = 0;
                for (; e < sizeof ents / sizeof ents[0]; e++) {
                    size_t el = strlen(ents[e].name);
                    if (len - i >= el && strncasecmp_ascii(s + i, ents[e].name, el))
                        break;
                }
                if (e < sizeof ents / sizeof ents[0]) {
                    out[o++] = ents[e].c;
                    i += strlen(ents[e].name);
                    continue;
                }
            }
        }
        out[o++] = (char) c;
        i++;
    }
    return o;
}

size_t nlog__pattern_decode(const char *s, size_t len, char *out)
{
    char tmp[NLOG__PATTERN_SUBJECT_MAX];
    if (len > NLOG__PATTERN_SUBJECT_MAX)
        len = NLOG__PATTERN_SUBJECT_MAX;
    size_t n = decode_once(s, len, out);
    /* double and triple encoding (%253C): decode again while it changes */
    for (int round = 0; round < 2 && memchr(out, '%', n); round++) {
        size_t m = decode_once(out, n, tmp);
        if (m == n && memcmp(tmp, out, n) == 0)
            break;
        memcpy(out, tmp, m);
        n = m;
    }
    return n;
}

