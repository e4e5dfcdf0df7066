/* error.h: the one error shape of the REST API,
 * {"error": {"code": "...", "message": "...", "parameter": "..."}}, carried
 * from the parsers to the router. Messages say what was wrong, where, and
 * what is accepted; they never echo more than 80 bytes of client input. */
#ifndef NLOGD_ERROR_H
#define NLOGD_ERROR_H

#include <stddef.h>

typedef struct nlogd_err {
    int status;         /* HTTP status: 400, 404, 405, 413, 415, 429, 500, 503 */
    char code[32];      /* machine-readable: "invalid_parameter", ... */
    char param[64];     /* the parameter or body member concerned, or "" */
    char message[768];  /* one line of English */
} nlogd_err;

/* Fills *e and returns -1, so parsers can `return nlogd_fail(...)`. */
int nlogd_fail(nlogd_err *e, int status, const char *code, const char *param, const char *fmt,
               ...) __attribute__((format(printf, 5, 6)));

/* 'text' quoted for a message: at most 80 bytes, control bytes as \xNN. */
void nlogd_quote(char *out, size_t size, const char *s, size_t len);

#endif
