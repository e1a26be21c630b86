/*
 * libprov: the provisioning engine of a multiplatform SIP phone.
 *
 * This is the whole public API. Handles are opaque; every fallible call
 * returns enum prov_err and leaves a human-readable detail (with file, line
 * and column where there is one) in the handle it was given, readable with
 * prov_device_errmsg() until the next call on that handle.
 *
 * Threading: a handle is used by one thread at a time. Distinct handles are
 * independent. The library owns no threads, signals or event loop.
 *
 * Strings: inputs are NUL-terminated UTF-8. A returned `const char *` is
 * borrowed from the handle and valid until the next call that changes it;
 * a returned `char *` belongs to the caller, who frees it with free().
 *
 * Spec: device.md D-PAR, D-PRO, D-MAC, D-CND, D-RUL, D-SCH-1, D-PER.
 */
#ifndef PROV_PROV_H
#define PROV_PROV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PROV_API __attribute__((visibility("default")))
#define PROV_WUR __attribute__((warn_unused_result))
#else
#define PROV_API
#define PROV_WUR
#endif

enum prov_err {
	PROV_OK = 0,
	PROV_E_NOMEM,      /* out of memory */
	PROV_E_INVAL,      /* bad argument or value */
	PROV_E_SYNTAX,     /* malformed text: profile, rule, condition, ... */
	PROV_E_TOOBIG,     /* a size, count or depth bound was exceeded */
	PROV_E_UNKNOWN,    /* no such parameter */
	PROV_E_DENIED,     /* access level forbids it, or a forbidden construct */
	PROV_E_IO,         /* file system or database failure */
	PROV_E_BUSY,       /* the state is locked by another process too long */
	PROV_E_EXISTS,     /* the state directory already holds a device */
	PROV_E_NOTFOUND,   /* no device in the state directory */
	PROV_E_CORRUPT,    /* stored state failed its integrity check */
	PROV_E_NOKEY,      /* an encrypted profile, and no key to open it */
	PROV_E_DECRYPT,    /* decryption failed: wrong key, truncated, bad padding */
	PROV_E_GZIP        /* gzip stream corrupt, truncated, CRC or length mismatch */
};

/* A constant, short English description of an error code. */
PROV_API const char *prov_strerror(enum prov_err err);

/* The library version, "MAJOR.MINOR.PATCH". */
PROV_API const char *prov_version(void);

/* ---------------------------------------------------------------------------
 * Device identity: read-only facts about the hardware (not parameters).
 */
struct prov_identity {
	const char *mac;      /* 12 hex digits; separators ':' and '-' accepted */
	const char *serial;   /* $SN; NULL: derived from the MAC */
	const char *product;  /* $PN, e.g. "CP-8841-3PCC"; NULL: that default */
	const char *psn;      /* $PSN, e.g. "8841"; NULL: digits of product */
	const char *swver;    /* $SWVER, e.g. "sip88xx.11-3-1MPP-123" */
	const char *hwver;    /* $HWVER */
};

/* Access levels of a parameter for the user (D-PAR-1). The admin is never
 * restricted. */
enum prov_ua { PROV_UA_NA = 0, PROV_UA_RO = 1, PROV_UA_RW = 2 };

struct prov_device;

/* A device held in memory only (embedders, simulated fleets). Starts at
 * factory defaults. Returns NULL when out of memory or when the identity is
 * invalid; *err (if not NULL) says which. */
PROV_API struct prov_device *prov_device_new(const struct prov_identity *id,
					     enum prov_err *err);

/* Creates a persistent device in state directory DIR (created if missing),
 * at factory defaults. Fails with PROV_E_EXISTS if DIR already has one.
 * On failure *dev is NULL and msg (if not NULL, of msglen bytes) says why. */
PROV_API enum prov_err prov_device_create(const char *dir,
					  const struct prov_identity *id,
					  struct prov_device **dev,
					  char *msg, size_t msglen) PROV_WUR;

/* Opens the persistent device in DIR. Several processes may open the same
 * directory; every change is one atomic transaction and each process sees
 * the others' committed changes (D-PER-1). */
PROV_API enum prov_err prov_device_open(const char *dir,
					struct prov_device **dev,
					char *msg, size_t msglen) PROV_WUR;

/* Closes and frees; NULL is allowed. */
PROV_API void prov_device_free(struct prov_device *dev);

/* Detail of the last failed call on dev. Borrowed until the next call. */
PROV_API const char *prov_device_errmsg(const struct prov_device *dev);

