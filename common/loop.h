/*
 * loop: the small event loop the daemons and the agent share (Redis ae.h
 * is the size aimed at): epoll for file descriptors, signals as a
 * signalfd, and a min-heap of monotonic timers with a tie-break, so timers
 * due at the same millisecond fire in the order they were added.
 *
 * One iteration (loop_run):
 *   1. "now" is read once (CLOCK_MONOTONIC, ms) and cached: loop_now();
 *   2. every timer due at or before now fires, earliest first; a timer
 *      added while firing waits for the next iteration;
 *   3. epoll waits until the next timer (or forever), then each ready fd's
 *      callback runs (signals arrive as the signalfd's readiness).
 * Callbacks may add and remove fds and timers freely, and call loop_stop.
 * Single-threaded: one loop per thread.
 */
#ifndef PROV_LOOP_H
#define PROV_LOOP_H

#include <stdint.h>

#define LOOP_IN  0x1u
#define LOOP_OUT 0x2u
#define LOOP_EVENTS 64     /* epoll events taken per wait */
#define LOOP_SIGNALS 65    /* signal numbers handled (1..64) */

struct loop;

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watches fd for events (LOOP_IN | LOOP_OUT) with fn; events 0 removes
 * it. Returns 0, or -1 with errno. */
int loop_fd(struct loop *l, int fd, unsigned events,
	    void (*fn)(void *arg, int fd, unsigned events), void *arg);

/* A timer firing once at monotonic time at_ms. Returns its id (> 0), or 0
 * when out of memory. loop_timer_del of a fired or unknown id is a no-op. */
uint64_t loop_timer_add(struct loop *l, int64_t at_ms, void (*fn)(void *arg), void *arg);
void loop_timer_del(struct loop *l, uint64_t id);

/* Delivers signo through the loop (blocked for the process, read from a
 * signalfd). Returns 0, or -1 with errno. */
int loop_signal(struct loop *l, int signo, void (*fn)(void *arg, int signo), void *arg);

/* The monotonic time cached at the start of this iteration, in ms. */
int64_t loop_now(const struct loop *l);

/* Makes loop_run return after the current iteration. */
void loop_stop(struct loop *l);

/* Runs until loop_stop. Returns 0, or -1 when epoll fails. */
int loop_run(struct loop *l);

#endif
