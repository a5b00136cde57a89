/*
 * seal.c: the outer AEAD of doc/PROTOCOL.md section 3 (key schedule 3.1,
 * per-packet sealing 3.2).
 *
 * Every OpenSSL object is created in natt_seal_new*(); sealing and opening a
 * packet only re-key the objects made there, so the per-packet path never
 * allocates.
 */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "seal.h"

#define HKDF_SALT	 "openvpn-natt v1"
#define NETWORK_ID_LABEL "natt network id"
#define HMAC_SHA256_LEN	 32
#define GCM_IV_LEN	 12

static const char *const purpose_label[NATT_SEAL_PURPOSES] = {
	[NATT_SEAL_HANDSHAKE] = "natt handshake",
	[NATT_SEAL_PROBE] = "natt probe",
	[NATT_SEAL_RENDEZVOUS] = "natt rendezvous",
	[NATT_SEAL_UNKNOWN_CID] = "natt unknown cid",
};

struct natt_seal {
	EVP_MAC_CTX *mac[NATT_SEAL_PURPOSES]; /* HMAC keyed with the purpose key; NULL = not held */
	EVP_CIPHER *cipher;		      /* AES-256-GCM */
	EVP_CIPHER_CTX *aead;		      /* re-keyed for every packet */
	uint8_t rdv_key[NATT_KEY_LEN];	      /* K_rendezvous, for export */
	uint8_t network_id[NATT_NETWORK_ID_LEN];
};

static const uint8_t zero_iv[GCM_IV_LEN];

/* HKDF-Extract(SHA-256, salt = "openvpn-natt v1", IKM = nk), then one
 * HKDF-Expand per purpose. */
static int derive_purpose_keys(const uint8_t nk[NATT_KEY_LEN],
			       uint8_t keys[NATT_SEAL_PURPOSES][NATT_KEY_LEN])
{
	uint8_t prk[HMAC_SHA256_LEN];
	int mode;
	OSSL_PARAM p[5];
	EVP_KDF *kdf;
	EVP_KDF_CTX *kctx = NULL;
	int rc = NATT_ERR_CRYPTO;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf == NULL)
		return NATT_ERR_CRYPTO;
	kctx = EVP_KDF_CTX_new(kdf);
	if (kctx == NULL)
		goto out;

	mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	p[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, HKDF_SALT,
						 sizeof(HKDF_SALT) - 1);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)nk, NATT_KEY_LEN);
	p[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, prk, sizeof(prk), p) != 1)
		goto out;

	for (int i = 0; i < NATT_SEAL_PURPOSES; i++) {
		mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
		p[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
		p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, prk, sizeof(prk));
		p[3] = OSSL_PARAM_construct_octet_string(
			OSSL_KDF_PARAM_INFO, (void *)purpose_label[i], strlen(purpose_label[i]));
		p[4] = OSSL_PARAM_construct_end();
		EVP_KDF_CTX_reset(kctx);
		if (EVP_KDF_derive(kctx, keys[i], NATT_KEY_LEN, p) != 1)
			goto out;
	}
	rc = NATT_OK;
out:
	OPENSSL_cleanse(prk, sizeof(prk));
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

static EVP_MAC_CTX *hmac_new(EVP_MAC *mac, const uint8_t key[NATT_KEY_LEN])
{
	OSSL_PARAM p[2];
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);

	if (ctx == NULL)
		return NULL;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
	p[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, NATT_KEY_LEN, p) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* HMAC-SHA256 with the key ctx was created with; ctx is reusable after. */
static int hmac(EVP_MAC_CTX *ctx, const uint8_t *msg, size_t len, uint8_t out[HMAC_SHA256_LEN])
{
	size_t outl = 0;

	if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(ctx, msg, len) != 1 ||
	    EVP_MAC_final(ctx, out, &outl, HMAC_SHA256_LEN) != 1 || outl != HMAC_SHA256_LEN)
		return NATT_ERR_CRYPTO;
	return NATT_OK;
}

/*
 * Builds the seal from the purpose keys it will hold (keys[i] NULL = not
 * held).  keys[NATT_SEAL_RENDEZVOUS] is always present.
 */
