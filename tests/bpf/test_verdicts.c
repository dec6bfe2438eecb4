// SPDX-License-Identifier: GPL-2.0
/*
 * Verdicts through BPF_PROG_TEST_RUN (docs/verdicts.md): a flood of new
 * flows, ten times the flow table, lifts no labelled flow's verdict;
 * with the table full a labelled flow is still enforced and the packet
 * that could not be histogrammed is counted; a GSO/GRO packet is binned
 * as the segments the wire carries, BIG TCP included; pins of another
 * version or geometry are refused with how to clear them; a CPU's note
 * of a flow's verdict never answers for another flow, nor outlives a
 * relabel; labels set many at once land in their order, each with its
 * own outcome.
 */
#include <sched.h>
#include <string.h>
#include <time.h>

#include "flowpic.h"
#include "live/datapath.h"
#include "unit/test.h"
#include "bpf/bpf_test.h"
#include "bpf/pkt_build.h"

#define V4A	"192.0.2.1"
#define V4B	"198.51.100.7"
#define V6A	"2001:db8::10"
#define V6B	"2001:db8:2::20"

#define TABLE	16	/* flows in the histogram table */
#define FLOOD	(10 * TABLE + 40)
#define DROP_CLASS 1

static __u32 xmit_gso(struct datapath *dp, const struct pb_spec *s,
		      __u32 gso_size, __u32 gso_segs, int zero_len)
{
	struct __sk_buff ctx = { .gso_size = gso_size, .gso_segs = gso_segs };
	uint8_t buf[PB_MAX];
	size_t len = pb_build(buf, s, NULL);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
		    .data_size_in = (__u32)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (zero_len && s->family == 6) {
		buf[14 + 4] = 0;	/* BIG TCP: payload length 0 */
		buf[14 + 5] = 0;
	} else if (zero_len) {
		buf[14 + 2] = 0;	/* BIG TCP over IPv4: total length 0 */
		buf[14 + 3] = 0;
	}
	if (bpf_prog_test_run_opts(datapath_prog_fd(dp), &opts)) {
		tap_diag("BPF_PROG_TEST_RUN: %s", strerror(errno));
		return 99;
	}
	return opts.retval;
}

static __u32 xmit(struct datapath *dp, const struct pb_spec *s)
{
	return xmit_gso(dp, s, 0, 0, 0);
}

static struct pb_spec tcp(int sport, int payload, int flags)
{
	struct pb_spec s = { .family = 4, .src = V4A, .dst = V4B,
			     .sport = sport, .dport = 443, .proto = 6,
			     .payload = payload, .tcp_flags = flags };
	return s;
}

static void tweak_small(struct datapath_config *c)
{
	c->max_flows = TABLE;
}

static void tweak_no_evict(struct datapath_config *c)
{
	c->max_flows = TABLE;
	c->evict_scan = 0;
}

static struct datapath *load(const char *name,
			     void (*tweak)(struct datapath_config *))
{
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	struct datapath_config c;
	struct datapath *dp;

	datapath_config_default(&c);
	if (tweak)
		tweak(&c);
	dp = bpf_test_datapath(name, &c);
	if (dp && datapath_set_policy(dp, DROP_CLASS, &drop)) {
		bpf_test_datapath_done(dp);
		return NULL;
	}
	return dp;
}

