/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF tests share: whether BPF can run here at all (root and a
 * bpf() that loads a tc program), and BPF_PROG_TEST_RUN on a packet.
 */
#ifndef _FLOWPIC_TEST_BPF_H
#define _FLOWPIC_TEST_BPF_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "../../bpf/datapath_maps.h"

/* kselftest's "skip" exit code */
#define KSFT_SKIP_CODE	4

/* 1 when a tc program can be loaded; otherwise 0 and why in @why. */
static inline int bpf_test_available(char *why, size_t len)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd;

	if (geteuid() != 0) {
		snprintf(why, len, "not root (BPF_PROG_TEST_RUN needs CAP_BPF and CAP_NET_ADMIN)");
		return 0;
	}
	fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "probe", "GPL", insns, 2,
			   NULL);
	if (fd < 0) {
		snprintf(why, len, "bpf() cannot load a tc program: %s",
			 strerror(errno));
		return 0;
	}
	close(fd);
	return 1;
}

/*
 * Runs @prog_fd once on @pkt; the verdict in *@retval, and skb->mark and
 * skb->priority as the program left them in @ctx_out (may be NULL).
 */
static inline int bpf_test_run_pkt(int prog_fd, const void *pkt, size_t len,
				   __u32 *retval, struct __sk_buff *ctx_out)
{
	struct __sk_buff ctx = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = pkt,
		.data_size_in = (__u32)len,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.ctx_out = ctx_out,
		.ctx_size_out = ctx_out ? sizeof(*ctx_out) : 0,
		.repeat = 1,
	);
	int ret = bpf_prog_test_run_opts(prog_fd, &opts);

	if (ret)
		return -errno;
	*retval = opts.retval;
	return 0;
}

#ifdef _FLOWPIC_USER_DATAPATH_H
/*
 * Loads the tc program for test @name with @c (NULL: defaults), pinned
 * in a directory of its own so tests never meet the daemon's maps.
 */
static inline struct datapath *bpf_test_datapath(const char *name,
						 struct datapath_config *c)
{
	static char dir[128];
	struct datapath_config def;
	struct datapath *dp;
	char err[512];

	if (!c) {
		datapath_config_default(&def);
		c = &def;
	}
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/flowpic-test-%s-%d", name,
		 (int)getpid());
	c->pin_dir = dir;
	c->reuse = 0;
	if (datapath_open(&dp, c, err, sizeof(err))) {
		printf("# datapath_open: %s\n", err);
		return NULL;
	}
	return dp;
}

/*
 * Every counter of the "stats" map, the tc program's own included,
 * summed over CPUs; the caller frees it.
 */
static inline struct flowpic_bpf_stats *bpf_stats_sum(struct datapath *dp)
{
	int ncpu = libbpf_num_possible_cpus(), cpu;
	struct flowpic_bpf_stats *per, *sum;
	__u32 zero = 0, i;

	sum = calloc(1, sizeof(*sum));
	per = calloc(ncpu > 0 ? ncpu : 1, sizeof(*per));
	if (!sum || !per || ncpu < 1 ||
	    bpf_map_lookup_elem(datapath_map_fd(dp, FLOWPIC_PIN_STATS), &zero,
				per)) {
		free(per);
		return sum;
	}
	for (cpu = 0; cpu < ncpu; cpu++)
		for (i = 0; i < sizeof(*sum) / 8; i++)
			((__u64 *)sum)[i] += ((__u64 *)&per[cpu])[i];
	free(per);
	return sum;
}

static inline void bpf_test_datapath_done(struct datapath *dp)
{
	if (!dp)
		return;
	/* FLOWPIC_TEST_KEEP=1 leaves the maps pinned for bpftool. */
	if (!getenv("FLOWPIC_TEST_KEEP"))
		datapath_unpin(dp);
	datapath_close(dp);
}

#include "pkt_build.h"

/* Labels the flow of packet @s with class @cls (confidence 0.95). */
static inline int bpf_test_label(struct datapath *dp, const struct pb_spec *s,
				 __u16 cls)
{
	struct flowpic_label l = { .class_id = cls, .confidence = 9500 };
	struct flowpic_key k;

	pb_key(s, &k);
	return datapath_set_label(dp, &k, &l);
}
#endif

#endif /* _FLOWPIC_TEST_BPF_H */
