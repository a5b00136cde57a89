/*
 * loop.c: the event loop and its timers, on libevent 2.1.
 *
 * The core speaks in absolute monotonic microseconds.  The loop keeps every
 * armed natt_timer in one binary min-heap ordered by (deadline, arming
 * order) and gives libevent a single timer for the earliest deadline, so
 * timers fire in deadline order even when several are already late (a
 * busy or slow process), and never before their deadline (a libevent
 * wake-up that comes early fires nothing and re-arms).  The base uses
 * EVENT_BASE_FLAG_PRECISE_TIMER: CLOCK_MONOTONIC and timerfd on Linux,
 * not the 4 ms coarse clock and millisecond epoll timeouts.
 *
 * One expiry pass fires only timers armed before it began: a callback that
 * re-arms itself for "now" runs again in the next iteration, after I/O,
 * instead of spinning inside the pass.
 */
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "loop.h"

struct natt_loop {
	struct event_base *base;
	struct event *deadline_ev; /* ends natt_loop_run() at its deadline */
	struct event *timer_ev;	   /* at the earliest natt_timer deadline */
	struct natt_timer **heap;  /* armed timers, min-heap */
	size_t heap_n, heap_cap;
	uint64_t seq; /* arming order, breaks deadline ties */
};

struct natt_timer {
	struct natt_loop *loop;
	natt_time_t deadline; /* NATT_TIME_NEVER: not armed */
	uint64_t seq;	      /* when it was armed */
	size_t pos;	      /* index in loop->heap while armed */
	natt_timer_cb cb;
	void *arg;
};

natt_time_t natt_loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (natt_time_t)ts.tv_sec * NATT_SEC + (natt_time_t)ts.tv_nsec / 1000;
}

uint64_t natt_loop_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	natt_loop_stop(arg);
}

static void on_timers(evutil_socket_t fd, short what, void *arg);

int natt_loop_new(struct natt_loop **out, bool threads)
{
	struct event_config *cfg;
	struct natt_loop *loop;

	*out = NULL;
	if (threads && evthread_use_pthreads() != 0)
		return NATT_ERR_IO;
	loop = calloc(1, sizeof(*loop));
	cfg = event_config_new();
	if (loop == NULL || cfg == NULL) {
		free(loop);
		event_config_free(cfg);
		return NATT_ERR_NOMEM;
	}
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	loop->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (loop->base != NULL) {
		loop->deadline_ev = evtimer_new(loop->base, on_deadline, loop);
		loop->timer_ev = evtimer_new(loop->base, on_timers, loop);
	}
	if (loop->deadline_ev == NULL || loop->timer_ev == NULL) {
		natt_loop_free(loop);
		return NATT_ERR_IO;
	}
	*out = loop;
	return NATT_OK;
}

void natt_loop_free(struct natt_loop *loop)
{
	if (loop == NULL)
		return;
	if (loop->deadline_ev != NULL)
		event_free(loop->deadline_ev);
	if (loop->timer_ev != NULL)
		event_free(loop->timer_ev);
	if (loop->base != NULL)
		event_base_free(loop->base);
	free(loop->heap);
	free(loop);
}

struct event_base *natt_loop_base(struct natt_loop *loop)
{
	return loop->base;
}

/* Arms ev for the absolute instant deadline. */
static int add_at(struct event_base *base, struct event *ev, natt_time_t deadline)
{
	natt_time_t now = natt_loop_now();
	natt_time_t d = deadline > now ? deadline - now : 0;
	struct timeval tv = {.tv_sec = (time_t)(d / NATT_SEC),
			     .tv_usec = (suseconds_t)(d % NATT_SEC)};

	/* libevent adds the delay to its cached time of this iteration, which
	 * may be behind the clock just read: refresh it first. */
	event_base_update_cache_time(base);
	return evtimer_add(ev, &tv) == 0 ? NATT_OK : NATT_ERR_IO;
}

int natt_loop_run(struct natt_loop *loop, natt_time_t deadline)
{
	int rc;

	if (deadline != NATT_TIME_NEVER && add_at(loop->base, loop->deadline_ev, deadline) != 0)
		return NATT_ERR_IO;
	rc = event_base_loop(loop->base, 0);
	evtimer_del(loop->deadline_ev);
	return rc < 0 ? NATT_ERR_IO : NATT_OK;
}

