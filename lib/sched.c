/*
 * sched: the resync schedule (device.md D-SCH-2..9; delay lists D-SCH-1
 * through delay.h). sched.h tells the life of a schedule; this is how each
 * step decides, including what device.md leaves open.
 *
 * Power-up (D-SCH-2). With Provision_Enable and Resync_On_Reset, the first
 * resync is due after random % (Resync_Random_Delay*20 + 1) seconds: uniform
 * 0..RRD*20 s inclusive, RRD 0 meaning at once. Otherwise there is no
 * power-up resync: a valid Resync_At__HHmm_ plans the next daily one, and
 * without it nothing is due (the periodic timer starts only after a first
 * success, D-SCH-3).
 *
 * After a success (D-SCH-3, D-SCH-4). The retry index resets. A valid
 * Resync_At__HHmm_ replaces the periodic list entirely: the next resync is
 * the next occurrence, strictly after now, of that local time (2400 is
 * 00:00 of the next day, as is 0000) plus a uniform random offset of
 * 0..600 s when Resync_At_Random_Delay is under 600, else of
 * 0..R*60 s with R = ceil((Resync_At_Random_Delay + 30) / 60) minutes.
 * Otherwise the periodic list gives the delay for use number periodic_i,
 * which then advances; a disabled list or a 0 element leaves nothing due.
 *
 * After a failure (D-SCH-5). The retry list gives the delay for use number
 * retry_i, which then advances. When it says "no retry" (disabled, or a 0
 * element) nothing is retried, but the regular schedule goes on: the next
 * daily time if there is one, else the next periodic one if the periodic
 * timer runs (a resync succeeded since boot), else nothing until another
 * event. A phone that once reached its server keeps polling it.
 *
 * Explicit resyncs report their outcome through sched_done too and plan
 * the next resync exactly as automatic ones, replacing what was due: a
 * successful explicit resync restarts the periodic timer.
 *
 * When due (sched_poll), in this order:
 *   Provision_Enable No (D-SCH-8): skipped, and the next resync is planned
 *     as a success would plan it, but succeeded and retry_i are left alone:
 *     nothing ran, and the plan only keeps the timer going until
 *     provisioning is enabled again.
 *   A busy line (D-SCH-7): wait while now < due + Forced_Resync_Delay; the
 *     host polls again when lines change, and sched_due gives the forced
 *     deadline. Forced_Resync_Delay 0 means no waiting.
 *   A false trigger (D-SCH-6): skipped and "rescheduled as if it had
 *     succeeded" in full: retry index reset, succeeded set (the periodic
 *     timer runs from then on), next periodic or daily time.
 *   Otherwise the resync runs; nothing is due until sched_done.
 *
 * Time. Deadlines are monotonic milliseconds; a daily time is converted
 * once, when planned: due = now.mono_ms + (target_wall_s - now.wall_s) *
 * 1000. A day is 86400 s of the caller's local wall time, which is already
 * offset by the time zone: no DST here, and a later step of the wall clock
 * (the first NTP answer) does not move a deadline already planned. All
 * sums are int64 and saturate at SCHED_NEVER.
 */
#include "sched.h"

#include <limits.h>
#include <time.h>
#include <openssl/rand.h>
#include <stdio.h>

#include "clock.h"

#define SCHED_DAY_S 86400             /* one day of local wall time */

/* t + ms, saturating at SCHED_NEVER. */
static int64_t
sched_add_ms(int64_t t, uint64_t ms)
{
	if (ms >= (uint64_t)INT64_MAX)
		return SCHED_NEVER;
	if (t > 0 && (int64_t)ms >= INT64_MAX - t)
		return SCHED_NEVER;
	return t + (int64_t)ms;
}

static unsigned
sched_inc(unsigned i)
{
	return i == UINT_MAX ? i : i + 1;
}

static void
sched_set(struct sched *s, int64_t due_ms, enum sched_reason reason)
{
	s->due_ms = due_ms;
	s->reason = reason;
	s->waiting = 0;
	s->wait_since_ms = SCHED_NEVER;
	s->forced_ms = SCHED_NEVER;
	s->daily = 0;
}

