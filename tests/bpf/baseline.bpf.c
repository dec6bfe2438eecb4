// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's baseline: bpf/datapath.bpf.c's parsing and map type,
 * but only a packet count per flow. What flowpic costs on top of this is
 * the price of its histograms, windows and labels.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "flowpic.h"
#include "flowpic_parse.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLOWPIC_BPF_MAX_FLOWS);
	__type(key, struct flowpic_key);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tc")
int baseline_tc(struct __sk_buff *skb)
{
	struct pkt p = {};
	__u64 one = 1, *c;

	if (parse_packet(skb, &p, bpf_ktime_get_ns()) != PKT_FLOW)
		return TC_ACT_OK;
	c = bpf_map_lookup_elem(&counts, &p.key);
	if (c)
		__sync_fetch_and_add(c, 1);
	else
		bpf_map_update_elem(&counts, &p.key, &one, BPF_NOEXIST);
	return TC_ACT_OK;
}
