// SPDX-License-Identifier: GPL-2.0
/*
 * flowpic.ko end to end inside the QEMU guest: real traffic between the
 * host namespace (192.0.2.1, 2001:db8::1) and the namespace NETNS
 * (192.0.2.2, 2001:db8::2) that tests/qemu/guest.d/20-kmod-traffic.sh
 * builds, seen by the module's hooks, announced as windows over generic
 * netlink, labelled back, enforced; then malformed requests and an
 * unprivileged caller.
 *
 *   kmod_traffic NETNS          the whole test, TAP
 *   kmod_traffic NETNS --load N send one UDP packet on N flows, list them
 *                               with GET_FLOWS, exit (for unloading with
 *                               live flows)
 *   kmod_traffic NETNS --mark N send N UDP datagrams, SO_MARK MARK_SOCKET,
 *                               on a flow labelled mark MARK_VALUE under
 *                               MARK_MASK; prints how many left (the
 *                               script reads the mark back with tc)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "qemu_common.h"

#define HOST4		"192.0.2.1"
#define PEER4		"192.0.2.2"
#define HOST6		"2001:db8::1"
#define PEER6		"2001:db8::2"
#define UDP_PORT	5000
#define TCP_PORT	5001
#define WINDOW_NS	1000000000ULL
#define IDLE_NS		2000000000ULL
#define SERVER_LIFE	300		/* s: the echo server's own bound */
#define MAX_WINDOWS	4096
#define NOBODY		65534

static const char *netns;

/* What we keep of each announced window. */
struct seen {
	struct flowpic_window w;
	uint64_t cell_sum;
	uint64_t rows[2];	/* per channel, the rows holding packets */
	int sorted;
};

/* Bytes the echo server's TCP side read, shared with it. */
static volatile uint64_t *tcp_received;

static struct seen seen[MAX_WINDOWS];
static int nseen, seen_overflow, drain_errors;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int on_window(const struct kmod_window *w, void *arg)
{
	struct seen *s;
	uint32_t i;

	if (nseen >= MAX_WINDOWS) {
		seen_overflow++;
		return 0;
	}
	s = &seen[nseen++];
	s->w = w->window;
	s->sorted = 1;
	s->cell_sum = 0;
	s->rows[0] = 0;
	s->rows[1] = 0;
	for (i = 0; i < w->ncells; i++) {
		uint32_t n = w->window.n, idx = w->cells[i].index;

		s->cell_sum += w->cells[i].count;
		if (n && n <= 64 && idx / (n * n) < 2)
			s->rows[idx / (n * n)] |= 1ULL << (idx / n % n);
		if (i && w->cells[i].index <= w->cells[i - 1].index)
			s->sorted = 0;
	}
	return 0;
}

/* Reads announced windows for up to @ms milliseconds. */
static int drain(struct kmod_client *c, unsigned int ms)
{
	struct pollfd p = { .fd = kmod_client_windows_fd(c), .events = POLLIN };
	uint64_t end = now_ns() + ms * 1000000ULL;
	int err;

	while (now_ns() < end) {
		if (poll(&p, 1, 50) > 0) {
			err = kmod_client_recv_windows(c, on_window, NULL);
			if (err) {
				tap_diag("reading windows: %s",
					 kmod_client_error(c));
				drain_errors++;
				return err;
			}
		}
	}
	return 0;
}

static void key_of(struct flowpic_key *k, int family, const char *a,
		   uint16_t pa, const char *b, uint16_t pb, uint8_t proto)
{
	struct in_addr v4;

	memset(k, 0, sizeof(*k));
	if (family == 4) {
		inet_pton(AF_INET, a, &v4);
		flowpic_addr_from_v4(k->lo_addr, v4.s_addr);
		inet_pton(AF_INET, b, &v4);
		flowpic_addr_from_v4(k->hi_addr, v4.s_addr);
		k->family = FLOWPIC_FAMILY_IPV4;
	} else {
		inet_pton(AF_INET6, a, k->lo_addr);
		inet_pton(AF_INET6, b, k->hi_addr);
		k->family = FLOWPIC_FAMILY_IPV6;
	}
	k->lo_port = htons(pa);
	k->hi_port = htons(pb);
	k->proto = proto;
	flowpic_key_canon(k);
}

/* --- the echo server, in the other namespace ------------------------------ */

static int listen_on(int family, int type, uint16_t port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd, one = 1;

	fd = socket(family, type, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (family == AF_INET6 ? bind(fd, (void *)&a6, sizeof(a6)) :
				 bind(fd, (void *)&a4, sizeof(a4)))
		return -1;
	if (type == SOCK_STREAM && listen(fd, 8))
		return -1;
	return fd;
}

/* Echoes UDP, swallows TCP; writes one byte to @ready once listening. */
static void echo_server(int ready)
{
	struct pollfd p[3];
	char buf[65536];
	time_t end = time(NULL) + SERVER_LIFE;
	int i;

	if (qemu_enter_netns(netns))
		_exit(2);
	p[0].fd = listen_on(AF_INET, SOCK_DGRAM, UDP_PORT);
	p[1].fd = listen_on(AF_INET6, SOCK_DGRAM, UDP_PORT);
	p[2].fd = listen_on(AF_INET, SOCK_STREAM, TCP_PORT);
	for (i = 0; i < 3; i++) {
		if (p[i].fd < 0)
			_exit(3);
		p[i].events = POLLIN;
	}
	if (write(ready, "r", 1) != 1)
		_exit(4);
	while (time(NULL) < end) {
		if (poll(p, 3, 200) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n;

			if (!(p[i].revents & POLLIN))
				continue;
			n = recvfrom(p[i].fd, buf, sizeof(buf), 0,
				     (void *)&from, &fl);
			if (n >= 0)
				sendto(p[i].fd, buf, n, 0, (void *)&from, fl);
		}
		if (p[2].revents & POLLIN) {
			int s = accept(p[2].fd, NULL, NULL);
			struct timeval tv = { 5, 0 };
			ssize_t n;

			if (s < 0)
				continue;
			setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			while ((n = read(s, buf, sizeof(buf))) > 0)
				*tcp_received += n;
			close(s);
		}
	}
	_exit(0);
}

static pid_t start_server(void)
{
	int fds[2];
	char c;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (!pid) {
		close(fds[0]);
		echo_server(fds[1]);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &c, 1) != 1) {
		close(fds[0]);
		return -1;
	}
	close(fds[0]);
	return pid;
}

/* --- traffic from the host namespace --------------------------------------- */

