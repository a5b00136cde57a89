/*
 * punch_bday.c: the birthday method, for a path between an
 * endpoint-dependent ("hard") NAT and an endpoint-independent ("easy") one.
 *
 * Hard side: from each of N extra sockets (indices 1..N, opened by the
 * caller), one probe to the easy side's srflx address every
 * NATT_PUNCH_BDAY_REOPEN, at most one per cfg.bday_open_interval.  Each
 * opens a mapping with its own random public port that lets the easy
 * side's address in.
 *
 * Easy side: probes to random ports (never the same twice) of the hard
 * side's public address, one per cfg.bday_interval, at most
 * cfg.bday_max_probes.  A probe that hits one of the N open ports reaches
 * the hard side, which answers (a PROBE_REPLY passes the easy side's NAT:
 * we sent to that address) and probes back (triggered check).  With P
 * possible ports, k random probes hit with probability
 * 1 - (1 - N/P)^k (slightly more without repetition); see punch.h.
 *
 * The hard side's replies to its openers, and the easy side's replies to
 * random probes, are matched here by probe ID.
 */
#include <stdlib.h>
#include <string.h>

#include "punch_int.h"

#define PORT_SPAN  (65536 - NATT_PUNCH_PORT_MIN)
#define RING	   256 /* easy side: random probes remembered (2.5 s at 100/s) */
#define RAND_TRIES 32  /* draws to find an untried port before accepting a repeat */

struct bday_sent {
	uint8_t id[NATT_PROBE_ID_LEN];
	natt_time_t at;
	uint16_t port;
	bool live;
};

struct punch_bday {
	enum natt_punch_bday role;
	struct natt_cand target; /* hard: the easy side's srflx; easy: the hard side's address */
	natt_time_t next;	 /* next probe */
	unsigned int sent;	 /* this run: random probes (easy), openers (hard) */
	bool done;		 /* easy: stopped after a hit or the cap */
	/* easy side */
	uint8_t tried[PORT_SPAN / 8];
	struct bday_sent ring[RING];
	unsigned int ring_pos;
	/* hard side */
	unsigned int nsock, next_sock;
	natt_time_t round_at;
	struct bday_sent opener[NATT_PUNCH_BDAY_SOCKETS + 1];
};

/* The peer's first IPv4 srflx candidate: the NAT's public side. */
static bool remote_srflx(const struct natt_punch *p, struct natt_cand *c)
{
	for (unsigned int i = 0; i < p->nremote; i++) {
		if (p->remote[i].kind == NATT_CAND_SRFLX && p->remote[i].family == 4) {
			*c = p->remote[i];
			return true;
		}
	}
	return false;
}

int natt_punch_bday_start(struct natt_punch *p, natt_time_t now, enum natt_punch_bday r)
{
	struct punch_bday *b;
	struct natt_cand t;
	char a[NATT_PUNCH_CAND_STR];

	if (!remote_srflx(p, &t))
		return NATT_ERR_INVALID;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NATT_ERR_NOMEM;
	b->role = r;
	b->target = t;
	b->next = now;
	b->nsock = p->cfg.bday_sockets;
	b->next_sock = 1;
	b->round_at = now;
	p->bday = b;
	p->bday_role = r;
	if (r == NATT_PUNCH_BDAY_HARD) {
		p->bday_sockets = b->nsock;
		natt_punch_logf(p, 3,
				"birthday method: our NAT is endpoint-dependent; "
				"opening %u ports towards %s",
				b->nsock, natt_punch_fmt_cand(&t, a, sizeof(a)));
	} else {
		natt_punch_logf(p, 3,
				"birthday method: the peer's NAT is endpoint-dependent; "
				"up to %u probes to random ports of %s",
				p->cfg.bday_max_probes, natt_punch_fmt_cand(&t, a, sizeof(a)));
	}
	return NATT_OK;
}

void natt_punch_bday_stop(struct natt_punch *p)
{
	free(p->bday);
	p->bday = NULL;
	p->bday_role = NATT_PUNCH_BDAY_OFF;
}

unsigned int natt_punch_bday_sockets(const struct natt_punch *p)
{
	return p->bday != NULL && p->bday->role == NATT_PUNCH_BDAY_HARD ? p->bday->nsock : 0;
}

