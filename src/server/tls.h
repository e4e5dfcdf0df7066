/* tls.h: HTTPS and WSS for nlogd (CivetWeb with OpenSSL 3).
 *
 * server.tls_certificate (a PEM chain, leaf first) and server.tls_key (its
 * PEM private key) are both set or both empty. They are loaded by nlogd
 * itself into CivetWeb's SSL_CTX (the init_ssl callback), so the two can be
 * separate files and a problem names the file and OpenSSL's reason.
 * Protocols: TLS 1.2 and 1.3 only. CivetWeb loads libssl.so at run time by
 * that unversioned name: Debian's libssl-dev provides it (install-deps.sh),
 * and nlogd puts a shim in front of it first (nlogd_tls_load_compat()).
 * Tested by: tests/integration/server/test_live.py tls */
#ifndef NLOGD_TLS_H
#define NLOGD_TLS_H

#include <stddef.h>

#include <nlog/config.h>

/* Whether TLS is configured; checks the pair and that both files load and
 * match. Returns 1 (TLS), 0 (plain HTTP) or -1 with why. */
int nlogd_tls_configured(const nlog_config *cfg, char *why, size_t why_size);
/* Loads compat/ssl_compat.c's library (from nlogd's directory, else the
 * install directory) so that Debian's CivetWeb can use OpenSSL 3. Call
 * before CivetWeb starts; returns 0 or -1 with why. */
int nlogd_tls_load_compat(char *why, size_t why_size);
/* CivetWeb's init_ssl callback: user_data is the nlogd_server. */
int nlogd_tls_init_ssl(void *ssl_ctx, void *user_data);

#endif