/* A UDP socket bound to @src:@sport, connected to @dst:@dport if not 0. */
static int udp_socket_to(int family, const char *src, uint16_t sport,
			 const char *dst, uint16_t dport)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 }, d6 = s6;
	struct sockaddr_in s4 = { .sin_family = AF_INET }, d4 = s4;
	struct timeval tv = { 1, 0 };
	int fd;

	fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (family == 4) {
		inet_pton(AF_INET, src, &s4.sin_addr);
		if (dport)
			inet_pton(AF_INET, dst, &d4.sin_addr);
		s4.sin_port = htons(sport);
		d4.sin_port = htons(dport);
		if (bind(fd, (void *)&s4, sizeof(s4)) ||
		    (dport && connect(fd, (void *)&d4, sizeof(d4))))
			goto err;
	} else {
		inet_pton(AF_INET6, src, &s6.sin6_addr);
		if (dport)
			inet_pton(AF_INET6, dst, &d6.sin6_addr);
		s6.sin6_port = htons(sport);
		d6.sin6_port = htons(dport);
		if (bind(fd, (void *)&s6, sizeof(s6)) ||
		    (dport && connect(fd, (void *)&d6, sizeof(d6))))
			goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

/* A UDP socket bound to @src:@sport, connected to @dst:UDP_PORT. */
static int udp_socket(int family, const char *src, uint16_t sport,
		      const char *dst)
{
	return udp_socket_to(family, src, sport, dst, UDP_PORT);
}

/* One datagram HOST4:@sport -> PEER4:@dport: 0, or -errno. */
static int udp_poke(uint16_t sport, uint16_t dport)
{
	int fd = udp_socket_to(4, HOST4, sport, PEER4, dport), err = 0;

	if (fd < 0)
		return -EIO;
	if (send(fd, "x", 1, 0) != 1)
		err = -errno;
	close(fd);
	return err;
}

struct udp_run {
	int sent, echoed, refused;
	uint64_t bytes_out, bytes_in;	/* IP total lengths */
};

/* Sends @n datagrams of growing size, @gap_ms apart, reading each echo. */
static void udp_exchange(int fd, int family, int n, unsigned int gap_ms,
			 struct udp_run *r)
{
	unsigned int hdr = family == 4 ? 20 + 8 : 40 + 8;
	char buf[2000] = { 0 };
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < n; i++) {
		size_t len = 50 + (i * 37) % 1400;
		ssize_t got;

		if (send(fd, buf, len, 0) < 0) {
			if (errno == EPERM)
				r->refused++;
			continue;
		}
		r->sent++;
		r->bytes_out += len + hdr;
		got = recv(fd, buf, sizeof(buf), 0);
		if (got == (ssize_t)len) {
			r->echoed++;
			r->bytes_in += len + hdr;
		}
		if (gap_ms)
			sleep_ms(gap_ms);
	}
}

/* --- checks ---------------------------------------------------------------- */

struct flow_find {
	const struct flowpic_key *key;
	struct kmod_flow flow;
	int found;
	int total;
};

static int find_flow(const struct kmod_flow *f, void *arg)
{
	struct flow_find *ff = arg;

	ff->total++;
	if (ff->key && !memcmp(&f->window.key, ff->key, sizeof(*ff->key))) {
		ff->flow = *f;
		ff->found = 1;
	}
	return 0;
}

static int dump(struct kmod_client *c, const struct flowpic_key *key,
		struct flow_find *ff)
{
	memset(ff, 0, sizeof(*ff));
	ff->key = key;
	return kmod_client_dump_flows(c, find_flow, ff);
}

/* Totals of the announced windows of @key. */
static void window_totals(const struct flowpic_key *key, uint64_t *pk,
			  uint64_t *by, uint64_t *cells_ok, int *n,
			  int *reasons)
{
	int i;

	memset(pk, 0, 2 * sizeof(*pk));
	memset(by, 0, 2 * sizeof(*by));
	*cells_ok = 1;
	*n = 0;
	*reasons = 0;
	for (i = 0; i < nseen; i++) {
		const struct seen *s = &seen[i];

		if (memcmp(&s->w.key, key, sizeof(*key)))
			continue;
		pk[0] += s->w.packets[0];
		pk[1] += s->w.packets[1];
		by[0] += s->w.bytes[0];
		by[1] += s->w.bytes[1];
		if (!s->sorted ||
		    s->cell_sum != s->w.packets[0] + s->w.packets[1])
			*cells_ok = 0;
		*reasons |= 1 << s->w.reason;
		(*n)++;
	}
}

static void check_udp_flow(struct kmod_client *c, int family,
			   const char *host, const char *peer, uint16_t sport)
{
	struct flowpic_key key;
	struct flow_find ff;
	struct udp_run r;
	uint64_t pk[2], by[2], cells_ok;
	int fd, n, reasons, err;

	key_of(&key, family, host, sport, peer, UDP_PORT, IPPROTO_UDP);
	fd = udp_socket(family, host, sport, peer);
	if (!tap_ok(fd >= 0, "IPv%d UDP socket %s:%u -> %s:%u", family, host,
		    sport, peer, UDP_PORT))
		return;
	/* 30 datagrams 60 ms apart: about two 1 s windows. */
	udp_exchange(fd, family, 30, 60, &r);
	close(fd);
	tap_ok(r.sent == 30 && r.echoed == 30,
	       "IPv%d: 30 datagrams sent, %d echoed back", family, r.echoed);
	drain(c, 300);

	err = dump(c, &key, &ff);
	tap_ok(!err && ff.found, "IPv%d: GET_FLOWS lists the flow (%d flows)",
	       family, ff.total);
	window_totals(&key, pk, by, &cells_ok, &n, &reasons);
	tap_ok(n >= 1 && (reasons & (1 << FLOWPIC_END_TIME)),
	       "IPv%d: %d window(s) announced, ended by time", family, n);
	if (ff.found) {
		pk[0] += ff.flow.window.packets[0];
		pk[1] += ff.flow.window.packets[1];
		by[0] += ff.flow.window.bytes[0];
		by[1] += ff.flow.window.bytes[1];
	}
	/* Host sorts below peer: direction 0 is host -> peer. */
	tap_ok(pk[0] == (uint64_t)r.sent && pk[1] == (uint64_t)r.echoed,
	       "IPv%d: packets per direction %llu/%llu, sent %d/%d", family,
	       (unsigned long long)pk[0], (unsigned long long)pk[1], r.sent,
	       r.echoed);
	tap_ok(by[0] == r.bytes_out && by[1] == r.bytes_in,
	       "IPv%d: IP bytes per direction %llu/%llu, expected %llu/%llu",
	       family, (unsigned long long)by[0], (unsigned long long)by[1],
	       (unsigned long long)r.bytes_out,
	       (unsigned long long)r.bytes_in);
	tap_ok(cells_ok, "IPv%d: every window's cells are sorted and sum to its packets",
	       family);
}

