// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table's rules on made-up packet sequences whose windows are
 * worked out by hand: tiling from the first packet, idle ends (by the
 * flow's own next packet and by the sweep), FIN/RST ends in each mode,
 * gap capping both ways, early packets, the minimum packet count,
 * eviction; and a large random run against a simple model.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "unit/test.h"
#include "flow/flow_table.h"
#include "flow/geometry.h"

#define S	1000000000ULL

struct got {
	struct flowpic_window w[64];
	uint32_t first_cell[64];
	int n;
};

static int sink(void *ctx, const struct flowpic_window *w,
		const struct window_series *s, const struct picture *p)
{
	struct got *g = ctx;

	if (g->n < 64) {
		g->first_cell[g->n] = p->ncells ? p->cells[0].index : ~0U;
		g->w[g->n++] = *w;
	}
	return 0;
}

static struct flowpic_key key(int i, int proto)
{
	struct flowpic_key k;

	memset(&k, 0, sizeof(k));
	flowpic_addr_from_v4(k.lo_addr, htonl(0xc0000201));	/* 192.0.2.1 */
	flowpic_addr_from_v4(k.hi_addr, htonl(0xc6336407));	/* 198.51.100.7 */
	k.lo_port = htons((uint16_t)(1000 + i));
	k.hi_port = htons(443);
	k.proto = (uint8_t)proto;
	k.family = FLOWPIC_FAMILY_IPV4;
	flowpic_key_canon(&k);
	return k;
}

static struct flow_table *table(struct got *g, void (*tune)(struct flow_config *))
{
	struct flowpic_geom geom;
	struct flow_config c;

	memset(g, 0, sizeof(*g));
	geometry_default(&geom, 32);		/* 15 s windows */
	flow_config_default(&c, &geom);
	if (tune)
		tune(&c);
	return flow_table_new(&c, sink, g);
}

static void no_idle(struct flow_config *c)
{
	c->idle_ns = 0;
	c->gap_cap_ns = 0;
}

static void cap15(struct flow_config *c)
{
	c->idle_ns = 0;
	c->gap_cap_ns = 15 * S;
}

static void min3(struct flow_config *c)
{
	c->min_packets = 3;
}

static void two_flows(struct flow_config *c)
{
	c->max_flows = 2;
}

static void first_fin(struct flow_config *c)
{
	c->tcp_end = FLOW_TCP_END_FIRST_FIN;
}

static void no_tcp(struct flow_config *c)
{
	c->tcp_end = FLOW_TCP_END_NONE;
}

int main(void)
{
	const __u64 t0 = 1700000000ULL * S;
	struct flowpic_key a = key(1, 6), b = key(2, 17);
	struct flow_stats *st;
	struct flow_table *t;
	struct got g;
	struct flow f;
	int i, ok;

	tap_header();
	tap_plan(21);

	/* tiling: 0, 14.999999999, 15, 31 s -> windows 0 (2), 1 (1), 2 (1) */
	t = table(&g, no_idle);
	flow_table_packet(t, &a, t0, 100, 0, 0);
	flow_table_packet(t, &a, t0 + 15 * S - 1, 100, 1, 0);
	flow_table_packet(t, &a, t0 + 15 * S, 1500, 0, 0);
	flow_table_packet(t, &a, t0 + 31 * S, 3000, 1, 0);
	flow_table_flush(t);
	tap_ok(g.n == 3 && g.w[0].index == 0 && g.w[1].index == 1 &&
	       g.w[2].index == 2, "windows 0, 1, 2 tile the flow from its first packet");
	tap_ok(g.w[0].packets[0] == 1 && g.w[0].packets[1] == 1 &&
	       g.w[0].bytes[1] == 100 && g.w[0].reason == FLOWPIC_END_TIME &&
	       g.w[0].start_ns == t0 && g.w[1].start_ns == t0 + 15 * S &&
	       g.w[2].start_ns == t0 + 30 * S,
	       "window headers: packets, bytes per direction, start times");
	/* 100 B at 0 s: row 2, col 0; 15 s - 1 ns is the last column */
	tap_ok(g.first_cell[0] == 2 * 32 && g.first_cell[1] == 31 * 32 &&
	       g.first_cell[2] == 31 * 32 + 2,
	       "cells: (row 2, col 0), 1500 B -> row 31, 3000 B at 1 s -> (31, 2)");
	flow_table_free(t);

	/*
	 * two channels by role: the higher address (direction 1) starts
	 * the flow, so its packets are channel 0 of the picture
	 */
	t = table(&g, no_idle);
	{
		struct flow_config c = *flow_table_config(t);

		flow_table_free(t);
		c.geom.channels = 2;
		memset(&g, 0, sizeof(g));
		t = flow_table_new(&c, sink, &g);
	}
	flow_table_packet(t, &a, t0, 1500, 1, 0);
	flow_table_packet(t, &a, t0 + 1, 100, 0, 0);
	flow_table_flush(t);
	/* channel 0 (1500 B: row 31) comes before channel 1 (100 B) */
	tap_ok(g.n == 1 && g.first_cell[0] == 31 * 32 &&
	       g.w[0].packets[0] == 1 && g.w[0].packets[1] == 1,
	       "two channels: the initiator's (direction 1) packet in channel 0, counts per direction (first cell %u)",
	       g.first_cell[0]);
	flow_table_free(t);

	/* idle: a 121 s silence ends the flow; the next packet restarts it */
	t = table(&g, NULL);
	flow_table_packet(t, &a, t0, 100, 0, 0);
	flow_table_packet(t, &a, t0 + 121 * S, 100, 0, 0);
	st = flow_table_stats(t);
	tap_ok(g.n == 1 && g.w[0].reason == FLOWPIC_END_IDLE &&
	       st->cnt[FLOWPIC_CNT_FLOWS_NEW] == 2,
	       "a 121 s silence ends the flow idle; a new flow starts");
	flow_table_flush(t);
	tap_ok(g.n == 2 && g.w[1].index == 0 && g.w[1].start_ns == t0 + 121 * S,
	       "the new flow's windows start at 0 from its first packet");
	flow_table_free(t);

	/* the sweep: flow a idle at b's packet ends before b is counted */
	t = table(&g, NULL);
	flow_table_packet(t, &a, t0, 100, 0, 0);
	flow_table_packet(t, &b, t0 + 100 * S, 100, 0, 0);
	tap_ok(g.n == 0, "120 s is not yet idle");
	flow_table_packet(t, &b, t0 + 120 * S + 1, 100, 0, 0);
	/* a's idle end comes first, then b's window 0 closes (time) */
	tap_ok(g.n == 2 && !memcmp(&g.w[0].key, &a, sizeof(a)) &&
	       g.w[0].reason == FLOWPIC_END_IDLE &&
	       g.w[1].reason == FLOWPIC_END_TIME && flow_table_live(t) == 1,
	       "another flow's packet 120 s + 1 ns later ends the idle flow first");
	flow_table_free(t);

	/* TCP ends */
	t = table(&g, NULL);
	flow_table_packet(t, &a, t0, 60, 0, 0x01);
	flow_table_packet(t, &a, t0 + 1, 60, 1, 0);
	tap_ok(g.n == 0, "one FIN does not end the flow (both mode)");
	flow_table_packet(t, &a, t0 + 2, 60, 1, 0x01);
	tap_ok(g.n == 1 && g.w[0].reason == FLOWPIC_END_FIN &&
	       g.w[0].packets[0] + g.w[0].packets[1] == 3 && !flow_table_live(t),
	       "FIN both ways ends it, the FIN inside");
	flow_table_packet(t, &a, t0 + 3, 60, 0, 0x04);
	tap_ok(g.n == 2 && g.w[1].reason == FLOWPIC_END_RST,
	       "a packet after the end opens a new flow; RST ends it");
	flow_table_packet(t, &b, t0 + 4, 60, 0, 0x05);
	tap_ok(g.n == 2 && flow_table_live(t) == 1,
	       "UDP flows ignore TCP flag bits");
	flow_table_free(t);
	t = table(&g, first_fin);
	flow_table_packet(t, &a, t0, 60, 1, 0x01);
	tap_ok(g.n == 1 && g.w[0].reason == FLOWPIC_END_FIN,
	       "--tcp-end first: the first FIN ends it");
	flow_table_free(t);
	t = table(&g, no_tcp);
	flow_table_packet(t, &a, t0, 60, 1, 0x04);
	tap_ok(g.n == 0 && flow_table_live(t) == 1,
	       "--tcp-end none: RST is ignored");
	flow_table_free(t);

	/* gap cap: 1000 s of silence counts as 15 s -> next window */
	t = table(&g, cap15);
	flow_table_packet(t, &a, t0, 100, 0, 0);
	flow_table_packet(t, &a, t0 + 1000 * S, 100, 0, 0);
	flow_table_flush(t);
	st = flow_table_stats(t);
	tap_ok(g.n == 2 && g.w[1].index == 1 && g.w[1].start_ns == t0 + 1000 * S &&
	       st->gaps_capped == 1,
	       "gap cap: a 1000 s gap counts as 15 s: window 1, not 66");
	flow_table_free(t);
	/* and back: the clock jumps 100 s back, the flow's clock stands */
	t = table(&g, cap15);
	flow_table_packet(t, &a, t0 + 200 * S, 100, 0, 0);
	flow_table_packet(t, &a, t0 + 205 * S, 100, 0, 0);
	flow_table_packet(t, &a, t0 + 105 * S, 200, 0, 0);
	flow_table_packet(t, &a, t0 + 106 * S, 300, 0, 0);
	flow_table_flush(t);
	st = flow_table_stats(t);
	tap_ok(g.n == 1 && g.w[0].packets[0] == 4 && st->gaps_capped == 1 &&
	       !st->cnt[FLOWPIC_CNT_CLOCK_BACK],
	       "gap cap: a 100 s jump back keeps the flow's clock, one window");
	flow_table_free(t);
	/* a small step back is early: column 0 of the open window */
	t = table(&g, NULL);
	flow_table_packet(t, &a, t0, 100, 0, 0);
	flow_table_packet(t, &a, t0 + 16 * S, 100, 0, 0);
	flow_table_packet(t, &a, t0 + 14 * S, 1499, 0, 0);
	flow_table_flush(t);
	st = flow_table_stats(t);
	tap_ok(g.n == 2 && g.w[1].packets[0] == 2 &&
	       st->cnt[FLOWPIC_CNT_CLOCK_BACK] == 1,
	       "a packet 2 s back joins the open window 1, counted clock_back");
	flow_table_free(t);

	/* minimum packets */
	t = table(&g, min3);
	for (i = 0; i < 2; i++)
		flow_table_packet(t, &a, t0 + (__u64)i, 100, 0, 0);
	for (i = 0; i < 3; i++)
		flow_table_packet(t, &b, t0 + (__u64)i, 100, 0, 0);
	flow_table_flush(t);
	st = flow_table_stats(t);
	tap_ok(g.n == 1 && !memcmp(&g.w[0].key, &b, sizeof(b)) &&
	       st->windows_short == 1 && st->cnt[FLOWPIC_CNT_WINDOWS] == 1,
	       "min packets 3: the 2-packet window is counted short, not sent");
	flow_table_free(t);

	/* eviction: a third flow evicts the least recently seen */
	t = table(&g, two_flows);
	flow_table_packet(t, &a, t0, 100, 0, 0);
	flow_table_packet(t, &b, t0 + 1, 100, 0, 0);
	flow_table_packet(t, &a, t0 + 2, 100, 0, 0);
	{
		struct flowpic_key c = key(3, 6);

		flow_table_packet(t, &c, t0 + 3, 100, 0, 0);
	}
	st = flow_table_stats(t);
	tap_ok(g.n == 1 && !memcmp(&g.w[0].key, &b, sizeof(b)) &&
	       g.w[0].reason == FLOWPIC_END_EVICT &&
	       st->cnt[FLOWPIC_CNT_FLOWS_EVICTED] == 1 && flow_table_live(t) == 2,
	       "max flows 2: the third flow evicts the least recent");
	flow_table_free(t);

	/* the single-flow API used for sessions */
	t = table(&g, NULL);
	memset(&a, 0, sizeof(a));
	flow_init(&f, &a);
	flow_packet(t, &f, 0, 100, 0, 0);
	flow_packet(t, &f, 20 * S, 100, 1, 0);
	flow_end(t, &f, FLOWPIC_END_TIME);
	flow_free(&f);
	tap_ok(g.n == 2 && g.w[0].index == 0 && g.w[1].index == 1 &&
	       g.w[1].packets[1] == 1, "a standalone flow (a session) tiles the same way");
	flow_table_free(t);

	/* many flows, random order: every packet lands in exactly one window */
	{
		struct flowpic_geom geom;
		struct flow_config c;
		uint64_t rng = 88172645463325252ULL, sent = 0, seen = 0;

		geometry_default(&geom, 8);
		flow_config_default(&c, &geom);
		c.max_flows = 5000;
		memset(&g, 0, sizeof(g));
		t = flow_table_new(&c, NULL, NULL);
		for (i = 0; i < 400000; i++) {
			struct flowpic_key k;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			k = key((int)(rng % 20000), rng & 0x100 ? 6 : 17);
			flow_table_packet(t, &k, t0 + (__u64)i * 1000000,
					  100, (__u8)(rng >> 9 & 1),
					  (rng >> 20) % 50 == 0 ? 0x04 : 0);
			sent++;
		}
		flow_table_flush(t);
		st = flow_table_stats(t);
		seen = st->cnt[FLOWPIC_CNT_BINNED];
		ok = seen == sent && flow_table_live(t) == 0 &&
		     st->cnt[FLOWPIC_CNT_FLOWS_EVICTED] > 0 &&
		     st->flows_ended[FLOWPIC_END_RST] > 0;
		tap_ok(ok, "400000 packets over 20000 keys, evictions and RSTs: all %llu binned (%llu)",
		       (unsigned long long)sent, (unsigned long long)seen);
		flow_table_free(t);
	}
	return tap_done();
}
