/*
 * punch_int.h: what the files of the punch module share (not installed,
 * not for other modules):
 *   punch.c        lifecycle, receiving, sending, selection
 *   punch_timers.c deadlines, give-up, liveness checks, re-probing, roaming
 *   cands.c        candidates: NAT-type inference, priorities, pairs
 *   punch_bday.c   the birthday method
 *   punch_diag.c   diagnosis, names, log lines
 */
#ifndef NATT_PUNCH_INT_H
#define NATT_PUNCH_INT_H

#include "punch.h"

#define PUNCH_PAIR_IDS 4 /* outstanding probe IDs remembered per pair */

/* Internal phases; natt_punch_state() maps REPROBE to PROBING. */
enum punch_phase {
	PH_IDLE = 0,
	PH_PROBING,
	PH_CONNECTED,
	PH_REPROBE, /* the selected path died; looking for another */
	PH_FAILED,
	PH_RELAY,
};

/* A probe we sent and may get a reply to. */
struct punch_id {
	uint8_t id[NATT_PROBE_ID_LEN];
	natt_time_t at;
	uint8_t flags; /* NATT_PROBE_NOMINATE */
	bool live;
};

struct punch_pair {
	unsigned int sock;
	struct natt_cand local;	 /* host base (priority), then the peer's `seen` */
	struct natt_cand remote; /* where probes go */
	uint64_t prio;		 /* RFC 8445 6.1.2.3, plus the LAN bit */
	enum natt_punch_pair_state state;
	bool lan;
	bool bday;		/* found by the birthday method */
	bool active;		/* probed on its schedule */
	bool triggered;		/* probe at the next pacing slot */
	bool nominated;		/* controlling: we nominate it; controlled: the peer did */
	bool rebind;		/* authenticated traffic came from here: move once valid */
	unsigned int tries;	/* probes in this round */
	unsigned int max_tries; /* cfg.pair_tries, or fewer for a learned address */
	natt_time_t rto, next_tx;
	natt_time_t rtt;
	unsigned int probes, replies;
	struct punch_id ids[PUNCH_PAIR_IDS];
	unsigned int next_id;
};

struct punch_reply {
	unsigned int sock;
	struct natt_cand to;
	natt_cid_t dcid;
	uint8_t id[NATT_PROBE_ID_LEN];
	size_t body_len;
};

struct punch_bday; /* punch_bday.c */

struct natt_punch {
	struct natt_punch_config cfg;
	struct natt_seal *seal;
	natt_random_fn rnd;
	void *rnd_ctx;
	natt_cid_t cid, peer_cid;
	enum natt_punch_role role;
	enum punch_phase phase;
	enum natt_punch_fail reason;

	struct natt_cand local[NATT_PUNCH_MAX_LOCAL];
	natt_time_t local_at[NATT_PUNCH_MAX_LOCAL]; /* when added or seen again */
	unsigned int nlocal;
	struct natt_cand remote[NATT_PUNCH_MAX_REMOTE];
	natt_time_t remote_at[NATT_PUNCH_MAX_REMOTE];
	unsigned int nremote;
	enum natt_nat_type lnat, rnat;
	const char *lwhy, *rwhy;
	enum natt_nat_type told_lnat, told_rnat; /* as last logged */

	struct punch_pair pair[NATT_PUNCH_MAX_PAIRS];
	unsigned int npair;
	struct punch_reply reply[NATT_PUNCH_MAX_REPLIES]; /* a FIFO ring */
	unsigned int reply_head, nreply;

	natt_time_t started, next_pace, give_up_at, relay_at;
	natt_time_t first_ok_at, nominate_at, self_select_at;
	int nominating; /* controlling: the pair being nominated, or -1 */
	int sel;	/* the selected (or last) pair, or -1 */
	struct natt_punch_path path;
	bool have_path, dead;

	/* liveness, while CONNECTED */
	natt_time_t last_rx, last_tx, check_next;
	bool check_active;
	unsigned int check_sent;

	/* re-probing, after a dead path */
	natt_time_t reprobe_all_at, rdv_next, rdv_retry;
	bool want_rdv;
	bool last_only; /* re-probing: only the last path for now */
	natt_time_t search_start;

	struct punch_bday *bday;
	enum natt_punch_bday bday_role;
	unsigned int bday_sockets; /* hard side: sockets asked for (diag) */
	unsigned int bday_probes;  /* birthday probes sent, all rounds */
	bool bday_hit;

	/* diagnosis */
	uint64_t probes_sent, replies_sent, probes_recv, replies_recv;
	uint64_t auth_failures, malformed, wrong_cid, unmatched, replies_dropped;
	unsigned int rdv_failures, paths_dead, switches;
	const char *rdv_reason;
	natt_time_t connected_at;
};

/* ---- cands.c ---- */

