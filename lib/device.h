/*
 * device: a device's identity, parameters, unknown names and runtime macro
 * values, held in memory and optionally backed by a state directory
 * (state.h). Implements struct prov_device of the public API.
 * device.md D-PAR-3..5, D-PRO-4, D-MAC-2, D-PER-1.
 *
 * Values: an instance has a slot only once set (device_set_*); without
 * one it is at its factory default. Every
 * change goes through device_commit(), which stages the new values, writes
 * them in one state transaction when there is a state directory, and only
 * then installs them in memory: a failed write changes nothing.
 */
#ifndef PROV_DEVICE_H
#define PROV_DEVICE_H

#include <limits.h>
#include <stddef.h>
#include "diag.h"

#define DEVICE_RT_MAX 32 /* runtime macro values ($PRVST, $SERVIP, ...) */
#define DEVICE_ID_MAX 64            /* longest identity string */
#define DEVICE_SLOTS_MIN 16         /* first size of the set-values table */
#define DEVICE_UNKNOWN_MIN 8        /* first size of the unknown-name list */

struct state;
struct param_product;

/* One parameter set away from its default: a value (NULL: the default)
 * and an access level (-1: the row's). */
struct device_slot {
	size_t idx1;     /* instance index + 1; 0: empty */
	signed char ua;
	char *val;
};

struct device_kv {
	char *key;
	char *value;
};

struct prov_device {
	/* identity (read-only) */
	char ma[13];     /* $MA  000e08abcdef */
	char mau[13];    /* $MAU 000E08ABCDEF */
	char macc[18];   /* $MAC 00:0e:08:ab:cd:ef */
	char *serial, *product, *psn, *swver, *hwver;
	char *version;   /* $VERSION: Cisco-CP-8841-3PCC/11.3.1 */

	/* Parameters set away from the factory default, by param.h instance:
	 * an open-addressing table, so a device costs what differs from its
	 * defaults (D-PAR, fleet simulation). NULL until the first value. */
	struct device_slot *pv;
	size_t pvcap;    /* slots: 0 or a power of two */
	size_t pvused;   /* slots in use */
	const struct param_product *prod; /* lines and keys of $PSN */

	/* unknown names (D-PAR-4), insertion order plus a hash set; both
	 * allocated on the first name and grown up to BOUND_UNKNOWN */
	char **unknown;
	size_t nunknown, ucap;
	unsigned *uslot; /* index + 1; 0 empty; size ucap * 2 */

	/* runtime macro values set by the engine */
	struct device_kv rt[DEVICE_RT_MAX];
	size_t nrt;
	/* status of a memory-only device */
	struct device_kv *status;
	size_t nstatus;

	struct state *st; /* NULL: memory only */
	struct diag err;
	char errmsg[512];
};

/* Current value of instance idx (default when never set); borrowed. */
const char *device_value(const struct prov_device *dev, size_t idx);
/* The value of the parameter NAME, "" when there is no such parameter
 * (borrowed, as device_value). */
const char *device_param(const struct prov_device *dev, const char *name);

/* Writes a status value (D-STA-1), persisted when there is a state. */
enum prov_err device_status_put(struct prov_device *dev, const char *key,
				const char *value) PROV_WUR;

/* Writes several status values in one transaction (one fsync). */
enum prov_err device_status_put_many(struct prov_device *dev, const char *const *keys,
				     const char *const *values, size_t n) PROV_WUR;

/* Reloads from the state directory if another process committed. */
enum prov_err device_refresh(struct prov_device *dev) PROV_WUR;

/* Loads parameters and unknown names from the state (the caller holds a
 * transaction), replacing what memory held. */
enum prov_err device_load(struct prov_device *dev, struct diag *d) PROV_WUR;

/* Records a failure in dev (errmsg, formatted with name as in diag_format)
 * and returns its code. */
enum prov_err device_fail(struct prov_device *dev, struct diag *d, const char *name);
enum prov_err device_failf(struct prov_device *dev, enum prov_err code,
			   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Access level of instance idx (its row's default when never set). */
int device_ua(const struct prov_device *dev, size_t idx);

/* The value set on instance idx (NULL: at its default) and its access
 * level as set (-1: the row's default). */
const char *device_val_set(const struct prov_device *dev, size_t idx);
int device_ua_set(const struct prov_device *dev, size_t idx);

/* Makes room for n more set instances (and n unknown names), so that the
 * puts below, done after a commit, cannot fail. */
enum prov_err device_reserve(struct prov_device *dev, size_t n, size_t nunknown) PROV_WUR;

/* Installs a value (taking val; the old one is wiped if secret and freed)
 * or an access level on instance idx; room must have been reserved. */
void device_put_val(struct prov_device *dev, size_t idx, char *val);
void device_put_ua(struct prov_device *dev, size_t idx, int ua);

/* Nonzero if instance idx exists on this device's product (its line and
 * key numbers are within the product's counts). */
int device_has(const struct prov_device *dev, size_t idx);

/* Instance index of NAME, or -1 after recording "unknown parameter" (also
 * for an instance the product does not have). */
long device_find(struct prov_device *dev, const char *name);

/* Unknown names (D-PAR-4): add returns 1 if added, 0 if already known or
 * the list is full, -1 out of memory; take is add for a name the caller
 * allocated (it owns it on 1, the caller frees it on 0: also when no room
 * was reserved) and cannot fail;
 * has is a lookup. */
int device_unknown_add(struct prov_device *dev, const char *name);
int device_unknown_take(struct prov_device *dev, char *name);
int device_unknown_has(const struct prov_device *dev, const char *name);

/* "sip88xx.11-3-1MPP-123" -> "11.3.1" ($VERSION, and the version an image
 * upgrades to): the leading numbers of the fields after the model prefix,
 * up to the first field that is not a plain number (its leading number
 * included); swver itself when it has none. */
void device_version_short(const char *swver, char *out, size_t outlen);

#endif
