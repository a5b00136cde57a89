/*
 * test_tls_auth.c: who a TLS session accepts (transport/tls_verify.c) and
 * which configurations it refuses (transport/tls_ctx.c).  Every refusal is
 * checked on both sides: the judge reports the precise reason, the judged
 * side the peer's alert.  The PKI is the one test_tls.c makes
 * (tests/pki/make-pki.sh documents each certificate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "tls_harness.h"
#include "unit.h"

/* ---- authentication successes ---- */

static void test_pins_match(void)
{
	char fp_server[NATT_TLS_FP_HEX_LEN], fp_client[NATT_TLS_FP_HEX_LEN];
	struct tlst_spec c = tlst_client_ok, s = tlst_server_ok;

	tlst_fp_text("server", true, fp_server, sizeof(fp_server));  /* AB:CD:.. */
	tlst_fp_text("client", false, fp_client, sizeof(fp_client)); /* abcd.. */
	CU_ASSERT_EQUAL(strlen(fp_client), 64);
	c.pin = fp_server;
	s.pin = fp_client;
	tlst_expect_ok(&c, &s); /* CA and pin */
	c.no_ca = s.no_ca = true;
	tlst_expect_ok(&c, &s); /* pins only, as OpenVPN's peer-fingerprint */
	c.id = "client-rogue";	/* another CA: irrelevant when trusting by pin */
	tlst_fp_text("client-rogue", false, fp_client, sizeof(fp_client));
	tlst_expect_ok(&c, &s);
	c.id = "client-expired"; /* so are validity dates, as in OpenVPN */
	tlst_fp_text("client-expired", false, fp_client, sizeof(fp_client));
	tlst_expect_ok(&c, &s);
}

static void test_names_match(void)
{
	struct tlst_spec c = tlst_client_ok, s = tlst_server_ok;

	c.name = "vpn.natt.test"; /* SAN DNS */
	tlst_expect_ok(&c, &s);
	c.name = "VPN.natt.test"; /* DNS names compare without case */
	tlst_expect_ok(&c, &s);
	c.name = "server"; /* CN exactly, verify-x509-name NAME name */
	tlst_expect_ok(&c, &s);
	s.name = "client";
	tlst_expect_ok(&c, &s);
}

static void test_chain_in_cert_file(void)
{
	struct tlst_spec c = {.id = "client-chain"}, s = tlst_server_ok;
	struct tlst_pair p;

	s.name = "client-chain";
	tlst_pair_open(&p, &c, &s, TLST_CHUNK_MAX);
	tlst_assert_established(&p);
	CU_ASSERT_STRING_EQUAL(natt_tls_peer_name(p.s), "client-chain");
	tlst_pair_close(&p);
}

static void test_any_peer_eku(void)
{
	struct tlst_spec c = {.id = "client-noeku"}, s = tlst_server_ok;

	s.any_eku = true;
	tlst_expect_ok(&c, &s);
	c.id = "client-noku";
	tlst_expect_ok(&c, &s);
}

/* verify_time replaces the system clock for validity, both ways. */
static void test_verify_time(void)
{
	struct tlst_spec c = {.id = "client-expired"}, s = tlst_server_ok;

	s.vtime = 1591000000; /* 2020-06-01 */
	tlst_expect_ok(&c, &s);
	c.id = "client-future";
	s.vtime = 4068000000; /* 2098-11-28 */
	tlst_expect_ok(&c, &s);
}

/* ---- authentication failures ---- */

/* Runs a handshake that the judge must refuse with want; the judged side
 * must then fail with the peer's alert, whose text contains alert. */
static void test_expired(void)
{
	struct tlst_spec c = {.id = "client-expired"}, s = tlst_server_ok;
	struct tlst_pair p;
	const char *d;

	tlst_expect_refusal(&c, &s, true, NATT_TLS_R_EXPIRED, "certificate expired");
	tlst_pair_open(&p, &c, &s, TLST_CHUNK_MAX);
	natt_tls_failure(p.s, &d);
	CU_ASSERT_PTR_NOT_NULL(strstr(d, "CN=client-expired"));
	CU_ASSERT_PTR_NOT_NULL(strstr(d, "notAfter Jan  1 00:00:00 2021 GMT"));
	CU_ASSERT_STRING_EQUAL(natt_tls_peer_name(p.s), "client-expired"); /* for the log */
	tlst_pair_close(&p);
	s.vtime = 1900000000; /* 2030 by a fixed clock: expired too */
	tlst_expect_refusal(&c, &s, true, NATT_TLS_R_EXPIRED, "certificate expired");
}

static void test_not_yet_valid(void)
{
	struct tlst_spec c = {.id = "client-future"}, s = tlst_server_ok;

	tlst_expect_refusal(&c, &s, true, NATT_TLS_R_NOT_YET_VALID, NULL);
	/* the client checks the server too: 1999-12-31, before every notBefore */
	c = tlst_client_ok;
	c.vtime = 946684700;
	tlst_expect_refusal(&c, &s, false, NATT_TLS_R_NOT_YET_VALID, NULL);
}

