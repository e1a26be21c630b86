/*
 * loop: epoll + signalfd + a min-heap of timers. See loop.h.
 */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

struct loop_watch {
	int fd;
	unsigned events;
	void (*fn)(void *, int, unsigned);
	void *arg;
};

/* A timer lives in a slot of l->slots; the heap holds slot numbers. A
 * timer's id is (generation << 32 | slot), so a stale id (fired or
 * deleted, slot reused) is recognised, and loop_timer_del finds the timer
 * without a search: O(log n) even with a timer per connection. */
struct loop_timer {
	int64_t at_ms;
	uint64_t seq;          /* the tie-break: lower = added earlier */
	void (*fn)(void *);
	void *arg;
	uint32_t gen;          /* bumped when the slot is freed */
	uint32_t pos;          /* index in the heap; UINT32_MAX when free */
	uint32_t next_free;
};

struct loop {
	int epfd;
	int sigfd;
	sigset_t sigs;
	struct {
		void (*fn)(void *, int);
		void *arg;
	} sig[LOOP_SIGNALS];
	struct loop_watch **watch; /* indexed by fd */
	int nwatch;
	struct loop_timer *slots;
	uint32_t nslots, free_slot; /* free list head; UINT32_MAX: none */
	uint32_t *heap;            /* slot numbers, min-heap by (at_ms, seq) */
	size_t nheap;
	uint64_t next_seq;
	int64_t now;
	int stop;
};

struct loop *
loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->sigfd = -1;
	sigemptyset(&l->sigs);
	l->next_seq = 1;
	l->free_slot = UINT32_MAX;
	l->now = clock_mono_ms();
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < l->nwatch; i++)
		free(l->watch[i]);
	free(l->watch);
	free(l->heap);
	free(l->slots);
	if (l->sigfd >= 0)
		close(l->sigfd);
	close(l->epfd);
	free(l);
}

int
loop_fd(struct loop *l, int fd, unsigned events, void (*fn)(void *, int, unsigned), void *arg)
{
	struct epoll_event ev;
	struct loop_watch *w;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (fd >= l->nwatch) {
		int n = l->nwatch ? l->nwatch : 64;
		struct loop_watch **nw;

		while (n <= fd)
			n *= 2;
		nw = realloc(l->watch, (size_t)n * sizeof(*nw));
		if (nw == NULL)
			return -1;
		memset(nw + l->nwatch, 0, (size_t)(n - l->nwatch) * sizeof(*nw));
		l->watch = nw;
		l->nwatch = n;
	}
	w = l->watch[fd];
	if (events == 0) {
		if (w != NULL) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
			free(w);
			l->watch[fd] = NULL;
		}
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = ((events & LOOP_IN) ? EPOLLIN : 0) | ((events & LOOP_OUT) ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if (w == NULL) {
		w = calloc(1, sizeof(*w));
		if (w == NULL)
			return -1;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			free(w);
			return -1;
		}
		l->watch[fd] = w;
	} else if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) != 0) {
		return -1;
	}
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->arg = arg;
	return 0;
}

/* Heap order: earlier time first, then earlier added. */
static int
timer_less(const struct loop *l, uint32_t a, uint32_t b)
{
	const struct loop_timer *ta = &l->slots[a], *tb = &l->slots[b];

	return ta->at_ms < tb->at_ms || (ta->at_ms == tb->at_ms && ta->seq < tb->seq);
}

static void
heap_set(struct loop *l, size_t i, uint32_t slot)
{
	l->heap[i] = slot;
	l->slots[slot].pos = (uint32_t)i;
}

static void
heap_up(struct loop *l, size_t i)
{
	uint32_t slot = l->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!timer_less(l, slot, l->heap[p]))
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, slot);
}

static void
heap_down(struct loop *l, size_t i)
{
	uint32_t slot = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && timer_less(l, l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_less(l, l->heap[c], slot))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, slot);
}

/* Takes the timer at heap index i out of the heap and frees its slot. */
static void
heap_remove(struct loop *l, size_t i)
{
	uint32_t slot = l->heap[i];
	struct loop_timer *t = &l->slots[slot];

	l->nheap--;
	if (i < l->nheap) {
		uint32_t moved = l->heap[l->nheap];

		heap_set(l, i, moved);
		heap_down(l, i);
		heap_up(l, l->slots[moved].pos);
	}
	t->fn = NULL;
	t->pos = UINT32_MAX;
	t->gen++;
	if (t->gen == 0)
		t->gen = 1;
	t->next_free = l->free_slot;
	l->free_slot = slot;
}

