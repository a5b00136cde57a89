/*
 * datachan.c: the DATA packets of doc/PROTOCOL.md section 7: key schedule,
 * per-packet AEAD, replay window, key epochs and keepalives.
 *
 * Every OpenSSL object is made in natt_dc_new(): one cipher context for the
 * tx epoch and three for the rx epochs (previous, current, next).  A packet
 * only sets the nonce of an existing context, so sealing and opening never
 * allocate; an epoch switch re-keys a context in place.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "datachan.h"

/* HKDF-Expand labels (PROTOCOL.md 7), ASCII without the NUL. */
#define LABEL_KEY  "natt key"
#define LABEL_IV   "natt iv"
#define LABEL_NEXT "natt next epoch"

#define DC_KEY_LEN  32 /* AES-256 and ChaCha20 */
#define DC_IV_LEN   12 /* GCM and ChaCha20-Poly1305 nonce */
#define DC_IV_FIXED 4  /* nonce bytes not touched by the counter: 0^32 */

enum { RX_SLOTS = 3 };

/* One epoch's keys in one direction. */
struct dc_key {
	EVP_CIPHER_CTX *ctx; /* keyed with key_e; only the nonce changes per packet */
	uint8_t iv[DC_IV_LEN];
	uint64_t epoch; /* full epoch number */
	bool live;	/* keys present and usable */
};

struct dc_rx_epoch {
	struct dc_key k;
	struct natt_replay replay;
	natt_time_t expires; /* as the previous epoch: end of its overlap */
};

struct natt_dc {
	struct natt_dc_config cfg;
	natt_cid_t peer_cid;  /* written into packets sent */
	natt_cid_t local_cid; /* required in packets received */
	EVP_CIPHER *cipher;
	EVP_KDF_CTX *kdf; /* HKDF, reused for every derivation */

	struct dc_key tx;
	uint8_t tx_secret[NATT_DC_SECRET_LEN]; /* S_(tx.epoch + 1) */
	uint64_t tx_counter;		       /* next counter to send */
	natt_time_t tx_first;		       /* first packet of the tx epoch */
	natt_time_t last_sent;

	struct dc_rx_epoch rx[RX_SLOTS];
	struct dc_rx_epoch *prev, *cur, *next; /* a permutation of rx[] */
	uint8_t rx_secret[NATT_DC_SECRET_LEN]; /* S of the epoch after the last derived */

	struct natt_dc_stats st;
};

static const uint8_t zero_key[DC_KEY_LEN];

const char *natt_dc_cipher_name(uint8_t cipher)
{
	switch (cipher) {
	case NATT_CIPHER_AES_256_GCM: return "AES-256-GCM";
	case NATT_CIPHER_CHACHA20_POLY1305: return "CHACHA20-POLY1305";
	}
	return NULL;
}

void natt_dc_config_default(struct natt_dc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cipher = NATT_CIPHER_AES_256_GCM;
	cfg->rekey_packets = NATT_DC_REKEY_PACKETS;
	cfg->rekey_after = NATT_DC_REKEY_AFTER;
	cfg->overlap = NATT_DC_OVERLAP;
	cfg->keepalive = NATT_DC_KEEPALIVE;
	cfg->window = NATT_DC_WINDOW;
	cfg->max_epochs = 0;
}

static bool config_valid(const struct natt_dc_config *cfg)
{
	return natt_dc_cipher_name(cfg->cipher) != NULL && cfg->rekey_packets >= 1 &&
	       cfg->rekey_packets <= NATT_DC_REKEY_PACKETS && cfg->rekey_after > 0 &&
	       cfg->keepalive > 0 && cfg->keepalive < NATT_DC_KEEPALIVE_MAX &&
	       cfg->window >= NATT_DC_WINDOW_MIN && cfg->window <= NATT_REPLAY_MAX_WINDOW;
}

/* ---- key schedule ---- */