/* Ten times the table in new flows: every labelled flow stays dropped. */
static void check_flood(void)
{
	struct datapath *dp = load("flood", tweak_small);
	struct flowpic_bpf_stats *st;
	struct pb_spec lab[4], f;
	int i, held = 0, labelled = 0;

	if (!dp) {
		tap_ok(0, "flood: loads");
		tap_ok(0, "flood: verdicts hold");
		tap_ok(0, "flood: verdicts counted");
		return;
	}
	for (i = 0; i < 4; i++) {
		lab[i] = tcp(3000 + i, 100, 0);
		xmit(dp, &lab[i]);
		labelled += !bpf_test_label(dp, &lab[i], DROP_CLASS);
	}
	tap_ok(labelled == 4, "4 flows of a %u-flow table labelled drop", TABLE);
	for (i = 0; i < FLOOD; i++) {
		f = tcp(10000 + i, 60, 0);
		f.src = "192.0.2.99";
		xmit(dp, &f);
	}
	for (i = 0; i < 4; i++)
		held += xmit(dp, &lab[i]) == TC_ACT_SHOT;
	st = bpf_stats_sum(dp);
	tap_ok(held == 4 && st->flows_evicted >= FLOOD - TABLE,
	       "%d new flows, %llu histograms evicted: %d of 4 labelled flows still dropped",
	       FLOOD, (unsigned long long)st->flows_evicted, held);
	free(st);
	{
		struct flowpic_verdict_stats vs;
		struct flowpic_key k;

		bpf_test_label(dp, &lab[0], DROP_CLASS);	/* replaced */
		pb_key(&lab[3], &k);
		datapath_clear_label(dp, &k);		/* removed */
		datapath_verdict_stats(dp, &vs);
		tap_ok(vs.added == 4 && vs.replaced == 1 && vs.removed == 1 &&
		       vs.present == 3 && vs.evicted == 0,
		       "verdicts counted: %llu added, %llu replaced, %llu removed, %llu present, %llu evicted",
		       (unsigned long long)vs.added,
		       (unsigned long long)vs.replaced,
		       (unsigned long long)vs.removed,
		       (unsigned long long)vs.present,
		       (unsigned long long)vs.evicted);
	}
	bpf_test_datapath_done(dp);
}

/*
 * A table that keeps its flows (evict_scan 0) and is full: a labelled
 * flow without a histogram slot is still dropped, and counted.
 */
static void check_full(void)
{
	struct datapath *dp = load("full", tweak_no_evict);
	struct flowpic_bpf_stats *st0, *st1;
	struct pb_spec l = tcp(4000, 100, 0), f;
	struct flowpic_key k;
	__u32 v1, v2;
	int i;

	if (!dp) {
		tap_ok(0, "full: loads");
		return;
	}
	xmit(dp, &l);
	bpf_test_label(dp, &l, DROP_CLASS);
	l.tcp_flags = 0x04;		/* RST: its histogram ends */
	xmit(dp, &l);
	l.tcp_flags = 0;
	for (i = 0; i < 2 * TABLE; i++) {
		f = tcp(11000 + i, 60, 0);
		xmit(dp, &f);
	}
	st0 = bpf_stats_sum(dp);
	v1 = xmit(dp, &l);
	v2 = xmit(dp, &l);
	st1 = bpf_stats_sum(dp);
	pb_key(&l, &k);
	tap_ok(v1 == TC_ACT_SHOT && v2 == TC_ACT_SHOT &&
	       datapath_flow(dp, &k, NULL, NULL, 0) == -ENOENT &&
	       datapath_flow_count(dp) == TABLE &&
	       st1->untracked - st0->untracked == 2 &&
	       st1->dropped - st0->dropped == 2,
	       "table full (%d flows): the labelled flow without a slot dropped (%u %u), %llu untracked counted",
	       datapath_flow_count(dp), v1, v2,
	       (unsigned long long)(st1->untracked - st0->untracked));
	free(st0);
	free(st1);
	bpf_test_datapath_done(dp);
}

static __u64 cell_at(const struct flowpic_geom *g, __u32 size,
		     const uint8_t *cells)
{
	struct flowpic_cell c = { 0 };

	flowpic_bin(g, size, 0, &c);
	return cells[flowpic_cell_index(g, 0, &c)];
}

