// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for flowpic.ko's packet path: the sparse FlowPic and its
 * bound, the flow table (window rollover, FIN/RST, idle expiry, eviction,
 * labels and policy), the parser and hook fed with constructed skbs, and
 * two network namespaces' states side by side, and the validation of
 * SET_LABEL and SET_POLICY attributes. Each test builds its own state,
 * so the module's own (the initial namespace's) is never touched.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <asm/unaligned.h>

#include "flowpic.h"
#include "budget.h"
#include "config.h"
#include "flow_table.h"
#include "hook.h"
#include "netlink.h"
#include "netns.h"
#include "policy.h"
#include "stats.h"
#include "verdict.h"
#include "window.h"

#define T0	1000000000000ULL	/* an arbitrary CLOCK_MONOTONIC */
#define VERDICTS	64		/* the tables' verdict bound */
#define SEC	1000000000ULL

/* --- the sparse FlowPic --------------------------------------------------- */

static void flowpic_cells_sorted_test(struct kunit *test)
{
	static const u32 idx[] = { 500, 3, 77, 3, 1023, 0, 77, 3 };
	struct flowpic_cells s = {};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(idx); i++)
		KUNIT_ASSERT_EQ(test, flowpic_cells_add(&s, idx[i], 1, 64,
							GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, s.n, 5U);
	flowpic_cells_finish(&s);
	KUNIT_ASSERT_EQ(test, s.n, 5U);
	for (i = 1; i < s.n; i++)
		KUNIT_EXPECT_LT(test, s.cell[i - 1].index, s.cell[i].index);
	KUNIT_EXPECT_EQ(test, s.cell[0].index, 0U);
	KUNIT_EXPECT_EQ(test, s.cell[1].index, 3U);
	KUNIT_EXPECT_EQ(test, s.cell[1].count, 3U);
	KUNIT_EXPECT_EQ(test, s.cell[2].count, 2U);
	flowpic_cells_free(&s);
}

static void flowpic_cells_saturate_test(struct kunit *test)
{
	struct flowpic_cells s = {};
	int i;

	for (i = 0; i < 300; i++)
		KUNIT_ASSERT_EQ(test, flowpic_cells_add(&s, 9, 1, 16, GFP_KERNEL),
				0);
	KUNIT_EXPECT_EQ(test, s.n, 1U);
	flowpic_cells_finish(&s);
	KUNIT_EXPECT_EQ(test, s.cell[0].count, (u32)FLOWPIC_CELL_MAX);
	flowpic_cells_free(&s);
}

static void flowpic_cells_bound_test(struct kunit *test)
{
	struct flowpic_cells s = {};
	u32 i;

	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_EQ(test, flowpic_cells_add(&s, i * 2, 1, 16,
							GFP_KERNEL), 0);
	/* Full: a new cell is refused, an existing one still counts. */
	KUNIT_EXPECT_EQ(test, flowpic_cells_add(&s, 1, 1, 16, GFP_KERNEL),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, flowpic_cells_add(&s, 4, 1, 16, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s.n, 16U);
	KUNIT_EXPECT_LE(test, s.cap, flowpic_cells_cap_max(16));
	flowpic_cells_finish(&s);
	KUNIT_EXPECT_EQ(test, s.cell[2].count, 2U);
	flowpic_cells_free(&s);
}

/*
 * Many cells, in an order that collides and wraps around the hash: every
 * count is right, the finished array sorted, the slots never more than
 * the bound's share, and every byte charged to the budget given back.
 */
static void flowpic_cells_many_test(struct kunit *test)
{
	struct flowpic_cells s = {};
	size_t used0 = flowpic_budget_used();
	u32 i, bound = 5000;

	for (i = 0; i < 3 * bound; i++)
		KUNIT_ASSERT_EQ(test, flowpic_cells_add(&s, (i % bound) * 4099,
							1, bound, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s.n, bound);
	KUNIT_EXPECT_LE(test, s.cap, flowpic_cells_cap_max(bound));
	KUNIT_EXPECT_GE(test, flowpic_budget_used() - used0,
			s.cap * sizeof(struct flowpic_sparse_cell));
	KUNIT_EXPECT_LE(test, flowpic_budget_used() - used0,
			flowpic_cells_bytes_max(bound));
	KUNIT_EXPECT_EQ(test, flowpic_cells_add(&s, 7, 1, bound, GFP_KERNEL),
			-ENOSPC);
	flowpic_cells_finish(&s);
	for (i = 0; i < s.n; i++) {
		KUNIT_EXPECT_EQ(test, s.cell[i].index, i * 4099);
		KUNIT_EXPECT_EQ(test, s.cell[i].count, 3U);
	}
	flowpic_cells_free(&s);
	KUNIT_EXPECT_EQ(test, flowpic_budget_used(), used0);
}

/* Over the memory budget a new cell is refused; the budget comes back. */
static void flowpic_cells_budget_test(struct kunit *test)
{
	struct flowpic_cells s = {};
	size_t limit = flowpic_budget_limit();
	u32 i;
	int err = 0;

	flowpic_budget_init(flowpic_budget_used() +
			    4 * FLOWPIC_CELLS_INITIAL *
			    sizeof(struct flowpic_sparse_cell));
	for (i = 0; i < 4096 && !err; i++)
		err = flowpic_cells_add(&s, i, 1, 4096, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, err, -ENOBUFS);
	KUNIT_EXPECT_LE(test, flowpic_budget_peak(), flowpic_budget_limit());
	/* A cell already there still counts. */
	KUNIT_EXPECT_EQ(test, flowpic_cells_add(&s, 0, 1, 4096, GFP_KERNEL), 0);
	flowpic_cells_free(&s);
	flowpic_budget_init(limit);
}

static struct kunit_case flowpic_cells_cases[] = {
	KUNIT_CASE(flowpic_cells_sorted_test),
	KUNIT_CASE(flowpic_cells_saturate_test),
	KUNIT_CASE(flowpic_cells_bound_test),
	KUNIT_CASE(flowpic_cells_many_test),
	KUNIT_CASE(flowpic_cells_budget_test),
	{}
};

static struct kunit_suite flowpic_cells_suite = {
	.name = "flowpic_cells",
	.test_cases = flowpic_cells_cases,
};

/* --- the flow table ------------------------------------------------------- */

struct table_ctx {
	struct flowpic_state s;
	struct flowpic_config cfg;
	u64 cnt0[__FLOWPIC_CNT_MAX];
	struct list_head seen;		/* windows taken, freed at exit */
	struct sk_buff_head skbs;	/* skbs made, freed at exit */
};

static int table_init(struct kunit *test)
{
	struct table_ctx *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	if (flowpic_state_init(&c->s, VERDICTS, NULL, NULL))
		return -ENOMEM;
	INIT_LIST_HEAD(&c->seen);
	skb_queue_head_init(&c->skbs);
	c->cfg.geom = (struct flowpic_geom){
		.window_ns = FLOWPIC_MINI_WINDOW_NS, .n = FLOWPIC_MINI_N,
		.max_size = FLOWPIC_MAX_PKT_SIZE, .channels = 1,
	};
	c->cfg.max_flows = 1024;
	c->cfg.max_cells = 4096;
	c->cfg.idle_ns = 60 * SEC;
	c->cfg.min_packets = 1;
	flowpic_stats_read(c->s.stats, c->cnt0);
	test->priv = c;
	return 0;
}

static void table_exit(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_done *d, *tmp;
	LIST_HEAD(done);

	flowpic_table_take_done(&c->s.flows, &done);
	list_splice(&c->seen, &done);
	list_for_each_entry_safe(d, tmp, &done, list)
		flowpic_done_free(d);
	skb_queue_purge(&c->skbs);
	rcu_barrier();
	flowpic_state_destroy(&c->s);
}

/* How much counter @i moved since the test began. */
static u64 cnt_delta(struct table_ctx *c, enum flowpic_counter i)
{
	u64 now[__FLOWPIC_CNT_MAX];

	flowpic_stats_read(c->s.stats, now);
	return now[i] - c->cnt0[i];
}

/* A packet of flow 192.0.2.1:@sport -> 198.51.100.1:443 (TCP). */
static void mkpkt(struct flowpic_pkt *p, u16 sport, u32 size, bool reply)
{
	__be32 a = htonl(0xc0000201), b = htonl(0xc6336401);

	memset(p, 0, sizeof(*p));
	flowpic_addr_from_v4(p->key.lo_addr, reply ? b : a);
	flowpic_addr_from_v4(p->key.hi_addr, reply ? a : b);
	p->key.lo_port = reply ? htons(443) : htons(sport);
	p->key.hi_port = reply ? htons(sport) : htons(443);
	p->key.proto = IPPROTO_TCP;
	p->key.family = FLOWPIC_FAMILY_IPV4;
	p->dir = flowpic_key_canon(&p->key);
	p->size = size;
}

/* @p through the packet path after the parser: verdict, histogram. */
static struct flowpic_action feed(struct table_ctx *c,
				  const struct flowpic_pkt *p, u64 now)
{
	struct flowpic_pkt q = *p;
	struct flowpic_action act;

	rcu_read_lock();
	flowpic_state_packet(&c->s, &c->cfg, &q, now, &act);
	rcu_read_unlock();
	return act;
}

/* Takes the closed windows; returns how many, the first in @first. */
static int take(struct kunit *test, struct table_ctx *c,
		struct flowpic_done **first)
{
	struct flowpic_done *d;
	LIST_HEAD(done);
	int n = 0;

	flowpic_table_take_done(&c->s.flows, &done);
	list_for_each_entry(d, &done, list) {
		flowpic_cells_finish(&d->cells);
		n++;
	}
	*first = list_first_entry_or_null(&done, struct flowpic_done, list);
	list_splice_tail(&done, &c->seen);
	return n;
}

/* Open window of the flow of @p, copied under RCU; false if none. */
static bool open_window(struct table_ctx *c, const struct flowpic_pkt *p,
			struct flowpic_window *w, u32 *ncells)
{
	struct flowpic_flow *f;

	rcu_read_lock();
	f = flowpic_table_lookup(&c->s.flows, &p->key);
	if (f) {
		spin_lock_bh(&f->lock);
		*w = f->win;
		*ncells = f->cells.n;
		spin_unlock_bh(&f->lock);
	}
	rcu_read_unlock();
	return f;
}

static void flowpic_rollover_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_pkt p, r;
	struct flowpic_window w;
	struct flowpic_done *d;
	u32 n;

	mkpkt(&p, 40000, 100, false);
	mkpkt(&r, 40000, 1400, true);
	feed(c, &p, T0);
	feed(c, &r, T0 + SEC);
	feed(c, &p, T0 + 14 * SEC);
	KUNIT_EXPECT_EQ(test, take(test, c, &d), 0);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 1U);

	/* 16 s after the first packet: window 0 closes, window 1 opens. */
	feed(c, &p, T0 + 16 * SEC);
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_EXPECT_EQ(test, d->win.index, 0U);
	KUNIT_EXPECT_EQ(test, d->win.reason, FLOWPIC_END_TIME);
	KUNIT_EXPECT_EQ(test, d->win.start_ns, T0);
	KUNIT_EXPECT_EQ(test, d->win.packets[0], 2U);
	KUNIT_EXPECT_EQ(test, d->win.packets[1], 1U);
	KUNIT_EXPECT_EQ(test, d->win.bytes[1], 1400ULL);
	/* 100 B at 0 s and 14 s, 1400 B at 1 s: three cells, 32x32. */
	KUNIT_EXPECT_EQ(test, d->win.cells, 3U);
	KUNIT_EXPECT_EQ(test, d->cells.n, 3U);
	KUNIT_EXPECT_EQ(test, d->cells.cell[0].index, 2U * 32 + 0);
	KUNIT_EXPECT_EQ(test, d->cells.cell[1].index, 2U * 32 + 29);
	KUNIT_EXPECT_EQ(test, d->cells.cell[2].index, 29U * 32 + 2);

	KUNIT_ASSERT_TRUE(test, open_window(c, &p, &w, &n));
	KUNIT_EXPECT_EQ(test, w.index, 1U);
	KUNIT_EXPECT_EQ(test, w.start_ns, T0 + 15 * SEC);
	KUNIT_EXPECT_EQ(test, w.packets[0], 1U);
	KUNIT_EXPECT_EQ(test, n, 1U);

	/* Silence across window 2: the next packet opens window 3. */
	feed(c, &p, T0 + 46 * SEC);
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_EXPECT_EQ(test, d->win.index, 1U);
	KUNIT_ASSERT_TRUE(test, open_window(c, &p, &w, &n));
	KUNIT_EXPECT_EQ(test, w.index, 3U);
	KUNIT_EXPECT_EQ(test, w.start_ns, T0 + 45 * SEC);
}