/* A TCP connection @src:@sport -> @dst:@dport, or -1. */
static int tcp_connect(const char *src, uint16_t sport, const char *dst,
		       uint16_t dport)
{
	struct sockaddr_in d = { .sin_family = AF_INET,
				 .sin_port = htons(dport) };
	struct sockaddr_in s = { .sin_family = AF_INET,
				 .sin_port = htons(sport) };
	int fd, one = 1;

	inet_pton(AF_INET, dst, &d.sin_addr);
	inet_pton(AF_INET, src, &s.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&s, sizeof(s)) ||
	    connect(fd, (void *)&d, sizeof(d))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void check_tcp_fin(struct kmod_client *c)
{
	struct flowpic_key key;
	uint64_t pk[2], by[2], ok;
	char buf[10000] = { 0 };
	int fd, n, reasons, sent;

	key_of(&key, 4, HOST4, 41000, PEER4, TCP_PORT, IPPROTO_TCP);
	fd = tcp_connect(HOST4, 41000, PEER4, TCP_PORT);
	if (!tap_ok(fd >= 0, "TCP connect to %s:%u", PEER4, TCP_PORT))
		return;
	sent = write(fd, buf, sizeof(buf));
	close(fd);
	drain(c, 1000);
	window_totals(&key, pk, by, &ok, &n, &reasons);
	tap_ok(sent == (int)sizeof(buf) &&
	       (reasons & (1 << FLOWPIC_END_FIN)),
	       "TCP: a window ended by FIN (%d windows, %llu+%llu packets)", n,
	       (unsigned long long)pk[0], (unsigned long long)pk[1]);
}

static void check_enforcement(struct kmod_client *c)
{
	struct flowpic_label l = { .class_id = 2, .confidence = 9000 };
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	struct flowpic_action mark = { .type = FLOWPIC_ACT_MARK, .value = 7 };
	struct flowpic_action pass = { .type = FLOWPIC_ACT_PASS };
	uint64_t before[__FLOWPIC_CNT_MAX], after[__FLOWPIC_CNT_MAX];
	struct flowpic_key key;
	struct flow_find ff;
	struct udp_run r;
	int fd, err;

	key_of(&key, 4, HOST4, 42000, PEER4, UDP_PORT, IPPROTO_UDP);
	fd = udp_socket(4, HOST4, 42000, PEER4);
	if (!tap_ok(fd >= 0, "enforcement: UDP socket"))
		return;
	udp_exchange(fd, 4, 1, 0, &r);		/* the flow now exists */

	err = kmod_client_set_policy(c, 2, &drop);
	tap_ok(!err, "SET_POLICY class 2 -> drop (%s)", kmod_client_error(c));
	err = kmod_client_set_label(c, &key, &l, NULL);
	tap_ok(!err, "SET_LABEL class 2 on the flow (%s)",
	       kmod_client_error(c));
	kmod_client_get_stats(c, before);
	udp_exchange(fd, 4, 10, 0, &r);
	kmod_client_get_stats(c, after);
	tap_ok(r.refused == 10 && r.sent == 0 && r.echoed == 0,
	       "drop policy: 10 datagrams refused by the hook (sent %d, refused %d)",
	       r.sent, r.refused);
	tap_ok(after[FLOWPIC_CNT_DROPPED] - before[FLOWPIC_CNT_DROPPED] == 10,
	       "drop policy: FLOWPIC_CNT_DROPPED rose by %llu",
	       (unsigned long long)(after[FLOWPIC_CNT_DROPPED] -
				    before[FLOWPIC_CNT_DROPPED]));

	err = kmod_client_set_label(c, &key, &l, &mark);
	tap_ok(!err, "SET_LABEL with its own action: mark 7 (%s)",
	       kmod_client_error(c));
	kmod_client_get_stats(c, before);
	udp_exchange(fd, 4, 5, 0, &r);
	kmod_client_get_stats(c, after);
	tap_ok(r.sent == 5 && r.echoed == 5 &&
	       after[FLOWPIC_CNT_MARKED] - before[FLOWPIC_CNT_MARKED] == 10,
	       "mark: 5 out, 5 back, FLOWPIC_CNT_MARKED rose by %llu",
	       (unsigned long long)(after[FLOWPIC_CNT_MARKED] -
				    before[FLOWPIC_CNT_MARKED]));
	err = dump(c, &key, &ff);
	tap_ok(!err && ff.found && ff.flow.has_label &&
	       ff.flow.label.class_id == 2 && ff.flow.has_action &&
	       ff.flow.action.type == FLOWPIC_ACT_MARK &&
	       ff.flow.action.value == 7,
	       "GET_FLOWS shows the label and the action");
	close(fd);
	kmod_client_set_policy(c, 2, &pass);

	l.class_id = FLOWPIC_CLASS_UNKNOWN + 1;
	err = kmod_client_set_label(c, &key, &l, NULL);
	tap_ok(err == -EINVAL, "label class 65 refused: %s",
	       kmod_client_error(c));
	key.proto = 1;
	l.class_id = 1;
	err = kmod_client_set_label(c, &key, &l, NULL);
	tap_ok(err == -EINVAL, "key with protocol 1 refused: %s",
	       kmod_client_error(c));
	key_of(&key, 4, HOST4, 9, PEER4, 9, IPPROTO_UDP);
	err = kmod_client_set_label(c, &key, &l, NULL);
	tap_ok(err == -ENOENT, "label on an unknown flow: ENOENT (%s)",
	       kmod_client_error(c));
}

/* --- verdicts apart from flows, pictures true to the wire ------------------ */

#define SPOOF_PORT	41100
#define BULK_OUT_PORT	41200
#define BULK_PORT	41300	/* the host listens; the peer sends from + 1 */
#define LOCAL_PORT	43000	/* and + 1 */
#define ROLE_PORT	43100	/* the peer, and + 1 on the host */
#define LABELLED_BASE	44000	/* .. + LABELLED */
#define FLOOD_BASE	45000	/* .. + FLOOD */
#define LABELLED	64
#define FLOOD		640
#define SMALL_TABLE	32
#define VERDICT_CLASS	4
#define SINK_PORT	9	/* nobody listens: no reply can race */
#define BULK_BYTES	(2U << 20)

/* A function run in NETNS, in a child, and its result. */
struct peer_job {
	pid_t pid;
	int fd;
};

static int peer_start(struct peer_job *j, uint64_t (*fn)(void *), void *arg)
{
	int fds[2];
	uint64_t v;

	if (pipe(fds))
		return -1;
	fflush(stdout);
	j->pid = fork();
	if (!j->pid) {
		close(fds[0]);
		v = qemu_enter_netns(netns) ? UINT64_MAX : fn(arg);
		_exit(write(fds[1], &v, sizeof(v)) != sizeof(v));
	}
	close(fds[1]);
	j->fd = fds[0];
	if (j->pid < 0) {
		close(fds[0]);
		return -1;
	}
	return 0;
}

/* The child's result, or UINT64_MAX. Its own work is bounded. */
static uint64_t peer_wait(struct peer_job *j)
{
	uint64_t v = UINT64_MAX;

	if (read(j->fd, &v, sizeof(v)) != sizeof(v))
		v = UINT64_MAX;
	close(j->fd);
	waitpid(j->pid, NULL, 0);
	return v;
}

static uint64_t in_peer(uint64_t (*fn)(void *), void *arg)
{
	struct peer_job j;

	return peer_start(&j, fn, arg) ? UINT64_MAX : peer_wait(&j);
}

/*
 * TCP segments this namespace put on the wire: Tcp OutSegs (new data and
 * control) plus RetransSegs, from /proc/net/snmp.
 */
static uint64_t tcp_outsegs(void)
{
	char head[1024], vals[1024], *h, *v, *hs, *vs;
	uint64_t out = 0;
	int found = 0;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return UINT64_MAX;
	while (fgets(head, sizeof(head), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(head, "Tcp:", 4))
			continue;
		h = strtok_r(head, " \n", &hs);
		v = strtok_r(vals, " \n", &vs);
		for (; h && v; h = strtok_r(NULL, " \n", &hs),
			       v = strtok_r(NULL, " \n", &vs))
			if (!strcmp(h, "OutSegs") || !strcmp(h, "RetransSegs")) {
				out += strtoull(v, NULL, 10);
				found++;
			}
		break;
	}
	fclose(f);
	return found == 2 ? out : UINT64_MAX;
}

/*
 * A TCP segment with @flags from @src:@sp to @dst:@dp, through a raw
 * socket of this namespace: what anyone on the path can send. Its
 * checksum is wrong, so no TCP stack acts on it; only flowpic sees it.
 */
static int spoof_tcp(const char *src, uint16_t sp, const char *dst,
		     uint16_t dp, uint8_t flags)
{
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t th[20] = { 0 };
	int fd, rc;

	inet_pton(AF_INET, src, &from.sin_addr);
	inet_pton(AF_INET, dst, &to.sin_addr);
	th[0] = sp >> 8;
	th[1] = sp;
	th[2] = dp >> 8;
	th[3] = dp;
	th[4] = 0x5a;			/* a sequence number out of window */
	th[12] = 5 << 4;
	th[13] = flags;
	th[14] = 0xff;			/* window */
	th[16] = 0xde;			/* checksum, wrong */
	th[17] = 0xad;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	if (fd < 0)
		return -1;
	rc = bind(fd, (void *)&from, sizeof(from)) ? -1 :
	     (int)sendto(fd, th, sizeof(th), 0, (void *)&to, sizeof(to));
	close(fd);
	return rc;
}

#define TCP_FIN_ACK	0x11
#define TCP_RST_FLAG	0x04

static uint64_t spoof_from_peer(void *arg)
{
	return spoof_tcp(PEER4, TCP_PORT, HOST4, SPOOF_PORT,
			 *(const uint8_t *)arg) == 20;
}

/* Waits up to @ms for counter @i to rise by @n since @before. */
static int wait_counter(struct kmod_client *c, const uint64_t *before,
			enum flowpic_counter i, uint64_t n, unsigned int ms)
{
	uint64_t cnt[__FLOWPIC_CNT_MAX], end = now_ns() + ms * 1000000ULL;

	do {
		if (!kmod_client_get_stats(c, cnt) && cnt[i] - before[i] >= n)
			return 1;
		sleep_ms(50);
	} while (now_ns() < end);
	return 0;
}

/* Waits up to @ms for the echo server to have read @n bytes. */
static int wait_received(uint64_t n, unsigned int ms)
{
	uint64_t end = now_ns() + ms * 1000000ULL;

	while (*tcp_received < n && now_ns() < end)
		sleep_ms(20);
	return *tcp_received >= n;
}

/*
 * A TCP flow labelled with a drop verdict, then a spoofed RST and FINs
 * from both sides: the verdict holds, no byte gets through after them.
 */
static void check_spoofed_end(struct kmod_client *c)
{
	struct flowpic_label l = { .class_id = VERDICT_CLASS,
				   .confidence = 9000 };
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	struct flowpic_action pass = { .type = FLOWPIC_ACT_PASS };
	uint64_t before[__FLOWPIC_CNT_MAX];
	struct linger lg = { 1, 0 };
	struct flowpic_key key;
	uint8_t rst = TCP_RST_FLAG, fin = TCP_FIN_ACK;
	char buf[1000] = { 0 };
	int fd, spoofed, dropped;
	uint64_t got;

	key_of(&key, 4, HOST4, SPOOF_PORT, PEER4, TCP_PORT, IPPROTO_TCP);
	*tcp_received = 0;
	fd = tcp_connect(HOST4, SPOOF_PORT, PEER4, TCP_PORT);
	if (!tap_ok(fd >= 0, "spoof: TCP connect to %s:%u", PEER4, TCP_PORT))
		return;
	got = write(fd, buf, sizeof(buf)) == sizeof(buf) &&
	      wait_received(sizeof(buf), 5000);
	tap_ok(got, "spoof: 1000 bytes through before the label (%llu)",
	       (unsigned long long)*tcp_received);
	tap_ok(!kmod_client_set_policy(c, VERDICT_CLASS, &drop) &&
	       !kmod_client_set_label(c, &key, &l, NULL),
	       "spoof: the flow labelled, its class dropped (%s)",
	       kmod_client_error(c));

	spoofed = in_peer(spoof_from_peer, &rst) == 1;
	spoofed += in_peer(spoof_from_peer, &fin) == 1;
	spoofed += spoof_tcp(HOST4, SPOOF_PORT, PEER4, TCP_PORT, fin) == 20 ||
		   errno == EPERM;	/* dropped by the verdict at LOCAL_OUT */
	kmod_client_get_stats(c, before);
	tap_ok(spoofed == 3 && write(fd, buf, sizeof(buf)) == sizeof(buf),
	       "spoof: a RST and a FIN from the peer's side, a FIN from ours, then 1000 bytes written");
	/* Its retransmissions meet the verdict too: wait for two drops. */
	dropped = wait_counter(c, before, FLOWPIC_CNT_DROPPED, 2, 10000);
	got = *tcp_received;
	tap_ok(dropped && got == sizeof(buf),
	       "spoof: no byte through after the spoofed RST and FINs (%llu of 2000 received, drops seen: %d)",
	       (unsigned long long)got, dropped);

	tap_ok(!kmod_client_clear_label(c, &key),
	       "spoof: DEL_LABEL removes the verdict (%s)", kmod_client_error(c));
	tap_ok(kmod_client_clear_label(c, &key) == -ENOENT,
	       "spoof: a second DEL_LABEL finds none (%s)",
	       kmod_client_error(c));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);			/* a RST: the server is free again */
	kmod_client_set_policy(c, VERDICT_CLASS, &pass);
}

