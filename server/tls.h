/*
 * tls: the HTTPS server context (S-NET-3): TLS 1.2 and 1.3 through
 * OpenSSL, certificate chain and key from files, client certificates
 * optional or required and verified against a CA file, session resumption
 * (session cache and tickets: TLS_TICKETS per TLS 1.3 handshake). OpenSSL
 * reads ahead (http.c asks SSL_has_pending before it waits for the
 * socket), and a server chain the certificate file leaves out is built
 * once, from the client CAs, not at every handshake (tls.c, issue 17).
 * A struct tls wraps one SSL_CTX; a SIGHUP reload builds a new one and
 * swaps srv->tls (connections keep the SSL_CTX they started with; OpenSSL
 * reference-counts it).
 */
#ifndef PROV_SERVER_TLS_H
#define PROV_SERVER_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

#define TLS_SESSION_TIMEOUT_S 3600L   /* a session (cache entry or ticket) resumes this long */
#define TLS_SESSION_CACHE_MAX 20480L  /* sessions cached per worker */
#define TLS_TICKET_KEYS_LEN 80        /* OpenSSL 1.1+: name 16 + HMAC 32 + AES 32 */
#define TLS_SID_CONTEXT "prov-serve"  /* session id context: sessions are ours only */
#define TLS_FILE_READ 16384           /* bytes read at a time when hashing a file */
#define TLS_TICKETS 1                 /* TLS 1.3 session tickets per handshake (tls.c) */

struct srv_cfg;
struct tls;

/* Loads cfg->cert, cfg->key (checked to match), cfg->client_ca. Returns
 * 0, or -1 with a reason naming the file in err. */
int tls_new(struct tls **out, const struct srv_cfg *cfg, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void tls_free(struct tls *t);

SSL_CTX *tls_ctx(const struct tls *t);

/* The verified client certificate's subject of a finished handshake, as
 * an RFC 2253 string (control characters escaped), and the device
 * identity it carries (S-NET-3), as chosen here:
 *   mac      the 12-hex-digit MAC (serve_find_mac, lower-cased) of S=
 *            (stateOrProvinceName) when it holds one, else of the CN
 *            (Cisco MIC subjects: "CN=CP-8841-3PCC-SEP001122334455");
 *            "" when neither names one;
 *   serial   serialNumber=, else L= (localityName); "" when absent;
 *   product  OU=; "" when absent.
 * Returns 1 when a certificate was presented and verified (also on a
 * resumed session: the session keeps the peer and its verify result), 0
 * otherwise (p zeroed).
 *
 * Sessions: the session id context and the ticket keys of a context are
 * derived from the contents of cert, key and client-ca and from
 * require-client-cert (and a secret made at the first tls_new, in the
 * master, before fork). A session resumes on any worker and across a
 * reload that changes none of these; after a change it does not resume,
 * so no session outlives the trust it was verified under. */
struct tls_peer {
	char subject[512];
	char mac[13];
	char serial[64];
	char product[64];
};
int tls_peer(SSL *ssl, struct tls_peer *p);

#endif
