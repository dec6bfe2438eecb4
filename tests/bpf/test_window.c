// SPDX-License-Identifier: GPL-2.0
/*
 * Windows of the tc program through BPF_PROG_TEST_RUN: geometries set by
 * the loader, windows closed by time, FIN, RST, the idle sweep and
 * eviction, each reaching userspace once with its key, index and exact
 * cells; windows below min_packets kept back; a full ring buffer counted
 * as lost records.
 */
#include <string.h>
#include <time.h>

#pragma GCC diagnostic ignored "-Woverride-init"

#include "flowpic.h"
#include "live/datapath.h"
#include "unit/test.h"
#include "bpf/bpf_test.h"
#include "bpf/pkt_build.h"

#define V4A	"192.0.2.1"
#define V4B	"198.51.100.7"

#define MAX_RECS	32

struct recs {
	int n;
	struct flowpic_window w[MAX_RECS];
	uint8_t cells[MAX_RECS][FLOWPIC_BPF_CAP_MAX];
};

static int collect(const struct flowpic_window *w, const uint8_t *cells,
		   void *ctx)
{
	struct recs *r = ctx;

	if (r->n == MAX_RECS)
		return -ENOSPC;
	r->w[r->n] = *w;
	memcpy(r->cells[r->n], cells, w->cells);
	r->n++;
	return 0;
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static __u32 xmit(struct datapath *dp, const struct pb_spec *s)
{
	uint8_t buf[PB_MAX];
	__u32 verdict = 99;
	size_t len = pb_build(buf, s, NULL);

	if (bpf_test_run_pkt(datapath_prog_fd(dp), buf, len, &verdict, NULL))
		tap_diag("BPF_PROG_TEST_RUN failed");
	return verdict;
}

static struct pb_spec tcp(int sport, int payload, int flags, int rev)
{
	struct pb_spec s = { .family = 4, .src = V4A, .dst = V4B,
			     .sport = sport, .dport = 443, .proto = 6,
			     .payload = payload, .tcp_flags = flags };

	if (rev) {
		s.src = V4B;
		s.dst = V4A;
		s.sport = 443;
		s.dport = sport;
	}
	return s;
}

static uint64_t sum(const uint8_t *c, __u32 n)
{
	uint64_t s = 0;

	while (n--)
		s += c[n];
	return s;
}

static struct datapath *load(const char *name, __u16 n, __u8 ch,
			     __u64 window_ns, void (*tweak)(struct datapath_config *))
{
	struct datapath_config c;

	datapath_config_default(&c);
	c.geom.n = n;
	c.geom.channels = ch;
	c.geom.window_ns = window_ns;
	if (tweak)
		tweak(&c);
	return bpf_test_datapath(name, &c);
}

/* Each geometry: cells where flowpic_bin() puts them, channel by role. */
static void check_geometry(__u16 n, __u8 ch)
{
	struct pb_spec a = tcp(1000 + n, 700, 0, 0), b = tcp(1000 + n, 100, 0, 1);
	uint8_t cells[FLOWPIC_BPF_CAP_MAX] = {};
	struct flowpic_geom g = { .window_ns = 3600000000000ULL, .n = n,
				  .max_size = 1500, .channels = ch };
	struct flowpic_window w;
	struct flowpic_cell ca, cb;
	struct flowpic_key key;
	struct datapath *dp = load("geom", n, ch, g.window_ns, NULL);
	__u32 ia, ib, sa = pb_ip_len(&a), sb = pb_ip_len(&b);
	int dir, i, ok;

	if (!dp) {
		tap_ok(0, "%ux%u x%u: loads", n, n, ch);
		return;
	}
	for (i = 0; i < 3; i++)
		xmit(dp, &a);
	xmit(dp, &b);
	dir = pb_key(&a, &key);
	flowpic_bin(&g, sa, 0, &ca);
	flowpic_bin(&g, sb, 0, &cb);
	ia = flowpic_cell_index(&g, ch == 2 ? dir : 0, &ca);
	ib = flowpic_cell_index(&g, ch == 2 ? !dir : 0, &cb);
	ok = !datapath_flow(dp, &key, &w, cells, sizeof(cells));
	tap_ok(ok && w.n == n && w.channels == ch &&
	       w.cells == flowpic_geom_cells(&g) && cells[ia] == 3 &&
	       cells[ib] == 1 && sum(cells, w.cells) == 4,
	       "%ux%u x%u: cells %u=%u and %u=%u of %u", n, n, ch, ia,
	       cells[ia], ib, cells[ib], w.cells);
	bpf_test_datapath_done(dp);
}

/*
 * Two channels by role: the side that sent the first packet is channel 0
 * whatever the address order. Here the higher address starts the flow.
 */
static void check_roles(void)
{
	struct pb_spec a = tcp(1200, 700, 0, 0), b = tcp(1200, 100, 0, 1);
	uint8_t cells[FLOWPIC_BPF_CAP_MAX] = {};
	struct flowpic_geom g = { .window_ns = 3600000000000ULL, .n = 32,
				  .max_size = 1500, .channels = 2 };
	struct flowpic_window w;
	struct flowpic_cell ca, cb;
	struct flowpic_key key;
	struct datapath *dp = load("roles", 32, 2, g.window_ns, NULL);
	__u32 ia, ib;
	int i, ok;

	if (!dp) {
		tap_ok(0, "roles: loads");
		return;
	}
	xmit(dp, &b);			/* 198.51.100.7 starts it */
	for (i = 0; i < 3; i++)
		xmit(dp, &a);
	pb_key(&a, &key);
	flowpic_bin(&g, pb_ip_len(&b), 0, &cb);
	flowpic_bin(&g, pb_ip_len(&a), 0, &ca);
	ib = flowpic_cell_index(&g, FLOWPIC_ROLE_INITIATOR, &cb);
	ia = flowpic_cell_index(&g, FLOWPIC_ROLE_RESPONDER, &ca);
	ok = !datapath_flow(dp, &key, &w, cells, sizeof(cells));
	tap_ok(ok && cells[ib] == 1 && cells[ia] == 3 &&
	       sum(cells, w.cells) == 4,
	       "two channels by role: the initiator (higher address) in channel 0: cells %u=%u, %u=%u",
	       ib, cells[ib], ia, cells[ia]);
	bpf_test_datapath_done(dp);
}

static void tweak_min3(struct datapath_config *c)
{
	c->min_packets = 3;
}

/* A packet past the window closes it; FIN both ways and RST end flows. */
static void check_completion(void)
{
	/*
	 * 1 s: the FIN checks below need their packets inside the window the
	 * previous packet opened, even on a starved emulated CPU (the QEMU
	 * layer runs this on Debian's kernel under TCG, where 40 ms between
	 * two syscalls happened and opened an extra window).
	 */
	const __u64 W = 1000000000ULL;
	struct datapath *dp = load("complete", 32, 1, W, NULL);
	uint64_t st[__FLOWPIC_CNT_MAX];
	static struct recs r;
	struct flowpic_window w;
	struct flowpic_key key;
	struct pb_spec p = tcp(2001, 200, 0, 0);
	__u32 size = pb_ip_len(&p), row = size * 32 / 1500;
	int i;

	if (!dp) {
		tap_ok(0, "completion: loads");
		return;
	}
	pb_key(&p, &key);
	xmit(dp, &p);
	xmit(dp, &p);
	datapath_poll(dp, 0, collect, &r);
	tap_ok(r.n == 0, "no record while the window is open (%d)", r.n);
	nap_ms(W / 1000000 + 50);
	xmit(dp, &p);
	datapath_poll(dp, 0, collect, &r);
	tap_ok(r.n == 1 && r.w[0].reason == FLOWPIC_END_TIME &&
	       r.w[0].index == 0 && r.w[0].packets[0] == 2 &&
	       r.w[0].bytes[0] == 2ULL * size && r.w[0].cells == 1024 &&
	       !memcmp(&r.w[0].key, &key, sizeof(key)) &&
	       sum(r.cells[0] + row * 32, 32) == 2 &&
	       sum(r.cells[0], 1024) == 2,
	       "a packet past the window sends window 0 once: p=%u reason %u, row %u holds %llu",
	       r.n ? r.w[0].packets[0] : 0, r.n ? r.w[0].reason : 0, row,
	       (unsigned long long)(r.n ? sum(r.cells[0] + row * 32, 32) : 0));
	memset(&w, 0, sizeof(w));
	i = datapath_flow(dp, &key, &w, NULL, 0);
	tap_ok(!i && w.index >= 1 &&
	       w.packets[0] == 1 && w.start_ns > r.w[0].start_ns &&
	       (w.start_ns - r.w[0].start_ns) % W == 0,
	       "the packet opens window %u, %llu ns after window 0", w.index,
	       (unsigned long long)(w.start_ns - r.w[0].start_ns));

	/* FIN one way leaves the flow open; FIN the other way ends it. */
	r.n = 0;
	p.tcp_flags = 0x01;
	xmit(dp, &p);
	datapath_poll(dp, 0, collect, &r);
	tap_ok(r.n == 0 && !datapath_flow(dp, &key, &w, NULL, 0),
	       "one FIN: the flow goes on");
	p = tcp(2001, 0, 0x11, 1);	/* FIN|ACK back */
	xmit(dp, &p);
	datapath_poll(dp, 0, collect, &r);
	tap_ok(r.n == 1 && r.w[0].reason == FLOWPIC_END_FIN &&
	       r.w[0].packets[0] == 2 && r.w[0].packets[1] == 1 &&
	       datapath_flow(dp, &key, &w, NULL, 0) == -ENOENT,
	       "FIN both ways: window sent (reason %u, %u+%u packets), flow gone",
	       r.n ? r.w[0].reason : 0, r.n ? r.w[0].packets[0] : 0,
	       r.n ? r.w[0].packets[1] : 0);

	/* RST ends at once. */
	r.n = 0;
	p = tcp(2002, 10, 0, 0);
	xmit(dp, &p);
	p.tcp_flags = 0x04;
	xmit(dp, &p);
	datapath_poll(dp, 0, collect, &r);
	pb_key(&p, &key);
	tap_ok(r.n == 1 && r.w[0].reason == FLOWPIC_END_RST &&
	       r.w[0].packets[0] == 2 &&
	       datapath_flow(dp, &key, &w, NULL, 0) == -ENOENT,
	       "RST: window sent with both packets, flow gone");

	/* UDP has no FIN: the flag byte of a UDP packet means nothing. */
	datapath_stats(dp, st);
	tap_ok(st[FLOWPIC_CNT_WINDOWS] == 3 && st[FLOWPIC_CNT_WINDOWS_LOST] == 0,
	       "counters: %llu windows sent, %llu lost",
	       (unsigned long long)st[FLOWPIC_CNT_WINDOWS],
	       (unsigned long long)st[FLOWPIC_CNT_WINDOWS_LOST]);
	bpf_test_datapath_done(dp);

	/* min_packets: a 2-packet window is not sent. */
	dp = load("minpkts", 32, 1, W, tweak_min3);
	if (!dp)
		return;
	r.n = 0;
	p = tcp(2003, 10, 0, 0);
	xmit(dp, &p);
	p.tcp_flags = 0x04;
	xmit(dp, &p);
	p = tcp(2004, 10, 0, 0);
	xmit(dp, &p);
	xmit(dp, &p);
	p.tcp_flags = 0x04;
	xmit(dp, &p);
	datapath_poll(dp, 0, collect, &r);
	datapath_stats(dp, st);
	tap_ok(r.n == 1 && r.w[0].packets[0] == 3 &&
	       st[FLOWPIC_CNT_WINDOWS] == 1,
	       "min_packets 3: the 2-packet window is kept back, the 3-packet one sent");
	bpf_test_datapath_done(dp);
}

static void tweak_first_fin(struct datapath_config *c)
{
	c->tcp_end = TCP_END_FIRST_FIN;
}

static void tweak_no_end(struct datapath_config *c)
{
	c->tcp_end = TCP_END_NONE;
}

static void check_tcp_end_modes(void)
{
	static struct recs r;
	struct flowpic_key key;
	struct flowpic_window w;
	struct pb_spec p = tcp(2100, 10, 0x01, 0);
	struct datapath *dp = load("firstfin", 32, 1, 15000000000ULL,
				   tweak_first_fin);

	if (dp) {
		r.n = 0;
		xmit(dp, &p);
		datapath_poll(dp, 0, collect, &r);
		pb_key(&p, &key);
		tap_ok(r.n == 1 && r.w[0].reason == FLOWPIC_END_FIN &&
		       datapath_flow(dp, &key, &w, NULL, 0) == -ENOENT,
		       "tcp_end first: the first FIN ends the flow");
		bpf_test_datapath_done(dp);
	}
	dp = load("noend", 32, 1, 15000000000ULL, tweak_no_end);
	if (dp) {
		r.n = 0;
		p.tcp_flags = 0x04;
		xmit(dp, &p);
		p = tcp(2100, 10, 0x01, 1);
		xmit(dp, &p);
		datapath_poll(dp, 0, collect, &r);
		tap_ok(r.n == 0 && !datapath_flow(dp, &key, &w, NULL, 0) &&
		       w.packets[0] == 1 && w.packets[1] == 1,
		       "tcp_end none: RST and FIN leave the flow open");
		bpf_test_datapath_done(dp);
	}
}

static void tweak_idle(struct datapath_config *c)
{
	c->idle_ns = 20000000ULL;	/* 20 ms */
}

/* The idle sweep closes flows that stopped sending; their verdicts stay. */
static void check_idle(void)
{
	struct datapath *dp = load("idle", 32, 1, 15000000000ULL, tweak_idle);
	struct flowpic_label l = { .class_id = 2, .confidence = 9000 };
	struct pb_spec quiet = tcp(2200, 100, 0, 0), busy = tcp(2201, 100, 0, 0);
	struct flowpic_key kq, kb;
	struct flowpic_window w;
	static struct recs r;
	uint64_t st[__FLOWPIC_CNT_MAX];
	int closed, i;

	if (!dp) {
		tap_ok(0, "idle: loads");
		return;
	}
	pb_key(&quiet, &kq);
	pb_key(&busy, &kb);
	xmit(dp, &quiet);
	xmit(dp, &quiet);
	tap_ok(!datapath_set_label(dp, &kq, &l), "label the quiet flow");
	for (i = 0; i < 6; i++) {
		xmit(dp, &busy);
		nap_ms(5);
	}
	closed = datapath_sweep(dp, 0, collect, &r);
	datapath_stats(dp, st);
	tap_ok(closed == 1 && r.n == 1 && r.w[0].reason == FLOWPIC_END_IDLE &&
	       !memcmp(&r.w[0].key, &kq, sizeof(kq)) &&
	       r.w[0].packets[0] == 2 && sum(r.cells[0], 1024) == 2 &&
	       datapath_flow(dp, &kq, &w, NULL, 0) == -ENOENT &&
	       !datapath_flow(dp, &kb, &w, NULL, 0) &&
	       !bpf_map_lookup_elem(datapath_map_fd(dp, FLOWPIC_PIN_LABELS),
				    &kq, &l) && l.class_id == 2 &&
	       st[FLOWPIC_CNT_WINDOWS] == 1,
	       "sweep closed the idle flow only (%d), sent its window, kept its verdict",
	       closed);
	bpf_test_datapath_done(dp);
}

static void tweak_small_ring(struct datapath_config *c)
{
	c->ringbuf_bytes = 4096;	/* three 32x32 records */
}

/* Records the ring buffer has no room for are counted, not lost silently. */
static void check_lost(void)
{
	struct datapath *dp = load("lost", 32, 1, 15000000000ULL,
				   tweak_small_ring);
	uint64_t st[__FLOWPIC_CNT_MAX];
	static struct recs r;
	int i;

	if (!dp) {
		tap_ok(0, "lost: loads");
		return;
	}
	for (i = 0; i < 6; i++) {
		struct pb_spec p = tcp(2300 + i, 10, 0x04, 0);

		xmit(dp, &p);
	}
	datapath_stats(dp, st);
	datapath_poll(dp, 0, collect, &r);
	tap_ok(st[FLOWPIC_CNT_WINDOWS] == 3 &&
	       st[FLOWPIC_CNT_WINDOWS_LOST] == 3 && r.n == 3,
	       "6 windows into a 4 KB ring: %llu sent, %llu counted lost, %d read",
	       (unsigned long long)st[FLOWPIC_CNT_WINDOWS],
	       (unsigned long long)st[FLOWPIC_CNT_WINDOWS_LOST], r.n);
	bpf_test_datapath_done(dp);
}

static void tweak_four_flows(struct datapath_config *c)
{
	c->max_flows = 4;
}

/*
 * A full table evicts its least recently seen flow, and says so. Steps
 * are 20 ms apart: an emulated guest's clock may be that coarse.
 */
static void check_evict(void)
{
	struct datapath *dp = load("evict", 32, 1, 15000000000ULL,
				   tweak_four_flows);
	uint64_t st[__FLOWPIC_CNT_MAX];
	struct flowpic_key k[6];
	struct flowpic_window w;
	static struct recs r;
	struct pb_spec p[6];
	int i, present = 0;

	if (!dp) {
		tap_ok(0, "evict: loads");
		return;
	}
	for (i = 0; i < 6; i++) {
		p[i] = tcp(2400 + i, 50 + i, 0, 0);
		pb_key(&p[i], &k[i]);
	}
	for (i = 0; i < 4; i++) {
		xmit(dp, &p[i]);
		nap_ms(20);
	}
	xmit(dp, &p[0]);		/* flow 1 is now the least recent */
	nap_ms(20);
	xmit(dp, &p[4]);
	nap_ms(20);
	xmit(dp, &p[5]);		/* and then flow 2 */
	datapath_poll(dp, 0, collect, &r);
	datapath_stats(dp, st);
	for (i = 0; i < 6; i++)
		present |= !datapath_flow(dp, &k[i], &w, NULL, 0) << i;
	tap_diag("evict: %d records, %llu new, %llu evicted, %d in the table",
		 r.n, (unsigned long long)st[FLOWPIC_CNT_FLOWS_NEW],
		 (unsigned long long)st[FLOWPIC_CNT_FLOWS_EVICTED],
		 datapath_flow_count(dp));
	tap_ok(present == (1 | 8 | 16 | 32) &&
	       st[FLOWPIC_CNT_FLOWS_EVICTED] == 2 &&
	       st[FLOWPIC_CNT_FLOWS_NEW] == 6 && r.n == 2 &&
	       r.w[0].reason == FLOWPIC_END_EVICT &&
	       !memcmp(&r.w[0].key, &k[1], sizeof(k[1])) &&
	       !memcmp(&r.w[1].key, &k[2], sizeof(k[2])) &&
	       datapath_flow_count(dp) == 4,
	       "4-flow table: flows 1 and 2 (least recent) evicted and sent, %llu evictions counted (present %#x)",
	       (unsigned long long)st[FLOWPIC_CNT_FLOWS_EVICTED], present);
	bpf_test_datapath_done(dp);
}

/* Sizes past max_size go to the top row and are counted. */
static void check_clipped(void)
{
	struct datapath *dp = load("clip", 32, 1, 15000000000ULL, NULL);
	struct pb_spec p = { .family = 4, .src = V4A, .dst = V4B,
			     .sport = 2500, .dport = 53, .proto = 17,
			     .payload = 2000 };
	uint8_t cells[FLOWPIC_BPF_CAP_MAX];
	uint64_t st[__FLOWPIC_CNT_MAX];
	struct flowpic_window w;
	struct flowpic_key key;

	if (!dp) {
		tap_ok(0, "clip: loads");
		return;
	}
	xmit(dp, &p);
	pb_key(&p, &key);
	datapath_stats(dp, st);
	tap_ok(!datapath_flow(dp, &key, &w, cells, sizeof(cells)) &&
	       cells[31 * 32] == 1 && w.bytes[0] == 2028 &&
	       st[FLOWPIC_CNT_CLIPPED] == 1,
	       "a 2028-byte packet is clipped into the top row and counted");
	bpf_test_datapath_done(dp);
}

/* Configuration the tc program cannot hold is refused, with the reason. */
static void check_config(void)
{
	struct datapath_config c;
	char err[512];

	datapath_config_default(&c);
	c.geom.n = 91;
	tap_ok(datapath_config_check(&c, err, sizeof(err)) == -EINVAL &&
	       strstr(err, "8192"), "91x91 is refused: %s", err);
	datapath_config_default(&c);
	c.geom.n = 7;
	tap_ok(datapath_config_check(&c, err, sizeof(err)) == -EINVAL,
	       "7x7 is refused: %s", err);
	datapath_config_default(&c);
	c.ringbuf_bytes = 5000;
	tap_ok(datapath_config_check(&c, err, sizeof(err)) == -EINVAL,
	       "a 5000-byte ring buffer is refused: %s", err);
}

int main(void)
{
	char why[160];

	tap_header();
	tap_plan(25);
	if (!bpf_test_available(why, sizeof(why))) {
		tap_skip(why, "windows of the tc program");
		tap_done();
		return KSFT_SKIP_CODE;
	}
	check_config();
	check_geometry(32, 1);
	check_geometry(32, 2);
	check_geometry(64, 1);
	check_geometry(64, 2);
	check_geometry(90, 1);
	check_geometry(8, 1);
	check_roles();
	check_completion();
	check_tcp_end_modes();
	check_idle();
	check_lost();
	check_evict();
	check_clipped();
	return tap_done();
}
