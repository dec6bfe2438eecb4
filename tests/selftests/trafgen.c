// SPDX-License-Identifier: GPL-2.0
/*
 * trafgen: bounded test traffic whose packet counts are known in advance.
 *
 *   trafgen udp-echo ADDR PORT COUNT [TIMEOUT_S]
 *	answers COUNT datagrams on ADDR:PORT, each with one of its size
 *   trafgen udp-send ADDR PORT SPORT COUNT SIZE [GAP_MS [TIMEOUT_S]]
 *	sends COUNT datagrams of SIZE payload bytes from SPORT, GAP_MS
 *	apart, and waits for an answer to each
 *   trafgen tcp-sink ADDR PORT [TIMEOUT_S]
 *	accepts one connection and reads it to its end
 *   trafgen tcp-send ADDR PORT SPORT BYTES [CHUNK [GAP_MS]]
 *	connects from SPORT, writes BYTES in CHUNK-byte writes, closes
 *   trafgen tcp-raw SRC DST SPORT DPORT FLAGS COUNT [PAYLOAD]
 *	sends COUNT bare IPv4 TCP segments outside any connection (a raw
 *	socket, sequence numbers out of any window): FLAGS of R (RST),
 *	F (FIN), S, P, A; PAYLOAD bytes each (default 0)
 *
 * Every wait is bounded; a failure exits non-zero with what failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int addr_of(const char *a, int port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	fprintf(stderr, "trafgen: bad address %s\n", a);
	exit(2);
}

static int sock_bound(const char *a, int port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fam = addr_of(a, port, &ss, &len);
	int fd = socket(fam, type, 0);

	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&ss, len))
		goto fail;
	return fd;
fail:
	fprintf(stderr, "trafgen: %s port %d: %s\n", a, port, strerror(errno));
	exit(1);
}

static int wait_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static int udp_echo(char **argv, int argc)
{
	int fd = sock_bound(argv[0], atoi(argv[1]), SOCK_DGRAM);
	int count = atoi(argv[2]), timeout = argc > 3 ? atoi(argv[3]) : 10, i;
	char buf[65536];

	for (i = 0; i < count; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		if (!wait_in(fd, timeout * 1000)) {
			fprintf(stderr, "trafgen: udp-echo: %d of %d datagrams\n",
				i, count);
			return 1;
		}
		n = recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &flen);
		if (n < 0 || sendto(fd, buf, n, 0, (void *)&from, flen) != n) {
			perror("trafgen: udp-echo");
			return 1;
		}
	}
	return 0;
}

static void nap(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (ms > 0)
		nanosleep(&ts, NULL);
}

static int udp_send(char **argv, int argc)
{
	const char *any;
	struct sockaddr_storage to;
	socklen_t tlen;
	int fam = addr_of(argv[0], atoi(argv[1]), &to, &tlen);
	int count = atoi(argv[3]), size = atoi(argv[4]);
	int gap = argc > 5 ? atoi(argv[5]) : 10;
	int timeout = argc > 6 ? atoi(argv[6]) : 5, fd, i;
	char buf[65536];

	if (size < 0 || size > (int)sizeof(buf))
		return fprintf(stderr, "trafgen: bad size %d\n", size), 2;
	any = fam == AF_INET ? "0.0.0.0" : "::";
	fd = sock_bound(any, atoi(argv[2]), SOCK_DGRAM);
	memset(buf, 'f', size);
	for (i = 0; i < count; i++) {
		if (sendto(fd, buf, size, 0, (void *)&to, tlen) != size) {
			perror("trafgen: udp-send");
			return 1;
		}
		/* One answer per datagram keeps both counts exact. */
		if (!wait_in(fd, timeout * 1000) ||
		    recv(fd, buf, sizeof(buf), 0) != size) {
			fprintf(stderr, "trafgen: udp-send: no answer to %d\n", i);
			return 1;
		}
		nap(gap);
	}
	return 0;
}

static int tcp_sink(char **argv, int argc)
{
	int fd = sock_bound(argv[0], atoi(argv[1]), SOCK_STREAM);
	int timeout = argc > 2 ? atoi(argv[2]) : 10, c;
	char buf[65536];
	ssize_t n;

	if (listen(fd, 1) || !wait_in(fd, timeout * 1000)) {
		fprintf(stderr, "trafgen: tcp-sink: no connection\n");
		return 1;
	}
	c = accept(fd, NULL, NULL);
	if (c < 0)
		return perror("trafgen: accept"), 1;
	while (wait_in(c, timeout * 1000) &&
	       (n = read(c, buf, sizeof(buf))) > 0)
		;
	close(c);
	return 0;
}

