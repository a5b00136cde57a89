/*
 * gen_bad.c: captures made to violate one check each (every other check
 * must still pass), and bad input (exit status 2).  Each starts with a
 * PROBE / PROBE_REPLY exchange so that the heuristic knows the endpoints,
 * unless it tests the heuristic itself.  Mutations use the header offsets
 * of doc/PROTOCOL.md 5.1 and 5.3 (type 0, version 1, dcid 2-9, scid 10-17).
 */
#include <string.h>

#include "gen.h"

#define OFF_TYPE    0
#define OFF_VERSION 1
#define OFF_SCID    10

static const char *const key_args = "[\"--network-key\", \"@vectors/network.key\"]";

struct bad {
	struct pw_file w;
	uint64_t t;
	uint8_t pkt[GEN_PKT_MAX];
	char file[256];
};

static void bad_open(struct bad *b, const char *name, bool exchange)
{
	snprintf(b->file, sizeof(b->file), "%s.pcap", name);
	pw_open(&b->w, gen_path(b->file), PW_EN10MB, false, 262144);
	b->t = GEN_T0;
	if (exchange)
		gen_probe_exchange(&b->w, &b->t);
}

static void c2s(struct bad *b, const uint8_t *p, size_t n)
{
	pw_udp(&b->w, b->t, &gen_client, &gen_server, p, n);
	b->t += 10 * GEN_MS;
}

static void s2c(struct bad *b, const uint8_t *p, size_t n)
{
	pw_udp(&b->w, b->t, &gen_server, &gen_client, p, n);
	b->t += 10 * GEN_MS;
}

/* Closes the capture and writes its expectation: exactly `fails` fail. */
static void bad_close(struct bad *b, const char *name, const char *args, int exit_status,
		      const char *fails, const char *warns, const char *extra)
{
	bool key = strstr(args, "--network-key") != NULL;
	struct gen_expect e;

	pw_close(&b->w);
	gen_expect_begin(&e, name, b->file, args, exit_status, NULL);
	if (extra != NULL)
		gen_expect(&e, "%s", extra);
	gen_expect_checks(&e, fails, warns, key, false);
	gen_expect_end(&e);
}

static struct natt_dc *client_dc(void)
{
	uint8_t tx[32];

	gen_secret(tx, 0x40);
	return gen_dc(tx, GEN_SERVER_CID, GEN_CLIENT_CID, NATT_DC_REKEY_PACKETS,
		      NATT_CIPHER_AES_256_GCM);
}

/* A DATA header (counter n) followed by `region` in place of ciphertext and
 * a random tag: what a sender that forgot to encrypt would put out. */
static size_t clear_data(uint8_t *pkt, uint64_t counter, const uint8_t *region, size_t len)
{
	struct natt_header h = {.type = NATT_PT_DATA, .dcid = GEN_SERVER_CID, .counter = counter};
	size_t hl = gen_ok(natt_header_encode(pkt, GEN_PKT_MAX, &h), "header");

	memcpy(pkt + hl, region, len);
	gen_random(pkt + hl + len, NATT_TAG_LEN);
	return hl + len + NATT_TAG_LEN;
}

/* ---- nonce reuse and duplicates ---- */

static void nonce_cases(void)
{
	struct natt_dc *dc = client_dc(), *again = client_dc();
	uint8_t saved[GEN_PKT_MAX];
	size_t n, saved_len = 0;
	struct bad b;

	bad_open(&b, "bad-nonce-reuse", true);
	for (int i = 0; i < 3; i++)
		c2s(&b, b.pkt, gen_data(dc, 0, b.pkt, 200));
	gen_data(again, 0, b.pkt, 200);
	n = gen_data(again, 0, b.pkt, 200); /* counter 1 again, other payload */
	c2s(&b, b.pkt, n);
	bad_close(&b, "bad-nonce-reuse", "[]", 1, "nonce-reuse", "", "\"duplicates\": 0");
	natt_dc_free(dc);
	natt_dc_free(again);

	dc = client_dc();
	bad_open(&b, "dup-data", true);
	for (int i = 0; i < 3; i++) {
		n = gen_data(dc, 0, b.pkt, 200);
		c2s(&b, b.pkt, n);
		if (i == 1) {
			memcpy(saved, b.pkt, n);
			saved_len = n;
		}
	}
	c2s(&b, saved, saved_len);
	bad_close(&b, "dup-data", "[]", 0, "", "", "\"duplicates\": 1");
	natt_dc_free(dc);
}

