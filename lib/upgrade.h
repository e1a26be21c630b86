/*
 * upgrade: firmware upgrade and the transition license of one device.
 * device.md D-UPG-1..3, D-LOG-2 (Log_Upgrade_*), D-STA-1 (UPGST, UPGTMR,
 * UPGERR, reboot reason Upgrade), D-SCH-1 (Upgrade_Error_Retry_Delay).
 *
 * The engine (engine.c) owns one struct upgrade per device and runs it
 * after every resync (the phone checks the upgrade rule after the profile
 * rules), on /admin/upgrade?URL, and when a retry falls due. One run is at
 * most two steps, each at most one fetch on the engine's fetch net:
 *
 *   1. Upgrade_Rule (rule syntax, no options; conditions and assignments
 *      allowed). The image is fetched only when Upgrade_Enable = Yes, the
 *      image's version (its file name: .../sip88xx.12-0-1MPP-1.loads gives
 *      sip88xx.12-0-1MPP-1) differs from $SWVER, every line is idle (else
 *      the run is deferred by UPGRADE_BUSY_RECHECK_S), the version is not
 *      below Downgrade_Rev_Limit (cond_version_cmp), and this rule text and
 *      URL were not attempted already (status upgrade_last_rule/_url): an
 *      attempt is made once per rule/URL; a failed one is retried only by
 *      the retry timer, after the next Upgrade_Error_Retry_Delay element
 *      (UPGST 2). An explicit request (/admin/upgrade) skips the "already
 *      attempted" gate, not the others.
 *   2. Trans_Auth_Rule, when Trans_Auth_Type = Classic: the license file is
 *      fetched unless the same URL was already installed, and kept in
 *      DIR/license.lic (atomically); a failure retries after the next
 *      Transition_Authorization_Error_Retry_Delay element.
 *
 * The image format (a Decision, device.md leaves it open): any bytes, or a
 * verified image that starts with one header line
 *
 *     PROVIMG1 version=VERSION size=N sha256=HEX64\n
 *
 * followed by exactly N payload bytes whose SHA-256 is HEX64. A headered
 * image must say the version its name says. Verification: the payload is
 * not empty and at most UPGRADE_IMAGE_MAX; a header, when present, must
 * parse and match. A failed verification installs nothing.
 *
 * Installing (there is no flash to write): the new $SWVER is recorded in
 * the device identity (persisted in one transaction), the reboot reason
 * "Upgrade" is recorded, status says so, and the done callback asks the
 * engine's host to reboot the engine; the boot after it resyncs at once
 * when Resync_After_Upgrade_Attempt = Yes (status upgrade_reboot_pending).
 *
 * Memory: fetch.c delivers bodies in memory, so an image is held whole,
 * bounded by UPGRADE_IMAGE_MAX, for the length of its verification.
 *
 * Status keys (D-STA-1): upgrade_st, upgrade_last_rule, upgrade_last_url,
 * upgrade_last_time, upgrade_last_result (success, failure), upgrade_last_err,
 * upgrade_last_version, upgrade_next_retry, upgrade_reboot_pending;
 * license_url, license_time, license_result (installed, failure),
 * license_err, license_bytes.
 *
 * Threading: like the engine, one thread; callbacks come from fetch_net_fd
 * / fetch_net_timeout, never from upgrade_run.
 */
#ifndef PROV_UPGRADE_H
#define PROV_UPGRADE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "prov/prov.h"

#define UPGRADE_IMAGE_MAX (64u * 1024u * 1024u) /* largest image, held in memory */
#define UPGRADE_LICENSE_MAX (64u * 1024u)       /* largest license file */
#define UPGRADE_VERSION_MAX 64u                 /* longest version (= an identity string) */
#define UPGRADE_HEADER_MAX 256u                 /* longest image header line, '\n' included */
#define UPGRADE_TIMEOUT_MS (10 * 60 * 1000)     /* one image download, whole */
#define UPGRADE_BUSY_RECHECK_S 60               /* lines busy: look again after */
#define UPGRADE_LICENSE_FILE "license.lic"      /* in the state directory */
#define UPGRADE_STATUS_MAX 12      /* status values written at once */

struct fetch_net;
struct slog;
struct upgrade;

/* What the engine lends its upgrade. */
struct upgrade_host {
	struct prov_device *dev;
	struct fetch_net *net;
	struct slog *slog;
	struct prov_clock clock;       /* all members set */
	/* A run ended (it had started: upgrade_run returned 1). installed:
	 * a new image was installed, the engine must reboot. */
	void (*done)(void *arg, int installed);
	void *arg;
};

