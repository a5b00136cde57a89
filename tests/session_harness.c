/* session_harness.c: two sessions over the simulated network (session_harness.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_harness.h"
#include "unit.h"

#define MAX_SPINS 100000
#define DGRAM_MAX 1400
#define SEND_BUF  (NATT_MAX_HANDSHAKE + DGRAM_MAX + NATT_SESSION_DATA_OVERHEAD)

static const uint8_t network_key[NATT_KEY_LEN] = {
	0x73, 0x65, 0x73, 0x73, 0x69, 0x6f, 0x6e, 0x2d, 0x68, 0x61, 0x72,
	0x6e, 0x65, 0x73, 0x73, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x6e, 0x6f,
	0x74, 0x2d, 0x61, 0x2d, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74,
};

int sh_pki(void)
{
	if (tlst_pki_dir()[0] != '\0')
		return 0;
	return tlst_make_pki();
}

double sh_median(double *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	if (n == 0)
		return 0;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct natt_session_path sh_path_of(struct sim_addr a)
{
	struct natt_session_path p;

	memset(&p, 0, sizeof(p));
	p.remote.kind = NATT_CAND_HOST;
	p.remote.family = 4;
	p.remote.port = a.port;
	for (int i = 0; i < 4; i++)
		p.remote.addr[i] = (uint8_t)(a.ip >> (24 - 8 * i));
	return p;
}

struct sim_addr sh_addr_of(const struct natt_cand *c)
{
	struct sim_addr a = {0, c->port};

	for (int i = 0; i < 4; i++)
		a.ip = a.ip << 8 | c->addr[i];
	return a;
}

int sh_init_ctx(struct sh *h, uint64_t seed, const struct natt_session_config *cfg[2],
		struct natt_tls_ctx *ctx[2])
{
	memset(h, 0, sizeof(*h));
	for (int i = 0; i < 2; i++)
		h->side[i].ctx = ctx[i];
	h->sim = sim_new(seed);
	sim_prng_seed(&h->rng, seed ^ UINT64_C(0x5e55));
	if (h->sim == NULL || natt_seal_new(&h->seal, network_key) != NATT_OK)
		goto fail;
	for (int i = 0; i < 2; i++) {
		struct sh_side *sd = &h->side[i];

		sd->addr = (struct sim_addr){SH_IP(i), SH_PORT(i)};
		sd->established_at = NATT_TIME_NEVER;
		if (natt_session_new(&sd->s, cfg != NULL ? cfg[i] : NULL,
				     i == 0 ? NATT_SESSION_CLIENT : NATT_SESSION_SERVER, h->seal,
				     sd->ctx, sim_prng_fill, &h->rng, SH_CID(i), 0) != NATT_OK)
			goto fail;
	}
	return 0;
fail:
	sh_free(h);
	return -1;
}

int sh_init(struct sh *h, uint64_t seed, const struct natt_session_config *cfg[2],
	    const struct tlst_spec *tls[2])
{
	struct natt_tls_ctx *ctx[2];

	for (int i = 0; i < 2; i++) {
		const struct tlst_spec *spec = tls != NULL ? tls[i] : NULL;

		if (spec == NULL)
			spec = i == 0 ? &tlst_client_ok : &tlst_server_ok;
		ctx[i] = tlst_ctx_for(i == 0 ? NATT_TLS_CLIENT : NATT_TLS_SERVER, spec);
	}
	return sh_init_ctx(h, seed, cfg, ctx);
}

void sh_free(struct sh *h)
{
	for (int i = 0; i < 2; i++) {
		natt_session_free(h->side[i].s);
		natt_punch_free(h->side[i].punch);
		natt_tls_ctx_free(h->side[i].ctx);
		free(h->side[i].seen);
	}
	natt_seal_free(h->seal);
	sim_free(h->sim);
	memset(h, 0, sizeof(*h));
}

void sh_start(struct sh *h, bool server_validated)
{
	for (int i = 0; i < 2; i++) {
		struct natt_session_path p = sh_path_of(h->side[1 - i].addr);

		CU_ASSERT_EQUAL(natt_session_set_path(h->side[i].s, SH_CID(1 - i), &p,
						      i == 1 && server_validated, h->now),
				NATT_OK);
	}
}

int sh_punch(struct sh *h)
{
	for (int i = 0; i < 2; i++) {
		struct sh_side *sd = &h->side[i];
		struct natt_session_path me = sh_path_of(sd->addr);
		struct natt_session_path peer = sh_path_of(h->side[1 - i].addr);

		if (natt_punch_new(&sd->punch, NULL, h->seal, sim_prng_fill, &h->rng, SH_CID(i),
				   i == 0 ? NATT_PUNCH_CONTROLLING : NATT_PUNCH_CONTROLLED) !=
			    NATT_OK ||
		    natt_punch_add_local(sd->punch, h->now, &me.remote) != NATT_OK ||
		    natt_punch_add_remote(sd->punch, h->now, &peer.remote) != NATT_OK)
			return -1;
	}
	if (natt_punch_set_peer_cid(h->side[1].punch, SH_CID(0)) != NATT_OK)
		return -1;
	for (int i = 0; i < 2; i++)
		if (natt_punch_start(h->side[i].punch, h->now) != NATT_OK)
			return -1;
	return 0;
}

int sh_link_both(struct sh *h, const struct sim_link_cfg *cfg)
{
	if (sim_set_link(h->sim, SH_IP(0), SH_IP(1), cfg) != 0)
		return -1;
	return sim_set_link(h->sim, SH_IP(1), SH_IP(0), cfg);
}

void sh_send(struct sh *h, int side, uint64_t count, size_t len)
{
	struct sh_side *r = &h->side[1 - side];

	h->side[side].sent = 0;
	r->received = 0;
	r->bad = 0;
	h->side[side].to_send = count;
	h->side[side].dgram_len = len;
	free(r->seen);
	r->seen = calloc(count / 8 + 1, 1);
	r->seen_cap = count;
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->seen);
}

/* ---- the applications ---- */