/* ---- plaintext ---- */

static size_t ipv4_packet(uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 6;
	p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
	gen_random(p + 20, len - 20);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	p[10] = (uint8_t)(~sum >> 8);
	p[11] = (uint8_t)~sum;
	return len;
}

static void leak_cases(void)
{
	static const char text[] =
		"GET /index.html HTTP/1.1\r\nHost: intranet.example\r\nUser-Agent: curl/7.88\r\n"
		"Accept: */*\r\nCookie: session=very-secret-session-identifier\r\n"
		"Authorization: Basic dXNlcjpwYXNzd29yZA==\r\n\r\n";
	uint8_t region[600];
	struct natt_probe pr;
	struct natt_header h = {.type = NATT_PT_PROBE, .scid = GEN_CLIENT_CID};
	struct bad b;
	size_t hl;

	bad_open(&b, "bad-leak-ip", true);
	c2s(&b, b.pkt, clear_data(b.pkt, 0, region, ipv4_packet(region, 300)));
	bad_close(&b, "bad-leak-ip", "[]", 1, "plaintext-leak", "", NULL);

	bad_open(&b, "bad-leak-entropy", true);
	c2s(&b, b.pkt, clear_data(b.pkt, 0, (const uint8_t *)text, sizeof(text) - 1));
	bad_close(&b, "bad-leak-entropy", "[]", 1, "plaintext-leak", "", NULL);

	bad_open(&b, "bad-leak-openvpn", true);
	for (uint64_t i = 0; i < 2; i++) {
		region[0] = 0x48; /* P_DATA_V2, key_id 0 */
		region[1] = region[2] = 0;
		region[3] = 7; /* peer-id 7 */
		gen_random(region + 4, 300);
		c2s(&b, b.pkt, clear_data(b.pkt, i, region, 304));
	}
	bad_close(&b, "bad-leak-openvpn", "[]", 1, "plaintext-leak", "", NULL);

	bad_open(&b, "bad-leak-clear-body", true);
	memset(&pr, 0, sizeof(pr));
	memset(pr.probe_id, 0x33, sizeof(pr.probe_id));
	gen_random(h.salt, sizeof(h.salt));
	h.version = NATT_VERSION;
	hl = gen_ok(natt_header_encode(b.pkt, sizeof(b.pkt), &h), "header");
	gen_ok(natt_probe_encode(b.pkt + hl, sizeof(b.pkt) - hl, NATT_PT_PROBE, &pr, 100), "probe");
	gen_random(b.pkt + hl + 100, NATT_TAG_LEN);
	c2s(&b, b.pkt, hl + 100 + NATT_TAG_LEN);
	bad_close(&b, "bad-leak-clear-body", "[]", 1, "plaintext-leak", "", NULL);

	bad_open(&b, "bad-leak-raw-openvpn", true);
	region[0] = 0x48;
	gen_random(region + 1, 200);
	c2s(&b, region, 201);
	bad_close(&b, "bad-leak-raw-openvpn", "[]", 1, "plaintext-leak", "",
		  "\"flows\": [{\"a_to_b\": {\"types\": {\"OPENVPN\": {\"packets\": 1}}}}]");
}

/* ---- sizes, versions, types, framing ---- */

