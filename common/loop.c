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

#define LOOP_EVENTS 64     /* epoll events taken per wait */
#define LOOP_SIGNALS 65    /* signal numbers handled (1..64) */

struct loop_watch {
	int fd;
	unsigned events;
	void (*fn)(void *, int, unsigned);
	void *arg;
};

struct loop_timer {
	int64_t at_ms;
	uint64_t id;           /* also the tie-break: lower = added earlier */
	void (*fn)(void *);    /* NULL: cancelled */
	void *arg;
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
	struct loop_timer *heap;
	size_t nheap, aheap;
	uint64_t next_id;
	int64_t now;
	int stop;
};

int64_t
loop_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
	l->next_id = 1;
	l->now = loop_clock();
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

/* Heap order: earlier time first, then earlier id. */
static int
timer_less(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->at_ms < b->at_ms || (a->at_ms == b->at_ms && a->id < b->id);
}

static void
heap_up(struct loop *l, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct loop_timer t;

		if (!timer_less(&l->heap[i], &l->heap[p]))
			break;
		t = l->heap[i];
		l->heap[i] = l->heap[p];
		l->heap[p] = t;
		i = p;
	}
}

static void
heap_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;
		struct loop_timer t;

		if (c < l->nheap && timer_less(&l->heap[c], &l->heap[m]))
			m = c;
		if (c + 1 < l->nheap && timer_less(&l->heap[c + 1], &l->heap[m]))
			m = c + 1;
		if (m == i)
			break;
		t = l->heap[i];
		l->heap[i] = l->heap[m];
		l->heap[m] = t;
		i = m;
	}
}

uint64_t
loop_timer_add(struct loop *l, int64_t at_ms, void (*fn)(void *), void *arg)
{
	if (l->nheap == l->aheap) {
		size_t n = l->aheap ? l->aheap * 2 : 16;
		struct loop_timer *nh = realloc(l->heap, n * sizeof(*nh));

		if (nh == NULL)
			return 0;
		l->heap = nh;
		l->aheap = n;
	}
	l->heap[l->nheap].at_ms = at_ms;
	l->heap[l->nheap].id = l->next_id++;
	l->heap[l->nheap].fn = fn;
	l->heap[l->nheap].arg = arg;
	heap_up(l, l->nheap++);
	return l->next_id - 1;
}

void
loop_timer_del(struct loop *l, uint64_t id)
{
	/* Cancel in place; the entry is dropped when it reaches the top. A
	 * linear search is fine for the handful of timers a process keeps. */
	for (size_t i = 0; i < l->nheap; i++) {
		if (l->heap[i].id == id) {
			l->heap[i].fn = NULL;
			return;
		}
	}
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

/* Fires the timers due now; those added meanwhile wait (their id is past
 * the limit taken at the start). */
static void
loop_timers(struct loop *l)
{
	uint64_t limit = l->next_id;

	while (l->nheap > 0 && l->heap[0].at_ms <= l->now && l->heap[0].id < limit) {
		struct loop_timer t = l->heap[0];

		l->heap[0] = l->heap[--l->nheap];
		heap_down(l, 0);
		if (t.fn != NULL)
			t.fn(t.arg);
		if (l->stop)
			return;
	}
	/* Drop cancelled timers from the top so they do not shorten waits. */
	while (l->nheap > 0 && l->heap[0].fn == NULL) {
		l->heap[0] = l->heap[--l->nheap];
		heap_down(l, 0);
	}
}

int
loop_run(struct loop *l)
{
	struct epoll_event ev[LOOP_EVENTS];

	l->stop = 0;
	while (!l->stop) {
		int timeout = -1, n;

		l->now = loop_clock();
		loop_timers(l);
		if (l->stop)
			break;
		if (l->nheap > 0) {
			int64_t wait = l->heap[0].at_ms - loop_clock();

			timeout = wait <= 0 ? 0 : wait > INT32_MAX ? INT32_MAX : (int)wait;
		}
		n = epoll_wait(l->epfd, ev, LOOP_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		l->now = loop_clock();
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
