/*
 * wire_ctl.c: the control messages inside TLS (PROTOCOL.md 9): PARAMS, PING
 * and CLOSE, type-length-value on the reliable stream.  Fields go through
 * the cursors of wire_int.h.
 */
#include <string.h>

#include "wire_int.h"

/* Parameter ids inside PARAMS (9.1); id N is bit N - 1 of params.present. */
enum natt_param_id {
	PARAM_CIPHERS = 1,
	PARAM_KEEPALIVE = 2,
	PARAM_IDLE_TIMEOUT = 3,
	PARAM_MAX_DATAGRAM = 4,
};

static bool keepalive_ok(uint16_t s)
{
	return s >= 1 && s <= NATT_KEEPALIVE_MAX_S;
}

static int get_param(struct natt_ctl_msg *m, uint8_t id, const uint8_t *v, uint8_t len)
{
	unsigned bit;
	struct rd r;

	if (id < PARAM_CIPHERS || id > PARAM_MAX_DATAGRAM)
		return NATT_OK; /* unknown: ignored (9.1) */
	bit = 1u << (id - 1);	/* PARAM_x is bit NATT_PARAM_x */
	if ((m->params.present & bit) != 0)
		return NATT_ERR_BAD_VALUE; /* a parameter appears once */
	m->params.present |= bit;
	rd_init(&r, v, len);
	if (id == PARAM_CIPHERS) {
		if (len < 1 || len > NATT_MAX_CIPHERS)
			return NATT_ERR_BAD_VALUE;
		m->params.ncipher = len;
		get_bytes(&r, m->params.cipher, len);
		return NATT_OK;
	}
	if (len != 2)
		return NATT_ERR_BAD_VALUE;
	if (id == PARAM_KEEPALIVE) {
		get_u16(&r, &m->params.keepalive_s);
		return keepalive_ok(m->params.keepalive_s) ? NATT_OK : NATT_ERR_BAD_VALUE;
	}
	get_u16(&r, id == PARAM_IDLE_TIMEOUT ? &m->params.idle_timeout_s : &m->params.max_datagram);
	return NATT_OK;
}

static int get_params(struct natt_ctl_msg *m, struct rd *r)
{
	while (rd_left(r) > 0) {
		uint8_t id, len;
		const uint8_t *v;
		int rc;

		if (!get_u8(r, &id) || !get_u8(r, &len))
			return NATT_ERR_BAD_LENGTH;
		v = get_ref(r, len);
		if (v == NULL)
			return NATT_ERR_BAD_LENGTH;
		rc = get_param(m, id, v, len);
		if (rc != NATT_OK)
			return rc;
	}
	return NATT_OK;
}

static int get_ctl_close(struct natt_ctl_msg *m, struct rd *r)
{
	size_t n;

	if (!get_u16(r, &m->close.code))
		return NATT_ERR_BAD_LENGTH;
	n = rd_left(r);
	if (n > NATT_MAX_REASON)
		return NATT_ERR_BAD_LENGTH;
	m->close.reason_len = (uint8_t)n;
	get_bytes(r, m->close.reason, n);
	return printable((const uint8_t *)m->close.reason, n) ? NATT_OK : NATT_ERR_BAD_VALUE;
}

int natt_ctl_decode(struct natt_ctl_msg *m, const uint8_t *p, size_t len)
{
	struct rd r, value;
	const uint8_t *v;
	int rc = NATT_OK;

	memset(m, 0, sizeof(*m));
	rd_init(&r, p, len);
	if (!get_u8(&r, &m->type) || !get_u16(&r, &m->len))
		return NATT_ERR_TRUNCATED;
	v = get_ref(&r, m->len);
	if (v == NULL)
		return NATT_ERR_TRUNCATED;
	rd_init(&value, v, m->len);
	if (m->type == NATT_CTL_PARAMS)
		rc = get_params(m, &value);
	else if (m->type == NATT_CTL_PING)
		rc = m->len == 0 ? NATT_OK : NATT_ERR_BAD_LENGTH;
	else if (m->type == NATT_CTL_CLOSE)
		rc = get_ctl_close(m, &value);
	return rc != NATT_OK ? rc : (int)r.off;
}

#define PARAM_KNOWN                                                                                \
	(NATT_PARAM_CIPHERS | NATT_PARAM_KEEPALIVE | NATT_PARAM_IDLE_TIMEOUT |                     \
	 NATT_PARAM_MAX_DATAGRAM)

static int check_params(const struct natt_ctl_msg *m)
{
	unsigned present = m->params.present;

	if ((present & ~PARAM_KNOWN) != 0)
		return NATT_ERR_BAD_VALUE;
	if ((present & NATT_PARAM_CIPHERS) &&
	    (m->params.ncipher < 1 || m->params.ncipher > NATT_MAX_CIPHERS))
		return NATT_ERR_BAD_VALUE;
	if ((present & NATT_PARAM_KEEPALIVE) && !keepalive_ok(m->params.keepalive_s))
		return NATT_ERR_BAD_VALUE;
	return NATT_OK;
}

static int check_ctl(const struct natt_ctl_msg *m)
{
	switch (m->type) {
	case NATT_CTL_PARAMS: return check_params(m);
	case NATT_CTL_PING: return NATT_OK;
	case NATT_CTL_CLOSE:
		if (m->close.reason_len > NATT_MAX_REASON ||
		    !printable((const uint8_t *)m->close.reason, m->close.reason_len))
			return NATT_ERR_BAD_VALUE;
		return NATT_OK;
	}
	return NATT_ERR_BAD_TYPE;
}

static void put_param_u16(struct wr *w, uint8_t id, uint16_t v)
{
	put_u8(w, id);
	put_u8(w, 2);
	put_u16(w, v);
}

static void put_params(struct wr *w, const struct natt_ctl_msg *m)
{
	unsigned present = m->params.present;

	if (present & NATT_PARAM_CIPHERS) {
		put_u8(w, PARAM_CIPHERS);
		put_u8(w, m->params.ncipher);
		put_bytes(w, m->params.cipher, m->params.ncipher);
	}
	if (present & NATT_PARAM_KEEPALIVE)
		put_param_u16(w, PARAM_KEEPALIVE, m->params.keepalive_s);
	if (present & NATT_PARAM_IDLE_TIMEOUT)
		put_param_u16(w, PARAM_IDLE_TIMEOUT, m->params.idle_timeout_s);
	if (present & NATT_PARAM_MAX_DATAGRAM)
		put_param_u16(w, PARAM_MAX_DATAGRAM, m->params.max_datagram);
}

static void put_ctl_value(struct wr *w, const struct natt_ctl_msg *m)
{
	if (m->type == NATT_CTL_PARAMS) {
		put_params(w, m);
	} else if (m->type == NATT_CTL_CLOSE) {
		put_u16(w, m->close.code);
		put_bytes(w, m->close.reason, m->close.reason_len);
	}
}

int natt_ctl_encode(uint8_t *out, size_t cap, const struct natt_ctl_msg *m)
{
	int rc = check_ctl(m);
	struct wr w;
	size_t len;

	if (rc != NATT_OK)
		return rc;
	wr_measure(&w);
	put_ctl_value(&w, m);
	len = w.off;
	if (out == NULL || cap < NATT_CTL_HDR_LEN + len)
		return NATT_ERR_BUFFER;
	wr_init(&w, out, cap);
	put_u8(&w, m->type);
	put_u16(&w, (uint16_t)len);
	put_ctl_value(&w, m);
	return wr_result(&w);
}
