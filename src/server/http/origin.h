/* origin.h: who may talk to nlogd from a browser.
 *
 * A web page can make the browser on nlogd's machine connect to nlogd:
 * a WebSocket is not bound by the same-origin policy (cross-site WebSocket
 * hijacking), and a DNS name the attacker rebinds to 127.0.0.1 reaches the
 * REST API as if it were the page's own server. Two checks close that:
 * - Origin (sent by browsers, never needed by other clients): when present
 *   it must name nlogd itself (its host:port is the request's Host) or be
 *   listed in server.allowed_origins; "null" (sandboxed pages, files) is
 *   refused.
 * - Host, only without API keys (where every caller is an admin): it must
 *   be a loopback literal (127.x.x.x, [::1]) or localhost, with any port;
 *   a rebound DNS name arrives with the attacker's name in Host. A request
 *   without Host (HTTP/1.0 tools) cannot come from a browser and passes.
 * Thread-safety: pure functions of their arguments. */
#ifndef NLOGD_HTTP_ORIGIN_H
#define NLOGD_HTTP_ORIGIN_H

#include <stddef.h>

/* 0 when the request may proceed; -1 with the refusal's message in why
 * (for the caller) and a short reason (for the security event). host and
 * origin are the headers (NULL = absent); allowed is
 * server.allowed_origins; tls says the request came over TLS (the
 * default port of the Host is then 443). */
int nlogd_origin_check(const char *host, const char *origin, int tls, int keys_enabled,
                       const char *allowed, char *why, size_t why_size, const char **reason);

#endif
