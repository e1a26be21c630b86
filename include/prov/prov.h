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

/* NAME's factory default (static storage), or NULL if no such parameter. */
PROV_API const char *prov_param_default(const char *name);

/* VALUE as a device stores it: the canonical spelling of a choice or a
 * boolean ("yes" -> "Yes"; static storage), else VALUE itself (also when
 * NAME is unknown or VALUE invalid). For comparing a profile's value with
 * a device's (a server's drift report, S-SRV-4). */
PROV_API const char *prov_param_canon(const char *name, const char *value);

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

/* Change i (< prov_profile_count) of p: the parameter name as written and
 * its value, or NULL for an element that keeps the value (<X ua="na"/>:
 * D-PRO-2, how reports leave secrets out); *line where it starts (may be
 * NULL). Borrowed until prov_profile_free. PROV_E_INVAL when i is out of
 * range. */
PROV_API enum prov_err prov_profile_entry(const struct prov_profile *p, size_t i,
					  const char **name, const char **value,
					  unsigned *line) PROV_WUR;

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

/* Macro expansion of LEN bytes of TEXT against a host's own variables (the
 * server's inventory, S-DEV-2): the language of prov_expand. lookup gives
 * the value of NAME (n bytes, not NUL-terminated) as *vlen bytes borrowed
 * until its next call, or NULL when NAME is unknown: the reference then
 * stays as written. With PROV_MACRO_XML every substituted value is
 * XML-escaped (& < > " ') where it lands, so no value can add an element.
 * *out (caller frees; NUL-terminated) holds *outlen bytes, at most maxsize
 * (0: PROV_PROFILE_MAX). PROV_E_SYNTAX or PROV_E_TOOBIG with "LINE:COL:
 * reason" in msg. */
#define PROV_MACRO_XML 0x01u
#define PROV_MACRO_USCORE 0x02u /* names are letters, digits and '_' ($KEY_ID), not
				 * only letters and digits as on the phone */
PROV_API enum prov_err prov_macro_expand(const char *text, size_t len, size_t maxsize,
					 unsigned flags,
					 const char *(*lookup)(void *arg, const char *name,
							       size_t n, size_t *vlen),
					 void *arg, char **out, size_t *outlen,
					 char *msg, size_t msglen) PROV_WUR;

/* Evaluates condition TEXT against dev (D-CND). *result is 1 or 0. A
 * malformed condition is PROV_E_SYNTAX with its column in the message. */
PROV_API enum prov_err prov_eval(struct prov_device *dev, const char *text,
				 int *result) PROV_WUR;

/* Status values kept by the device (D-STA-1), by key. */
/* Sets a status value (persisted with the device; the engine's keys are
 * last_resync_time, last_resync_result, last_resync_err, rule_A..rule_D,
 * next_resync, last_server, custom_ca and custom_ca_rule (D-NET-2), mic and
 * mic_rule (D-NET-3); hosts add their own, e.g. line_busy). */
PROV_API enum prov_err prov_device_status_set(struct prov_device *dev, const char *key,
					      const char *value) PROV_WUR;
PROV_API enum prov_err prov_device_status_get(struct prov_device *dev, const char *key,
					      char **value) PROV_WUR;

/* Records why the device rebooted (D-STA-1 "the last five reboot
 * reasons"): REASON ("User Triggered", "Upgrade", "Provisioning", "SIP
 * Triggered", ...; printable ASCII, 1..PROV_REBOOT_REASON_MAX bytes) at
 * WHEN, local wall-clock seconds as struct prov_clock's wall_s gives them.
 * The status key "reboot_reasons" keeps the newest PROV_REBOOT_REASONS,
 * newest first, one per line: "YYYY-MM-DD HH:MM:SS REASON". One
 * transaction: concurrent recorders lose nothing. */
#define PROV_REBOOT_REASONS 5       /* reasons kept */
#define PROV_REBOOT_REASON_MAX 64   /* longest reason, bytes */
PROV_API enum prov_err prov_device_reboot_record(struct prov_device *dev,
						 const char *reason,
						 int64_t when) PROV_WUR;

