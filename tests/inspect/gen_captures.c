/*
 * gen_captures.c: the natt-inspect test captures (gen.h): helpers, the
 * captures of the test vectors, a whole session, every link type, and
 * fragments.  The crafted bad captures are in gen_bad.c.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "keyfile.h"

const char *gen_outdir;
struct natt_seal *gen_seal;
struct pw_endpoint gen_server, gen_client, gen_rendezvous;
static uint64_t rng = UINT64_C(0x243f6a8885a308d3);

void gen_die(const char *fmt, ...)
{
	va_list ap;

	fputs("gen_captures: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

size_t gen_ok(int rc, const char *what)
{
	if (rc < 0)
		gen_die("%s: %s", what, natt_strerror(rc));
	return (size_t)rc;
}

void gen_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		p[i] = (uint8_t)(rng >> 24);
	}
}

const char *gen_path(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", gen_outdir, name);
	return path;
}

/* ---- packets ---- */

static size_t seal_long(uint8_t *pkt, struct natt_header *h, enum natt_seal_purpose purpose,
			const uint8_t *body, size_t body_len)
{
	size_t hl;

	h->version = NATT_VERSION;
	gen_random(h->salt, NATT_SALT_LEN);
	hl = gen_ok(natt_header_encode(pkt, GEN_PKT_MAX, h), "header");
	memcpy(pkt + hl, body, body_len);
	return gen_ok(natt_seal_seal(gen_seal, purpose, pkt, hl, body_len, GEN_PKT_MAX), "seal");
}

size_t gen_handshake(uint8_t *pkt, natt_cid_t dcid, natt_cid_t scid, uint64_t pn,
		     const struct natt_frame *f, size_t nf)
{
	struct natt_header h = {.type = NATT_PT_HANDSHAKE, .dcid = dcid, .scid = scid, .pn = pn};
	uint8_t body[GEN_PKT_MAX];
	size_t n = 0;

	for (size_t i = 0; i < nf; i++)
		n += gen_ok(natt_frame_encode(body + n, sizeof(body) - n, &f[i]), "frame");
	return seal_long(pkt, &h, NATT_SEAL_HANDSHAKE, body, n);
}

size_t gen_probe(uint8_t *pkt, uint8_t type, natt_cid_t dcid, natt_cid_t scid, uint8_t id,
		 size_t body_len)
{
	struct natt_header h = {.type = type, .dcid = dcid, .scid = scid};
	struct natt_probe pr;
	uint8_t body[GEN_PKT_MAX];

	memset(&pr, 0, sizeof(pr));
	memset(pr.probe_id, id, sizeof(pr.probe_id));
	if (type == NATT_PT_PROBE_REPLY) {
		pr.seen.kind = NATT_CAND_PRFLX;
		pr.seen.family = 4;
		pr.seen.port = gen_client.port;
		memcpy(pr.seen.addr, gen_client.a, 4);
	}
	gen_ok(natt_probe_encode(body, sizeof(body), type, &pr, body_len), "probe");
	return seal_long(pkt, &h, NATT_SEAL_PROBE, body, body_len);
}

size_t gen_rdv(uint8_t *pkt, const struct natt_rdv_msg *m, size_t min_body)
{
	struct natt_header h = {.type = m->type};
	uint8_t body[GEN_PKT_MAX];
	size_t n = gen_ok(natt_rdv_encode(body, sizeof(body), m, min_body), "rdv");

	natt_seal_network_id(gen_seal, h.network_id);
	return seal_long(pkt, &h, NATT_SEAL_RENDEZVOUS, body, n);
}

void gen_secret(uint8_t s[32], uint8_t first)
{
	for (int i = 0; i < 32; i++)
		s[i] = (uint8_t)(first + i);
}

struct natt_dc *gen_dc(const uint8_t tx[32], natt_cid_t peer, natt_cid_t local,
		       uint64_t rekey_packets, uint8_t cipher)
{
	struct natt_dc_config cfg;
	struct natt_dc *dc;
	uint8_t rx[32];

	natt_dc_config_default(&cfg);
	cfg.rekey_packets = rekey_packets;
	cfg.cipher = cipher;
	gen_secret(rx, 0xe0);
	gen_ok(natt_dc_new(&dc, &cfg, tx, rx, peer, local, 0), "natt_dc_new");
	return dc;
}