static int seal_build(struct natt_seal **out, const uint8_t *const keys[NATT_SEAL_PURPOSES])
{
	uint8_t id[HMAC_SHA256_LEN];
	struct natt_seal *s;
	EVP_MAC *mac;

	*out = NULL;
	s = OPENSSL_zalloc(sizeof(*s));
	if (s == NULL)
		return NATT_ERR_NOMEM;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		goto fail;
	for (int i = 0; i < NATT_SEAL_PURPOSES; i++) {
		if (keys[i] == NULL)
			continue;
		s->mac[i] = hmac_new(mac, keys[i]);
		if (s->mac[i] == NULL)
			goto fail;
	}
	s->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	s->aead = EVP_CIPHER_CTX_new();
	if (s->cipher == NULL || s->aead == NULL ||
	    EVP_EncryptInit_ex(s->aead, s->cipher, NULL, NULL, NULL) != 1)
		goto fail;
	memcpy(s->rdv_key, keys[NATT_SEAL_RENDEZVOUS], NATT_KEY_LEN);
	if (hmac(s->mac[NATT_SEAL_RENDEZVOUS], (const uint8_t *)NETWORK_ID_LABEL,
		 sizeof(NETWORK_ID_LABEL) - 1, id) != NATT_OK)
		goto fail;
	memcpy(s->network_id, id, NATT_NETWORK_ID_LEN);
	EVP_MAC_free(mac);
	*out = s;
	return NATT_OK;
fail:
	EVP_MAC_free(mac);
	natt_seal_free(s);
	return NATT_ERR_CRYPTO;
}

int natt_seal_new(struct natt_seal **out, const uint8_t network_key[NATT_KEY_LEN])
{
	uint8_t keys[NATT_SEAL_PURPOSES][NATT_KEY_LEN];
	const uint8_t *held[NATT_SEAL_PURPOSES];
	int rc;

	*out = NULL;
	rc = derive_purpose_keys(network_key, keys);
	if (rc == NATT_OK) {
		for (int i = 0; i < NATT_SEAL_PURPOSES; i++)
			held[i] = keys[i];
		rc = seal_build(out, held);
	}
	OPENSSL_cleanse(keys, sizeof(keys));
	return rc;
}

int natt_seal_new_rendezvous(struct natt_seal **out, const uint8_t rdv_key[NATT_KEY_LEN])
{
	const uint8_t *held[NATT_SEAL_PURPOSES] = {
		[NATT_SEAL_RENDEZVOUS] = rdv_key,
	};

	return seal_build(out, held);
}

void natt_seal_free(struct natt_seal *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < NATT_SEAL_PURPOSES; i++)
		EVP_MAC_CTX_free(s->mac[i]);
	EVP_CIPHER_CTX_free(s->aead);
	EVP_CIPHER_free(s->cipher);
	OPENSSL_clear_free(s, sizeof(*s));
}

void natt_seal_network_id(const struct natt_seal *s, uint8_t id[NATT_NETWORK_ID_LEN])
{
	memcpy(id, s->network_id, NATT_NETWORK_ID_LEN);
}

int natt_seal_rendezvous_key(const struct natt_seal *s, uint8_t key[NATT_KEY_LEN])
{
	memcpy(key, s->rdv_key, NATT_KEY_LEN);
	return NATT_OK;
}

/* Finds the HMAC context of purpose: NATT_ERR_INVALID if there is no such
 * purpose, NATT_ERR_WRONG_PURPOSE if this seal does not hold its key. */
static int purpose_mac(struct natt_seal *s, enum natt_seal_purpose purpose, EVP_MAC_CTX **ctx)
{
	if ((unsigned int)purpose >= NATT_SEAL_PURPOSES)
		return NATT_ERR_INVALID;
	*ctx = s->mac[purpose];
	return *ctx != NULL ? NATT_OK : NATT_ERR_WRONG_PURPOSE;
}

/* K_pkt = HMAC-SHA256(K_purpose, salt), salt = the header's last 16 bytes. */
static int packet_key(EVP_MAC_CTX *mac, const uint8_t *pkt, size_t hdr_len,
		      uint8_t key[HMAC_SHA256_LEN])
{
	return hmac(mac, pkt + hdr_len - NATT_SALT_LEN, NATT_SALT_LEN, key);
}