/* Where the phone's web page shows NAME: "TAB/Section", e.g.
 * "Provisioning/Configuration Profile", "System/System Configuration".
 * Static storage; NULL if no such parameter. */
PROV_API const char *prov_param_group(const char *name);

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
#define PROV_LAYER_AES128GCM 0x04u /* RFC 8188 content coding (D-ENC-6) */

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

/* RFC 8188 aes128gcm, the content coding a server sends as
 * `Content-Encoding: aes128gcm` (D-ENC-6): packs LEN bytes of IN, gzipped
 * first if PROV_PACK_GZIP, into a stream keyed by IKM (a NUL-terminated
 * string, used as its bytes, as the phone uses IKM_HTTP_Encrypt_Content),
 * with keyid (NULL: none; at most 255 bytes) in its header, records of rs
 * bytes (18 or more; 0: 4096) and a fresh random salt. PROV_E_INVAL for a
 * bad keyid, rs or an empty IKM. */
PROV_API enum prov_err prov_pack_aes128gcm(const void *in, size_t len, unsigned flags,
					   const char *ikm, const char *keyid,
					   unsigned long rs, void **out, size_t *outlen,
					   char *msg, size_t msglen) PROV_WUR;

/* Reverses prov_pack_aes128gcm: decodes the aes128gcm stream with IKM,
 * refusing any altered, reordered or missing byte (all or nothing), then
 * gunzips if the content is gzip. keyid (NULL: any) is the key id the
 * header must carry (RFC 8188 does not authenticate it). Content coding
 * has no magic: call this only for what is known to be aes128gcm.
 * maxsize as for prov_unpack.
 * Errors: PROV_E_NOKEY (empty IKM), PROV_E_DECRYPT, PROV_E_GZIP,
 * PROV_E_TOOBIG. */
PROV_API enum prov_err prov_unpack_aes128gcm(const void *in, size_t len, const char *ikm,
					     const char *keyid, size_t maxsize, void **out, size_t *outlen,
					     unsigned *layers, char *msg,
					     size_t msglen) PROV_WUR;

/* Replaces PATH with LEN bytes atomically (write a temporary file beside
 * it, fsync, rename, fsync the directory): a crash or an error leaves the
 * old file or the new one, never a partial one. */
PROV_API enum prov_err prov_file_write(const char *path, const void *data,
				       size_t len, unsigned mode,
				       char *msg, size_t msglen) PROV_WUR;

/* ---------------------------------------------------------------------------
 * The engine (D-RUL, D-SCH, D-LOG, D-STA): resyncs a device over TFTP, HTTP
 * and HTTPS. libprov owns no loop: the host watches the file descriptors
 * and arms the timer a struct prov_net asks for, and calls back; any number
 * of engines share one net.
 */

#define PROV_IN  0x1u
#define PROV_OUT 0x2u

struct prov_net_ops {
	/* Watch fd for PROV_IN/PROV_OUT, or stop watching it (events 0). */
	void (*watch)(void *arg, int fd, unsigned events);
	/* Arm the net's one timer to fire in ms milliseconds, or cancel it
	 * (ms < 0). */
	void (*timer)(void *arg, long ms);
};

struct prov_net;

PROV_API enum prov_err prov_net_new(const struct prov_net_ops *ops, void *arg,
				    struct prov_net **out) PROV_WUR;
/* Frees; engines using it must be freed first. */
PROV_API void prov_net_free(struct prov_net *net);
/* The host saw events on fd / the net's timer fired. */
PROV_API void prov_net_fd(struct prov_net *net, int fd, unsigned events);
PROV_API void prov_net_timeout(struct prov_net *net);

/* Time and randomness, injected (D-SCH-9). NULL members: the real
 * CLOCK_MONOTONIC, local time of day, and OpenSSL's RAND_bytes. */
struct prov_clock {
	int64_t (*mono_ms)(void *arg);   /* monotonic milliseconds */
	int64_t (*wall_s)(void *arg);    /* local wall-clock time, seconds since
					  * the epoch, time-zone offset included */
	uint64_t (*random)(void *arg);
	void *arg;
};

