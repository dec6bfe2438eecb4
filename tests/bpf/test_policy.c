// SPDX-License-Identifier: GPL-2.0
/*
 * Labels and policy in the tc program through BPF_PROG_TEST_RUN: the
 * action a flow's label selects applies from its next packet, both ways
 * (verdict, and skb->mark / skb->priority read back from the context);
 * labels outlive windows, FIN, RST and the flow's histogram; what
 * userspace writes into the maps is never trusted.
 */
#include <string.h>
#include <time.h>

#include "flowpic.h"
#include "live/datapath.h"
#include "unit/test.h"
#include "bpf/bpf_test.h"
#include "bpf/pkt_build.h"

#define V6A	"2001:db8::10"
#define V6B	"2001:db8:2::20"

struct verdict {
	__u32 ret;
	__u32 mark;
	__u32 priority;
};

static struct verdict xmit(struct datapath *dp, const struct pb_spec *s)
{
	struct __sk_buff out = {};
	struct verdict v = { 99, 0, 0 };
	uint8_t buf[PB_MAX];
	size_t len = pb_build(buf, s, NULL);

	if (bpf_test_run_pkt(datapath_prog_fd(dp), buf, len, &v.ret, &out))
		tap_diag("BPF_PROG_TEST_RUN failed");
	v.mark = out.mark;
	v.priority = out.priority;
	return v;
}

static struct pb_spec udp(int sport, int rev)
{
	struct pb_spec s = { .family = 6, .src = V6A, .dst = V6B,
			     .sport = sport, .dport = 443, .proto = 17,
			     .payload = 300 };

	if (rev) {
		s.src = V6B;
		s.dst = V6A;
		s.sport = 443;
		s.dport = sport;
	}
	return s;
}

static int policy(struct datapath *dp, __u16 cls, __u32 type, __u32 value)
{
	struct flowpic_action a = { .type = type, .value = value };

	return datapath_set_policy(dp, cls, &a);
}