/* HKDF-Expand(SHA-256, prk, label, len) into out. */
static int hkdf_expand(EVP_KDF_CTX *kdf, const uint8_t prk[NATT_DC_SECRET_LEN], const char *label,
		       uint8_t *out, size_t len)
{
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[5];

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	p[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)prk,
						 NATT_DC_SECRET_LEN);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label, strlen(label));
	p[4] = OSSL_PARAM_construct_end();
	EVP_KDF_CTX_reset(kdf);
	return EVP_KDF_derive(kdf, out, len, p) == 1 ? NATT_OK : NATT_ERR_CRYPTO;
}

/*
 * Derives epoch `epoch` from secret = S_epoch into k, and on success
 * replaces secret with S_(epoch + 1).  On failure secret is unchanged and
 * k is not live.
 */
static int derive_epoch(struct natt_dc *dc, uint8_t secret[NATT_DC_SECRET_LEN], struct dc_key *k,
			uint64_t epoch)
{
	uint8_t key[DC_KEY_LEN], iv[DC_IV_LEN], next[NATT_DC_SECRET_LEN];
	int rc;

	k->live = false;
	rc = hkdf_expand(dc->kdf, secret, LABEL_KEY, key, sizeof(key));
	if (rc == NATT_OK)
		rc = hkdf_expand(dc->kdf, secret, LABEL_IV, iv, sizeof(iv));
	if (rc == NATT_OK)
		rc = hkdf_expand(dc->kdf, secret, LABEL_NEXT, next, sizeof(next));
	if (rc == NATT_OK && EVP_CipherInit_ex(k->ctx, NULL, NULL, key, NULL, -1) != 1)
		rc = NATT_ERR_CRYPTO;
	if (rc == NATT_OK) {
		memcpy(k->iv, iv, DC_IV_LEN);
		memcpy(secret, next, NATT_DC_SECRET_LEN);
		k->epoch = epoch;
		k->live = true;
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	OPENSSL_cleanse(next, sizeof(next));
	return rc;
}

/* Overwrites a key no longer needed (the context keeps its allocation). */
static void forget_key(struct dc_key *k)
{
	if (k->ctx != NULL)
		EVP_CipherInit_ex(k->ctx, NULL, NULL, zero_key, NULL, -1);
	OPENSSL_cleanse(k->iv, sizeof(k->iv));
	k->live = false;
}

/* ---- per-packet AEAD ---- */

/* nonce = iv XOR (0^32 || counter), the counter big-endian (PROTOCOL.md 7). */
static void make_nonce(uint8_t nonce[DC_IV_LEN], const uint8_t iv[DC_IV_LEN], uint64_t counter)
{
	memcpy(nonce, iv, DC_IV_FIXED);
	for (int i = DC_IV_FIXED; i < DC_IV_LEN; i++)
		nonce[i] = iv[i] ^ (uint8_t)(counter >> (8 * (DC_IV_LEN - 1 - i)));
}

/*
 * Per packet: the nonce alone (the key stays scheduled in the context), AAD,
 * payload, final, tag.  The tag goes through a prepared OSSL_PARAM, because
 * EVP_CIPHER_CTX_ctrl() builds the same one behind a dispatch of its own
 * (2-3% of a 1400-byte packet with OpenSSL 3.0).  The rest is OpenSSL's
 * per-message cost (nonce init, Poly1305 key block, final), the same for
 * every EVP caller: bench_datachan's mode=aead measures it.
 */
/* Encrypts in[0, len) to out and writes the tag after it; hdr is the AAD. */
static int aead_seal(const struct dc_key *k, uint64_t counter, const uint8_t *hdr,
		     const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t nonce[DC_IV_LEN];
	OSSL_PARAM tag[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, out + len, NATT_TAG_LEN),
		OSSL_PARAM_END,
	};
	int outl;

	make_nonce(nonce, k->iv, counter);
	if (EVP_EncryptInit_ex(k->ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(k->ctx, NULL, &outl, hdr, NATT_DATA_HDR_LEN) != 1)
		return NATT_ERR_CRYPTO;
	if (len > 0 && EVP_EncryptUpdate(k->ctx, out, &outl, in, (int)len) != 1)
		return NATT_ERR_CRYPTO;
	if (EVP_EncryptFinal_ex(k->ctx, out + len, &outl) != 1 ||
	    EVP_CIPHER_CTX_get_params(k->ctx, tag) != 1)
		return NATT_ERR_CRYPTO;
	return NATT_OK;
}

/* Verifies and decrypts pkt's body in place. */
static int aead_open(const struct dc_key *k, uint64_t counter, uint8_t *pkt, size_t body_len)
{
	uint8_t nonce[DC_IV_LEN];
	uint8_t *body = pkt + NATT_DATA_HDR_LEN;
	OSSL_PARAM tag[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, body + body_len, NATT_TAG_LEN),
		OSSL_PARAM_END,
	};
	int outl;

	make_nonce(nonce, k->iv, counter);
	if (EVP_DecryptInit_ex(k->ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(k->ctx, NULL, &outl, pkt, NATT_DATA_HDR_LEN) != 1)
		return NATT_ERR_CRYPTO;
	if (body_len > 0 && EVP_DecryptUpdate(k->ctx, body, &outl, body, (int)body_len) != 1)
		return NATT_ERR_CRYPTO;
	if (EVP_CIPHER_CTX_set_params(k->ctx, tag) != 1)
		return NATT_ERR_CRYPTO;
	return EVP_DecryptFinal_ex(k->ctx, body + body_len, &outl) == 1 ? NATT_OK : NATT_ERR_AUTH;
}

/* ---- creation ---- */

static int ctx_new(struct natt_dc *dc, struct dc_key *k, int enc)
{
	k->ctx = EVP_CIPHER_CTX_new();
	if (k->ctx == NULL)
		return NATT_ERR_NOMEM;
	return EVP_CipherInit_ex(k->ctx, dc->cipher, NULL, NULL, NULL, enc) == 1 ? NATT_OK
										 : NATT_ERR_CRYPTO;
}

static int dc_init_crypto(struct natt_dc *dc)
{
	const char *name =
		dc->cfg.cipher == NATT_CIPHER_AES_256_GCM ? "AES-256-GCM" : "ChaCha20-Poly1305";
	EVP_KDF *kdf;
	int rc;

	dc->cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf != NULL)
		dc->kdf = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (dc->cipher == NULL || dc->kdf == NULL)
		return NATT_ERR_CRYPTO;
	rc = ctx_new(dc, &dc->tx, 1);
	for (int i = 0; i < RX_SLOTS && rc == NATT_OK; i++)
		rc = ctx_new(dc, &dc->rx[i].k, 0);
	return rc;
}

