/* fuzz_security_rules.c: libFuzzer target for the security.rules parser
 * (src/security/cfg_rules.c) and the name lists (cfg_lists.c), through the
 * same path the environment and nlog_config_set() take (text -> YAML value
 * tree -> the row's parser), and through a configuration file.
 *
 * Properties checked:
 *   - no crash, leak or hang (sanitizers and the fuzzer check those);
 *   - a failure carries a non-empty, one-line message;
 *   - on success the rules render to text that parses back to the same
 *     bytes, every rule passes the code-layer check, and a detector can be
 *     built from them.
 * Corpus: tests/fuzz/corpus/security_rules/ (replayed by CTest). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "security/sec_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_row(const char *key, const char *text, size_t len)
{
    static char why[NLOG__CFG_WHY_MAX];
    static char back_text[256 * 1024];
    static nlog_config cfg, back;
    const nlog__cfg_key *k = nlog__cfg_key_find(key, strlen(key));
    if (!k)
        abort();
    nlog_config_init(&cfg);
    why[0] = '\0';
    nlog_status st = nlog__cfg_parse_value(k, text, len, &cfg, why, sizeof why);
    if (st != NLOG_OK) {
        if (st != NLOG_ECONFIG && st != NLOG_ENOMEM)
            abort();
        if (st == NLOG_ECONFIG && (why[0] == '\0' || strchr(why, '\n')))
            abort();
        return;
    }
    nlog__cfg_value_text(k, &cfg, back_text, sizeof back_text);
    nlog_config_init(&back);
    if (nlog__cfg_parse_value(k, back_text, strlen(back_text), &back, why, sizeof why) != NLOG_OK)
        abort();
    if (memcmp((const char *) &back + k->offset, (const char *) &cfg + k->offset, k->size) != 0)
        abort();
    int is_set;
    if (nlog__cfg_check_member(k, &cfg, &is_set, why, sizeof why) != NLOG_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[70000];
    if (size > sizeof text - 64)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    check_row("security.rules", text, size);
    check_row("mask_fields", text, size);

    /* the same bytes as the value of security.rules in a file */
    static char file[70100];
    int n = snprintf(file, sizeof file, "security:\n  rules:\n");
    for (size_t i = 0, col = 0; i < size && (size_t) n < sizeof file - 8; i++) {
        if (col == 0) {
            memcpy(file + n, "    ", 4);
            n += 4;
        }
        file[n++] = (char) data[i];
        col = data[i] == '\n' ? 0 : col + 1;
    }
    nlog__cfg_layer *layer = malloc(sizeof *layer);
    if (!layer)
        return 0;
    nlog__cfg_layer_init(layer);
    nlog_error err;
    memset(&err, 0, sizeof err);
    nlog_status st = nlog__config_parse_buffer("fuzz.yaml", file, (size_t) n, layer, &err);
    if (st != NLOG_OK && (err.message[0] == '\0' || strchr(err.message, '\n')))
        abort();
    if (st == NLOG_OK && layer->v.security_rules.n > 0) {
        nlog_config *cfg = malloc(sizeof *cfg), *res = malloc(sizeof *res);
        if (cfg && res) {
            nlog_config_init(cfg);
            cfg->use_environment = 0;
            cfg->security_rules = layer->v.security_rules;
            if (nlog_config_resolve(cfg, res, &err) != NLOG_OK)
                abort(); /* the file layer accepted them: the code layer must too */
            nlog_security_detector *d = NULL;
            if (nlog_security_detector_create(res, &d) != NLOG_OK)
                abort();
            nlog_security_event ev = {.type = NLOG_SEC_LOGIN_FAILURE, .user_id = "u",
                                      .ip_address = "1.2.3.4", .resource = "/admin/x",
                                      .timestamp_ns = 1};
            for (int i = 0; i < 3; i++)
                (void) nlog_security_detector_feed(d, &ev, NULL, NULL);
            nlog_security_detector_destroy(d);
        }
        free(cfg);
        free(res);
    }
    free(layer);
    return 0;
}