static void flowpic_geometry_change_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_pkt p;
	struct flowpic_window w;
	struct flowpic_done *d;
	u32 n;

	mkpkt(&p, 40001, 100, false);
	feed(c, &p, T0);
	/* The open window keeps its geometry; the next one takes the new. */
	c->cfg.geom.n = 64;
	c->cfg.geom.window_ns = 10 * SEC;
	feed(c, &p, T0 + 5 * SEC);
	KUNIT_ASSERT_TRUE(test, open_window(c, &p, &w, &n));
	KUNIT_EXPECT_EQ(test, w.n, 32);
	feed(c, &p, T0 + 20 * SEC);
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_EXPECT_EQ(test, d->win.n, 32);
	KUNIT_EXPECT_EQ(test, d->win.packets[0], 2U);
	/* 10 s windows tile on from the end of the 15 s one (T0 + 15 s). */
	KUNIT_ASSERT_TRUE(test, open_window(c, &p, &w, &n));
	KUNIT_EXPECT_EQ(test, w.n, 64);
	KUNIT_EXPECT_EQ(test, w.index, 1U);
	KUNIT_EXPECT_EQ(test, w.start_ns, T0 + 15 * SEC);
	feed(c, &p, T0 + 26 * SEC);
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_ASSERT_TRUE(test, open_window(c, &p, &w, &n));
	KUNIT_EXPECT_EQ(test, w.index, 2U);
	KUNIT_EXPECT_EQ(test, w.start_ns, T0 + 25 * SEC);
}

/* A flow ends on RST, or once both sides sent a FIN: not on one FIN. */
static void flowpic_fin_rst_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_pkt p, r;
	struct flowpic_done *d;
	struct flowpic_window w;
	u32 n;

	mkpkt(&p, 40002, 60, false);
	mkpkt(&r, 40002, 60, true);
	feed(c, &p, T0);
	p.fin = 1;
	feed(c, &p, T0 + SEC);
	feed(c, &p, T0 + SEC + 1);	/* a FIN sent again: still half */
	KUNIT_EXPECT_EQ(test, take(test, c, &d), 0);
	KUNIT_EXPECT_TRUE(test, open_window(c, &p, &w, &n));
	r.fin = 1;
	feed(c, &r, T0 + 2 * SEC);
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_EXPECT_EQ(test, d->win.reason, FLOWPIC_END_FIN);
	KUNIT_EXPECT_EQ(test, d->win.packets[0], 3U);
	KUNIT_EXPECT_EQ(test, d->win.packets[1], 1U);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 0U);
	KUNIT_EXPECT_FALSE(test, open_window(c, &p, &w, &n));

	p.fin = 0;
	p.rst = 1;
	feed(c, &p, T0 + 3 * SEC);
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_EXPECT_EQ(test, d->win.reason, FLOWPIC_END_RST);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 0U);
}

static void flowpic_min_packets_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_pkt p;
	struct flowpic_done *d;

	c->cfg.min_packets = 3;
	mkpkt(&p, 40003, 60, false);
	feed(c, &p, T0);
	feed(c, &p, T0 + SEC);
	feed(c, &p, T0 + 16 * SEC);	/* window 0 had 2: not announced */
	KUNIT_EXPECT_EQ(test, take(test, c, &d), 0);
	feed(c, &p, T0 + 17 * SEC);
	feed(c, &p, T0 + 18 * SEC);
	feed(c, &p, T0 + 31 * SEC);	/* window 1 had 3 */
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_EXPECT_EQ(test, d->win.index, 1U);
}

static void flowpic_sparse_bound_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_pkt p;
	struct flowpic_done *d;
	int i;

	c->cfg.max_cells = 16;
	c->cfg.geom.n = 1500;
	/* 20 sizes, 20 rows of a 1500x1500 picture: 4 over the bound. */
	for (i = 0; i < 20; i++) {
		mkpkt(&p, 40004, 100 + i, false);
		feed(c, &p, T0 + i);
	}
	p.rst = 1;
	feed(c, &p, T0 + 20);		/* row 119: over the bound again */
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_EXPECT_EQ(test, d->win.cells, 16U);
	KUNIT_EXPECT_EQ(test, d->win.packets[0], 21U);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_CELLS_DROPPED), 5ULL);
}

static void flowpic_eviction_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_pkt p[5];
	struct flowpic_window w;
	struct flowpic_done *d;
	u32 n;
	int i;

	c->cfg.max_flows = 4;
	for (i = 0; i < 4; i++) {
		mkpkt(&p[i], 41000 + i, 60, false);
		feed(c, &p[i], T0 + i * SEC);
	}
	feed(c, &p[0], T0 + 10 * SEC);	/* flow 1 is now the least recent */
	mkpkt(&p[4], 41004, 60, false);
	feed(c, &p[4], T0 + 11 * SEC);

	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 4U);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_FLOWS_EVICTED), 1ULL);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_FLOWS_NEW), 5ULL);
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_EXPECT_EQ(test, d->win.reason, FLOWPIC_END_EVICT);
	KUNIT_EXPECT_EQ(test, memcmp(&d->win.key, &p[1].key, sizeof(p[1].key)),
			0);
	KUNIT_EXPECT_FALSE(test, open_window(c, &p[1], &w, &n));
	KUNIT_EXPECT_TRUE(test, open_window(c, &p[0], &w, &n));
	KUNIT_EXPECT_TRUE(test, open_window(c, &p[4], &w, &n));

	/* A lowered bound: the sweep evicts down to it. */
	c->cfg.max_flows = 2;
	flowpic_table_sweep(&c->s.flows, &c->cfg, T0 + 12 * SEC);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 2U);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_FLOWS_EVICTED), 3ULL);
}

static void flowpic_idle_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_pkt a, b;
	struct flowpic_done *d;

	c->cfg.idle_ns = 5 * SEC;
	mkpkt(&a, 42000, 60, false);
	mkpkt(&b, 42001, 60, false);
	feed(c, &a, T0);
	feed(c, &b, T0 + 3 * SEC);
	flowpic_table_sweep(&c->s.flows, &c->cfg, T0 + 6 * SEC);
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_EXPECT_EQ(test, d->win.reason, FLOWPIC_END_IDLE);
	KUNIT_EXPECT_EQ(test, memcmp(&d->win.key, &a.key, sizeof(a.key)), 0);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 1U);
	flowpic_table_sweep(&c->s.flows, &c->cfg, T0 + 9 * SEC);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 0U);
}