size_t gen_data(struct natt_dc *dc, uint64_t now, uint8_t *pkt, size_t len)
{
	uint8_t payload[GEN_PKT_MAX];

	if (len > 0) {
		payload[0] = 0x48; /* OpenVPN P_DATA_V2, key_id 0 */
		payload[1] = payload[2] = 0;
		payload[3] = 1; /* peer-id 1 */
		gen_random(payload + 4, len - 4);
	}
	return gen_ok(natt_dc_seal(dc, now, payload, len, pkt, GEN_PKT_MAX), "natt_dc_seal");
}

void gen_frame_stream(struct natt_frame *f, uint64_t off, uint16_t len)
{
	static uint8_t data[GEN_PKT_MAX];

	gen_random(data, len);
	data[0] = 0x16; /* a TLS handshake record starts, as far as anyone sees */
	memset(f, 0, sizeof(*f));
	f->type = NATT_FT_STREAM;
	f->stream.offset = off;
	f->stream.len = len;
	f->stream.data = data;
}

void gen_frame_ack(struct natt_frame *f, uint64_t largest, uint32_t first_range)
{
	memset(f, 0, sizeof(*f));
	f->type = NATT_FT_ACK;
	f->ack.largest = largest;
	f->ack.first_range = first_range;
}

void gen_probe_exchange(struct pw_file *w, uint64_t *t)
{
	uint8_t pkt[GEN_PKT_MAX];
	size_t n;

	n = gen_probe(pkt, NATT_PT_PROBE, 0, GEN_CLIENT_CID, 0x11, 100);
	pw_udp(w, *t, &gen_client, &gen_server, pkt, n);
	n = gen_probe(pkt, NATT_PT_PROBE_REPLY, GEN_CLIENT_CID, GEN_SERVER_CID, 0x11, 100);
	pw_udp(w, *t + 20 * GEN_MS, &gen_server, &gen_client, pkt, n);
	*t += 100 * GEN_MS;
}

/* ---- expectations ---- */

void gen_expect_begin(struct gen_expect *e, const char *name, const char *capture, const char *args,
		      int exit_status, const char *stderr_text)
{
	char file[512];

	snprintf(file, sizeof(file), "%s.expect.json", name);
	e->f = fopen(gen_path(file), "w");
	if (e->f == NULL)
		gen_die("%s: cannot write", file);
	fprintf(e->f, "{\n  \"capture\": \"%s\",\n  \"args\": %s,\n  \"exit\": %d,\n", capture,
		args, exit_status);
	if (stderr_text != NULL)
		fprintf(e->f, "  \"stderr\": \"%s\",\n", stderr_text);
	else
		fputs("  \"stderr\": null,\n", e->f);
	fputs("  \"expect\": {", e->f);
	e->first = true;
}

void gen_expect(struct gen_expect *e, const char *fmt, ...)
{
	va_list ap;

	fprintf(e->f, "%s\n    ", e->first ? "" : ",");
	e->first = false;
	va_start(ap, fmt);
	vfprintf(e->f, fmt, ap);
	va_end(ap);
}

static bool in_list(const char *list, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = list; p != NULL && *p != '\0';
	     p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, id, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

void gen_expect_checks(struct gen_expect *e, const char *fails, const char *warns, bool key,
		       bool keylog)
{
	static const char *const ids[] = {"framing",	    "lengths",
					  "auth",	    "nonce-reuse",
					  "ack-unsent",	    "amplification",
					  "plaintext-leak", "unknown-version",
					  "unknown-type",   "mtu"};

	fprintf(e->f, "%s\n    \"checks\": {", e->first ? "" : ",");
	e->first = false;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const char *st = "pass";
		if (in_list(fails, ids[i]))
			st = "fail";
		else if (in_list(warns, ids[i]))
			st = "warn";
		else if ((strcmp(ids[i], "ack-unsent") == 0 && !key) ||
			 (strcmp(ids[i], "auth") == 0 && !key && !keylog))
			st = "not-run";
		fprintf(e->f, "%s\n      \"%s\": {\"status\": \"%s\"}", i ? "," : "", ids[i], st);
	}
	fputs("\n    }", e->f);
}

void gen_expect_end(struct gen_expect *e)
{
	fputs("\n  }\n}\n", e->f);
	if (fclose(e->f) != 0)
		gen_die("expectation: write failed");
}

/* ---- the test vectors ---- */

