/* fuzz_ws_client_msg.c: libFuzzer target for the live stream's client
 * messages (src/server/ws_client_msg.c) and the resume_from / filter query
 * string of the stream's handshake (qparams.c with the stream's parameters).
 *
 * The first byte picks the parser; the rest is the input. Properties:
 *   - no crash, leak or hang;
 *   - a rejection is a 4xx/503 with a code and a message, and leaves no key
 *     behind in the output;
 *   - an accepted message has a known type; an auth message holds a key of
 *     the accepted syntax; an update_filter's values are what the REST
 *     parameters accept (a known level, a search that compiles).
 * Corpus: tests/fuzz/corpus/ws_client_msg/ (replayed as fuzz_ws_client_msg_replay). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nlog/level.h>

#include "server/qparams.h"
#include "server/search.h"
#include "server/ws_client_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const nlogd_err *e)
{
    if (e->status < 400 || e->status > 599 || !e->code[0] || !e->message[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *in = (const char *) data + 1;
    size_t n = size - 1;
    nlogd_err e;
    if (data[0] % 2 == 0) {
        nlogd_ws_msg *m = malloc(sizeof *m);
        if (!m)
            abort();
        if (nlogd_ws_msg_parse(in, n, m, &e) != 0) {
            check_err(&e);
            for (size_t i = 0; i < sizeof m->api_key; i++)
                if (m->api_key[i])
                    abort();
        } else {
            if ((int) m->type < NLOGD_WSMSG_AUTH || m->type > NLOGD_WSMSG_PING)
                abort();
            if (m->type == NLOGD_WSMSG_AUTH &&
                (m->api_key_len != strlen(m->api_key) ||
                 !nlogd_auth_key_syntax_ok(m->api_key, m->api_key_len)))
                abort();
            if (m->has_level && m->level && nlog_level_index((nlog_level) m->level) < 0)
                abort();
            if (m->has_search && m->search[0]) {
                nlogd_search s;
                char why[128];
                if (nlogd_search_compile(m->search, strlen(m->search), &s, why, sizeof why) != 0)
                    abort();
            }
        }
        free(m);
    } else {
        static const char *const accepted[] = {"level", "category", "logger", "search_query",
                                               "resume_from", "api_key", NULL};
        char *qs = malloc(n + 1);
        nlogd_qparams *q = malloc(sizeof *q);
        nlogd_filter f;
        if (!qs || !q)
            abort();
        memcpy(qs, in, n);
        qs[n] = '\0';
        memset(&f, 0, sizeof f);
        if (nlogd_qp_parse(qs, accepted, q, &e) != 0 || nlogd_qp_filter(q, &f, &e) != 0)
            check_err(&e);
        else if (f.min_level && nlog_level_index((nlog_level) f.min_level) < 0)
            abort();
        free(q);
        free(qs);
    }
    return 0;
}