static void flowpic_label_policy_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_label l = { .class_id = 3, .confidence = 9000 };
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	struct flowpic_action mark = { .type = FLOWPIC_ACT_MARK, .value = 7 };
	struct flowpic_action pass = { .type = FLOWPIC_ACT_PASS };
	struct flowpic_pkt p, q;
	struct flowpic_action act;
	struct flowpic_label got;
	u64 binned;

	mkpkt(&p, 43000, 60, false);
	mkpkt(&q, 43001, 60, false);
	KUNIT_EXPECT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l, NULL),
			-ENOENT);
	act = feed(c, &p, T0);
	KUNIT_EXPECT_EQ(test, act.type, (u32)FLOWPIC_ACT_PASS);

	flowpic_policy_set(&c->s.policy, 3, &drop);
	KUNIT_EXPECT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l, NULL),
			0);
	act = feed(c, &p, T0 + 1);
	KUNIT_EXPECT_EQ(test, act.type, (u32)FLOWPIC_ACT_DROP);
	/* Unlabelled flows pass whatever the policy says. */
	act = feed(c, &q, T0 + 2);
	KUNIT_EXPECT_EQ(test, act.type, (u32)FLOWPIC_ACT_PASS);

	/* The flow's own action wins over its class's. */
	flowpic_state_set_label(&c->s, &p.key, &l, &mark);
	act = feed(c, &p, T0 + 3);
	KUNIT_EXPECT_EQ(test, act.type, (u32)FLOWPIC_ACT_MARK);
	KUNIT_EXPECT_EQ(test, act.value, 7U);

	/* What POST_ROUTING applies again: the same, no packet counted. */
	binned = cnt_delta(c, FLOWPIC_CNT_BINNED);
	rcu_read_lock();
	KUNIT_EXPECT_TRUE(test, flowpic_verdict_peek(&c->s.verdicts, &p.key,
						     &got, &act));
	KUNIT_EXPECT_EQ(test, act.type, (u32)FLOWPIC_ACT_MARK);
	KUNIT_EXPECT_EQ(test, act.value, 7U);
	KUNIT_EXPECT_EQ(test, got.class_id, 3);
	mkpkt(&q, 43002, 60, false);
	KUNIT_EXPECT_FALSE(test, flowpic_verdict_peek(&c->s.verdicts, &q.key,
						      &got, &act));
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_BINNED), binned);
	flowpic_policy_set(&c->s.policy, 3, &pass);
}

/*
 * Eviction keeps what is worth keeping: of unlabelled flows, one of few
 * packets goes before one of many, whatever their age; a labelled flow
 * goes last even when it is the least recently seen.
 */
static void flowpic_eviction_worth_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_label l = { .class_id = 2, .confidence = 9000 };
	struct flowpic_window w;
	struct flowpic_pkt p[6];
	u32 n;
	int i;

	c->cfg.max_flows = 4;
	for (i = 0; i < 6; i++)
		mkpkt(&p[i], 44000 + i, 60, false);
	feed(c, &p[0], T0);			/* labelled, oldest */
	KUNIT_ASSERT_EQ(test, flowpic_state_set_label(&c->s, &p[0].key, &l,
						      NULL), 0);
	for (i = 0; i < FLOWPIC_EVICT_FEW; i++)	/* many packets, old */
		feed(c, &p[1], T0 + SEC + i);
	feed(c, &p[2], T0 + 2 * SEC);		/* few packets */
	feed(c, &p[3], T0 + 3 * SEC);		/* few packets, newest */

	feed(c, &p[4], T0 + 4 * SEC);
	KUNIT_EXPECT_FALSE(test, open_window(c, &p[2], &w, &n));
	KUNIT_EXPECT_TRUE(test, open_window(c, &p[0], &w, &n));
	KUNIT_EXPECT_TRUE(test, open_window(c, &p[1], &w, &n));
	KUNIT_EXPECT_TRUE(test, open_window(c, &p[3], &w, &n));

	/* Few-packet flows go first: p[3], then p[4], then p[1]. */
	feed(c, &p[5], T0 + 5 * SEC);
	KUNIT_EXPECT_FALSE(test, open_window(c, &p[3], &w, &n));
	KUNIT_EXPECT_TRUE(test, open_window(c, &p[0], &w, &n));
	KUNIT_EXPECT_TRUE(test, open_window(c, &p[1], &w, &n));
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 4U);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_FLOWS_EVICTED), 2ULL);
}

/*
 * A flood of new tuples, ten times the table, through a table holding a
 * few labelled flows: they keep their label and window.
 */
static void flowpic_eviction_flood_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_label l = { .class_id = 5, .confidence = 9000 };
	struct flowpic_window w;
	struct flowpic_pkt p;
	u32 i, n, kept = 0;

	c->cfg.max_flows = 256;
	for (i = 0; i < 8; i++) {
		mkpkt(&p, 1000 + i, 60, false);
		feed(c, &p, T0);
		l.window = i;
		KUNIT_ASSERT_EQ(test, flowpic_state_set_label(&c->s, &p.key,
							      &l, NULL), 0);
	}
	for (i = 0; i < 2560; i++) {
		mkpkt(&p, 20000 + i, 60, false);
		feed(c, &p, T0 + SEC + i);
	}
	for (i = 0; i < 8; i++) {
		mkpkt(&p, 1000 + i, 60, false);
		kept += open_window(c, &p, &w, &n) && w.packets[0] == 1;
	}
	KUNIT_EXPECT_EQ(test, kept, 8U);
	KUNIT_EXPECT_LE(test, flowpic_table_count(&c->s.flows), 256U);
	KUNIT_EXPECT_GE(test, cnt_delta(c, FLOWPIC_CNT_FLOWS_EVICTED),
			2560ULL - 256);
}

static bool nobody_listens(struct flowpic_table *t)
{
	return false;
}

static void flowpic_no_listener_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_pkt p;
	struct flowpic_done *d;

	c->s.flows.listening = nobody_listens;
	mkpkt(&p, 44000, 60, false);
	feed(c, &p, T0);
	feed(c, &p, T0 + 16 * SEC);
	p.rst = 1;
	feed(c, &p, T0 + 17 * SEC);
	/* Two windows ended, neither copied, both counted lost. */
	KUNIT_EXPECT_EQ(test, take(test, c, &d), 0);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_WINDOWS_LOST), 2ULL);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 0U);

	/* A window nobody took leaves nothing behind in the next one. */
	p.rst = 0;
	feed(c, &p, T0 + 30 * SEC);
	feed(c, &p, T0 + 45 * SEC);	/* window 1, the same cell */
	c->s.flows.listening = NULL;
	feed(c, &p, T0 + 60 * SEC);
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_EXPECT_EQ(test, d->cells.n, 1U);
	KUNIT_EXPECT_EQ(test, d->cells.cell[0].count, 1U);
}

static void flowpic_done_bound_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_pkt p;
	struct flowpic_done *d;
	int i;

	/* More closed windows than the queue holds: the rest is lost. */
	for (i = 0; i < FLOWPIC_DONE_MAX + 3; i++) {
		mkpkt(&p, 1024 + i, 60, false);
		p.rst = 1;
		feed(c, &p, T0 + i);
	}
	KUNIT_EXPECT_EQ(test, take(test, c, &d), FLOWPIC_DONE_MAX);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_WINDOWS_LOST), 3ULL);
}

/* --- verdicts, apart from histograms -------------------------------------- */

/*
 * Nothing on the data path ends a verdict: not a RST, not FINs from both
 * sides, not the idle sweep, not the eviction of the flow's histogram by
 * a flood of new flows ten times the table.
 */
static void flowpic_verdict_outlives_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_label l = { .class_id = 6, .confidence = 9000 };
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	struct flowpic_action pass = { .type = FLOWPIC_ACT_PASS };
	struct flowpic_verdict_stats vs;
	struct flowpic_pkt p, r, q;
	struct flowpic_window w;
	u32 i, n;

	flowpic_policy_set(&c->s.policy, 6, &drop);
	mkpkt(&p, 45000, 60, false);
	mkpkt(&r, 45000, 60, true);
	feed(c, &p, T0);
	KUNIT_ASSERT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l, NULL),
			0);

	r.rst = 1;
	KUNIT_EXPECT_EQ(test, feed(c, &r, T0 + 1).type, (u32)FLOWPIC_ACT_DROP);
	KUNIT_EXPECT_FALSE(test, open_window(c, &p, &w, &n));
	KUNIT_EXPECT_EQ(test, feed(c, &p, T0 + 2).type, (u32)FLOWPIC_ACT_DROP);

	p.fin = 1;
	r.rst = 0;
	r.fin = 1;
	feed(c, &p, T0 + 3);
	KUNIT_EXPECT_EQ(test, feed(c, &r, T0 + 4).type, (u32)FLOWPIC_ACT_DROP);
	KUNIT_EXPECT_FALSE(test, open_window(c, &p, &w, &n));
	p.fin = 0;
	KUNIT_EXPECT_EQ(test, feed(c, &p, T0 + 5).type, (u32)FLOWPIC_ACT_DROP);

	flowpic_table_sweep(&c->s.flows, &c->cfg, T0 + 100 * SEC);
	KUNIT_EXPECT_FALSE(test, open_window(c, &p, &w, &n));
	KUNIT_EXPECT_EQ(test, feed(c, &p, T0 + 101 * SEC).type,
			(u32)FLOWPIC_ACT_DROP);

	c->cfg.max_flows = 16;
	for (i = 0; i < 160; i++) {
		mkpkt(&q, 2000 + i, 60, false);
		feed(c, &q, T0 + 102 * SEC + i);
	}
	KUNIT_EXPECT_GE(test, cnt_delta(c, FLOWPIC_CNT_FLOWS_EVICTED), 144ULL);
	KUNIT_EXPECT_EQ(test, feed(c, &r, T0 + 103 * SEC).type,
			(u32)FLOWPIC_ACT_DROP);

	flowpic_verdicts_stats(&c->s.verdicts, &vs);
	KUNIT_EXPECT_EQ(test, vs.added, 1ULL);
	KUNIT_EXPECT_EQ(test, vs.present, 1ULL);
	KUNIT_EXPECT_EQ(test, vs.removed + vs.evicted, 0ULL);
	flowpic_policy_set(&c->s.policy, 6, &pass);
}

