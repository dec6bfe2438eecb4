// SPDX-License-Identifier: GPL-2.0
/*
 * Eviction under a flood (guest.d/60-kmod-flood.sh): with flowpic.ko
 * loaded with max_flows=TABLE, eight long-lived UDP flows on loopback are
 * labelled with a drop verdict, then ten times TABLE new tuples arrive
 * while the long-lived flows keep sending. The labelled flows must keep
 * their label and window and their packets must still be dropped; the
 * flood's own flows are the ones evicted.
 *
 *   kmod_flood TABLE
 *
 * Prints TAP (tests/unit/tap.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "qemu_common.h"

#define LONG_FLOWS	8
#define LONG_PORT	5001	/* .. 5008 */
#define SINK_PORT	6000
#define FLOOD_PORT	10000	/* .. + 10 x TABLE */
#define LABEL_CLASS	7
#define LABEL_MARK	0xf100d

/* 0, or -errno of sendto(). */
static int send_to(int fd, uint16_t port)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	static const char buf[100];

	if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		return -errno;
	return 0;
}

static void key_of(struct flowpic_key *k, uint16_t a, uint16_t b)
{
	memset(k, 0, sizeof(*k));
	flowpic_addr_from_v4(k->lo_addr, htonl(INADDR_LOOPBACK));
	flowpic_addr_from_v4(k->hi_addr, htonl(INADDR_LOOPBACK));
	k->lo_port = htons(a);
	k->hi_port = htons(b);
	k->proto = IPPROTO_UDP;
	k->family = FLOWPIC_FAMILY_IPV4;
	flowpic_key_canon(k);
}

struct seen {
	struct flowpic_key key[LONG_FLOWS];
	struct kmod_flow flow[LONG_FLOWS];
	int found[LONG_FLOWS];
	int total;
};

static int seen_cb(const struct kmod_flow *f, void *arg)
{
	struct seen *s = arg;
	int i;

	s->total++;
	for (i = 0; i < LONG_FLOWS; i++)
		if (!memcmp(&f->window.key, &s->key[i], sizeof(s->key[i]))) {
			s->flow[i] = *f;
			s->found[i] = 1;
		}
	return 0;
}

static int dump(struct kmod_client *c, struct seen *s)
{
	memset(s->flow, 0, sizeof(s->flow));
	memset(s->found, 0, sizeof(s->found));
	s->total = 0;
	return kmod_client_dump_flows(c, seen_cb, s);
}

/* How many long-lived flows had their packet dropped (EPERM). */
static int poke(const int *fd)
{
	int i, dropped = 0;

	for (i = 0; i < LONG_FLOWS; i++)
		dropped += send_to(fd[i], SINK_PORT) == -EPERM;
	return dropped;
}

int main(int argc, char **argv)
{
	uint32_t table = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	uint64_t c0[__FLOWPIC_CNT_MAX], c1[__FLOWPIC_CNT_MAX];
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	uint32_t pkts0[LONG_FLOWS], i, flood = 10 * table, sent = 0;
	int fd[LONG_FLOWS], sink, ffd, err, kept, dropped;
	struct kmod_config cfg;
	struct kmod_client *c;
	struct timespec t0, t1;
	struct seen s;

	tap_header();
	c = qemu_family_open();
	if (!c)
		return tap_done();
	/* Windows of a minute: none closes by time during the test. */
	err = kmod_client_get_config(c, &cfg);
	cfg.geom.window_ns = 60000000000ULL;
	err = err ?: kmod_client_set_config(c, &cfg, KMOD_CONFIG_GEOM);
	tap_ok(!err && cfg.max_flows == table,
	       "max_flows %u, 60 s windows (%s)", cfg.max_flows,
	       err ? kmod_client_error(c) : "ok");

	sink = qemu_udp_loopback(SINK_PORT);
	ffd = qemu_udp_loopback(0);
	for (i = 0; i < LONG_FLOWS; i++) {
		fd[i] = qemu_udp_loopback(LONG_PORT + i);
		key_of(&s.key[i], LONG_PORT + i, SINK_PORT);
		send_to(fd[i], SINK_PORT);
		send_to(fd[i], SINK_PORT);
	}
	err = 0;
	for (i = 0; i < LONG_FLOWS && !err; i++) {
		struct flowpic_label l = {
			.class_id = LABEL_CLASS, .confidence = 9000,
			.window = 1000 + i, .set_ns = LABEL_MARK,
		};

		err = kmod_client_set_label(c, &s.key[i], &l, &drop);
	}
	tap_ok(!err, "%d long-lived flows labelled, action drop (%s)",
	       LONG_FLOWS, err ? kmod_client_error(c) : "ok");
	dropped = poke(fd);
	tap_ok(dropped == LONG_FLOWS, "before the flood: %d of %d dropped",
	       dropped, LONG_FLOWS);
	err = dump(c, &s);
	for (i = 0; i < LONG_FLOWS; i++)
		pkts0[i] = s.flow[i].window.packets[0] +
			   s.flow[i].window.packets[1];

	kmod_client_get_stats(c, c0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < flood; i++) {
		sent += !send_to(ffd, FLOOD_PORT + i);
		if (i % 2048 == 2047)	/* slower than the flood */
			poke(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kmod_client_get_stats(c, c1);
	printf("# flood: %u new tuples in %.2f s; flows new %llu, evicted %llu\n",
	       sent, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       (unsigned long long)(c1[FLOWPIC_CNT_FLOWS_NEW] -
				    c0[FLOWPIC_CNT_FLOWS_NEW]),
	       (unsigned long long)(c1[FLOWPIC_CNT_FLOWS_EVICTED] -
				    c0[FLOWPIC_CNT_FLOWS_EVICTED]));
	tap_ok(sent == flood && c1[FLOWPIC_CNT_FLOWS_EVICTED] -
	       c0[FLOWPIC_CNT_FLOWS_EVICTED] >= flood - table,
	       "flood of %u new tuples (10x the table) evicted at least %u flows",
	       flood, flood - table);

	err = dump(c, &s);
	kept = 0;
	for (i = 0; i < LONG_FLOWS; i++) {
		const struct kmod_flow *f = &s.flow[i];

		kept += s.found[i] && f->has_label &&
			f->label.class_id == LABEL_CLASS &&
			f->label.window == 1000 + i &&
			f->label.set_ns == LABEL_MARK &&
			f->window.packets[0] + f->window.packets[1] > pkts0[i];
	}
	tap_ok(!err && kept == LONG_FLOWS,
	       "after: %d of %d labelled flows kept their label and window",
	       kept, LONG_FLOWS);
	tap_ok(!err && s.total <= (int)table, "the table holds %d <= %u flows",
	       s.total, table);
	dropped = poke(fd);
	tap_ok(dropped == LONG_FLOWS, "after: %d of %d still dropped",
	       dropped, LONG_FLOWS);
	for (i = 0; i < LONG_FLOWS; i++)
		close(fd[i]);
	close(ffd);
	close(sink);
	kmod_client_close(c);
	return tap_done();
}
