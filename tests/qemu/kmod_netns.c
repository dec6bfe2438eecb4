// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic.ko in two network namespaces at once, inside the QEMU guest.
 * tests/qemu/guest.d/25-kmod-netns.sh builds them, each with a peer
 * namespace behind a veth pair carrying the same addresses:
 *
 *   A (fpa)  fpa0 192.0.2.1                <-> fpa1 192.0.2.2    (fpa-peer)
 *   B (fpb)  fpb0 192.0.2.1, 198.51.100.1  <-> fpb1 192.0.2.2,
 *                                               198.51.100.2     (fpb-peer)
 *
 * Traffic sent from A is seen by A's hooks alone: A's GET_FLOWS and
 * GET_STATS show it, B's and the initial namespace's do not, and its
 * windows reach a listener in A, not one in B or in the initial
 * namespace. The same 5-tuple in A and B are two flows: a label and a
 * policy set in A do not touch B's. Every client socket is opened in the
 * namespace it speaks for (setns), as a process inside it would.
 *
 *   kmod_netns                    the test, TAP
 *   kmod_netns --max-flows NS N   sets NS's max_flows
 *   kmod_netns --flood NS DST S   from NS, UDP datagrams to DST for S
 *                                 seconds (at most 100000, 0.5 ms apart),
 *                                 each to the next port: a new flow each;
 *                                 errors (the path gone) do not stop it
 *   kmod_netns --label NS N       labels up to N of NS's flows class 1;
 *                                 prints "flows labelled"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "qemu_common.h"

#define NS_A		"fpa"
#define NS_A_PEER	"fpa-peer"
#define NS_B		"fpb"
#define NS_B_PEER	"fpb-peer"
#define HOST4		"192.0.2.1"
#define PEER4		"192.0.2.2"
#define HOST4_B		"198.51.100.1"
#define PEER4_B		"198.51.100.2"
#define DPORT		5000
#define IDLE_NS		200000000ULL	/* windows close 0.2 s after a flow */

enum { NET_INIT, NET_A, NET_B, NET_N };
static const char *const net_name[NET_N] = { "init", NS_A, NS_B };

static int init_fd = -1;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Into namespace @name ("init": the one we started in); 0 or -1. */
static int enter(const char *name)
{
	if (!strcmp(name, "init"))
		return setns(init_fd, CLONE_NEWNET);
	return qemu_enter_netns(name);
}

/* A UDP socket made in namespace @ns, bound to @src:@sport. */
static int udp_in(const char *ns, const char *src, uint16_t sport)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(sport) };
	int fd;

	if (enter(ns))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	inet_pton(AF_INET, src, &a.sin_addr);
	if (fd >= 0 && bind(fd, (void *)&a, sizeof(a))) {
		close(fd);
		fd = -1;
	}
	enter("init");
	return fd;
}

/* @n datagrams from @fd to @dst:DPORT; how many the stack took. */
static int send_n(int fd, const char *dst, int n)
{
	struct sockaddr_in d = { .sin_family = AF_INET,
				 .sin_port = htons(DPORT) };
	int i, sent = 0;

	inet_pton(AF_INET, dst, &d.sin_addr);
	for (i = 0; i < n; i++)
		sent += sendto(fd, "flowpic", 7, 0, (void *)&d, sizeof(d)) == 7;
	return sent;
}

/* Datagrams waiting on @fd, read after the path had 300 ms to settle. */
static int recv_all(int fd)
{
	char buf[64];
	int n = 0;

	usleep(300000);
	while (recv(fd, buf, sizeof(buf), 0) >= 0)
		n++;
	return n;
}

static struct kmod_client *client_in(const char *ns)
{
	struct kmod_client *c = NULL;
	int err;

	if (enter(ns))
		return NULL;
	err = kmod_client_open(&c);
	if (err)
		tap_diag("%s: kmod_client_open: %s", ns, strerror(-err));
	enter("init");
	return err ? NULL : c;
}