static void header_cases(void)
{
	struct natt_dc *dc = client_dc();
	struct natt_frame f[1];
	struct bad b;
	size_t n;

	bad_open(&b, "bad-mtu", true);
	c2s(&b, b.pkt, gen_data(dc, 0, b.pkt, 1600));
	pw_close(&b.w);
	for (int strict = 0; strict < 2; strict++) {
		struct gen_expect e;
		gen_expect_begin(&e, strict ? "bad-mtu-strict" : "bad-mtu", b.file,
				 strict ? "[\"--strict\"]" : "[]", strict, NULL);
		gen_expect(&e, "\"flows\": [{\"largest_outer\": %d}]", 1600 + 34 + 28);
		gen_expect_checks(&e, "", "mtu", false, false);
		gen_expect_end(&e);
	}
	natt_dc_free(dc);

	bad_open(&b, "bad-lengths", true);
	gen_frame_stream(&f[0], 0, 100);
	gen_handshake(b.pkt, GEN_SERVER_CID, GEN_CLIENT_CID, 0, f, 1);
	c2s(&b, b.pkt, 30); /* shorter than the 42-byte HANDSHAKE header */
	bad_close(&b, "bad-lengths", "[]", 1, "lengths", "", NULL);

	bad_open(&b, "bad-version", true);
	n = gen_probe(b.pkt, NATT_PT_PROBE, 0, GEN_CLIENT_CID, 0x44, 100);
	b.pkt[OFF_VERSION] = 2;
	c2s(&b, b.pkt, n);
	bad_close(&b, "bad-version", "[]", 1, "unknown-version", "", NULL);

	bad_open(&b, "bad-type", true);
	n = gen_probe(b.pkt, NATT_PT_PROBE, 0, GEN_CLIENT_CID, 0x45, 100);
	b.pkt[OFF_TYPE] = 0xC5; /* reserved (PROTOCOL.md 2.1) */
	c2s(&b, b.pkt, n);
	b.pkt[OFF_TYPE] = 0xE7; /* no family at all */
	c2s(&b, b.pkt, n);
	bad_close(&b, "bad-type", "[]", 1, "unknown-type", "", NULL);

	bad_open(&b, "bad-framing", true);
	gen_frame_stream(&f[0], 0, 100);
	n = gen_handshake(b.pkt, GEN_SERVER_CID, GEN_CLIENT_CID, 0, f, 1);
	memset(b.pkt + OFF_SCID, 0, 8); /* scid 0 is forbidden (5.1) */
	c2s(&b, b.pkt, n);
	bad_close(&b, "bad-framing", "[]", 1, "framing", "", NULL);

	bad_open(&b, "bad-framing-pn", true);
	for (int i = 0; i < 2; i++) {
		gen_frame_stream(&f[0], 0, 100);
		c2s(&b, b.pkt, gen_handshake(b.pkt, GEN_SERVER_CID, GEN_CLIENT_CID, 0, f, 1));
	}
	bad_close(&b, "bad-framing-pn", "[]", 1, "framing", "", NULL);
}

/* ---- checks that need the network key ---- */

static void keyed_cases(void)
{
	struct natt_header h = {.type = NATT_PT_HANDSHAKE,
				.dcid = GEN_SERVER_CID,
				.scid = GEN_CLIENT_CID,
				.version = NATT_VERSION};
	struct natt_frame f[2];
	struct bad b;
	size_t n, hl;

	bad_open(&b, "bad-auth", true);
	gen_frame_stream(&f[0], 0, 100);
	n = gen_handshake(b.pkt, GEN_SERVER_CID, GEN_CLIENT_CID, 0, f, 1);
	b.pkt[n - 20] ^= 0x01; /* one ciphertext bit */
	c2s(&b, b.pkt, n);
	bad_close(&b, "bad-auth", key_args, 1, "auth", "", NULL);

	bad_open(&b, "bad-frame-type", true);
	gen_random(h.salt, sizeof(h.salt));
	hl = gen_ok(natt_header_encode(b.pkt, sizeof(b.pkt), &h), "header");
	memset(b.pkt + hl, 0, 20);
	b.pkt[hl] = 0x07; /* no such frame type (5.2) */
	n = gen_ok(natt_seal_seal(gen_seal, NATT_SEAL_HANDSHAKE, b.pkt, hl, 20, sizeof(b.pkt)),
		   "seal");
	c2s(&b, b.pkt, n);
	bad_close(&b, "bad-frame-type", key_args, 1, "unknown-type", "", NULL);

	bad_open(&b, "bad-ack-unsent", true);
	for (uint64_t pn = 0; pn < 3; pn++) {
		gen_frame_stream(&f[0], pn * 100, 100);
		c2s(&b, b.pkt, gen_handshake(b.pkt, GEN_SERVER_CID, GEN_CLIENT_CID, pn, f, 1));
	}
	gen_frame_ack(&f[0], 5, 5); /* acknowledges 0-5; the client sent 0-2 */
	s2c(&b, b.pkt, gen_handshake(b.pkt, GEN_CLIENT_CID, GEN_SERVER_CID, 0, f, 1));
	bad_close(&b, "bad-ack-unsent", key_args, 1, "ack-unsent", "", NULL);
}

/* ---- amplification ---- */

static size_t stun_big_response(uint8_t *p, const uint8_t *txid)
{
	static const uint8_t hdr[] = {0x01, 0x01, 0x00, 0x50, 0x21, 0x12, 0xa4, 0x42};

	memcpy(p, hdr, sizeof(hdr));
	memcpy(p + 8, txid, NATT_STUN_TXID_LEN);
	/* XOR-MAPPED-ADDRESS, IPv4 (RFC 8489 14.2) */
	memcpy(p + 20, "\x00\x20\x00\x08\x00\x01\xe1\xc2\xe1\xd2\xa4\x36", 12);
	/* an optional attribute (0x8050) of 64 bytes: 80 bytes of attributes */
	memcpy(p + 32, "\x80\x50\x00\x40", 4);
	memset(p + 36, 0x55, 64);
	return 100;
}

