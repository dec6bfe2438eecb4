// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only HTB classifier for datapath_policy.sh: picks the filter's
 * class for packets carrying mark 0x77, so the qdisc's class counters
 * show how many packets flowpic marked. (This kernel's u32 cannot match
 * marks and has no fw classifier.)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("classifier")
int mark_class(struct __sk_buff *skb)
{
	return skb->mark == 0x77 ? -1 : 0;	/* -1: the filter's classid */
}