/* Epoch 0 for sending; epochs 0 (current) and 1 (next) for receiving. */
static int dc_init_epochs(struct natt_dc *dc, const uint8_t tx_secret[NATT_DC_SECRET_LEN],
			  const uint8_t rx_secret[NATT_DC_SECRET_LEN])
{
	int rc;

	memcpy(dc->tx_secret, tx_secret, NATT_DC_SECRET_LEN);
	memcpy(dc->rx_secret, rx_secret, NATT_DC_SECRET_LEN);
	dc->prev = &dc->rx[0];
	dc->cur = &dc->rx[1];
	dc->next = &dc->rx[2];
	for (int i = 0; i < RX_SLOTS; i++)
		natt_replay_init(&dc->rx[i].replay, dc->cfg.window);
	rc = derive_epoch(dc, dc->tx_secret, &dc->tx, 0);
	if (rc == NATT_OK)
		rc = derive_epoch(dc, dc->rx_secret, &dc->cur->k, 0);
	if (rc == NATT_OK)
		rc = derive_epoch(dc, dc->rx_secret, &dc->next->k, 1);
	return rc;
}

int natt_dc_new(struct natt_dc **out, const struct natt_dc_config *cfg,
		const uint8_t tx_secret[NATT_DC_SECRET_LEN],
		const uint8_t rx_secret[NATT_DC_SECRET_LEN], natt_cid_t peer_cid,
		natt_cid_t local_cid, natt_time_t now)
{
	struct natt_dc *dc;
	int rc;

	*out = NULL;
	if (cfg == NULL || !config_valid(cfg) || peer_cid == 0 || local_cid == 0)
		return NATT_ERR_INVALID;
	dc = OPENSSL_zalloc(sizeof(*dc));
	if (dc == NULL)
		return NATT_ERR_NOMEM;
	dc->cfg = *cfg;
	dc->peer_cid = peer_cid;
	dc->local_cid = local_cid;
	dc->last_sent = now;
	rc = dc_init_crypto(dc);
	if (rc == NATT_OK)
		rc = dc_init_epochs(dc, tx_secret, rx_secret);
	if (rc != NATT_OK) {
		natt_dc_free(dc);
		return rc;
	}
	*out = dc;
	return NATT_OK;
}