/*
 * The verdict table's own bound: the least recently used verdict goes
 * for a new one, counted; replacing and removing are userspace's, also
 * counted.
 */
static void flowpic_verdict_lru_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_label l = { .class_id = 1 }, got;
	struct flowpic_verdict_stats vs;
	struct flowpic_action act;
	struct flowpic_pkt p;
	u32 i;

	for (i = 0; i < VERDICTS; i++) {
		mkpkt(&p, 3000 + i, 60, false);
		feed(c, &p, T0 + i);
		KUNIT_ASSERT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l,
							      NULL), 0);
	}
	/* A packet of the oldest verdict's flow, a jiffy on: now the newest. */
	msleep(2 * jiffies_to_msecs(1));
	mkpkt(&p, 3000, 60, false);
	feed(c, &p, T0 + SEC);

	mkpkt(&p, 3000 + VERDICTS, 60, false);
	feed(c, &p, T0 + 2 * SEC);
	KUNIT_ASSERT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l, NULL),
			0);
	rcu_read_lock();
	mkpkt(&p, 3000, 60, false);
	KUNIT_EXPECT_TRUE(test, flowpic_verdict_peek(&c->s.verdicts, &p.key,
						     &got, &act));
	mkpkt(&p, 3001, 60, false);
	KUNIT_EXPECT_FALSE(test, flowpic_verdict_peek(&c->s.verdicts, &p.key,
						      &got, &act));
	rcu_read_unlock();
	flowpic_verdicts_stats(&c->s.verdicts, &vs);
	KUNIT_EXPECT_EQ(test, vs.added, (u64)VERDICTS + 1);
	KUNIT_EXPECT_EQ(test, vs.evicted, 1ULL);
	KUNIT_EXPECT_EQ(test, vs.present, (u64)VERDICTS);

	/* The evicted flow still has its histogram: it can be labelled. */
	l.class_id = 2;
	mkpkt(&p, 3002, 60, false);
	KUNIT_EXPECT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l, NULL),
			0);
	KUNIT_EXPECT_EQ(test, flowpic_state_clear_label(&c->s, &p.key), 0);
	KUNIT_EXPECT_EQ(test, flowpic_state_clear_label(&c->s, &p.key),
			-ENOENT);
	flowpic_verdicts_stats(&c->s.verdicts, &vs);
	KUNIT_EXPECT_EQ(test, vs.replaced, 1ULL);
	KUNIT_EXPECT_EQ(test, vs.removed, 1ULL);
	KUNIT_EXPECT_EQ(test, vs.present, (u64)VERDICTS - 1);
	/* A flow never seen has nothing to label. */
	mkpkt(&p, 9, 60, false);
	KUNIT_EXPECT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l, NULL),
			-ENOENT);
}

/*
 * Enforcement needs no histogram slot: with the flow table full of
 * labelled flows, and with no memory left for a new flow, every labelled
 * flow is still dropped, and the packets left out are counted.
 */
static void flowpic_verdict_no_slot_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_label l = { .class_id = 7 };
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	struct flowpic_action pass = { .type = FLOWPIC_ACT_PASS };
	size_t limit = flowpic_budget_limit();
	struct flowpic_pkt p;
	u32 i, dropped = 0, untracked = 0;

	flowpic_policy_set(&c->s.policy, 7, &drop);
	c->cfg.max_flows = 4;
	for (i = 0; i < 12; i++) {
		mkpkt(&p, 4000 + i, 60, false);
		feed(c, &p, T0 + i);
		KUNIT_ASSERT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l,
							      NULL), 0);
	}
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 4U);
	for (i = 0; i < 12; i++) {
		mkpkt(&p, 4000 + i, 60, i & 1);
		dropped += feed(c, &p, T0 + SEC + i).type == FLOWPIC_ACT_DROP;
	}
	KUNIT_EXPECT_EQ(test, dropped, 12U);

	/* No memory for a flow: the flows left out are counted, enforced. */
	flowpic_budget_init(0);
	dropped = 0;
	for (i = 0; i < 12; i++) {
		mkpkt(&p, 4000 + i, 60, false);
		rcu_read_lock();
		untracked += !flowpic_table_lookup(&c->s.flows, &p.key);
		rcu_read_unlock();
		dropped += feed(c, &p, T0 + 2 * SEC + i).type ==
			   FLOWPIC_ACT_DROP;
	}
	flowpic_budget_init(limit);
	KUNIT_EXPECT_EQ(test, dropped, 12U);
	KUNIT_EXPECT_GE(test, untracked, 8U);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_UNTRACKED), (u64)untracked);
	flowpic_policy_set(&c->s.policy, 7, &pass);
}

/*
 * Verdicts are charged to the memory budget while they are in their
 * table: a new one the budget has no room for is refused (-ENOSPC),
 * counted, and no verdict is dropped for it; replacing a verdict costs
 * nothing more; removing one gives its charge back, and so does the
 * table's end.
 */
static void flowpic_verdict_budget_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_label l = { .class_id = 1 }, got;
	size_t limit = flowpic_budget_limit();
	size_t vb = flowpic_verdict_bytes(), used0;
	struct flowpic_verdict_stats vs;
	struct flowpic_action act;
	struct flowpic_pkt p;
	u32 i;

	/* The flows first: below, only verdicts move the budget. */
	for (i = 0; i < 4; i++) {
		mkpkt(&p, 5000 + i, 60, false);
		feed(c, &p, T0 + i);
	}
	used0 = flowpic_budget_used();
	flowpic_budget_init(used0 + 3 * vb);
	for (i = 0; i < 3; i++) {
		mkpkt(&p, 5000 + i, 60, false);
		KUNIT_EXPECT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l,
							      NULL), 0);
		KUNIT_EXPECT_EQ(test, flowpic_budget_used(),
				used0 + (i + 1) * vb);
	}
	mkpkt(&p, 5003, 60, false);
	KUNIT_EXPECT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l, NULL),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, flowpic_budget_used(), used0 + 3 * vb);
	rcu_read_lock();
	KUNIT_EXPECT_FALSE(test, flowpic_verdict_peek(&c->s.verdicts, &p.key,
						      &got, &act));
	for (i = 0; i < 3; i++) {
		mkpkt(&p, 5000 + i, 60, false);
		KUNIT_EXPECT_TRUE(test, flowpic_verdict_peek(&c->s.verdicts,
							     &p.key, &got,
							     &act));
	}
	rcu_read_unlock();
	flowpic_verdicts_stats(&c->s.verdicts, &vs);
	KUNIT_EXPECT_EQ(test, vs.added, 3ULL);
	KUNIT_EXPECT_EQ(test, vs.refused, 1ULL);
	KUNIT_EXPECT_EQ(test, vs.present, 3ULL);
	KUNIT_EXPECT_EQ(test, vs.evicted + vs.removed, 0ULL);

	/* A new label for a labelled flow fits a spent budget. */
	l.class_id = 2;
	mkpkt(&p, 5000, 60, false);
	KUNIT_EXPECT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l, NULL),
			0);
	KUNIT_EXPECT_EQ(test, flowpic_budget_used(), used0 + 3 * vb);

	/* A verdict removed makes room for another. */
	mkpkt(&p, 5001, 60, false);
	KUNIT_EXPECT_EQ(test, flowpic_state_clear_label(&c->s, &p.key), 0);
	KUNIT_EXPECT_EQ(test, flowpic_budget_used(), used0 + 2 * vb);
	mkpkt(&p, 5003, 60, false);
	KUNIT_EXPECT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l, NULL),
			0);
	KUNIT_EXPECT_EQ(test, flowpic_budget_used(), used0 + 3 * vb);
	flowpic_verdicts_stats(&c->s.verdicts, &vs);
	KUNIT_EXPECT_EQ(test, vs.replaced, 1ULL);
	KUNIT_EXPECT_EQ(test, vs.removed, 1ULL);
	KUNIT_EXPECT_EQ(test, vs.refused, 1ULL);
	KUNIT_EXPECT_EQ(test, vs.present, 3ULL);
	for (i = 0; i < 4; i++) {
		mkpkt(&p, 5000 + i, 60, false);
		flowpic_state_clear_label(&c->s, &p.key);
	}
	KUNIT_EXPECT_EQ(test, flowpic_budget_used(), used0);
	flowpic_budget_init(limit);
}