/* Reads the "packet:" line of VECTORDIR/name.vec. */
static size_t read_vec(const char *dir, const char *name, uint8_t *pkt)
{
	char path[4096], line[8192];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.vec", dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		gen_die("%s: cannot read", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "packet: ", 8) != 0)
			continue;
		for (const char *p = line + 8; p[0] && p[1] && p[0] != '\n'; p += 2) {
			unsigned v;
			if (sscanf(p, "%2x", &v) != 1 || n == GEN_PKT_MAX)
				gen_die("%s: bad packet line", path);
			pkt[n++] = (uint8_t)v;
		}
	}
	fclose(f);
	if (n == 0)
		gen_die("%s: no packet", path);
	return n;
}

struct vec_place {
	const char *name;
	const struct pw_endpoint *src, *dst;
};

static void vectors_capture(const char *vecdir)
{
	const struct vec_place order[] = {
		{"rdv_register", &gen_server, &gen_rendezvous},
		{"rdv_register_ack", &gen_rendezvous, &gen_server},
		{"rdv_lookup", &gen_client, &gen_rendezvous},
		{"rdv_lookup_reply", &gen_rendezvous, &gen_client},
		{"rdv_introduce", &gen_rendezvous, &gen_server},
		{"probe", &gen_client, &gen_server},
		{"probe_reply", &gen_server, &gen_client},
		{"handshake_stream_ack", &gen_server, &gen_client},
		{"handshake_close", &gen_client, &gen_server},
		{"data", &gen_client, &gen_server},
		{"data_keepalive", &gen_client, &gen_server},
		{"data_epoch1", &gen_client, &gen_server},
	};
	uint8_t pkt[GEN_PKT_MAX];
	struct pw_file w;
	struct gen_expect e;

	pw_open(&w, gen_path("vectors.pcap"), PW_EN10MB, false, 262144);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		size_t n = read_vec(vecdir, order[i].name, pkt);
		pw_udp(&w, GEN_T0 + i * 10 * GEN_MS, order[i].src, order[i].dst, pkt, n);
	}
	pw_close(&w);

	gen_expect_begin(&e, "vectors", "vectors.pcap", "[]", 0, NULL);
	gen_expect(&e, "\"input\": {\"records\": 12, \"udp\": 12, \"claimed\": 12}");
	gen_expect(&e, "\"flow_count\": 3");
	gen_expect(&e, "\"flows\": [{\"kind\": \"rendezvous\", \"packets\": 3}, "
		       "{\"kind\": \"rendezvous\", \"packets\": 2}, {\"kind\": \"peer\", "
		       "\"packets\": 7, \"a_to_b\": {\"keepalives\": 1, \"types\": {\"PROBE\": "
		       "{\"packets\": 1}, \"HANDSHAKE\": {\"packets\": 1}, \"DATA\": {\"packets\": "
		       "3}}}}]");
	gen_expect_checks(&e, "", "", false, false);
	gen_expect_end(&e);

	gen_expect_begin(&e, "vectors-keys", "vectors.pcap",
			 "[\"-v\", \"--network-key\", \"@vectors/network.key\", \"--keylog\", "
			 "\"@inspect/vectors.keylog\"]",
			 0, NULL);
	gen_expect(&e, "\"packets_analysed\": 12");
	gen_expect(&e,
		   "\"packets\": [{\"type\": \"RDV_REGISTER\", \"body\": {\"name\": "
		   "\"office-gw\"}}, {\"body\": {\"status\": \"OK\"}}, {\"body\": {\"target\": "
		   "\"office-gw\"}}, {\"body\": {\"status\": \"FOUND\"}}, {\"body\": {\"cid\": "
		   "\"c1c2c3c4c5c6c7c8\"}}, {\"body\": {\"seen\": \"none\"}}, {\"body\": "
		   "{\"nominate\": true}}, {\"pn\": 3, \"body\": {\"frames\": [{\"type\": \"ACK\", "
		   "\"largest\": 5, \"ranges\": [[4, 5], [0, 2]]}, {\"type\": \"STREAM\", "
		   "\"offset\": 0, \"length\": 122}, {\"type\": \"MAX_DATA\", \"max\": 65536}, "
		   "{\"type\": \"PADDING\", \"length\": 8}]}}, {\"body\": {\"frames\": [{}, "
		   "{\"type\": \"CLOSE\", \"code_name\": \"TLS_FAILED\"}]}}, {\"counter\": 7, "
		   "\"inner\": {\"epoch\": 0, \"length\": 68, \"opcode\": 9, \"opcode_name\": "
		   "\"P_DATA_V2\", \"key_id\": 0}}, {\"keepalive\": true, \"inner\": "
		   "{\"length\": 0}}, {\"epoch\": 1, \"inner\": {\"epoch\": 1, \"length\": 40, "
		   "\"opcode\": 9}}]");
	gen_expect_checks(&e, "", "", true, true);
	gen_expect_end(&e);
}