static void test_unknown_ca(void)
{
	struct tlst_spec c = {.id = "client-rogue"};

	tlst_expect_refusal(&c, &tlst_server_ok, true, NATT_TLS_R_UNKNOWN_CA, "unknown CA");
	/* a client that trusts only another CA refuses the server */
	c = tlst_client_ok;
	c.ca = "other-ca";
	tlst_expect_refusal(&c, &tlst_server_ok, false, NATT_TLS_R_UNKNOWN_CA, "unknown CA");
	/* the intermediate alone is not a trust anchor for a leaf of the root */
	c.ca = "inter";
	tlst_expect_refusal(&c, &tlst_server_ok, false, NATT_TLS_R_UNKNOWN_CA, NULL);
}

static void test_name_mismatch(void)
{
	struct tlst_spec c = tlst_client_ok, s = tlst_server_ok;

	c.name = "other.natt.test";
	tlst_expect_refusal(&c, &s, false, NATT_TLS_R_NAME_MISMATCH, NULL);
	c.name = "Server"; /* the CN compares exactly */
	tlst_expect_refusal(&c, &s, false, NATT_TLS_R_NAME_MISMATCH, NULL);
	c.name = "natt.test"; /* no suffix match */
	tlst_expect_refusal(&c, &s, false, NATT_TLS_R_NAME_MISMATCH, NULL);
	c.name = NULL;
	s.name = "someone-else";
	tlst_expect_refusal(&c, &s, true, NATT_TLS_R_NAME_MISMATCH, NULL);
}

static void test_pin_mismatch(void)
{
	char fp_client[NATT_TLS_FP_HEX_LEN];
	struct tlst_spec c = tlst_client_ok, s = tlst_server_ok;

	tlst_fp_text("client", true, fp_client, sizeof(fp_client));
	c.pin = fp_client; /* the client pins the wrong certificate for the server */
	tlst_expect_refusal(&c, &s, false, NATT_TLS_R_PIN_MISMATCH, NULL);
	c.no_ca = true; /* pins only: still refused */
	tlst_expect_refusal(&c, &s, false, NATT_TLS_R_PIN_MISMATCH, NULL);
	c = tlst_client_ok;
	tlst_fp_text("server", false, fp_client, sizeof(fp_client));
	s.pin = fp_client;
	tlst_expect_refusal(&c, &s, true, NATT_TLS_R_PIN_MISMATCH, NULL);
}

static void test_wrong_key_usage(void)
{
	struct tlst_spec c = {.id = "client-noeku"};
	struct tlst_spec s = {.id = "client"};	/* a client certificate used by a server */
	struct tlst_spec c2 = {.id = "server"}; /* and a server certificate by a client */
	struct tlst_spec c3 = tlst_client_ok;
	char pin[NATT_TLS_FP_HEX_LEN];

	tlst_expect_refusal(&c, &tlst_server_ok, true, NATT_TLS_R_BAD_KEY_USAGE, NULL);
	c.id = "client-noku"; /* remote-cert-tls wants a key usage extension */
	tlst_expect_refusal(&c, &tlst_server_ok, true, NATT_TLS_R_BAD_KEY_USAGE, NULL);
	tlst_expect_refusal(&tlst_client_ok, &s, false, NATT_TLS_R_BAD_KEY_USAGE, NULL);
	tlst_expect_refusal(&c2, &tlst_server_ok, true, NATT_TLS_R_BAD_KEY_USAGE, NULL);
	/* trusting by pin only does not lift remote-cert-tls */
	c3.no_ca = true;
	tlst_fp_text("client", false, pin, sizeof(pin));
	c3.pin = pin;
	tlst_expect_refusal(&c3, &s, false, NATT_TLS_R_BAD_KEY_USAGE, NULL);
	/* an EKU that excludes the role is refused whatever the flag */
	c2.any_eku = true;
	tlst_expect_refusal(&c2, &(struct tlst_spec){.id = "server", .any_eku = true}, true,
			    NATT_TLS_R_BAD_KEY_USAGE, NULL);
}

static void test_no_peer_cert(void)
{
	struct natt_tls_ctx *sc = tlst_ctx_for(NATT_TLS_SERVER, &tlst_server_ok);
	struct natt_tls *t = NULL;
	struct tlst_raw r;
	const char *d;

	tlst_raw_open(&r, false, TLS1_3_VERSION, NULL);
	CU_ASSERT_EQUAL_FATAL(natt_tls_new(&t, sc), NATT_OK);
	tlst_raw_converse(&r, t);
	CU_ASSERT_EQUAL(natt_tls_state(t), NATT_TLS_FAILED);
	CU_ASSERT_EQUAL(natt_tls_failure(t, &d), NATT_TLS_R_NO_PEER_CERT);
	CU_ASSERT_STRING_EQUAL(natt_tls_peer_name(t), "");
	natt_tls_free(t);
	natt_tls_ctx_free(sc);
	tlst_raw_close(&r);
}

