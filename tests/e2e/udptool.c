/*
 * udptool.c: the smallest UDP tools the NAT lab needs to check itself.
 *
 *   udptool reflect PORT SECONDS     answer each datagram with "ip:port" of its source
 *   udptool map LPORT DEST...        from local port LPORT, ask each reflector
 *                                    DEST (ip:port) and print what it saw
 *   udptool send LPORT DEST TEXT     send one datagram
 *   udptool listen PORT SECONDS      exit 0 if anything arrives, 1 if not
 *
 * IPv4 only; every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: udptool reflect PORT SECONDS | map LPORT DEST... | "
			"send LPORT DEST TEXT | listen PORT SECONDS\n");
	exit(2);
}

static int bound_socket(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("udptool: socket/bind");
		exit(1);
	}
	return fd;
}

static void parse_dest(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		usage();
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		usage();
}

/* Waits up to ms for a datagram; returns its length or -1. */
static ssize_t recv_wait(int fd, char *buf, size_t cap, int ms, struct sockaddr_in *from)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	socklen_t fl = sizeof(*from);

	if (poll(&p, 1, ms) != 1)
		return -1;
	return recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &fl);
}

static int reflect(int port, int seconds)
{
	int fd = bound_socket(port);
	time_t end = time(NULL) + seconds;
	char buf[2048], out[64], ip[INET_ADDRSTRLEN];
	struct sockaddr_in from;

	while (time(NULL) < end) {
		if (recv_wait(fd, buf, sizeof(buf), 200, &from) < 0)
			continue;
		inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
		int n = snprintf(out, sizeof(out), "%s:%u", ip, ntohs(from.sin_port));
		sendto(fd, out, (size_t)n, 0, (struct sockaddr *)&from, sizeof(from));
	}
	return 0;
}

static int map(int lport, int ndest, char **dest)
{
	int fd = bound_socket(lport), rc = 0;
	char buf[128];

	for (int i = 0; i < ndest; i++) {
		struct sockaddr_in sa, from;
		ssize_t n = -1;

		parse_dest(dest[i], &sa);
		for (int attempt = 0; attempt < 5 && n < 0; attempt++) {
			sendto(fd, "map", 3, 0, (struct sockaddr *)&sa, sizeof(sa));
			n = recv_wait(fd, buf, sizeof(buf) - 1, 300, &from);
		}
		if (n < 0) {
			printf("%s none\n", dest[i]);
			rc = 1;
			continue;
		}
		buf[n] = '\0';
		printf("%s %s\n", dest[i], buf);
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	if (strcmp(argv[1], "reflect") == 0 && argc == 4)
		return reflect(atoi(argv[2]), atoi(argv[3]));
	if (strcmp(argv[1], "map") == 0 && argc >= 4)
		return map(atoi(argv[2]), argc - 3, argv + 3);
	if (strcmp(argv[1], "send") == 0 && argc == 5) {
		struct sockaddr_in sa;
		int fd = bound_socket(atoi(argv[2]));
		parse_dest(argv[3], &sa);
		return sendto(fd, argv[4], strlen(argv[4]), 0, (struct sockaddr *)&sa, sizeof(sa)) <
		       0;
	}
	if (strcmp(argv[1], "listen") == 0 && argc == 4) {
		struct sockaddr_in from;
		char buf[2048];
		int fd = bound_socket(atoi(argv[2]));
		return recv_wait(fd, buf, sizeof(buf), atoi(argv[3]) * 1000, &from) < 0;
	}
	usage();
	return 2;
}
