/*
 * wanem.c: a WAN delay emulator for the NAT lab, since tc netem is not
 * available on these machines (DESIGN.md 6).
 *
 *   wanem IF_A IF_B --delay MS [--jitter MS] [--queue N] [--stats FILE]
 *
 * A two-port L2 forwarder: every frame that arrives on one interface of this
 * namespace leaves by the other one MS milliseconds later, in the order it
 * arrived.  It takes the frames from AF_PACKET raw sockets, so it needs no
 * bridge and no address, and ARP, IPv4, IPv6 cross it alike.  Its rules:
 *
 *   delay    a frame is due at its arrival (when wanem reads it) + MS
 *   jitter   plus a uniform draw in [-J, +J] ms, but never before the frame
 *            ahead of it in its direction: jitter stretches gaps and never
 *            reorders (a late frame holds back the ones behind it, as on a
 *            real serial link, so the mean delay grows with the packet rate)
 *   queue    at most N frames wait per direction; one more is dropped and
 *            counted, as a router's full buffer does (tail drop); so a
 *            direction carries at most N / delay frames/s (4096 / 20 ms: 204,800)
 *   size     a frame longer than the ingress MTU + 14 (a GSO/GRO super-frame
 *            that a veth hands over whole) cannot go out of the other port:
 *            dropped and counted; wanem.sh sets gso_max_segs 1 on the veths
 *            around wanem so that none appears
 *   release  one CLOCK_MONOTONIC timerfd, armed for the earliest due frame;
 *            when it fires every due frame of both directions leaves, in
 *            sendmmsg batches
 *   stop     SIGTERM or SIGINT: counters to --stats FILE and stderr, exit 0
 *
 * Checksums: a veth hands over frames whose TCP/UDP checksum is left for
 * "hardware" to fill in.  The sockets use PACKET_VNET_HDR, so the kernel's
 * checksum hint (csum_start/csum_offset) travels with the frame and is handed
 * back on send; forwarding such a frame without it would send a bad checksum.
 *
 * Exit status: 0 after a signal, 1 on a system error, 2 on a bad command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define WANEM_QUEUE_DEFAULT 4096 /* frames per direction: 50 ms of 1 Gbit/s at 1514 bytes */
#define WANEM_QUEUE_MAX	    65536
#define WANEM_MS_MAX	    10000     /* a longer one-way delay is a typo, not a WAN */
#define WANEM_BATCH	    64	      /* frames per recvmmsg/sendmmsg */
#define WANEM_RX_ROUNDS	    8	      /* batches read from one port before the other gets a turn */
#define WANEM_SOCKBUF	    (8 << 20) /* absorbs a burst while the other port is served */
#define WANEM_MEM_MAX	    (1ULL << 30) /* ring memory, both directions */
#define NS_PER_MS	    1000000ULL

struct lane_stats {
	uint64_t forwarded; /* frames sent out of the egress port */
	uint64_t bytes;	    /* their bytes, Ethernet header included */
	uint64_t drop_full; /* arrived while N frames were waiting */
	uint64_t drop_size; /* not one wire frame: super-frame, > MTU + 14, < 14 bytes */
	uint64_t drop_tx;   /* refused by the egress port (down, its backlog full) */
	uint64_t drop_rx;   /* lost before wanem read them: its socket buffer overflowed */
	size_t max_depth;   /* most frames waiting at once */
};

/* One frame waiting in a lane. */
struct slot {
	uint64_t due;		  /* CLOCK_MONOTONIC ns at which it may leave */
	uint32_t len;		  /* frame bytes in data */
	struct virtio_net_hdr vh; /* the kernel's checksum hint, handed back on send */
	uint8_t *data;		  /* frame_cap bytes of the lane's buffer */
};

