/* ws_client_msg.h: the messages a live-stream client sends (JSON text
 * frames), parsed and checked:
 *
 *   {"type":"auth","api_key":"KEY"}                  first message, when the
 *                                                    handshake carried no key
 *   {"type":"update_filter","filter":{"level":"ERROR","category":"security",
 *                                     "logger":"shop.db","search_query":"timeout"}}
 *        members present replace the current value (null or "" removes that
 *        condition); members absent keep theirs; other members are refused
 *   {"type":"pause"}  {"type":"resume"}  {"type":"ping"}
 *
 * At most server.stream_max_message_size bytes (checked by the caller
 * before parsing), UTF-8, one JSON object, nesting depth 4. Errors name the
 * member and say what is accepted. Fuzzed by tests/fuzz/fuzz_ws_client_msg.c.
 * Tested by: tests/unit/server/test_live_hub.c */
#ifndef NLOGD_WS_CLIENT_MSG_H
#define NLOGD_WS_CLIENT_MSG_H

#include <stddef.h>

#include "server/auth.h"
#include "server/error.h"
#include "server/search.h"

typedef enum nlogd_ws_msg_type {
    NLOGD_WSMSG_AUTH,
    NLOGD_WSMSG_UPDATE_FILTER,
    NLOGD_WSMSG_PAUSE,
    NLOGD_WSMSG_RESUME,
    NLOGD_WSMSG_PING
} nlogd_ws_msg_type;

#define NLOGD_WSMSG_TYPES "auth, update_filter, pause, resume, ping"

typedef struct nlogd_ws_msg {
    nlogd_ws_msg_type type;
    char api_key[NLOGD_KEY_MAX + 1];  /* auth */
    size_t api_key_len;
    /* update_filter: has_X says the member was present; a present null/""
     * clears the condition (level 0, "" strings). */
    int has_level, has_category, has_logger, has_search;
    int level;
    char category[72];
    char logger[260];
    char search[NLOGD_SEARCH_MAX + 8];
} nlogd_ws_msg;

/* Parses one message. Returns 0, or -1 with e filled (status 400, code
 * "invalid_message", param the member). */
int nlogd_ws_msg_parse(const char *data, size_t len, nlogd_ws_msg *out, nlogd_err *e);

#endif
