/*
 * customca: Custom_CA_Rule (device.md D-NET-2, D-STA-1). The rule (the
 * rule syntax without options, like Upgrade_Rule) names a PEM bundle,
 * fetched over TFTP, HTTP or HTTPS after the profile rules of every resync
 * (whatever their outcome: a failing HTTPS resync may be exactly what the
 * custom CA fixes). A bundle that validates (customca_validate) replaces
 * the installed one atomically (state dir customca.pem, cert.h); every
 * later HTTPS transfer trusts it in addition to the configured store. A
 * bad bundle, a failed fetch or a bad rule change nothing but the status.
 * An empty rule does nothing: an installed custom CA stays until another
 * replaces it.
 *
 * Status (D-STA-1), key "custom_ca", one line:
 *   Installed (CN=<first certificate's CN>); last attempt <time>: Success
 *   Not Installed; last attempt <time>: Failed: <reason>
 * ("Not Installed" alone before any attempt). <time> is local
 * "YYYY-mm-dd HH:MM:SS". Key "custom_ca_rule" holds the rule text of the
 * last attempt.
 *
 * One operation at a time per device, driven by the engine on its net; no
 * thread, no blocking beyond reading and writing the small files.
 */
#ifndef PROV_CUSTOMCA_H
#define PROV_CUSTOMCA_H

#include <stddef.h>
#include <stdint.h>
#include "prov/prov.h"

#define CUSTOMCA_MAX_CERTS 64     /* certificates in one bundle */
#define CUSTOMCA_CN_MAX 64        /* characters of the CN shown (X.520 ub-common-name) */
#define CUSTOMCA_WHY_MAX 160      /* longest failure reason in the status */

struct prov_device;
struct fetch_net;
struct customca_op;

/* Checks a bundle: at most BOUND_PEM bytes; only PEM CERTIFICATE blocks
 * (text between blocks is allowed, as in system bundles), each a
 * well-formed X.509 certificate with basicConstraints CA:TRUE; at least
 * one, at most CUSTOMCA_MAX_CERTS. On success cn (cnlen > 0) holds the
 * first certificate's CN (printable ASCII, others as '?'; its whole
 * subject when it has no CN). On failure why says what, for the status.
 * PROV_E_TOOBIG or PROV_E_INVAL. */
enum prov_err customca_validate(const char *pem, size_t len, char *cn, size_t cnlen,
				char *why, size_t whylen) PROV_WUR;

/* Validates and installs pem as the custom CA, then records the status for
 * an attempt at wall_s (local seconds, engine clock). Returns the
 * validation's or the write's error, the status saying which. A memory-only
 * device has no trust store to extend: PROV_E_INVAL. */
enum prov_err customca_install(struct prov_device *dev, const char *pem, size_t len,
			       int64_t wall_s) PROV_WUR;

/* Records a failed attempt (why) at wall_s in the status. */
void customca_failed(struct prov_device *dev, int64_t wall_s, const char *why);

/* The status line, for status and the admin page; out always terminated. */
void customca_status(struct prov_device *dev, char *out, size_t outlen);

/* Runs Custom_CA_Rule now: *out is NULL when there was nothing to fetch
 * (an empty rule, or an attempt that failed before fetching: its status is
 * recorded), else the fetch is under way and done(arg) is called exactly
 * once from the net's callbacks, unless customca_cancel comes first. */
enum prov_err customca_start(struct prov_device *dev, struct fetch_net *net, int64_t wall_s,
			     void (*done)(void *arg), void *arg,
			     struct customca_op **out) PROV_WUR;
/* Stops an operation; done is not called. NULL is a no-op. */
void customca_cancel(struct customca_op *op);

#endif