static void
sched_after(struct sched *s, const struct sched_now *now, uint64_t secs,
	    enum sched_reason reason)
{
	sched_set(s, sched_add_ms(now->mono_ms, secs * 1000), reason);
}

/* The random window after a Resync_At__HHmm_ time, seconds (D-SCH-4). */
static uint64_t
sched_daily_window(unsigned random_delay)
{
	if (random_delay < SCHED_DAILY_WINDOW_MIN_S)
		return SCHED_DAILY_WINDOW_MIN_S;
	return ((uint64_t)random_delay + 30 + 59) / 60 * 60;
}

/* The next daily time strictly after now, plus its random offset. */
static void
sched_daily(struct sched *s, const struct sched_conf *c,
	    const struct sched_now *now, uint64_t random)
{
	uint64_t window = sched_daily_window(c->daily_random);
	int64_t sod, delta;

	sod = now->wall_s % SCHED_DAY_S;
	if (sod < 0)
		sod += SCHED_DAY_S;
	/* 1440 and 0 are both "the next midnight"; % also tames bad input. */
	delta = (int64_t)(c->daily_minutes % 1440) * 60 - sod;
	if (delta <= 0)
		delta += SCHED_DAY_S;
	sched_after(s, now, (uint64_t)delta + random % (window + 1),
		    SCHED_PERIODIC);
	s->daily = 1;
	s->daily_minutes = c->daily_minutes;
	s->daily_window_s = window;
}

/* Plans the resync that follows a success: daily, or the next periodic
 * element, or none. Leaves succeeded and retry_i to the caller. */
static void
sched_next_ok(struct sched *s, const struct sched_conf *c,
	      const struct sched_now *now, uint64_t random)
{
	uint32_t secs;

	if (c->daily_valid) {
		sched_daily(s, c, now, random);
	} else if (delay_at(&c->periodic, s->periodic_i, random, &secs)) {
		sched_after(s, now, secs, SCHED_PERIODIC);
		s->periodic_i = sched_inc(s->periodic_i);
	} else {
		sched_set(s, SCHED_NEVER, SCHED_PERIODIC);
	}
}

static void
sched_success(struct sched *s, const struct sched_conf *c,
	      const struct sched_now *now, uint64_t random)
{
	s->succeeded = 1;
	s->retry_i = 0;
	sched_next_ok(s, c, now, random);
}

void
sched_boot(struct sched *s, const struct sched_conf *c,
	   const struct sched_now *now, uint64_t random)
{
	uint64_t max;

	*s = (struct sched){ 0 };
	s->disabled = !c->provision_enable;
	if (c->provision_enable && c->resync_on_reset) {
		max = (uint64_t)c->random_delay * SCHED_RANDOM_DELAY_UNIT_S;
		sched_after(s, now, random % (max + 1), SCHED_POWERUP);
	} else if (c->daily_valid) {
		sched_daily(s, c, now, random);
	} else {
		sched_set(s, SCHED_NEVER, SCHED_POWERUP);
	}
}

enum sched_action
sched_poll(struct sched *s, const struct sched_conf *c,
	   const struct sched_now *now, int lines_busy,
	   int (*triggers_ok)(void *arg), void *arg,
	   uint64_t random, enum sched_reason *reason)
{
	int64_t forced;

	s->disabled = !c->provision_enable;
	if (s->running || s->due_ms == SCHED_NEVER || now->mono_ms < s->due_ms)
		return SCHED_IDLE;
	if (!c->provision_enable) {
		sched_next_ok(s, c, now, random);
		return SCHED_SKIPPED;
	}
	if (lines_busy && c->forced_delay > 0) {
		forced = sched_add_ms(s->due_ms, (uint64_t)c->forced_delay * 1000);
		if (now->mono_ms < forced) {
			s->waiting = 1;
			s->wait_since_ms = s->due_ms;
			s->forced_ms = forced;
			return SCHED_WAIT;
		}
	}
	if (triggers_ok != NULL && !triggers_ok(arg)) {
		sched_success(s, c, now, random);
		return SCHED_SKIPPED;
	}
	if (reason != NULL)
		*reason = s->reason;
	sched_set(s, SCHED_NEVER, s->reason);
	s->running = 1;
	return SCHED_RUN;
}

