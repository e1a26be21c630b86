/*
 * mono: the monotonic clock (CLOCK_MONOTONIC), the one reader every
 * deadline, timer and latency in the tree goes through. Wall-clock time is
 * only for schedules and timestamps (STYLE.md "Loops and time"); the
 * library's clock is injected (sched.h), and its real clock reads this.
 */
#ifndef PROV_COMMON_MONO_H
#define PROV_COMMON_MONO_H

#include <stdint.h>

/* Milliseconds since an arbitrary fixed point. */
int64_t mono_ms(void);

/* Microseconds since the same point, for latencies. */
int64_t mono_us(void);

#endif
