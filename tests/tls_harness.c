/*
 * tls_harness.c: the shared parts of the TLS tests (tls_harness.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls_harness.h"
#include "unit.h"

#define MAX_ROUNDS 100000 /* a conversation that never goes quiet is a bug */

static char pki_dir[256];

/* ---- the test PKI ---- */

static void remove_pki(void)
{
	char cmd[512];

	if (pki_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pki_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_tls: could not remove %s\n", pki_dir);
}

int tlst_make_pki(void)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[1024];

	snprintf(pki_dir, sizeof(pki_dir), "%s/natt-tls-XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(pki_dir) == NULL) {
		perror("test_tls: mkdtemp");
		pki_dir[0] = '\0';
		return -1;
	}
	atexit(remove_pki);
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' ec", natt_test_path("pki/make-pki.sh"), pki_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "test_tls: %s failed: cannot make the test PKI\n", cmd);
		return -1;
	}
	return 0;
}

/* Path of a PKI file; eight rotating buffers so a config can hold several. */
const char *tlst_pki(const char *name, const char *ext)
{
	static char paths[8][512];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s%s", pki_dir, name, ext);
	return p;
}

void tlst_cert_fingerprint(const char *name, uint8_t fp[NATT_TLS_FP_LEN])
{
	FILE *f = fopen(tlst_pki(name, ".crt"), "r");
	X509 *x;
	unsigned int n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_EQUAL(X509_digest(x, EVP_sha256(), fp, &n), 1);
	CU_ASSERT_EQUAL(n, NATT_TLS_FP_LEN);
	X509_free(x);
}

/* ---- endpoints ---- */
struct natt_tls_ctx *tlst_ctx_for(enum natt_tls_role role, const struct tlst_spec *s)
{
	struct natt_tls_config cfg = {0};
	const char *pins[1] = {s->pin};
	struct natt_tls_ctx *c = NULL;
	char err[256];
	int rc;

	cfg.ca_file = s->no_ca ? NULL : tlst_pki(s->ca != NULL ? s->ca : "ca", ".crt");
	cfg.cert_file = tlst_pki(s->id, ".crt");
	cfg.key_file = tlst_pki(s->id, ".key");
	cfg.peer_name = s->name;
	cfg.pins = s->pin != NULL ? pins : NULL;
	cfg.npins = s->pin != NULL ? 1 : 0;
	cfg.any_peer_eku = s->any_eku;
	cfg.verify_time = s->vtime;
	rc = natt_tls_ctx_new(&c, role, &cfg, err, sizeof(err));
	if (rc != NATT_OK)
		fprintf(stderr, "\n  ctx_new(%s): %s\n", s->id, err);
	CU_ASSERT_EQUAL_FATAL(rc, NATT_OK);
	return c;
}
bool tlst_step(struct natt_tls *from, struct natt_tls *to, struct tlst_pipe *p, size_t chunk)
{
	bool moved = false;
	int n;

	if (p->len == 0) {
		n = natt_tls_pull(from, p->buf, chunk);
		CU_ASSERT_FATAL(n >= 0);
		p->len = (size_t)n;
		p->total += (size_t)n;
		moved = n > 0;
	}
	if (p->len > 0) {
		n = natt_tls_feed(to, p->buf, p->len);
		CU_ASSERT_FATAL(n >= 0 && (size_t)n <= p->len);
		memmove(p->buf, p->buf + n, p->len - (size_t)n);
		p->len -= (size_t)n;
		moved |= n > 0;
	}
	return moved;
}

/* Moves bytes both ways, chunk at a time, until neither side has any. */
void tlst_converse(struct tlst_pair *p, size_t chunk)
{
	int rounds = 0;
	bool a, b;

	do {
		a = tlst_step(p->c, p->s, &p->c2s, chunk);
		b = tlst_step(p->s, p->c, &p->s2c, chunk);
	} while ((a || b) && ++rounds < MAX_ROUNDS);
	CU_ASSERT(rounds < MAX_ROUNDS);
}