/* Installs a file into the device's state directory (certificates and trust
 * store) atomically. KIND is "cert", "certkey" or "ca". PEM is validated. */
PROV_API enum prov_err prov_device_install_pem(struct prov_device *dev,
					       const char *kind,
					       const char *pem, size_t len) PROV_WUR;

/* Validates a PEM file before installing it. KIND as above; for "certkey",
 * cert (if not NULL) is the certificate the key must match. */
PROV_API enum prov_err prov_pem_check(const char *kind, const char *pem, size_t len,
				      const char *cert, size_t certlen,
				      char *msg, size_t msglen) PROV_WUR;

/* Identity value by macro name: "MA", "MAU", "MAC", "SN", "PN", "PSN",
 * "SWVER", "HWVER". Borrowed for the life of dev. NULL if no such name. */
PROV_API const char *prov_device_identity(const struct prov_device *dev,
					  const char *name);

/* ---------------------------------------------------------------------------
 * Parameters (D-PAR). Names are XML names: "GPP_A", "Resync_At__HHmm_",
 * "User_ID_3_".
 */

/* Flags for get and set. */
#define PROV_AS_USER    0x01u  /* honour `ua` as the user would; default admin */
#define PROV_SHOW_SECRETS 0x02u /* get: do not mask secrets */

/* Current value of NAME, in a fresh string (caller frees). Secrets show as
 * "********" when set, "" when empty, unless PROV_SHOW_SECRETS. */
PROV_API enum prov_err prov_device_get(struct prov_device *dev, const char *name,
				       unsigned flags, char **value) PROV_WUR;

/* Access level of NAME. */
PROV_API enum prov_err prov_device_get_ua(struct prov_device *dev, const char *name,
					  enum prov_ua *ua) PROV_WUR;

/* Sets NAME to VALUE after validating it (D-PAR-2, D-PAR-3); the stored form
 * is normalised ("yes" -> "Yes"). Persisted atomically when the device has a
 * state directory. */
PROV_API enum prov_err prov_device_set(struct prov_device *dev, const char *name,
				       const char *value, unsigned flags) PROV_WUR;

/* Sets several parameters in one transaction: every value is validated
 * first, and either all are stored or none is. */
PROV_API enum prov_err prov_device_set_many(struct prov_device *dev,
					    const char *const *names,
					    const char *const *values, size_t n,
					    unsigned flags) PROV_WUR;

/* Number of parameter instances in the table (per-line parameters count once
 * per line), and the NAME of instance i, for listing. */
PROV_API size_t prov_param_count(void);
PROV_API const char *prov_param_name(size_t i);

/* Validates VALUE for NAME without a device. On PROV_E_INVAL or
 * PROV_E_UNKNOWN, msg says why. */
PROV_API enum prov_err prov_param_check(const char *name, const char *value,
					char *msg, size_t msglen);

/* Nonzero if NAME is a secret (D-PAR-5). */
PROV_API int prov_param_is_secret(const char *name);

/* ---------------------------------------------------------------------------
 * Profiles (D-PRO): flat-profile XML or the legacy text format, detected by
 * content. A parsed profile is a change set; applying it is all-or-nothing.
 */
struct prov_profile;

/* Parses LEN bytes of DATA. NAME is used in messages ("basic.txt").
 * maxsize 0 means PROV_PROFILE_MAX. On PROV_E_SYNTAX or PROV_E_TOOBIG, *out
 * is NULL and msg holds "NAME:LINE:COL: reason". */
PROV_API enum prov_err prov_profile_parse(const char *name, const char *data,
					  size_t len, size_t maxsize,
					  struct prov_profile **out,
					  char *msg, size_t msglen) PROV_WUR;
PROV_API void prov_profile_free(struct prov_profile *p);

/* Number of changes (one per parameter element or line). */
PROV_API size_t prov_profile_count(const struct prov_profile *p);

/* One problem found by lint or apply. */
struct prov_issue {
	unsigned line, col;
	int error;           /* 1: invalid value (rejected); 0: unknown name (warning) */
	const char *name;    /* parameter name as written */
	const char *message; /* what is wrong */
};

/* Checks every change of p against the parameter table without a device.
 * Calls fn for each problem in profile order. Returns the number of problems. */
PROV_API size_t prov_profile_lint(const struct prov_profile *p,
				  void (*fn)(void *arg, const struct prov_issue *),
				  void *arg);

/* Result of applying one profile (D-STA-1 per rule). */
struct prov_apply_result {
	size_t changed;   /* parameters whose value or access level changed */
	size_t unchanged; /* parameters set, valid, same as before */
	size_t rejected;  /* elements with an invalid value: the parameter kept
			   * its previous value (D-PAR-3) */
	size_t unknown;   /* elements whose name is not in the table; the names
			   * are kept in the unknown list (D-PAR-4) */
};

