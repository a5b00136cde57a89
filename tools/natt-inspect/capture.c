/*
 * capture.c: libpcap behind capture.h.  Files are read with microsecond
 * timestamps whatever their precision (natt_time_t is microseconds).
 */
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

struct ins_capture {
	pcap_t *p;
	bool live;
	volatile sig_atomic_t stopped;
};

static int wrap(struct ins_capture **out, pcap_t *p, bool live, char *err, size_t errlen)
{
	struct ins_capture *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		pcap_close(p);
		snprintf(err, errlen, "out of memory");
		return NATT_ERR_NOMEM;
	}
	c->p = p;
	c->live = live;
	*out = c;
	return NATT_OK;
}

int ins_capture_open_file(struct ins_capture **out, const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	*out = NULL;
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (p == NULL) {
		snprintf(err, errlen, "%s: %s", strcmp(path, "-") == 0 ? "stdin" : path, perr);
		return NATT_ERR_IO;
	}
	return wrap(out, p, false, err, errlen);
}

int ins_capture_open_stream(struct ins_capture **out, FILE *f, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	*out = NULL;
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (p == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s", perr);
		return NATT_ERR_IO;
	}
	return wrap(out, p, false, err, errlen);
}

/* pcap_create + options + pcap_activate, with libpcap's message on failure. */
static pcap_t *activate(const char *iface, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(iface, perr);
	int rc;

	if (p == NULL) {
		snprintf(err, errlen, "%s: %s", iface, perr);
		return NULL;
	}
	pcap_set_snaplen(p, INS_LIVE_SNAPLEN);
	pcap_set_promisc(p, 0);
	pcap_set_timeout(p, INS_LIVE_TIMEOUT_MS);
	pcap_set_immediate_mode(p, 1);
	rc = pcap_activate(p);
	/* Non-blocking, polled with our own timeout: in immediate mode Linux
	 * ignores the read timeout, and -d must end a quiet capture. */
	if (rc < 0 || pcap_setnonblock(p, 1, perr) != 0 || pcap_get_selectable_fd(p) < 0) {
		snprintf(err, errlen, "%s: %s", iface, rc < 0 ? pcap_geterr(p) : perr);
		pcap_close(p);
		return NULL;
	}
	return p;
}

int ins_capture_open_live(struct ins_capture **out, const char *iface, char *err, size_t errlen)
{
	pcap_t *p;

	*out = NULL;
	p = activate(iface, err, errlen);
	if (p == NULL)
		return NATT_ERR_IO;
	return wrap(out, p, true, err, errlen);
}

int ins_capture_filter(struct ins_capture *c, const char *bpf, char *err, size_t errlen)
{
	struct bpf_program prog;
	int rc;

	if (pcap_compile(c->p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "filter \"%s\": %s", bpf, pcap_geterr(c->p));
		return NATT_ERR_SYNTAX;
	}
	rc = pcap_setfilter(c->p, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		snprintf(err, errlen, "filter \"%s\": %s", bpf, pcap_geterr(c->p));
		return NATT_ERR_SYNTAX;
	}
	return NATT_OK;
}

int ins_capture_linktype(const struct ins_capture *c)
{
	return pcap_datalink(c->p);
}

int ins_capture_snaplen(const struct ins_capture *c)
{
	return pcap_snapshot(c->p);
}

int ins_capture_next(struct ins_capture *c, struct ins_record *r, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(c->p, &h, &data);

	if (rc == 1) {
		r->ts = (natt_time_t)h->ts.tv_sec * NATT_SEC + (natt_time_t)h->ts.tv_usec;
		r->data = data;
		r->caplen = h->caplen;
		r->len = h->len;
		return INS_CAP_RECORD;
	}
	if (rc == 0) {
		struct pollfd pfd = {.fd = pcap_get_selectable_fd(c->p), .events = POLLIN};
		poll(&pfd, 1, INS_LIVE_TIMEOUT_MS);
		return c->stopped ? INS_CAP_STOPPED : INS_CAP_IDLE;
	}
	if (rc == PCAP_ERROR_BREAK)
		return c->stopped ? INS_CAP_STOPPED : INS_CAP_END;
	snprintf(err, errlen, "%s", pcap_geterr(c->p));
	return INS_CAP_ERROR;
}

void ins_capture_stop(struct ins_capture *c)
{
	c->stopped = 1;
	pcap_breakloop(c->p);
}

void ins_capture_close(struct ins_capture *c)
{
	if (c == NULL)
		return;
	pcap_close(c->p);
	free(c);
}
