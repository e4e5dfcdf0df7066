/* fuzz_config.c: libFuzzer target for the configuration file reader
 * (src/config/yaml.c) and nlog_config_set().
 *
 * The input is parsed as a YAML file in memory. Properties checked:
 *   - no crash, leak or hang (sanitizers and the fuzzer check those);
 *   - a failure carries a non-empty, one-line message and a matching status;
 *   - on success every value read renders to text that parses back to the
 *     same bytes (URLs, which render redacted, from their stored text), and
 *     the loggers map stays within its bounds.
 * The same bytes, split at the first '=' into key and value, also go
 * through nlog_config_set().
 * Corpus: tests/fuzz/corpus/config/ (replayed by CTest as fuzz_config_replay). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(nlog_status st, const nlog_error *err)
{
    if (st == NLOG_OK)
        return;
    if (err->status != st || err->message[0] == '\0')
        abort();
    if (!memchr(err->message, '\0', sizeof err->message) || strchr(err->message, '\n'))
        abort();
}

static void check_layer(const nlog__cfg_layer *layer)
{
    /* large enough for every row's text, rule lists included (a value's
     * text may be longer than NLOG__CFG_VALUE_MAX, the room `show` gives it) */
    static char text[256 * 1024];
    nlog_config back;
    for (size_t i = 0; i < nlog__cfg_n_keys; i++) {
        const nlog__cfg_key *k = &nlog__cfg_keys[i];
        if (!layer->set[i] || k->type == NLOG__CFG_LEVELS)
            continue;
        nlog__cfg_value_text(k, &layer->v, text, sizeof text);
        if (k->type == NLOG__CFG_URL) /* shown redacted: round-trip the stored text */
            snprintf(text, sizeof text, "%s", (const char *) &layer->v + k->offset);
        nlog_config_init(&back);
        if (nlog__cfg_parse_value(k, text, strlen(text), &back, NULL, 0) != NLOG_OK)
            abort();
        if (memcmp((const char *) &back + k->offset, (const char *) &layer->v + k->offset,
                   k->size) != 0)
            abort();
    }
    if (layer->v.n_loggers > NLOG_CONFIG_LOGGERS_MAX)
        abort();
    for (size_t i = 0; i < layer->v.n_loggers; i++) {
        const nlog_logger_level *e = &layer->v.loggers[i];
        if (e->name[0] == '\0' || nlog_level_index(e->level) < 0)
            abort();
    }
}

static void fuzz_set(const uint8_t *data, size_t size)
{
    char buf[4096];
    nlog_config cfg;
    nlog_error err;
    size_t n = size < sizeof buf - 1 ? size : sizeof buf - 1;
    memcpy(buf, data, n);
    buf[n] = '\0';
    char *eq = strchr(buf, '=');
    if (!eq)
        return;
    *eq = '\0';
    nlog_config_init(&cfg);
    memset(&err, 0, sizeof err);
    nlog_status st = nlog_config_set(&cfg, buf, eq + 1, &err);
    check_error(st, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nlog__cfg_layer layer; /* large; the fuzzer runs one input at a time */
    nlog_error err;

    memset(&err, 0, sizeof err);
    nlog__cfg_layer_init(&layer);
    nlog_status st =
        nlog__config_parse_buffer("fuzz.yaml", (const char *) data, size, &layer, &err);
    if (st != NLOG_OK && st != NLOG_ECONFIG && st != NLOG_ENOMEM)
        abort();
    check_error(st, &err);
    if (st == NLOG_OK)
        check_layer(&layer);
    fuzz_set(data, size);
    return 0;
}
