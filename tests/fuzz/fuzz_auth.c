/* fuzz_auth.c: libFuzzer target for nlogd's access-control parsers
 * (src/server/auth.c): the key file, the Authorization header and the body
 * of POST /api/v2/keys.
 *
 * The first byte picks the parser; the rest is the input. Properties:
 *   - no crash, leak or hang;
 *   - a key file either parses into at most 1024 keys with valid unique
 *     names and known roles, whose lines written back parse again to the
 *     same keys; or is refused with a line-numbered reason;
 *   - a Bearer header yields a key of the accepted syntax, or none, or a
 *     reason that never contains the input;
 *   - a key request yields a valid name and a known role, or a 4xx.
 * Corpus: tests/fuzz/corpus/auth/ (replayed as fuzz_auth_replay). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *in = (const char *) data + 1;
    size_t n = size - 1;
    char why[512];
    int which = data[0] % 3;
    if (which == 0) {
        nlogd_key *keys;
        size_t nk;
        if (nlogd_keys_parse(in, n, &keys, &nk, why, sizeof why) != 0) {
            if (!why[0] || keys || nk)
                abort();
            return 0;
        }
        if (nk > NLOGD_KEYS_MAX || (nk && !keys))
            abort();
        size_t cap = nk * (NLOGD_KEY_NAME_MAX + 100) + 1;
        char *text = malloc(cap);
        size_t len = 0;
        for (size_t i = 0; i < nk; i++) {
            if (!nlogd_key_name_ok(keys[i].name, strlen(keys[i].name)) ||
                keys[i].role <= NLOGD_ROLE_NONE || keys[i].role >= NLOGD_ROLE_COUNT)
                abort();
            for (size_t j = 0; j < i; j++)
                if (strcmp(keys[i].name, keys[j].name) == 0)
                    abort();
            char h[8 + 2 * NLOGD_KEY_DIGEST + 1];
            nlogd_key_digest_text(keys[i].digest, h, sizeof h);
            len += (size_t) snprintf(text + len, cap - len, "%s %s %s\n", keys[i].name,
                                     nlogd_role_name(keys[i].role), h);
        }
        nlogd_key *again;
        size_t na;
        if (nlogd_keys_parse(text ? text : "", len, &again, &na, why, sizeof why) != 0 ||
            na != nk)
            abort();
        for (size_t i = 0; i < nk; i++)
            if (strcmp(again[i].name, keys[i].name) != 0 || again[i].role != keys[i].role ||
                memcmp(again[i].digest, keys[i].digest, NLOGD_KEY_DIGEST) != 0)
                abort();
        free(again);
        free(text);
        free(keys);
    } else if (which == 1) {
        char *h = malloc(n + 1);
        if (!h)
            abort();
        memcpy(h, in, n);
        h[n] = '\0';
        char key[NLOGD_KEY_MAX + 1];
        size_t klen;
        int rc = nlogd_auth_parse_bearer(h, key, sizeof key, &klen, why, sizeof why);
        if (rc > 0 && (klen != strlen(key) || !nlogd_auth_key_syntax_ok(key, klen)))
            abort();
        if (rc < 0 && !why[0])
            abort();
        if (rc < 0 && n >= 12 && strstr(why, h + n - 12))
            abort(); /* the reason never quotes what was sent */
        if (rc == 0)
            abort(); /* "none" only for an absent header */
        free(h);
    } else {
        char name[NLOGD_KEY_NAME_MAX + 1];
        nlogd_role role;
        nlogd_err e;
        if (nlogd_key_request_parse(in, n, name, &role, &e) == 0) {
            if (!nlogd_key_name_ok(name, strlen(name)) || role <= NLOGD_ROLE_NONE ||
                role >= NLOGD_ROLE_COUNT)
                abort();
        } else if (e.status < 400 || e.status > 599 || !e.code[0] || !e.message[0]) {
            abort();
        }
    }
    return 0;
}
