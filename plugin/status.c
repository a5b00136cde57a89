/*
 * status.c: formatting and rewriting the status file (status.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"

/* The file natt_status_open opened: the worker has one status file. */
static struct {
	int fd; /* -1: none */
	char path[PATH_MAX];
} opened = {.fd = -1};

char *natt_status_cand(const struct natt_cand *c, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (c->kind == NATT_CAND_NONE || (c->family != 4 && c->family != 6)) {
		snprintf(buf, cap, "-");
		return buf;
	}
	inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a));
	snprintf(buf, cap, c->family == 4 ? "%s:%u" : "[%s]:%u", a, c->port);
	return buf;
}

int natt_status_append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= cap)
		return NATT_ERR_BUFFER;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len) {
		buf[*len] = '\0';
		return NATT_ERR_BUFFER;
	}
	*len += (size_t)n;
	return NATT_OK;
}

int natt_status_head(char *buf, size_t cap, size_t *len, const char *role, const char *name,
		     time_t now)
{
	char stamp[32];
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	return natt_status_append(
		buf, cap, len,
		"TITLE,openvpn-plugin-natt,%s,%s\n"
		"TIME,%s,%lld\n"
		"HEADER,PEER,Name,Loopback,Real Address,Path,State,RTT ms,Loss %%,"
		"Bytes In,Bytes Out,Packets In,Packets Out,Up Since\n",
		role, name, stamp, (long long)now);
}

int natt_status_peer_line(char *buf, size_t cap, size_t *len, const struct natt_status_peer *p)
{
	char real[64], loop[32];

	if (p->loopback != 0)
		snprintf(loop, sizeof(loop), "%s:%u", p->loop_ip, p->loopback);
	else
		snprintf(loop, sizeof(loop), "-");
	return natt_status_append(
		buf, cap, len, "PEER,%s,%s,%s,%s,%s,%.1f,%.2f,%llu,%llu,%llu,%llu,%lld\n",
		p->name[0] ? p->name : "-", loop, natt_status_cand(&p->real, real, sizeof(real)),
		p->path, p->state, p->rtt_ms, p->loss * 100.0, (unsigned long long)p->bytes_in,
		(unsigned long long)p->bytes_out, (unsigned long long)p->packets_in,
		(unsigned long long)p->packets_out, (long long)p->up_since);
}

int natt_status_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	natt_status_close();
	if (strlen(path) >= sizeof(opened.path)) {
		snprintf(err, errlen, "status %s: path too long", path);
		return NATT_ERR_IO;
	}
	/* O_NONBLOCK: a FIFO must not hang the start (it is refused below) */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "status %s: %s", path, strerror(errno));
		return NATT_ERR_IO;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "status %s: not a regular file", path);
		close(fd);
		return NATT_ERR_IO;
	}
	opened.fd = fd;
	strcpy(opened.path, path);
	return NATT_OK;
}

void natt_status_close(void)
{
	if (opened.fd >= 0)
		close(opened.fd);
	opened.fd = -1;
	opened.path[0] = '\0';
}

static int write_all(int fd, const char *text, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = pwrite(fd, text + off, len - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static int rewrite_in_place(const char *text, size_t len, char *err, size_t errlen)
{
	if (ftruncate(opened.fd, 0) < 0 || write_all(opened.fd, text, len) < 0) {
		snprintf(err, errlen, "status %s: %s", opened.path, strerror(errno));
		return NATT_ERR_IO;
	}
	return NATT_OK;
}

int natt_status_write(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	char tmp[4200];
	int fd;

	if (opened.fd >= 0 && strcmp(path, opened.path) == 0)
		return rewrite_in_place(text, len, err, errlen);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "status %s: path too long", path);
		return NATT_ERR_IO;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		goto fail;
	if (write_all(fd, text, len) < 0) {
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0)
		goto fail;
	return NATT_OK;
fail:
	snprintf(err, errlen, "status %s: %s", path, strerror(errno));
	unlink(tmp);
	return NATT_ERR_IO;
}