/* One GSO packet, binned as its segments. */
static void check_gso_one(const char *what, struct pb_spec s, __u32 gso,
			  int zero_len)
{
	struct datapath *dp = load("gso", NULL);
	__u32 hdr = (s.family == 4 ? 20 : 40) + 20;
	__u32 size = hdr + s.payload, full = (s.payload - 1) / gso;
	__u32 last = size - full * gso, n;
	const struct datapath_config *c;
	struct flowpic_bpf_stats *st;
	struct flowpic_window w;
	struct flowpic_key k;
	uint8_t cells[FLOWPIC_BPF_CAP_MAX];
	__u64 total = 0;

	if (!dp) {
		tap_ok(0, "%s: loads", what);
		return;
	}
	c = datapath_config(dp);
	xmit_gso(dp, &s, gso, full + 1, zero_len);
	pb_key(&s, &k);
	memset(&w, 0, sizeof(w));
	if (datapath_flow(dp, &k, &w, cells, sizeof(cells)))
		tap_diag("%s: flow not in the table", what);
	for (n = 0; n < w.cells; n++)
		total += cells[n];
	st = bpf_stats_sum(dp);
	tap_ok(w.packets[0] == full + 1 &&
	       w.bytes[0] == (__u64)full * (hdr + gso) + last &&
	       total == full + 1 &&
	       cell_at(&c->geom, hdr + gso, cells) >= full &&
	       cell_at(&c->geom, last, cells) >= 1 &&
	       !st->clipped && st->binned == full + 1 &&
	       st->segments == full + 1 && !st->malformed &&
	       st->big_packets == (__u64)!!zero_len,
	       "%s: %u bytes, gso_size %u -> %u x %u + %u bytes: window %u packets %llu bytes, %llu binned, %llu clipped, %llu malformed",
	       what, size, gso, full, hdr + gso, last, w.packets[0],
	       (unsigned long long)w.bytes[0], (unsigned long long)st->binned,
	       (unsigned long long)st->clipped,
	       (unsigned long long)st->malformed);
	free(st);
	bpf_test_datapath_done(dp);
}

static void check_gso(void)
{
	struct pb_spec v4 = tcp(5000, 1900, 0);
	struct pb_spec v6 = { .family = 6, .src = V6A, .dst = V6B,
			      .sport = 5001, .dport = 443, .proto = 6,
			      .payload = 1800 };

	check_gso_one("TSO/GRO IPv4", v4, 700, 0);
	check_gso_one("TSO/GRO IPv6", v6, 500, 0);
	check_gso_one("BIG TCP IPv6 (payload length 0)", v6, 500, 1);
	check_gso_one("BIG TCP IPv4 (total length 0)", v4, 700, 1);
}

/* Pins of another version or configuration: refused, with the remedy. */
static void check_pins(void)
{
	struct datapath_config c;
	struct flowpic_bpf_meta m;
	struct datapath *dp, *dp2 = NULL;
	char dir[200], path[260], err[600];
	__u32 zero = 0;
	int fd, ret;

	datapath_config_default(&c);
	dp = bpf_test_datapath("pins", &c);
	if (!tap_ok(dp != NULL, "pins: loads"))
		return;
	snprintf(dir, sizeof(dir), "%s", datapath_config(dp)->pin_dir);
	c.pin_dir = dir;
	c.reuse = 1;
	datapath_close(dp);

	/* The same configuration: reused. */
	ret = datapath_open(&dp2, &c, err, sizeof(err));
	tap_ok(!ret, "same version and configuration: pins reused (%s)",
	       ret ? err : "ok");
	datapath_close(dp2);
	dp2 = NULL;

	/* Another geometry, the same map sizes (32x32 and 30x30: 1024). */
	c.geom.n = 30;
	ret = datapath_open(&dp2, &c, err, sizeof(err));
	tap_ok(ret == -EEXIST && strstr(err, "rm -r") && strstr(err, dir),
	       "another geometry of the same map sizes refused: %s", err);
	datapath_close(dp2);
	dp2 = NULL;
	c.geom.n = FLOWPIC_MINI_N;

	/* Another version. */
	snprintf(path, sizeof(path), "%s/%s", dir, FLOWPIC_PIN_META);
	fd = bpf_obj_get(path);
	memset(&m, 0, sizeof(m));
	if (fd >= 0 && !bpf_map_lookup_elem(fd, &zero, &m)) {
		m.version--;
		bpf_map_update_elem(fd, &zero, &m, BPF_ANY);
	}
	ret = datapath_open(&dp2, &c, err, sizeof(err));
	tap_ok(fd >= 0 && ret == -EEXIST && strstr(err, "version") &&
	       strstr(err, "rm -r"), "pins of version %u refused: %s",
	       m.version, err);
	datapath_close(dp2);
	dp2 = NULL;
	if (fd >= 0)
		close(fd);

	/* No record at all: an older flowpic's pins. */
	unlink(path);
	ret = datapath_open(&dp2, &c, err, sizeof(err));
	tap_ok(ret == -EEXIST && strstr(err, "older") && strstr(err, "rm -r"),
	       "pins without a record refused: %s", err);
	datapath_close(dp2);

	/* Cleared as the message says: loads again. */
	snprintf(path, sizeof(path), "rm -r '%s'", dir);
	ret = system(path);
	dp2 = NULL;
	ret = ret ? ret : datapath_open(&dp2, &c, err, sizeof(err));
	tap_ok(!ret, "after rm -r: loads (%s)", ret ? err : "ok");
	if (dp2)
		datapath_unpin(dp2);
	datapath_close(dp2);
}

