/*
 * session_int.h: what the files of the session module share (not for
 * other modules):
 *   session.c        lifecycle, paths, states and endings, timers, closing
 *   session_io.c     datagrams in and out
 *   session_stream.c the pump between the stream and TLS, and their ends
 *   session_ctl.c    the control messages inside TLS: PARAMS offer and
 *                    answer, the data channel's start, PING, CLOSE
 *   session_log.c    events, counters, the loss estimate, the status line,
 *                    names
 */
#ifndef NATT_SESSION_INT_H
#define NATT_SESSION_INT_H

#include "session.h"

/* Bytes moved between the stream and TLS per step. */
#define SESSION_IO_CHUNK 4096

/* Per rx epoch: the counters seen, for the loss estimate. */
struct session_rx_acct {
	uint64_t epoch; /* full epoch number */
	uint64_t top;	/* highest counter seen + 1 */
	uint64_t seen;	/* packets accepted */
};

struct natt_session {
	struct natt_session_config cfg;
	enum natt_session_role role;
	enum natt_session_state state;
	struct natt_seal *seal; /* borrowed */
	struct natt_tls_ctx *tls_ctx;
	natt_random_fn rand;
	void *rand_arg;
	natt_cid_t local_cid, peer_cid;
	struct natt_session_path path;
	bool have_path;
	struct natt_punch *punch; /* borrowed, or NULL */

	struct natt_rudp *rudp; /* from set_path on */
	struct natt_tls *tls;	/* from set_path on */
	struct natt_dc *dc;	/* while ESTABLISHED */
	bool control_lost;	/* ESTABLISHED: the stream ended */
	bool silent;		/* ended without anything more to send */
	bool fin_wanted;	/* close the stream once TLS output is written */
	bool fin_done;		/* natt_rudp_close() was called */
	bool params_sent, params_received;
	bool ping_outstanding;	      /* we sent a control PING, not yet answered */
	bool tls_failure_seen;	      /* the TLS failure was handled */
	uint8_t in[SESSION_IO_CHUNK]; /* stream bytes not yet taken by TLS */
	size_t in_len, in_off;

	/* negotiated (PROTOCOL.md 9.1) */
	uint8_t cipher;
	uint16_t keepalive_s, idle_timeout_s, peer_max_datagram;

	/* timers */
	natt_time_t started_at, established_at, closing_at;
	natt_time_t last_rx;	/* last authenticated packet */
	natt_time_t hs_ping_at; /* client: next handshake PING (session.c) */
	unsigned int hs_pings;	/* ... sent since the last packet received */

	/* a keepalive sealed by the data channel's timer, not yet polled */
	uint8_t ka[NATT_SESSION_DATA_OVERHEAD];
	size_t ka_len;

	struct natt_session_end end;
	struct natt_session_stats st;	 /* counters; the rest filled on demand */
	struct session_rx_acct acct[2];	 /* [0] current rx epoch, [1] previous */
	uint64_t lost_final;		 /* losses of epochs no longer held */
	struct natt_cand last_candidate; /* last EV_PATH_CANDIDATE address */

	struct natt_session_event ev[NATT_SESSION_EVENTS]; /* ring */
	unsigned int ev_head, ev_count;
};

/* ---- session.c ---- */

/* Moves to a new state and queues EV_STATE with text. */
void natt_session_set_state(struct natt_session *s, natt_time_t now, enum natt_session_state st,
			    const char *text);
/* Ends the session with reason r (FAILED, or CLOSED for R_CLOSED) and
 * frees the data channel.  end fields other than reason are the caller's. */
void natt_session_end_with(struct natt_session *s, natt_time_t now, enum natt_session_reason r);
/* Leaves the data channel: keeps its counters, frees (wipes) it. */
void natt_session_stop_data(struct natt_session *s);
/* Ends on a local finding: CLOSE frame (code, text) on the stream if it is
 * open, state FAILED (or CLOSED for R_CLOSED) with reason r.  end.detail
 * is the caller's. */
void natt_session_abort(struct natt_session *s, natt_time_t now, enum natt_session_reason r,
			uint16_t code, const char *text);
/* Whether a CLOSE code means an orderly end (NO_ERROR, SHUTDOWN, IDLE). */
bool natt_session_code_orderly(uint16_t code);
/* Same address and port (kind ignored); same socket too for a path. */
bool natt_session_same_addr(const struct natt_cand *a, const struct natt_cand *b);
bool natt_session_same_path(const struct natt_session_path *a, const struct natt_session_path *b);
/* CLOSED or FAILED. */
bool natt_session_ended(const struct natt_session *s);
/* The stream exists, is OPEN, and the session has not gone silent. */
bool natt_session_stream_open(const struct natt_session *s);
/* Sends to `to` from now on; queues EV_PATH_CHANGED saying why. */
void natt_session_move_path(struct natt_session *s, natt_time_t now,
			    const struct natt_session_path *to, const char *why);
/* Copies a reason (printable ASCII, cut at NATT_MAX_REASON) into e->text. */
void natt_session_set_text(struct natt_session_end *e, const char *text, size_t len);

/* ---- session_stream.c ---- */

/* Moves stream bytes into TLS and TLS bytes into the stream, handles what
 * came of it (PARAMS, failures, the stream's end), follows punch's path. */
void natt_session_pump(struct natt_session *s, natt_time_t now);
/* Client: still waiting for the server's first flight (pad, maybe ping). */
bool natt_session_before_server_flight(const struct natt_session *s);
/* Client: waiting for that flight with nothing in flight: PING due. */
bool natt_session_hs_ping_wanted(const struct natt_session *s);
/* Arms or disarms hs_ping_at after anything that may change the above. */
void natt_session_arm_ping(struct natt_session *s, natt_time_t now);

/* ---- session_ctl.c ---- */

/* Client: TLS is up; sends the PARAMS offer.  Returns NATT_OK or an error
 * of natt_tls_send_ctl(). */
int natt_session_send_offer(struct natt_session *s);
/* Reads and handles every control message TLS has decrypted. */
void natt_session_read_ctl(struct natt_session *s, natt_time_t now);
/* Ends with a CLOSE control message inside TLS, close_notify, then the
 * stream's FIN: the orderly way, also for errors found once TLS is up (the
 * caller sets the state). */
void natt_session_ctl_close(struct natt_session *s, natt_time_t now, uint16_t code,
			    const char *reason);

/* ---- session_log.c ---- */

/* Queues an event (dropping the oldest when full); returns it so that the
 * caller can fill in from, to or path. */
struct natt_session_event *natt_session_event(struct natt_session *s, natt_time_t now,
					      enum natt_session_event_type type, int verb,
					      const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Accounts an accepted DATA packet for the loss estimate. */
void natt_session_acct_rx(struct natt_session *s, const struct natt_dc_rx_info *info);
/* Formats an address as "a.b.c.d:port" or "[x:...]:port". */
const char *natt_session_fmt_addr(const struct natt_cand *c, char *buf, size_t cap);
#define NATT_SESSION_ADDR_STR 64

#endif
