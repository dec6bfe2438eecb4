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
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "kmod_client.h"
#include "unit/tap.h"

#define HOST4		"192.0.2.1"
#define PEER4		"192.0.2.2"
#define HOST6		"2001:db8::1"
#define PEER6		"2001:db8::2"
#define UDP_PORT	5000
#define TCP_PORT	5001
#define WINDOW_NS	1000000000ULL
#define IDLE_NS		2000000000ULL
#define SERVER_LIFE	120		/* s: the echo server's own bound */
#define MAX_WINDOWS	512
#define NOBODY		65534

static const char *netns;

/* What we keep of each announced window. */
struct seen {
	struct flowpic_window w;
	uint64_t cell_sum;
	int sorted;
};

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
	for (i = 0; i < w->ncells; i++) {
		s->cell_sum += w->cells[i].count;
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

static int enter_netns(void)
{
	char path[256];
	int fd, err;

	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	err = setns(fd, CLONE_NEWNET);
	close(fd);
	return err;
}

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

	if (enter_netns())
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

			if (s < 0)
				continue;
			setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			while (read(s, buf, sizeof(buf)) > 0)
				;
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

/* A UDP socket bound to @src:@sport, connected to @dst:UDP_PORT. */
static int udp_socket(int family, const char *src, uint16_t sport,
		      const char *dst)
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
		inet_pton(AF_INET, dst, &d4.sin_addr);
		s4.sin_port = htons(sport);
		d4.sin_port = htons(UDP_PORT);
		if (bind(fd, (void *)&s4, sizeof(s4)) ||
		    connect(fd, (void *)&d4, sizeof(d4)))
			goto err;
	} else {
		inet_pton(AF_INET6, src, &s6.sin6_addr);
		inet_pton(AF_INET6, dst, &d6.sin6_addr);
		s6.sin6_port = htons(sport);
		d6.sin6_port = htons(UDP_PORT);
		if (bind(fd, (void *)&s6, sizeof(s6)) ||
		    connect(fd, (void *)&d6, sizeof(d6)))
			goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
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

static void check_tcp_fin(struct kmod_client *c)
{
	struct sockaddr_in d = { .sin_family = AF_INET,
				 .sin_port = htons(TCP_PORT) };
	struct sockaddr_in s = { .sin_family = AF_INET,
				 .sin_port = htons(41000) };
	struct flowpic_key key;
	uint64_t pk[2], by[2], ok;
	char buf[10000] = { 0 };
	int fd, n, reasons, sent;

	key_of(&key, 4, HOST4, 41000, PEER4, TCP_PORT, IPPROTO_TCP);
	inet_pton(AF_INET, PEER4, &d.sin_addr);
	inet_pton(AF_INET, HOST4, &s.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!tap_ok(fd >= 0 && !bind(fd, (void *)&s, sizeof(s)) &&
		    !connect(fd, (void *)&d, sizeof(d)),
		    "TCP connect to %s:%u", PEER4, TCP_PORT)) {
		if (fd >= 0)
			close(fd);
		return;
	}
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

struct load_seen {
	unsigned char port[65536];
	int unique, total;
};

static int count_load(const struct kmod_flow *f, void *arg)
{
	struct load_seen *ls = arg;
	const struct flowpic_key *k = &f->window.key;
	uint16_t p = ntohs(k->lo_port) == UDP_PORT ? ntohs(k->hi_port) :
						     ntohs(k->lo_port);

	ls->total++;
	if (!ls->port[p]++)
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
	int i, fd, made = 0, err;

	for (i = 0; i < n; i++) {
		fd = udp_socket(4, HOST4, 20000 + i, PEER4);
		if (fd < 0)
			continue;
		if (send(fd, "x", 1, 0) == 1)
			made++;
		close(fd);
	}
	err = kmod_client_open(&c);
	if (!err) {
		err = kmod_client_dump_flows(c, count_load, &ls);
		kmod_client_close(c);
	}
	printf("%d %d\n", made, err ? -1 : ls.unique);
	return made == n && ls.unique == n ? 0 : 1;
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
		fprintf(stderr, "usage: kmod_traffic NETNS [--load N]\n");
		return 2;
	}
	netns = argv[1];
	if (argc == 4 && !strcmp(argv[2], "--load"))
		return load(atoi(argv[3]));

	tap_header();
	err = kmod_client_open(&c);
	if (!tap_ok(!err, "open the family (%s)", strerror(-err)))
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

	server = start_server();
	if (!tap_ok(server > 0, "echo server in namespace %s", netns))
		return tap_done();

	check_udp_flow(c, 4, HOST4, PEER4, 40000);
	check_udp_flow(c, 6, HOST6, PEER6, 40001);
	check_tcp_fin(c);
	check_enforcement(c);
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