#define MARK_CLASS	2
#define MARK_A		0xa11
#define MARK_CLASS_B	3
#define MARK_B		0xb22

/* The verdict a packet got: TC_ACT_SHOT, the mark it left, or 0. */
static __u32 verdict_of(struct datapath *dp, const struct pb_spec *s)
{
	struct __sk_buff out = {};
	uint8_t buf[PB_MAX];
	size_t len = pb_build(buf, s, NULL);
	__u32 ret = 99;

	if (bpf_test_run_pkt(datapath_prog_fd(dp), buf, len, &ret, &out))
		return 99;
	return ret == TC_ACT_SHOT ? TC_ACT_SHOT : ret == TC_ACT_OK ? out.mark : 99;
}

static struct datapath *load_marks(const char *name)
{
	struct flowpic_action a = { .type = FLOWPIC_ACT_MARK, .value = MARK_A };
	struct flowpic_action b = { .type = FLOWPIC_ACT_MARK, .value = MARK_B };
	struct datapath *dp = load(name, NULL);

	if (dp && (datapath_set_policy(dp, MARK_CLASS, &a) ||
		   datapath_set_policy(dp, MARK_CLASS_B, &b))) {
		bpf_test_datapath_done(dp);
		return NULL;
	}
	return dp;
}

/*
 * Two flows whose keys differ only where the program's per-CPU verdict
 * notes do not look to pick a slot (the protocol; an IPv6 address's
 * third word) share a slot: on one CPU, whatever was noted there for one
 * (no label, or its label's class) must never answer for the other,
 * whatever their order. @cls_a: flow a's label, 0 for none.
 */
static void check_notes_pair(const char *what, struct pb_spec a,
			     struct pb_spec b, __u16 cls_a)
{
	struct datapath *dp = load_marks("notes");
	__u32 want_a = cls_a ? MARK_A : 0, got_a = 0, got_b = 0;
	int i, ok = 1;

	if (!dp) {
		tap_ok(0, "%s: loads", what);
		return;
	}
	xmit(dp, &a);
	xmit(dp, &b);
	if (bpf_test_label(dp, &b, DROP_CLASS) ||
	    (cls_a && bpf_test_label(dp, &a, cls_a)))
		ok = 0;
	for (i = 0; i < 4; i++) {
		ok &= (got_a = verdict_of(dp, &a)) == want_a;
		ok &= (got_b = verdict_of(dp, &b)) == TC_ACT_SHOT;
		ok &= (got_b = verdict_of(dp, &b)) == TC_ACT_SHOT;
		ok &= (got_a = verdict_of(dp, &a)) == want_a;
	}
	tap_ok(ok, "%s: each flow got its own verdict, alternating 4 times over on one CPU (last: a %#x, b %u)",
	       what, got_a, got_b);
	bpf_test_datapath_done(dp);
}