static int gcm_seal(EVP_CIPHER_CTX *c, const uint8_t key[NATT_KEY_LEN], uint8_t *pkt,
		    size_t hdr_len, size_t body_len)
{
	uint8_t *body = pkt + hdr_len;
	int outl;

	if (EVP_EncryptInit_ex(c, NULL, NULL, key, zero_iv) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &outl, pkt, (int)hdr_len) != 1)
		return NATT_ERR_CRYPTO;
	if (body_len > 0 && EVP_EncryptUpdate(c, body, &outl, body, (int)body_len) != 1)
		return NATT_ERR_CRYPTO;
	if (EVP_EncryptFinal_ex(c, body + body_len, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, NATT_TAG_LEN, body + body_len) != 1)
		return NATT_ERR_CRYPTO;
	return NATT_OK;
}

static int gcm_open(EVP_CIPHER_CTX *c, const uint8_t key[NATT_KEY_LEN], uint8_t *pkt,
		    size_t hdr_len, size_t body_len)
{
	uint8_t *body = pkt + hdr_len;
	int outl;

	if (EVP_DecryptInit_ex(c, NULL, NULL, key, zero_iv) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &outl, pkt, (int)hdr_len) != 1)
		return NATT_ERR_CRYPTO;
	if (body_len > 0 && EVP_DecryptUpdate(c, body, &outl, body, (int)body_len) != 1)
		return NATT_ERR_CRYPTO;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, NATT_TAG_LEN, body + body_len) != 1)
		return NATT_ERR_CRYPTO;
	/* The tag comparison happens here; a mismatch is the peer's fault. */
	if (EVP_DecryptFinal_ex(c, body + body_len, &outl) != 1)
		return NATT_ERR_AUTH;
	return NATT_OK;
}

int natt_seal_seal(struct natt_seal *s, enum natt_seal_purpose purpose, uint8_t *pkt,
		   size_t hdr_len, size_t body_len, size_t cap)
{
	uint8_t key[HMAC_SHA256_LEN];
	EVP_MAC_CTX *mac;
	int rc;

	rc = purpose_mac(s, purpose, &mac);
	if (rc != NATT_OK)
		return rc;
	/* The packet length must fit the int return value and OpenSSL's int lengths. */
	if (hdr_len < NATT_SALT_LEN || hdr_len > INT_MAX - NATT_TAG_LEN ||
	    body_len > INT_MAX - NATT_TAG_LEN - hdr_len)
		return NATT_ERR_INVALID;
	if (cap < hdr_len + body_len + NATT_TAG_LEN)
		return NATT_ERR_BUFFER;

	rc = packet_key(mac, pkt, hdr_len, key);
	if (rc == NATT_OK)
		rc = gcm_seal(s->aead, key, pkt, hdr_len, body_len);
	OPENSSL_cleanse(key, sizeof(key));
	return rc == NATT_OK ? (int)(hdr_len + body_len + NATT_TAG_LEN) : rc;
}

int natt_seal_open(struct natt_seal *s, enum natt_seal_purpose purpose, uint8_t *pkt,
		   size_t hdr_len, size_t pkt_len)
{
	uint8_t key[HMAC_SHA256_LEN];
	EVP_MAC_CTX *mac;
	size_t body_len;
	int rc;

	rc = purpose_mac(s, purpose, &mac);
	if (rc != NATT_OK)
		return rc;
	if (hdr_len < NATT_SALT_LEN || hdr_len > INT_MAX - NATT_TAG_LEN || pkt_len > INT_MAX)
		return NATT_ERR_INVALID;
	if (pkt_len < hdr_len + NATT_TAG_LEN)
		return NATT_ERR_TRUNCATED;
	body_len = pkt_len - hdr_len - NATT_TAG_LEN;

	rc = packet_key(mac, pkt, hdr_len, key);
	if (rc == NATT_OK)
		rc = gcm_open(s->aead, key, pkt, hdr_len, body_len);
	OPENSSL_cleanse(key, sizeof(key));
	return rc == NATT_OK ? (int)body_len : rc;
}
