// SPDX-License-Identifier: GPL-2.0
/*
 * bench_datapath: the tc program's cost next to its baseline
 * (tests/bpf/baseline.bpf.c: the same parser and map type, a packet count
 * per flow and nothing else), in the same run, through
 * BPF_PROG_TEST_RUN, with the empty program's cost (the test run's own)
 * as the floor; and the kernel memory a tracked flow costs.
 *
 *   bench_datapath [ROUNDS]
 *
 * Prints "name value unit" lines and ratios; tests/bench/bench_datapath.sh
 * adds the veth throughput. Rounds alternate the two programs and the
 * best round of each counts, since the machine is shared.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowpic.h"
#include "live/datapath.h"
#include "unit/tap.h"
#include "bpf/bpf_test.h"
#include "bpf/pkt_build.h"
#include "baseline.skel.h"

#define ESTABLISHED_REPEAT	1000000
#define NEW_FLOWS		20000

static double run_ns(int fd, const uint8_t *pkt, size_t len, int repeat)
{
	struct __sk_buff ctx = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
		    .data_size_in = (__u32)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "bench_datapath: BPF_PROG_TEST_RUN: %s\n",
			strerror(errno));
		exit(1);
	}
	return o.duration;	/* mean ns per run */
}

/*
 * The empty tc program (r0 = TC_ACT_OK; exit): what BPF_PROG_TEST_RUN
 * costs per run by itself, the floor under any program's figure.
 */
static int empty_prog(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = TC_ACT_OK },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "empty_tc", "GPL",
			       insns, sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0) {
		fprintf(stderr, "bench_datapath: loading the empty program: %s\n",
			strerror(-fd));
		exit(1);
	}
	return fd;
}

static size_t tcp_packet(uint8_t *buf, int sport)
{
	struct pb_spec s = { .family = 4, .src = "192.0.2.1",
			     .dst = "198.51.100.7", .sport = sport,
			     .dport = 443, .proto = 6, .payload = 1000 };

	return pb_build(buf, &s, NULL);
}

/* Mean ns of a first packet, over NEW_FLOWS flows never seen before. */
static double new_flow_ns(int fd, int base)
{
	uint8_t buf[PB_MAX];
	double sum = 0;
	int i;

	for (i = 0; i < NEW_FLOWS; i++) {
		size_t len = tcp_packet(buf, base + i);

		sum += run_ns(fd, buf, len, 1);
	}
	return sum / NEW_FLOWS;
}

/* The kernel's own account of a map's memory (fdinfo "memlock"). */
static long long map_memlock(int fd)
{
	char path[64], line[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void clear_map(int fd, size_t key_size)
{
	uint8_t key[64], next[64];

	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key))
			break;
	}
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5, r;
	double fe = 1e18, be = 1e18, fn = 1e18, bn = 1e18, fl = 1e18;
	double fz = 1e18;
	struct datapath_config c;
	struct baseline_bpf *base;
	struct datapath *dp;
	uint8_t pkt[PB_MAX];
	char why[160];
	size_t len;
	int ffd, bfd, zfd, flows_fd;

	if (!bpf_test_available(why, sizeof(why))) {
		printf("# SKIP: %s\n", why);
		return KSFT_SKIP_CODE;
	}
	datapath_config_default(&c);	/* 32x32, 1 channel, 65536 flows */
	dp = bpf_test_datapath("bench", &c);
	base = baseline_bpf__open_and_load();
	if (!dp || !base) {
		fprintf(stderr, "bench_datapath: cannot load the programs\n");
		return 1;
	}
	ffd = datapath_prog_fd(dp);
	bfd = bpf_program__fd(base->progs.baseline_tc);
	zfd = empty_prog();
	flows_fd = datapath_map_fd(dp, FLOWPIC_PIN_FLOWS);

	len = tcp_packet(pkt, 1000);
	run_ns(ffd, pkt, len, 1);	/* the flow exists from here on */
	run_ns(bfd, pkt, len, 1);
	for (r = 0; r < rounds; r++) {
		double a = run_ns(ffd, pkt, len, ESTABLISHED_REPEAT);
		double b = run_ns(bfd, pkt, len, ESTABLISHED_REPEAT);
		double z = run_ns(zfd, pkt, len, ESTABLISHED_REPEAT);

		fe = a < fe ? a : fe;
		be = b < be ? b : be;
		fz = z < fz ? z : fz;
	}
	/*
	 * The same flow labelled, its class marked: the verdict read on
	 * every packet (docs/verdicts.md) is paid here.
	 */
	{
		struct flowpic_action mark = { .type = FLOWPIC_ACT_MARK,
					       .value = 7 };
		struct flowpic_label l = { .class_id = 2, .confidence = 9000 };
		struct pb_spec s = { .family = 4, .src = "192.0.2.1",
				     .dst = "198.51.100.7", .sport = 1000,
				     .dport = 443, .proto = 6 };
		struct flowpic_key k;

		pb_key(&s, &k);
		if (datapath_set_policy(dp, 2, &mark) ||
		    datapath_set_label(dp, &k, &l))
			fprintf(stderr, "bench_datapath: labelling the flow failed\n");
		for (r = 0; r < rounds; r++) {
			double a = run_ns(ffd, pkt, len, ESTABLISHED_REPEAT);

			fl = a < fl ? a : fl;
		}
	}
	for (r = 0; r < rounds; r++) {
		double a, b;

		clear_map(flows_fd, sizeof(struct flowpic_key));
		clear_map(bpf_map__fd(base->maps.counts),
			  sizeof(struct flowpic_key));
		a = new_flow_ns(ffd, 2000);
		b = new_flow_ns(bfd, 2000);
		fn = a < fn ? a : fn;
		bn = b < bn ? b : bn;
	}
	printf("established_flow_ns %.0f ns (baseline %.0f ns)\n", fe, be);
	printf("established_flow_ratio %.2f (goal <= 1.25)\n", fe / be);
	printf("empty_prog_ns %.0f ns (BPF_PROG_TEST_RUN's own cost per run: the floor)\n",
	       fz);
	if (be > fz)
		printf("established_flow_ratio_above_floor %.2f ((flowpic - empty) / (baseline - empty))\n",
		       (fe - fz) / (be - fz));
	printf("labelled_flow_ns %.0f ns (ratio to baseline %.2f)\n", fl,
	       fl / be);
	printf("new_flow_ns %.0f ns (baseline %.0f ns)\n", fn, bn);
	printf("new_flow_ratio %.2f\n", fn / bn);
	{
		long long m = map_memlock(flows_fd);
		long long lb = map_memlock(datapath_map_fd(dp, FLOWPIC_PIN_LABELS));

		if (m > 0 && lb >= 0)
			printf("memory_per_flow %.0f bytes (flow table %lld + label table buckets %lld bytes / %u flows, 32x32 one channel; goal <= 1536)\n",
			       (double)(m + lb) / c.max_flows, m, lb, c.max_flows);
		printf("# a labelled flow adds one label element (%zu-byte key, 16-byte label, the kernel's element header)\n",
		       sizeof(struct flowpic_key));
	}
	close(zfd);
	bpf_test_datapath_done(dp);
	baseline_bpf__destroy(base);
	return 0;
}