void natt_dc_free(struct natt_dc *dc)
{
	if (dc == NULL)
		return;
	EVP_CIPHER_CTX_free(dc->tx.ctx);
	for (int i = 0; i < RX_SLOTS; i++)
		EVP_CIPHER_CTX_free(dc->rx[i].k.ctx);
	EVP_KDF_CTX_free(dc->kdf);
	EVP_CIPHER_free(dc->cipher);
	OPENSSL_clear_free(dc, sizeof(*dc));
}

/* ---- sending ---- */

static bool tx_limit_reached(const struct natt_dc *dc, natt_time_t now)
{
	if (dc->tx_counter >= dc->cfg.rekey_packets)
		return true;
	/* An epoch's age counts from its first packet: an unused key has
	 * protected nothing, and switching away from it would only leave an
	 * epoch the receiver never saw. */
	return dc->tx_counter > 0 && now >= dc->tx_first &&
	       now - dc->tx_first >= dc->cfg.rekey_after;
}

/* Moves to the next tx epoch when a limit says so (or a switch failed). */
static int tx_prepare(struct natt_dc *dc, natt_time_t now)
{
	uint64_t epoch = dc->tx.epoch + 1;
	int rc;

	if (dc->tx.live && !tx_limit_reached(dc, now))
		return NATT_OK;
	if (!dc->tx.live)
		epoch = dc->tx.epoch; /* the failed switch recorded the target */
	if (dc->cfg.max_epochs != 0 && epoch >= dc->cfg.max_epochs)
		return NATT_ERR_FULL;
	rc = derive_epoch(dc, dc->tx_secret, &dc->tx, epoch);
	if (rc != NATT_OK) {
		dc->tx.epoch = epoch; /* retried on the next packet */
		return rc;
	}
	dc->tx_counter = 0;
	dc->st.tx_epochs++;
	return NATT_OK;
}

/* payload must be the in-place position or not overlap the packet. */
static bool buffers_ok(const uint8_t *payload, size_t len, const uint8_t *out)
{
	uintptr_t p = (uintptr_t)payload, o = (uintptr_t)out;

	if (len == 0 || payload == out + NATT_DATA_HDR_LEN)
		return true;
	return p + len <= o || o + len + NATT_DC_OVERHEAD <= p;
}