uint64_t
loop_timer_add(struct loop *l, int64_t at_ms, void (*fn)(void *), void *arg)
{
	struct loop_timer *t;
	uint32_t slot;

	if (l->free_slot == UINT32_MAX) {
		uint32_t n = l->nslots ? l->nslots * 2 : 16, k;
		struct loop_timer *ns;
		uint32_t *nh;

		if (l->nslots >= UINT32_MAX / 4)
			return 0;
		ns = realloc(l->slots, n * sizeof(*ns));
		if (ns == NULL)
			return 0;
		l->slots = ns;
		nh = realloc(l->heap, n * sizeof(*nh));
		if (nh == NULL)
			return 0;
		l->heap = nh;
		for (k = n; k-- > l->nslots;) {
			ns[k].gen = 1;
			ns[k].pos = UINT32_MAX;
			ns[k].fn = NULL;
			ns[k].next_free = l->free_slot;
			l->free_slot = k;
		}
		l->nslots = n;
	}
	slot = l->free_slot;
	t = &l->slots[slot];
	l->free_slot = t->next_free;
	t->at_ms = at_ms;
	t->seq = l->next_seq++;
	t->fn = fn;
	t->arg = arg;
	l->heap[l->nheap] = slot;
	t->pos = (uint32_t)l->nheap++;
	heap_up(l, t->pos);
	return (uint64_t)t->gen << 32 | slot;
}

void
loop_timer_del(struct loop *l, uint64_t id)
{
	uint32_t slot = (uint32_t)id, gen = (uint32_t)(id >> 32);

	if (id == 0 || slot >= l->nslots || l->slots[slot].gen != gen
	    || l->slots[slot].pos == UINT32_MAX)
		return;
	heap_remove(l, l->slots[slot].pos);
}

static void
loop_sigread(void *arg, int fd, unsigned events)
{
	struct loop *l = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (signo > 0 && signo < LOOP_SIGNALS && l->sig[signo].fn != NULL)
			l->sig[signo].fn(l->sig[signo].arg, signo);
	}
}

int
loop_signal(struct loop *l, int signo, void (*fn)(void *, int), void *arg)
{
	int fd;

	if (signo <= 0 || signo >= LOOP_SIGNALS) {
		errno = EINVAL;
		return -1;
	}
	sigaddset(&l->sigs, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigs, NULL) != 0)
		return -1;
	fd = signalfd(l->sigfd, &l->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	l->sig[signo].fn = fn;
	l->sig[signo].arg = arg;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		return loop_fd(l, fd, LOOP_IN, loop_sigread, l);
	}
	return 0;
}

int64_t
loop_now(const struct loop *l)
{
	return l->now;
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
}

/* Fires the timers due now; those added meanwhile wait (their seq is past
 * the limit taken at the start). */
static void
loop_timers(struct loop *l)
{
	uint64_t limit = l->next_seq;

	while (l->nheap > 0) {
		struct loop_timer *t = &l->slots[l->heap[0]];
		void (*fn)(void *) = t->fn;
		void *arg = t->arg;

		if (t->at_ms > l->now || t->seq >= limit)
			break;
		heap_remove(l, 0);
		fn(arg);
		if (l->stop)
			return;
	}
}

int
loop_run(struct loop *l)
{
	struct epoll_event ev[LOOP_EVENTS];

	l->stop = 0;
	while (!l->stop) {
		int timeout = -1, n;

		l->now = clock_mono_ms();
		loop_timers(l);
		if (l->stop)
			break;
		if (l->nheap > 0) {
			int64_t wait = l->slots[l->heap[0]].at_ms - clock_mono_ms();

			timeout = wait <= 0 ? 0 : wait > INT32_MAX ? INT32_MAX : (int)wait;
		}
		n = epoll_wait(l->epfd, ev, LOOP_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		l->now = clock_mono_ms();
		for (int i = 0; i < n && !l->stop; i++) {
			int fd = ev[i].data.fd;
			struct loop_watch *w = fd < l->nwatch ? l->watch[fd] : NULL;
			unsigned events = 0;

			if (w == NULL)
				continue; /* removed by an earlier callback */
			if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				events |= LOOP_IN;
			if (ev[i].events & (EPOLLOUT | EPOLLERR))
				events |= LOOP_OUT;
			w->fn(w->arg, fd, events & (w->events | LOOP_IN));
		}
	}
	return 0;
}
