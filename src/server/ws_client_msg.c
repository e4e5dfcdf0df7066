/* ws_client_msg.c: client messages of the live stream (see ws_client_msg.h),
 * parsed with json-c (validating UTF-8, bounded depth) and checked with the
 * same value checks as the REST parameters (qparams.h), so "level" means and
 * fails the same in both places.
 * Tested by: tests/unit/server/test_live_hub.c, tests/fuzz/fuzz_ws_client_msg.c */
#include <string.h>

#include <json-c/json.h>

#include "server/qparams.h"
#include "server/ws_client_msg.h"

static int str_member(json_object *o, const char *name, const char **v, size_t *len,
                      int *present, nlogd_err *e)
{
    json_object *m;
    *present = json_object_object_get_ex(o, name, &m);
    *v = NULL;
    *len = 0;
    if (!*present || !m)
        return 0; /* absent, or null */
    if (!json_object_is_type(m, json_type_string))
        return nlogd_fail(e, 400, "invalid_message", name,
                          "%s: not a string; accepted: a string or null", name);
    *v = json_object_get_string(m);
    *len = (size_t) json_object_get_string_len(m);
    return 0;
}

static int parse_filter(json_object *f, nlogd_ws_msg *out, nlogd_err *e)
{
    static const char *const known[] = {"level", "category", "logger", "search_query", NULL};
    if (!json_object_is_type(f, json_type_object))
        return nlogd_fail(e, 400, "invalid_message", "filter",
                          "filter: not an object; accepted: {\"level\":...,\"category\":...,"
                          "\"logger\":...,\"search_query\":...}");
    json_object_object_foreach(f, fk, fv)
    {
        (void) fv;
        size_t i = 0;
        while (known[i] && strcmp(known[i], fk) != 0)
            i++;
        if (!known[i]) {
            char q[128];
            nlogd_quote(q, sizeof q, fk, strlen(fk));
            return nlogd_fail(e, 400, "invalid_message", "filter",
                              "filter: unknown member %s; accepted: level, category, logger, "
                              "search_query", q);
        }
    }
    const char *v;
    size_t len;
    if (str_member(f, "level", &v, &len, &out->has_level, e) != 0 ||
        (v && len && nlogd_qp_level("level", v, len, &out->level, e) != 0))
        return -1;
    if (str_member(f, "category", &v, &len, &out->has_category, e) != 0 ||
        (v && len && nlogd_qp_name("category", v, len, 64, out->category, sizeof out->category,
                                   e) != 0))
        return -1;
    if (str_member(f, "logger", &v, &len, &out->has_logger, e) != 0 ||
        (v && len && nlogd_qp_name("logger", v, len, 255, out->logger, sizeof out->logger, e) !=
                         0))
        return -1;
    if (str_member(f, "search_query", &v, &len, &out->has_search, e) != 0 ||
        (v && len && nlogd_qp_search("search_query", v, len, out->search, sizeof out->search,
                                     e) != 0))
        return -1;
    return 0;
}

int nlogd_ws_msg_parse(const char *data, size_t len, nlogd_ws_msg *out, nlogd_err *e)
{
    memset(out, 0, sizeof *out);
    json_tokener *tok = json_tokener_new_ex(4);
    if (!tok)
        return nlogd_fail(e, 503, "internal", "", "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, data, (int) len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int rc = 0;
    if (!o || jerr != json_tokener_success) {
        rc = nlogd_fail(e, 400, "invalid_message", "",
                        "not a JSON object (%s at byte %zu); accepted: one JSON object such as "
                        "{\"type\":\"pause\"}", json_tokener_error_desc(jerr), used);
        goto out;
    }
    for (size_t i = used; i < len; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' && data[i] != '\n') {
            rc = nlogd_fail(e, 400, "invalid_message", "",
                            "text after the JSON object at byte %zu; accepted: one object", i);
            goto out;
        }
    if (!json_object_is_type(o, json_type_object)) {
        rc = nlogd_fail(e, 400, "invalid_message", "",
                        "not a JSON object; accepted: one object with a \"type\" member");
        goto out;
    }
    json_object *t;
    if (!json_object_object_get_ex(o, "type", &t) || !json_object_is_type(t, json_type_string)) {
        rc = nlogd_fail(e, 400, "invalid_message", "type",
                        "type: missing or not a string; accepted: " NLOGD_WSMSG_TYPES);
        goto out;
    }
    const char *ts = json_object_get_string(t);
    const char *allowed[3] = {"type", NULL, NULL};
    if (strcmp(ts, "auth") == 0) {
        out->type = NLOGD_WSMSG_AUTH;
        allowed[1] = "api_key";
        json_object *k;
        if (!json_object_object_get_ex(o, "api_key", &k) ||
            !json_object_is_type(k, json_type_string) ||
            !nlogd_auth_key_syntax_ok(json_object_get_string(k),
                                      (size_t) json_object_get_string_len(k))) {
            rc = nlogd_fail(e, 400, "invalid_message", "api_key",
                            "api_key: missing or not well-formed; accepted: a string of %d to %d "
                            "of A-Z a-z 0-9 - . _ ~ + / =", NLOGD_KEY_MIN, NLOGD_KEY_MAX);
            goto out;
        }
        out->api_key_len = (size_t) json_object_get_string_len(k);
        memcpy(out->api_key, json_object_get_string(k), out->api_key_len);
        out->api_key[out->api_key_len] = '\0';
    } else if (strcmp(ts, "update_filter") == 0) {
        out->type = NLOGD_WSMSG_UPDATE_FILTER;
        allowed[1] = "filter";
        json_object *f;
        if (!json_object_object_get_ex(o, "filter", &f)) {
            rc = nlogd_fail(e, 400, "invalid_message", "filter",
                            "filter: missing; accepted: an object with any of level, category, "
                            "logger, search_query");
            goto out;
        }
        if (parse_filter(f, out, e) != 0) {
            rc = -1;
            goto out;
        }
    } else if (strcmp(ts, "pause") == 0) {
        out->type = NLOGD_WSMSG_PAUSE;
    } else if (strcmp(ts, "resume") == 0) {
        out->type = NLOGD_WSMSG_RESUME;
    } else if (strcmp(ts, "ping") == 0) {
        out->type = NLOGD_WSMSG_PING;
    } else {
        char q[128];
        nlogd_quote(q, sizeof q, ts, strlen(ts));
        rc = nlogd_fail(e, 400, "invalid_message", "type",
                        "type: unknown message type %s; accepted: " NLOGD_WSMSG_TYPES, q);
        goto out;
    }
    json_object_object_foreach(o, mk, mv)
    {
        (void) mv;
        if (strcmp(mk, allowed[0]) != 0 && (!allowed[1] || strcmp(mk, allowed[1]) != 0)) {
            char q[128];
            nlogd_quote(q, sizeof q, mk, strlen(mk));
            rc = nlogd_fail(e, 400, "invalid_message", mk,
                            "unknown member %s in a %s message; accepted: type%s%s", q, ts,
                            allowed[1] ? ", " : "", allowed[1] ? allowed[1] : "");
            goto out;
        }
    }
out:
    if (rc != 0)
        memset(out->api_key, 0, sizeof out->api_key);
    json_object_put(o);
    return rc;
}
