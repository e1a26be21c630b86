/*
 * tls: the HTTPS server context. See tls.h.
 */
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "config.h"
#include "serve.h"

struct tls {
	SSL_CTX *ctx;
};

/*
 * Session ticket keys: a secret made once, at the first tls_new, which
 * `prov serve` calls in the master before the workers fork (the
 * configuration check), so every worker has it. The keys of a context are
 * derived from that secret and the digest of its certificate-relevant
 * configuration (tls_digest): a ticket then resumes on any worker and
 * across a reload that changes nothing, and never across a change of
 * trust (client-ca, require-client-cert) or of the server's certificate
 * and key. Lifetime of a ticket is bounded by TLS_SESSION_TIMEOUT_S.
 */
static unsigned char tls_ticket_secret[32];
static int tls_ticket_secret_set;

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

/* Adds the bytes of the file path (or a marker for none) to d. */
static int
tls_digest_file(EVP_MD_CTX *d, const char *what, const char *path)
{
	unsigned char buf[TLS_FILE_READ];
	FILE *f;
	size_t n;
	int ok;

	if (EVP_DigestUpdate(d, what, strlen(what) + 1) != 1)
		return -1;
	if (path == NULL)
		return 0;
	f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (EVP_DigestUpdate(d, buf, n) != 1)
			break;
	ok = !ferror(f) && feof(f);
	fclose(f);
	OPENSSL_cleanse(buf, sizeof(buf));
	return ok ? 0 : -1;
}

/* SHA-256 of everything a resumed session would otherwise carry over
 * unchecked: the server's certificate chain and key, the client CAs and
 * whether a client certificate is required. The session id context is
 * this digest (OpenSSL resumes no session, from the cache or a ticket,
 * made under another context) and the ticket keys derive from it. */
static int
tls_digest(const struct srv_cfg *cfg, unsigned char md[SHA256_DIGEST_LENGTH])
{
	EVP_MD_CTX *d = EVP_MD_CTX_new();
	unsigned char req = cfg->require_client_cert ? 1 : 0;
	int rc = -1;

	if (d != NULL && EVP_DigestInit_ex(d, EVP_sha256(), NULL) == 1
	    && EVP_DigestUpdate(d, TLS_SID_CONTEXT, sizeof(TLS_SID_CONTEXT)) == 1
	    && tls_digest_file(d, "cert", cfg->cert) == 0
	    && tls_digest_file(d, "key", cfg->key) == 0
	    && tls_digest_file(d, "client-ca", cfg->client_ca) == 0
	    && EVP_DigestUpdate(d, &req, 1) == 1
	    && EVP_DigestFinal_ex(d, md, NULL) == 1)
		rc = 0;
	EVP_MD_CTX_free(d);
	return rc;
}

/* Session id context and ticket keys of ctx, from the digest of cfg. */
static int
tls_sessions(SSL_CTX *ctx, const struct srv_cfg *cfg, char *err, size_t errlen)
{
	unsigned char md[SHA256_DIGEST_LENGTH], keys[TLS_TICKET_KEYS_LEN];
	unsigned char block[SHA512_DIGEST_LENGTH], in[SHA256_DIGEST_LENGTH + 1];
	unsigned blen;
	int rc = -1;

	if (tls_digest(cfg, md) < 0) {
		tls_errmsg(err, errlen, "TLS context: cannot hash the certificate files", NULL);
		return -1;
	}
	if (!tls_ticket_secret_set) {
		if (RAND_bytes(tls_ticket_secret, sizeof(tls_ticket_secret)) != 1) {
			tls_errmsg(err, errlen, "TLS context: no randomness for ticket keys", NULL);
			return -1;
		}
		tls_ticket_secret_set = 1;
	}
	/* keys = HMAC-SHA512(secret, md || 1) || HMAC-SHA512(secret, md || 2) */
	memcpy(in, md, sizeof(md));
	for (unsigned i = 0, off = 0; off < sizeof(keys); i++) {
		in[sizeof(md)] = (unsigned char)(i + 1);
		blen = sizeof(block);
		if (HMAC(EVP_sha512(), tls_ticket_secret, sizeof(tls_ticket_secret), in,
			 sizeof(in), block, &blen) == NULL) {
			tls_errmsg(err, errlen, "TLS context: ticket keys", NULL);
			goto out;
		}
		memcpy(keys + off, block, sizeof(keys) - off < blen ? sizeof(keys) - off : blen);
		off += blen;
	}
	if (SSL_CTX_set_session_id_context(ctx, md, sizeof(md)) != 1) {
		tls_errmsg(err, errlen, "TLS context: session id context", NULL);
		goto out;
	}
	if (SSL_CTX_set_tlsext_ticket_keys(ctx, keys, sizeof(keys)) != 1) {
		tls_errmsg(err, errlen, "TLS context: ticket keys", NULL);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(keys, sizeof(keys));
	OPENSSL_cleanse(block, sizeof(block));
	return rc;
}

/*
 * The server's chain, built once. When the certificate file holds the
 * leaf alone, OpenSSL completes the chain it sends from the verify store
 * (the client CAs) at every handshake: an X509_verify_cert, with its
 * signature check, per handshake (5% of a full handshake's CPU, issue 17).
 * Built here from the same store it is the same chain (leaf, then every
 * issuer found, root included, errors ignored as the per-handshake build
 * ignores them), and OpenSSL uses it as is. A file with its own chain is
 * left alone, as OpenSSL leaves it; if the build fails (a CA below the
 * security level), nothing changes and the per-handshake build reports it.
 */
static void
tls_chain(SSL_CTX *ctx)
{
	STACK_OF(X509) *chain = NULL;

	if (SSL_CTX_get0_chain_certs(ctx, &chain) == 1 && chain != NULL)
		return;
	if (SSL_CTX_build_cert_chain(ctx, SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR |
				     SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR) <= 0)
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
	/* Read ahead: one read(2) takes what the socket holds (a whole
	 * request record, or a client's whole flight) instead of two per
	 * record, its 5-byte header and then its body (issue 17: 12 reads
	 * per full handshake and request, 2.4 per keep-alive request). What
	 * is read ahead waits in OpenSSL, not the kernel: http.c asks
	 * SSL_has_pending before it waits for the socket. */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* One TLS 1.3 ticket per handshake, not OpenSSL's two: a phone opens
	 * one connection at a time and gets a new ticket on each resumption,
	 * and every ticket re-encodes and re-parses the whole session, client
	 * certificate included (an eighth of a full handshake's CPU each). */
	if (SSL_CTX_set_num_tickets(ctx, TLS_TICKETS) != 1) {
		tls_errmsg(err, errlen, "TLS context: tickets", NULL);
		goto out;
	}
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
	tls_chain(ctx);
	/* Resumption: a server-side cache and stateless tickets. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, TLS_SESSION_CACHE_MAX);
	SSL_CTX_set_timeout(ctx, TLS_SESSION_TIMEOUT_S);
	if (tls_sessions(ctx, cfg, err, errlen) < 0)
		goto out;
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