/*
 * A full verdict table's least recently used verdict hands its charge to
 * the new one, even with the budget spent; the table's end gives every
 * charge back.
 */
static void flowpic_verdict_budget_lru_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_label l = { .class_id = 1 };
	size_t limit = flowpic_budget_limit();
	size_t vb = flowpic_verdict_bytes(), used0;
	struct flowpic_verdict_stats vs;
	struct flowpic_verdicts v;
	struct flowpic_pkt p;
	u32 i;

	used0 = flowpic_budget_used();
	KUNIT_ASSERT_EQ(test, flowpic_verdicts_init(&v, 2, &c->s.policy), 0);
	for (i = 0; i < 2; i++) {
		mkpkt(&p, 6000 + i, 60, false);
		KUNIT_EXPECT_EQ(test, flowpic_verdict_set(&v, &p.key, &l, NULL),
				0);
	}
	KUNIT_EXPECT_EQ(test, flowpic_budget_used(), used0 + 2 * vb);
	flowpic_budget_init(used0 + 2 * vb);
	for (i = 2; i < 6; i++) {
		mkpkt(&p, 6000 + i, 60, false);
		KUNIT_EXPECT_EQ(test, flowpic_verdict_set(&v, &p.key, &l, NULL),
				0);
	}
	KUNIT_EXPECT_EQ(test, flowpic_budget_used(), used0 + 2 * vb);
	flowpic_verdicts_stats(&v, &vs);
	KUNIT_EXPECT_EQ(test, vs.evicted, 4ULL);
	KUNIT_EXPECT_EQ(test, vs.refused, 0ULL);
	KUNIT_EXPECT_EQ(test, vs.present, 2ULL);
	flowpic_budget_init(limit);
	rcu_barrier();
	flowpic_verdicts_destroy(&v);
	KUNIT_EXPECT_EQ(test, flowpic_budget_used(), used0);
}

/*
 * A namespace's worst case counts a full verdict table: a config whose
 * flows and cells alone fill the budget is refused, naming max_flows or
 * max_cells; with room for max_verdicts verdicts beside them it is taken.
 */
static void flowpic_verdict_budget_config_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	size_t limit = flowpic_budget_limit();
	u64 cells = min_t(u64, c->cfg.max_cells,
			  (u64)c->cfg.geom.n * c->cfg.geom.n);
	u64 flows = (u64)c->cfg.max_flows * (flowpic_flow_bytes() +
					     flowpic_cells_bytes_max(cells));
	u32 bound = flowpic_config_flows_limit();
	int attr;

	KUNIT_ASSERT_GT(test, flowpic_config_verdicts_bytes(), 0ULL);
	flowpic_budget_init(flows);
	KUNIT_EXPECT_NOT_NULL(test, flowpic_config_invalid(&c->cfg, bound,
							   &attr));
	flowpic_budget_init(flows + flowpic_config_verdicts_bytes());
	KUNIT_EXPECT_NULL(test, flowpic_config_invalid(&c->cfg, bound, &attr));
	flowpic_budget_init(limit);
}

/* --- pictures true to the wire ------------------------------------------- */

/*
 * A GSO packet of 10 segments (IPv4 + TCP, 52 bytes of headers, 1448 of
 * payload each, the last 1000): ten packets, nine in the 1500 row and one
 * in the 1052 row, the wire's bytes, nothing clipped.
 */
static void flowpic_gso_segments_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_pkt p;
	struct flowpic_done *d;

	mkpkt(&p, 46000, 52 + 9 * 1448 + 1000, false);
	p.hdr = 52;
	p.gso = 1448;
	feed(c, &p, T0);
	p.rst = 1;
	p.gso = 0;
	p.size = 52;
	feed(c, &p, T0 + 1);
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_EXPECT_EQ(test, d->win.packets[0], 11U);
	KUNIT_EXPECT_EQ(test, d->win.bytes[0], 10ULL * 52 + 9 * 1448 + 1000 + 52);
	KUNIT_ASSERT_EQ(test, d->cells.n, 3U);
	/* Rows: 52 B -> 1, 1052 B -> 22, 1500 B -> 31; column 0. */
	KUNIT_EXPECT_EQ(test, d->cells.cell[0].index, 1U * 32);
	KUNIT_EXPECT_EQ(test, d->cells.cell[1].index, 22U * 32);
	KUNIT_EXPECT_EQ(test, d->cells.cell[1].count, 1U);
	KUNIT_EXPECT_EQ(test, d->cells.cell[2].index, 31U * 32);
	KUNIT_EXPECT_EQ(test, d->cells.cell[2].count, 9U);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_SEGMENTS), 10ULL);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_BINNED), 11ULL);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_CLIPPED), 0ULL);
}

/*
 * Two channels by role: channel 0 is the initiator's (the first packet's
 * sender), whichever end sorts lower in the key.
 */
static void flowpic_channels_by_role_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_pkt p, r;
	struct flowpic_done *d;

	c->cfg.geom.channels = 2;
	/* 198.51.100.1:443 sorts above 192.0.2.1: the initiator is "hi". */
	mkpkt(&r, 47000, 100, true);
	mkpkt(&p, 47000, 1400, false);
	KUNIT_ASSERT_EQ(test, r.dir, FLOWPIC_DIR_HI_TO_LO);
	feed(c, &r, T0);
	feed(c, &p, T0 + 1);
	r.rst = 1;
	feed(c, &r, T0 + 2);
	KUNIT_ASSERT_EQ(test, take(test, c, &d), 1);
	KUNIT_ASSERT_EQ(test, d->cells.n, 2U);
	/* 100 B (row 2) from the initiator in channel 0, 1400 B (29) in 1. */
	KUNIT_EXPECT_EQ(test, d->cells.cell[0].index, 2U * 32);
	KUNIT_EXPECT_EQ(test, d->cells.cell[0].count, 2U);
	KUNIT_EXPECT_EQ(test, d->cells.cell[1].index, (32U + 29) * 32);
	/* Packet and byte totals stay by key direction. */
	KUNIT_EXPECT_EQ(test, d->win.packets[FLOWPIC_DIR_HI_TO_LO], 2U);
	KUNIT_EXPECT_EQ(test, d->win.packets[FLOWPIC_DIR_LO_TO_HI], 1U);
}

static struct kunit_case flowpic_table_cases[] = {
	KUNIT_CASE(flowpic_no_listener_test),
	KUNIT_CASE(flowpic_done_bound_test),
	KUNIT_CASE(flowpic_rollover_test),
	KUNIT_CASE(flowpic_geometry_change_test),
	KUNIT_CASE(flowpic_fin_rst_test),
	KUNIT_CASE(flowpic_min_packets_test),
	KUNIT_CASE(flowpic_sparse_bound_test),
	KUNIT_CASE(flowpic_eviction_test),
	KUNIT_CASE(flowpic_eviction_worth_test),
	KUNIT_CASE(flowpic_eviction_flood_test),
	KUNIT_CASE(flowpic_idle_test),
	KUNIT_CASE(flowpic_label_policy_test),
	KUNIT_CASE(flowpic_verdict_outlives_test),
	KUNIT_CASE(flowpic_verdict_lru_test),
	KUNIT_CASE(flowpic_verdict_no_slot_test),
	KUNIT_CASE(flowpic_verdict_budget_test),
	KUNIT_CASE(flowpic_verdict_budget_lru_test),
	KUNIT_CASE(flowpic_verdict_budget_config_test),
	KUNIT_CASE(flowpic_gso_segments_test),
	KUNIT_CASE(flowpic_channels_by_role_test),
	{}
};

static struct kunit_suite flowpic_table_suite = {
	.name = "flowpic_flow_table",
	.init = table_init,
	.exit = table_exit,
	.test_cases = flowpic_table_cases,
};

/* --- the parser and the hook, on constructed skbs ------------------------- */

/* An skb holding @len bytes of @hdr at its network header. */
static struct sk_buff *mkskb(struct kunit *test, const void *hdr, u32 len)
{
	struct sk_buff *skb = alloc_skb(len + 64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 32);
	skb_reset_network_header(skb);
	skb_put_data(skb, hdr, len);
	skb_queue_tail(&((struct table_ctx *)test->priv)->skbs, skb);
	return skb;
}

struct v4_tcp {
	struct iphdr ip;
	struct tcphdr tcp;
	u8 payload[52];
} __packed;

static void v4_tcp_fill(struct v4_tcp *h, __be32 s, __be32 d, u16 sp, u16 dp)
{
	memset(h, 0, sizeof(*h));
	h->ip.version = 4;
	h->ip.ihl = 5;
	h->ip.tot_len = htons(sizeof(*h));
	h->ip.ttl = 64;
	h->ip.protocol = IPPROTO_TCP;
	h->ip.saddr = s;
	h->ip.daddr = d;
	h->tcp.source = htons(sp);
	h->tcp.dest = htons(dp);
	h->tcp.doff = 5;
	h->tcp.ack = 1;
}