struct prov_engine;

/* What one resync did (D-STA-1), passed to the result callback. */
struct prov_resync_result {
	int ok;                 /* 1 success, 0 failure */
	int prvst;              /* -1 explicit, 0 power-up, 1 periodic, 2 retry */
	const char *err;        /* $ERR, "" on success */
	size_t rules_run;       /* rules that fetched something */
	size_t changed;         /* parameters changed, all rules together */
	size_t rejected;        /* invalid values rejected */
};

/* Per-rule progress, for `prov phone resync`: called after each rule. */
struct prov_rule_report {
	char rule;              /* 'A' for Profile_Rule, 'B'..'D', 'X' an explicit rule */
	const char *url;        /* the URL fetched ("" if the rule fetched nothing) */
	int ok;
	const char *err;        /* $ERR of a failed rule, "" otherwise */
	size_t bytes;           /* bytes received */
	struct prov_apply_result apply;
};

/* Creates the engine of dev on net; clock may be NULL (the real one). The
 * engine borrows dev and net, which must outlive it. */
PROV_API enum prov_err prov_engine_new(struct prov_device *dev, struct prov_net *net,
				       const struct prov_clock *clock,
				       struct prov_engine **out) PROV_WUR;
/* Cancels a resync in progress (nothing of its current rule is applied). */
PROV_API void prov_engine_free(struct prov_engine *eng);

/* Callbacks: after each rule, and after each resync. */
PROV_API void prov_engine_on_rule(struct prov_engine *eng,
				  void (*fn)(void *arg, const struct prov_rule_report *r),
				  void *arg);
PROV_API void prov_engine_on_result(struct prov_engine *eng,
				    void (*fn)(void *arg, const struct prov_resync_result *r),
				    void *arg);

/* Power-up or reboot: schedules the first resync (D-SCH-2). */
PROV_API void prov_engine_boot(struct prov_engine *eng);

/* When the engine next wants prov_engine_tick (monotonic ms, the clock's),
 * INT64_MAX for never. Changes after every call into the engine. */
PROV_API int64_t prov_engine_due(const struct prov_engine *eng);

/* Runs the schedule: starts a due automatic resync (subject to triggers,
 * line activity and Provision_Enable, D-SCH-6..8). Also notices changed
 * schedule parameters and plans again, so hosts may call it whenever the
 * device may have changed (the agent: once a second). */
PROV_API void prov_engine_tick(struct prov_engine *eng);

/* Starts an explicit resync now (PRVST -1): with RULE, that rule alone;
 * NULL, the configured Profile_Rule.._D. Ignores triggers; refused with
 * PROV_E_DENIED when Provision_Enable is No (D-SCH-8), PROV_E_BUSY while
 * another resync runs. */
PROV_API enum prov_err prov_engine_resync(struct prov_engine *eng,
					  const char *rule) PROV_WUR;

/* Line activity, for Forced_Resync_Delay (D-SCH-7): line 1..10. */
PROV_API void prov_engine_line(struct prov_engine *eng, unsigned line, int busy);

/* Nonzero while a resync runs. */
PROV_API int prov_engine_running(const struct prov_engine *eng);

/* One line saying what is scheduled next and why. */
PROV_API const char *prov_engine_next(struct prov_engine *eng);

/* Firmware upgrade (D-UPG): after every resync the engine checks
 * Upgrade_Rule (then Trans_Auth_Rule); the resync's result callback comes
 * after that check. An installed image records the new $SWVER and the
 * reboot reason "Upgrade", then calls fn: the host reboots the engine
 * (frees it and boots a new one; the boot resyncs at once when
 * Resync_After_Upgrade_Attempt = Yes). fn must not free the engine itself:
 * it runs inside the engine; defer the reboot (a zero-delay timer). */
PROV_API void prov_engine_on_reboot(struct prov_engine *eng, void (*fn)(void *arg),
				    void *arg);