static void key4(struct flowpic_key *k, const char *a, uint16_t pa,
		 const char *b, uint16_t pb)
{
	struct in_addr v4;

	memset(k, 0, sizeof(*k));
	inet_pton(AF_INET, a, &v4);
	flowpic_addr_from_v4(k->lo_addr, v4.s_addr);
	inet_pton(AF_INET, b, &v4);
	flowpic_addr_from_v4(k->hi_addr, v4.s_addr);
	k->family = FLOWPIC_FAMILY_IPV4;
	k->lo_port = htons(pa);
	k->hi_port = htons(pb);
	k->proto = IPPROTO_UDP;
	flowpic_key_canon(k);
}

/* --- GET_FLOWS ------------------------------------------------------------- */

struct find {
	const struct flowpic_key *key;
	int found;
	uint32_t packets;
	int labelled;
	uint16_t class_id;
	uint16_t sport;		/* or: count flows whose ports hold it */
	int with_port;
	int total;
};

static int on_flow(const struct kmod_flow *f, void *arg)
{
	struct find *q = arg;
	const struct flowpic_key *k = &f->window.key;

	q->total++;
	if (q->key && !memcmp(k, q->key, sizeof(*k))) {
		q->found = 1;
		q->packets = f->window.packets[0] + f->window.packets[1];
		q->labelled = f->has_label;
		q->class_id = f->label.class_id;
	}
	if (q->sport && (ntohs(k->lo_port) == q->sport ||
			 ntohs(k->hi_port) == q->sport))
		q->with_port++;
	return 0;
}

static int find_flow(struct kmod_client *c, const struct flowpic_key *key,
		     uint16_t sport, struct find *q)
{
	memset(q, 0, sizeof(*q));
	q->key = key;
	q->sport = sport;
	return kmod_client_dump_flows(c, on_flow, q);
}

/* --- windows --------------------------------------------------------------- */

struct heard {
	uint16_t port[3];	/* flows of interest, by source port */
	int windows[3];
	uint32_t packets[3];
	int other;
};

static int on_window(const struct kmod_window *w, void *arg)
{
	struct heard *h = arg;
	const struct flowpic_key *k = &w->window.key;
	int i;

	for (i = 0; i < 3; i++) {
		if (h->port[i] && (ntohs(k->lo_port) == h->port[i] ||
				   ntohs(k->hi_port) == h->port[i])) {
			h->windows[i]++;
			h->packets[i] += w->window.packets[0] +
					 w->window.packets[1];
			return 0;
		}
	}
	h->other++;
	return 0;
}

/* Reads every listener's windows for @ms milliseconds. */
static void listen_all(struct kmod_client **c, struct heard *h, int ms)
{
	uint64_t end = now_ns() + ms * 1000000ULL;
	struct pollfd p[NET_N];
	int i;

	for (i = 0; i < NET_N; i++) {
		p[i].fd = kmod_client_windows_fd(c[i]);
		p[i].events = POLLIN;
	}
	while (now_ns() < end) {
		if (poll(p, NET_N, 50) <= 0)
			continue;
		for (i = 0; i < NET_N; i++)
			if (p[i].revents & POLLIN)
				kmod_client_recv_windows(c[i], on_window, &h[i]);
	}
}

/* --- the test -------------------------------------------------------------- */

static int64_t delta(const uint64_t *a, const uint64_t *b, int i)
{
	return (int64_t)(b[i] - a[i]);
}

/*
 * One TAP check: counter @i (@name) of GET_STATS moved by @a in A, by @b
 * in B and not in the initial namespace, from @st0 to @st1.
 */
static void check_moved(uint64_t st0[NET_N][__FLOWPIC_CNT_MAX],
			uint64_t st1[NET_N][__FLOWPIC_CNT_MAX], int i,
			const char *name, int64_t a, int64_t b)
{
	int64_t da = delta(st0[NET_A], st1[NET_A], i);
	int64_t db = delta(st0[NET_B], st1[NET_B], i);
	int64_t di = delta(st0[NET_INIT], st1[NET_INIT], i);

	tap_ok(da == a && db == b && di == 0,
	       "GET_STATS %s: A +%lld, B +%lld, initial +%lld (%lld, %lld, 0)",
	       name, (long long)da, (long long)db, (long long)di,
	       (long long)a, (long long)b);
}

