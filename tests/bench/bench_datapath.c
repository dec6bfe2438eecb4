// SPDX-License-Identifier: GPL-2.0
/*
 * bench_datapath: the tc program's cost next to its baseline
 * (tests/bpf/baseline.bpf.c: the same parser and map type, a packet count
 * per flow and nothing else), in the same run, through
 * BPF_PROG_TEST_RUN, with the empty program's cost (the test run's own)
 * as the floor; and the kernel memory a tracked flow costs.
 *
 *   bench_datapath [ROUNDS [JIT_DIR]]
 *
 * Prints "name value unit" lines and ratios; tests/bench/bench_datapath.sh
 * adds the veth throughput. Each round runs every program once on its
 * packet (ESTABLISHED_REPEAT runs), in an order that rotates from round to
 * round; a figure is the median over rounds, a ratio the median of the
 * rounds' own ratios (both programs measured within a second of each
 * other), with its range, since the machine is shared. With JIT_DIR, the
 * programs' JIT images go there (NAME.jit, raw x86) for the script to
 * count their instructions.
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

#define ESTABLISHED_REPEAT	50000
/*
 * A GSO packet BPF_PROG_TEST_RUN takes (its data fits a page): 3,000
 * bytes of TCP payload in segments of 200, 15 on the wire.
 */
#define GSO_SIZE		200
#define GSO_PAYLOAD		3000
#define NEW_FLOWS		20000