/* What a hand edit with bpftool ends with: a new labels generation. */
static void bump_gen(struct datapath *dp)
{
	int fd = datapath_map_fd(dp, FLOWPIC_PIN_GEN);
	struct flowpic_bpf_gen g = { 0 };
	__u32 zero = 0;

	bpf_map_lookup_elem(fd, &zero, &g);
	g.labels++;
	bpf_map_update_elem(fd, &zero, &g, BPF_ANY);
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int main(void)
{
	struct datapath_config c;
	struct pb_spec f, r;
	struct datapath *dp;
	struct verdict v, w;
	uint64_t s0[__FLOWPIC_CNT_MAX], s1[__FLOWPIC_CNT_MAX];
	struct flowpic_key k;
	struct flowpic_label l;
	struct flowpic_action a;
	char why[160];
	__u32 slot;
	int fd;

	tap_header();
	tap_plan(24);
	if (!bpf_test_available(why, sizeof(why))) {
		tap_skip(why, "labels and policy in the tc program");
		tap_done();
		return KSFT_SKIP_CODE;
	}
	datapath_config_default(&c);
	c.geom.window_ns = 30000000ULL;		/* 30 ms: windows go by */
	dp = bpf_test_datapath("policy", &c);
	if (!tap_ok(dp != NULL, "load"))
		return tap_done();

	/* Unlabelled: passes untouched. */
	f = udp(5001, 0);
	r = udp(5001, 1);
	v = xmit(dp, &f);
	tap_ok(v.ret == TC_ACT_OK && !v.mark && !v.priority,
	       "unlabelled flow passes, no mark, no priority");

	/* drop */
	tap_ok(!policy(dp, 3, FLOWPIC_ACT_DROP, 0) && !bpf_test_label(dp, &f, 3),
	       "class 3 -> drop, flow labelled 3");
	datapath_stats(dp, s0);
	v = xmit(dp, &f);
	w = xmit(dp, &r);
	datapath_stats(dp, s1);
	tap_ok(v.ret == TC_ACT_SHOT && w.ret == TC_ACT_SHOT &&
	       s1[FLOWPIC_CNT_DROPPED] - s0[FLOWPIC_CNT_DROPPED] == 2,
	       "dropped both ways from the next packet (TC_ACT_SHOT %d/%d), counted",
	       v.ret, w.ret);

	/* The label outlives the window. */
	nap_ms(70);
	v = xmit(dp, &r);
	pb_key(&f, &k);
	{
		struct flowpic_window win;

		datapath_flow(dp, &k, &win, NULL, 0);
		tap_ok(v.ret == TC_ACT_SHOT && win.index >= 2,
		       "still dropped in window %u", win.index);
	}

	/* Relabel: mark, both ways. */
	tap_ok(!policy(dp, 5, FLOWPIC_ACT_MARK, 0xf10c) && !bpf_test_label(dp, &f, 5),
	       "class 5 -> mark 0xf10c, flow relabelled 5");
	v = xmit(dp, &f);
	w = xmit(dp, &r);
	tap_ok(v.ret == TC_ACT_OK && v.mark == 0xf10c && w.mark == 0xf10c,
	       "marked both ways: %#x %#x", v.mark, w.mark);

	/* priority = HTB class id */
	tap_ok(!policy(dp, 5, FLOWPIC_ACT_PRIORITY, 0x00010020),
	       "class 5 -> priority 1:20");
	datapath_stats(dp, s0);
	v = xmit(dp, &r);
	datapath_stats(dp, s1);
	tap_ok(v.ret == TC_ACT_OK && v.priority == 0x00010020 && !v.mark &&
	       s1[FLOWPIC_CNT_PRIORITISED] - s0[FLOWPIC_CNT_PRIORITISED] == 1,
	       "skb->priority %#x read back, counted", v.priority);

	/* The unknown class has its own slot. */
	tap_ok(!policy(dp, FLOWPIC_CLASS_UNKNOWN, FLOWPIC_ACT_MARK, 7) &&
	       !bpf_test_label(dp, &f, FLOWPIC_CLASS_UNKNOWN), "unknown -> mark 7");
	v = xmit(dp, &f);
	tap_ok(v.mark == 7, "unknown-class flow marked %u", v.mark);

	/* The loader refuses what the kernel would not do. */
	pb_key(&f, &k);
	l = (struct flowpic_label){ .class_id = FLOWPIC_CLASS_UNKNOWN + 1 };
	tap_ok(datapath_set_label(dp, &k, &l) == -EINVAL,
	       "label class %u refused", l.class_id);
	l = (struct flowpic_label){ .class_id = 1, .confidence = 10001 };
	tap_ok(datapath_set_label(dp, &k, &l) == -EINVAL,
	       "confidence above 10000 refused");
	{
		struct flowpic_key swapped = k;

		memcpy(swapped.lo_addr, k.hi_addr, 16);
		memcpy(swapped.hi_addr, k.lo_addr, 16);
		l = (struct flowpic_label){ .class_id = 1 };
		tap_ok(datapath_set_label(dp, &swapped, &l) == -EINVAL,
		       "non-canonical key refused");
	}
	{
		struct pb_spec other = udp(5999, 0);

		tap_ok(bpf_test_label(dp, &other, 1) == -ENOENT,
		       "label of a flow not in the table: -ENOENT");
	}
	tap_ok(policy(dp, FLOWPIC_POLICY_SLOTS, FLOWPIC_ACT_DROP, 0) == -EINVAL &&
	       policy(dp, 1, 9, 0) == -EINVAL &&
	       policy(dp, 1, FLOWPIC_ACT_DROP, 5) == -EINVAL,
	       "policy slot 65, action 9, drop with a value: refused");

	/*
	 * ... and the program does not trust what others write raw. A
	 * label written by hand applies once the generation moves (README);
	 * one out of range is never noted, so every packet counts it.
	 */
	fd = datapath_map_fd(dp, FLOWPIC_PIN_LABELS);
	l = (struct flowpic_label){ .class_id = 999 };
	bpf_map_update_elem(fd, &k, &l, BPF_ANY);
	bump_gen(dp);
	{
		struct flowpic_bpf_stats *bs0 = (void *)bpf_stats_sum(dp);
		struct flowpic_bpf_stats *bs1;

		v = xmit(dp, &f);
		bs1 = bpf_stats_sum(dp);
		tap_ok(v.ret == TC_ACT_OK && !v.mark && !v.priority &&
		       bs1->verdict_bad - bs0->verdict_bad == 1,
		       "raw label class 999, generation moved: passed untouched, counted");
		v = xmit(dp, &f);
		w = xmit(dp, &r);
		free(bs1);
		bs1 = bpf_stats_sum(dp);
		tap_ok(v.ret == TC_ACT_OK && !v.mark && !v.priority &&
		       w.ret == TC_ACT_OK && !w.mark && !w.priority &&
		       bs1->verdict_bad - bs0->verdict_bad == 3,
		       "raw label class 999: the next packets too, each counted (%llu)",
		       (unsigned long long)(bs1->verdict_bad - bs0->verdict_bad));
		free(bs0);
		free(bs1);
	}
	fd = datapath_map_fd(dp, FLOWPIC_PIN_POLICY);
	slot = 6;
	a = (struct flowpic_action){ .type = 77, .value = 1 };
	bpf_map_update_elem(fd, &slot, &a, BPF_ANY);
	l = (struct flowpic_label){ .class_id = 6 };
	bpf_map_update_elem(datapath_map_fd(dp, FLOWPIC_PIN_LABELS), &k, &l,
			    BPF_ANY);
	bump_gen(dp);
	v = xmit(dp, &f);
	tap_ok(v.ret == TC_ACT_OK && !v.mark && !v.priority,
	       "raw policy action 77: passed untouched");
	/* The policy is read on every packet: a hand edit applies at once. */
	a = (struct flowpic_action){ .type = FLOWPIC_ACT_DROP, .value = 3 };
	bpf_map_update_elem(fd, &slot, &a, BPF_ANY);
	v = xmit(dp, &f);
	tap_ok(v.ret == TC_ACT_OK, "raw drop with a value: passed untouched");
	a = (struct flowpic_action){ .type = FLOWPIC_ACT_DROP };
	bpf_map_update_elem(fd, &slot, &a, BPF_ANY);
	v = xmit(dp, &f);
	tap_ok(v.ret == TC_ACT_SHOT,
	       "policy written raw, generation unchanged: dropped from the next packet");

	/*
	 * The verdict outlives the flow's histogram: a spoofed RST (no
	 * sequence check) or the closing FINs end the histogram only, the
	 * next packet of the 5-tuple is still dropped (docs/verdicts.md).
	 */
	{
		struct pb_spec t = { .family = 6, .src = V6A, .dst = V6B,
				     .sport = 5002, .dport = 443, .proto = 6,
				     .payload = 10 };
		struct pb_spec tr = t;
		struct verdict x;

		tr.src = V6B;
		tr.dst = V6A;
		tr.sport = 443;
		tr.dport = 5002;
		xmit(dp, &t);
		tap_ok(!bpf_test_label(dp, &t, 3), "TCP flow labelled 3 (drop)");
		t.tcp_flags = 0x04;
		v = xmit(dp, &t);
		t.tcp_flags = 0x02;
		w = xmit(dp, &t);
		pb_key(&t, &k);
		tap_ok(v.ret == TC_ACT_SHOT && w.ret == TC_ACT_SHOT &&
		       !bpf_map_lookup_elem(datapath_map_fd(dp, FLOWPIC_PIN_LABELS),
					    &k, &l) && l.class_id == 3,
		       "RST dropped and its histogram ended; the verdict stays, the next SYN is dropped too");
		t.tcp_flags = 0x01;
		tr.tcp_flags = 0x01;
		v = xmit(dp, &t);
		w = xmit(dp, &tr);
		t.tcp_flags = 0x10;
		x = xmit(dp, &t);
		tap_ok(v.ret == TC_ACT_SHOT && w.ret == TC_ACT_SHOT &&
		       x.ret == TC_ACT_SHOT &&
		       datapath_flow(dp, &k, NULL, NULL, 0) == 0,
		       "FIN both ways dropped; the next packet is dropped too");
	}
	datapath_clear_label(dp, &k);
	bpf_test_datapath_done(dp);
	return tap_done();
}