/* Packets per direction of @key: its announced windows and its open one. */
static void flow_packets(struct kmod_client *c, const struct flowpic_key *key,
			 uint64_t *pk)
{
	uint64_t by[2], ok;
	struct flow_find ff;
	int n, reasons;

	window_totals(key, pk, by, &ok, &n, &reasons);
	if (!dump(c, key, &ff) && ff.found) {
		pk[0] += ff.flow.window.packets[0];
		pk[1] += ff.flow.window.packets[1];
	}
}

static uint64_t bulk_from_peer(void *arg)
{
	static char buf[65536];
	struct timeval tv = { 10, 0 };
	uint64_t seg0 = tcp_outsegs(), seg1;
	size_t sent = 0;
	ssize_t n;
	int fd;

	fd = tcp_connect(PEER4, BULK_PORT + 1, HOST4, BULK_PORT);
	if (fd < 0)
		return UINT64_MAX;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (sent < BULK_BYTES &&
	       (n = write(fd, buf, sizeof(buf))) > 0)
		sent += n;
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	sleep_ms(300);			/* the last ACK on its way */
	seg1 = tcp_outsegs();
	return sent >= BULK_BYTES ? seg1 - seg0 : UINT64_MAX;
}

/*
 * Bulk TCP both ways over the veth pair, TSO/GSO on: the module counts
 * the segments the sender's TCP counted (OutSegs), nothing clipped.
 */
