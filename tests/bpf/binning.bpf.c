// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: runs include/flowpic_geom.h's flowpic_bin() in BPF on inputs
 * userspace writes into .bss, and leaves the result there, so that
 * tests/bpf/test_binning.c can check the shared vectors through
 * BPF_PROG_TEST_RUN.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "flowpic.h"

char LICENSE[] SEC("license") = "GPL";

struct flowpic_geom in_geom;
__u32 in_size;
__s64 in_dt;
__u32 in_ch;
__u32 out_flags;
__u32 out_index;
struct flowpic_cell out_cell;

SEC("tc")
int bin_vector(struct __sk_buff *skb)
{
	struct flowpic_geom g = in_geom;
	struct flowpic_cell c = {};

	out_flags = flowpic_bin(&g, in_size, in_dt, &c);
	out_cell = c;
	out_index = flowpic_cell_index(&g, in_ch, &c);
	return TC_ACT_OK;
}
