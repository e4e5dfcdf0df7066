/* cmd_decrypt.c: `nlog decrypt --key FILE [LOG...]`: restores the plaintext
 * of encrypted fields in a JSON-lines stream (stdin when no LOG is given) and
 * writes the stream to stdout.
 *
 * A line without metadata.nlog_encryption is copied as it is. A line with it
 * is parsed, each "enc1:" value of context, metadata and performance_data is
 * replaced by its original value, the marker is removed, and the line is
 * written again as one JSON object. A line that cannot be decrypted (wrong
 * key, altered or cut, not JSON) is reported on stderr as FILE:LINE: FIELD:
 * reason, copied unchanged, and makes the exit status 1; the rest of the
 * stream is still processed.
 * Exit status: 0 every line fine, 1 some line failed or a file could not be
 * read, 2 usage error.
 * Tested by: tests/integration/security/cli_security.sh,
 * tests/unit/security/test_security_crypt.c (the library half) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <nlog/nlog.h>

#include "tool_lines.h"

int tool_cmd_decrypt(int argc, char **argv);

static const char usage_text[] =
    "usage: nlog decrypt --key FILE [LOG...]\n"
    "  --key FILE  the secret key (encryption.key from nlog keygen --encryption)\n"
    "  LOG...      JSON-lines files; standard input when none is given\n";

static const char *const groups[] = {"context", "metadata", "performance_data"};

/* Decrypts one record in place. Returns 0, or 1 with a message printed. */
static int decrypt_record(nlog_decryptor *d, json_object *rec, const char *where,
                          char *plain, size_t plain_size)
{
    json_object *meta, *marker, *ts;
    if (!json_object_object_get_ex(rec, "metadata", &meta) ||
        !json_object_object_get_ex(meta, "nlog_encryption", &marker) ||
        !json_object_is_type(marker, json_type_string))
        return 0; /* nothing encrypted */
    int64_t t;
    if (!json_object_object_get_ex(rec, "timestamp", &ts) ||
        !json_object_is_type(ts, json_type_string) ||
        nlog_timestamp_parse(json_object_get_string(ts), (size_t) json_object_get_string_len(ts),
                             &t) != NLOG_OK) {
        fprintf(stderr, "%s: timestamp: missing or malformed; the record cannot be decrypted\n",
                where);
        return 1;
    }
    const char *mk = json_object_get_string(marker);
    int failed = 0;
    for (size_t g = 0; g < 3; g++) {
        json_object *obj;
        if (!json_object_object_get_ex(rec, groups[g], &obj) ||
            !json_object_is_type(obj, json_type_object))
            continue;
        json_object_object_foreach(obj, key, val)
        {
            if (!json_object_is_type(val, json_type_string))
                continue;
            const char *s = json_object_get_string(val);
            size_t len = (size_t) json_object_get_string_len(val);
            if (!nlog_encryption_is_encrypted(s, len))
                continue;
            if (nlog_decryptor_open(d, mk, t, groups[g], key, s, len, plain, plain_size) !=
                NLOG_OK) {
                fprintf(stderr, "%s: %s.%s: %s\n", where, groups[g], key, nlog_errmsg());
                failed = 1;
                continue;
            }
            json_object *v = json_tokener_parse(plain);
            if (!v && strcmp(plain, "null") != 0) {
                fprintf(stderr, "%s: %s.%s: the decrypted value is not JSON\n", where,
                        groups[g], key);
                failed = 1;
                continue;
            }
            json_object_object_add(obj, key, v);
        }
    }
    if (failed)
        return 1;
    json_object_object_del(meta, "nlog_encryption");
    if (json_object_object_length(meta) == 0)
        json_object_object_del(rec, "metadata");
    return 0;
}

static int process(nlog_decryptor *d, FILE *in, const char *name, char *plain, size_t plain_size)
{
    tool_line_reader lr;
    tool_lines_init(&lr, in);
    int rc = 0;
    char where[4200];
    const char *line;
    size_t len;
    while ((line = tool_lines_next(&lr, &len)) != NULL) {
        snprintf(where, sizeof where, "%s:%zu", name, lr.line_no);
        if (!memmem(line, len, "\"nlog_encryption\"", 17)) {
            fwrite(line, 1, len, stdout);
            fputc('\n', stdout);
            continue;
        }
        json_tokener *tok = json_tokener_new();
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        json_object *rec = tok ? json_tokener_parse_ex(tok, line, (int) len) : NULL;
        int bad = !rec || json_tokener_get_error(tok) != json_tokener_success ||
                  !json_object_is_type(rec, json_type_object);
        json_tokener_free(tok);
        if (bad) {
            fprintf(stderr, "%s: not a JSON object; copied unchanged\n", where);
            rc = 1;
        } else if (decrypt_record(d, rec, where, plain, plain_size) != 0) {
            rc = 1;
            bad = 1;
        }
        if (bad) {
            fwrite(line, 1, len, stdout);
            fputc('\n', stdout);
        } else {
            puts(json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
        }
        json_object_put(rec);
    }
    if (lr.error) {
        fprintf(stderr, "nlog decrypt: %s: %s\n", name, lr.error);
        rc = 1;
    }
    if (lr.skipped)
        rc = 1;
    tool_lines_free(&lr);
    return rc;
}

int tool_cmd_decrypt(int argc, char **argv)
{
    const char *key_path = NULL;
    int first_file = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
            key_path = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "nlog decrypt: unknown option '%s'\n%s", argv[i], usage_text);
            return 2;
        } else {
            first_file = i;
            break;
        }
    }
    if (!key_path) {
        fprintf(stderr, "nlog decrypt: --key FILE is required\n%s", usage_text);
        return 2;
    }
    char key[256];
    FILE *kf = fopen(key_path, "re");
    if (kf) /* no stdio buffer: the key's only copy is `key`, which is wiped */
        (void) setvbuf(kf, NULL, _IONBF, 0);
    size_t kn = kf ? fread(key, 1, sizeof key - 1, kf) : 0;
    if (!kf) {
        fprintf(stderr, "nlog decrypt: cannot open the key %s: %s\n", key_path, strerror(errno));
        return 1;
    }
    fclose(kf);
    key[kn] = '\0';
    nlog_decryptor *d = NULL;
    if (nlog_decryptor_create(key, &d) != NLOG_OK) {
        explicit_bzero(key, sizeof key);
        fprintf(stderr, "nlog decrypt: %s: %s\n", key_path, nlog_errmsg());
        return 1;
    }
    explicit_bzero(key, sizeof key);
    size_t plain_size = 6 * 1048576 + 16; /* the longest value a record can hold, escaped */
    char *plain = malloc(plain_size);
    if (!plain) {
        nlog_decryptor_destroy(d);
        fprintf(stderr, "nlog decrypt: out of memory\n");
        return 1;
    }
    int rc = 0;
    if (first_file >= argc) {
        rc = process(d, stdin, "<stdin>", plain, plain_size);
    } else {
        for (int i = first_file; i < argc; i++) {
            FILE *f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "re");
            if (!f) {
                fprintf(stderr, "nlog decrypt: cannot open %s: %s\n", argv[i], strerror(errno));
                rc = 1;
                continue;
            }
            rc |= process(d, f, argv[i], plain, plain_size);
            if (f != stdin)
                fclose(f);
        }
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "nlog decrypt: cannot write the output: %s\n", strerror(errno));
        rc = 1;
    }
    explicit_bzero(plain, plain_size);
    free(plain);
    nlog_decryptor_destroy(d);
    return rc;
}
