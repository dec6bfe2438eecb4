// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/datapath.bpf.c on crafted frames through BPF_PROG_TEST_RUN: every
 * parse path lands in its flow with exact per-direction counts and cells,
 * every malformed or foreign frame is counted in the right counter and
 * passed untouched, and nothing else moves.
 */
#include <string.h>

/* The case macros below give defaults that cases then override. */
#pragma GCC diagnostic ignored "-Woverride-init"

#include "flowpic.h"
#include "live/datapath.h"
#include "unit/test.h"
#include "bpf/bpf_test.h"
#include "bpf/pkt_build.h"

#define V4A	"192.0.2.1"
#define V4B	"198.51.100.7"
#define V6A	"2001:db8::1"
#define V6B	"2001:db8:1::2"

enum expect {
	E_FLOW = -1,
	E_NOT_IP = FLOWPIC_CNT_NOT_IP,
	E_NOT_TCP_UDP = FLOWPIC_CNT_NOT_TCP_UDP,
	E_MALFORMED = FLOWPIC_CNT_MALFORMED,
	E_FRAGMENT = FLOWPIC_CNT_FRAGMENT,
};

enum breakage {
	B_NONE,
	B_ETHERTYPE_ARP,
	B_TRUNC_ETH,		/* frame ends inside the ethertype */
	B_TRUNC_L3,		/* frame ends inside the IP header */
	B_V4_IHL_4,
	B_V4_VERSION_6,
	B_V4_TOTLEN_BIG,	/* total length beyond the frame */
	B_V4_TOTLEN_SMALL,	/* total length below the header length */
	B_TCP_DOFF_4,
	B_L4_TOTLEN_CUT,	/* IP length leaves no room for TCP/UDP */
	B_V6_PAYLOAD_BIG,
	B_V6_VERSION_4,
	B_V6_EXT_TRUNC,		/* extension header runs past the payload */
};

struct pcase {
	const char	*what;
	struct pb_spec	s;
	enum breakage	brk;
	int		expect;
};

#define TCP4(sp, ...)	{ .family = 4, .src = V4A, .dst = V4B, .sport = sp, \
			  .dport = 443, .proto = 6, .payload = 100, __VA_ARGS__ }
#define UDP4(sp, ...)	{ .family = 4, .src = V4A, .dst = V4B, .sport = sp, \
			  .dport = 53, .proto = 17, .payload = 60, __VA_ARGS__ }
#define TCP6(sp, ...)	{ .family = 6, .src = V6A, .dst = V6B, .sport = sp, \
			  .dport = 443, .proto = 6, .payload = 200, __VA_ARGS__ }
#define UDP6(sp, ...)	{ .family = 6, .src = V6B, .dst = V6A, .sport = sp, \
			  .dport = 4433, .proto = 17, .payload = 1200, __VA_ARGS__ }

