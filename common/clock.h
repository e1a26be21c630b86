/*
 * clock: the clocks, read in one place. The monotonic clock
 * (CLOCK_MONOTONIC) is what every deadline, timer and latency goes
 * through; wall-clock time is only for schedules and timestamps (STYLE.md
 * "Loops and time"). The library's clock is injected (sched.h), and its
 * real clock reads this.
 */
#ifndef PROV_COMMON_CLOCK_H
#define PROV_COMMON_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds since an arbitrary fixed point. */
int64_t clock_mono_ms(void);

/* Monotonic microseconds since the same point, for latencies. */
int64_t clock_mono_us(void);

/* Unix time in milliseconds (CLOCK_REALTIME), for timestamps. */
int64_t clock_wall_ms(void);

/* Local wall time in seconds: Unix time plus the zone's offset now, what
 * a device's "daily at 03:00" is measured against. */
int64_t clock_local_s(void);

#endif