void
sched_done(struct sched *s, const struct sched_conf *c,
	   const struct sched_now *now, int success, uint64_t random)
{
	uint32_t secs;

	s->running = 0;
	s->disabled = !c->provision_enable;
	if (success) {
		sched_success(s, c, now, random);
	} else if (delay_at(&c->retry, s->retry_i, random, &secs)) {
		sched_after(s, now, secs, SCHED_RETRY);
		s->retry_i = sched_inc(s->retry_i);
	} else if (c->daily_valid || s->succeeded) {
		sched_next_ok(s, c, now, random);
	} else {
		sched_set(s, SCHED_NEVER, SCHED_RETRY);
	}
}

int64_t
sched_due(const struct sched *s, const struct sched_conf *c)
{
	if (s->running || s->due_ms == SCHED_NEVER)
		return SCHED_NEVER;
	if (s->waiting)
		return sched_add_ms(s->due_ms, (uint64_t)c->forced_delay * 1000);
	return s->due_ms;
}

/* Whole seconds from now until t, rounded up; 0 if t has passed. */
static unsigned long long
sched_secs_until(int64_t t, int64_t now)
{
	uint64_t ms;

	if (t <= now)
		return 0;
	ms = (uint64_t)t - (uint64_t)now;
	return (unsigned long long)(ms / 1000 + (ms % 1000 != 0));
}

void
sched_explain(const struct sched *s, const struct sched_now *now,
	      char *out, size_t outlen)
{
	unsigned long long in;

	if (outlen == 0)
		return;
	if (s->running) {
		snprintf(out, outlen, "resync running");
		return;
	}
	if (s->disabled) {
		snprintf(out, outlen, "none: provisioning disabled");
		return;
	}
	if (s->due_ms == SCHED_NEVER) {
		snprintf(out, outlen, "none scheduled");
		return;
	}
	if (s->waiting) {
		snprintf(out, outlen, "waiting for idle lines (forced in %llu s)",
			 sched_secs_until(s->forced_ms, now->mono_ms));
		return;
	}
	in = sched_secs_until(s->due_ms, now->mono_ms);
	if (s->daily) {
		snprintf(out, outlen,
			 "daily resync at %02u:%02u (+ up to %llu min), in %llu s",
			 s->daily_minutes / 60, s->daily_minutes % 60,
			 (unsigned long long)(s->daily_window_s / 60), in);
		return;
	}
	switch (s->reason) {
	case SCHED_POWERUP:
		snprintf(out, outlen, "power-up resync in %llu s", in);
		break;
	case SCHED_PERIODIC:
		snprintf(out, outlen, "periodic resync in %llu s", in);
		break;
	case SCHED_RETRY:
		snprintf(out, outlen, "retry in %llu s (attempt %llu)", in,
			 (unsigned long long)s->retry_i + 1);
		break;
	default:
		snprintf(out, outlen, "resync in %llu s", in);
		break;
	}
}

/* ---- the real clock ------------------------------------------------------ */

static int64_t
real_mono_ms(void *arg)
{
	(void)arg;
	return clock_mono_ms();
}

static int64_t
real_wall_s(void *arg)
{
	(void)arg;
	return clock_local_s();
}

static uint64_t
real_random(void *arg)
{
	uint64_t r = 0;

	(void)arg;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint64_t)real_mono_ms(NULL) * 6364136223846793005ull;
	return r;
}

void
sched_clock_defaults(struct prov_clock *c)
{
	if (c->mono_ms == NULL)
		c->mono_ms = real_mono_ms;
	if (c->wall_s == NULL)
		c->wall_s = real_wall_s;
	if (c->random == NULL)
		c->random = real_random;
}