/*
 * On one CPU, a flow whose verdict is noted: every relabel, removal or
 * policy change applies from the very next packet, on the same CPU that
 * noted the old one; 50 rounds.
 */
static void check_notes_relabel(void)
{
	struct pb_spec f = { .family = 4, .src = V4A, .dst = V4B,
			     .sport = 6000, .dport = 6001, .proto = 17,
			     .payload = 100 };
	struct datapath *dp = load_marks("notes-relabel");
	struct flowpic_action a = { .type = FLOWPIC_ACT_MARK };
	struct flowpic_key k;
	int i, bad = 0;
	__u32 got;
	char first[120] = "";

#define EXPECT(want, step)						\
	do {								\
		got = verdict_of(dp, &f);				\
		if (got != (__u32)(want) && !bad++)				\
			snprintf(first, sizeof(first),			\
				 "round %d, %s: %#x, not %#x", i, step,	\
				 got, (__u32)(want));			\
	} while (0)

	if (!dp) {
		tap_ok(0, "relabel on one CPU: loads");
		return;
	}
	pb_key(&f, &k);
	xmit(dp, &f);
	for (i = 0; i < 50; i++) {
		bpf_test_label(dp, &f, MARK_CLASS);
		EXPECT(MARK_A, "labelled");
		EXPECT(MARK_A, "noted");
		bpf_test_label(dp, &f, MARK_CLASS_B);
		EXPECT(MARK_B, "relabelled");
		EXPECT(MARK_B, "relabelled, noted");
		bpf_test_label(dp, &f, DROP_CLASS);
		EXPECT(TC_ACT_SHOT, "relabelled drop");
		datapath_clear_label(dp, &k);
		EXPECT(0, "label removed");
		EXPECT(0, "label removed, noted");
		bpf_test_label(dp, &f, MARK_CLASS_B);
		EXPECT(MARK_B, "labelled again");
		a.value = MARK_B + 1 + (__u32)i;
		datapath_set_policy(dp, MARK_CLASS_B, &a);
		EXPECT(MARK_B + 1 + i, "policy changed");
		a.value = MARK_B;
		datapath_set_policy(dp, MARK_CLASS_B, &a);
		EXPECT(MARK_B, "policy back");
	}
#undef EXPECT
	tap_ok(!bad, "one CPU, 50 rounds of label, relabel, drop, removal and policy change: each applied from the next packet (%d wrong%s%s)",
	       bad, bad ? "; first: " : "", first);
	bpf_test_datapath_done(dp);
}

static void check_notes(void)
{
	struct pb_spec u = { .family = 4, .src = V4A, .dst = V4B,
			     .sport = 5000, .dport = 5001, .proto = 17,
			     .payload = 100 };
	struct pb_spec t = u;
	struct pb_spec v6a = { .family = 6, .src = "2001:db8:0:0:1::10",
			       .dst = V6B, .sport = 5000, .dport = 5001,
			       .proto = 17, .payload = 100 };
	struct pb_spec v6b = v6a;
	cpu_set_t one, old;

	/* One CPU: the notes are per CPU. */
	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	t.proto = 6;
	v6b.src = "2001:db8:0:0:2::10";
	check_notes_pair("UDP unlabelled, TCP of the same addresses and ports labelled drop",
			 u, t, 0);
	check_notes_pair("IPv6 flows apart in the address's third word only, one unlabelled, one labelled drop",
			 v6a, v6b, 0);
	check_notes_pair("UDP labelled mark, TCP of the same addresses and ports labelled drop",
			 u, t, MARK_CLASS);
	check_notes_pair("IPv6 flows apart in the address's third word only, labelled mark and drop",
			 v6a, v6b, MARK_CLASS);
	check_notes_relabel();
	sched_setaffinity(0, sizeof(old), &old);
}