natt_time_t natt_punch_bday_due(const struct natt_punch *p)
{
	const struct punch_bday *b = p->bday;

	if (b == NULL || b->done)
		return NATT_TIME_NEVER;
	if (b->role == NATT_PUNCH_BDAY_HARD && b->next_sock > b->nsock) {
		natt_time_t round = b->round_at + NATT_PUNCH_BDAY_REOPEN;

		return round > b->next ? round : b->next;
	}
	return b->next;
}

static uint16_t random_port(struct natt_punch *p, struct punch_bday *b)
{
	uint32_t off = 0;

	for (int t = 0; t < RAND_TRIES; t++) {
		uint8_t r[2];

		p->rnd(p->rnd_ctx, r, sizeof(r));
		off = ((uint32_t)r[0] << 8 | r[1]) % PORT_SPAN;
		if (!(b->tried[off / 8] & (1u << (off % 8))))
			break;
	}
	b->tried[off / 8] |= (uint8_t)(1u << (off % 8));
	return (uint16_t)(NATT_PUNCH_PORT_MIN + off);
}

static bool next_easy(struct natt_punch *p, struct punch_bday *b, natt_time_t now,
		      struct natt_cand *dst, uint8_t *id)
{
	struct bday_sent *e;

	if (b->sent >= p->cfg.bday_max_probes) {
		b->done = true;
		natt_punch_logf(p, 3, "birthday method: %u probes sent, no answer", b->sent);
		return false;
	}
	*dst = b->target;
	dst->port = random_port(p, b);
	e = &b->ring[b->ring_pos++ % RING];
	memcpy(e->id, id, NATT_PROBE_ID_LEN);
	e->at = now;
	e->port = dst->port;
	e->live = true;
	b->sent++;
	b->next = now + p->cfg.bday_interval;
	return true;
}

static void next_hard(struct natt_punch *p, struct punch_bday *b, natt_time_t now,
		      unsigned int *sock, struct natt_cand *dst, uint8_t *id)
{
	struct bday_sent *e;

	if (b->next_sock > b->nsock) { /* a new round */
		b->next_sock = 1;
		b->round_at = now;
	}
	*sock = b->next_sock++;
	*dst = b->target;
	e = &b->opener[*sock];
	memcpy(e->id, id, NATT_PROBE_ID_LEN);
	e->at = now;
	e->live = true;
	b->sent++;
	b->next = now + p->cfg.bday_open_interval;
}

bool natt_punch_bday_next(struct natt_punch *p, natt_time_t now, unsigned int *sock,
			  struct natt_cand *dst, uint8_t id[NATT_PROBE_ID_LEN])
{
	struct punch_bday *b = p->bday;

	if (natt_punch_bday_due(p) > now)
		return false;
	p->rnd(p->rnd_ctx, id, NATT_PROBE_ID_LEN);
	if (b->role == NATT_PUNCH_BDAY_HARD) {
		next_hard(p, b, now, sock, dst, id);
		return true;
	}
	*sock = 0;
	return next_easy(p, b, now, dst, id);
}

bool natt_punch_bday_match(struct natt_punch *p, unsigned int sock, const struct natt_cand *from,
			   const uint8_t id[NATT_PROBE_ID_LEN], natt_time_t *sent_at)
{
	struct punch_bday *b = p->bday;
	struct bday_sent *e;

	if (b == NULL || from->family != 4 || memcmp(from->addr, b->target.addr, 4) != 0)
		return false;
	if (b->role == NATT_PUNCH_BDAY_HARD) {
		if (sock == 0 || sock > b->nsock || from->port != b->target.port)
			return false;
		e = &b->opener[sock];
		if (!e->live || memcmp(e->id, id, NATT_PROBE_ID_LEN) != 0)
			return false;
		e->live = false;
		*sent_at = e->at;
		return true;
	}
	if (sock != 0)
		return false;
	for (unsigned int i = 0; i < RING; i++) {
		e = &b->ring[i];
		if (e->live && e->port == from->port && memcmp(e->id, id, NATT_PROBE_ID_LEN) == 0) {
			e->live = false;
			*sent_at = e->at;
			b->done = true; /* found: stop spraying */
			return true;
		}
	}
	return false;
}
