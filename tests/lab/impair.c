// SPDX-License-Identifier: GPL-2.0
/*
 * impair: the lab's delay, jitter and loss stage (this kernel has no
 * netem). It owns a TUN device in the router namespace; policy routing
 * sends every packet that arrives from the client or server veth into
 * it, and impair writes each one back after its delay (or drops it), so
 * the kernel forwards it on by the main table.
 *
 * Each direction is a FIFO: a packet's release time is
 * max(arrival + delay + U(-jitter, +jitter), previous release), so
 * jitter never reorders a flow (as on a real path without ECMP).
 *
 *	impair --tun NAME --delay-ms D --jitter-ms J --loss-pct P --seed S
 *	       --down-net A.B.C.D/N --max-seconds T [--ready FILE]
 *
 * Packets to --down-net go "down" (to the client), all others "up".
 * Counters go to stderr on exit (SIGTERM, SIGINT, or --max-seconds).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX	65536	/* packets per direction; beyond: counted drop */
#define PKT_MAX		65536

struct pkt {
	uint64_t release_ns;
	uint32_t len;
	unsigned char *data;
};

struct queue {
	struct pkt ring[QUEUE_MAX];
	uint32_t head, count;
	uint64_t last_release_ns;
	uint64_t in, out, lost, overflow;
};

static struct queue dirs[2];	/* 0 up (to server), 1 down (to client) */
static volatile sig_atomic_t stop;
static uint64_t rng_state;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: the run's seed fixes the loss and jitter draws. */
static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static double rng_unit(void)
{
	return (double)(rng_next() >> 11) / (double)(1ull << 53);
}

static void on_signal(int sig __attribute__((unused)))
{
	stop = 1;
}

static int tun_open(const char *name)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "impair: /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "impair: TUNSETIFF %s: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int parse_net(const char *s, uint32_t *net, uint32_t *mask)
{
	char buf[64], *slash;
	struct in_addr a;
	long bits;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = 0;
	bits = strtol(slash + 1, NULL, 10);
	if (bits < 0 || bits > 32 || inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	*mask = bits ? htonl(~0u << (32 - bits)) : 0;
	*net = a.s_addr & *mask;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: impair --tun NAME --delay-ms D --jitter-ms J --loss-pct P\n"
		"              --seed S --down-net A.B.C.D/N --max-seconds T [--ready FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tun", required_argument, NULL, 't' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "jitter-ms", required_argument, NULL, 'j' },
		{ "loss-pct", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ "down-net", required_argument, NULL, 'n' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "ready", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tun = NULL, *ready = NULL, *down = NULL;
	double delay_ms = -1, jitter_ms = 0, loss = 0, max_s = 0;
	uint64_t seed = 1, deadline;
	uint32_t down_net = 0, down_mask = 0;
	unsigned char buf[PKT_MAX];
	int fd, c, d;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': tun = optarg; break;
		case 'd': delay_ms = strtod(optarg, NULL); break;
		case 'j': jitter_ms = strtod(optarg, NULL); break;
		case 'l': loss = strtod(optarg, NULL) / 100.0; break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'n': down = optarg; break;
		case 'm': max_s = strtod(optarg, NULL); break;
		case 'r': ready = optarg; break;
		default: usage();
		}
	}
	if (!tun || !down || delay_ms < 0 || delay_ms > 10000 ||
	    jitter_ms < 0 || jitter_ms > delay_ms || loss < 0 || loss > 1 ||
	    max_s <= 0 || max_s > 86400)
		usage();
	if (parse_net(down, &down_net, &down_mask)) {
		fprintf(stderr, "impair: --down-net %s: expected A.B.C.D/N\n", down);
		return 2;
	}
	rng_state = seed * 0x9E3779B97F4A7C15ull + 1;

	fd = tun_open(tun);
	if (fd < 0)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f) {
			fprintf(stderr, "impair: %s: %s\n", ready, strerror(errno));
			return 1;
		}
		fclose(f);
	}
	deadline = now_ns() + (uint64_t)(max_s * 1e9);

	while (!stop) {
		uint64_t now = now_ns(), next = now + 100000000ull;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int timeout_ms;

		if (now >= deadline)
			break;
		/* Release whatever is due, in FIFO order per direction. */
		for (d = 0; d < 2; d++) {
			struct queue *q = &dirs[d];

			while (q->count) {
				struct pkt *p = &q->ring[q->head];

				if (p->release_ns > now) {
					if (p->release_ns < next)
						next = p->release_ns;
					break;
				}
				if (write(fd, p->data, p->len) == (ssize_t)p->len)
					q->out++;
				free(p->data);
				q->head = (q->head + 1) % QUEUE_MAX;
				q->count--;
			}
		}
		timeout_ms = (int)((next - now + 999999) / 1000000);
		if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
			break;
		if (!(pfd.revents & POLLIN))
			continue;
		for (;;) {
			ssize_t n = read(fd, buf, sizeof(buf));
			struct queue *q;
			struct pkt *p;
			uint32_t dst;
			double jit;
			uint64_t rel;

			if (n <= 0)
				break;
			d = 0;
			if (n >= 20 && (buf[0] >> 4) == 4) {
				memcpy(&dst, buf + 16, 4);
				d = (dst & down_mask) == down_net;
			}
			q = &dirs[d];
			q->in++;
			if (loss > 0 && rng_unit() < loss) {
				q->lost++;
				continue;
			}
			if (q->count == QUEUE_MAX) {
				q->overflow++;
				continue;
			}
			jit = jitter_ms > 0 ? (rng_unit() * 2 - 1) * jitter_ms : 0;
			rel = now_ns() + (uint64_t)((delay_ms + jit) * 1e6);
			if (rel < q->last_release_ns)
				rel = q->last_release_ns;
			q->last_release_ns = rel;
			p = &q->ring[(q->head + q->count) % QUEUE_MAX];
			p->data = malloc((size_t)n);
			if (!p->data) {
				q->overflow++;
				continue;
			}
			memcpy(p->data, buf, (size_t)n);
			p->len = (uint32_t)n;
			p->release_ns = rel;
			q->count++;
		}
	}
	for (d = 0; d < 2; d++)
		fprintf(stderr, "impair: %s in %llu out %llu lost %llu overflow %llu\n",
			d ? "down" : "up", (unsigned long long)dirs[d].in,
			(unsigned long long)dirs[d].out,
			(unsigned long long)dirs[d].lost,
			(unsigned long long)dirs[d].overflow);
	close(fd);
	return 0;
}