static void amplification_cases(void)
{
	struct natt_frame f[1];
	struct natt_rdv_msg m;
	uint8_t txid[NATT_STUN_TXID_LEN];
	struct bad b;
	size_t n;

	bad_open(&b, "bad-amp-peer", false);
	c2s(&b, b.pkt, gen_probe(b.pkt, NATT_PT_PROBE, 0, GEN_CLIENT_CID, 0x51, 100));
	for (uint64_t pn = 0; pn < 2; pn++) {
		gen_frame_stream(&f[0], pn * 1000, 1000);
		s2c(&b, b.pkt, gen_handshake(b.pkt, GEN_CLIENT_CID, GEN_SERVER_CID, pn, f, 1));
	}
	bad_close(&b, "bad-amp-peer", "[]", 1, "amplification", "", NULL);

	bad_open(&b, "bad-amp-probe", false);
	c2s(&b, b.pkt, gen_probe(b.pkt, NATT_PT_PROBE, 0, GEN_CLIENT_CID, 0x52, 100));
	s2c(&b, b.pkt,
	    gen_probe(b.pkt, NATT_PT_PROBE_REPLY, GEN_CLIENT_CID, GEN_SERVER_CID, 0x52, 400));
	bad_close(&b, "bad-amp-probe", "[]", 1, "amplification", "", NULL);

	bad_open(&b, "bad-amp-rdv", false);
	memset(&m, 0, sizeof(m));
	m.type = NATT_PT_RDV_LOOKUP;
	m.txid = 0x77;
	m.lookup.cid = GEN_CLIENT_CID;
	gen_ok(natt_name_set(&m.lookup.target, "office-gw"), "name");
	n = gen_rdv(b.pkt, &m, 0);
	pw_udp(&b.w, b.t, &gen_client, &gen_rendezvous, b.pkt, n);
	memset(&m, 0, sizeof(m));
	m.type = NATT_PT_RDV_LOOKUP_REPLY;
	m.txid = 0x77;
	m.lookup_reply.status = NATT_RDV_NOT_FOUND;
	m.lookup_reply.observed.kind = NATT_CAND_SRFLX;
	m.lookup_reply.observed.family = 4;
	m.lookup_reply.observed.port = gen_client.port;
	memcpy(m.lookup_reply.observed.addr, gen_client.a, 4);
	n = gen_rdv(b.pkt, &m, 600); /* padded beyond the request */
	pw_udp(&b.w, b.t + 5 * GEN_MS, &gen_rendezvous, &gen_client, b.pkt, n);
	bad_close(&b, "bad-amp-rdv", "[]", 1, "amplification", "", NULL);

	/* The STUN port is known to the heuristic only through NATT packets. */
	bad_open(&b, "bad-amp-stun", false);
	memset(txid, 0x66, sizeof(txid));
	n = gen_ok(natt_stun_binding_request(b.pkt, sizeof(b.pkt), txid, false), "stun");
	pw_udp(&b.w, b.t, &gen_client, &gen_rendezvous, b.pkt, n);
	n = stun_big_response(b.pkt, txid);
	pw_udp(&b.w, b.t + 5 * GEN_MS, &gen_rendezvous, &gen_client, b.pkt, n);
	bad_close(&b, "bad-amp-stun", "[\"--port\", \"3478\"]", 1, "amplification", "", NULL);
}

/* The heuristic does not claim a lone packet of another version; --port does. */
static void port_cases(void)
{
	struct bad b;
	size_t n;
	struct gen_expect e;

	bad_open(&b, "lone-version2", false);
	n = gen_probe(b.pkt, NATT_PT_PROBE, 0, GEN_CLIENT_CID, 0x61, 100);
	b.pkt[OFF_VERSION] = 2;
	c2s(&b, b.pkt, n);
	bad_close(&b, "lone-version2-port", "[\"--port\", \"1194\"]", 1, "unknown-version", "",
		  "\"input\": {\"claimed\": 1}");
	gen_expect_begin(&e, "lone-version2", b.file, "[]", 0, NULL);
	gen_expect(&e, "\"input\": {\"udp\": 1, \"claimed\": 0}");
	gen_expect(&e, "\"flow_count\": 0");
	gen_expect_checks(&e, "", "", false, false);
	gen_expect_end(&e);
}

