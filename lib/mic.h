/*
 * mic: renewal of the device's client certificate, its MIC (device.md
 * D-NET-3, D-STA-1; seed "Renew the MIC Certificate").
 *
 * When: after the profile rules of a resync (whatever their outcome), when
 * MIC_Cert_Refresh_Enable = Yes and
 *   - MIC_Cert_Refresh_Rule differs from the rule of the last successful
 *     renewal (status "mic_rule"; so turning the feature on for the first
 *     time renews at once), or
 *   - no client certificate is installed, or
 *   - the installed one expires within MIC_RENEW_DAYS days.
 * A failed attempt is tried again at the next resync.
 *
 * How: a new EC P-256 key (not RSA 2048: generating one takes long enough
 * to stall an engine that runs thousands of phones on one loop); a PKCS#10
 * CSR signed with it, subject
 *   CN=<product> SEP<MAC>, OU=<product>, L=<serial>, ST=<MAC>
 * (MAC as in $MAU); POSTed as PEM (Content-Type application/pkcs10) to the
 * rule's URL (macros expanded) with the current client certificate
 * presented when the server asks (HTTPS; the guide's default rule is an
 * http URL, which is allowed: the CSR and the certificate are public, and
 * the answer is checked the same way). The answer (2xx) must be PEM:
 * the new certificate first, then any intermediates. It is accepted when
 * the first certificate is for the new key, valid now, and verifies for
 * TLS client use against the device's trust store (ca.pem plus the custom
 * CA, or the system's) with the rest of the answer as intermediates.
 *
 * Install: the key and the chain in one file, mic.pem (cert.h), written
 * with one rename: a crash leaves the old pair or the new. The key never
 * leaves the device and is wiped from memory after use.
 *
 * Status, key "mic", one line:
 *   Renewed (CN=<cn>, expires <notAfter>); last attempt <time>: Success
 *   ...; last attempt <time>: Failed: <reason>
 * where the part before ';' describes the installed certificate
 * ("Installed (...)" for one not renewed here, "Not Installed").
 */
#ifndef PROV_MIC_H
#define PROV_MIC_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "buf.h"
#include "prov/prov.h"

#define MIC_RENEW_DAYS 30       /* renew a MIC expiring within this many days */
#define MIC_CHAIN_MAX 8         /* certificates in the answer */
#define MIC_WHY_MAX 160        /* longest failure reason in the status */
#define MIC_CN_MAX 64          /* characters of the CN shown */
#define MIC_CSR_MAX 4096       /* a P-256 CSR in PEM is well under 1 KiB */

struct prov_device;
struct fetch_net;
struct mic_op;

/* Nonzero when a renewal is due at real time (the rules above). */
int mic_due(struct prov_device *dev);

/* A new key and its CSR (PEM) for dev's identity. *key is the caller's. */
enum prov_err mic_csr(const struct prov_device *dev, EVP_PKEY **key, struct buf *csr,
		      char *why, size_t whylen) PROV_WUR;

/* Checks an answer for key (the rules above) against the trust store
 * files ca_file and ca_extra (NULL: the system's store; none). On success
 * pair holds key then the answer's certificates, PEM, ready to install,
 * and cn the certificate's CN. */
enum prov_err mic_accept(EVP_PKEY *key, const char *resp, size_t len, const char *ca_file,
			 const char *ca_extra, struct buf *pair, char *cn, size_t cnlen,
			 char *why, size_t whylen) PROV_WUR;

/* Installs pair (from mic_accept) atomically as mic.pem. */
enum prov_err mic_install(struct prov_device *dev, const char *pair, size_t len,
			  char *why, size_t whylen) PROV_WUR;

/* Runs a renewal now if one is due: *out is NULL when none is due or it
 * failed before the request (the status says so), else done(arg) comes
 * exactly once from the net's callbacks, unless mic_cancel comes first.
 * wall_s (local seconds, the engine's clock) stamps the status. */
enum prov_err mic_start(struct prov_device *dev, struct fetch_net *net, int64_t wall_s,
			void (*done)(void *arg), void *arg, struct mic_op **out) PROV_WUR;
/* Stops a renewal; done is not called; nothing is installed. NULL: no-op. */
void mic_cancel(struct mic_op *op);

#endif
