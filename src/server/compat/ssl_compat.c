/* ssl_compat.c: libnlogd-ssl-compat.so, a shim that makes Debian 12's
 * CivetWeb 1.15 serve TLS with OpenSSL 3.
 *
 * Debian's CivetWeb loads OpenSSL at run time (dlopen("libssl.so")) and
 * looks its functions up by name, among them SSL_get_peer_certificate,
 * which OpenSSL 3 no longer exports (it became a macro for
 * SSL_get1_peer_certificate). The lookup yields NULL and the first TLS
 * request crashes the worker that calls it (seen here: SIGSEGV at address 0).
 *
 * This library's SONAME is "libssl.so" and it depends on the real
 * libssl.so.3. tls.c loads it by path before CivetWeb starts; CivetWeb's
 * dlopen("libssl.so") then finds this already-loaded object (glibc matches
 * the SONAME of loaded objects), and dlsym() on it finds the function below
 * here and every other one in the real libssl.so.3 it depends on.
 * Tested by: tests/integration/server/test_live.py tls */

typedef struct ssl_st SSL;
typedef struct x509_st X509;

/* OpenSSL 3's name; declared by hand because <openssl/ssl.h> turns the old
 * name into a macro, which would make the definition below recursive. */
X509 *SSL_get1_peer_certificate(const SSL *s);

__attribute__((visibility("default"))) X509 *SSL_get_peer_certificate(const SSL *s);
/* Same contract as in OpenSSL 1.1: a new reference the caller frees. */
X509 *SSL_get_peer_certificate(const SSL *s)
{
    return SSL_get1_peer_certificate(s);
}