void gen_bad_captures(void)
{
	nonce_cases();
	leak_cases();
	header_cases();
	keyed_cases();
	amplification_cases();
	port_cases();
}

/* ---- bad input: exit status 2 ---- */

static void write_bytes(const char *name, const uint8_t *p, size_t n)
{
	FILE *f = fopen(gen_path(name), "wb");

	if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		gen_die("%s: cannot write", name);
}

static void input_expect(const char *name, const char *file, const char *err, const char *extra)
{
	struct gen_expect e;

	gen_expect_begin(&e, name, file, "[]", 2, err);
	if (extra != NULL)
		gen_expect(&e, "%s", extra);
	gen_expect_end(&e);
}

/* A capture file's first records, cut inside the last one. */
static void truncated(const char *vectors_capture)
{
	static uint8_t buf[1 << 16];
	FILE *f = fopen(vectors_capture, "rb");
	size_t n = f != NULL ? fread(buf, 1, sizeof(buf), f) : 0;

	if (f == NULL || n < 100)
		gen_die("%s: cannot read", vectors_capture);
	fclose(f);
	write_bytes("badinput-truncated.pcap", buf, n - 10);
	input_expect("badinput-truncated", "badinput-truncated.pcap", "truncated",
		     "\"input\": {\"records\": 11}, \"result\": {\"status\": \"bad-input\", "
		     "\"exit\": 2}");
}

static void snaplen_cut(void)
{
	struct natt_dc *dc;
	struct pw_file w;
	uint8_t tx[32], pkt[GEN_PKT_MAX];
	uint64_t t = GEN_T0;

	pw_open(&w, gen_path("badinput-snaplen.pcap"), PW_EN10MB, false, 96);
	gen_probe_exchange(&w, &t);
	gen_secret(tx, 0x40);
	dc = gen_dc(tx, GEN_SERVER_CID, GEN_CLIENT_CID, NATT_DC_REKEY_PACKETS,
		    NATT_CIPHER_AES_256_GCM);
	pw_udp(&w, t, &gen_client, &gen_server, pkt, gen_data(dc, 0, pkt, 500));
	natt_dc_free(dc);
	pw_close(&w);
	input_expect("badinput-snaplen", "badinput-snaplen.pcap", "snapshot length",
		     "\"input\": {\"records\": 3, \"cut\": 3}");
}

static void records(void)
{
	struct pw_file w;
	uint8_t hdr[16];
	uint32_t v;

	pw_open(&w, gen_path("badinput-zero.pcap"), PW_EN10MB, false, 262144);
	pw_record(&w, GEN_T0, hdr, 0, 0);
	pw_close(&w);
	input_expect("badinput-zero", "badinput-zero.pcap", "zero-length",
		     "\"input\": {\"records\": 1, \"zero_length\": 1}");

	/* A record header claiming 2 GB: libpcap refuses it. */
	pw_open(&w, gen_path("badinput-absurd.pcap"), PW_EN10MB, false, 262144);
	v = (uint32_t)(GEN_T0 / 1000000);
	memcpy(hdr, &v, 4);
	v = 0;
	memcpy(hdr + 4, &v, 4);
	v = 0x7ffffff0u;
	memcpy(hdr + 8, &v, 4);
	memcpy(hdr + 12, &v, 4);
	if (fwrite(hdr, 1, sizeof(hdr), w.f) != sizeof(hdr))
		gen_die("badinput-absurd.pcap: write failed");
	pw_close(&w);
	input_expect("badinput-absurd", "badinput-absurd.pcap", "capture length",
		     "\"input\": {\"records\": 0}");

	pw_open(&w, gen_path("badinput-linktype.pcap"), 147, false, 262144);
	pw_close(&w);
	input_expect("badinput-linktype", "badinput-linktype.pcap", "not supported", NULL);
}

void gen_bad_inputs(const char *vectors_capture)
{
	uint8_t garbage[100];

	truncated(vectors_capture);
	snaplen_cut();
	records();
	gen_random(garbage, sizeof(garbage));
	write_bytes("badinput-garbage.pcap", garbage, sizeof(garbage));
	input_expect("badinput-garbage", "badinput-garbage.pcap", "unknown file format", NULL);
	write_bytes("badinput-empty.pcap", garbage, 0);
	input_expect("badinput-empty", "badinput-empty.pcap", "truncated", NULL);
}
