/* ws_stream.h: GET /api/v2/logs/stream, the live stream over WebSocket
 * (RFC 6455), on CivetWeb's WebSocket handlers.
 *
 * Threads per stream client: CivetWeb's worker (it reads the client's
 * frames and calls the data handler) plus one sender thread of ours, which
 * takes entries from the client's queue (live_hub.h) and writes them,
 * several frames per write; control answers (pong, acks, errors) are written
 * by the worker. Writes are serialised by mg_lock_connection().
 *
 * Close codes sent with an explanatory {"type":"error"} message first:
 *   1001 nlogd is stopping          1003 binary or fragmented message
 *   1009 message too big            1011 out of memory
 *   1013 too many stream clients    4401 no or wrong API key
 *   4403 the key's role cannot read 4408 idle (no message or pong)
 * Refusals known at the handshake (bad parameters, bad key in the header or
 * api_key) are HTTP answers instead: 400, 401, 403, 429, 503.
 * See docs/rest-api.md "GET /api/v2/logs/stream" and docs/internals/live.md. */
#ifndef NLOGD_WS_STREAM_H
#define NLOGD_WS_STREAM_H

struct nlogd_server;

/* Registers the handlers on srv->http. */
int nlogd_ws_start(struct nlogd_server *srv);
/* Sends every client a 1001 close; call before nlogd_http_stop(). */
void nlogd_ws_shutdown(struct nlogd_server *srv);
/* Closes (4401) every stream authorised with the key called `name`: what
 * revoking a key means for streams already open. */
void nlogd_ws_revoke(struct nlogd_server *srv, const char *name);
/* Frees what nlogd_ws_start made; after nlogd_http_stop(). */
void nlogd_ws_free(struct nlogd_server *srv);

#endif