static size_t dgram_len(const struct sh_side *sd, uint64_t i)
{
	if (sd->dgram_len != 0)
		return sd->dgram_len;
	return 9 + (size_t)(i * 7919 % (DGRAM_MAX - 8));
}

static uint8_t dgram_byte(int side, uint64_t i, size_t j)
{
	uint64_t z = (i * 131 + j) * UINT64_C(0x9e3779b97f4a7c15) + (uint64_t)side;

	return (uint8_t)(z >> 56 ^ z >> 17);
}

static void fill_dgram(const struct sh_side *sd, int side, uint64_t i, uint8_t *p)
{
	size_t n = dgram_len(sd, i);

	for (int k = 0; k < 8; k++)
		p[k] = (uint8_t)(i >> (56 - 8 * k));
	for (size_t j = 8; j < n; j++)
		p[j] = dgram_byte(side, i, j);
}

/* A datagram from the peer (side 1 - side): checked byte for byte. */
static void app_receive(struct sh *h, int side, const uint8_t *p, size_t n)
{
	struct sh_side *r = &h->side[side];
	const struct sh_side *w = &h->side[1 - side];
	uint64_t i = 0;
	bool ok = n >= 8;

	for (int k = 0; k < 8 && ok; k++)
		i = i << 8 | p[k];
	ok = ok && i < r->seen_cap && n == dgram_len(w, i) && !(r->seen[i / 8] & (1u << (i % 8)));
	for (size_t j = 8; ok && j < n; j++)
		ok = p[j] == dgram_byte(1 - side, i, j);
	if (!ok) {
		r->bad++;
		return;
	}
	r->seen[i / 8] |= (uint8_t)(1u << (i % 8));
	r->received++;
}

/* ---- the network ---- */

static void drain_events(struct sh *h, int side)
{
	struct sh_side *sd = &h->side[side];
	struct natt_session_event ev;

	while (natt_session_next_event(sd->s, &ev)) {
		if (ev.type == NATT_SESSION_EV_STATE && ev.to == NATT_SESSION_ESTABLISHED)
			sd->established_at = ev.at;
		if (sd->nev < SH_EVENTS)
			sd->ev[sd->nev++] = ev;
	}
}