void tlst_pair_open(struct tlst_pair *p, const struct tlst_spec *client,
		    const struct tlst_spec *server, size_t chunk)
{
	struct natt_tls_ctx *cc = tlst_ctx_for(NATT_TLS_CLIENT, client);
	struct natt_tls_ctx *sc = tlst_ctx_for(NATT_TLS_SERVER, server);

	memset(p, 0, sizeof(*p));
	CU_ASSERT_EQUAL_FATAL(natt_tls_new(&p->c, cc), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_tls_new(&p->s, sc), NATT_OK);
	/* the sessions keep their contexts alive */
	natt_tls_ctx_free(cc);
	natt_tls_ctx_free(sc);
	tlst_converse(p, chunk);
}

void tlst_pair_close(struct tlst_pair *p)
{
	natt_tls_free(p->c);
	natt_tls_free(p->s);
}

const struct tlst_spec tlst_client_ok = {.id = "client"};
const struct tlst_spec tlst_server_ok = {.id = "server"};

void tlst_assert_established(const struct tlst_pair *p)
{
	const char *d;

	CU_ASSERT_EQUAL(natt_tls_state(p->c), NATT_TLS_ESTABLISHED);
	CU_ASSERT_EQUAL(natt_tls_state(p->s), NATT_TLS_ESTABLISHED);
	CU_ASSERT_EQUAL(natt_tls_failure(p->c, &d), NATT_TLS_R_NONE);
	if (natt_tls_state(p->c) == NATT_TLS_FAILED)
		fprintf(stderr, "\n  client failed: %s\n", d);
	CU_ASSERT_EQUAL(natt_tls_failure(p->s, &d), NATT_TLS_R_NONE);
	if (natt_tls_state(p->s) == NATT_TLS_FAILED)
		fprintf(stderr, "\n  server failed: %s\n", d);
}

