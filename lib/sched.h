/*
 * sched: when the next automatic resync is due, and whether it may run.
 * device.md D-SCH-2..9 (delay lists D-SCH-1 through delay.h).
 *
 * A pure state machine: no clock, no randomness, no parameters of its own.
 * The caller passes the time (monotonic milliseconds for deadlines, and the
 * local wall-clock time for "daily at HH:mm"), random numbers, and the
 * parameter values in a struct sched_conf, so tests run a week of schedule
 * in milliseconds (D-SCH-9). The engine owns one struct sched per device.
 *
 * Life of a schedule:
 *   sched_boot()    power-up or reboot: the first resync after a random
 *                   0..Resync_Random_Delay*20 s (D-SCH-2), if enabled.
 *   sched_poll()    called whenever the host's timer fires (and when line
 *                   activity changes): says whether a resync must start now,
 *                   is waiting for idle lines (D-SCH-7), or was skipped by
 *                   a trigger (D-SCH-6) or Provision_Enable (D-SCH-8).
 *   sched_done()    the resync's outcome: success schedules the next
 *                   periodic (D-SCH-3) or daily (D-SCH-4) one and resets the
 *                   retry index; failure schedules the next retry (D-SCH-5).
 *   sched_due()     when to call sched_poll next (for the host's timer).
 *   sched_explain() one line for status: next resync and why.
 * Explicit requests (CLI, web, SIP, execute object) do not go through the
 * schedule's gates (triggers, line activity); the host refuses them itself
 * when Provision_Enable is No (D-SCH-8). Their outcome is still reported
 * with sched_done().
 */
#ifndef PROV_SCHED_H
#define PROV_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include "delay.h"
#include "prov/prov.h"

#define SCHED_NEVER INT64_MAX
#define SCHED_DAILY_WINDOW_MIN_S 600u /* Resync_At_Random_Delay under 600: a 0..600 s window */
#define SCHED_RANDOM_DELAY_UNIT_S 20u /* Resync_Random_Delay counts 20 s units */

/* Why a resync runs: the values of $PRVST (D-MAC-2). */
enum sched_reason {
	SCHED_EXPLICIT = -1, /* CLI, web, SIP NOTIFY, execute object */
	SCHED_POWERUP = 0,
	SCHED_PERIODIC = 1,  /* periodic or daily */
	SCHED_RETRY = 2
};

/* The parameters the schedule reads, already parsed by the caller. */
struct sched_conf {
	int provision_enable;           /* Provision_Enable */
	int resync_on_reset;            /* Resync_On_Reset */
	unsigned random_delay;          /* Resync_Random_Delay, units of 20 s */
	int daily_valid;                /* Resync_At__HHmm_ is a valid HHmm */
	unsigned daily_minutes;         /* ... as minutes after midnight, 0..1440 */
	unsigned daily_random;          /* Resync_At_Random_Delay, seconds */
	struct delay_list periodic;     /* Resync_Periodic */
	struct delay_list retry;        /* Resync_Error_Retry_Delay */
	unsigned forced_delay;          /* Forced_Resync_Delay, seconds */
};

/* The time, as the caller knows it. */
struct sched_now {
	int64_t mono_ms;   /* monotonic clock, milliseconds */
	int64_t wall_s;    /* local wall-clock time, seconds since the epoch
			    * (local, i.e. already offset by the time zone) */
};

enum sched_action {
	SCHED_IDLE,     /* nothing due now: wait until sched_due() */
	SCHED_RUN,      /* start an automatic resync now, reason in *reason */
	SCHED_WAIT,     /* due, but a line is busy: wait for idle or the forced delay */
	SCHED_SKIPPED   /* due, but a trigger said false or provisioning is
			 * disabled: rescheduled as if it had succeeded */
};

/* Filled by sched_boot. Before that, zeroed storage with due_ms =
 * SCHED_NEVER is a valid idle schedule (nothing due, nothing waiting). */
struct sched {
	int64_t due_ms;          /* next automatic resync, SCHED_NEVER if none */
	enum sched_reason reason;/* what kind it will be */
	int waiting;             /* the due resync waits for idle lines (D-SCH-7) */
	int64_t wait_since_ms;   /* ... since then (its due time), SCHED_NEVER if not */
	int64_t forced_ms;       /* ... until this forced deadline, as of the last
				  * sched_poll (for sched_explain) */
	unsigned periodic_i;     /* index into the periodic list (D-SCH-1) */
	unsigned retry_i;        /* index into the retry list, reset on success */
	int succeeded;           /* a resync has succeeded (or was skipped by a
				  * trigger, which counts as success) since boot:
				  * the periodic timer runs (D-SCH-3) */
	int running;             /* between SCHED_RUN and sched_done */
	int daily;               /* due_ms is a Resync_At__HHmm_ time (D-SCH-4) */
	unsigned daily_minutes;  /* ... its HHmm as minutes, for sched_explain */
	uint64_t daily_window_s; /* ... and its random window, seconds */
	int disabled;            /* Provision_Enable was No at the last call */
};

/* Power-up or reboot: forgets everything and plans the first resync. */
void sched_boot(struct sched *s, const struct sched_conf *c,
		const struct sched_now *now, uint64_t random);

/* Decides what to do now. Before the due time (or while a resync runs)
 * SCHED_IDLE, with nothing changed but `disabled`. When due: SCHED_SKIPPED if
 * Provision_Enable is No (D-SCH-8) or a trigger is false (D-SCH-6), the next
 * resync being planned as after a success; SCHED_WAIT while lines_busy and
 * Forced_Resync_Delay has not passed since the due time (D-SCH-7; 0 means
 * no waiting); SCHED_RUN otherwise, with the reason in *reason (may be NULL).
 * random is used only to plan the next resync of a skip.
 * triggers_ok (may be NULL: no triggers) returns 1 if every non-empty
 * Resync_Trigger_N holds, 0 if any is false (one that fails to evaluate
 * counts as false); it is called only when an automatic resync is due and
 * may run. */
enum sched_action sched_poll(struct sched *s, const struct sched_conf *c,
			     const struct sched_now *now, int lines_busy,
			     int (*triggers_ok)(void *arg), void *arg,
			     uint64_t random, enum sched_reason *reason);

/* Reports a resync's outcome, automatic or explicit: both plan the next
 * resync the same way, replacing whatever was due (so a successful explicit
 * resync restarts the periodic timer). Clears running. */
void sched_done(struct sched *s, const struct sched_conf *c,
		const struct sched_now *now, int success, uint64_t random);

/* The next instant sched_poll has something to decide (monotonic ms), or
 * SCHED_NEVER. While waiting for idle lines this is the forced deadline. */
int64_t sched_due(const struct sched *s, const struct sched_conf *c);

/* One line into out (truncated to outlen, always terminated if outlen > 0):
 * "power-up resync in 23 s", "periodic resync in 3600 s", "retry in 60 s
 * (attempt 2)", "daily resync at 03:00 (+ up to 11 min), in 5400 s",
 * "waiting for idle lines (forced in 120 s)", "resync running",
 * "none scheduled", "none: provisioning disabled". */
void sched_explain(const struct sched *s, const struct sched_now *now,
		   char *out, size_t outlen);

/* Fills the NULL members of c with the real clock and randomness
 * (CLOCK_MONOTONIC, local wall time with the zone offset included,
 * RAND_bytes): what every clocked object of libprov uses by default. */
void sched_clock_defaults(struct prov_clock *c);

#endif
