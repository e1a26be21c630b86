/*
 * rollout: firmware images and staged firmware rollouts (issue 14 part 4;
 * device.md D-UPG-1, D-LOG-2; server.md S-DEV-3), in the inventory's
 * database (tables firmware, rollout, rollout_device).
 *
 * An image is a file in the server's static tree, ROLLOUT_FW_DIR/V.loads
 * (served by the HTTP listener with Range, and by TFTP), recorded with its
 * version, size and SHA-256 (`prov firmware add`).
 *
 * A rollout offers version V to the devices of one group through the
 * server variable $UPGRADE_RULE (render.c): the URL of V's image on the
 * server the device asked (scheme, address and port of its request), or
 * "" when the device is not offered V. At start a deterministic canary
 * share is chosen: the devices sorted by SHA-256("V:MAC"), the first
 * ceil(N% of them) (at least one; none with 0%, which starts widened, as
 * a canary of the whole group does). State "canary" offers V to those only;
 * "widened" to every device of the group; "complete" too (a newcomer to
 * the group still gets V); "halted" and "stopped" to none.
 *
 * Device states: "not offered" until a profile carrying the rule is
 * rendered for it for a request (then "offered", with that time); then,
 * from the history after that time, "upgrading" (the phone's syslog
 * "Requesting upgrade"), "done" (its syslog "Successful upgrade", or a
 * request whose User-Agent carries V: "12.0.1" for sip88xx.12-0-1MPP-1,
 * as the phone's $VERSION writes it), "failed" (its syslog "Upgrade
 * failed"). The newest message decides, but a success, whenever it came,
 * makes the device done. These are the phone's default Log_Upgrade_*_Msg
 * words: a template that changes those messages keeps them. A syslog record is the device's when its mac column names it (the
 * collector's attribution), else when its text names the MAC (12 hex
 * digits, or with ':' or '-'), else when it came from the address of the
 * device's last request and no other device of the rollout was last seen
 * there (rollout_attribute).
 *
 * A device that may be offered V (canary, or any once widened) whose offer
 * was not recorded (the server never waits for the write lock while it
 * answers) counts as offered from its first upgrade message on.
 *
 * rollout_tick evaluates the active rollout: it updates device states,
 * then halts it when failed devices are more than F% of the canary
 * (state canary) or of the devices offered (widened), widens it when every
 * canary device is done or failed, and completes it when every device of
 * the group is done. A change of the rollout's state bumps the
 * inventory's serial, so cached renderings are made again. The server
 * ticks at most once per ROLLOUT_TICK_MS per process, from render_path;
 * `prov rollout status` ticks too.
 *
 * At most one rollout is active (canary or widened) at a time.
 *
 * Threads: like struct inv, one connection per thread.
 */
#ifndef PROV_SERVER_ROLLOUT_H
#define PROV_SERVER_ROLLOUT_H

#include <stddef.h>
#include <stdint.h>

struct inv;
struct inv_device;

#define ROLLOUT_FW_DIR "firmware"        /* images' folder in the static tree */
#define ROLLOUT_VERSION_MAX 64u          /* longest version: UPGRADE_VERSION_MAX */
#define ROLLOUT_TICK_MS 1000             /* the server evaluates at most this often */
#define ROLLOUT_DEVICES_MAX 100000u      /* devices of one rollout */
#define ROLLOUT_HISTORY_MAX 200000u      /* history rows read by one evaluation */
#define ROLLOUT_RULE_MAX 512u            /* longest $UPGRADE_RULE */
#define ROLLOUT_CANARY_DEFAULT 10u       /* --canary: percent of the group */

enum rollout_dev {
	ROLLOUT_NOT_OFFERED, ROLLOUT_OFFERED, ROLLOUT_UPGRADING, ROLLOUT_DONE,
	ROLLOUT_FAILED, ROLLOUT_NSTATES
};

/* A rollout as `prov rollout status` shows it. */
struct rollout_info {
	int64_t id;
	char version[ROLLOUT_VERSION_MAX + 1];
	char group[128];
	unsigned canary_pct, halt_pct;
	char state[16];                  /* canary, widened, complete, halted, stopped */
	char why[256];                   /* what changed it last */
	int64_t started_ms, changed_ms;
	unsigned devices, canary;
	unsigned count[ROLLOUT_NSTATES];
};

/* The name of a device state: "not offered", "offered", ... */
const char *rollout_dev_name(enum rollout_dev s);

/* 1 when v is a version an image may carry: letters, digits, '.', '-',
 * '_', at most ROLLOUT_VERSION_MAX, not starting with '.' or '-'. */
int rollout_version_ok(const char *v);

/* Records image version (a file of size bytes with digest sha256 at path,
 * relative to the static tree). Returns 0, or -1 with err. */
int rollout_firmware_add(struct inv *inv, const char *version, const char *path,
			 uint64_t size, const char *sha256, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Calls fn for every image, by version. Returns 0, or -1 with err. */
int rollout_firmware_list(struct inv *inv,
			  void (*fn)(void *arg, const char *version, const char *path,
				     uint64_t size, const char *sha256, int64_t added_ms),
			  void *arg, char *err, size_t errlen);

/* Starts offering version (which must be added) to group: the canary
 * chosen, every device "not offered". Returns the rollout's id, or -1
 * with err (unknown version, empty group, another rollout active). */
int64_t rollout_start(struct inv *inv, const char *version, const char *group,
		      unsigned canary_pct, unsigned halt_pct, char *err, size_t errlen);

/* Stops the active rollout (state stopped: V offered to none). Returns 1
 * when one was stopped, 0 when none was active, -1 with err. */
int rollout_stop(struct inv *inv, char *err, size_t errlen);

/* Evaluates the active rollout now (see above). Returns 0 (also when
 * there is none), or -1 with err. */
int rollout_tick(struct inv *inv, char *err, size_t errlen);

/* rollout_tick at most once per ROLLOUT_TICK_MS in this process (the
 * server's hook); failures are left for the next tick. */
void rollout_tick_maybe(struct inv *inv);

/* The latest rollout (active or not) into ri, and fn (may be NULL) for
 * each of its devices, by MAC. Returns 1, 0 when there has been none, -1
 * with err. */
int rollout_get(struct inv *inv, struct rollout_info *ri,
		void (*fn)(void *arg, const char *mac, int canary, enum rollout_dev st),
		void *arg, char *err, size_t errlen);

/* $UPGRADE_RULE for device d on a request with scheme, servip and port
 * (NULL: not a request, e.g. `prov device render`: the URL keeps
 * $SCHEME, $SERVIP, $PORT as written and nothing is recorded): into
 * out[outsz], "" when d is not offered a version. A request that gets the
 * rule marks d offered. Returns 0, or -1 when the database failed (out
 * is then ""). */
int rollout_rule(struct inv *inv, const struct inv_device *d, const char *scheme,
		 const char *servip, const char *port, char *out, size_t outsz);

/* 1 when the database holds the server's history (its request and
 * syslog tables, made when `prov serve` first opens it), else 0. */
int rollout_history(struct inv *inv);

/* Whose upgrade message is this: the MAC of the device among macs[0..n)
 * (12 lower-case hex digits each) that the syslog record names, by its
 * mac column (col, may be NULL or ""), by its text, or by its source
 * address when that is the last address of exactly one of them (addrs[i]:
 * the host of device i's last request, "" unknown). Returns the index, or
 * -1. */
long rollout_attribute(const char *col, const char *text, const char *source,
		       char (*macs)[13], char (*addrs)[64], size_t n);

#endif