static double run_gso_ns(int fd, const uint8_t *pkt, size_t len, int repeat,
			 __u32 gso_size)
{
	struct __sk_buff ctx = { .gso_size = gso_size };
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

static double run_ns(int fd, const uint8_t *pkt, size_t len, int repeat)
{
	return run_gso_ns(fd, pkt, len, repeat, 0);
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

static size_t tcp_packet_of(uint8_t *buf, int sport, int payload)
{
	struct pb_spec s = { .family = 4, .src = "192.0.2.1",
			     .dst = "198.51.100.7", .sport = sport,
			     .dport = 443, .proto = 6, .payload = payload };

	return pb_build(buf, &s, NULL);
}

static size_t tcp_packet(uint8_t *buf, int sport)
{
	return tcp_packet_of(buf, sport, 1000);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of @n values (sorted in place), and their range. */
static double median(double *v, int n, double *lo, double *hi)
{
	qsort(v, n, sizeof(*v), cmp_double);
	if (lo)
		*lo = v[0];
	if (hi)
		*hi = v[n - 1];
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * What the kernel made of a program: BPF instructions after the
 * verifier, JIT bytes, and the image written to @dir/@name.jit.
 */
static void jit_facts(int fd, const char *name, const char *dir)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), jl, xl;
	uint8_t *img;
	char path[512];
	FILE *f;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	jl = info.jited_prog_len;
	xl = info.xlated_prog_len;
	printf("prog_size %s %u BPF instructions after the verifier, %u bytes of JIT code\n",
	       name, xl / 8, jl);
	if (!dir || !jl || !(img = malloc(jl)))
		return;
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = jl;
	info.jited_prog_insns = (uintptr_t)img;
	len = sizeof(info);
	snprintf(path, sizeof(path), "%s/%s.jit", dir, name);
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && (f = fopen(path, "w"))) {
		fwrite(img, 1, jl, f);
		fclose(f);
	}
	free(img);
}

/*
 * Mean ns of a packet of two flows that take turns, one run each, over
 * NEW_FLOWS turns: in the tc program the two share a verdict note's
 * slot, so every packet finds the other flow's note there.
 */
static double turns_ns(int fd, const uint8_t *a, size_t alen,
		       const uint8_t *b, size_t blen)
{
	double sum = 0;
	int i;

	for (i = 0; i < NEW_FLOWS; i++) {
		sum += run_ns(fd, a, alen, 1);
		sum += run_ns(fd, b, blen, 1);
	}
	return sum / (2 * NEW_FLOWS);
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
	int rounds = argc > 1 ? atoi(argv[1]) : 41, r, i;
	const char *jit_dir = argc > 2 ? argv[2] : NULL;
	enum { FLOWPIC, LABELLED, BASE, EMPTY, FLOWPIC_GSO, BASE_GSO, RUNS };
	static const char *const names[RUNS] = {
		"flowpic", "flowpic_labelled", "baseline", "empty",
		"flowpic_gso", "baseline_gso",
	};
	double *ns[RUNS], rat[4][64], fn = 1e18, bn = 1e18, lo, hi;
	struct datapath_config c;
	struct baseline_bpf *base;
	struct datapath *dp;
	uint8_t pkt[PB_MAX], lpkt[PB_MAX], upkt[PB_MAX];
	uint8_t gpkt[PB_MAX * 2];
	int fd[RUNS];
	size_t len, llen, ulen, glen;
	double tn = 1e18, tb = 1e18;
	__u32 gso[RUNS] = { 0 };
	const uint8_t *pk[RUNS];
	size_t pl[RUNS];
	char why[160];
	int ffd, bfd, zfd, flows_fd;

	if (!bpf_test_available(why, sizeof(why))) {
		printf("# SKIP: %s\n", why);
		return KSFT_SKIP_CODE;
	}
	if (rounds < 1 || rounds > 64)
		rounds = 41;
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
	jit_facts(ffd, "flowpic", jit_dir);
	jit_facts(bfd, "baseline", jit_dir);
	jit_facts(zfd, "empty", jit_dir);

	/*
	 * Three established flows: one unlabelled, one labelled with a mark
	 * (its label's class noted per CPU, docs/verdicts.md, and its
	 * action read from the policy on every packet), and one of GSO
	 * packets (15 segments each, binned as the wire carries them).
	 * Besides, a UDP flow of the labelled flow's addresses and ports,
	 * labelled too: the two share a note's slot, so taking turns, each
	 * packet of either reads the labels map again.
	 */
	len = tcp_packet(pkt, 1000);
	llen = tcp_packet(lpkt, 1001);
	{
		struct pb_spec u = { .family = 4, .src = "192.0.2.1",
				     .dst = "198.51.100.7", .sport = 1001,
				     .dport = 443, .proto = 17, .payload = 1000 };

		ulen = pb_build(upkt, &u, NULL);
	}
	memset(gpkt, 0, sizeof(gpkt));
	glen = tcp_packet_of(gpkt, 1002, GSO_PAYLOAD);
	{
		struct flowpic_action mark = { .type = FLOWPIC_ACT_MARK,
					       .value = 7 };
		struct flowpic_label l = { .class_id = 2, .confidence = 9000 };
		struct pb_spec s = { .family = 4, .src = "192.0.2.1",
				     .dst = "198.51.100.7", .sport = 1001,
				     .dport = 443, .proto = 6 };
		struct flowpic_key k;

		run_ns(ffd, lpkt, llen, 1);
		run_ns(ffd, upkt, ulen, 1);
		pb_key(&s, &k);
		if (datapath_set_policy(dp, 2, &mark) ||
		    datapath_set_label(dp, &k, &l))
			fprintf(stderr, "bench_datapath: labelling the flow failed\n");
		s.proto = 17;
		pb_key(&s, &k);
		if (datapath_set_label(dp, &k, &l))
			fprintf(stderr, "bench_datapath: labelling the UDP flow failed\n");
	}
	fd[FLOWPIC] = ffd;
	fd[LABELLED] = ffd;
	fd[BASE] = bfd;
	fd[EMPTY] = zfd;
	fd[FLOWPIC_GSO] = ffd;
	fd[BASE_GSO] = bfd;
	for (i = 0; i < RUNS; i++) {
		pk[i] = i == LABELLED ? lpkt : pkt;
		pl[i] = i == LABELLED ? llen : len;
		if (i == FLOWPIC_GSO || i == BASE_GSO) {
			pk[i] = gpkt;
			pl[i] = glen;
			gso[i] = GSO_SIZE;
		}
		ns[i] = calloc(rounds, sizeof(double));
		if (!ns[i])
			return 1;
		run_gso_ns(fd[i], pk[i], pl[i], 1, gso[i]);	/* the flow exists */
	}
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < RUNS; i++) {
			int j = (i + r) % RUNS;

			ns[j][r] = run_gso_ns(fd[j], pk[j], pl[j],
					      ESTABLISHED_REPEAT, gso[j]);
		}
		rat[0][r] = ns[FLOWPIC][r] / ns[BASE][r];
		rat[1][r] = ns[LABELLED][r] / ns[BASE][r];
		rat[2][r] = (ns[FLOWPIC][r] - ns[EMPTY][r]) /
			    (ns[BASE][r] - ns[EMPTY][r]);
		rat[3][r] = ns[FLOWPIC_GSO][r] / ns[BASE_GSO][r];
	}
	for (r = 0; r < 3; r++) {
		double a = turns_ns(ffd, lpkt, llen, upkt, ulen);
		double b = turns_ns(bfd, lpkt, llen, upkt, ulen);

		tn = a < tn ? a : tn;
		tb = b < tb ? b : tb;
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
		if (r == 2)
			break;	/* 3 rounds of 20,000 new flows: enough */
	}
	printf("# %d rounds of %d runs per program, medians (range)\n", rounds,
	       ESTABLISHED_REPEAT);
	for (i = 0; i < RUNS; i++) {
		double m = median(ns[i], rounds, &lo, &hi);

		printf("%s_ns %.1f ns (%.1f .. %.1f)\n", names[i], m, lo, hi);
	}
	{
		double m = median(rat[0], rounds, &lo, &hi);

		printf("established_flow_ratio %.3f (%.3f .. %.3f) flowpic / baseline (goal <= 1.25: %s)\n",
		       m, lo, hi, m <= 1.25 ? "met" : "NOT met");
		m = median(rat[2], rounds, &lo, &hi);
		printf("established_flow_ratio_above_floor %.3f (%.3f .. %.3f) ((flowpic - empty) / (baseline - empty))\n",
		       m, lo, hi);
		m = median(rat[1], rounds, &lo, &hi);
		printf("labelled_flow_ratio %.3f (%.3f .. %.3f) labelled flowpic / baseline\n",
		       m, lo, hi);
		m = median(rat[3], rounds, &lo, &hi);
		printf("gso_packet_ratio %.3f (%.3f .. %.3f) flowpic / baseline on a GSO packet of 15 segments\n",
		       m, lo, hi);
	}
	printf("labelled_shared_slot_ns %.0f ns (baseline %.0f ns; two labelled flows sharing a note's slot, taking turns, one run each; best of 3 x %d turns)\n",
	       tn, tb, NEW_FLOWS);
	printf("labelled_shared_slot_ratio %.2f\n", tn / tb);
	printf("new_flow_ns %.0f ns (baseline %.0f ns; best of 3 x %d flows)\n",
	       fn, bn, NEW_FLOWS);
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
	for (i = 0; i < RUNS; i++)
		free(ns[i]);
	close(zfd);
	bpf_test_datapath_done(dp);
	baseline_bpf__destroy(base);
	return 0;
}
