/* pattern.c: see pattern.h.
 *
 * The built-in set flags the four classes of attack the product names. Each
 * expression looks for the syntax an attack needs rather than for words, to
 * keep false positives on ordinary text low: SQL injection needs a quote or
 * comment breaking out of a literal, or UNION SELECT; path traversal needs
 * "../" in one of its encodings or a well-known system file; XSS needs a tag
 * or an event-handler attribute or a javascript: URL; command injection needs
 * a shell separator followed by a command. tests/unit/security/
 * test_security_patterns.c holds the attack strings each must catch and the
 * ordinary ones each must let through. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/pattern.h"

const nlog__builtin_pattern nlog__builtin_patterns[] = {
    {"sql_injection",
     "(?i)(?:\\bunion\\b(?:\\s|/\\*.*?\\*/)+(?:all\\s+)?select\\b"
     "|['\"`]\\s*(?:or|and)\\s+['\"`]?[\\w]+['\"`]?\\s*(?:=|<|>|like\\b)"
     "|['\"`]\\s*(?:or|and)\\s+\\d+\\s*(?:=|<|>)"
     "|\\bor\\s+1\\s*=\\s*1\\b"
     "|['\"`]\\s*;\\s*(?:drop|delete|insert|update|alter|create|truncate|exec)\\b"
     "|;\\s*(?:drop|truncate)\\s+(?:table|database)\\b"
     "|['\"`]\\s*(?:--|#|/\\*)"
     "|\\b(?:sleep|pg_sleep|benchmark|waitfor\\s+delay)\\s*\\(?\\s*['\"]?\\d"
     "|\\bxp_cmdshell\\b|\\binformation_schema\\b|\\bload_file\\s*\\(|\\binto\\s+outfile\\b)"},
    {"path_traversal",
     "(?i)(?:(?:^|[/\\\\=])\\.\\.(?:[/\\\\]|$)"
     "|%2e%2e(?:%2f|%5c|/|\\\\)|\\.\\.(?:%2f|%5c|%c0%af|%c1%9c)|%252e%252e"
     "|/etc/(?:passwd|shadow|hosts)\\b|\\\\windows\\\\(?:win\\.ini|system32)|\\bboot\\.ini\\b"
     "|%00|\\x00)"},
    {"xss",
     "(?i)(?:<\\s*/?\\s*(?:script|iframe|object|embed|svg|applet|meta|base|form)\\b"
     "|<[^>]*\\bon[a-z]{3,20}\\s*="
     "|\\bjavascript\\s*:|\\bvbscript\\s*:|\\bdata\\s*:\\s*text/html"
     "|\\bdocument\\s*\\.\\s*(?:cookie|domain|write)\\b|\\bsrcdoc\\s*=)"},
    {"command_injection",
     "(?i)(?:(?:[;&|`]|\\$\\()\\s*(?:cat|ls|id|whoami|uname|wget|curl|nc|ncat|netcat|bash|sh|"
     "zsh|python[23]?|perl|ruby|php|powershell|cmd(?:\\.exe)?|ping|rm|chmod|chown|echo|"
     "nslookup|telnet|ssh|sleep)\\b"
     "|\\$\\{IFS\\}|/bin/(?:ba)?sh\\b|\\|\\s*sh\\b)"},
    {NULL, NULL},
};

struct nlog__pattern {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mc;
    pcre2_jit_stack *jit_stack;
};

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

nlog_status nlog__pattern_create(const char *text, nlog__pattern **ret, char *err,
                                 size_t err_size)
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
    (void) pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE);
    p->md = pcre2_match_data_create_from_pattern(p->code, NULL);
    p->mc = pcre2_match_context_create(NULL);
    p->jit_stack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
    if (!p->md || !p->mc || !p->jit_stack) {
        nlog__pattern_destroy(p);
        return NLOG_ENOMEM;
    }
    pcre2_set_match_limit(p->mc, NLOG__PATTERN_MATCH_LIMIT);
    pcre2_set_depth_limit(p->mc, NLOG__PATTERN_DEPTH_LIMIT);
    pcre2_jit_stack_assign(p->mc, NULL, p->jit_stack);
    *ret = p;
    return NLOG_OK;
}

void nlog__pattern_destroy(nlog__pattern *p)
{
    if (!p)
        return;
    pcre2_jit_stack_free(p->jit_stack);
    pcre2_match_context_free(p->mc);
    pcre2_match_data_free(p->md);
    pcre2_code_free(p->code);
    free(p);
}

int nlog__pattern_match(nlog__pattern *p, const char *s, size_t len)
{
    if (len > NLOG__PATTERN_SUBJECT_MAX)
        len = NLOG__PATTERN_SUBJECT_MAX;
    int rc = pcre2_match(p->code, (PCRE2_SPTR) s, len, 0, 0, p->md, p->mc);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return -1; /* match or depth limit, JIT stack exhausted, ... */
}