void tlst_check_secrets(struct tlst_pair *p)
{
	uint8_t ctx_[NATT_TLS_SECRET_LEN], crx[NATT_TLS_SECRET_LEN];
	uint8_t stx[NATT_TLS_SECRET_LEN], srx[NATT_TLS_SECRET_LEN];
	static const uint8_t zero[NATT_TLS_SECRET_LEN];

	CU_ASSERT_EQUAL_FATAL(natt_tls_export(p->c, ctx_, crx), NATT_OK);
	CU_ASSERT_EQUAL_FATAL(natt_tls_export(p->s, stx, srx), NATT_OK);
	CU_ASSERT_EQUAL(memcmp(ctx_, srx, sizeof(ctx_)), 0);
	CU_ASSERT_EQUAL(memcmp(stx, crx, sizeof(stx)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(ctx_, crx, sizeof(ctx_)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(ctx_, zero, sizeof(ctx_)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(crx, zero, sizeof(crx)), 0);
}

void tlst_expect_ok(const struct tlst_spec *client, const struct tlst_spec *server)
{
	struct tlst_pair p;

	tlst_pair_open(&p, client, server, TLST_CHUNK_MAX);
	tlst_assert_established(&p);
	tlst_check_secrets(&p);
	tlst_pair_close(&p);
}

void tlst_fp_text(const char *name, bool colons, char *out, size_t len)
{
	uint8_t fp[NATT_TLS_FP_LEN];
	char hex[NATT_TLS_FP_HEX_LEN];
	size_t k = 0;

	tlst_cert_fingerprint(name, fp);
	natt_tls_fingerprint_hex(fp, hex);
	for (size_t i = 0; hex[i] != '\0' && k + 1 < len; i++) {
		if (hex[i] == ':' && !colons)
			continue;
		out[k++] = colons ? (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]) : hex[i];
	}
	out[k] = '\0';
}

void tlst_expect_refusal(const struct tlst_spec *client, const struct tlst_spec *server,
			 bool server_judges, enum natt_tls_reason want, const char *alert)
{
	struct tlst_pair p;
	struct natt_tls *judge, *judged;
	const char *d;

	tlst_pair_open(&p, client, server, TLST_CHUNK_MAX);
	judge = server_judges ? p.s : p.c;
	judged = server_judges ? p.c : p.s;
	CU_ASSERT_EQUAL(natt_tls_state(judge), NATT_TLS_FAILED);
	CU_ASSERT_EQUAL(natt_tls_failure(judge, &d), want);
	if (natt_tls_failure(judge, NULL) != want)
		fprintf(stderr, "\n  judge: %s: %s\n",
			natt_tls_reason_name(natt_tls_failure(judge, NULL)), d);
	CU_ASSERT(strlen(d) > 10);
	CU_ASSERT_EQUAL(natt_tls_state(judged), NATT_TLS_FAILED);
	CU_ASSERT_EQUAL(natt_tls_failure(judged, &d), NATT_TLS_R_PEER_ALERT);
	if (alert != NULL && strstr(d, alert) == NULL)
		fprintf(stderr, "\n  judged: %s (want \"%s\")\n", d, alert);
	CU_ASSERT(alert == NULL || strstr(d, alert) != NULL);
	CU_ASSERT(!natt_tls_peer_confirmed(judged));
	tlst_pair_close(&p);
}

void tlst_raw_open(struct tlst_raw *r, bool server, int max_version, const char *id)
{
	memset(r, 0, sizeof(*r));
	r->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->ctx);
	SSL_CTX_set_max_proto_version(r->ctx, max_version);
	SSL_CTX_set_verify(r->ctx, SSL_VERIFY_NONE, NULL);
	if (id != NULL) {
		CU_ASSERT_EQUAL_FATAL(
			SSL_CTX_use_certificate_chain_file(r->ctx, tlst_pki(id, ".crt")), 1);
		CU_ASSERT_EQUAL_FATAL(
			SSL_CTX_use_PrivateKey_file(r->ctx, tlst_pki(id, ".key"), SSL_FILETYPE_PEM),
			1);
	}
	r->ssl = SSL_new(r->ctx);
	r->in = BIO_new(BIO_s_mem());
	r->out = BIO_new(BIO_s_mem());
	CU_ASSERT_FATAL(r->ssl != NULL && r->in != NULL && r->out != NULL);
	BIO_set_mem_eof_return(r->in, -1);
	BIO_set_mem_eof_return(r->out, -1);
	SSL_set_bio(r->ssl, r->in, r->out);
	if (server)
		SSL_set_accept_state(r->ssl);
	else
		SSL_set_connect_state(r->ssl);
}

void tlst_raw_close(struct tlst_raw *r)
{
	SSL_free(r->ssl);
	SSL_CTX_free(r->ctx);
	ERR_clear_error();
}

/* Runs the bare peer against a natt_tls session until no byte moves. */
void tlst_raw_converse(struct tlst_raw *r, struct natt_tls *t)
{
	uint8_t buf[TLST_CHUNK_MAX];
	int n, m, rounds = 0;
	bool moved;

	do {
		moved = false;
		SSL_do_handshake(r->ssl);
		if (SSL_is_init_finished(r->ssl))
			SSL_read(r->ssl, buf, sizeof(buf)); /* sees alerts */
		n = BIO_read(r->out, buf, sizeof(buf));
		if (n > 0) {
			CU_ASSERT_EQUAL(natt_tls_feed(t, buf, (size_t)n), n);
			moved = true;
		}
		m = natt_tls_pull(t, buf, sizeof(buf));
		if (m > 0) {
			CU_ASSERT_EQUAL(BIO_write(r->in, buf, m), m);
			moved = true;
		}
	} while (moved && ++rounds < 1000);
	ERR_clear_error();
}

const char *tlst_pki_dir(void)
{
	return pki_dir;
}
