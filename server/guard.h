/*
 * guard: enumeration defence (server.md S-SEC-2, reliability.md R-ENUM).
 * Misses (answers "no such file": unknown or disabled devices, MACs not
 * the certificate's, missing files) are counted per client address, an
 * IPv6 client per /64, in a leaky bucket: each miss adds one, the bucket
 * drains at enum-miss-rate per minute. Past enum-miss-burst the address is
 * refused for enum-cooldown-s seconds (HTTP 429, TFTP error), which is
 * logged and counted in /metrics. Only misses fill the bucket, so phones
 * behind one NAT fetching their own profiles are never refused for one
 * another's successes.
 *
 * One table for all workers: made by the master before it forks them, in
 * MAP_SHARED memory, so an address's connections, which SO_REUSEPORT
 * spreads over the workers, all fill one bucket and a walker gets its
 * burst once, not once per worker. The table is fixed-size and
 * set-associative: memory does not grow with the number of addresses; a
 * new address takes the emptiest slot of its set, never one in cool-down
 * if another is free.
 *
 * Processes and threads: every access holds the set's lock, one of
 * GUARD_LOCKS process-shared robust mutexes (a worker dying with one held
 * hands it on; the sets under it are forgotten).
 */
#ifndef PROV_SERVER_GUARD_H
#define PROV_SERVER_GUARD_H

#include <stdint.h>
#include <sys/socket.h>

#define GUARD_SETS 16384u   /* sets of the address table (power of 2) */
#define GUARD_WAYS 4u       /* addresses per set: 65536 tracked in all */
#define GUARD_LOCKS 256u    /* locks striped over the sets */

struct guard;
struct metrics;

/* The limits: burst misses, then rate per minute; 0 burst turns it off. */
struct guard_limits {
	unsigned burst;
	unsigned per_min;
	unsigned cooldown_s;
};

/* A table in shared memory: create it before forking the workers that
 * share it. guard_free unmaps this process's view (NULL-safe). */
struct guard *guard_new(struct metrics *m);
void guard_free(struct guard *g);

/* The table key of an address: IPv4 (also IPv4-mapped IPv6) whole, IPv6
 * by its /64. addr16 is an IPv6 address or an IPv4-mapped one. */
void guard_key_sa(const struct sockaddr_storage *ss, unsigned char addr16[16]);

/* 1 when addr16 is in cool-down at now_ms (monotonic): refuse the
 * request (counted as refused). */
int guard_blocked(struct guard *g, const unsigned char addr16[16], int64_t now_ms,
		  const struct guard_limits *lim);

/* Counts one miss; logs and counts the start of a cool-down. text names
 * the client in the log. */
void guard_miss(struct guard *g, const unsigned char addr16[16], int64_t now_ms,
		const struct guard_limits *lim, const char *text);

#endif