/* Same family, address and port (kind ignored). */
bool natt_punch_same_addr(const struct natt_cand *a, const struct natt_cand *b);
/* Infers the NAT type from a candidate list and when each candidate was
 * added (observations older than NATT_PUNCH_OBS_WINDOW before the latest
 * are ignored); *why gets static evidence. */
enum natt_nat_type natt_punch_infer(const struct natt_cand *c, const natt_time_t *at,
				    unsigned int n, const char **why);
/* Re-infers both sides' NAT types into p->lnat/rnat (and logs changes). */
void natt_punch_reinfer(struct natt_punch *p);
/* Forms the pairs of socket 0 for every remote candidate (idempotent). */
void natt_punch_form_pairs(struct natt_punch *p, natt_time_t now);
/* The pair (sock, remote address), or -1. */
int natt_punch_find_pair(const struct natt_punch *p, unsigned int sock,
			 const struct natt_cand *remote);
/* Finds or creates the pair (sock, from); from is recorded as a prflx
 * remote candidate when its address is new.  -1 when the table is full. */
int natt_punch_learn_pair(struct natt_punch *p, natt_time_t now, unsigned int sock,
			  const struct natt_cand *from);
/* Adds c (observed at now) to a candidate list, unless its address is
 * there twice already: then the older entry's time is refreshed.  Returns
 * NATT_OK or NATT_ERR_FULL. */
int natt_punch_remember(struct natt_cand *list, natt_time_t *at, unsigned int *n, unsigned int cap,
			const struct natt_cand *c, natt_time_t now);
/* Whether some pair is a LAN pair. */
bool natt_punch_has_lan_pair(const struct natt_punch *p);
/* Resets a pair for a new round of probing. */
void natt_punch_pair_rearm(struct natt_punch *p, struct punch_pair *pr, natt_time_t now);

/* ---- punch.c ---- */

/* Selects pair i as the path (CONNECTED). */
void natt_punch_select(struct natt_punch *p, natt_time_t now, int i, const char *why);
/* Picks the birthday role and the give-up time for the current types. */
void natt_punch_strategy(struct natt_punch *p, natt_time_t now);
/* Clears the per-search state (timers, nominations) and re-arms every
 * pair: shared by a start and a re-probe. */
void natt_punch_search_reset(struct natt_punch *p, natt_time_t now);
/* Enters FAILED or NEEDS_RELAY with a reason. */
void natt_punch_fail(struct natt_punch *p, enum natt_punch_fail why);
/* The due time of pair i (NATT_TIME_NEVER if it sends nothing; 0 if
 * triggered). */
natt_time_t natt_punch_pair_due(const struct natt_punch *p, unsigned int i);

/* ---- punch_timers.c ---- */

/* A success on pair i while looking for a path (first-success timers). */
void natt_punch_on_success(struct natt_punch *p, natt_time_t now, int i);
/* Re-probing after the path died. */
void natt_punch_path_died(struct natt_punch *p, natt_time_t now);
/* Something authenticated came over the selected path. */
void natt_punch_path_alive(struct natt_punch *p, natt_time_t now);

/* ---- punch_bday.c ---- */

/* Starts the method in role r (allocates); NATT_OK or NATT_ERR_NOMEM. */
int natt_punch_bday_start(struct natt_punch *p, natt_time_t now, enum natt_punch_bday r);
void natt_punch_bday_stop(struct natt_punch *p);
/* When the next birthday probe is due (NATT_TIME_NEVER if none). */
natt_time_t natt_punch_bday_due(const struct natt_punch *p);
/* If a birthday probe is due: its socket, destination and a fresh ID
 * (recorded); returns false if none. */
bool natt_punch_bday_next(struct natt_punch *p, natt_time_t now, unsigned int *sock,
			  struct natt_cand *dst, uint8_t id[NATT_PROBE_ID_LEN]);
/* Whether a reply with this ID from `from` on sock answers a birthday
 * probe (the entry is consumed; *sent_at gets when it was sent). */
bool natt_punch_bday_match(struct natt_punch *p, unsigned int sock, const struct natt_cand *from,
			   const uint8_t id[NATT_PROBE_ID_LEN], natt_time_t *sent_at);
/* Extra sockets the method needs now (hard side), else 0. */
unsigned int natt_punch_bday_sockets(const struct natt_punch *p);

/* ---- punch_diag.c ---- */

/* Formats a candidate as "a.b.c.d:port" or "[x:x:...]:port" into buf. */
const char *natt_punch_fmt_cand(const struct natt_cand *c, char *buf, size_t cap);
#define NATT_PUNCH_CAND_STR 64
/* One log line, printf-style, prefixed with the peer (if cfg.log is set). */
void natt_punch_logf(const struct natt_punch *p, int verb, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