int natt_loop_run_once(struct natt_loop *loop, bool block)
{
	int rc = event_base_loop(loop->base, block ? EVLOOP_ONCE : EVLOOP_NONBLOCK);

	return rc < 0 ? NATT_ERR_IO : NATT_OK;
}

void natt_loop_stop(struct natt_loop *loop)
{
	event_base_loopbreak(loop->base);
}

/* ---- the timer heap ---- */

static bool before(const struct natt_timer *a, const struct natt_timer *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_place(struct natt_loop *loop, size_t i, struct natt_timer *t)
{
	loop->heap[i] = t;
	t->pos = i;
}

static void heap_up(struct natt_loop *loop, size_t i)
{
	struct natt_timer *t = loop->heap[i];

	while (i > 0 && before(t, loop->heap[(i - 1) / 2])) {
		heap_place(loop, i, loop->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_place(loop, i, t);
}

static void heap_down(struct natt_loop *loop, size_t i)
{
	struct natt_timer *t = loop->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= loop->heap_n)
			break;
		if (c + 1 < loop->heap_n && before(loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!before(loop->heap[c], t))
			break;
		heap_place(loop, i, loop->heap[c]);
		i = c;
	}
	heap_place(loop, i, t);
}

static void heap_remove(struct natt_loop *loop, struct natt_timer *t)
{
	size_t i = t->pos;
	struct natt_timer *last = loop->heap[--loop->heap_n];

	if (i == loop->heap_n)
		return;
	heap_place(loop, i, last);
	heap_up(loop, i);
	heap_down(loop, last->pos);
}

static int heap_insert(struct natt_loop *loop, struct natt_timer *t)
{
	if (loop->heap_n == loop->heap_cap) {
		size_t cap = loop->heap_cap ? 2 * loop->heap_cap : 16;
		struct natt_timer **h = realloc(loop->heap, cap * sizeof(*h));

		if (h == NULL)
			return NATT_ERR_NOMEM;
		loop->heap = h;
		loop->heap_cap = cap;
	}
	heap_place(loop, loop->heap_n++, t);
	heap_up(loop, t->pos);
	return NATT_OK;
}

/* Points the libevent timer at the earliest deadline. */
static int rearm(struct natt_loop *loop)
{
	if (loop->heap_n == 0)
		return evtimer_del(loop->timer_ev) == 0 ? NATT_OK : NATT_ERR_IO;
	return add_at(loop->base, loop->timer_ev, loop->heap[0]->deadline);
}

/* Fires, in order, the due timers armed before this pass began. */
static void on_timers(evutil_socket_t fd, short what, void *arg)
{
	struct natt_loop *loop = arg;
	uint64_t last = loop->seq;
	natt_time_t now = natt_loop_now();

	(void)fd;
	(void)what;
	while (loop->heap_n > 0) {
		struct natt_timer *t = loop->heap[0];

		if (t->deadline > now || t->seq > last)
			break;
		heap_remove(loop, t);
		t->deadline = NATT_TIME_NEVER;
		t->cb(t->arg, now);
		now = natt_loop_now();
	}
	rearm(loop);
}

/* ---- timers ---- */

int natt_timer_new(struct natt_timer **out, struct natt_loop *loop, natt_timer_cb cb, void *arg)
{
	struct natt_timer *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL)
		return NATT_ERR_NOMEM;
	t->loop = loop;
	t->deadline = NATT_TIME_NEVER;
	t->cb = cb;
	t->arg = arg;
	*out = t;
	return NATT_OK;
}

void natt_timer_free(struct natt_timer *t)
{
	if (t == NULL)
		return;
	natt_timer_set(t, NATT_TIME_NEVER);
	free(t);
}

int natt_timer_set(struct natt_timer *t, natt_time_t deadline)
{
	struct natt_loop *loop = t->loop;
	bool was_first = t->deadline != NATT_TIME_NEVER && t->pos == 0;
	int rc = NATT_OK;

	if (t->deadline != NATT_TIME_NEVER)
		heap_remove(loop, t);
	t->deadline = deadline;
	if (deadline != NATT_TIME_NEVER) {
		t->seq = ++loop->seq;
		rc = heap_insert(loop, t);
		if (rc != NATT_OK)
			t->deadline = NATT_TIME_NEVER;
	}
	if (was_first || (t->deadline != NATT_TIME_NEVER && t->pos == 0))
		rc = rc == NATT_OK ? rearm(loop) : rc;
	return rc;
}

natt_time_t natt_timer_deadline(const struct natt_timer *t)
{
	return t->deadline;
}
