/*
 * flow.c: the flow table and the endpoint set, both open-addressing hash
 * tables sized at creation (flow.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define ENDPOINTS_PER_FLOW 4 /* endpoint set bound, per flow of the flow bound */

struct ins_flows {
	int port;
	size_t max_flows;
	struct ins_flow **flow; /* by id - 1 */
	size_t nflow;
	uint32_t *slot; /* flow table: id, 0 = empty */
	size_t nslot;
	struct ins_endpoint *ep; /* endpoint set; port 0 = empty */
	size_t nep, ep_used, ep_max;
	uint64_t untracked;
};

const char *ins_ptype_name(int t)
{
	static const char *const names[INS_T_COUNT] = {
		[INS_T_HANDSHAKE] = "HANDSHAKE",
		[INS_T_PROBE] = "PROBE",
		[INS_T_PROBE_REPLY] = "PROBE_REPLY",
		[INS_T_UNKNOWN_CID] = "UNKNOWN_CID",
		[INS_T_RDV_REGISTER] = "RDV_REGISTER",
		[INS_T_RDV_REGISTER_ACK] = "RDV_REGISTER_ACK",
		[INS_T_RDV_LOOKUP] = "RDV_LOOKUP",
		[INS_T_RDV_LOOKUP_REPLY] = "RDV_LOOKUP_REPLY",
		[INS_T_RDV_INTRODUCE] = "RDV_INTRODUCE",
		[INS_T_DATA] = "DATA",
		[INS_T_STUN] = "STUN",
		[INS_T_OPENVPN] = "OPENVPN",
		[INS_T_INVALID] = "INVALID",
		[INS_T_OTHER] = "OTHER",
	};

	return t >= 0 && t < INS_T_COUNT ? names[t] : "OTHER";
}

int ins_ptype_of(const struct ins_pkt *p)
{
	if (p->cls == NATT_CLASS_STUN)
		return INS_T_STUN;
	if (p->cls == NATT_CLASS_OPENVPN)
		return INS_T_OPENVPN;
	if (p->cls == NATT_CLASS_UNKNOWN)
		return INS_T_OTHER;
	if (p->hdr_rc != NATT_OK)
		return INS_T_INVALID;
	switch (p->h.type) {
	case NATT_PT_HANDSHAKE: return INS_T_HANDSHAKE;
	case NATT_PT_PROBE: return INS_T_PROBE;
	case NATT_PT_PROBE_REPLY: return INS_T_PROBE_REPLY;
	case NATT_PT_UNKNOWN_CID: return INS_T_UNKNOWN_CID;
	case NATT_PT_RDV_REGISTER: return INS_T_RDV_REGISTER;
	case NATT_PT_RDV_REGISTER_ACK: return INS_T_RDV_REGISTER_ACK;
	case NATT_PT_RDV_LOOKUP: return INS_T_RDV_LOOKUP;
	case NATT_PT_RDV_LOOKUP_REPLY: return INS_T_RDV_LOOKUP_REPLY;
	case NATT_PT_RDV_INTRODUCE: return INS_T_RDV_INTRODUCE;
	case NATT_PT_DATA: return INS_T_DATA;
	}
	return INS_T_INVALID;
}

const char *ins_endpoint_str(const struct ins_endpoint *e, char *buf, size_t len)
{
	char a[64];

	ins_addr_str(&e->addr, a, sizeof(a));
	snprintf(buf, len, e->addr.family == 6 ? "[%s]:%u" : "%s:%u", a, e->port);
	return buf;
}

static size_t pow2_at_least(size_t n)
{
	size_t c = 16;

	while (c < n)
		c *= 2;
	return c;
}

struct ins_flows *ins_flows_new(size_t max_flows, int port)
{
	struct ins_flows *f;

	if (max_flows == 0 || max_flows > UINT32_MAX / 4)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->port = port;
	f->max_flows = max_flows;
	f->nslot = pow2_at_least(2 * max_flows);
	f->ep_max = ENDPOINTS_PER_FLOW * max_flows;
	f->nep = pow2_at_least(2 * f->ep_max);
	f->flow = calloc(max_flows, sizeof(*f->flow));
	f->slot = calloc(f->nslot, sizeof(*f->slot));
	f->ep = calloc(f->nep, sizeof(*f->ep));
	if (f->flow == NULL || f->slot == NULL || f->ep == NULL) {
		ins_flows_free(f);
		return NULL;
	}
	return f;
}

