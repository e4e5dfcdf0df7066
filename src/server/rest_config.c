/* rest_config.c: the admin endpoints — GET /api/v2/config (nlogd's settings
 * in force) and GET/POST/DELETE /api/v2/keys (API keys: list, create,
 * revoke). Key changes are configuration changes: each writes an AUDIT
 * record with the caller's identity before it is made (selflog.h), and the
 * key file is rewritten atomically. A created key is shown once, in the
 * answer; only its digest is kept.
 * Tested by: tests/integration/server/test_live.py (roles, keys) */
#include <stdlib.h>
#include <string.h>

#include "server/auth.h"
#include "server/http/router.h"
#include "server/live_hub.h"
#include "server/qparams.h"
#include "server/ws_stream.h"

static void str_member(nlogd_buf *b, const char *name, const char *v, int comma)
{
    nlogd_buf_printf(b, "%s\"%s\":", comma ? "," : "", name);
    nlogd_buf_json_str(b, v, strlen(v));
}

static int no_params(nlogd_req *req, const char *const *accepted, nlogd_qparams **ret)
{
    nlogd_qparams *q = malloc(sizeof *q);
    nlogd_err e;
    if (!q || nlogd_qp_parse(nlogd_query(req), accepted, q, &e) != 0) {
        if (!q)
            nlogd_fail(&e, 503, "internal", "", "out of memory");
        free(q);
        nlogd_reply_error(req, &e);
        return -1;
    }
    *ret = q;
    return 0;
}

void nlogd_rest_config_get(nlogd_req *req)
{
    static const char *const accepted[] = {NULL};
    nlogd_qparams *q;
    if (no_params(req, accepted, &q) != 0)
        return;
    free(q);
    const nlog_config *c = &req->srv->cfg;
    nlogd_buf b;
    nlogd_buf_init(&b, 1u << 20);
    nlogd_buf_adds(&b, "{\"server\":{");
    str_member(&b, "listen", c->server_listen, 0);
    nlogd_buf_printf(&b, ",\"port\":%d,\"tls\":%s", req->srv->port,
                     req->srv->tls ? "true" : "false");
    str_member(&b, "database", c->server_database, 1);
    nlogd_buf_printf(&b, ",\"num_threads\":%d,\"queue_records\":%d,\"max_body_size\":%d,"
                         "\"max_header_size\":%d,\"request_timeout_ms\":%d,\"retention_days\":%d,"
                         "\"rate_limit\":%d",
                     c->server_num_threads, c->server_queue_records, c->server_max_body_size,
                     c->server_max_header_size, c->server_request_timeout_ms,
                     c->server_retention_days, c->server_rate_limit);
    str_member(&b, "watch_directory", c->server_watch_directory, 1);
    str_member(&b, "api_keys_file", c->server_api_keys_file, 1);
    str_member(&b, "tls_certificate", c->server_tls_certificate, 1);
    nlogd_buf_printf(&b, ",\"stream\":{\"max_clients\":%d,\"queue_entries\":%d,"
                         "\"max_message_size\":%d,\"idle_timeout_ms\":%d,\"replay_records\":%d,"
                         "\"resume_max\":%d}",
                     c->server_stream_max_clients, c->server_stream_queue_entries,
                     c->server_stream_max_message_size, c->server_stream_idle_timeout_ms,
                     c->server_stream_replay_records, c->server_stream_resume_max);
    pthread_rwlock_rdlock(&req->srv->keys.lock);
    nlogd_buf_printf(&b, ",\"api_keys\":%zu}}\n", req->srv->keys.n);
    pthread_rwlock_unlock(&req->srv->keys.lock);
    nlogd_reply_json(req, 200, &b);
    nlogd_buf_free(&b);
}

void nlogd_rest_keys_get(nlogd_req *req)
{
    static const char *const accepted[] = {NULL};
    nlogd_qparams *q;
    if (no_params(req, accepted, &q) != 0)
        return;
    free(q);
    nlogd_keyset *ks = &req->srv->keys;
    nlogd_buf b;
    nlogd_buf_init(&b, 1u << 20);
    nlogd_buf_adds(&b, "{\"keys\":[");
    pthread_rwlock_rdlock(&ks->lock);
    for (size_t i = 0; i < ks->n; i++) {
        nlogd_buf_adds(&b, i ? ",{" : "{");
        str_member(&b, "name", ks->keys[i].name, 0);
        str_member(&b, "role", nlogd_role_name(ks->keys[i].role), 1);
        nlogd_buf_addc(&b, '}');
    }
    pthread_rwlock_unlock(&ks->lock);
    nlogd_buf_adds(&b, "],");
    str_member(&b, "file", ks->path, 0);
    nlogd_buf_adds(&b, "}\n");
    nlogd_reply_json(req, 200, &b);
    nlogd_buf_free(&b);
}

