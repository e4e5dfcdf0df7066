/* tls.c: certificate and key loading for CivetWeb (see tls.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "server/server.h"
#include "server/tls.h"

static void ossl_reason(char *out, size_t size)
{
    unsigned long e = ERR_get_error();
    if (!e) {
        snprintf(out, size, "unknown OpenSSL error");
        return;
    }
    ERR_error_string_n(e, out, size);
    ERR_clear_error();
}

static int load(SSL_CTX *ctx, const nlog_config *cfg, char *why, size_t why_size)
{
    char r[256];
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->server_tls_certificate) != 1) {
        ossl_reason(r, sizeof r);
        snprintf(why, why_size, "server.tls_certificate %s: cannot load a PEM certificate: %s",
                 cfg->server_tls_certificate, r);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->server_tls_key, SSL_FILETYPE_PEM) != 1) {
        ossl_reason(r, sizeof r);
        snprintf(why, why_size, "server.tls_key %s: cannot load a PEM private key: %s",
                 cfg->server_tls_key, r);
        return -1;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ossl_reason(r, sizeof r);
        snprintf(why, why_size, "server.tls_key %s does not belong to server.tls_certificate %s: %s",
                 cfg->server_tls_key, cfg->server_tls_certificate, r);
        return -1;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    return 0;
}

int nlogd_tls_configured(const nlog_config *cfg, char *why, size_t why_size)
{
    int c = cfg->server_tls_certificate[0] != '\0', k = cfg->server_tls_key[0] != '\0';
    if (!c && !k)
        return 0;
    if (c != k) {
        snprintf(why, why_size, "server.tls_certificate and server.tls_key go together: %s is "
                                "set, %s is empty",
                 c ? "server.tls_certificate" : "server.tls_key",
                 c ? "server.tls_key" : "server.tls_certificate");
        return -1;
    }
    /* Load once here, so a bad file is a clear start-up error rather than
     * a handshake failure later. */
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(why, why_size, "cannot create an OpenSSL context");
        return -1;
    }
    int rc = load(ctx, cfg, why, why_size);
    SSL_CTX_free(ctx);
    return rc == 0 ? 1 : -1;
}

int nlogd_tls_init_ssl(void *ssl_ctx, void *user_data)
{
    nlogd_server *srv = user_data;
    char why[512];
    if (load(ssl_ctx, &srv->cfg, why, sizeof why) != 0) {
        fprintf(stderr, "nlogd: %s\n", why);
        return -1;
    }
    return 1; /* done: CivetWeb loads no certificate of its own */
}