/* One direction: frames read from in_fd wait in a FIFO ring, then leave by out_fd. */
struct lane {
	const char *in_if, *out_if;
	int in_fd, out_fd;
	size_t frame_cap; /* ingress MTU + ETH_HLEN: the longest frame a port can carry */
	struct slot *ring;
	uint8_t *buf;
	size_t cap, head, count;
	uint64_t last_due; /* due time of the newest frame: jitter never goes below it */
	bool blocked;	   /* out_fd's send buffer is full: wait for POLLOUT */
	struct lane_stats st;
};

struct options {
	const char *if_name[2];
	const char *stats_path;
	unsigned long delay_ms, jitter_ms, queue;
};

struct wanem {
	struct options opt;
	struct lane lane[2]; /* lane i: frames arriving on port i, leaving by port 1 - i */
	int sock[2];	     /* one packet socket per port */
	int timer_fd, sig_fd;
	uint64_t delay_ns, jitter_ns;
	uint64_t armed; /* the timer's expiry, 0 when disarmed */
	uint64_t rng;
	uint8_t *scratch; /* frames that find their queue full are read here and dropped */
	size_t scratch_cap;
	int stop_signal;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wanem IF_A IF_B --delay MS [--jitter MS] [--queue N] [--stats FILE]\n"
		"  forwards frames between IF_A and IF_B, each held MS ms (jitter: +-MS,\n"
		"  never reordering); at most N frames (default %d) wait per direction\n",
		WANEM_QUEUE_DEFAULT);
}

__attribute__((format(printf, 1, 2), noreturn)) static void bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("wanem: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

/* A system call failed: "wanem: WHAT [IFNAME]: reason", exit 1. */
__attribute__((noreturn)) static void die_sys(const char *what, const char *ifname)
{
	fprintf(stderr, "wanem: %s%s%s: %s\n", what, ifname ? " " : "", ifname ? ifname : "",
		strerror(errno));
	exit(1);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: jitter needs spread, not secrecy. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static unsigned long parse_uint(const char *opt, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > max) {
		fprintf(stderr, "wanem: %s '%s': want an integer from 0 to %lu\n", opt, s, max);
		usage(stderr);
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"delay", required_argument, NULL, 'd'}, {"jitter", required_argument, NULL, 'j'},
		{"queue", required_argument, NULL, 'q'}, {"stats", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},	 {NULL, 0, NULL, 0},
	};
	bool have_delay = false;
	int c;

	o->queue = WANEM_QUEUE_DEFAULT;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->delay_ms = parse_uint("--delay", optarg, WANEM_MS_MAX);
			have_delay = true;
			break;
		case 'j': o->jitter_ms = parse_uint("--jitter", optarg, WANEM_MS_MAX); break;
		case 'q': o->queue = parse_uint("--queue", optarg, WANEM_QUEUE_MAX); break;
		case 's': o->stats_path = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (argc - optind != 2)
		bad_usage("want exactly two interfaces, got %d", argc - optind);
	o->if_name[0] = argv[optind];
	o->if_name[1] = argv[optind + 1];
	if (!have_delay)
		bad_usage("--delay MS is required");
	if (o->queue == 0)
		bad_usage("--queue 0: want at least one frame");
	if (o->jitter_ms > o->delay_ms)
		bad_usage("--jitter %lu exceeds --delay %lu: a frame cannot leave before it came",
			  o->jitter_ms, o->delay_ms);
	if (o->stats_path != NULL && o->stats_path[0] == '\0')
		bad_usage("--stats: empty file name");
	for (int i = 0; i < 2; i++) {
		if (strlen(o->if_name[i]) >= IFNAMSIZ || if_nametoindex(o->if_name[i]) == 0)
			bad_usage("no interface '%s' in this network namespace", o->if_name[i]);
	}
	if (strcmp(o->if_name[0], o->if_name[1]) == 0)
		bad_usage("IF_A and IF_B are both '%s': want two interfaces", o->if_name[0]);
}

static void sock_opt(int fd, int level, int name, const void *val, socklen_t len, const char *what,
		     const char *ifname)
{
	if (setsockopt(fd, level, name, val, len) < 0)
		die_sys(what, ifname);
}