static void flowpic_parse_v4_test(struct kunit *test)
{
	__be32 a = htonl(0xc6336407), b = htonl(0xc0000201);
	struct flowpic_pkt p;
	struct v4_tcp h;
	u8 lo[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 };

	/* 198.51.100.7:443 -> 192.0.2.1:40000: the reply direction. */
	v4_tcp_fill(&h, a, b, 443, 40000);
	h.tcp.fin = 1;
	KUNIT_ASSERT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_FLOW);
	KUNIT_EXPECT_EQ(test, p.size, (u32)sizeof(h));
	KUNIT_EXPECT_EQ(test, p.dir, FLOWPIC_DIR_HI_TO_LO);
	KUNIT_EXPECT_EQ(test, memcmp(p.key.lo_addr, lo, 16), 0);
	KUNIT_EXPECT_EQ(test, ntohs(p.key.lo_port), 40000);
	KUNIT_EXPECT_EQ(test, p.key.proto, IPPROTO_TCP);
	KUNIT_EXPECT_EQ(test, p.key.family, FLOWPIC_FAMILY_IPV4);
	KUNIT_EXPECT_TRUE(test, p.fin);
	KUNIT_EXPECT_FALSE(test, p.rst);
}

static void flowpic_parse_v4_bad_test(struct kunit *test)
{
	__be32 a = htonl(0xc0000201), b = htonl(0xc6336407);
	struct flowpic_pkt p;
	struct v4_tcp h;

	v4_tcp_fill(&h, a, b, 1, 2);
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, 19), NFPROTO_IPV4,
					    &p), FLOWPIC_PARSE_MALFORMED);
	h.ip.tot_len = htons(sizeof(h) + 1);	/* longer than the skb */
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_MALFORMED);
	h.ip.tot_len = htons(30);		/* TCP header cut */
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_MALFORMED);
	h.ip.tot_len = htons(sizeof(h));
	h.tcp.doff = 4;
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_MALFORMED);
	h.tcp.doff = 5;
	h.ip.ihl = 4;
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_MALFORMED);
	h.ip.ihl = 5;
	h.ip.version = 6;
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_MALFORMED);
	h.ip.version = 4;
	h.ip.frag_off = htons(185);		/* a later fragment */
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_FRAGMENT);
	h.ip.frag_off = htons(IP_MF);		/* the first one has ports */
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_FLOW);
	h.ip.frag_off = 0;
	h.ip.protocol = IPPROTO_ICMP;
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_NOT_TCP_UDP);
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_ARP, &p),
			FLOWPIC_PARSE_NOT_IP);
}

struct v6_hbh_udp {
	struct ipv6hdr ip;
	u8 hbh[8];
	struct udphdr udp;
	u8 payload[100];
} __packed;

static void v6_fill(struct v6_hbh_udp *h)
{
	memset(h, 0, sizeof(*h));
	h->ip.version = 6;
	h->ip.payload_len = htons(sizeof(*h) - sizeof(h->ip));
	h->ip.nexthdr = NEXTHDR_HOP;
	h->ip.hop_limit = 64;
	h->ip.saddr.s6_addr[0] = 0x20;		/* 2001:db8::2 */
	h->ip.saddr.s6_addr[1] = 0x01;
	h->ip.saddr.s6_addr[2] = 0x0d;
	h->ip.saddr.s6_addr[3] = 0xb8;
	h->ip.saddr.s6_addr[15] = 2;
	h->ip.daddr = h->ip.saddr;		/* 2001:db8::1 */
	h->ip.daddr.s6_addr[15] = 1;
	h->hbh[0] = NEXTHDR_UDP;		/* 8 bytes, PadN inside */
	h->hbh[2] = 1;
	h->hbh[3] = 4;
	h->udp.source = htons(5353);
	h->udp.dest = htons(53);
	h->udp.len = htons(sizeof(h->udp) + sizeof(h->payload));
}

static void flowpic_parse_v6_test(struct kunit *test)
{
	struct v6_hbh_udp h;
	struct flowpic_pkt p;

	v6_fill(&h);
	KUNIT_ASSERT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV6, &p),
			FLOWPIC_PARSE_FLOW);
	KUNIT_EXPECT_EQ(test, p.size, (u32)sizeof(h));
	KUNIT_EXPECT_EQ(test, p.key.family, FLOWPIC_FAMILY_IPV6);
	KUNIT_EXPECT_EQ(test, p.key.proto, IPPROTO_UDP);
	KUNIT_EXPECT_EQ(test, p.dir, FLOWPIC_DIR_HI_TO_LO);
	KUNIT_EXPECT_EQ(test, ntohs(p.key.lo_port), 53);

	/* The extension header claims more than the packet holds. */
	h.hbh[1] = 20;
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV6, &p),
			FLOWPIC_PARSE_MALFORMED);
	/* A later fragment: no ports to read. */
	v6_fill(&h);
	h.ip.nexthdr = NEXTHDR_FRAGMENT;
	h.hbh[2] = 0;
	h.hbh[3] = 0x08;			/* offset 1 (8 bytes) */
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV6, &p),
			FLOWPIC_PARSE_FRAGMENT);
	/* payload_len past the skb. */
	v6_fill(&h);
	h.ip.payload_len = htons(2000);
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV6, &p),
			FLOWPIC_PARSE_MALFORMED);
	v6_fill(&h);
	h.hbh[0] = IPPROTO_ICMPV6;
	KUNIT_EXPECT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV6, &p),
			FLOWPIC_PARSE_NOT_TCP_UDP);
}

/*
 * IPv6 BIG TCP, as 6.1 sends it: payload length 0, a hop-by-hop jumbo
 * option, a GSO packet. Its length is the skb's; without GSO the same
 * header is malformed, counted, never passed silently.
 */
static void flowpic_parse_big_tcp_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct {
		struct ipv6hdr ip;
		u8 hbh[8];
		struct tcphdr tcp;
		u8 payload[3000];
	} __packed *h;
	struct flowpic_pkt p;
	struct sk_buff *skb;
	const u32 hdr = 40 + 8 + 20;

	h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	h->ip.version = 6;
	h->ip.nexthdr = NEXTHDR_HOP;
	h->ip.hop_limit = 64;
	h->ip.saddr.s6_addr[0] = 0x20;
	h->ip.saddr.s6_addr[1] = 0x01;
	h->ip.saddr.s6_addr[2] = 0x0d;
	h->ip.saddr.s6_addr[3] = 0xb8;
	h->ip.daddr = h->ip.saddr;
	h->ip.saddr.s6_addr[15] = 1;
	h->ip.daddr.s6_addr[15] = 2;
	h->hbh[0] = NEXTHDR_TCP;
	h->hbh[2] = 0xc2;			/* jumbo payload option */
	h->hbh[3] = 4;
	put_unaligned_be32(sizeof(*h) - 40, &h->hbh[4]);
	h->tcp.source = htons(40000);
	h->tcp.dest = htons(443);
	h->tcp.doff = 5;

	skb = mkskb(test, h, sizeof(*h));
	KUNIT_EXPECT_EQ(test, flowpic_parse(skb, NFPROTO_IPV6, &p),
			FLOWPIC_PARSE_MALFORMED);
	skb_shinfo(skb)->gso_size = 1000;
	skb_shinfo(skb)->gso_type = SKB_GSO_TCPV6;
	skb_shinfo(skb)->gso_segs = 3;
	KUNIT_ASSERT_EQ(test, flowpic_parse(skb, NFPROTO_IPV6, &p),
			FLOWPIC_PARSE_FLOW);
	KUNIT_EXPECT_EQ(test, p.size, (u32)sizeof(*h));
	KUNIT_EXPECT_EQ(test, p.hdr, hdr);
	KUNIT_EXPECT_EQ(test, p.gso, 1000U);
	KUNIT_EXPECT_EQ(test, p.big, 1);

	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, flowpic_hook_skb(&c->s, skb, NFPROTO_IPV6),
			(unsigned int)NF_ACCEPT);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_BIG_PACKETS), 1ULL);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_SEGMENTS), 3ULL);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_MALFORMED), 0ULL);
}

static void flowpic_hook_enforce_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	__be32 a = htonl(0xc0000201), b = htonl(0xc6336407);
	struct flowpic_label l = { .class_id = 5 };
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	struct flowpic_action mark = { .type = FLOWPIC_ACT_MARK, .value = 0x20,
				       .mask = 0xf0 };
	struct flowpic_action prio = { .type = FLOWPIC_ACT_PRIORITY,
				       .value = 0x10002 };
	struct flowpic_action pass = { .type = FLOWPIC_ACT_PASS };
	struct flowpic_pkt p;
	struct sk_buff *skb;
	struct v4_tcp h;

	v4_tcp_fill(&h, a, b, 40000, 443);
	skb = mkskb(test, &h, sizeof(h));
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, flowpic_hook_skb(&c->s, skb, NFPROTO_IPV4),
			(unsigned int)NF_ACCEPT);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 1U);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_PACKETS), 1ULL);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_BINNED), 1ULL);

	KUNIT_ASSERT_EQ(test, flowpic_parse(skb, NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_FLOW);
	KUNIT_ASSERT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l, NULL),
			0);
	flowpic_policy_set(&c->s.policy, 5, &prio);
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, flowpic_hook_skb(&c->s, skb, NFPROTO_IPV4),
			(unsigned int)NF_ACCEPT);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, skb->priority, 0x10002U);

	/* A mark under a mask: its bits set, the others kept. */
	flowpic_policy_set(&c->s.policy, 5, &mark);
	skb->mark = 0x15a;
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, flowpic_hook_skb(&c->s, skb, NFPROTO_IPV4),
			(unsigned int)NF_ACCEPT);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, skb->mark, 0x12aU);
	mark.mask = 0;			/* none: the whole mark */
	flowpic_policy_set(&c->s.policy, 5, &mark);
	rcu_read_lock();
	flowpic_hook_skb(&c->s, skb, NFPROTO_IPV4);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, skb->mark, 0x20U);

	flowpic_policy_set(&c->s.policy, 5, &drop);
	/* The reply belongs to the same flow and is dropped too. */
	v4_tcp_fill(&h, b, a, 443, 40000);
	skb = mkskb(test, &h, sizeof(h));
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, flowpic_hook_skb(&c->s, skb, NFPROTO_IPV4),
			(unsigned int)NF_DROP);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_DROPPED), 1ULL);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 1U);
	flowpic_policy_set(&c->s.policy, 5, &pass);

	/* Malformed: counted, accepted, no flow. */
	h.ip.ihl = 3;
	skb = mkskb(test, &h, sizeof(h));
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, flowpic_hook_skb(&c->s, skb, NFPROTO_IPV4),
			(unsigned int)NF_ACCEPT);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_MALFORMED), 1ULL);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 1U);
}