static const struct pcase cases[] = {
	{ "IPv4 TCP", TCP4(1001), B_NONE, E_FLOW },
	{ "IPv4 UDP", UDP4(1002), B_NONE, E_FLOW },
	{ "IPv6 TCP", TCP6(1003), B_NONE, E_FLOW },
	{ "IPv6 UDP (hi -> lo)", UDP6(1004), B_NONE, E_FLOW },
	{ "802.1Q tag", TCP4(1005, .vlans = 1), B_NONE, E_FLOW },
	{ "802.1ad + 802.1Q (QinQ)", UDP4(1006, .vlans = 2, .tpid = 0x88a8),
	  B_NONE, E_FLOW },
	{ "four VLAN tags", UDP6(1007, .vlans = 4), B_NONE, E_FLOW },
	{ "five VLAN tags: more than walked", UDP6(1008, .vlans = 5), B_NONE,
	  E_MALFORMED },
	{ "IPv4 with 40 bytes of options", TCP4(1009, .ip_opt_words = 10),
	  B_NONE, E_FLOW },
	{ "IPv6, three extension headers", TCP6(1010, .v6_ext = 3), B_NONE,
	  E_FLOW },
	{ "IPv6, eight extension headers", UDP6(1011, .v6_ext = 8), B_NONE,
	  E_FLOW },
	{ "IPv6, nine extension headers", UDP6(1012, .v6_ext = 9), B_NONE,
	  E_MALFORMED },
	{ "IPv4 size 1500 (top row)", TCP4(1013, .payload = 1460), B_NONE,
	  E_FLOW },
	{ "ARP", TCP4(1014), B_ETHERTYPE_ARP, E_NOT_IP },
	{ "ICMP", { .family = 4, .src = V4A, .dst = V4B, .proto = 1,
		    .payload = 56 }, B_NONE, E_NOT_TCP_UDP },
	{ "ICMPv6 after an extension header", { .family = 6, .src = V6A,
	  .dst = V6B, .proto = 58, .payload = 56, .v6_ext = 1 }, B_NONE,
	  E_NOT_TCP_UDP },
	/*
	 * BPF_PROG_TEST_RUN refuses an untagged frame shorter than its IP
	 * header, so truncated frames carry a VLAN tag, as they can on a
	 * wire.
	 */
	{ "frame ends in the inner ethertype", TCP4(1015, .vlans = 1),
	  B_TRUNC_ETH, E_MALFORMED },
	{ "IPv4 header truncated", TCP4(1016, .vlans = 1), B_TRUNC_L3,
	  E_MALFORMED },
	{ "IPv6 header truncated", TCP6(1017, .vlans = 1), B_TRUNC_L3,
	  E_MALFORMED },
	{ "IPv4 header length 16", TCP4(1018), B_V4_IHL_4, E_MALFORMED },
	{ "IPv4 version field 6", TCP4(1019), B_V4_VERSION_6, E_MALFORMED },
	{ "IPv4 total length beyond the frame", UDP4(1020),
	  B_V4_TOTLEN_BIG, E_MALFORMED },
	{ "IPv4 total length below header", UDP4(1021), B_V4_TOTLEN_SMALL,
	  E_MALFORMED },
	{ "TCP data offset 4", TCP4(1022), B_TCP_DOFF_4, E_MALFORMED },
	{ "TCP header cut by IP length", TCP4(1023, .payload = 0),
	  B_L4_TOTLEN_CUT, E_MALFORMED },
	{ "UDP header cut by IP length", UDP6(1024, .payload = 0),
	  B_L4_TOTLEN_CUT, E_MALFORMED },
	{ "IPv6 payload length beyond the frame", TCP6(1025),
	  B_V6_PAYLOAD_BIG, E_MALFORMED },
	{ "IPv6 version field 4", TCP6(1026), B_V6_VERSION_4, E_MALFORMED },
	{ "IPv6 extension header past the payload", UDP6(1027, .v6_ext = 1,
	  .payload = 0), B_V6_EXT_TRUNC, E_MALFORMED },
	{ "IPv4 later fragment, first not seen", UDP4(1028, .frag = 2,
	  .frag_id = 77), B_NONE, E_FRAGMENT },
	{ "IPv6 later fragment, first not seen", UDP6(1029, .frag = 2,
	  .frag_id = 78), B_NONE, E_FRAGMENT },
	{ "IPv4 later fragment of another protocol", { .family = 4,
	  .src = V4A, .dst = V4B, .proto = 47, .payload = 100, .frag = 2 },
	  B_NONE, E_NOT_TCP_UDP },
};

static size_t breakit(uint8_t *b, size_t len, const struct pb_layout *l,
		      enum breakage brk, int family)
{
	uint8_t *ip = b + l->l3;

	switch (brk) {
	case B_NONE:
		break;
	case B_ETHERTYPE_ARP:
		pb_put16(b + l->l3 - 2, 0x0806);
		break;
	case B_TRUNC_ETH:
		return l->l3 - 1;
	case B_TRUNC_L3:
		return l->l3 + (family == 4 ? 19 : 39);
	case B_V4_IHL_4:
		ip[0] = 0x44;
		break;
	case B_V4_VERSION_6:
		ip[0] = 0x65;
		break;
	case B_V4_TOTLEN_BIG:
		pb_put16(ip + 2, len - l->l3 + 1);
		break;
	case B_V4_TOTLEN_SMALL:
		pb_put16(ip + 2, 19);
		break;
	case B_TCP_DOFF_4:
		b[l->l4 + 12] = 4 << 4;
		break;
	case B_L4_TOTLEN_CUT:
		/* the IP length ends 1 byte into the transport header */
		if (family == 4)
			pb_put16(ip + 2, l->l4 - l->l3 + 1);
		else
			pb_put16(ip + 4, l->l4 - l->l3 - 40 + 1);
		break;
	case B_V6_PAYLOAD_BIG:
		pb_put16(ip + 4, len - l->l3 - 40 + 1);
		break;
	case B_V6_VERSION_4:
		ip[0] = 0x40;
		break;
	case B_V6_EXT_TRUNC:
		ip[40 + 1] = 200;	/* 1608-byte header in a short packet */
		break;
	}
	return len;
}