static void details(nlogd_buf *d, const char *name, nlogd_role role)
{
    nlogd_buf_adds(d, "{");
    str_member(d, "name", name, 0);
    if (role != NLOGD_ROLE_NONE)
        str_member(d, "role", nlogd_role_name(role), 1);
    nlogd_buf_addc(d, '}');
}

void nlogd_rest_keys_post(nlogd_req *req)
{
    static const char *const accepted[] = {NULL};
    nlogd_qparams *q;
    if (no_params(req, accepted, &q) != 0)
        return;
    free(q);
    nlogd_err e;
    nlogd_buf body;
    nlogd_buf_init(&body, 4096);
    char name[NLOGD_KEY_NAME_MAX + 1];
    nlogd_role role;
    if (nlogd_read_body(req, 4096, &body, &e) != 0 ||
        nlogd_key_request_parse(body.data ? body.data : "", body.len, name, &role, &e) != 0) {
        nlogd_buf_free(&body);
        nlogd_reply_error(req, &e);
        return;
    }
    nlogd_buf_free(&body);
    if (!nlogd_keys_enabled(&req->srv->keys)) {
        nlogd_fail(&e, 409, "no_key_file", "",
                   "no key file is configured: set server.api_keys_file (and restart nlogd) to "
                   "manage keys");
        nlogd_reply_error(req, &e);
        return;
    }
    nlogd_buf d;
    nlogd_buf_init(&d, 1024);
    details(&d, name, role);
    int audited = nlogd_req_audit(req, "api_key_create", d.data);
    nlogd_buf_free(&d);
    if (audited != 0)
        return;
    char key[NLOGD_KEY_NEW_LEN + 1], why[600];
    unsigned char digest[NLOGD_KEY_DIGEST];
    nlogd_key_generate(key);
    nlogd_key_digest(key, strlen(key), digest);
    if (nlogd_keys_add(&req->srv->keys, name, role, digest, why, sizeof why) != 0) {
        explicit_bzero(key, sizeof key);
        int exists = strstr(why, "exists already") != NULL;
        nlogd_fail(&e, exists ? 409 : 503, exists ? "conflict" : "store_unavailable",
                   exists ? "name" : "", "%s", why);
        nlogd_reply_error(req, &e);
        return;
    }
    nlogd_buf b;
    nlogd_buf_init(&b, 4096);
    nlogd_buf_adds(&b, "{");
    str_member(&b, "name", name, 0);
    str_member(&b, "role", nlogd_role_name(role), 1);
    str_member(&b, "api_key", key, 1);
    nlogd_buf_adds(&b, ",\"note\":\"the key is shown once; nlogd keeps only its digest\"}\n");
    explicit_bzero(key, sizeof key);
    nlogd_reply_json(req, 201, &b);
    explicit_bzero(b.data, b.len);
    nlogd_buf_free(&b);
}

void nlogd_rest_keys_delete(nlogd_req *req)
{
    static const char *const accepted[] = {"name", NULL};
    nlogd_qparams *q;
    if (no_params(req, accepted, &q) != 0)
        return;
    nlogd_err e;
    size_t len;
    const char *v = nlogd_qp_get(q, "name", &len);
    char name[NLOGD_KEY_NAME_MAX + 1];
    if (!v || !nlogd_key_name_ok(v, len)) {
        free(q);
        nlogd_fail(&e, 400, "invalid_parameter", "name",
                   "name: missing or invalid; accepted: ?name=NAME, %s", NLOGD_KEY_NAME_ACCEPTED);
        nlogd_reply_error(req, &e);
        return;
    }
    memcpy(name, v, len);
    name[len] = '\0';
    free(q);
    if (!nlogd_keys_enabled(&req->srv->keys)) {
        nlogd_fail(&e, 409, "no_key_file", "", "no key file is configured (server.api_keys_file)");
        nlogd_reply_error(req, &e);
        return;
    }
    nlogd_buf d;
    nlogd_buf_init(&d, 1024);
    details(&d, name, NLOGD_ROLE_NONE);
    int audited = nlogd_req_audit(req, "api_key_revoke", d.data);
    nlogd_buf_free(&d);
    if (audited != 0)
        return;
    char why[600];
    if (nlogd_keys_remove(&req->srv->keys, name, why, sizeof why) != 0) {
        int missing = strstr(why, "no key is named") != NULL;
        nlogd_fail(&e, missing ? 404 : 503, missing ? "not_found" : "store_unavailable",
                   missing ? "name" : "", "%s", why);
        nlogd_reply_error(req, &e);
        return;
    }
    nlogd_ws_revoke(req->srv, name); /* streams opened with it end now too */
    nlogd_buf b;
    nlogd_buf_init(&b, 1024);
    nlogd_buf_adds(&b, "{");
    str_member(&b, "revoked", name, 0);
    nlogd_buf_adds(&b, "}\n");
    nlogd_reply_json(req, 200, &b);
    nlogd_buf_free(&b);
}
