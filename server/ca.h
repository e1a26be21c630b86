/*
 * ca: the server as the devices' certificate authority (server.md
 * S-OPS-6, device.md D-NET-3).
 *
 * A CA is a directory: ca.pem (its certificate) and ca.key (its private
 * key, mode 0600, never logged, wiped from memory when freed). `prov ca
 * init` makes one (EC P-256, self-signed, CA:TRUE pathlen 0) or imports
 * an existing pair (checked: they match, the certificate is a CA, the key
 * is at least P-256 or RSA-2048).
 *
 * Device certificates have the MIC's subject (lib/mic.h):
 *   ST=<MAC, upper case>, L=<serial>, OU=<product>, CN=<product> SEP<MAC>
 * and client use only: basicConstraints CA:FALSE, keyUsage
 * digitalSignature, extendedKeyUsage clientAuth; a 128-bit random serial.
 * Each one issued is recorded in the inventory's device_cert table
 * (serial, MAC, validity, how: issue or renew), and `prov device
 * revoke-cert MAC` marks the device's certificates revoked: the HTTPS
 * listener closes a connection presenting one right after its handshake
 * (ca_peer_refused).
 *
 * Renewal (ca_sign_csr): a PEM PKCS#10 request, POSTed over mTLS by a
 * device whose current certificate verified: refused when its signature
 * does not verify, its key is weaker than P-256 / RSA-2048 (or of another
 * type), its ST is not the MAC of the certificate presented (or its L/OU
 * not the certificate's serial/product), or it asks for extensions of a
 * CA or a server (basicConstraints CA:TRUE, keyUsage keyCertSign or
 * cRLSign, extendedKeyUsage serverAuth or anyExtendedKeyUsage). Requested
 * extensions are never copied.
 *
 * Threads: a struct ca is read-only once loaded; one per process is fine.
 */
#ifndef PROV_SERVER_CA_H
#define PROV_SERVER_CA_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "inventory.h"

#define CA_CERT_FILE "ca.pem"
#define CA_KEY_FILE "ca.key"
#define CA_DAYS_DEFAULT 3650u          /* a new CA's life */
#define CA_DEVICE_DAYS_DEFAULT 365u    /* a device certificate's life */
#define CA_DAYS_MAX 36500u             /* longest life asked for */
#define CA_CSR_MAX 8192u               /* a renewal request's body (PEM) */
#define CA_PATH "/prov/cert"           /* where renewals are answered */
#define CA_PEM_MAX (64u * 1024u)       /* a certificate or key file read */

struct ca;

/* Makes a CA in dir (created 0700 if missing; ca.key must not exist):
 * generated with subject CN=cn, or imported from import_cert and
 * import_key. 0, or -1 with err. */
int ca_init(const char *dir, const char *cn, unsigned days, const char *import_cert,
	    const char *import_key, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Loads dir's CA. 0, or -1 with err. ca_free wipes the key (NULL-safe). */
int ca_load(struct ca **out, const char *dir, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void ca_free(struct ca *ca);

/* A new P-256 key and its certificate for the device (staging): *pem is
 * the key then the certificate (caller wipes and frees). Recorded. 0, or
 * -1 with err. */
int ca_issue(struct ca *ca, struct inv *inv, const char *mac, const char *serial,
	     const char *product, unsigned days, char **pem, size_t *len, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Signs a renewal request (see above) from the device whose verified
 * certificate names mac, serial and product ("" when it has none): *pem
 * is the certificate then the CA's (caller frees). Returns 0; 1 refused
 * (why says why: the device's fault); -1 failure (why). */
int ca_sign_csr(struct ca *ca, struct inv *inv, const char *mac, const char *serial,
		const char *product, const char *csr, size_t csrlen, unsigned days, char **pem,
		size_t *len, char *why, size_t whylen) __attribute__((warn_unused_result));

/* The checks of ca_sign_csr alone (and the fuzz target's entry): 0 with
 * out filled (out->pub the caller's to free), or 1 refused (why). */
struct ca_csr {
	EVP_PKEY *pub;
	char serial[INV_FIELD_MAX];    /* its L */
	char product[INV_FIELD_MAX];   /* its OU */
};
int ca_csr_check(const char *csr, size_t csrlen, const char *mac, const char *serial,
		 const char *product, struct ca_csr *out, char *why, size_t whylen)
	__attribute__((warn_unused_result));

/* Marks every certificate of mac revoked; returns how many, or -1. */
int ca_revoke_mac(struct inv *inv, const char *mac) __attribute__((warn_unused_result));

/* One issued certificate, as listed. */
struct ca_cert {
	char serial[33];               /* hex */
	char mac[13];
	char how[8];                   /* "issue" or "renew" */
	int64_t not_after_ms, created_ms, revoked_ms; /* revoked_ms 0: not revoked */
};
int ca_list(struct inv *inv, const char *mac, void (*fn)(void *arg, const struct ca_cert *c),
	    void *arg) __attribute__((warn_unused_result));

/* 1 when the verified client certificate of ssl is one this CA issued
 * and revoked (the connection is then closed), 0 otherwise (also when
 * the database cannot say: logged). */
int ca_peer_refused(struct inv *inv, SSL *ssl);

#endif
