/* live_page.c: GET /, /live.js and /live.css — the live page, built into
 * nlogd (src/server/live/, embedded by cmake/EmbedAssets.cmake), so it
 * needs no CDN and works offline. A strict Content-Security-Policy allows
 * only nlogd's own script, styles and WebSocket.
 * Tested by: tests/integration/server/browser/live_page.test.mjs */
#include <string.h>

#include <civetweb.h>

#include "server/http/router.h"

extern const unsigned char nlogd_asset_index_html[], nlogd_asset_live_js[], nlogd_asset_live_css[];
extern const size_t nlogd_asset_index_html_size, nlogd_asset_live_js_size,
    nlogd_asset_live_css_size;

void nlogd_live_page(nlogd_req *req)
{
    const char *path = req->ri->local_uri ? req->ri->local_uri : "/";
    if (strcmp(path, "/favicon.ico") == 0) {
        /* no icon: say so without an error the browser would log */
        req->status = 204;
        mg_response_header_start(req->conn, 204);
        mg_response_header_add(req->conn, "Cache-Control", "max-age=86400", -1);
        (void) nlogd_http_header_send(req->conn);
        return;
    }
    const unsigned char *body = nlogd_asset_index_html;
    size_t len = nlogd_asset_index_html_size;
    const char *type = "text/html; charset=utf-8";
    if (strcmp(path, "/live.js") == 0) {
        body = nlogd_asset_live_js;
        len = nlogd_asset_live_js_size;
        type = "application/javascript; charset=utf-8";
    } else if (strcmp(path, "/live.css") == 0) {
        body = nlogd_asset_live_css;
        len = nlogd_asset_live_css_size;
        type = "text/css; charset=utf-8";
    }
    char l[32];
    snprintf(l, sizeof l, "%zu", len);
    req->status = 200;
    mg_response_header_start(req->conn, 200);
    mg_response_header_add(req->conn, "Content-Type", type, -1);
    mg_response_header_add(req->conn, "Content-Length", l, -1);
    mg_response_header_add(req->conn, "Cache-Control", "no-cache", -1);
    mg_response_header_add(req->conn, "X-Content-Type-Options", "nosniff", -1);
    mg_response_header_add(req->conn, "X-Frame-Options", "DENY", -1);
    mg_response_header_add(req->conn, "Referrer-Policy", "no-referrer", -1);
    mg_response_header_add(req->conn, "Content-Security-Policy",
                           "default-src 'none'; script-src 'self'; style-src 'self'; "
                           "connect-src 'self' ws: wss:; img-src 'self'; frame-ancestors 'none'",
                           -1);
    (void) nlogd_http_header_send(req->conn);
    if (strcmp(req->ri->request_method, "HEAD") != 0)
        mg_write(req->conn, body, len);
}