static void check_gso(struct kmod_client *c)
{
	static char buf[65536];
	uint64_t b0[__FLOWPIC_CNT_MAX], b1[__FLOWPIC_CNT_MAX];
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(BULK_PORT) };
	struct timeval tv = { 10, 0 };
	uint64_t seg0, seg1, peer_segs, pk[2], got = 0;
	struct flowpic_key key;
	struct peer_job j;
	size_t sent = 0;
	ssize_t n;
	int fd, lfd, one = 1;

	kmod_client_get_stats(c, b0);
	/* Out: the host sends. */
	*tcp_received = 0;
	seg0 = tcp_outsegs();
	fd = tcp_connect(HOST4, BULK_OUT_PORT, PEER4, TCP_PORT);
	if (!tap_ok(fd >= 0, "gso: TCP connect to %s:%u", PEER4, TCP_PORT))
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (sent < BULK_BYTES && (n = write(fd, buf, sizeof(buf))) > 0)
		sent += n;
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)	/* until the server's FIN */
		;
	close(fd);
	drain(c, 500);
	seg1 = tcp_outsegs();
	key_of(&key, 4, HOST4, BULK_OUT_PORT, PEER4, TCP_PORT, IPPROTO_TCP);
	flow_packets(c, &key, pk);
	tap_ok(sent >= BULK_BYTES && *tcp_received == sent &&
	       pk[0] == seg1 - seg0,
	       "gso: %zu bytes out, %llu packets counted, the sender's TCP sent %llu segments (retransmissions included)",
	       sent, (unsigned long long)pk[0],
	       (unsigned long long)(seg1 - seg0));

	/* In: the peer sends, the host's PRE_ROUTING sees GSO packets. */
	inet_pton(AF_INET, HOST4, &a.sin_addr);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!tap_ok(lfd >= 0 && !bind(lfd, (void *)&a, sizeof(a)) &&
		    !listen(lfd, 1) && !peer_start(&j, bulk_from_peer, NULL),
		    "gso: listening on %s:%u, the peer sending", HOST4,
		    BULK_PORT)) {
		if (lfd >= 0)
			close(lfd);
		return;
	}
	fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			got += n;
		close(fd);
	}
	peer_segs = peer_wait(&j);
	drain(c, 500);
	key_of(&key, 4, PEER4, BULK_PORT + 1, HOST4, BULK_PORT, IPPROTO_TCP);
	flow_packets(c, &key, pk);
	tap_ok(got >= BULK_BYTES && pk[1] == peer_segs,
	       "gso: %llu bytes in, %llu packets counted, the sender's TCP sent %llu segments (retransmissions included)",
	       (unsigned long long)got, (unsigned long long)pk[1],
	       (unsigned long long)peer_segs);
	kmod_client_get_stats(c, b1);
	tap_ok(b1[FLOWPIC_CNT_SEGMENTS] > b0[FLOWPIC_CNT_SEGMENTS] &&
	       b1[FLOWPIC_CNT_CLIPPED] == b0[FLOWPIC_CNT_CLIPPED],
	       "gso: %llu segments of GSO packets binned, none clipped (%llu)",
	       (unsigned long long)(b1[FLOWPIC_CNT_SEGMENTS] -
				    b0[FLOWPIC_CNT_SEGMENTS]),
	       (unsigned long long)(b1[FLOWPIC_CNT_CLIPPED] -
				    b0[FLOWPIC_CNT_CLIPPED]));
}

/* Ten datagrams from the host to itself: counted once each. */
static void check_local_once(struct kmod_client *c)
{
	char buf[200] = { 0 };
	struct flowpic_key key;
	int tx, rx, i, got = 0;
	uint64_t pk[2];

	rx = udp_socket_to(4, HOST4, LOCAL_PORT + 1, NULL, 0);
	tx = udp_socket_to(4, HOST4, LOCAL_PORT, HOST4, LOCAL_PORT + 1);
	if (!tap_ok(rx >= 0 && tx >= 0, "local: UDP %s:%u -> %s:%u", HOST4,
		    LOCAL_PORT, HOST4, LOCAL_PORT + 1))
		goto out;
	for (i = 0; i < 10; i++)
		got += send(tx, buf, sizeof(buf), 0) == sizeof(buf) &&
		       recv(rx, buf, sizeof(buf), 0) == sizeof(buf);
	drain(c, 300);
	key_of(&key, 4, HOST4, LOCAL_PORT, HOST4, LOCAL_PORT + 1, IPPROTO_UDP);
	flow_packets(c, &key, pk);
	tap_ok(got == 10 && pk[0] + pk[1] == 10,
	       "local: 10 datagrams to the host itself counted once: %llu packets",
	       (unsigned long long)(pk[0] + pk[1]));
out:
	if (rx >= 0)
		close(rx);
	if (tx >= 0)
		close(tx);
}