static void write_text(const char *name, const char *text)
{
	FILE *f = fopen(gen_path(name), "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		gen_die("%s: cannot write", name);
}

/* ---- every link type ---- */

struct link_case {
	const char *name;
	int linktype;
	bool ng;
	enum pw_vlan vlan;
	bool v6;
};

static void link_capture(const struct link_case *c)
{
	struct pw_endpoint s = gen_server, cl = gen_client;
	struct natt_dc *dc;
	uint8_t pkt[GEN_PKT_MAX], tx[32];
	char file[256], args[64];
	struct pw_file w;
	struct gen_expect e;
	uint64_t t = GEN_T0;
	size_t n;

	if (c->v6) {
		gen_server = pw_ep("2001:db8::10", 1194);
		gen_client = pw_ep("2001:db8::20", 50000);
	}
	snprintf(file, sizeof(file), "%s.%s", c->name, c->ng ? "pcapng" : "pcap");
	pw_open(&w, gen_path(file), c->linktype, c->ng, 262144);
	w.vlan = c->vlan;
	gen_probe_exchange(&w, &t);
	gen_secret(tx, 0x40);
	dc = gen_dc(tx, GEN_SERVER_CID, GEN_CLIENT_CID, NATT_DC_REKEY_PACKETS,
		    NATT_CIPHER_AES_256_GCM);
	n = gen_data(dc, 0, pkt, 300);
	pw_udp(&w, t, &gen_client, &gen_server, pkt, n);
	natt_dc_free(dc);
	pw_close(&w);

	snprintf(args, sizeof(args), "[]");
	gen_expect_begin(&e, c->name, file, args, 0, NULL);
	gen_expect(&e, "\"link_type_code\": %d", c->linktype == PW_RAW ? 12 : c->linktype);
	gen_expect(&e, "\"input\": {\"records\": 3, \"claimed\": 3}");
	gen_expect(&e,
		   "\"flows\": [{\"kind\": \"peer\", \"a\": {\"addr\": \"%s\", \"port\": "
		   "50000}, \"b\": {\"port\": 1194}, \"a_to_b\": {\"types\": {\"PROBE\": "
		   "{\"packets\": 1}, \"DATA\": {\"packets\": 1, \"bytes\": %zu}}}, \"b_to_a\": "
		   "{\"types\": {\"PROBE_REPLY\": {\"packets\": 1}}}}]",
		   c->v6 ? "2001:db8::20" : "192.0.2.20", n);
	gen_expect_checks(&e, "", "", false, false);
	gen_expect_end(&e);
	gen_server = s;
	gen_client = cl;
}

static void link_captures(void)
{
	static const struct link_case cases[] = {
		{"link-ethernet-vlan", PW_EN10MB, false, PW_VLAN_8021Q, false},
		{"link-ethernet-qinq-v6", PW_EN10MB, false, PW_VLAN_QINQ, true},
		{"link-sll", PW_LINUX_SLL, false, PW_VLAN_NONE, false},
		{"link-sll2-v6", PW_LINUX_SLL2, true, PW_VLAN_NONE, true},
		{"link-raw", PW_RAW, false, PW_VLAN_NONE, false},
		{"link-ipv4", PW_IPV4, false, PW_VLAN_NONE, false},
		{"link-ipv6", PW_IPV6, true, PW_VLAN_NONE, true},
		{"link-null", PW_NULL, false, PW_VLAN_NONE, false},
		{"link-null-v6", PW_NULL, false, PW_VLAN_NONE, true},
		{"link-loop", PW_LOOP, false, PW_VLAN_NONE, false},
		{"link-ethernet-pcapng", PW_EN10MB, true, PW_VLAN_NONE, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		link_capture(&cases[i]);
}

/* ---- fragments: one 3000-byte DATA packet, fragments out of order ---- */

static void fragment_capture(const char *name, bool v6)
{
	static const unsigned order[] = {2, 0, 1};
	struct pw_endpoint s = gen_server, cl = gen_client;
	struct natt_dc *dc;
	uint8_t pkt[GEN_PKT_MAX], tx[32];
	char file[256];
	struct pw_file w;
	struct gen_expect e;
	uint64_t t = GEN_T0;
	unsigned nfrag;
	size_t n, outer;

	if (v6) {
		gen_server = pw_ep("2001:db8::10", 1194);
		gen_client = pw_ep("2001:db8::20", 50000);
	}
	snprintf(file, sizeof(file), "%s.pcap", name);
	pw_open(&w, gen_path(file), PW_EN10MB, false, 262144);
	gen_probe_exchange(&w, &t);
	gen_secret(tx, 0x40);
	dc = gen_dc(tx, GEN_SERVER_CID, GEN_CLIENT_CID, NATT_DC_REKEY_PACKETS,
		    NATT_CIPHER_AES_256_GCM);
	n = gen_data(dc, 0, pkt, 3000);
	pw_udp_fragmented(&w, t, &gen_client, &gen_server, pkt, n, 1400, order, &nfrag);
	natt_dc_free(dc);
	pw_close(&w);
	outer = (v6 ? 40 : 20) + 8 + n;

	for (int strict = 0; strict < 2; strict++) {
		char ename[256];
		snprintf(ename, sizeof(ename), "%s%s", name, strict ? "-strict" : "");
		gen_expect_begin(&e, ename, file, strict ? "[\"--strict\"]" : "[]", strict, NULL);
		gen_expect(&e,
			   "\"input\": {\"records\": %u, \"claimed\": 3, \"fragments\": "
			   "{\"fragments\": %u, \"reassembled\": 1}}",
			   2 + nfrag, nfrag);
		gen_expect(&e,
			   "\"flows\": [{\"largest_outer\": %zu, \"a_to_b\": {\"types\": "
			   "{\"DATA\": {\"packets\": 1, \"bytes\": %zu}}}}]",
			   outer, n);
		gen_expect_checks(&e, "", "mtu", false, false);
		gen_expect_end(&e);
	}
	gen_server = s;
	gen_client = cl;
}

/* The fuzz target's seed corpus: copies of small captures of every kind. */
static void write_corpus(const char *corpusdir)
{
	static const char *const seeds[] = {
		"vectors.pcap",	      "link-sll2-v6.pcapng",	    "link-null.pcap",
		"link-loop.pcap",     "link-ethernet-qinq-v6.pcap", "link-raw.pcap",
		"fragments-v6.pcap",  "bad-amp-stun.pcap",	    "bad-leak-clear-body.pcap",
		"badinput-zero.pcap",
	};
	static uint8_t buf[1 << 16];

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char out[4096];
		FILE *in = fopen(gen_path(seeds[i]), "rb"), *o;
		size_t n = in != NULL ? fread(buf, 1, sizeof(buf), in) : 0;

		if (in == NULL || n == 0 || n == sizeof(buf))
			gen_die("%s: cannot copy to the corpus", seeds[i]);
		fclose(in);
		snprintf(out, sizeof(out), "%s/%s", corpusdir, seeds[i]);
		o = fopen(out, "wb");
		if (o == NULL || fwrite(buf, 1, n, o) != n || fclose(o) != 0)
			gen_die("%s: cannot write", out);
	}
}

int main(int argc, char **argv)
{
	uint8_t key[NATT_KEY_LEN];
	enum natt_key_kind kind;
	char err[512], warn[512], keyfile[4096];

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: gen_captures OUTDIR VECTORDIR [CORPUSDIR]\n");
		return 2;
	}
	gen_outdir = argv[1];
	snprintf(keyfile, sizeof(keyfile), "%s/network.key", argv[2]);
	if (natt_keyfile_load(keyfile, &kind, key, err, sizeof(err), warn, sizeof(warn)) != NATT_OK)
		gen_die("%s", err);
	gen_ok(natt_seal_new(&gen_seal, key), "natt_seal_new");
	gen_server = pw_ep("192.0.2.10", 1194);
	gen_client = pw_ep("192.0.2.20", 50000);
	gen_rendezvous = pw_ep("198.51.100.1", 3478);

	write_text("vectors.keylog",
		   "# Key log for tests/vectors: DATA to the server (cid 5152..58) uses\n"
		   "# S_0 = 40..5f.  Test secrets: public, never deploy them.\n"
		   "NATT_DATA_SECRET 5152535455565758 aes-256-gcm "
		   "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\n");
	vectors_capture(argv[2]);
	link_captures();
	fragment_capture("fragments-v4", false);
	fragment_capture("fragments-v6", true);
	gen_session();
	gen_bad_captures();
	gen_bad_inputs(gen_path("vectors.pcap"));
	if (argc == 4)
		write_corpus(argv[3]);
	natt_seal_free(gen_seal);
	return 0;
}