/* ---- configuration errors ---- */

static int try_ctx(const struct natt_tls_config *cfg, char *err, size_t errlen)
{
	struct natt_tls_ctx *c = NULL;
	int rc = natt_tls_ctx_new(&c, NATT_TLS_CLIENT, cfg, err, errlen);

	CU_ASSERT((rc == NATT_OK) == (c != NULL));
	natt_tls_ctx_free(c);
	return rc;
}

static struct natt_tls_config base_config(void)
{
	struct natt_tls_config cfg = {0};

	cfg.ca_file = tlst_pki("ca", ".crt");
	cfg.cert_file = tlst_pki("client", ".crt");
	cfg.key_file = tlst_pki("client", ".key");
	return cfg;
}

static void test_config_files(void)
{
	struct natt_tls_config cfg = base_config();
	char err[256];
	FILE *f;

	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_OK);
	cfg.key_file = tlst_pki("server", ".key");
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not match"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "server.key"));

	cfg = base_config();
	cfg.ca_file = tlst_pki("missing", ".crt");
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, tlst_pki("missing", ".crt")));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file or directory"));

	cfg = base_config();
	cfg.ca_file = "/dev/zero"; /* endless */
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/dev/zero: larger than"));

	cfg = base_config();
	cfg.cert_file = tlst_pki_dir(); /* a directory */
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Is a directory"));

	cfg = base_config();
	cfg.cert_file = tlst_pki("client", ".key"); /* a key where a certificate belongs */
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no PEM certificate"));

	cfg = base_config();
	f = fopen(tlst_pki("broken", ".crt"), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	cfg.ca_file = tlst_pki("broken", ".crt");
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "broken.crt: malformed certificate after 0 good ones"));

	cfg = base_config();
	cfg.key_file = tlst_pki("client", ".crt");
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no PEM private key"));
}

static void test_config_encrypted_key(void)
{
	struct natt_tls_config cfg = base_config();
	const char *path = tlst_pki("client-encrypted", ".key");
	EVP_PKEY *key;
	FILE *f = fopen(tlst_pki("client", ".key"), "r");
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(PEM_write_PKCS8PrivateKey(f, key, EVP_aes_256_cbc(), NULL, 0, NULL,
						  (void *)"secret"),
			1);
	fclose(f);
	EVP_PKEY_free(key);
	cfg.key_file = path;
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "encrypted"));
}

static void test_config_values(void)
{
	struct natt_tls_config cfg = base_config();
	const char *pins[2] = {"00", NULL};
	struct natt_tls_ctx *c = NULL;
	char err[256];

	CU_ASSERT_EQUAL(natt_tls_ctx_new(&c, NATT_TLS_CLIENT, NULL, err, sizeof(err)),
			NATT_ERR_INVALID);
	CU_ASSERT_EQUAL(natt_tls_ctx_new(&c, (enum natt_tls_role)7, &cfg, err, sizeof(err)),
			NATT_ERR_INVALID);
	cfg.ca_file = NULL;
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "neither a CA file nor a peer fingerprint"));
	cfg.pins = pins;
	cfg.npins = 1;
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_SYNTAX);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "fingerprint 1"));
	pins[0] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00";
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_SYNTAX);
	pins[0] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg";
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_SYNTAX);
	pins[0] = "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:"
		  "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef";
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_OK);
	cfg.npins = 2; /* second pin NULL */
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_SYNTAX);
	cfg = base_config();
	cfg.key_file = NULL;
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_INVALID);
	cfg = base_config();
	cfg.peer_name = "";
	CU_ASSERT_EQUAL(try_ctx(&cfg, err, sizeof(err)), NATT_ERR_INVALID);
}

static const struct natt_test tests[] = {
	{"pins_match", test_pins_match},
	{"names_match", test_names_match},
	{"chain_in_cert_file", test_chain_in_cert_file},
	{"any_peer_eku", test_any_peer_eku},
	{"verify_time", test_verify_time},
	{"expired", test_expired},
	{"not_yet_valid", test_not_yet_valid},
	{"unknown_ca", test_unknown_ca},
	{"name_mismatch", test_name_mismatch},
	{"pin_mismatch", test_pin_mismatch},
	{"wrong_key_usage", test_wrong_key_usage},
	{"no_peer_cert", test_no_peer_cert},
	{"config_files", test_config_files},
	{"config_encrypted_key", test_config_encrypted_key},
	{"config_values", test_config_values},
	{NULL, NULL},
};

int tlst_add_auth_suite(void)
{
	return natt_add_suite("tls_auth", tests);
}