static uint64_t role_from_peer(void *arg)
{
	char buf[1500] = { 0 };
	int fd, i, got = 0;

	fd = udp_socket_to(4, PEER4, ROLE_PORT, HOST4, ROLE_PORT + 1);
	if (fd < 0)
		return UINT64_MAX;
	for (i = 0; i < 5; i++)
		got += send(fd, buf, 100, 0) == 100 &&
		       recv(fd, buf, sizeof(buf), 0) == 1000;
	close(fd);
	return got;
}

/*
 * Two channels by role: the peer (192.0.2.2, the higher address)
 * starts the flow with 100-byte datagrams, the host answers with 1000
 * bytes. Channel 0 must hold the peer's 128-byte packets (row 2 of 32),
 * channel 1 the host's 1028-byte ones (row 21).
 */
static void check_channels_by_role(struct kmod_client *c)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[1500] = { 0 };
	struct flowpic_key key;
	uint64_t rows[2] = { 0, 0 }, answers;
	struct peer_job j;
	int fd, i, n = 0;

	fd = udp_socket_to(4, HOST4, ROLE_PORT + 1, NULL, 0);
	if (!tap_ok(fd >= 0 && !peer_start(&j, role_from_peer, NULL),
		    "role: the peer starts a UDP flow to %s:%u", HOST4,
		    ROLE_PORT + 1)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (i = 0; i < 5; i++)
		if (recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &fl) > 0)
			sendto(fd, buf, 1000, 0, (void *)&from, fl);
	answers = peer_wait(&j);
	/* A packet after the window closes it (windows are 1 s). */
	sleep_ms(1100);
	sendto(fd, buf, 1000, 0, (void *)&from, fl);
	close(fd);
	drain(c, 500);
	key_of(&key, 4, PEER4, ROLE_PORT, HOST4, ROLE_PORT + 1, IPPROTO_UDP);
	for (i = 0; i < nseen; i++)
		if (!memcmp(&seen[i].w.key, &key, sizeof(key))) {
			rows[0] |= seen[i].rows[0];
			rows[1] |= seen[i].rows[1];
			n++;
		}
	tap_ok(answers == 5 && n >= 1 && rows[0] == 1ULL << 2 &&
	       rows[1] == 1ULL << 21,
	       "role: channel 0 holds the initiator's packets (rows %#llx), channel 1 the responder's (rows %#llx), %d window(s)",
	       (unsigned long long)rows[0], (unsigned long long)rows[1], n);
}

/*
 * Labelled flows through a table of SMALL_TABLE flows: twice as many
 * labelled as it holds (their histograms evict each other), then a flood
 * of FLOOD new flows. Every labelled flow stays dropped, no verdict is
 * evicted, the flood's histograms are.
 */
static void check_flood_labels(struct kmod_client *c,
			       const struct kmod_config *test_cfg)
{
	struct flowpic_label l = { .class_id = VERDICT_CLASS,
				   .confidence = 9000 };
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	struct flowpic_action pass = { .type = FLOWPIC_ACT_PASS };
	uint64_t b0[__FLOWPIC_CNT_MAX], b1[__FLOWPIC_CNT_MAX];
	struct flowpic_verdict_stats v0, v1;
	struct kmod_config cfg = *test_cfg;
	struct flowpic_key key;
	int i, err, labelled = 0, refused = 0, removed = 0;

	cfg.max_flows = SMALL_TABLE;
	tap_ok(!kmod_client_set_config(c, &cfg, KMOD_CONFIG_MAX_FLOWS) &&
	       !kmod_client_set_policy(c, VERDICT_CLASS, &drop),
	       "flood: a table of %d flows, class %d dropped (%s)",
	       SMALL_TABLE, VERDICT_CLASS, kmod_client_error(c));
	kmod_client_verdict_stats(c, &v0);
	for (i = 0; i < LABELLED; i++) {
		udp_poke(LABELLED_BASE + i, SINK_PORT);
		key_of(&key, 4, HOST4, LABELLED_BASE + i, PEER4, SINK_PORT,
		       IPPROTO_UDP);
		err = kmod_client_set_label(c, &key, &l, NULL);
		if (err)
			tap_diag("flood: label %d: %s", i, kmod_client_error(c));
		labelled += !err;
	}
	tap_ok(labelled == LABELLED, "flood: %d of %d flows labelled", labelled,
	       LABELLED);
	kmod_client_get_stats(c, b0);
	for (i = 0; i < FLOOD; i++) {
		udp_poke(FLOOD_BASE + i, SINK_PORT);
		if (i % 64 == 63)
			drain(c, 20);
	}
	for (i = 0; i < LABELLED; i++)
		refused += udp_poke(LABELLED_BASE + i, SINK_PORT) == -EPERM;
	kmod_client_get_stats(c, b1);
	kmod_client_verdict_stats(c, &v1);
	tap_ok(refused == LABELLED,
	       "flood: after %d new flows (%dx the table) all %d labelled flows are dropped (%d)",
	       FLOOD, FLOOD / SMALL_TABLE, LABELLED, refused);
	tap_ok(b1[FLOWPIC_CNT_FLOWS_EVICTED] - b0[FLOWPIC_CNT_FLOWS_EVICTED] >=
	       FLOOD - SMALL_TABLE && v1.evicted == v0.evicted &&
	       v1.present - v0.present == LABELLED,
	       "flood: %llu histograms evicted, %llu verdicts evicted, %llu present",
	       (unsigned long long)(b1[FLOWPIC_CNT_FLOWS_EVICTED] -
				    b0[FLOWPIC_CNT_FLOWS_EVICTED]),
	       (unsigned long long)(v1.evicted - v0.evicted),
	       (unsigned long long)v1.present);
	for (i = 0; i < LABELLED; i++) {
		key_of(&key, 4, HOST4, LABELLED_BASE + i, PEER4, SINK_PORT,
		       IPPROTO_UDP);
		removed += !kmod_client_clear_label(c, &key);
	}
	kmod_client_verdict_stats(c, &v1);
	tap_ok(removed == LABELLED && v1.removed - v0.removed == LABELLED &&
	       v1.present == v0.present,
	       "flood: %d verdicts removed by DEL_LABEL, counted (%llu)",
	       removed, (unsigned long long)(v1.removed - v0.removed));
	kmod_client_set_policy(c, VERDICT_CLASS, &pass);
	kmod_client_set_config(c, test_cfg, KMOD_CONFIG_MAX_FLOWS);
	drain(c, 300);
}

