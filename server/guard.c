/*
 * guard: per-address miss counting and cool-down. See guard.h.
 */
#include "guard.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

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
	struct guard_slot slot[GUARD_SETS][GUARD_WAYS];
};

struct guard *
guard_new(struct metrics *m)
{
	struct guard *g = calloc(1, sizeof(*g));

	if (g != NULL) {
		g->m = m;
		g->seed = (uint32_t)(uintptr_t)g ^ 0x9e3779b9u;
	}
	return g;
}

void
guard_free(struct guard *g)
{
	free(g);
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

static struct guard_slot *
guard_find(struct guard *g, const unsigned char addr16[16], int create, int64_t now_ms,
	   const struct guard_limits *lim)
{
	unsigned char key[16];
	uint32_t h = g->seed;
	struct guard_slot *set, *best = NULL;
	int64_t best_level = INT64_MAX;

	guard_key(addr16, key);
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	set = g->slot[h & (GUARD_SETS - 1)];
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
	struct guard_slot *s;

	if (g == NULL || lim->burst == 0)
		return 0;
	s = guard_find(g, addr16, 0, now_ms, lim);
	if (s == NULL || s->blocked_until <= now_ms)
		return 0;
	if (g->m != NULL)
		METRIC_ADD(g->m->enum_refused, 1);
	return 1;
}

void
guard_miss(struct guard *g, const unsigned char addr16[16], int64_t now_ms,
	   const struct guard_limits *lim, const char *text)
{
	struct guard_slot *s;
	int64_t drained;

	if (g == NULL || lim->burst == 0)
		return;
	s = guard_find(g, addr16, 1, now_ms, lim);
	drained = (now_ms - s->last_ms) * (int64_t)lim->per_min / 60;
	s->level_m = s->level_m > drained ? s->level_m - drained : 0;
	s->last_ms = now_ms;
	s->level_m += 1000;
	if (s->blocked_until > now_ms || s->level_m <= (int64_t)lim->burst * 1000)
		return;
	s->blocked_until = now_ms + (int64_t)lim->cooldown_s * 1000;
	s->level_m = 0;
	if (g->m != NULL)
		METRIC_ADD(g->m->enum_blocked, 1);
	log_msg(LOG_WARNING, "enumeration: %s: more than %u misses, refused for %u s", text,
		lim->burst, lim->cooldown_s);
}