/* upgrade_run flags */
#define UPGRADE_EXPLICIT 0x1u /* /admin/upgrade?URL: the rule given, no license step */
#define UPGRADE_RETRY    0x2u /* the retry timer fired (UPGST 2) */

enum prov_err upgrade_new(const struct upgrade_host *h, struct upgrade **out) PROV_WUR;
/* Cancels a fetch in progress (done is not called). NULL is allowed. */
void upgrade_free(struct upgrade *u);

/* Starts a run: rule is the explicit rule (UPGRADE_EXPLICIT) or NULL for
 * the configured ones; lines_busy as the engine knows it. Returns 1 when a
 * fetch is under way (done follows), 0 when the run ended at once (nothing
 * to do, deferred, refused: status and messages say which). */
int upgrade_run(struct upgrade *u, const char *rule, unsigned flags, int lines_busy);

/* Monotonic ms of the next retry (upgrade or license), INT64_MAX if none. */
int64_t upgrade_due(const struct upgrade *u);

/* Monotonic ms of the last upgrade attempt in this engine's life, or
 * `otherwise` when there was none (for $UPGTMR). */
int64_t upgrade_since(const struct upgrade *u, int64_t otherwise);

/* Consumes status upgrade_reboot_pending at boot: 1 when the boot follows
 * an installed upgrade. */
int upgrade_boot_pending(struct prov_device *dev);

/* ---- the pieces, pure or nearly, for tests and fuzzing ---- */

/* The version an image name gives: the last path segment of url_path
 * (query cut off) without a ".loads", ".bin", ".img" or ".sbn" suffix.
 * Returns 0 when that is empty, longer than UPGRADE_VERSION_MAX or not
 * printable ASCII without spaces. */
int upgrade_version_of(const char *url_path, char *out, size_t outlen);

/* An image, verified by upgrade_image_check. */
struct upgrade_image {
	int has_header;
	char version[UPGRADE_VERSION_MAX + 1]; /* from the header, "" without */
	size_t payload_off, payload_len;
	unsigned char sha256[32];             /* declared */
};

/* Parses and verifies data[0..len): PROV_OK, or PROV_E_CORRUPT /
 * PROV_E_TOOBIG / PROV_E_SYNTAX with d saying why ("sha256 mismatch",
 * "empty image", ...). */
enum prov_err upgrade_image_check(const void *data, size_t len, struct upgrade_image *img,
				  struct diag *d) PROV_WUR;

/* Why a configured upgrade does or does not go ahead (D-UPG-1). */
enum upgrade_verdict {
	UPGRADE_GO,
	UPGRADE_DISABLED,      /* Upgrade_Enable = No */
	UPGRADE_SAME_VERSION,  /* the image is $SWVER already */
	UPGRADE_BELOW_LIMIT,   /* below Downgrade_Rev_Limit */
	UPGRADE_ATTEMPTED,     /* this rule and URL were attempted already */
	UPGRADE_LINES_BUSY     /* deferred until every line is idle */
};

struct upgrade_facts {
	int enabled;              /* Upgrade_Enable */
	int lines_busy;
	int force;                /* explicit or retry: skip the attempted gate */
	const char *swver;        /* $SWVER */
	const char *version;      /* the image's */
	const char *limit;        /* Downgrade_Rev_Limit ("" none) */
	const char *rule, *url;   /* this attempt's rule text and expanded URL */
	const char *last_rule, *last_url; /* the last attempt's ("" none) */
};

enum upgrade_verdict upgrade_decide(const struct upgrade_facts *f);
const char *upgrade_verdict_str(enum upgrade_verdict v);

/* Installs a fetched image: verifies it (upgrade_image_check, and a header
 * version equal to name_version), then records name_version as $SWVER,
 * the reboot reason Upgrade at wall_s, and the status. On failure nothing
 * is changed and err says why ($UPGERR). Returns PROV_OK or the error. */
enum prov_err upgrade_install(struct prov_device *dev, const char *name_version,
			      const void *data, size_t len, int64_t wall_s,
			      char *err, size_t errlen) PROV_WUR;

/* Records a new $SWVER in dev's identity (persisted in one transaction;
 * $VERSION follows). */
enum prov_err upgrade_swver_set(struct prov_device *dev, const char *swver,
				struct diag *d) PROV_WUR;

#endif