/* Bigger buffers absorb bursts; without CAP_NET_ADMIN the sysctl limit applies. */
static void sock_buffers(int fd)
{
	int size = WANEM_SOCKBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static int if_query(int fd, const char *ifname, unsigned long req, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	return ioctl(fd, req, ifr);
}

/*
 * A packet socket on one port: all protocols, promiscuous, blind to its own
 * transmissions.  Opened with protocol 0 and bound with ETH_P_ALL, so no frame
 * of another interface is queued in the moment before bind.
 */
static int port_open(const char *ifname, size_t *frame_cap)
{
	struct packet_mreq mr = {.mr_type = PACKET_MR_PROMISC};
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	struct ifreq ifr;
	int one = 1;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die_sys("packet socket for", ifname);
	mr.mr_ifindex = (int)if_nametoindex(ifname);
	sll.sll_ifindex = mr.mr_ifindex;
	sock_opt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one),
		 "PACKET_IGNORE_OUTGOING on", ifname);
	sock_opt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one), "PACKET_VNET_HDR on", ifname);
	sock_opt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr), "promiscuous mode on",
		 ifname);
	sock_buffers(fd);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die_sys("bind to", ifname);
	if (if_query(fd, ifname, SIOCGIFMTU, &ifr) < 0)
		die_sys("MTU of", ifname);
	*frame_cap = (size_t)ifr.ifr_mtu + ETH_HLEN;
	if (if_query(fd, ifname, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP))
		fprintf(stderr, "wanem: %s is down: nothing crosses until it is up\n", ifname);
	return fd;
}

static int lane_init(struct lane *l, size_t cap, size_t frame_cap)
{
	l->cap = cap;
	l->frame_cap = frame_cap;
	l->ring = calloc(cap, sizeof(*l->ring));
	l->buf = malloc(cap * frame_cap);
	if (l->ring == NULL || l->buf == NULL)
		return -1;
	for (size_t i = 0; i < cap; i++)
		l->ring[i].data = l->buf + i * frame_cap;
	return 0;
}

/* Due time of a frame that arrived at now: delay, jitter, and never before the previous one. */
static uint64_t lane_due(struct wanem *w, struct lane *l, uint64_t now)
{
	uint64_t due = now + w->delay_ns;

	if (w->jitter_ns > 0)
		due = due - w->jitter_ns + rng_next(&w->rng) % (2 * w->jitter_ns + 1);
	if (due < l->last_due)
		due = l->last_due;
	l->last_due = due;
	return due;
}