static int tcp_send(char **argv, int argc)
{
	struct sockaddr_storage to;
	socklen_t tlen;
	int fam = addr_of(argv[0], atoi(argv[1]), &to, &tlen);
	long bytes = atol(argv[3]);
	int chunk = argc > 4 ? atoi(argv[4]) : 1000;
	int gap = argc > 5 ? atoi(argv[5]) : 0, fd, one = 1;
	char buf[65536];

	if (chunk < 1 || chunk > (int)sizeof(buf))
		return fprintf(stderr, "trafgen: bad chunk %d\n", chunk), 2;
	fd = sock_bound(fam == AF_INET ? "0.0.0.0" : "::", atoi(argv[2]),
			SOCK_STREAM);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (void *)&to, tlen))
		return perror("trafgen: connect"), 1;
	memset(buf, 't', chunk);
	while (bytes > 0) {
		int n = bytes < chunk ? (int)bytes : chunk;

		if (write(fd, buf, n) != n)
			return perror("trafgen: write"), 1;
		bytes -= n;
		nap(gap);
	}
	shutdown(fd, SHUT_WR);
	/* Wait for the peer's FIN so the conversation ends on both sides. */
	while (wait_in(fd, 5000) && read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

static uint16_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static int tcp_raw(char **a, int n)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct sockaddr_in dst = { .sin_family = AF_INET };
	int count = atoi(a[5]), payload = n > 6 ? atoi(a[6]) : 0, i, fd;
	uint8_t seg[20 + 1400] = { 0 }, pseudo[12];
	uint8_t flags = 0;
	const char *f;
	uint32_t seq;
	uint16_t sum;

	if (inet_pton(AF_INET, a[0], &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, a[1], &dst.sin_addr) != 1 || count < 1 ||
	    count > 1000 || payload < 0 || payload > 1400) {
		fprintf(stderr, "trafgen: tcp-raw SRC DST SPORT DPORT FLAGS COUNT [PAYLOAD]: IPv4, COUNT 1..1000, PAYLOAD 0..1400\n");
		return 2;
	}
	for (f = a[4]; *f; f++)
		flags |= *f == 'F' ? 0x01 : *f == 'S' ? 0x02 : *f == 'R' ? 0x04 :
			 *f == 'P' ? 0x08 : *f == 'A' ? 0x10 : 0;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	if (fd < 0 || bind(fd, (void *)&src, sizeof(src))) {
		perror("trafgen: tcp-raw socket");
		return 1;
	}
	seq = (uint32_t)time(NULL) * 2654435761U;	/* in no window */
	for (i = 0; i < count; i++) {
		seg[0] = atoi(a[2]) >> 8;
		seg[1] = atoi(a[2]) & 0xff;
		seg[2] = atoi(a[3]) >> 8;
		seg[3] = atoi(a[3]) & 0xff;
		seg[4] = seq >> 24;
		seg[5] = seq >> 16;
		seg[6] = seq >> 8;
		seg[7] = seq;
		seg[12] = 5 << 4;
		seg[13] = flags;
		seg[14] = 0xff;		/* window */
		seg[16] = seg[17] = 0;
		memcpy(pseudo, &src.sin_addr, 4);
		memcpy(pseudo + 4, &dst.sin_addr, 4);
		pseudo[8] = 0;
		pseudo[9] = IPPROTO_TCP;
		pseudo[10] = (20 + payload) >> 8;
		pseudo[11] = (20 + payload) & 0xff;
		sum = csum_add(csum_add(0, pseudo, 12), seg, 20 + payload);
		sum = ~sum;
		seg[16] = sum >> 8;
		seg[17] = sum & 0xff;
		if (sendto(fd, seg, 20 + payload, 0, (void *)&dst,
			   sizeof(dst)) < 0) {
			perror("trafgen: tcp-raw sendto");
			close(fd);
			return 1;
		}
		seq += 1000 + payload;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "udp-echo"))
		return udp_echo(argv + 2, argc - 2);
	if (argc >= 7 && !strcmp(argv[1], "udp-send"))
		return udp_send(argv + 2, argc - 2);
	if (argc >= 4 && !strcmp(argv[1], "tcp-sink"))
		return tcp_sink(argv + 2, argc - 2);
	if (argc >= 6 && !strcmp(argv[1], "tcp-send"))
		return tcp_send(argv + 2, argc - 2);
	if (argc >= 8 && !strcmp(argv[1], "tcp-raw"))
		return tcp_raw(argv + 2, argc - 2);
	fprintf(stderr, "usage: see the comment at the top of trafgen.c\n");
	return 2;
}
