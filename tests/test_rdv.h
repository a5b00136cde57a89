/*
 * test_rdv.h: what the three files of the "rdv" suite share:
 * tests/test_rdv.c (the server core and the fixture), tests/test_rdv_limits.c
 * (its limits and size invariants) and tests/test_rdv_client.c (the client).
 */
#ifndef NATT_TESTS_TEST_RDV_H
#define NATT_TESTS_TEST_RDV_H

#include "rdv.h"
#include "unit.h"

/* Virtual clocks at the start of every test. */
#define RDVT_T0	   (1000 * NATT_SEC)
#define RDVT_WALL0 UINT64_C(1700000000000)

/* n host candidates in 10.<subnet>.0.0/24 (the last one IPv6 when n > 1). */
struct natt_cand_list rdvt_hosts(unsigned int n, uint8_t subnet);

/* Default server config, with tables small enough for quick tests. */
void rdvt_small_config(struct natt_rdv_server_config *cfg);

/* A server serving network "alpha" (index 0), two addresses, a clock. */
struct rdvt_fx {
	uint64_t rng;
	struct natt_seal *seal;	 /* network "alpha" */
	struct natt_seal *other; /* a network the server does not serve */
	uint8_t id[NATT_NETWORK_ID_LEN], other_id[NATT_NETWORK_ID_LEN];
	struct natt_rdv_server *srv;
	natt_time_t now;
	uint64_t wall;
	struct natt_cand srv_addr; /* a registering server's public address */
	struct natt_cand cli_addr; /* a looking-up client's public address */
	struct natt_rdv_output out;
};
void rdvt_fx_init(struct rdvt_fx *f);
void rdvt_fx_init_cfg(struct rdvt_fx *f, const struct natt_rdv_server_config *cfg);
void rdvt_fx_free(struct rdvt_fx *f);
/* Moves both clocks on by dt. */
void rdvt_fx_advance(struct rdvt_fx *f, natt_time_t dt);

/* Messages as a peer would send them (txid derived from seq or cid). */
struct natt_rdv_msg rdvt_reg_msg(const char *name, uint64_t seq, uint16_t lifetime,
				 unsigned int ncand);
struct natt_rdv_msg rdvt_lookup_msg(const char *target, const char *name, natt_cid_t cid,
				    unsigned int ncand);

/* Seals m (timestamp: the fixture's wall clock unless set) for network id
 * with seal, padded to min_body; returns the packet length. */
size_t rdvt_seal_msg(struct rdvt_fx *f, uint8_t *pkt, struct natt_seal *seal, const uint8_t *id,
		     struct natt_rdv_msg *m, size_t min_body);
/* Hands a datagram from `from` to the server; f->out gets the result. */
int rdvt_input(struct rdvt_fx *f, const struct natt_cand *from, const uint8_t *pkt, size_t len);
/* Seals m for network alpha and hands it over. */
int rdvt_send(struct rdvt_fx *f, const struct natt_cand *from, struct natt_rdv_msg m);
/* Opens output datagram i (asserting it is sealed for alpha, now). */
void rdvt_open_out(struct rdvt_fx *f, unsigned int i, struct natt_rdv_msg *m);
uint64_t rdvt_drops(struct rdvt_fx *f, enum natt_rdv_drop d);
/* Registers name with 2 host candidates, asserting an OK answer. */
void rdvt_register(struct rdvt_fx *f, const char *name, uint64_t seq, uint16_t lifetime,
		   const struct natt_cand *from);

/* The other files' tests, {NULL}-terminated. */
extern const struct natt_test rdvt_limits_tests[];
extern const struct natt_test rdvt_client_tests[];

#endif