void ins_flows_free(struct ins_flows *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; f->flow != NULL && i < f->nflow; i++)
		free(f->flow[i]);
	free(f->flow);
	free(f->slot);
	free(f->ep);
	free(f);
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(0x100000001b3);
	return h;
}

static uint64_t ep_hash(const struct ins_endpoint *e)
{
	uint64_t h = mix(UINT64_C(0xcbf29ce484222325), e->addr.a, e->addr.family == 4 ? 4 : 16);

	return mix(h, &e->port, sizeof(e->port)) ^ e->addr.family;
}

static bool ep_equal(const struct ins_endpoint *x, const struct ins_endpoint *y)
{
	return x->port == y->port && ins_addr_equal(&x->addr, &y->addr);
}

static void endpoints_of(const struct ins_pkt *p, struct ins_endpoint *src,
			 struct ins_endpoint *dst)
{
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	src->addr = p->udp.src;
	src->port = p->udp.sport;
	dst->addr = p->udp.dst;
	dst->port = p->udp.dport;
}

/* The slot of e in the endpoint set: where it is, or the free one to use. */
static struct ins_endpoint *ep_slot(const struct ins_flows *f, const struct ins_endpoint *e)
{
	size_t i = (size_t)ep_hash(e) & (f->nep - 1);

	for (;; i = (i + 1) & (f->nep - 1))
		if (f->ep[i].port == 0 || ep_equal(&f->ep[i], e))
			return &f->ep[i];
}

static void ep_mark(struct ins_flows *f, const struct ins_endpoint *e)
{
	struct ins_endpoint *s;

	if (e->port == 0 || f->ep_used >= f->ep_max)
		return;
	s = ep_slot(f, e);
	if (s->port == 0) {
		*s = *e;
		f->ep_used++;
	}
}

static bool ep_known(const struct ins_flows *f, const struct ins_endpoint *e)
{
	return e->port != 0 && ep_slot(f, e)->port != 0;
}

bool ins_flows_claim(struct ins_flows *f, const struct ins_pkt *p)
{
	struct ins_endpoint src, dst;

	if (f->port > 0)
		return p->udp.sport == f->port || p->udp.dport == f->port;
	endpoints_of(p, &src, &dst);
	if (p->hdr_rc == NATT_OK) {
		ep_mark(f, &src);
		ep_mark(f, &dst);
		return true;
	}
	return ep_known(f, &src) || ep_known(f, &dst);
}

static uint64_t pair_hash(const struct ins_endpoint *x, const struct ins_endpoint *y)
{
	return ep_hash(x) ^ ep_hash(y); /* symmetric: one flow for both directions */
}

struct ins_flow *ins_flows_get(struct ins_flows *f, const struct ins_pkt *p, uint8_t *dir)
{
	struct ins_endpoint src, dst;
	struct ins_flow *fl;
	size_t i;

	endpoints_of(p, &src, &dst);
	i = (size_t)pair_hash(&src, &dst) & (f->nslot - 1);
	for (; f->slot[i] != 0; i = (i + 1) & (f->nslot - 1)) {
		fl = f->flow[f->slot[i] - 1];
		if (ep_equal(&fl->ep[0], &src) && ep_equal(&fl->ep[1], &dst)) {
			*dir = 0;
			return fl;
		}
		if (ep_equal(&fl->ep[0], &dst) && ep_equal(&fl->ep[1], &src)) {
			*dir = 1;
			return fl;
		}
	}
	if (f->nflow == f->max_flows || (fl = calloc(1, sizeof(*fl))) == NULL) {
		f->untracked++;
		return NULL;
	}
	fl->id = (uint32_t)++f->nflow;
	fl->ep[0] = src;
	fl->ep[1] = dst;
	fl->first = p->ts;
	ins_samples_init(&fl->rtt);
	ins_samples_init(&fl->d[0].keepalive_iv);
	ins_samples_init(&fl->d[1].keepalive_iv);
	f->flow[fl->id - 1] = fl;
	f->slot[i] = fl->id;
	*dir = 0;
	return fl;
}

size_t ins_flows_count(const struct ins_flows *f)
{
	return f->nflow;
}

struct ins_flow *ins_flows_at(const struct ins_flows *f, size_t i)
{
	return i < f->nflow ? f->flow[i] : NULL;
}

struct ins_flow *ins_flows_by_id(const struct ins_flows *f, uint32_t id)
{
	return id >= 1 && id <= f->nflow ? f->flow[id - 1] : NULL;
}

uint64_t ins_flows_untracked(const struct ins_flows *f)
{
	return f->untracked;
}
