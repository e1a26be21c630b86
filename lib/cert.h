/*
 * cert: the device's certificate files in its state directory and what an
 * HTTPS transfer gets from them (D-NET-2, D-NET-3, D-PER-1).
 *
 *   ca.pem        the configured trust store (`prov phone init --ca`)
 *   customca.pem  the custom CA of Custom_CA_Rule (customca.c), trusted in
 *                 addition to ca.pem, or to the system's store without it
 *   cert.pem      the client certificate (the MIC, `--cert`) ...
 *   certkey.pem   ... and its key (`--certkey`)
 *   mic.pem       a renewed MIC (mic.c): key then certificate chain in one
 *                 file, so one rename installs both; it takes precedence
 *                 over cert.pem/certkey.pem, and installing those again
 *                 (prov_device_install_pem) removes it
 *
 * A memory-only device has none of them: the system's store, no client
 * certificate.
 */
#ifndef PROV_CERT_H
#define PROV_CERT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include "fetch.h"

#define CERT_FILE_CA "ca.pem"
#define CERT_FILE_CUSTOM "customca.pem"
#define CERT_FILE_CERT "cert.pem"
#define CERT_FILE_KEY "certkey.pem"
#define CERT_FILE_MIC "mic.pem"

struct prov_device;

/* Paths of the files that exist ("" for the others), for one transfer. */
struct cert_paths {
	char ca[PATH_MAX];
	char custom[PATH_MAX];
	char cert[PATH_MAX];    /* the client certificate file ... */
	char key[PATH_MAX];     /* ... and its key (mic.pem: both the same) */
};

/* Looks the files up and points req's ca_file, ca_extra_file, cert_file
 * and key_file at those that exist (req may be NULL). p must outlive the
 * fetch_start call that uses req. */
void cert_paths_get(const struct prov_device *dev, struct cert_paths *p,
		    struct fetch_req *req);

/* "YYYY-mm-dd HH:MM:SS" of a local wall-clock reading (the engine's clock,
 * already offset by the time zone), for status lines. */
void cert_when(int64_t wall_s, char *out, size_t outlen);

/* Nonzero when a client certificate is installed ($CCERT, D-NET-3). */
int cert_client_installed(const struct prov_device *dev);

#endif