/* /admin/upgrade?URL: checks RULE (Upgrade_Rule syntax; a URL is one) now,
 * skipping only the "this URL was attempted already" gate. PROV_OK: the
 * download started; PROV_E_DENIED: it did not (same version, Upgrade_Enable
 * = No, below Downgrade_Rev_Limit, a line busy, a bad rule: status key
 * upgrade_check says which); PROV_E_BUSY while a resync or upgrade runs;
 * PROV_E_INVAL without a rule. */
PROV_API enum prov_err prov_engine_upgrade(struct prov_engine *eng,
					   const char *rule) PROV_WUR;

/* ---------------------------------------------------------------------------
 * Reports (D-REP-1): the device's parameters or status uploaded to
 * Report_Rule by HTTP POST/PUT or TFTP write, encrypted with --key like a
 * profile. Secrets never leave the device (D-PAR-5). Driven like the
 * engine: the host calls prov_report_tick at prov_report_due (and may call
 * it whenever the device may have changed: the agent, once a second).
 */
struct prov_report;

#define PROV_REPORT_FULL   0u /* every parameter, a <flat-profile> */
#define PROV_REPORT_DELTA  1u /* parameters away from their factory default */
#define PROV_REPORT_STATUS 2u /* the status (D-STA-1), <status> */

/* What one upload did, passed to the result callback: once per URL of
 * the rule, in order; last is set on the final one. */
struct prov_report_result {
	const char *why;   /* the reason given to prov_report_send, or
			    * "local change", "periodic", "retry" */
	const char *url;   /* where it went ("" when the rule was unusable) */
	unsigned kind;     /* PROV_REPORT_* */
	int encrypted;     /* --key was given */
	int ok;
	const char *err;   /* $ERR-style ("http_put failed: 404", "tftp error
			    * 2: ...", "bad report rule col 3: ..."); "" on success */
	size_t bytes;      /* bytes uploaded */
	int last;
};

/* Creates the reporter of dev on net (shared with engines); clock may be
 * NULL. dev and net must outlive it. */
PROV_API enum prov_err prov_report_new(struct prov_device *dev, struct prov_net *net,
				       const struct prov_clock *clock,
				       struct prov_report **out) PROV_WUR;
/* Cancels an upload in progress (no callback) and frees; NULL allowed. */
PROV_API void prov_report_free(struct prov_report *rep);
PROV_API void prov_report_on_result(struct prov_report *rep,
				    void (*fn)(void *arg, const struct prov_report_result *r),
				    void *arg);

/* Sends a report now, whatever Report_To_Server says: with RULE, that
 * report rule; NULL, Report_Rule. WHY names the trigger in results
 * ("request", "sip"). PROV_E_INVAL when there is no rule (empty
 * Report_Rule), PROV_E_BUSY while a report is being sent. A bad rule is
 * not an error here: the result callback says so (and nothing is sent).
 * A failed report of Report_Rule is sent again once, a minute later (by
 * prov_report_tick); one of an explicit RULE is not. */
PROV_API enum prov_err prov_report_send(struct prov_report *rep, const char *rule,
					const char *why) PROV_WUR;

/* When prov_report_tick is next wanted (the clock's monotonic ms), INT64_MAX
 * for never; and the tick: notices parameter changes and sends due
 * reports (local change, periodic, retry). */
PROV_API int64_t prov_report_due(const struct prov_report *rep);
PROV_API void prov_report_tick(struct prov_report *rep);

/* Nonzero while an upload runs. */
PROV_API int prov_report_running(const struct prov_report *rep);

/* The document of KIND for dev, unencrypted, in *out (caller frees,
 * NUL-terminated, *len bytes). */
PROV_API enum prov_err prov_report_build(struct prov_device *dev, unsigned kind,
					 char **out, size_t *len) PROV_WUR;

/* Bounds. */
#define PROV_PROFILE_MAX (4u * 1024u * 1024u) /* largest decoded profile (D-PRO-7) */
#define PROV_PROFILE_MAX_ELEMENTS 100000u      /* elements in one profile (D-PRO-7) */
#define PROV_PROFILE_MAX_DEPTH 32u             /* XML nesting (D-PRO-7) */

#ifdef __cplusplus
}
#endif
#endif
