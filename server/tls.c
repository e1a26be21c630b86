/*
 * tls: the HTTPS server context. See tls.h.
 */
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "config.h"
#include "serve.h"

#define TLS_SESSION_TIMEOUT_S 3600L   /* a session (cache entry or ticket) resumes this long */
#define TLS_SESSION_CACHE_MAX 20480L  /* sessions cached per worker */
#define TLS_TICKET_KEYS_LEN 80        /* OpenSSL 1.1+: name 16 + HMAC 32 + AES 32 */
#define TLS_SID_CONTEXT "prov-serve"  /* session id context: sessions are ours only */

struct tls {
	SSL_CTX *ctx;
};

/*
 * Session ticket keys shared by every SSL_CTX of the process: made once,
 * at the first tls_new, which `prov serve` calls in the master before the
 * workers fork (the configuration check). A ticket issued by one worker
 * then resumes on any other (SO_REUSEPORT spreads reconnects) and after a
 * SIGHUP reload. Lifetime of a ticket is bounded by TLS_SESSION_TIMEOUT_S.
 */
static unsigned char tls_ticket_keys[TLS_TICKET_KEYS_LEN];
static int tls_ticket_keys_set;

static void
tls_errmsg(char *err, size_t errlen, const char *what, const char *file)
{
	char ossl[160] = "";
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, ossl, sizeof(ossl));
	snprintf(err, errlen, "%s%s%s%s%s", what, file != NULL ? " " : "",
		 file != NULL ? file : "", ossl[0] != '\0' ? ": " : "", ossl);
	ERR_clear_error();
}

int
tls_new(struct tls **out, const struct srv_cfg *cfg, char *err, size_t errlen)
{
	struct tls *t = NULL;
	SSL_CTX *ctx = NULL;
	int rc = -1;

	*out = NULL;
	ERR_clear_error();
	if (cfg->cert == NULL || cfg->key == NULL) {
		snprintf(err, errlen, "https needs cert and key");
		goto out;
	}
	t = calloc(1, sizeof(*t));
	ctx = SSL_CTX_new(TLS_server_method());
	if (t == NULL || ctx == NULL) {
		tls_errmsg(err, errlen, "TLS context: out of memory", NULL);
		goto out;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		tls_errmsg(err, errlen, "TLS context: minimum version", NULL);
		goto out;
	}
	/* No renegotiation (a client-driven CPU cost), server cipher order,
	 * and an EOF without close_notify is an ordinary close for HTTP/1.1
	 * framed by Content-Length. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
			    SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
	/* Partial writes so a response goes out record by record; buffers
	 * released while idle (memory per keep-alive connection). */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert) != 1) {
		tls_errmsg(err, errlen, "cannot load certificate chain", cfg->cert);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key, SSL_FILETYPE_PEM) != 1) {
		tls_errmsg(err, errlen, "cannot load private key", cfg->key);
		goto out;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_errmsg(err, errlen, "private key does not match the certificate", cfg->key);
		goto out;
	}
	if (cfg->client_ca != NULL) {
		STACK_OF(X509_NAME) *names;
		int mode = SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE;

		if (SSL_CTX_load_verify_locations(ctx, cfg->client_ca, NULL) != 1) {
			tls_errmsg(err, errlen, "cannot load client CA", cfg->client_ca);
			goto out;
		}
		names = SSL_load_client_CA_file(cfg->client_ca);
		if (names == NULL) {
			tls_errmsg(err, errlen, "no CA names in", cfg->client_ca);
			goto out;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		if (cfg->require_client_cert)
			mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		SSL_CTX_set_verify(ctx, mode, NULL);
	} else if (cfg->require_client_cert) {
		snprintf(err, errlen, "require-client-cert needs client-ca");
		goto out;
	}
	/* Resumption: a server-side cache and stateless tickets. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, TLS_SESSION_CACHE_MAX);
	SSL_CTX_set_timeout(ctx, TLS_SESSION_TIMEOUT_S);
	if (SSL_CTX_set_session_id_context(ctx, (const unsigned char *)TLS_SID_CONTEXT,
					   sizeof(TLS_SID_CONTEXT) - 1) != 1) {
		tls_errmsg(err, errlen, "TLS context: session id context", NULL);
		goto out;
	}
	if (!tls_ticket_keys_set) {
		if (RAND_bytes(tls_ticket_keys, sizeof(tls_ticket_keys)) != 1) {
			tls_errmsg(err, errlen, "TLS context: no randomness for ticket keys", NULL);
			goto out;
		}
		tls_ticket_keys_set = 1;
	}
	if (SSL_CTX_set_tlsext_ticket_keys(ctx, tls_ticket_keys, sizeof(tls_ticket_keys)) != 1) {
		tls_errmsg(err, errlen, "TLS context: ticket keys", NULL);
		goto out;
	}
	t->ctx = ctx;
	ctx = NULL;
	*out = t;
	t = NULL;
	rc = 0;
out:
	SSL_CTX_free(ctx);
	free(t);
	return rc;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx); /* live connections hold their own reference */
	free(t);
}

SSL_CTX *
tls_ctx(const struct tls *t)
{
	return t->ctx;
}

/* The first entry of nid in name, as UTF-8, into out (cap bytes). */
static int
tls_name_entry(X509_NAME *name, int nid, char *out, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	X509_NAME_ENTRY *e;
	unsigned char *utf8 = NULL;
	int n;

	out[0] = '\0';
	if (i < 0 || (e = X509_NAME_get_entry(name, i)) == NULL)
		return 0;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (n < 0)
		return 0;
	serve_escape((const char *)utf8, (size_t)n, out, cap);
	OPENSSL_free(utf8);
	return out[0] != '\0';
}

int
tls_peer(SSL *ssl, struct tls_peer *p)
{
	X509 *cert;
	X509_NAME *name;
	BIO *bio;
	char buf[sizeof(p->subject)];
	int n;

	memset(p, 0, sizeof(*p));
	cert = SSL_get1_peer_certificate(ssl);
	if (cert == NULL)
		return 0;
	if (SSL_get_verify_result(ssl) != X509_V_OK) {
		X509_free(cert);
		return 0;
	}
	name = X509_get_subject_name(cert);
	bio = BIO_new(BIO_s_mem());
	if (bio != NULL && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(bio, buf, (int)sizeof(buf) - 1);
		if (n > 0)
			serve_escape(buf, (size_t)n, p->subject, sizeof(p->subject));
	}
	BIO_free(bio);
	/* The device identity: S= (stateOrProvinceName) when it holds a MAC,
	 * else the MAC in the CN ("CP-8841-3PCC-SEP001122334455"). */
	{
		char v[128];

		if (!(tls_name_entry(name, NID_stateOrProvinceName, v, sizeof(v)) &&
		      serve_find_mac(v, strlen(v), p->mac)) &&
		    !(tls_name_entry(name, NID_commonName, v, sizeof(v)) &&
		      serve_find_mac(v, strlen(v), p->mac)))
			p->mac[0] = '\0';
	}
	if (!tls_name_entry(name, NID_serialNumber, p->serial, sizeof(p->serial)))
		tls_name_entry(name, NID_localityName, p->serial, sizeof(p->serial));
	tls_name_entry(name, NID_organizationalUnitName, p->product, sizeof(p->product));
	X509_free(cert);
	return 1;
}