/*
 * datapath_set_labels(): five entries in one call, a flow labelled
 * before, two new ones (the second twice: its later entry wins), one
 * not in the table, one not canonical; every result its own, the
 * verdicts counted, and the packets of each flow get their entry's
 * action at once.
 */
static void check_batch(void)
{
	struct datapath *dp = load("batch", NULL);
	struct flowpic_action mark = { .type = FLOWPIC_ACT_MARK,
				       .value = 0x77 };
	struct pb_spec f[4] = { tcp(5000, 100, 0), tcp(5001, 100, 0),
				tcp(5002, 100, 0), tcp(5003, 100, 0) };
	struct flowpic_key k[6];
	struct flowpic_label l[6];
	struct flowpic_verdict_stats vs;
	int rc[6], i, err;
	__u32 v[3];

	if (!dp || datapath_set_policy(dp, 2, &mark)) {
		tap_ok(0, "batch: loads");
		tap_ok(0, "batch: applies");
		if (dp)
			bpf_test_datapath_done(dp);
		return;
	}
	for (i = 0; i < 3; i++)		/* flow 3 is never seen */
		xmit(dp, &f[i]);
	bpf_test_label(dp, &f[0], 2);	/* labelled before: replaced */
	memset(l, 0, sizeof(l));
	for (i = 0; i < 6; i++)
		l[i].confidence = 9000;
	pb_key(&f[0], &k[0]);
	l[0].class_id = DROP_CLASS;
	pb_key(&f[1], &k[1]);
	l[1].class_id = DROP_CLASS;
	pb_key(&f[2], &k[2]);
	l[2].class_id = DROP_CLASS;
	pb_key(&f[3], &k[3]);
	l[3].class_id = DROP_CLASS;
	k[4] = k[2];			/* flow 2 again: this one wins */
	l[4].class_id = 2;
	k[5] = k[1];			/* its halves swapped: not canonical */
	memcpy(k[5].lo_addr, k[1].hi_addr, sizeof(k[5].lo_addr));
	memcpy(k[5].hi_addr, k[1].lo_addr, sizeof(k[5].hi_addr));
	k[5].lo_port = k[1].hi_port;
	k[5].hi_port = k[1].lo_port;
	err = datapath_set_labels(dp, k, l, 6, rc);
	datapath_verdict_stats(dp, &vs);
	tap_ok(!err && !rc[0] && !rc[1] && !rc[2] && rc[3] == -ENOENT &&
	       !rc[4] && rc[5] == -EINVAL && vs.added == 3 &&
	       vs.replaced == 2 && vs.present == 3,
	       "six labels at once: %d %d %d %d %d %d (0 0 0 -ENOENT 0 "
	       "-EINVAL); %llu added, %llu replaced (3, 2: flow 0's, flow "
	       "2's second), %llu present",
	       rc[0], rc[1], rc[2], rc[3], rc[4], rc[5],
	       (unsigned long long)vs.added, (unsigned long long)vs.replaced,
	       (unsigned long long)vs.present);
	for (i = 0; i < 3; i++)
		v[i] = xmit(dp, &f[i]);
	tap_ok(v[0] == TC_ACT_SHOT && v[1] == TC_ACT_SHOT &&
	       v[2] == TC_ACT_OK,
	       "their packets at once: flows 0 and 1 dropped (%u, %u), flow 2 "
	       "marked by its later entry, not dropped (%u)", v[0], v[1], v[2]);
	bpf_test_datapath_done(dp);
}

int main(void)
{
	char why[160];

	tap_header();
	tap_plan(21);
	if (!bpf_test_available(why, sizeof(why))) {
		tap_skip_n(21, why, "verdicts, GSO, pins, notes and batches");
		tap_done();
		return KSFT_SKIP_CODE;
	}
	check_flood();
	check_full();
	check_gso();
	check_pins();
	check_notes();
	check_batch();
	return tap_done();
}