int natt_dc_seal(struct natt_dc *dc, natt_time_t now, const uint8_t *payload, size_t len,
		 uint8_t *out, size_t cap)
{
	struct natt_header h = {.type = NATT_PT_DATA};
	int rc;

	if (len > NATT_DC_MAX_PAYLOAD || !buffers_ok(payload, len, out))
		return NATT_ERR_INVALID;
	if (out == NULL || cap < len + NATT_DC_OVERHEAD)
		return NATT_ERR_BUFFER;
	rc = tx_prepare(dc, now);
	if (rc != NATT_OK)
		return rc;
	h.epoch = (uint8_t)dc->tx.epoch;
	h.dcid = dc->peer_cid;
	h.counter = dc->tx_counter;
	rc = natt_header_encode(out, cap, &h);
	if (rc < 0)
		return rc;
	/* The counter is spent even if OpenSSL fails half-way: a partly
	 * written packet must never share a nonce with a later one. */
	if (dc->tx_counter++ == 0)
		dc->tx_first = now;
	rc = aead_seal(&dc->tx, h.counter, out, payload, len, out + NATT_DATA_HDR_LEN);
	if (rc != NATT_OK)
		return rc;
	dc->last_sent = now;
	dc->st.tx_packets++;
	dc->st.tx_bytes += len;
	dc->st.tx_keepalives += len == 0;
	return (int)(len + NATT_DC_OVERHEAD);
}

int natt_dc_keepalive(struct natt_dc *dc, natt_time_t now, uint8_t *out, size_t cap)
{
	return natt_dc_seal(dc, now, NULL, 0, out, cap);
}

/* ---- receiving ---- */

static void rx_forget_prev(struct natt_dc *dc, natt_time_t now)
{
	if (dc->prev->k.live && now >= dc->prev->expires)
		forget_key(&dc->prev->k);
}

/* The epoch a wire epoch byte names, or NULL (NATT_ERR_EPOCH, or
 * NATT_ERR_CRYPTO if the next epoch could not be derived). */
static struct dc_rx_epoch *rx_select(struct natt_dc *dc, natt_time_t now, uint8_t wire, int *rc)
{
	uint64_t cur = dc->cur->k.epoch;

	rx_forget_prev(dc, now);
	*rc = NATT_OK;
	if (wire == (uint8_t)cur)
		return dc->cur;
	if (dc->prev->k.live && wire == (uint8_t)dc->prev->k.epoch)
		return dc->prev;
	if (wire != (uint8_t)(cur + 1)) {
		*rc = NATT_ERR_EPOCH;
		return NULL;
	}
	if (!dc->next->k.live) {
		*rc = derive_epoch(dc, dc->rx_secret, &dc->next->k, cur + 1);
		if (*rc != NATT_OK)
			return NULL;
	}
	return dc->next;
}

/* The next epoch authenticated a packet: it becomes current. */
static void rx_switch(struct natt_dc *dc, natt_time_t now)
{
	struct dc_rx_epoch *old = dc->prev;

	forget_key(&old->k);
	dc->prev = dc->cur;
	dc->prev->expires = now + dc->cfg.overlap;
	dc->cur = dc->next;
	dc->next = old;
	natt_replay_init(&old->replay, dc->cfg.window);
	/* A failure leaves next not live; rx_select() derives it later. */
	derive_epoch(dc, dc->rx_secret, &old->k, dc->cur->k.epoch + 1);
	dc->st.rx_epochs++;
}

/* Counts a drop and passes its error on. */
static int rx_drop(uint64_t *counter, int rc)
{
	(*counter)++;
	return rc;
}

static int rx_header(struct natt_dc *dc, struct natt_header *h, const uint8_t *pkt, size_t len)
{
	int rc = natt_header_decode(h, pkt, len);

	if (rc == NATT_ERR_TRUNCATED || rc == NATT_ERR_TOO_SMALL)
		return rx_drop(&dc->st.drop_truncated, rc);
	if (rc == NATT_OK && h->type != NATT_PT_DATA)
		rc = NATT_ERR_BAD_TYPE;
	if (rc != NATT_OK)
		return rx_drop(&dc->st.drop_bad_header, rc);
	if (h->dcid != dc->local_cid)
		return rx_drop(&dc->st.drop_cid, NATT_ERR_WRONG_CID);
	return NATT_OK;
}