static void flowpic_fragments_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	__be32 a = htonl(0xc6336407), b = htonl(0xc0000201);
	struct flowpic_window w;
	struct flowpic_pkt p;
	struct v4_tcp h;
	u32 n;

	/* 198.51.100.7:443 -> 192.0.2.1:40000, first fragment of id 77. */
	v4_tcp_fill(&h, a, b, 443, 40000);
	h.ip.id = htons(77);
	h.ip.frag_off = htons(IP_MF);
	rcu_read_lock();
	flowpic_hook_skb(&c->s, mkskb(test, &h, sizeof(h)), NFPROTO_IPV4);
	rcu_read_unlock();
	KUNIT_ASSERT_EQ(test, flowpic_parse(mkskb(test, &h, sizeof(h)),
					    NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_FLOW);
	KUNIT_EXPECT_EQ(test, p.frag, FLOWPIC_FRAG_FIRST);

	/* Its later fragment joins the flow, in the same direction. */
	h.ip.frag_off = htons(10);
	rcu_read_lock();
	flowpic_hook_skb(&c->s, mkskb(test, &h, sizeof(h)), NFPROTO_IPV4);
	rcu_read_unlock();
	KUNIT_ASSERT_TRUE(test, open_window(c, &p, &w, &n));
	KUNIT_EXPECT_EQ(test, w.packets[FLOWPIC_DIR_HI_TO_LO], 2U);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_FRAGMENT), 0ULL);

	/* Another datagram's later fragment stays unattributed. */
	h.ip.id = htons(78);
	rcu_read_lock();
	flowpic_hook_skb(&c->s, mkskb(test, &h, sizeof(h)), NFPROTO_IPV4);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_FRAGMENT), 1ULL);
	KUNIT_ASSERT_TRUE(test, open_window(c, &p, &w, &n));
	KUNIT_EXPECT_EQ(test, w.packets[FLOWPIC_DIR_HI_TO_LO], 2U);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 1U);
}

/*
 * The fragment slot is seeded per table: the same datagram lands in
 * different slots of different tables, so a sender cannot predict it.
 */
static void flowpic_fragments_seed_test(struct kunit *test)
{
	struct flowpic_frags *fr[8];
	struct flowpic_pkt p;
	int i, moved = 0;

	mkpkt(&p, 40000, 60, false);
	p.frag = FLOWPIC_FRAG_FIRST;
	p.frag_id = 77;
	for (i = 0; i < ARRAY_SIZE(fr); i++) {
		fr[i] = flowpic_frags_alloc();
		KUNIT_ASSERT_NOT_NULL(test, fr[i]);
	}
	for (i = 1; i < ARRAY_SIZE(fr); i++)
		moved += flowpic_frags_slot(fr[i], &p) !=
			 flowpic_frags_slot(fr[0], &p);
	/* 7 tables all agreeing with the first by chance: 1 in 2^70. */
	KUNIT_EXPECT_GT(test, moved, 0);
	/* Within one table the slot stays put. */
	KUNIT_EXPECT_EQ(test, flowpic_frags_slot(fr[1], &p),
			flowpic_frags_slot(fr[1], &p));
	for (i = 0; i < ARRAY_SIZE(fr); i++)
		flowpic_frags_free(fr[i]);
}

static struct kunit_case flowpic_hook_cases[] = {
	KUNIT_CASE(flowpic_fragments_test),
	KUNIT_CASE(flowpic_fragments_seed_test),
	KUNIT_CASE(flowpic_parse_v4_test),
	KUNIT_CASE(flowpic_parse_v4_bad_test),
	KUNIT_CASE(flowpic_parse_v6_test),
	KUNIT_CASE(flowpic_parse_big_tcp_test),
	KUNIT_CASE(flowpic_hook_enforce_test),
	{}
};

static struct kunit_suite flowpic_hook_suite = {
	.name = "flowpic_hook",
	.init = table_init,
	.exit = table_exit,
	.test_cases = flowpic_hook_cases,
};

/* --- two network namespaces' states ------------------------------------- */

/*
 * What each network namespace gets (netns.c): a second state beside the
 * test's, which must share nothing with it but the slab caches and the
 * memory budget.
 */
static struct flowpic_state *other_state(struct kunit *test)
{
	struct flowpic_state *b;

	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_EQ(test, flowpic_state_init(b, VERDICTS, NULL, NULL), 0);
	return b;
}

static void other_state_free(struct flowpic_state *b)
{
	struct flowpic_done *d, *tmp;
	LIST_HEAD(done);

	flowpic_table_take_done(&b->flows, &done);
	list_for_each_entry_safe(d, tmp, &done, list)
		flowpic_done_free(d);
	rcu_barrier();
	flowpic_state_destroy(b);
}

static u64 state_cnt(struct flowpic_state *s, enum flowpic_counter i)
{
	u64 now[__FLOWPIC_CNT_MAX];

	flowpic_stats_read(s->stats, now);
	return now[i];
}

/* Flows, counters and windows of one state are not another's. */
static void flowpic_netns_flows_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_state *b = other_state(test);
	struct flowpic_window w;
	struct flowpic_pkt p;
	struct flowpic_done *d;
	u32 n;

	mkpkt(&p, 40000, 100, false);
	feed(c, &p, T0);
	feed(c, &p, T0 + SEC);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&c->s.flows), 1U);
	KUNIT_EXPECT_EQ(test, flowpic_table_count(&b->flows), 0U);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_FLOWS_NEW), 1ULL);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_BINNED), 2ULL);
	KUNIT_EXPECT_EQ(test, state_cnt(b, FLOWPIC_CNT_FLOWS_NEW), 0ULL);
	KUNIT_EXPECT_EQ(test, state_cnt(b, FLOWPIC_CNT_BINNED), 0ULL);

	/* The same 5-tuple in the other: a flow of its own, from zero. */
	rcu_read_lock();
	flowpic_table_packet(&b->flows, &c->cfg, &p, T0 + 2 * SEC);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, state_cnt(b, FLOWPIC_CNT_BINNED), 1ULL);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_BINNED), 2ULL);
	KUNIT_ASSERT_TRUE(test, open_window(c, &p, &w, &n));
	KUNIT_EXPECT_EQ(test, w.packets[p.dir], 2U);

	/* Its window closes into its own queue, not the test's. */
	rcu_read_lock();
	flowpic_table_packet(&b->flows, &c->cfg, &p, T0 + 40 * SEC);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, take(test, c, &d), 0);
	KUNIT_EXPECT_EQ(test, b->flows.ndone, 1U);
	other_state_free(b);
}

/*
 * A label and a policy set in one state do not apply to the same 5-tuple
 * in another, neither on a labelled flow nor on an unlabelled one.
 */
static void flowpic_netns_verdicts_test(struct kunit *test)
{
	struct table_ctx *c = test->priv;
	struct flowpic_state *b = other_state(test);
	__be32 a4 = htonl(0xc0000201), b4 = htonl(0xc6336407);
	struct flowpic_label l = { .class_id = 9 };
	struct flowpic_action drop = { .type = FLOWPIC_ACT_DROP };
	struct flowpic_action prio = { .type = FLOWPIC_ACT_PRIORITY,
				       .value = 0x10003 };
	struct flowpic_verdict_stats vs;
	struct flowpic_pkt p;
	struct sk_buff *skb;
	struct v4_tcp h;

	v4_tcp_fill(&h, a4, b4, 40001, 443);
	skb = mkskb(test, &h, sizeof(h));
	KUNIT_ASSERT_EQ(test, flowpic_parse(skb, NFPROTO_IPV4, &p),
			FLOWPIC_PARSE_FLOW);
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, flowpic_hook_skb(&c->s, skb, NFPROTO_IPV4),
			(unsigned int)NF_ACCEPT);
	rcu_read_unlock();

	/* Only the state that saw the flow takes its label. */
	KUNIT_EXPECT_EQ(test, flowpic_state_set_label(b, &p.key, &l, NULL),
			-ENOENT);
	KUNIT_ASSERT_EQ(test, flowpic_state_set_label(&c->s, &p.key, &l, NULL),
			0);
	flowpic_policy_set(&c->s.policy, 9, &drop);

	/* The other sees the flow, unlabelled there: it passes. */
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, flowpic_hook_skb(b, skb, NFPROTO_IPV4),
			(unsigned int)NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, flowpic_hook_skb(&c->s, skb, NFPROTO_IPV4),
			(unsigned int)NF_DROP);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_DROPPED), 1ULL);
	KUNIT_EXPECT_EQ(test, state_cnt(b, FLOWPIC_CNT_DROPPED), 0ULL);
	KUNIT_EXPECT_EQ(test, state_cnt(b, FLOWPIC_CNT_PACKETS), 1ULL);

	/* Labelled there too, by its own policy: priority, not drop. */
	KUNIT_ASSERT_EQ(test, flowpic_state_set_label(b, &p.key, &l, NULL), 0);
	flowpic_policy_set(&b->policy, 9, &prio);
	skb->priority = 0;
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, flowpic_hook_skb(b, skb, NFPROTO_IPV4),
			(unsigned int)NF_ACCEPT);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, skb->priority, 0x10003U);
	KUNIT_EXPECT_EQ(test, cnt_delta(c, FLOWPIC_CNT_PRIORITISED), 0ULL);

	/* Clearing it in one leaves the other's. */
	KUNIT_EXPECT_EQ(test, flowpic_state_clear_label(b, &p.key), 0);
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, flowpic_hook_skb(&c->s, skb, NFPROTO_IPV4),
			(unsigned int)NF_DROP);
	rcu_read_unlock();
	flowpic_verdicts_stats(&c->s.verdicts, &vs);
	KUNIT_EXPECT_EQ(test, vs.present, 1ULL);
	KUNIT_EXPECT_EQ(test, vs.removed, 0ULL);
	flowpic_verdicts_stats(&b->verdicts, &vs);
	KUNIT_EXPECT_EQ(test, vs.present, 0ULL);
	KUNIT_EXPECT_EQ(test, vs.removed, 1ULL);
	other_state_free(b);
}