/* Applies p to dev in one transaction: either every valid change is stored
 * (persisted when the device has a state directory) or, on error, nothing
 * is. Invalid values and unknown names are reported through fn (may be
 * NULL) and counted; they do not fail the apply. */
PROV_API enum prov_err prov_device_apply(struct prov_device *dev,
					 const struct prov_profile *p,
					 struct prov_apply_result *res,
					 void (*fn)(void *arg, const struct prov_issue *),
					 void *arg) PROV_WUR;

/* Unknown parameter names seen in applied profiles (D-PAR-4): count, and
 * the name of entry i (borrowed until the next apply). */
PROV_API size_t prov_device_unknown_count(struct prov_device *dev);
PROV_API const char *prov_device_unknown_name(struct prov_device *dev, size_t i);

/* ---------------------------------------------------------------------------
 * The rule language, evaluated against a device.
 */

/* Flags for prov_expand. */
#define PROV_EXPAND_SECRETS 0x01u /* also expand $SA..$SD (an option argument) */

/* Macro expansion of TEXT against dev (D-MAC-1, D-MAC-2). *out is fresh. */
PROV_API enum prov_err prov_expand(struct prov_device *dev, const char *text,
				   unsigned flags, char **out) PROV_WUR;

/* Evaluates condition TEXT against dev (D-CND). *result is 1 or 0. A
 * malformed condition is PROV_E_SYNTAX with its column in the message. */
PROV_API enum prov_err prov_eval(struct prov_device *dev, const char *text,
				 int *result) PROV_WUR;

/* Status values kept by the device (D-STA-1), by key. */
PROV_API enum prov_err prov_device_status_get(struct prov_device *dev, const char *key,
					      char **value) PROV_WUR;

/* ---------------------------------------------------------------------------
 * Packing (D-ENC): gzip and openssl-enc AES-256-CBC, bit-compatible with
 * `gzip -c` and `openssl enc -aes-256-cbc -k KEY -md md5|sha256`.
 */

#define PROV_PACK_GZIP   0x01u /* compress (before encrypting) */
#define PROV_PACK_SHA256 0x02u /* key derivation SHA-256 (OpenSSL >= 1.1 default);
				* MD5 otherwise, what phones read */

/* Layers prov_unpack removed. */
#define PROV_LAYER_GZIP 0x01u
#define PROV_LAYER_AES  0x02u

/* Packs LEN bytes of IN: gzip if PROV_PACK_GZIP, then, when key is not
 * NULL, AES-256-CBC with a fresh random salt. *out (caller frees) holds
 * *outlen bytes. */
PROV_API enum prov_err prov_pack(const void *in, size_t len, unsigned flags,
				 const char *key, void **out, size_t *outlen,
				 char *msg, size_t msglen) PROV_WUR;

/* Reverses whatever layers IN carries, told apart by content: decrypts
 * ("Salted__"; MD5 or SHA-256 derivation, found out) with key, then
 * gunzips (1f 8b). The result is bounded by maxsize (0: PROV_PROFILE_MAX):
 * a decompression bomb fails with PROV_E_TOOBIG. Errors: PROV_E_NOKEY,
 * PROV_E_DECRYPT, PROV_E_GZIP, PROV_E_TOOBIG, each with its own message.
 * *layers (may be NULL) gets PROV_LAYER_* bits. */
PROV_API enum prov_err prov_unpack(const void *in, size_t len, const char *key,
				   size_t maxsize, void **out, size_t *outlen,
				   unsigned *layers, char *msg, size_t msglen) PROV_WUR;

/* Replaces PATH with LEN bytes atomically (write a temporary file beside
 * it, fsync, rename, fsync the directory): a crash or an error leaves the
 * old file or the new one, never a partial one. */
PROV_API enum prov_err prov_file_write(const char *path, const void *data,
				       size_t len, unsigned mode,
				       char *msg, size_t msglen) PROV_WUR;

/* Bounds. */
#define PROV_PROFILE_MAX (4u * 1024u * 1024u) /* largest decoded profile (D-PRO-7) */
#define PROV_PROFILE_MAX_ELEMENTS 100000u      /* elements in one profile (D-PRO-7) */
#define PROV_PROFILE_MAX_DEPTH 32u             /* XML nesting (D-PRO-7) */

#ifdef __cplusplus
}
#endif
#endif