/* --- malformed and oversized requests -------------------------------------- */

/* Sends @len bytes as one message on a raw generic netlink socket. */
static int raw_request(const void *msg, size_t len)
{
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	struct timeval tv = { 2, 0 };
	char buf[8192];
	struct nlmsghdr *h = (void *)buf;
	int fd, err = -EIO;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, msg, len, 0, (void *)&k, sizeof(k)) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n >= (ssize_t)NLMSG_HDRLEN && h->nlmsg_type == NLMSG_ERROR)
		err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	else if (n >= (ssize_t)NLMSG_HDRLEN)
		err = 1;	/* a reply, not an error */
	else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		err = 0;	/* no answer at all */
out:
	close(fd);
	return err;
}

struct raw_msg {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[];
};

static struct raw_msg *raw_new(int family, uint8_t cmd, size_t attrs)
{
	struct raw_msg *m = calloc(1, sizeof(*m) + attrs);

	if (!m)
		return NULL;
	m->n.nlmsg_len = sizeof(*m) + attrs;
	m->n.nlmsg_type = family;
	m->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m->n.nlmsg_seq = 1;
	m->g.cmd = cmd;
	m->g.version = FLOWPIC_GENL_VERSION;
	return m;
}

static void check_malformed(struct kmod_client *c)
{
	struct kmod_config cfg;
	struct nl_sock *sk;
	struct raw_msg *m;
	struct nlattr *a;
	size_t big = 60000, off;
	int family, err;

	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk) ||
	    (family = genl_ctrl_resolve(sk, FLOWPIC_GENL_NAME)) < 0) {
		tap_ok(0, "malformed: resolve the family");
		if (sk)
			nl_socket_free(sk);
		return;
	}
	nl_socket_free(sk);

	/* An attribute that claims more bytes than the message has. */
	m = raw_new(family, FLOWPIC_CMD_SET_CONFIG, 8);
	a = (void *)m->attrs;
	a->nla_type = FLOWPIC_A_MAX_FLOWS;
	a->nla_len = 200;
	err = raw_request(m, m->n.nlmsg_len);
	tap_ok(err < 0, "attribute longer than its message refused (%s)",
	       strerror(-err));
	free(m);

	/* 60 kB of attributes the command does not take. */
	m = raw_new(family, FLOWPIC_CMD_SET_CONFIG, big);
	for (off = 0; off + 1000 <= big; off += 1000) {
		a = (void *)(m->attrs + off);
		a->nla_type = FLOWPIC_A_CELLS;
		a->nla_len = 1000;
	}
	m->n.nlmsg_len = sizeof(*m) + off;
	err = raw_request(m, m->n.nlmsg_len);
	tap_ok(err == -EINVAL, "oversized request with foreign attributes refused (%s)",
	       strerror(-err));
	free(m);

	/* A message shorter than its own header says. */
	m = raw_new(family, FLOWPIC_CMD_GET_CONFIG, 0);
	m->n.nlmsg_len = sizeof(*m) + 64;
	err = raw_request(m, sizeof(*m));
	tap_ok(err == 0 || err == -EINVAL,
	       "message shorter than its header says: dropped (%s)",
	       err ? strerror(-err) : "no answer");
	free(m);

	m = raw_new(family, 200, 0);
	err = raw_request(m, m->n.nlmsg_len);
	tap_ok(err == -EOPNOTSUPP, "unknown command refused (%s)",
	       strerror(-err));
	free(m);

	m = raw_new(family, FLOWPIC_CMD_GET_CONFIG, 0);
	m->g.reserved = 1;
	err = raw_request(m, m->n.nlmsg_len);
	tap_ok(err == -EINVAL, "non-zero reserved header field refused (%s)",
	       strerror(-err));
	free(m);

	m = raw_new(family, FLOWPIC_CMD_GET_STATS, 8);
	a = (void *)m->attrs;
	a->nla_type = FLOWPIC_A_MAX_FLOWS;
	a->nla_len = 8;
	err = raw_request(m, m->n.nlmsg_len);
	tap_ok(err == -EINVAL, "attribute on a command that takes none refused (%s)",
	       strerror(-err));
	free(m);

	tap_ok(!kmod_client_get_config(c, &cfg) && cfg.geom.n == 32,
	       "the module still answers after the malformed requests");
}

/* --- an unprivileged caller ------------------------------------------------ */

static int unprivileged(void)
{
	struct flowpic_label l = { .class_id = 1 };
	struct flowpic_action a = { .type = FLOWPIC_ACT_DROP };
	uint64_t cnt[__FLOWPIC_CNT_MAX];
	struct kmod_client *c;
	struct flowpic_key k;
	struct flow_find ff;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return 10;
	if (kmod_client_open(&c))
		return 11;
	key_of(&k, 4, HOST4, 42000, PEER4, UDP_PORT, IPPROTO_UDP);
	if (kmod_client_set_label(c, &k, &l, NULL) != -EPERM)
		return 1;
	if (kmod_client_set_policy(c, 1, &a) != -EPERM)
		return 2;
	if (kmod_client_subscribe(c) != -EPERM)
		return 3;
	/* Flows are the host's traffic: listing them is for admins too. */
	if (dump(c, NULL, &ff) != -EPERM)
		return 4;
	if (kmod_client_get_stats(c, cnt))
		return 5;
	kmod_client_close(c);
	return 0;
}

