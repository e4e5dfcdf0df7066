/* tls.c: certificate and key loading for CivetWeb, and the OpenSSL 3 shim
 * it needs (see tls.h and compat/ssl_compat.c). */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
        snprintf(why, why_size,
                 "server.tls_certificate %.300s: cannot load a PEM certificate: %s",
                 cfg->server_tls_certificate, r);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->server_tls_key, SSL_FILETYPE_PEM) != 1) {
        ossl_reason(r, sizeof r);
        snprintf(why, why_size, "server.tls_key %.300s: cannot load a PEM private key matching "
                                "server.tls_certificate %.300s: %s",
                 cfg->server_tls_key, cfg->server_tls_certificate, r);
        return -1;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ossl_reason(r, sizeof r);
        snprintf(why, why_size,
                 "server.tls_key %.300s does not belong to server.tls_certificate %.300s: %s",
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

int nlogd_tls_load_compat(char *why, size_t why_size)
{
    char exe[PATH_MAX], path[PATH_MAX + 64];
    const char *tried[2];
    size_t nt = 0;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    void *h = NULL;
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(path, sizeof path, "%s/libnlogd-ssl-compat.so", exe);
            h = dlopen(path, RTLD_NOW | RTLD_GLOBAL); /* the build tree: next to nlogd */
            tried[nt++] = "the directory of nlogd";
        }
    }
#ifdef NLOGD_COMPAT_DIR
    if (!h) {
        snprintf(path, sizeof path, "%s/libnlogd-ssl-compat.so", NLOGD_COMPAT_DIR);
        h = dlopen(path, RTLD_NOW | RTLD_GLOBAL); /* installed */
        tried[nt++] = NLOGD_COMPAT_DIR;
    }
#endif
    if (!h) {
        snprintf(why, why_size, "TLS needs libnlogd-ssl-compat.so (installed with nlogd); it was "
                                "not found in %s%s%s: %s",
                 nt ? tried[0] : "?", nt > 1 ? " nor in " : "", nt > 1 ? tried[1] : "",
                 dlerror());
        return -1;
    }
    void *byname = dlopen("libssl.so", RTLD_NOW | RTLD_NOLOAD);
    int ok = byname == h && dlsym(h, "SSL_get_peer_certificate") && dlsym(h, "SSL_CTX_new");
    if (byname)
        dlclose(byname);
    if (!ok) {
        snprintf(why, why_size, "TLS: the OpenSSL shim for CivetWeb did not take effect (is "
                                "libssl-dev installed, so that libssl.so exists?)");
        return -1;
    }
    return 0;
}

int nlogd_tls_init_ssl(void *ssl_ctx, void *user_data)
{
    nlogd_server *srv = user_data;
    char why[2048];
    if (load(ssl_ctx, &srv->cfg, why, sizeof why) != 0) {
        fprintf(stderr, "nlogd: %s\n", why);
        return -1;
    }
    return 1; /* done: CivetWeb loads no certificate of its own */
}
