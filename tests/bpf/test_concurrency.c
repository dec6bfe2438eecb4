// SPDX-License-Identifier: GPL-2.0
/*
 * Two CPUs on one flow at once: two threads, each pinned to its own CPU,
 * run the tc program through BPF_PROG_TEST_RUN on packets of the same
 * flow, released together. Packet and byte counts, binned cells and the
 * counters must come out exact: every packet once, none lost to a race.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "flowpic.h"
#include "live/datapath.h"
#include "unit/test.h"
#include "bpf/bpf_test.h"
#include "bpf/pkt_build.h"

#define ROUNDS		24	/* one size row each */
#define PER_ROUND	120	/* x 2 threads = 240 < 255: no saturation */
#define BULK		400000	/* per thread, for the packet counters */

struct worker {
	int cpu;
	int prog_fd;
	int rev;		/* 0: lo -> hi, 1: hi -> lo */
	int failed;
	pthread_barrier_t *go;
};

static struct pb_spec spec(int rev, int payload)
{
	struct pb_spec s = { .family = 4, .src = "192.0.2.50",
			     .dst = "198.51.100.60", .sport = 7000,
			     .dport = 7001, .proto = 17, .payload = payload };

	if (rev) {
		s.src = "198.51.100.60";
		s.dst = "192.0.2.50";
		s.sport = 7001;
		s.dport = 7000;
	}
	return s;
}

static int run_rep(int fd, const struct pb_spec *s, int repeat)
{
	uint8_t buf[PB_MAX];
	struct __sk_buff ctx = {};
	size_t len = pb_build(buf, s, NULL);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
		    .data_size_in = (__u32)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);

	return bpf_prog_test_run_opts(fd, &opts) || opts.retval != TC_ACT_OK;
}

static int payload_of(int round)
{
	/* IP length 28 + payload lands in row (28 + p) * 32 / 1500. */
	return round * 60;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	cpu_set_t set;
	int r;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		w->failed = -1;
		return NULL;
	}
	for (r = 0; r < ROUNDS; r++) {
		struct pb_spec s = spec(w->rev, payload_of(r));

		pthread_barrier_wait(w->go);
		w->failed |= run_rep(w->prog_fd, &s, PER_ROUND);
	}
	{
		/* Both the same way now: the same packet counter too. */
		struct pb_spec s = spec(0, 1450);

		pthread_barrier_wait(w->go);
		w->failed |= run_rep(w->prog_fd, &s, BULK);
	}
	return NULL;
}

int main(void)
{
	uint8_t cells[FLOWPIC_BPF_CAP_MAX];
	uint64_t st[__FLOWPIC_CNT_MAX];
	struct datapath_config c;
	struct worker w[2];
	pthread_barrier_t go;
	pthread_t t[2];
	struct flowpic_window win;
	struct flowpic_key key;
	struct datapath *dp;
	char why[160];
	int i, r, bad = 0, dir;
	__u64 bytes_rounds[2] = { 0, 0 };

	tap_header();
	tap_plan(6);
	if (!bpf_test_available(why, sizeof(why))) {
		tap_skip(why, "two CPUs on one flow");
		tap_done();
		return KSFT_SKIP_CODE;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		tap_skip("one CPU online", "two CPUs on one flow");
		tap_done();
		return KSFT_SKIP_CODE;
	}
	datapath_config_default(&c);
	c.geom.window_ns = FLOWPIC_WINDOW_NS_MAX;	/* one window throughout */
	c.geom.channels = 1;				/* both threads, same cells */
	dp = bpf_test_datapath("concurrency", &c);
	if (!tap_ok(dp != NULL, "load"))
		return tap_done();

	pthread_barrier_init(&go, NULL, 2);
	for (i = 0; i < 2; i++) {
		w[i] = (struct worker){ .cpu = i, .prog_fd = datapath_prog_fd(dp),
					.rev = i, .go = &go };
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	tap_ok(!w[0].failed && !w[1].failed,
	       "both threads ran, on CPU 0 and CPU 1");

	{
		struct pb_spec s = spec(0, 0);

		dir = pb_key(&s, &key);
	}
	if (!tap_ok(!datapath_flow(dp, &key, &win, cells, sizeof(cells)),
		    "one flow in the table"))
		return tap_done();
	for (r = 0; r < ROUNDS; r++) {
		struct pb_spec s = spec(0, payload_of(r));
		__u32 size = pb_ip_len(&s), row = size * 32 / 1500;

		bytes_rounds[0] += (__u64)PER_ROUND * size;
		bytes_rounds[1] += (__u64)PER_ROUND * size;
		/* col 0 of a 1 h window: row * 32 */
		if (cells[row * 32] != 2 * PER_ROUND) {
			tap_diag("row %u: cell %u, want %u", row,
				 cells[row * 32], 2 * PER_ROUND);
			bad++;
		}
	}
	tap_ok(!bad, "%d cells hit by both CPUs at once hold exactly %d each",
	       ROUNDS, 2 * PER_ROUND);
	{
		__u64 rp = ROUNDS * PER_ROUND, fwd = rp + 2ULL * BULK;
		__u32 big = pb_ip_len(&(struct pb_spec){ .family = 4,
			.src = "192.0.2.50", .dst = "198.51.100.60",
			.proto = 17, .payload = 1450 });

		tap_ok(win.packets[dir] == fwd && win.packets[!dir] == rp &&
		       win.bytes[dir] == bytes_rounds[0] + 2ULL * BULK * big &&
		       win.bytes[!dir] == bytes_rounds[1],
		       "packets %u + %u, want %llu + %llu; bytes exact",
		       win.packets[dir], win.packets[!dir],
		       (unsigned long long)fwd, (unsigned long long)rp);
	}
	datapath_stats(dp, st);
	tap_ok(st[FLOWPIC_CNT_PACKETS] == 2ULL * (ROUNDS * PER_ROUND + BULK) &&
	       st[FLOWPIC_CNT_BINNED] == st[FLOWPIC_CNT_PACKETS] &&
	       st[FLOWPIC_CNT_FLOWS_NEW] == 1,
	       "counters: %llu packets, %llu binned, %llu flow(s)",
	       (unsigned long long)st[FLOWPIC_CNT_PACKETS],
	       (unsigned long long)st[FLOWPIC_CNT_BINNED],
	       (unsigned long long)st[FLOWPIC_CNT_FLOWS_NEW]);
	bpf_test_datapath_done(dp);
	return tap_done();
}