/* Server, before its stream counts the client validated: never more than
 * 3x the bytes it accepted (RFC 9000 8.1). */
static void check_amplification(struct sh *h, int side, const uint8_t *pkt, size_t len)
{
	struct sh_side *sd = &h->side[side];
	struct natt_session_stats st;
	double ratio;

	natt_session_get_stats(sd->s, &st);
	if (side != 1 || st.validated || pkt[0] != NATT_PT_HANDSHAKE)
		return;
	sd->amp_checked++;
	ratio = sd->accepted_bytes > 0 ? (double)(sd->bytes_out + len) / (double)sd->accepted_bytes
				       : 1e9;
	if (ratio > sd->amp_max)
		sd->amp_max = ratio;
	if (sd->bytes_out + len > 3 * sd->accepted_bytes)
		sd->amp_violations++;
}

static void emit(struct sh *h, int side, const struct natt_session_path *dst, const uint8_t *pkt,
		 size_t len)
{
	struct sh_side *sd = &h->side[side];

	check_amplification(h, side, pkt, len);
	sd->packets_out++;
	sd->bytes_out += len;
	if (h->on_packet != NULL)
		h->on_packet(h->on_packet_ctx, h, side, pkt, len);
	sim_send(h->sim, sd->addr, sh_addr_of(&dst->remote), pkt, len);
}

static void flush_punch(struct sh *h, int side, uint8_t *buf, size_t cap)
{
	struct sh_side *sd = &h->side[side];
	struct natt_session_path dst = {0};
	unsigned int sock;
	int n;

	while ((n = natt_punch_send(sd->punch, h->now, buf, cap, &dst.remote, &sock)) > 0)
		emit(h, side, &dst, buf, (size_t)n);
	if (natt_session_state(sd->s) == NATT_SESSION_NEW &&
	    natt_punch_state(sd->punch) == NATT_PUNCH_CONNECTED)
		CU_ASSERT_EQUAL(natt_session_start_punched(sd->s, sd->punch, h->now), NATT_OK);
}

static void flush(struct sh *h, int side)
{
	struct sh_side *sd = &h->side[side];
	static uint8_t buf[SEND_BUF];
	struct natt_session_path dst;
	int n;

	if (sd->punch != NULL)
		flush_punch(h, side, buf, sizeof(buf));
	while ((n = natt_session_poll_send(sd->s, h->now, buf, sizeof(buf), &dst)) > 0)
		emit(h, side, &dst, buf, (size_t)n);
	CU_ASSERT(n == 0);
	while (sd->sent < sd->to_send && natt_session_state(sd->s) == NATT_SESSION_ESTABLISHED) {
		uint8_t *payload = buf + NATT_SESSION_DATA_HEADROOM;
		size_t len = dgram_len(sd, sd->sent);

		fill_dgram(sd, side, sd->sent, payload);
		n = natt_session_send_data(sd->s, h->now, payload, len, buf, sizeof(buf), &dst);
		CU_ASSERT_EQUAL_FATAL(n, (int)(len + NATT_SESSION_DATA_OVERHEAD));
		emit(h, side, &dst, buf, (size_t)n);
		sd->sent++;
	}
	drain_events(h, side);
}

static void deliver(void *ctx, struct sim *s, struct sim_addr from, struct sim_addr to,
		    const uint8_t *data, size_t len, natt_time_t at)
{
	struct sh *h = ctx;
	int side = to.ip == SH_IP(0) ? 0 : 1;
	struct sh_side *sd = &h->side[side];
	struct natt_session_path path = sh_path_of(from);
	static uint8_t pkt[NATT_MAX_DATAGRAM];
	const uint8_t *payload = NULL;
	int n;

	(void)s;
	if (to.ip != sd->addr.ip || to.port != sd->addr.port)
		return; /* nobody there (a stale address after rebinding) */
	h->now = at;
	memcpy(pkt, data, len);
	if (sd->punch != NULL && (data[0] == NATT_PT_PROBE || data[0] == NATT_PT_PROBE_REPLY))
		n = natt_punch_recv(sd->punch, at, 0, &path.remote, pkt, len);
	else
		n = natt_session_recv(sd->s, at, &path, pkt, len, &payload);
	if (n < 0) {
		sd->refused++;
	} else {
		sd->accepted_bytes += len;
		if (n > 0)
			app_receive(h, side, payload, (size_t)n);
	}
	flush(h, side);
}