static int rx_replay_drop(struct natt_dc *dc, int rc)
{
	if (rc == NATT_ERR_REPLAY)
		return rx_drop(&dc->st.drop_replay, rc);
	if (rc == NATT_ERR_TOO_OLD)
		return rx_drop(&dc->st.drop_too_old, rc);
	return rx_drop(&dc->st.drop_bad_header, rc);
}

static void rx_accept(struct natt_dc *dc, struct dc_rx_epoch *ep, const struct natt_header *h,
		      size_t body_len, natt_time_t now, struct natt_dc_rx_info *info)
{
	bool switched = ep == dc->next;

	natt_replay_update(&ep->replay, h->counter);
	if (switched)
		rx_switch(dc, now);
	dc->st.rx_packets++;
	dc->st.rx_bytes += body_len;
	dc->st.rx_keepalives += body_len == 0;
	if (info == NULL)
		return;
	info->epoch = ep->k.epoch;
	info->counter = h->counter;
	info->keepalive = body_len == 0;
	info->newest = ep == dc->cur && ep->replay.top == h->counter + 1;
	info->switched = switched;
}

int natt_dc_open(struct natt_dc *dc, natt_time_t now, uint8_t *pkt, size_t len,
		 struct natt_dc_rx_info *info)
{
	struct natt_header h;
	struct dc_rx_epoch *ep;
	size_t body_len;
	int rc;

	rc = rx_header(dc, &h, pkt, len);
	if (rc != NATT_OK)
		return rc;
	ep = rx_select(dc, now, h.epoch, &rc);
	if (ep == NULL)
		return rc == NATT_ERR_EPOCH ? rx_drop(&dc->st.drop_epoch, rc) : rc;
	rc = natt_replay_check(&ep->replay, h.counter);
	if (rc != NATT_OK)
		return rx_replay_drop(dc, rc);
	body_len = len - NATT_DC_OVERHEAD;
	rc = aead_open(&ep->k, h.counter, pkt, body_len);
	if (rc != NATT_OK)
		return rc == NATT_ERR_AUTH ? rx_drop(&dc->st.drop_auth, rc) : rc;
	rx_accept(dc, ep, &h, body_len, now, info);
	return (int)body_len;
}

/* ---- timers and accessors ---- */

natt_time_t natt_dc_keepalive_due(const struct natt_dc *dc)
{
	return dc->last_sent + dc->cfg.keepalive;
}

natt_time_t natt_dc_next_expiry(const struct natt_dc *dc)
{
	natt_time_t t = natt_dc_keepalive_due(dc);

	if (dc->prev->k.live && dc->prev->expires < t)
		t = dc->prev->expires;
	return t;
}

int natt_dc_handle_expiry(struct natt_dc *dc, natt_time_t now, uint8_t *out, size_t cap)
{
	rx_forget_prev(dc, now);
	if (now < natt_dc_keepalive_due(dc))
		return 0;
	return natt_dc_keepalive(dc, now, out, cap);
}

const struct natt_dc_stats *natt_dc_stats(const struct natt_dc *dc)
{
	return &dc->st;
}

uint64_t natt_dc_tx_epoch(const struct natt_dc *dc)
{
	return dc->tx.epoch;
}

uint64_t natt_dc_rx_epoch(const struct natt_dc *dc)
{
	return dc->cur->k.epoch;
}

uint64_t natt_dc_tx_counter(const struct natt_dc *dc)
{
	return dc->tx_counter;
}

bool natt_dc_auth_limit_reached(const struct natt_dc *dc)
{
	uint64_t limit = dc->cfg.cipher == NATT_CIPHER_AES_256_GCM ? NATT_DC_AUTH_LIMIT_AES_GCM
								   : NATT_DC_AUTH_LIMIT_CHACHA;

	return dc->st.drop_auth >= limit;
}