static int max_flows(const char *ns, int n)
{
	struct kmod_client *c = client_in(ns);
	struct kmod_config cfg = { .max_flows = n };
	int err;

	if (!c)
		return 1;
	err = kmod_client_set_config(c, &cfg, KMOD_CONFIG_MAX_FLOWS);
	if (err)
		fprintf(stderr, "%s: %s\n", ns, kmod_client_error(c));
	kmod_client_close(c);
	return !!err;
}

static int flood(const char *ns, const char *dst, int seconds)
{
	struct sockaddr_in d = { .sin_family = AF_INET };
	uint64_t end = now_ns() + seconds * 1000000000ULL;
	int fd, i;

	if (enter(ns))
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 1;
	inet_pton(AF_INET, dst, &d.sin_addr);
	for (i = 0; i < 100000 && now_ns() < end; i++) {
		d.sin_port = htons(1024 + i % 60000);
		sendto(fd, "flowpic", 7, 0, (void *)&d, sizeof(d));
		usleep(500);
	}
	close(fd);
	return 0;
}

struct labeller {
	struct kmod_client *c;
	int max, flows, labelled;
};

static int label_flow(const struct kmod_flow *f, void *arg)
{
	struct flowpic_label l = { .class_id = 1, .confidence = 5000 };
	struct labeller *lb = arg;

	lb->flows++;
	if (lb->labelled < lb->max &&
	    !kmod_client_set_label(lb->c, &f->window.key, &l, NULL))
		lb->labelled++;
	return 0;
}

static int label(const char *ns, int n)
{
	struct labeller lb = { .max = n };
	struct kmod_client *c = client_in(ns), *w = client_in(ns);
	int err = -ENOENT;

	/* One client dumps, the other labels: one request at a time each. */
	if (c && w) {
		lb.c = w;
		err = kmod_client_dump_flows(c, label_flow, &lb);
	}
	if (c)
		kmod_client_close(c);
	if (w)
		kmod_client_close(w);
	printf("%d %d\n", lb.flows, lb.labelled);
	return err || !lb.labelled;
}