/* Reads and drops what waits on a lane whose queue is full; returns as lane_receive. */
static int lane_discard(struct wanem *w, struct lane *l)
{
	struct mmsghdr msgs[WANEM_BATCH];
	struct iovec iov = {.iov_base = w->scratch, .iov_len = w->scratch_cap};
	int n;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < WANEM_BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(l->in_fd, msgs, WANEM_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (n > 0)
		l->st.drop_full += (uint64_t)n;
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : n;
}

/* One wire frame, or something the other port could not send as it is? */
static bool frame_fits(const struct lane *l, const struct mmsghdr *m, const struct slot *s)
{
	size_t len = m->msg_len;

	if (len < sizeof(s->vh) + ETH_HLEN || (m->msg_hdr.msg_flags & MSG_TRUNC))
		return false;
	return len - sizeof(s->vh) <= l->frame_cap && s->vh.gso_type == VIRTIO_NET_HDR_GSO_NONE;
}

static void slot_swap(struct slot *a, struct slot *b)
{
	struct slot t = *a;

	*a = *b;
	*b = t;
}

/*
 * Reads one batch into the ring's free tail.  Frames that do not fit are
 * dropped by swapping the next good one into their slot.  Returns frames
 * read (kept or not), 0 when none waited, -1 on error with errno set.
 */
static int lane_receive(struct wanem *w, struct lane *l)
{
	struct mmsghdr msgs[WANEM_BATCH];
	struct iovec iov[WANEM_BATCH][2];
	size_t tail = (l->head + l->count) % l->cap, room = l->cap - l->count, kept = 0;
	uint64_t now;
	int n;

	if (room == 0)
		return lane_discard(w, l);
	if (room > l->cap - tail)
		room = l->cap - tail;
	if (room > WANEM_BATCH)
		room = WANEM_BATCH;
	memset(msgs, 0, sizeof(msgs[0]) * room);
	for (size_t i = 0; i < room; i++) {
		struct slot *s = &l->ring[tail + i];

		iov[i][0] = (struct iovec){.iov_base = &s->vh, .iov_len = sizeof(s->vh)};
		iov[i][1] = (struct iovec){.iov_base = s->data, .iov_len = l->frame_cap};
		msgs[i].msg_hdr.msg_iov = iov[i];
		msgs[i].msg_hdr.msg_iovlen = 2;
	}
	n = recvmmsg(l->in_fd, msgs, (unsigned int)room, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : n;
	now = mono_ns();
	for (int i = 0; i < n; i++) {
		struct slot *s = &l->ring[tail + (size_t)i];

		if (!frame_fits(l, &msgs[i], s)) {
			l->st.drop_size++;
			continue;
		}
		s->len = (uint32_t)(msgs[i].msg_len - sizeof(s->vh));
		/* Only the "checksum to fill in" hint goes back; the receiver verifies the rest. */
		s->vh.flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
		s->due = lane_due(w, l, now);
		slot_swap(&l->ring[tail + kept], s);
		kept++;
	}
	l->count += kept;
	if (l->count > l->st.max_depth)
		l->st.max_depth = l->count;
	return n;
}

static void lane_pop(struct lane *l, size_t n, bool sent)
{
	for (size_t i = 0; i < n; i++) {
		if (sent) {
			l->st.forwarded++;
			l->st.bytes += l->ring[l->head].len;
		}
		l->head = (l->head + 1) % l->cap;
	}
	l->count -= n;
}

/* Fills msgs with the run of due frames at the head (no wrap, at most a batch). */
static size_t lane_due_run(struct lane *l, uint64_t now, struct mmsghdr *msgs,
			   struct iovec (*iov)[2])
{
	size_t n = 0, max = l->cap - l->head;

	if (max > l->count)
		max = l->count;
	if (max > WANEM_BATCH)
		max = WANEM_BATCH;
	while (n < max && l->ring[l->head + n].due <= now) {
		struct slot *s = &l->ring[l->head + n];

		iov[n][0] = (struct iovec){.iov_base = &s->vh, .iov_len = sizeof(s->vh)};
		iov[n][1] = (struct iovec){.iov_base = s->data, .iov_len = s->len};
		memset(&msgs[n], 0, sizeof(msgs[n]));
		msgs[n].msg_hdr.msg_iov = iov[n];
		msgs[n].msg_hdr.msg_iovlen = 2;
		n++;
	}
	return n;
}

/*
 * Sends every due frame at the head, until none is due, the ring is empty or
 * the egress socket is full (then POLLOUT wakes us).  A frame the egress port
 * refuses (ENOBUFS: the peer's backlog is full; ENETDOWN; EMSGSIZE) is
 * dropped and counted, as a router drops what its output cannot take.
 */
static void lane_release(struct lane *l, uint64_t now)
{
	struct mmsghdr msgs[WANEM_BATCH];
	struct iovec iov[WANEM_BATCH][2];

	while (l->count > 0 && !l->blocked) {
		size_t n = lane_due_run(l, now, msgs, iov);
		int sent;

		if (n == 0)
			return;
		sent = sendmmsg(l->out_fd, msgs, (unsigned int)n, MSG_DONTWAIT);
		if (sent > 0) {
			lane_pop(l, (size_t)sent, true);
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			l->blocked = true;
		} else if (errno != EINTR) {
			l->st.drop_tx++;
			lane_pop(l, 1, false);
		}
	}
}

/* Arms the timer for the earliest due frame of a lane that may send; skips a no-op re-arm. */
static void timer_arm(struct wanem *w)
{
	struct itimerspec its;
	uint64_t next = 0;

	for (int i = 0; i < 2; i++) {
		struct lane *l = &w->lane[i];
		uint64_t due;

		if (l->count == 0 || l->blocked)
			continue;
		due = l->ring[l->head].due;
		if (next == 0 || due < next)
			next = due;
	}
	if (next == w->armed)
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(next / 1000000000ULL);
	its.it_value.tv_nsec = (long)(next % 1000000000ULL);
	if (timerfd_settime(w->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		die_sys("timerfd_settime", NULL);
	w->armed = next;
}

/*
 * Reads what waits on a port, a few batches at most so the other port and
 * the due frames get their turn.  A port that went away ends the run.
 */
static int lane_drain(struct wanem *w, struct lane *l)
{
	for (int round = 0; round < WANEM_RX_ROUNDS; round++) {
		int n = lane_receive(w, l), err = errno;

		if (n > 0)
			continue;
		if (n == 0 || err == EINTR)
			return 0;
		if (err == EINVAL) {
			/* a super-frame the kernel cannot describe in a vnet header: it is gone */
			l->st.drop_size++;
			continue;
		}
		if (if_nametoindex(l->in_if) == 0) {
			fprintf(stderr, "wanem: %s is gone, stopping\n", l->in_if);
			return -1;
		}
		if (err != ENETDOWN)
			fprintf(stderr, "wanem: receive on %s: %s\n", l->in_if, strerror(err));
		return 0;
	}
	return 0;
}

/* The poll loop: release due frames, re-arm, wait; returns 0 on a signal, 1 if a port is gone. */
static int run(struct wanem *w)
{
	struct pollfd pfd[4];

	for (;;) {
		uint64_t now = mono_ns();

		lane_release(&w->lane[0], now);
		lane_release(&w->lane[1], now);
		timer_arm(w);
		for (int i = 0; i < 2; i++) {
			pfd[i].fd = w->sock[i];
			pfd[i].events = (short)(POLLIN | (w->lane[1 - i].blocked ? POLLOUT : 0));
		}
		pfd[2] = (struct pollfd){.fd = w->timer_fd, .events = POLLIN};
		pfd[3] = (struct pollfd){.fd = w->sig_fd, .events = POLLIN};
		if (poll(pfd, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			die_sys("poll", NULL);
		}
		if (pfd[3].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(w->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				w->stop_signal = (int)si.ssi_signo;
			return 0;
		}
		if (pfd[2].revents & POLLIN) {
			uint64_t expirations;

			if (read(w->timer_fd, &expirations, sizeof(expirations)) > 0)
				w->armed = 0;
		}
		for (int i = 0; i < 2; i++) {
			if (pfd[i].revents & POLLOUT)
				w->lane[1 - i].blocked = false;
			if ((pfd[i].revents & (POLLIN | POLLERR)) && lane_drain(w, &w->lane[i]) < 0)
				return 1;
		}
	}
}

/* The kernel's count of frames a socket buffer had no room for (read once, at the end). */
static void stats_collect(struct wanem *w)
{
	for (int i = 0; i < 2; i++) {
		struct tpacket_stats tp;
		socklen_t len = sizeof(tp);

		if (getsockopt(w->sock[i], SOL_PACKET, PACKET_STATISTICS, &tp, &len) == 0)
			w->lane[i].st.drop_rx += tp.tp_drops;
	}
}

static void stats_print(FILE *f, const struct wanem *w)
{
	fprintf(f, "# wanem %s %s delay_ms=%lu jitter_ms=%lu queue=%lu\n", w->opt.if_name[0],
		w->opt.if_name[1], w->opt.delay_ms, w->opt.jitter_ms, w->opt.queue);
	for (int i = 0; i < 2; i++) {
		const struct lane *l = &w->lane[i];

		fprintf(f,
			"%s>%s forwarded=%" PRIu64 " bytes=%" PRIu64 " dropped_full=%" PRIu64
			" dropped_size=%" PRIu64 " dropped_tx=%" PRIu64 " dropped_rx=%" PRIu64
			" max_depth=%zu queued=%zu\n",
			l->in_if, l->out_if, l->st.forwarded, l->st.bytes, l->st.drop_full,
			l->st.drop_size, l->st.drop_tx, l->st.drop_rx, l->st.max_depth, l->count);
	}
	fprintf(f, "stopped signal=%d\n", w->stop_signal);
}

static int stats_write(const struct wanem *w)
{
	FILE *f;

	stats_print(stderr, w);
	if (w->opt.stats_path == NULL)
		return 0;
	f = fopen(w->opt.stats_path, "w");
	if (f == NULL) {
		fprintf(stderr, "wanem: stats file %s: %s\n", w->opt.stats_path, strerror(errno));
		return -1;
	}
	stats_print(f, w);
	if (fclose(f) != 0) {
		fprintf(stderr, "wanem: stats file %s: %s\n", w->opt.stats_path, strerror(errno));
		return -1;
	}
	return 0;
}

/* SIGTERM and SIGINT arrive through a signalfd, so a stop never interrupts a half-done batch. */
static int signals_open(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die_sys("sigprocmask", NULL);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		die_sys("signalfd", NULL);
	return fd;
}

static void setup(struct wanem *w)
{
	size_t cap[2];

	w->delay_ns = w->opt.delay_ms * NS_PER_MS;
	w->jitter_ns = w->opt.jitter_ms * NS_PER_MS;
	w->rng = mono_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	w->sig_fd = signals_open();
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->timer_fd < 0)
		die_sys("timerfd_create", NULL);
	for (int i = 0; i < 2; i++)
		w->sock[i] = port_open(w->opt.if_name[i], &cap[i]);
	if ((uint64_t)w->opt.queue * (cap[0] + cap[1]) > WANEM_MEM_MAX) {
		fprintf(stderr,
			"wanem: --queue %lu with MTUs %zu/%zu needs over 1 GiB of buffers\n",
			w->opt.queue, cap[0] - ETH_HLEN, cap[1] - ETH_HLEN);
		exit(2);
	}
	for (int i = 0; i < 2; i++) {
		struct lane *l = &w->lane[i];

		l->in_if = w->opt.if_name[i];
		l->out_if = w->opt.if_name[1 - i];
		l->in_fd = w->sock[i];
		l->out_fd = w->sock[1 - i];
		if (lane_init(l, w->opt.queue, cap[i]) < 0)
			die_sys("frame buffers for", l->in_if);
	}
	w->scratch_cap = 256;
	w->scratch = malloc(w->scratch_cap);
	if (w->scratch == NULL)
		die_sys("scratch buffer", NULL);
}

static void teardown(struct wanem *w)
{
	for (int i = 0; i < 2; i++) {
		close(w->sock[i]);
		free(w->lane[i].ring);
		free(w->lane[i].buf);
	}
	close(w->timer_fd);
	close(w->sig_fd);
	free(w->scratch);
}

int main(int argc, char **argv)
{
	struct wanem w;
	int rc;

	memset(&w, 0, sizeof(w));
	parse_args(argc, argv, &w.opt);
	setup(&w);
	printf("wanem: forwarding %s <-> %s, delay %lu ms, jitter %lu ms, queue %lu\n",
	       w.opt.if_name[0], w.opt.if_name[1], w.opt.delay_ms, w.opt.jitter_ms, w.opt.queue);
	fflush(stdout);
	rc = run(&w);
	stats_collect(&w);
	if (stats_write(&w) < 0)
		rc = 1;
	teardown(&w);
	return rc;
}