bool sh_established(const struct sh *h)
{
	for (int i = 0; i < 2; i++)
		if (h->side[i].established_at == NATT_TIME_NEVER)
			return false;
	return true;
}

bool sh_delivered(const struct sh *h)
{
	for (int i = 0; i < 2; i++)
		if (h->side[1 - i].received < h->side[i].to_send || h->side[1 - i].bad > 0)
			return false;
	return true;
}

bool sh_done(const struct sh *h)
{
	return natt_session_done(h->side[0].s) && natt_session_done(h->side[1].s);
}

bool sh_ended(const struct sh *h)
{
	for (int i = 0; i < 2; i++) {
		enum natt_session_state st = natt_session_state(h->side[i].s);

		if (st != NATT_SESSION_CLOSED && st != NATT_SESSION_FAILED)
			return false;
	}
	return true;
}

static natt_time_t next_time(const struct sh *h)
{
	natt_time_t t = sim_next_event_time(h->sim);

	for (int i = 0; i < 2; i++) {
		natt_time_t d = natt_session_deadline(h->side[i].s);

		if (d < t)
			t = d;
		if (h->side[i].punch != NULL && natt_punch_deadline(h->side[i].punch) < t)
			t = natt_punch_deadline(h->side[i].punch);
	}
	return t;
}

int sh_run(struct sh *h, natt_time_t until, bool (*done)(const struct sh *h))
{
	for (;;) {
		natt_time_t t, before = h->now;

		for (int i = 0; i < 2; i++)
			flush(h, i);
		if (done != NULL && done(h))
			return 0;
		t = next_time(h);
		if (t == NATT_TIME_NEVER)
			return 2;
		if (t > until)
			return 1;
		if (t < h->now)
			t = h->now;
		sim_deliver_due(h->sim, t, deliver, h);
		h->now = t;
		for (int i = 0; i < 2; i++) {
			struct natt_punch *p = h->side[i].punch;

			if (natt_session_deadline(h->side[i].s) <= t)
				natt_session_on_timeout(h->side[i].s, t);
			if (p != NULL && natt_punch_deadline(p) <= t)
				natt_punch_on_timeout(p, t);
		}
		h->spins = h->now == before ? h->spins + 1 : 0;
		if (h->spins > MAX_SPINS)
			return 3;
	}
}

const struct natt_session_event *sh_event(const struct sh *h, int side,
					  enum natt_session_event_type type)
{
	for (size_t i = 0; i < h->side[side].nev; i++)
		if (h->side[side].ev[i].type == type)
			return &h->side[side].ev[i];
	return NULL;
}

bool sh_close_frame(const struct sh *h, const uint8_t *pkt, size_t len, uint16_t *code,
		    char reason[NATT_MAX_REASON + 1])
{
	uint8_t buf[NATT_MAX_HANDSHAKE];
	struct natt_header hd;
	struct natt_frame f;
	int body;

	if (len > sizeof(buf) || natt_header_decode(&hd, pkt, len) != NATT_OK ||
	    hd.type != NATT_PT_HANDSHAKE)
		return false;
	memcpy(buf, pkt, len);
	body = natt_seal_open(h->seal, NATT_SEAL_HANDSHAKE, buf, hd.len, len);
	for (size_t off = 0; body > 0 && off < (size_t)body;) {
		int n = natt_frame_decode(&f, buf + hd.len + off, (size_t)body - off);

		if (n < 0)
			return false;
		off += (size_t)n;
		if (f.type == NATT_FT_CLOSE) {
			*code = f.close.code;
			memcpy(reason, f.close.reason, f.close.reason_len);
			reason[f.close.reason_len] = '\0';
			return true;
		}
	}
	return false;
}