int main(int argc, char **argv)
{
	uint64_t st0[NET_N][__FLOWPIC_CNT_MAX], st1[NET_N][__FLOWPIC_CNT_MAX];
	struct kmod_client *c[NET_N] = { 0 };
	struct kmod_config cfg, got[NET_N];
	struct flowpic_label l7 = { .class_id = 7, .confidence = 9000 };
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	struct heard h[NET_N];
	struct flowpic_key kab, k3;
	struct find q;
	int i, fa, fb, ra, rb, ok;

	init_fd = open("/proc/self/ns/net", O_RDONLY);
	if (argc == 4 && !strcmp(argv[1], "--max-flows"))
		return max_flows(argv[2], atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "--flood"))
		return flood(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "--label"))
		return label(argv[2], atoi(argv[3]));

	tap_header();
	for (i = 0; i < NET_N; i++) {
		c[i] = client_in(net_name[i]);
		if (!tap_ok(c[i] != NULL, "%s: the family is there", net_name[i]))
			return tap_done();
		/* The listener's own socket is made where we are: in it. */
		ok = !enter(net_name[i]) && !kmod_client_subscribe(c[i]);
		enter("init");
		tap_ok(ok, "%s: listening to its windows", net_name[i]);
	}

	/* --- config: each namespace's own ---------------------------------- */
	for (i = 0; i < NET_N; i++)
		kmod_client_get_config(c[i], &got[i]);
	cfg.idle_ns = IDLE_NS;
	cfg.max_cells = 48;
	ok = !kmod_client_set_config(c[NET_A], &cfg,
				     KMOD_CONFIG_IDLE_NS | KMOD_CONFIG_MAX_CELLS);
	cfg.max_cells = 32;
	ok = ok && !kmod_client_set_config(c[NET_B], &cfg,
					   KMOD_CONFIG_IDLE_NS |
					   KMOD_CONFIG_MAX_CELLS);
	tap_ok(ok, "A and B each set their config (idle 0.2 s; max_cells 48, 32)");
	for (i = 0; i < NET_N; i++)
		kmod_client_get_config(c[i], &got[i]);
	tap_ok(got[NET_A].max_cells == 48 && got[NET_B].max_cells == 32 &&
	       got[NET_INIT].idle_ns != IDLE_NS,
	       "GET_CONFIG: A %u, B %u cells; the initial namespace's idle "
	       "untouched (%llu ns)", got[NET_A].max_cells,
	       got[NET_B].max_cells,
	       (unsigned long long)got[NET_INIT].idle_ns);

	/* --- traffic in A, in B: flows and counters apart ------------------ */
	for (i = 0; i < NET_N; i++)
		kmod_client_get_stats(c[i], st0[i]);
	fa = udp_in(NS_A, HOST4, 41000);
	fb = udp_in(NS_B, HOST4_B, 42000);
	ok = fa >= 0 && fb >= 0 && send_n(fa, PEER4, 5) == 5 &&
	     send_n(fb, PEER4_B, 7) == 7;
	tap_ok(ok, "5 datagrams from A (192.0.2.1:41000), 7 from B "
	       "(198.51.100.1:42000)");
	for (i = 0; i < NET_N; i++)
		kmod_client_get_stats(c[i], st1[i]);
	check_moved(st0, st1, FLOWPIC_CNT_BINNED, "binned", 5, 7);
	check_moved(st0, st1, FLOWPIC_CNT_FLOWS_NEW, "flows_new", 1, 1);

	key4(&kab, HOST4, 41000, PEER4, DPORT);
	ok = !find_flow(c[NET_A], &kab, 42000, &q) && q.found &&
	     q.packets == 5 && !q.with_port;
	tap_ok(ok, "A's GET_FLOWS: its flow, 5 packets; no flow of B's port "
	       "(%d flows)", q.total);
	key4(&kab, HOST4_B, 42000, PEER4_B, DPORT);
	ok = !find_flow(c[NET_B], &kab, 41000, &q) && q.found &&
	     q.packets == 7 && !q.with_port;
	tap_ok(ok, "B's GET_FLOWS: its flow, 7 packets; no flow of A's port "
	       "(%d flows)", q.total);
	ok = !find_flow(c[NET_INIT], NULL, 41000, &q) && !q.with_port;
	ok = ok && !find_flow(c[NET_INIT], NULL, 42000, &q) && !q.with_port;
	tap_ok(ok, "the initial namespace's GET_FLOWS has neither");

	/* --- windows: to listeners of their own namespace ------------------ */
	memset(h, 0, sizeof(h));
	for (i = 0; i < NET_N; i++) {
		h[i].port[0] = 41000;
		h[i].port[1] = 42000;
	}
	listen_all(c, h, 3000);
	tap_ok(h[NET_A].windows[0] == 1 && h[NET_A].packets[0] == 5 &&
	       !h[NET_A].windows[1],
	       "A's listener: A's window (%d, %u packets), none of B's (%d)",
	       h[NET_A].windows[0], h[NET_A].packets[0], h[NET_A].windows[1]);
	tap_ok(h[NET_B].windows[1] == 1 && h[NET_B].packets[1] == 7 &&
	       !h[NET_B].windows[0],
	       "B's listener: B's window (%d, %u packets), none of A's (%d)",
	       h[NET_B].windows[1], h[NET_B].packets[1], h[NET_B].windows[0]);
	tap_ok(!h[NET_INIT].windows[0] && !h[NET_INIT].windows[1],
	       "the initial namespace's listener: neither (%d, %d)",
	       h[NET_INIT].windows[0], h[NET_INIT].windows[1]);
	close(fa);
	close(fb);
	/* Flows stay put from here on: 60 s idle in both. */
	cfg.idle_ns = 60000000000ULL;
	kmod_client_set_config(c[NET_A], &cfg, KMOD_CONFIG_IDLE_NS);
	kmod_client_set_config(c[NET_B], &cfg, KMOD_CONFIG_IDLE_NS);

	/* --- the same 5-tuple in A and B: labels and policy apart ---------- */
	fa = udp_in(NS_A, HOST4, 43000);
	fb = udp_in(NS_B, HOST4, 43000);
	ra = udp_in(NS_A_PEER, PEER4, DPORT);
	rb = udp_in(NS_B_PEER, PEER4, DPORT);
	if (!tap_ok(fa >= 0 && fb >= 0 && ra >= 0 && rb >= 0,
		    "192.0.2.1:43000 -> 192.0.2.2:5000 in A and in B, "
		    "receivers in both peers"))
		return tap_done();
	send_n(fa, PEER4, 1);
	key4(&k3, HOST4, 43000, PEER4, DPORT);
	tap_ok(kmod_client_set_label(c[NET_B], &k3, &l7, NULL) == -ENOENT,
	       "B cannot label A's flow: B never saw it (ENOENT)");
	send_n(fb, PEER4, 1);
	ok = !kmod_client_set_label(c[NET_A], &k3, &l7, &drop);
	tap_ok(ok, "A labels it class 7, action drop");
	for (i = 0; i < NET_N; i++)
		kmod_client_get_stats(c[i], st0[i]);
	recv_all(ra);
	recv_all(rb);
	send_n(fa, PEER4, 3);
	send_n(fb, PEER4, 3);
	i = recv_all(ra);
	ok = recv_all(rb);
	tap_ok(i == 0 && ok == 3,
	       "3 datagrams each way after: A's peer got %d (0), B's %d (3)",
	       i, ok);
	for (i = 0; i < NET_N; i++)
		kmod_client_get_stats(c[i], st1[i]);
	tap_ok(delta(st0[NET_A], st1[NET_A], FLOWPIC_CNT_DROPPED) == 3 &&
	       delta(st0[NET_B], st1[NET_B], FLOWPIC_CNT_DROPPED) == 0,
	       "dropped: A +%lld, B +%lld (3, 0)",
	       (long long)delta(st0[NET_A], st1[NET_A], FLOWPIC_CNT_DROPPED),
	       (long long)delta(st0[NET_B], st1[NET_B], FLOWPIC_CNT_DROPPED));
	ok = !find_flow(c[NET_A], &k3, 0, &q) && q.found && q.labelled &&
	     q.class_id == 7;
	ok = ok && !find_flow(c[NET_B], &k3, 0, &q) && q.found &&
	     !q.labelled;
	tap_ok(ok, "GET_FLOWS: labelled class 7 in A, unlabelled in B");

	/* B's policy for class 7, B's label without an action: B's only. */
	ok = !kmod_client_set_policy(c[NET_B], 7, &drop) &&
	     !kmod_client_set_label(c[NET_A], &k3, &l7, NULL) &&
	     !kmod_client_set_label(c[NET_B], &k3, &l7, NULL);
	tap_ok(ok, "B: policy class 7 drop; both label the flow class 7, "
	       "no action of its own");
	send_n(fa, PEER4, 2);
	send_n(fb, PEER4, 2);
	i = recv_all(ra);
	ok = recv_all(rb);
	tap_ok(i == 2 && ok == 0,
	       "A's class 7 passes under A's policy (%d of 2), B's is dropped "
	       "by B's (%d of 2 through)", i, ok);
	kmod_client_clear_label(c[NET_A], &k3);
	kmod_client_clear_label(c[NET_B], &k3);
	close(fa);
	close(fb);
	close(ra);
	close(rb);
	for (i = 0; i < NET_N; i++)
		kmod_client_close(c[i]);
	return tap_done();
}
