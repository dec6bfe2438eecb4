// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for flowpic.ko's building blocks: the shared binning
 * vectors and flow key canonicalisation compiled in the kernel, and the
 * module's configuration and netlink attribute validation. Built into a
 * UML kernel beside the module's sources by tests/kunit/run.sh.
 */
#include <kunit/test.h>
#include <linux/inet.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

#include "flowpic.h"
#include "vectors/binning.h"
#include "budget.h"
#include "config.h"
#include "netlink.h"
#include "netns.h"

/* --- binning: tests/vectors/binning.h against flowpic_bin() -------------- */

static void flowpic_bin_vector_desc(const struct flowpic_bin_vector *v,
				    char *desc)
{
	strscpy(desc, v->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(flowpic_bin_vector, flowpic_bin_vectors,
		  flowpic_bin_vector_desc);

static void flowpic_bin_vector_test(struct kunit *test)
{
	const struct flowpic_bin_vector *v = test->param_value;
	struct flowpic_cell cell = { .row = 0xdead, .col = 0xbeef };
	struct flowpic_geom g;
	u32 flags;

	flowpic_bin_vector_geom(v, &g);
	flags = flowpic_bin(&g, v->size, v->dt_ns, &cell);
	KUNIT_EXPECT_EQ_MSG(test, flags, v->flags, "%s: flags", v->what);
	if (v->flags & (FLOWPIC_BIN_PAST | FLOWPIC_BIN_INVALID)) {
		/* No cell is written for a packet that is not binned. */
		KUNIT_EXPECT_EQ(test, cell.row, 0xdead);
		KUNIT_EXPECT_EQ(test, cell.col, 0xbeef);
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, cell.row, v->row, "%s: row", v->what);
	KUNIT_EXPECT_EQ_MSG(test, cell.col, v->col, "%s: col", v->what);
	KUNIT_EXPECT_LT(test, flowpic_cell_index(&g, g.channels - 1, &cell),
			flowpic_geom_cells(&g));
}

static void flowpic_window_index_test(struct kunit *test)
{
	struct flowpic_geom g = {
		.window_ns = FLOWPIC_MINI_WINDOW_NS, .n = 32,
		.max_size = FLOWPIC_MAX_PKT_SIZE, .channels = 1,
	};

	KUNIT_EXPECT_EQ(test, flowpic_window_index(&g, -5), 0ULL);
	KUNIT_EXPECT_EQ(test, flowpic_window_index(&g, 0), 0ULL);
	KUNIT_EXPECT_EQ(test, flowpic_window_index(&g, 14999999999LL), 0ULL);
	KUNIT_EXPECT_EQ(test, flowpic_window_index(&g, 15000000000LL), 1ULL);
	KUNIT_EXPECT_EQ(test, flowpic_window_index(&g, 45000000001LL), 3ULL);
}

static struct kunit_case flowpic_binning_cases[] = {
	KUNIT_CASE_PARAM(flowpic_bin_vector_test,
			 flowpic_bin_vector_gen_params),
	KUNIT_CASE(flowpic_window_index_test),
	{}
};

static struct kunit_suite flowpic_binning_suite = {
	.name = "flowpic_binning",
	.test_cases = flowpic_binning_cases,
};

/* --- flow key canonicalisation ------------------------------------------ */

static void key_v4(struct kunit *test, struct flowpic_key *k, const char *s,
		   u16 sp, const char *d, u16 dp, u8 proto)
{
	__be32 a;

	memset(k, 0, sizeof(*k));
	KUNIT_ASSERT_TRUE(test, in4_pton(s, -1, (u8 *)&a, -1, NULL));
	flowpic_addr_from_v4(k->lo_addr, a);
	KUNIT_ASSERT_TRUE(test, in4_pton(d, -1, (u8 *)&a, -1, NULL));
	flowpic_addr_from_v4(k->hi_addr, a);
	k->lo_port = htons(sp);
	k->hi_port = htons(dp);
	k->proto = proto;
	k->family = FLOWPIC_FAMILY_IPV4;
}

static void key_v6(struct kunit *test, struct flowpic_key *k, const char *s,
		   u16 sp, const char *d, u16 dp)
{
	memset(k, 0, sizeof(*k));
	KUNIT_ASSERT_TRUE(test, in6_pton(s, -1, (u8 *)k->lo_addr, -1, NULL));
	KUNIT_ASSERT_TRUE(test, in6_pton(d, -1, (u8 *)k->hi_addr, -1, NULL));
	k->lo_port = htons(sp);
	k->hi_port = htons(dp);
	k->proto = IPPROTO_UDP;
	k->family = FLOWPIC_FAMILY_IPV6;
}

static void flowpic_key_v4_test(struct kunit *test)
{
	static const u8 mapped[16] = { [10] = 0xff, [11] = 0xff,
				       192, 0, 2, 1 };
	struct flowpic_key a, b;
	u8 da, db;

	key_v4(test, &a, "192.0.2.1", 40000, "198.51.100.7", 443, IPPROTO_TCP);
	key_v4(test, &b, "198.51.100.7", 443, "192.0.2.1", 40000, IPPROTO_TCP);
	da = flowpic_key_canon(&a);
	db = flowpic_key_canon(&b);
	KUNIT_EXPECT_EQ(test, memcmp(&a, &b, sizeof(a)), 0);
	KUNIT_EXPECT_EQ(test, da, FLOWPIC_DIR_LO_TO_HI);
	KUNIT_EXPECT_EQ(test, db, FLOWPIC_DIR_HI_TO_LO);
	KUNIT_EXPECT_EQ(test, memcmp(a.lo_addr, mapped, 16), 0);
	KUNIT_EXPECT_EQ(test, ntohs(a.lo_port), 40000);
	KUNIT_EXPECT_EQ(test, ntohs(a.hi_port), 443);
}

static void flowpic_key_order_test(struct kunit *test)
{
	struct flowpic_key a, b;

	/* Same address: ports decide, numerically (2 < 256), not bytewise. */
	key_v4(test, &a, "192.0.2.1", 256, "192.0.2.1", 2, IPPROTO_UDP);
	KUNIT_EXPECT_EQ(test, flowpic_key_canon(&a), FLOWPIC_DIR_HI_TO_LO);
	KUNIT_EXPECT_EQ(test, ntohs(a.lo_port), 2);

	key_v4(test, &a, "192.0.2.1", 5, "192.0.2.1", 5, IPPROTO_UDP);
	b = a;
	KUNIT_EXPECT_EQ(test, flowpic_key_canon(&a), FLOWPIC_DIR_LO_TO_HI);
	KUNIT_EXPECT_EQ(test, memcmp(&a, &b, sizeof(a)), 0);

	/* Addresses compare as numbers: 192.0.2.255 < 198.51.100.0. */
	key_v4(test, &a, "198.51.100.0", 1, "192.0.2.255", 1, IPPROTO_UDP);
	KUNIT_EXPECT_EQ(test, flowpic_key_canon(&a), FLOWPIC_DIR_HI_TO_LO);
}

static void flowpic_key_v6_test(struct kunit *test)
{
	struct flowpic_key a, b;
	u8 da, db;

	key_v6(test, &a, "2001:db8::2", 5000, "2001:db8::1", 6000);
	key_v6(test, &b, "2001:db8::1", 6000, "2001:db8::2", 5000);
	da = flowpic_key_canon(&a);
	db = flowpic_key_canon(&b);
	KUNIT_EXPECT_EQ(test, memcmp(&a, &b, sizeof(a)), 0);
	KUNIT_EXPECT_EQ(test, da, FLOWPIC_DIR_HI_TO_LO);
	KUNIT_EXPECT_EQ(test, db, FLOWPIC_DIR_LO_TO_HI);

	key_v6(test, &a, "2001:db8:1::", 1, "2001:db8::ffff", 1);
	KUNIT_EXPECT_EQ(test, flowpic_key_canon(&a), FLOWPIC_DIR_HI_TO_LO);
	KUNIT_EXPECT_EQ(test, sizeof(struct flowpic_key), 40);
	KUNIT_EXPECT_EQ(test, sizeof(struct flowpic_window), 88);
}

static struct kunit_case flowpic_key_cases[] = {
	KUNIT_CASE(flowpic_key_v4_test),
	KUNIT_CASE(flowpic_key_order_test),
	KUNIT_CASE(flowpic_key_v6_test),
	{}
};

static struct kunit_suite flowpic_key_suite = {
	.name = "flowpic_key",
	.test_cases = flowpic_key_cases,
};

/* --- configuration and netlink attribute validation ---------------------- */

/* A namespace's config of its own, freed when the test ends. */
static struct flowpic_config_slot *config_slot(struct kunit *test)
{
	struct flowpic_config_slot *cs;

	cs = kunit_kzalloc(test, sizeof(*cs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cs);
	KUNIT_ASSERT_EQ(test, flowpic_config_init(cs), 0);
	return cs;
}

static void config_slot_free(struct flowpic_config_slot *cs)
{
	flowpic_config_exit(cs);
	rcu_barrier();
}

static void flowpic_config_defaults_test(struct kunit *test)
{
	struct flowpic_config_slot *cs = config_slot(test);
	struct flowpic_config c;

	flowpic_config_read(cs, &c);
	config_slot_free(cs);
	KUNIT_EXPECT_EQ(test, c.geom.n, 32);
	KUNIT_EXPECT_EQ(test, c.geom.window_ns, 15ULL * NSEC_PER_SEC);
	KUNIT_EXPECT_EQ(test, c.geom.channels, 1);
	KUNIT_EXPECT_EQ(test, c.geom.max_size, FLOWPIC_MAX_PKT_SIZE);
	KUNIT_EXPECT_EQ(test, c.max_flows, flowpic_config_flows_limit());
	/* Fitted to the memory budget whatever the geometry. */
	KUNIT_EXPECT_GE(test, c.max_cells, (u32)FLOWPIC_MAX_CELLS_MIN);
	KUNIT_EXPECT_LE(test, c.max_cells, (u32)FLOWPIC_DEFAULT_MAX_CELLS);
	c.geom.n = FLOWPIC_N_MAX;
	c.geom.channels = FLOWPIC_CHANNELS_MAX;
	KUNIT_EXPECT_LE(test, flowpic_config_worst(&c), flowpic_budget_limit());
}

/*
 * A config whose worst case exceeds the memory budget is refused, naming
 * max_cells, or max_flows when the flows alone do not fit.
 */
static void flowpic_config_budget_test(struct kunit *test)
{
	struct flowpic_config_slot *cs = config_slot(test);
	size_t limit = flowpic_budget_limit();
	struct flowpic_config c;
	const char *msg;
	int attr;

	flowpic_config_read(cs, &c);
	config_slot_free(cs);
	c.geom.n = FLOWPIC_N_MAX;
	c.geom.channels = 2;
	c.max_flows = 1000;
	c.max_cells = 1000;
	flowpic_budget_init(flowpic_config_worst(&c));
	KUNIT_EXPECT_NULL(test, flowpic_config_invalid(&c,
			  flowpic_config_flows_limit(), &attr));
	/* Twice the cells: past the allocator's rounding of the arrays. */
	c.max_cells = 2000;
	msg = flowpic_config_invalid(&c, flowpic_config_flows_limit(), &attr);
	KUNIT_EXPECT_NOT_NULL(test, msg);
	KUNIT_EXPECT_EQ(test, attr, FLOWPIC_A_MAX_CELLS);
	KUNIT_EXPECT_NOT_NULL(test, msg ? strstr(msg, "mem_budget") : NULL);
	/* A geometry of fewer cells than max_cells needs only those. */
	c.geom.n = 16;	/* 512 cells */
	KUNIT_EXPECT_NULL(test, flowpic_config_invalid(&c,
			  flowpic_config_flows_limit(), &attr));
	flowpic_budget_init(16);
	msg = flowpic_config_invalid(&c, flowpic_config_flows_limit(), &attr);
	KUNIT_EXPECT_NOT_NULL(test, msg);
	KUNIT_EXPECT_EQ(test, attr, FLOWPIC_A_MAX_FLOWS);
	flowpic_budget_init(limit);
}

struct flowpic_config_case {
	const char *what;
	void (*spoil)(struct flowpic_config *c);
	int attr;
};

#define SPOIL(name, stmt) \
	static void spoil_##name(struct flowpic_config *c) { stmt; }
SPOIL(n_low, c->geom.n = 7)
SPOIL(n_high, c->geom.n = 1501)
SPOIL(max_size, c->geom.max_size = 1499)
SPOIL(channels0, c->geom.channels = 0)
SPOIL(channels3, c->geom.channels = 3)
SPOIL(window_low, c->geom.window_ns = 999999)
SPOIL(window_high, c->geom.window_ns = 3600000000001ULL)
SPOIL(pad, c->geom.__pad[1] = 1)
SPOIL(flows0, c->max_flows = 0)
SPOIL(flows_high, c->max_flows = flowpic_config_flows_limit() + 1)
SPOIL(cells_low, c->max_cells = 15)
SPOIL(cells_high, c->max_cells = 65537)
SPOIL(idle_low, c->idle_ns = 999999)

static const struct flowpic_config_case flowpic_config_cases[] = {
	{ "n 7", spoil_n_low, FLOWPIC_A_GEOM },
	{ "n 1501", spoil_n_high, FLOWPIC_A_GEOM },
	{ "max_size 1499", spoil_max_size, FLOWPIC_A_GEOM },
	{ "0 channels", spoil_channels0, FLOWPIC_A_GEOM },
	{ "3 channels", spoil_channels3, FLOWPIC_A_GEOM },
	{ "window below 1 ms", spoil_window_low, FLOWPIC_A_GEOM },
	{ "window over 1 h", spoil_window_high, FLOWPIC_A_GEOM },
	{ "geometry padding", spoil_pad, FLOWPIC_A_GEOM },
	{ "max_flows 0", spoil_flows0, FLOWPIC_A_MAX_FLOWS },
	{ "max_flows over the parameter", spoil_flows_high,
	  FLOWPIC_A_MAX_FLOWS },
	{ "max_cells 15", spoil_cells_low, FLOWPIC_A_MAX_CELLS },
	{ "max_cells 65537", spoil_cells_high, FLOWPIC_A_MAX_CELLS },
	{ "idle below 1 ms", spoil_idle_low, FLOWPIC_A_IDLE_NS },
};

static void flowpic_config_invalid_test(struct kunit *test)
{
	struct flowpic_config_slot *cs = config_slot(test);
	struct flowpic_config good, c;
	const char *msg;
	unsigned int i;
	int attr;

	flowpic_config_read(cs, &good);
	config_slot_free(cs);
	KUNIT_EXPECT_NULL(test, flowpic_config_invalid(&good,
			  flowpic_config_flows_limit(), &attr));
	for (i = 0; i < ARRAY_SIZE(flowpic_config_cases); i++) {
		const struct flowpic_config_case *t = &flowpic_config_cases[i];

		c = good;
		t->spoil(&c);
		msg = flowpic_config_invalid(&c, flowpic_config_flows_limit(),
					     &attr);
		KUNIT_EXPECT_NOT_NULL_MSG(test, msg, "%s accepted", t->what);
		KUNIT_EXPECT_EQ_MSG(test, attr, t->attr, "%s: attribute",
				    t->what);
	}
}

static void flowpic_config_update_test(struct kunit *test)
{
	struct flowpic_config_slot *cs = config_slot(test);
	struct flowpic_config old, c, now;
	const char *msg;
	int attr;

	flowpic_config_lock(cs);
	flowpic_config_read(cs, &old);
	c = old;
	c.geom.n = 1500;
	c.geom.window_ns = FLOWPIC_FULL_WINDOW_NS;
	c.geom.channels = 2;
	KUNIT_EXPECT_EQ(test, flowpic_config_update(cs, &c, &msg, &attr), 0);
	flowpic_config_read(cs, &now);
	KUNIT_EXPECT_EQ(test, now.geom.n, 1500);
	KUNIT_EXPECT_EQ(test, now.geom.channels, 2);

	/* A refused update leaves the config as it was. */
	c.max_cells = 1;
	KUNIT_EXPECT_EQ(test, flowpic_config_update(cs, &c, &msg, &attr),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, attr, FLOWPIC_A_MAX_CELLS);
	flowpic_config_read(cs, &now);
	KUNIT_EXPECT_EQ(test, now.max_cells, old.max_cells);
	flowpic_config_unlock(cs);
	config_slot_free(cs);
}

/*
 * Two namespaces' configs: a change to one leaves the other, and the
 * module's own (the initial namespace's), as they were; neither may go
 * past the module's bounds, which are the same for both.
 */
static void flowpic_config_per_netns_test(struct kunit *test)
{
	struct flowpic_config_slot *a = config_slot(test);
	struct flowpic_config_slot *b = config_slot(test);
	struct flowpic_config ca, cb, host0, host;
	struct flowpic_state *init = &flowpic_net(&init_net)->state;
	const char *msg;
	int attr;

	flowpic_config_read(&init->config, &host0);
	flowpic_config_read(a, &ca);
	ca.geom.n = 64;
	ca.max_flows = 7;
	flowpic_config_lock(a);
	KUNIT_EXPECT_EQ(test, flowpic_config_update(a, &ca, &msg, &attr), 0);
	/* Past the module's max_flows: refused, in any namespace. */
	ca.max_flows = flowpic_config_flows_limit() + 1;
	KUNIT_EXPECT_EQ(test, flowpic_config_update(a, &ca, &msg, &attr),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, attr, FLOWPIC_A_MAX_FLOWS);
	flowpic_config_unlock(a);

	flowpic_config_read(a, &ca);
	flowpic_config_read(b, &cb);
	flowpic_config_read(&init->config, &host);
	KUNIT_EXPECT_EQ(test, ca.geom.n, 64);
	KUNIT_EXPECT_EQ(test, ca.max_flows, 7U);
	KUNIT_EXPECT_EQ(test, cb.geom.n, 32);
	KUNIT_EXPECT_EQ(test, cb.max_flows, flowpic_config_flows_limit());
	KUNIT_EXPECT_EQ(test, memcmp(&host.geom, &host0.geom,
				     sizeof(host.geom)), 0);
	KUNIT_EXPECT_EQ(test, host.max_flows, host0.max_flows);
	config_slot_free(a);
	config_slot_free(b);
}

/* Parses the attributes put into @skb with the SET_CONFIG policy. */
static int parse_config_attrs(struct sk_buff *skb, struct nlattr **tb,
			      struct netlink_ext_ack *extack)
{
	return nla_parse(tb, FLOWPIC_A_MAX, (struct nlattr *)skb->data,
			 skb->len, flowpic_config_policy, extack);
}

static void flowpic_config_policy_test(struct kunit *test)
{
	struct nlattr *tb[FLOWPIC_A_MAX + 1];
	struct netlink_ext_ack extack;
	struct flowpic_geom g = {
		.window_ns = FLOWPIC_MINI_WINDOW_NS, .n = 64,
		.max_size = FLOWPIC_MAX_PKT_SIZE, .channels = 1,
	};
	u64 stats[__FLOWPIC_CNT_MAX] = {};
	u64 idle = NSEC_PER_SEC;
	struct sk_buff *skb;

	skb = alloc_skb(1024, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);

	/* Well-formed: accepted. */
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_GEOM, sizeof(g), &g), 0);
	KUNIT_ASSERT_EQ(test, nla_put_u32(skb, FLOWPIC_A_MAX_FLOWS, 100), 0);
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_IDLE_NS, sizeof(idle),
				      &idle), 0);
	KUNIT_ASSERT_EQ(test, nla_put_u32(skb, FLOWPIC_A_MIN_PACKETS, 3), 0);
	memset(&extack, 0, sizeof(extack));
	KUNIT_EXPECT_EQ(test, parse_config_attrs(skb, tb, &extack), 0);
	KUNIT_EXPECT_NOT_NULL(test, tb[FLOWPIC_A_GEOM]);
	KUNIT_EXPECT_EQ(test, nla_get_u32(tb[FLOWPIC_A_MAX_FLOWS]), 100U);

	/* Geometry one byte short. */
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_GEOM, sizeof(g) - 1, &g),
			0);
	memset(&extack, 0, sizeof(extack));
	KUNIT_EXPECT_LT(test, parse_config_attrs(skb, tb, &extack), 0);
	KUNIT_EXPECT_NOT_NULL(test, extack._msg);

	/* max_flows outside 1 .. 1048576. */
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put_u32(skb, FLOWPIC_A_MAX_FLOWS, 0), 0);
	KUNIT_EXPECT_LT(test, parse_config_attrs(skb, tb, &extack), 0);
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put_u32(skb, FLOWPIC_A_MAX_FLOWS,
					  FLOWPIC_MAX_FLOWS_LIMIT + 1), 0);
	KUNIT_EXPECT_LT(test, parse_config_attrs(skb, tb, &extack), 0);

	/* max_cells below 16; idle_ns sent as a u32. */
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put_u32(skb, FLOWPIC_A_MAX_CELLS, 15), 0);
	KUNIT_EXPECT_LT(test, parse_config_attrs(skb, tb, &extack), 0);
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put_u32(skb, FLOWPIC_A_IDLE_NS, 5), 0);
	KUNIT_EXPECT_LT(test, parse_config_attrs(skb, tb, &extack), 0);

	/* Reply-only and unknown attributes are refused. */
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put(skb, FLOWPIC_A_STATS, sizeof(stats),
				      stats), 0);
	KUNIT_EXPECT_LT(test, parse_config_attrs(skb, tb, &extack), 0);
	skb_trim(skb, 0);
	KUNIT_ASSERT_EQ(test, nla_put_u32(skb, FLOWPIC_A_MAX + 1, 1), 0);
	KUNIT_EXPECT_LT(test, parse_config_attrs(skb, tb, &extack), 0);

	kfree_skb(skb);
}

static struct kunit_case flowpic_config_cases_list[] = {
	KUNIT_CASE(flowpic_config_defaults_test),
	KUNIT_CASE(flowpic_config_invalid_test),
	KUNIT_CASE(flowpic_config_budget_test),
	KUNIT_CASE(flowpic_config_update_test),
	KUNIT_CASE(flowpic_config_per_netns_test),
	KUNIT_CASE(flowpic_config_policy_test),
	{}
};

static struct kunit_suite flowpic_config_suite = {
	.name = "flowpic_config",
	.test_cases = flowpic_config_cases_list,
};

kunit_test_suites(&flowpic_binning_suite, &flowpic_key_suite,
		  &flowpic_config_suite);

MODULE_LICENSE("GPL");
