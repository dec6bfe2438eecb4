// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only tc program for datapath_verdicts.sh: drops everything on the
 * receiver's ingress after its capture saw it, so the receiver never
 * answers a bare segment with a RST of its own (this kernel has no
 * gact action or matchall classifier to do it with).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("classifier")
int sink(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}