/*
 * The module's own states: the initial namespace has one, whose hooks
 * are registered, made at load like any namespace's.
 */
static void flowpic_netns_init_net_test(struct kunit *test)
{
	struct flowpic_net *fn = flowpic_net(&init_net);

	KUNIT_ASSERT_NOT_NULL(test, fn);
	KUNIT_EXPECT_PTR_EQ(test, fn->net, &init_net);
	KUNIT_EXPECT_NOT_NULL(test, fn->state.stats);
	KUNIT_EXPECT_PTR_EQ(test, fn->state.verdicts.policy,
			    &fn->state.policy);
	KUNIT_EXPECT_PTR_EQ(test, fn->state.flows.stats, fn->state.stats);
	KUNIT_EXPECT_PTR_EQ(test, fn->ops[0].priv, (void *)&fn->state);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(fn->stopping));
}

/*
 * Each namespace's fragment slots are seeded apart: a datagram's slot in
 * the initial namespace's table (made at load) and in the tables of
 * namespaces made since are not all one, so a sender who learnt the
 * slots of one namespace, or of one load, cannot aim at another's.
 */
static void flowpic_netns_frags_seed_test(struct kunit *test)
{
	struct flowpic_net *fn = flowpic_net(&init_net);
	struct flowpic_frags *init_fr = fn->state.flows.frags;
	struct flowpic_state *b[7];
	struct flowpic_pkt p;
	int i, moved = 0;

	mkpkt(&p, 40000, 60, false);
	p.frag = FLOWPIC_FRAG_FIRST;
	p.frag_id = 77;
	for (i = 0; i < ARRAY_SIZE(b); i++) {
		b[i] = other_state(test);
		moved += flowpic_frags_slot(b[i]->flows.frags, &p) !=
			 flowpic_frags_slot(init_fr, &p);
	}
	/* 7 namespaces all agreeing with the first by chance: 1 in 2^70. */
	KUNIT_EXPECT_GT(test, moved, 0);
	for (i = 0; i < ARRAY_SIZE(b); i++)
		other_state_free(b[i]);
}

static struct kunit_case flowpic_netns_cases[] = {
	KUNIT_CASE(flowpic_netns_flows_test),
	KUNIT_CASE(flowpic_netns_frags_seed_test),
	KUNIT_CASE(flowpic_netns_verdicts_test),
	KUNIT_CASE(flowpic_netns_init_net_test),
	{}
};

static struct kunit_suite flowpic_netns_suite = {
	.name = "flowpic_netns",
	.init = table_init,
	.exit = table_exit,
	.test_cases = flowpic_netns_cases,
};

/* --- SET_LABEL and SET_POLICY attributes ---------------------------------- */

static int parse_with(struct sk_buff *skb, const struct nla_policy *pol,
		      struct nlattr **tb)
{
	struct netlink_ext_ack extack = {};

	return nla_parse(tb, FLOWPIC_A_MAX, (struct nlattr *)skb->data,
			 skb->len, pol, &extack);
}

static void flowpic_label_attrs_test(struct kunit *test)
{
	struct nlattr *tb[FLOWPIC_A_MAX + 1];
	struct flowpic_label l = { .class_id = 1, .confidence = 5000 };
	struct flowpic_action act = { .type = FLOWPIC_ACT_MARK, .value = 3 };
	struct flowpic_pkt p;
	struct sk_buff *skb;
	u64 too_long[3] = {};

	skb = alloc_skb(1024, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	mkpkt(&p, 40000, 60, false);

	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_KEY, sizeof(p.key),
				      &p.key), 0);
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_LABEL, sizeof(l), &l), 0);
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_ACTION, sizeof(act),
				      &act), 0);
	KUNIT_EXPECT_EQ(test, parse_with(skb, flowpic_label_policy, tb), 0);

	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_KEY, sizeof(p.key) - 4,
				      &p.key), 0);
	KUNIT_EXPECT_LT(test, parse_with(skb, flowpic_label_policy, tb), 0);
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_ACTION, sizeof(too_long),
				      too_long), 0);
	KUNIT_EXPECT_LT(test, parse_with(skb, flowpic_label_policy, tb), 0);
	/* An action of before masks: its first 8 bytes. */
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_ACTION,
				      FLOWPIC_ACTION_V1_SIZE, &act), 0);
	KUNIT_EXPECT_EQ(test, parse_with(skb, flowpic_label_policy, tb), 0);
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_ACTION, 4, &act), 0);
	KUNIT_EXPECT_LT(test, parse_with(skb, flowpic_label_policy, tb), 0);
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put_u32(skb, FLOWPIC_A_MAX_FLOWS, 5), 0);
	KUNIT_EXPECT_LT(test, parse_with(skb, flowpic_label_policy, tb), 0);

	/* SET_POLICY: class 0 .. 64. */
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put_u16(skb, FLOWPIC_A_CLASS,
					  FLOWPIC_CLASS_UNKNOWN), 0);
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_ACTION, sizeof(act),
				      &act), 0);
	KUNIT_EXPECT_EQ(test, parse_with(skb, flowpic_policy_policy, tb), 0);
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put_u16(skb, FLOWPIC_A_CLASS,
					  FLOWPIC_POLICY_SLOTS), 0);
	KUNIT_EXPECT_LT(test, parse_with(skb, flowpic_policy_policy, tb), 0);
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put_u32(skb, FLOWPIC_A_CLASS, 1), 0);
	KUNIT_EXPECT_LT(test, parse_with(skb, flowpic_policy_policy, tb), 0);
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_KEY, sizeof(p.key),
				      &p.key), 0);
	KUNIT_EXPECT_LT(test, parse_with(skb, flowpic_policy_policy, tb), 0);
	kfree_skb(skb);
}

static void flowpic_key_label_values_test(struct kunit *test)
{
	struct flowpic_label l = { .class_id = FLOWPIC_CLASS_UNKNOWN };
	struct flowpic_pkt p;
	struct flowpic_key k;

	mkpkt(&p, 40000, 60, false);
	KUNIT_EXPECT_NULL(test, flowpic_key_invalid(&p.key));
	k = p.key;
	k.family = 5;
	KUNIT_EXPECT_NOT_NULL(test, flowpic_key_invalid(&k));
	k = p.key;
	k.proto = IPPROTO_ICMP;
	KUNIT_EXPECT_NOT_NULL(test, flowpic_key_invalid(&k));
	k = p.key;
	k.__pad = 1;
	KUNIT_EXPECT_NOT_NULL(test, flowpic_key_invalid(&k));
	k = p.key;
	k.lo_addr[2] = 0;			/* not ::ffff:a.b.c.d */
	KUNIT_EXPECT_NOT_NULL(test, flowpic_key_invalid(&k));
	mkpkt(&p, 40000, 60, false);
	k = p.key;
	swap(k.lo_addr[3], k.hi_addr[3]);	/* endpoints swapped */
	swap(k.lo_port, k.hi_port);
	KUNIT_EXPECT_NOT_NULL(test, flowpic_key_invalid(&k));

	KUNIT_EXPECT_NULL(test, flowpic_label_invalid(&l));
	l.class_id = FLOWPIC_CLASS_UNKNOWN + 1;
	KUNIT_EXPECT_NOT_NULL(test, flowpic_label_invalid(&l));
	l.class_id = 0;
	l.confidence = FLOWPIC_CONFIDENCE_ONE + 1;
	KUNIT_EXPECT_NOT_NULL(test, flowpic_label_invalid(&l));
}

static struct kunit_case flowpic_attr_cases[] = {
	KUNIT_CASE(flowpic_label_attrs_test),
	KUNIT_CASE(flowpic_key_label_values_test),
	{}
};

static struct kunit_suite flowpic_attr_suite = {
	.name = "flowpic_label_attrs",
	.test_cases = flowpic_attr_cases,
};

kunit_test_suites(&flowpic_cells_suite, &flowpic_table_suite,
		  &flowpic_hook_suite, &flowpic_netns_suite, &flowpic_attr_suite);
