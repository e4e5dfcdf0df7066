/* client.h: what `nlog query`, `nlog export` and `nlog stats` share — the
 * server URL, the filter options, and HTTP requests with libcurl.
 * Tested by: tests/integration/server/test_server.py (group cli) */
#ifndef NLOG_TOOL_CLIENT_H
#define NLOG_TOOL_CLIENT_H

#include <stddef.h>

typedef struct tool_filter {
    const char *server;   /* base URL, no trailing slash */
    const char *level, *category, *logger, *search;
    char since[40], until[40]; /* RFC 3339 after resolving relative times */
} tool_filter;

/* Handles one filter option at argv[*i] (advancing *i past its value).
 * Returns 1 if it was one, 0 if not, -1 for a bad value (message printed). */
int tool_filter_option(const char *cmd, int argc, char **argv, int *i, tool_filter *f);
/* Fills the default server: server_url of the configuration
 * (NETLINK_LOG_SERVER_URL, NETLINK_LOG_CONFIG), else http://127.0.0.1:8000. */
void tool_filter_defaults(tool_filter *f, char *buf, size_t size);

/* Receives response body bytes; return nonzero to abort. */
typedef int (*tool_body_fn)(const char *data, size_t len, void *user);

/* Performs a request. On a transport failure returns -1 with the reason in
 * err; otherwise 0 with *ret_status. Bodies of non-2xx answers are kept in
 * err (the server's {"error": ...} message, extracted). */
int tool_http(const char *method, const char *url, const char *body, tool_body_fn fn,
              void *user, long *ret_status, char *err, size_t err_size);

/* Appends "&name=value" (URL-encoded) to a query string buffer. */
void tool_query_add(char *buf, size_t size, const char *name, const char *value);

#endif