static int run(int fd, const uint8_t *b, size_t len, __u32 *verdict)
{
	int ret = bpf_test_run_pkt(fd, b, len, verdict, NULL);

	if (ret)
		tap_diag("BPF_PROG_TEST_RUN: %s", strerror(-ret));
	return ret;
}

static uint64_t cell_sum(const uint8_t *cells, __u32 n)
{
	uint64_t s = 0;
	__u32 i;

	for (i = 0; i < n; i++)
		s += cells[i];
	return s;
}

static void check_case(struct datapath *dp, int fd, const struct pcase *c)
{
	uint64_t before[__FLOWPIC_CNT_MAX], after[__FLOWPIC_CNT_MAX];
	const struct flowpic_geom *g = &datapath_config(dp)->geom;
	uint8_t buf[PB_MAX], cells[FLOWPIC_BPF_CAP_MAX];
	struct flowpic_window w;
	struct flowpic_key key;
	struct pb_layout lay;
	size_t len;
	__u32 verdict = 99, size, row, want_idx;
	int i, bad = 0, dir, flows;
	__u8 want[__FLOWPIC_CNT_MAX] = {};

	len = pb_build(buf, &c->s, &lay);
	len = breakit(buf, len, &lay, c->brk, c->s.family);
	flows = datapath_flow_count(dp);
	datapath_stats(dp, before);
	if (run(fd, buf, len, &verdict)) {
		tap_ok(0, "%s: ran", c->what);
		return;
	}
	datapath_stats(dp, after);

	want[FLOWPIC_CNT_PACKETS] = 1;
	if (c->expect == E_FLOW) {
		want[FLOWPIC_CNT_BINNED] = 1;
		want[FLOWPIC_CNT_FLOWS_NEW] = 1;
	} else {
		want[c->expect] = 1;
	}
	for (i = 0; i < __FLOWPIC_CNT_MAX; i++)
		if (after[i] - before[i] != want[i]) {
			tap_diag("%s: counter %d moved by %llu, want %u",
				 c->what, i,
				 (unsigned long long)(after[i] - before[i]),
				 want[i]);
			bad++;
		}
	if (verdict != TC_ACT_OK) {
		tap_diag("%s: verdict %u", c->what, verdict);
		bad++;
	}
	if (c->expect != E_FLOW) {
		if (datapath_flow_count(dp) != flows) {
			tap_diag("%s: the flow table changed", c->what);
			bad++;
		}
		tap_ok(!bad, "%s: counted as %s, passed, no flow", c->what,
		       c->expect == E_NOT_IP ? "not IP" :
		       c->expect == E_NOT_TCP_UDP ? "not TCP/UDP" :
		       c->expect == E_MALFORMED ? "malformed" : "fragment");
		return;
	}

	dir = pb_key(&c->s, &key);
	size = (__u32)(lay.len - lay.l3);
	if (datapath_flow(dp, &key, &w, cells, sizeof(cells))) {
		tap_ok(0, "%s: flow in the table", c->what);
		return;
	}
	row = size >= 1500 ? g->n - 1U : size * g->n / 1500;
	want_idx = row * g->n;	/* column 0: first packet opens the window */
	if (w.packets[dir] != 1 || w.packets[!dir] != 0 ||
	    w.bytes[dir] != size || w.bytes[!dir] != 0 || w.index != 0 ||
	    memcmp(&w.key, &key, sizeof(key)) || w.n != g->n ||
	    w.channels != g->channels || w.cells != flowpic_geom_cells(g) ||
	    cells[want_idx] != 1 || cell_sum(cells, w.cells) != 1) {
		tap_diag("%s: packets %u/%u bytes %llu/%llu index %u cell[%u]=%u sum %llu",
			 c->what, w.packets[0], w.packets[1],
			 (unsigned long long)w.bytes[0],
			 (unsigned long long)w.bytes[1], w.index, want_idx,
			 cells[want_idx],
			 (unsigned long long)cell_sum(cells, w.cells));
		bad++;
	}
	tap_ok(!bad, "%s: flow dir %d, %u bytes, cell %u, counters exact",
	       c->what, dir, size, want_idx);
}

