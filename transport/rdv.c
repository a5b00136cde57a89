/*
 * rdv.c: what both sides of the rendezvous do alike: seal a message into a
 * packet and open one, through wire.h and seal.h only.
 */
#include <string.h>

#include "rdv.h"

static bool is_rdv_type(uint8_t type)
{
	return type >= NATT_PT_RDV_REGISTER && type <= NATT_PT_RDV_INTRODUCE;
}

int natt_rdv_pack(uint8_t *out, size_t cap, struct natt_seal *seal,
		  const uint8_t network_id[NATT_NETWORK_ID_LEN], const uint8_t salt[NATT_SALT_LEN],
		  const struct natt_rdv_msg *m, size_t min_body)
{
	struct natt_header h;
	int hdr, body;

	if (out == NULL || seal == NULL || !is_rdv_type(m->type))
		return NATT_ERR_INVALID;
	memset(&h, 0, sizeof(h));
	h.type = m->type;
	memcpy(h.network_id, network_id, NATT_NETWORK_ID_LEN);
	memcpy(h.salt, salt, NATT_SALT_LEN);
	hdr = natt_header_encode(out, cap, &h);
	if (hdr < 0)
		return hdr;
	body = natt_rdv_encode(out + hdr, cap - (size_t)hdr, m, min_body);
	if (body < 0)
		return body;
	if ((size_t)hdr + (size_t)body + NATT_TAG_LEN > NATT_MAX_RENDEZVOUS)
		return NATT_ERR_BUFFER;
	return natt_seal_seal(seal, NATT_SEAL_RENDEZVOUS, out, (size_t)hdr, (size_t)body, cap);
}

int natt_rdv_unpack(struct natt_rdv_msg *m, struct natt_seal *seal, const struct natt_header *h,
		    uint8_t *pkt, size_t len)
{
	int body;

	if (!is_rdv_type(h->type))
		return NATT_ERR_BAD_TYPE;
	body = natt_seal_open(seal, NATT_SEAL_RENDEZVOUS, pkt, h->len, len);
	if (body < 0)
		return body;
	return natt_rdv_decode(m, h->type, pkt + h->len, (size_t)body);
}

bool natt_rdv_same_addr(const struct natt_cand *a, const struct natt_cand *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}
