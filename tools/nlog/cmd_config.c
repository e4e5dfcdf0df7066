/* cmd_config.c: `nlog config validate FILE` and `nlog config show`.
 *
 * validate checks a YAML file exactly as the library would read it and
 * prints "ok", or the library's message ("file:line:column: key: problem;
 * accepted: ...") on stderr. show resolves the configuration the way
 * nlog_init() would (defaults, profile, file, environment) and prints every
 * setting with the layer it came from, as aligned columns or as JSON.
 * Exit status: 0 ok, 1 invalid configuration, 2 usage error.
 * Tested by: tests/integration/config/cli_config.sh */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlog/nlog.h>

int tool_cmd_config(int argc, char **argv);

static const char usage_text[] =
    "usage: nlog config validate FILE\n"
    "       nlog config show [--profile NAME] [--file FILE] [--json]\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("nlog config: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fputs(usage_text, stderr);
    return 2;
}

static int is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

static int cmd_validate(int argc, char **argv)
{
    nlog_error err;
    const char *path = NULL;

    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--") == 0 && i + 1 < argc && !path) {
            path = argv[++i];
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error("unknown option '%s'", argv[i]);
        if (path)
            return usage_error("validate takes one file, got also '%s'", argv[i]);
        path = argv[i];
    }
    if (!path)
        return usage_error("%s", "validate needs a FILE");
    memset(&err, 0, sizeof err);
    if (nlog_config_validate_file(path, &err) != NLOG_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    puts("ok");
    return 0;
}

/* One line of `show`. */
typedef struct row {
    char *key, *value, *source;
} row;

typedef struct rows {
    row *v;
    size_t n, cap;
    int oom;
} rows;

static void rows_add(rows *rs, const char *key, const char *value, const char *source)
{
    if (rs->oom)
        return;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 32;
        row *v = realloc(rs->v, cap * sizeof *v);
        if (!v) {
            rs->oom = 1;
            return;
        }
        rs->v = v;
        rs->cap = cap;
    }
    row *r = &rs->v[rs->n];
    r->key = strdup(key);
    r->value = strdup(value ? value : "");
    r->source = strdup(source);
    if (!r->key || !r->value || !r->source) {
        free(r->key);
        free(r->value);
        free(r->source);
        rs->oom = 1;
        return;
    }
    rs->n++;
}

static void rows_free(rows *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->v[i].key);
        free(rs->v[i].value);
        free(rs->v[i].source);
    }
    free(rs->v);
}

static void visit(const char *key, const char *value, const char *source, void *user)
{
    rows_add(user, key, value, source);
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void print_json(const rows *rs)
{
    puts("{");
    for (size_t i = 0; i < rs->n; i++) {
        fputs("  ", stdout);
        json_string(stdout, rs->v[i].key);
        fputs(": {\"value\": ", stdout);
        json_string(stdout, rs->v[i].value);
        fputs(", \"source\": ", stdout);
        json_string(stdout, rs->v[i].source);
        fputs(i + 1 < rs->n ? "},\n" : "}\n", stdout);
    }
    puts("}");
}

static void print_table(const rows *rs)
{
    size_t kw = strlen("KEY"), vw = strlen("VALUE");
    for (size_t i = 0; i < rs->n; i++) {
        size_t vl = rs->v[i].value[0] ? strlen(rs->v[i].value) : 2;
        kw = strlen(rs->v[i].key) > kw ? strlen(rs->v[i].key) : kw;
        vw = vl > vw ? vl : vw;
    }
    printf("%-*s  %-*s  %s\n", (int) kw, "KEY", (int) vw, "VALUE", "SOURCE");
    for (size_t i = 0; i < rs->n; i++)
        printf("%-*s  %-*s  %s\n", (int) kw, rs->v[i].key, (int) vw,
               rs->v[i].value[0] ? rs->v[i].value : "\"\"", rs->v[i].source);
}

/* Takes the argument of --name VALUE or --name=VALUE. Returns 1 when argv[*i]
 * is that option, with *ret set (NULL if the value is missing). */
static int option_value(int argc, char **argv, int *i, const char *name, const char **ret)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *ret = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    *ret = *i + 1 < argc ? argv[++*i] : NULL;
    return 1;
}

static int cmd_show(int argc, char **argv)
{
    const char *profile = NULL, *file = NULL;
    int json = 0, status = 0;
    nlog_config in;
    nlog_error err;
    rows rs;

    for (int i = 1; i < argc; i++) {
        const char *v;
        if (is_help(argv[i])) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (option_value(argc, argv, &i, "--profile", &v)) {
            if (!v)
                return usage_error("%s", "--profile needs a NAME");
            profile = v;
        } else if (option_value(argc, argv, &i, "--file", &v)) {
            if (!v)
                return usage_error("%s", "--file needs a FILE");
            file = v;
        } else if (argv[i][0] == '-') {
            return usage_error("unknown option '%s'", argv[i]);
        } else {
            return usage_error("unexpected argument '%s'", argv[i]);
        }
    }

    nlog_config_init(&in);
    if (profile && strlen(profile) >= sizeof in.profile) {
        fprintf(stderr, "nlog config: --profile: unknown profile '%s'; accepted:", profile);
        for (const char *const *p = nlog_profile_names(); *p; p++)
            fprintf(stderr, "%s %s", p == nlog_profile_names() ? "" : ",", *p);
        fputc('\n', stderr);
        return 1;
    }
    if (file && strlen(file) >= sizeof in.config_file) {
        fprintf(stderr, "%s: the path is too long\n", file);
        return 1;
    }
    if (profile)
        snprintf(in.profile, sizeof in.profile, "%s", profile);
    if (file)
        snprintf(in.config_file, sizeof in.config_file, "%s", file);

    /* The profile and file come from the options, else from the same
     * variables the library reads; explain() reports a bad one. */
    const char *env_profile = getenv("NETLINK_LOG_PROFILE");
    const char *env_file = getenv("NETLINK_LOG_CONFIG");
    char shown_profile[sizeof in.profile];
    snprintf(shown_profile, sizeof shown_profile, "%s",
             profile ? profile : env_profile ? env_profile : "");
    for (char *c = shown_profile; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char) (*c - 'A' + 'a');

    memset(&err, 0, sizeof err);
    memset(&rs, 0, sizeof rs);
    rows_add(&rs, "profile", shown_profile,
             !shown_profile[0] ? "default"
             : profile         ? "option --profile"
                               : "environment NETLINK_LOG_PROFILE");
    rows_add(&rs, "config_file", file ? file : env_file ? env_file : "",
             file                   ? "option --file"
             : env_file && *env_file ? "environment NETLINK_LOG_CONFIG"
                                     : "default");
    nlog_status st = nlog_config_explain(&in, visit, &rs, &err);
    if (st != NLOG_OK) {
        fprintf(stderr, "%s\n", err.message);
        status = 1;
    } else if (rs.oom) {
        fputs("nlog config: out of memory\n", stderr);
        status = 1;
    } else if (json) {
        print_json(&rs);
    } else {
        print_table(&rs);
    }
    rows_free(&rs);
    return status;
}

int tool_cmd_config(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(argv[1], "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return cmd_show(argc - 1, argv + 1);
    return usage_error("unknown subcommand '%s'", argv[1]);
}