static void check_unprivileged(void)
{
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(unprivileged());
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && !WEXITSTATUS(status),
	       "uid %d: SET_LABEL, SET_POLICY, joining windows, GET_FLOWS get EPERM; GET_STATS works (status %d)",
	       NOBODY, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* --- main ------------------------------------------------------------------ */

#define LOAD_BASE	20000

struct load_seen {
	unsigned char port[65536];
	int unique, total, n;
};

static int count_load(const struct kmod_flow *f, void *arg)
{
	struct load_seen *ls = arg;
	const struct flowpic_key *k = &f->window.key;
	uint16_t p = ntohs(k->lo_port) == UDP_PORT ? ntohs(k->hi_port) :
						     ntohs(k->lo_port);

	ls->total++;
	/* Only the load's own flows (other tests' may still be there). */
	if (p >= LOAD_BASE && p < LOAD_BASE + ls->n && !ls->port[p]++)
		ls->unique++;
	return 0;
}

/*
 * Makes @n UDP flows (one datagram each) and lists them back through a
 * GET_FLOWS dump, which takes many messages and resumed calls at this
 * size. Prints "made listed": flows made, distinct ones the dump showed.
 */
static int load(int n)
{
	static struct load_seen ls;
	struct kmod_client *c;
	int i, made = 0, err;

	ls.n = n;
	for (i = 0; i < n; i++)
		made += !udp_poke(LOAD_BASE + i, UDP_PORT);
	err = kmod_client_open(&c);
	if (!err) {
		err = kmod_client_dump_flows(c, count_load, &ls);
		kmod_client_close(c);
	}
	printf("%d %d\n", made, err ? -1 : ls.unique);
	return made == n && ls.unique == n ? 0 : 1;
}

#define MARK_PORT	46000
#define MARK_CLASS	5
#define MARK_SOCKET	0x15a	/* 0x100: another user's bit */
#define MARK_VALUE	0x20
#define MARK_MASK	0xf0	/* so the packets leave with 0x12a */

/*
 * Sends @n datagrams on a flow whose label marks it MARK_VALUE under
 * MARK_MASK, from a socket whose own mark is MARK_SOCKET. Prints the
 * number sent after the label.
 */
static int mark(int n)
{
	struct flowpic_action a = { .type = FLOWPIC_ACT_MARK,
				    .value = MARK_VALUE, .mask = MARK_MASK };
	struct flowpic_action pass = { .type = FLOWPIC_ACT_PASS };
	struct flowpic_label l = { .class_id = MARK_CLASS };
	struct flowpic_key key;
	struct kmod_client *c;
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(UDP_PORT) };
	int fd, i, sent = 0, m = MARK_SOCKET, err;

	/* Not connected: the peer's port unreachable errors stay away. */
	inet_pton(AF_INET, PEER4, &to.sin_addr);
	fd = udp_socket_to(4, HOST4, MARK_PORT, NULL, 0);
	err = kmod_client_open(&c);
	if (fd < 0 || err || setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof(m)))
		return 1;
	sendto(fd, "x", 1, 0, (void *)&to, sizeof(to));	/* the flow */
	key_of(&key, 4, HOST4, MARK_PORT, PEER4, UDP_PORT, IPPROTO_UDP);
	err = kmod_client_set_policy(c, MARK_CLASS, &a) ||
	      kmod_client_set_label(c, &key, &l, NULL);
	for (i = 0; !err && i < n; i++)
		sent += sendto(fd, "x", 1, 0, (void *)&to, sizeof(to)) == 1;
	kmod_client_set_policy(c, MARK_CLASS, &pass);
	kmod_client_clear_label(c, &key);
	if (err)
		fprintf(stderr, "kmod_traffic: %s\n", kmod_client_error(c));
	kmod_client_close(c);
	close(fd);
	printf("%d\n", sent);
	return sent == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct kmod_config def, cfg;
	uint64_t cnt[__FLOWPIC_CNT_MAX];
	struct kmod_client *c;
	struct flow_find ff;
	uint64_t end;
	pid_t server;
	int err;

	if (argc < 2) {
		fprintf(stderr, "usage: kmod_traffic NETNS [--load N | --mark N]\n");
		return 2;
	}
	netns = argv[1];
	if (argc == 4 && !strcmp(argv[2], "--load"))
		return load(atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[2], "--mark"))
		return mark(atoi(argv[3]));

	tap_header();
	c = qemu_family_open();
	if (!c)
		return tap_done();
	kmod_client_get_config(c, &def);
	cfg = def;
	cfg.geom.window_ns = WINDOW_NS;
	cfg.geom.channels = 2;
	cfg.idle_ns = IDLE_NS;
	cfg.min_packets = 1;
	err = kmod_client_set_config(c, &cfg, KMOD_CONFIG_GEOM |
				     KMOD_CONFIG_IDLE_NS |
				     KMOD_CONFIG_MIN_PACKETS);
	tap_ok(!err, "SET_CONFIG: 32x32, 1 s windows, 2 channels, idle 2 s (%s)",
	       kmod_client_error(c));
	err = kmod_client_subscribe(c);
	tap_ok(!err, "joined the windows group (%s)", kmod_client_error(c));

	tcp_received = mmap(NULL, sizeof(*tcp_received), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(tcp_received != MAP_FAILED, "shared counter for the server"))
		return tap_done();
	server = start_server();
	if (!tap_ok(server > 0, "echo server in namespace %s", netns))
		return tap_done();

	check_udp_flow(c, 4, HOST4, PEER4, 40000);
	check_udp_flow(c, 6, HOST6, PEER6, 40001);
	check_tcp_fin(c);
	check_enforcement(c);
	check_gso(c);
	check_local_once(c);
	check_channels_by_role(c);
	check_spoofed_end(c);
	check_flood_labels(c, &cfg);
	check_malformed(c);
	check_unprivileged();
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);

	/* Idle expiry: every flow goes within idle + a sweep period. */
	end = now_ns() + 3 * IDLE_NS + 2000000000ULL;
	do {
		drain(c, 500);
		err = dump(c, NULL, &ff);
	} while (!err && ff.total && now_ns() < end);
	tap_ok(!err && !ff.total, "idle flows expired, table empty (%d left)",
	       ff.total);
	drain(c, 300);

	err = kmod_client_get_stats(c, cnt);
	tap_ok(!err && !seen_overflow && !drain_errors &&
	       cnt[FLOWPIC_CNT_WINDOWS] == (uint64_t)nseen &&
	       !cnt[FLOWPIC_CNT_WINDOWS_LOST],
	       "FLOWPIC_CNT_WINDOWS %llu = %d windows received, none lost (%llu)",
	       (unsigned long long)cnt[FLOWPIC_CNT_WINDOWS], nseen,
	       (unsigned long long)cnt[FLOWPIC_CNT_WINDOWS_LOST]);
	tap_ok(cnt[FLOWPIC_CNT_FLOWS_NEW] > 0 &&
	       cnt[FLOWPIC_CNT_BINNED] + cnt[FLOWPIC_CNT_CELLS_DROPPED] > 0 &&
	       !cnt[FLOWPIC_CNT_MALFORMED],
	       "counters: %llu packets, %llu flows, %llu binned, 0 malformed",
	       (unsigned long long)cnt[FLOWPIC_CNT_PACKETS],
	       (unsigned long long)cnt[FLOWPIC_CNT_FLOWS_NEW],
	       (unsigned long long)cnt[FLOWPIC_CNT_BINNED]);

	kmod_client_set_config(c, &def, KMOD_CONFIG_ALL);
	kmod_client_close(c);
	return tap_done();
}