/* A conversation both ways: per-direction counts, and cells summed. */
static void check_conversation(struct datapath *dp, int fd)
{
	struct pb_spec fwd = TCP4(2000, .payload = 500);
	struct pb_spec rev = { .family = 4, .src = V4B, .dst = V4A,
			       .sport = 443, .dport = 2000, .proto = 6,
			       .payload = 1000 };
	uint8_t buf[PB_MAX], cells[FLOWPIC_BPF_CAP_MAX];
	struct flowpic_window w;
	struct flowpic_key key, key2;
	__u32 verdict = 0, sf = pb_ip_len(&fwd), sr = pb_ip_len(&rev);
	int i, dir, dir2, ok = 1;
	size_t len;

	for (i = 0; i < 7; i++) {
		len = pb_build(buf, &fwd, NULL);
		ok &= !run(fd, buf, len, &verdict) && verdict == TC_ACT_OK;
	}
	for (i = 0; i < 4; i++) {
		len = pb_build(buf, &rev, NULL);
		ok &= !run(fd, buf, len, &verdict) && verdict == TC_ACT_OK;
	}
	dir = pb_key(&fwd, &key);
	dir2 = pb_key(&rev, &key2);
	tap_ok(!memcmp(&key, &key2, sizeof(key)) && dir != dir2,
	       "both directions share one canonical key, opposite dirs");
	if (datapath_flow(dp, &key, &w, cells, sizeof(cells))) {
		tap_ok(0, "conversation: flow in the table");
		return;
	}
	tap_ok(ok && w.packets[dir] == 7 && w.packets[dir2] == 4 &&
	       w.bytes[dir] == 7ULL * sf && w.bytes[dir2] == 4ULL * sr &&
	       cells[(sf * 32 / 1500) * 32] == 7 &&
	       cells[(sr * 32 / 1500) * 32] == 4 &&
	       cell_sum(cells, w.cells) == 11,
	       "conversation: 7 + 4 packets, %u + %u bytes each, two cells",
	       sf, sr);
}

/* A datagram's later fragment joins the flow of its first fragment. */
static void check_fragments(struct datapath *dp, int fd, int family)
{
	struct pb_spec first = family == 4 ?
		(struct pb_spec)UDP4(3000, .frag = 1, .frag_id = 4242,
				     .payload = 1472) :
		(struct pb_spec)UDP6(3001, .frag = 1, .frag_id = 4243,
				     .payload = 1400);
	struct pb_spec later = first;
	uint8_t buf[PB_MAX], cells[FLOWPIC_BPF_CAP_MAX];
	uint64_t before[__FLOWPIC_CNT_MAX], after[__FLOWPIC_CNT_MAX];
	struct flowpic_window w;
	struct flowpic_key key;
	__u32 verdict = 0, s1, s2;
	size_t len;
	int dir;

	later.frag = 2;
	later.payload = 300;
	s1 = pb_ip_len(&first);
	s2 = pb_ip_len(&later);
	datapath_stats(dp, before);
	len = pb_build(buf, &first, NULL);
	run(fd, buf, len, &verdict);
	len = pb_build(buf, &later, NULL);
	run(fd, buf, len, &verdict);
	datapath_stats(dp, after);
	dir = pb_key(&first, &key);
	if (datapath_flow(dp, &key, &w, cells, sizeof(cells))) {
		tap_ok(0, "IPv%d fragments: flow in the table", family);
		return;
	}
	tap_ok(w.packets[dir] == 2 && w.bytes[dir] == s1 + s2 &&
	       after[FLOWPIC_CNT_FRAGMENT] == before[FLOWPIC_CNT_FRAGMENT] &&
	       after[FLOWPIC_CNT_BINNED] - before[FLOWPIC_CNT_BINNED] == 2,
	       "IPv%d: later fragment (%u bytes) joins its first (%u bytes)",
	       family, s2, s1);
}

int main(void)
{
	struct datapath *dp;
	char why[160];
	unsigned int i;
	int fd;

	tap_header();
	tap_plan(37);
	if (!bpf_test_available(why, sizeof(why))) {
		tap_skip(why, "parse paths through the tc program");
		tap_done();
		return KSFT_SKIP_CODE;
	}
	dp = bpf_test_datapath("parse", NULL);
	if (!tap_ok(dp != NULL, "load and pin bpf/datapath.bpf.c"))
		return tap_done();
	fd = datapath_prog_fd(dp);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(dp, fd, &cases[i]);
	check_conversation(dp, fd);
	check_fragments(dp, fd, 4);
	check_fragments(dp, fd, 6);
	bpf_test_datapath_done(dp);
	return tap_done();
}
