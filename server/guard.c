/*
 * guard: per-address miss counting and cool-down. See guard.h.
 */
#include "guard.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "log.h"
#include "metrics.h"

struct guard_slot {
	unsigned char key[16];
	int used;
	int64_t level_m;               /* misses x 1000, as of last_ms */
	int64_t last_ms;
	int64_t blocked_until;         /* monotonic ms; 0: not blocked */
};

struct guard {
	struct metrics *m;
	uint32_t seed;
	int nlocks;                    /* initialised locks, for guard_free */
	pthread_mutex_t lock[GUARD_LOCKS]; /* set i under lock[i % GUARD_LOCKS] */
	struct guard_slot slot[GUARD_SETS][GUARD_WAYS];
};

struct guard *
guard_new(struct metrics *m)
{
	pthread_mutexattr_t a;
	struct guard *g;

	/* Shared with every worker forked after this: MAP_SHARED |
	 * MAP_ANONYMOUS pages are zero-filled and stay shared across fork. */
	g = mmap(NULL, sizeof(*g), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED)
		return NULL;
	g->m = m;
	if (getrandom(&g->seed, sizeof(g->seed), 0) != (ssize_t)sizeof(g->seed))
		g->seed = (uint32_t)(uintptr_t)g ^ 0x9e3779b9u;
	if (pthread_mutexattr_init(&a) != 0)
		goto fail;
	/* Robust: a worker that dies holding a lock (a crash between two
	 * stores of a slot) leaves it to the next one, not to a deadlock. */
	if (pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) != 0) {
		pthread_mutexattr_destroy(&a);
		goto fail;
	}
	for (; g->nlocks < (int)GUARD_LOCKS; g->nlocks++)
		if (pthread_mutex_init(&g->lock[g->nlocks], &a) != 0)
			break;
	pthread_mutexattr_destroy(&a);
	if (g->nlocks == (int)GUARD_LOCKS)
		return g;
fail:
	guard_free(g);
	return NULL;
}

void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	for (int i = 0; i < g->nlocks; i++)
		pthread_mutex_destroy(&g->lock[i]);
	munmap(g, sizeof(*g));
}

/* The set of key and its lock, held on return. */
static struct guard_slot *
guard_lock(struct guard *g, const unsigned char key[16], pthread_mutex_t **lk)
{
	uint32_t h = g->seed;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	h &= GUARD_SETS - 1;
	*lk = &g->lock[h % GUARD_LOCKS];
	if (pthread_mutex_lock(*lk) == EOWNERDEAD) {
		/* Its owner died mid-update: the slots of its sets may be
		 * half-written; forgetting them costs at most one burst. */
		for (uint32_t s = h % GUARD_LOCKS; s < GUARD_SETS; s += GUARD_LOCKS)
			memset(g->slot[s], 0, sizeof(g->slot[s]));
		pthread_mutex_consistent(*lk);
	}
	return g->slot[h];
}

void
guard_key_sa(const struct sockaddr_storage *ss, unsigned char addr16[16])
{
	memset(addr16, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		addr16[10] = addr16[11] = 0xff;
		memcpy(addr16 + 12, &s4->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		memcpy(addr16, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	}
}

/* The key: IPv4-mapped whole, IPv6 by its /64. */
static void
guard_key(const unsigned char addr16[16], unsigned char key[16])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memcpy(key, addr16, 16);
	if (memcmp(addr16, mapped, sizeof(mapped)) != 0)
		memset(key + 8, 0, 8);
}

/* The slot of key in set (its lock held), created when create. */
static struct guard_slot *
guard_find(struct guard_slot *set, const unsigned char key[16], int create, int64_t now_ms,
	   const struct guard_limits *lim)
{
	struct guard_slot *best = NULL;
	int64_t best_level = INT64_MAX;

	for (unsigned w = 0; w < GUARD_WAYS; w++)
		if (set[w].used && memcmp(set[w].key, key, 16) == 0)
			return &set[w];
	if (!create)
		return NULL;
	/* The emptiest slot: unused, else drained, else the soonest free. */
	for (unsigned w = 0; w < GUARD_WAYS; w++) {
		struct guard_slot *s = &set[w];
		int64_t level;

		if (!s->used) {
			best = s;
			break;
		}
		level = s->blocked_until > now_ms ? INT64_MAX / 2 + s->blocked_until :
			s->level_m - (now_ms - s->last_ms) * (int64_t)lim->per_min / 60;
		if (level < best_level) {
			best_level = level;
			best = s;
		}
	}
	memset(best, 0, sizeof(*best));
	memcpy(best->key, key, 16);
	best->used = 1;
	best->last_ms = now_ms;
	return best;
}

int
guard_blocked(struct guard *g, const unsigned char addr16[16], int64_t now_ms,
	      const struct guard_limits *lim)
{
	unsigned char key[16];
	pthread_mutex_t *lk;
	struct guard_slot *s;
	int blocked;

	if (g == NULL || lim->burst == 0)
		return 0;
	guard_key(addr16, key);
	s = guard_find(guard_lock(g, key, &lk), key, 0, now_ms, lim);
	blocked = s != NULL && s->blocked_until > now_ms;
	pthread_mutex_unlock(lk);
	if (blocked && g->m != NULL)
		METRIC_ADD(g->m->enum_refused, 1);
	return blocked;
}

void
guard_miss(struct guard *g, const unsigned char addr16[16], int64_t now_ms,
	   const struct guard_limits *lim, const char *text)
{
	unsigned char key[16];
	pthread_mutex_t *lk;
	struct guard_slot *s;
	int64_t drained;
	int started = 0;

	if (g == NULL || lim->burst == 0)
		return;
	guard_key(addr16, key);
	s = guard_find(guard_lock(g, key, &lk), key, 1, now_ms, lim);
	drained = (now_ms - s->last_ms) * (int64_t)lim->per_min / 60;
	s->level_m = s->level_m > drained ? s->level_m - drained : 0;
	s->last_ms = now_ms;
	s->level_m += 1000;
	if (s->blocked_until <= now_ms && s->level_m > (int64_t)lim->burst * 1000) {
		s->blocked_until = now_ms + (int64_t)lim->cooldown_s * 1000;
		s->level_m = 0;
		started = 1;
	}
	pthread_mutex_unlock(lk);
	if (!started)
		return;
	if (g->m != NULL)
		METRIC_ADD(g->m->enum_blocked, 1);
	log_msg(LOG_WARNING, "enumeration: %s: more than %u misses, refused for %u s", text,
		lim->burst, lim->cooldown_s);
}
