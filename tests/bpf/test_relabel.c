// SPDX-License-Identifier: GPL-2.0
/*
 * Two CPUs on one flow across relabels: two threads, each pinned to its
 * own CPU, run the tc program on packets of one flow (both directions)
 * while the main thread relabels it again and again, cycling through
 * classes whose policies are each a distinct mark, and one that drops.
 * Relabel k is published to the workers only after its label is written;
 * a packet a worker sends after reading k must get the action of label
 * k or of k + 1 (written but not yet published), never an older one: no
 * CPU may apply a stale verdict. The next relabel waits until both
 * workers have sent packets under the current one. Then bursts of
 * relabels as fast as the maps take them, the workers still sending:
 * after each burst the flow's next packet must get the last label's
 * action (a verdict cached beside the flow, written without its lock,
 * could keep an older label's action under the newest generation).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "flowpic.h"
#include "live/datapath.h"
#include "unit/test.h"
#include "bpf/bpf_test.h"
#include "bpf/pkt_build.h"

#define CLASSES		16	/* the cycle: class 1..15 mark, 16 drops */
#define DROP_CLASS	CLASSES
#define RELABELS	3000
#define PER_RELABEL	8	/* packets per worker under each label */
#define MARK(c)		(0xf1000000U | (c))
#define BURSTS		2000
#define PER_BURST	7	/* relabels, prime to the cycle */

struct worker {
	int cpu;
	int prog_fd;
	int rev;
	pthread_t thread;
	atomic_uint seen;	/* packets sent under the current relabel */
	unsigned long packets, stale, errors;
	char first[160];
};

static atomic_uint published;	/* the last relabel written and announced */
static atomic_int stop;
static atomic_int bursting;	/* relabels unannounced: no checks */

static unsigned int class_of(unsigned int k)
{
	return 1 + k % CLASSES;
}

static struct pb_spec spec(int rev)
{
	struct pb_spec s = { .family = 4, .src = "192.0.2.70",
			     .dst = "198.51.100.80", .sport = 7100,
			     .dport = 7101, .proto = 17, .payload = 200 };

	if (rev) {
		s.src = "198.51.100.80";
		s.dst = "192.0.2.70";
		s.sport = 7101;
		s.dport = 7100;
	}
	return s;
}

/* The class whose action the program applied: 0 when none of the cycle. */
static unsigned int class_applied(__u32 ret, __u32 mark)
{
	if (ret == TC_ACT_SHOT)
		return DROP_CLASS;
	if (ret == TC_ACT_OK && (mark & 0xffffff00U) == 0xf1000000U &&
	    (mark & 0xff) >= 1 && (mark & 0xff) < DROP_CLASS)
		return mark & 0xff;
	return 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct pb_spec s = spec(w->rev);
	uint8_t buf[PB_MAX];
	size_t len = pb_build(buf, &s, NULL);
	unsigned int k, got;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
		w->errors++;
		return NULL;
	}
	while (!atomic_load(&stop)) {
		struct __sk_buff out = {};
		__u32 ret = 99;

		k = atomic_load(&published);
		if (atomic_load(&bursting)) {
			bpf_test_run_pkt(w->prog_fd, buf, len, &ret, &out);
			continue;
		}
		if (bpf_test_run_pkt(w->prog_fd, buf, len, &ret, &out)) {
			w->errors++;
			continue;
		}
		w->packets++;
		/* a burst began while this packet ran: its label is unknown */
		if (atomic_load(&bursting))
			continue;
		got = class_applied(ret, out.mark);
		if (got != class_of(k) && got != class_of(k + 1)) {
			if (!w->stale++)
				snprintf(w->first, sizeof(w->first),
					 "relabel %u (class %u): verdict %u mark %#x, class %u",
					 k, class_of(k), ret, out.mark, got);
		}
		if (atomic_load(&published) == k)
			atomic_fetch_add(&w->seen, 1);
	}
	return NULL;
}

static int label(struct datapath *dp, unsigned int k)
{
	struct pb_spec s = spec(0);

	return bpf_test_label(dp, &s, (__u16)class_of(k));
}

/* One packet of the flow: the class whose action it got, or -1. */
static int send_one(struct datapath *dp)
{
	struct pb_spec s = spec(0);
	struct __sk_buff out = {};
	uint8_t buf[PB_MAX];
	size_t len = pb_build(buf, &s, NULL);
	__u32 ret = 99;

	if (bpf_test_run_pkt(datapath_prog_fd(dp), buf, len, &ret, &out))
		return -1;
	return (int)class_applied(ret, out.mark);
}

int main(void)
{
	struct datapath_config c;
	struct worker w[2];
	struct datapath *dp;
	unsigned int k, cls;
	unsigned long waits = 0;
	char why[160];
	int i, err = 0;

	tap_header();
	tap_plan(4);
	if (!bpf_test_available(why, sizeof(why))) {
		tap_skip(why, "two CPUs on one flow across relabels");
		tap_done();
		return KSFT_SKIP_CODE;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		tap_skip("one CPU online", "two CPUs on one flow across relabels");
		tap_done();
		return KSFT_SKIP_CODE;
	}
	datapath_config_default(&c);
	dp = bpf_test_datapath("relabel", &c);
	if (!dp) {
		tap_ok(0, "load the tc program");
		return tap_done();
	}
	for (cls = 1; cls <= CLASSES && !err; cls++) {
		struct flowpic_action a = { .type = FLOWPIC_ACT_MARK,
					    .value = MARK(cls) };

		if (cls == DROP_CLASS)
			a = (struct flowpic_action){ .type = FLOWPIC_ACT_DROP };
		err = datapath_set_policy(dp, (uint16_t)cls, &a);
	}
	/* a first packet puts the flow in the table, to be labelled */
	if (!err && send_one(dp) < 0)
		err = -1;
	if (!err)
		err = label(dp, 0);
	tap_ok(!err, "policies of %d classes (%d marks, one drop), flow labelled",
	       CLASSES, CLASSES - 1);

	memset(w, 0, sizeof(w));
	for (i = 0; i < 2; i++) {
		w[i].cpu = i;
		w[i].rev = i;
		w[i].prog_fd = datapath_prog_fd(dp);
		pthread_create(&w[i].thread, NULL, work, &w[i]);
	}
	for (k = 0; k < RELABELS && !err; k++) {
		/* both workers sent under relabel k (bounded: 10 s) */
		for (i = 0; i < 2000000 &&
		     (atomic_load(&w[0].seen) < PER_RELABEL ||
		      atomic_load(&w[1].seen) < PER_RELABEL) &&
		     !w[0].errors && !w[1].errors; i++) {
			usleep(5);
			waits++;
		}
		if (i == 2000000 || w[0].errors || w[1].errors) {
			err = 1;
			break;
		}
		err = label(dp, k + 1);
		atomic_store(&w[0].seen, 0);
		atomic_store(&w[1].seen, 0);
		atomic_store(&published, k + 1);
	}
	{
		unsigned int b, r, bad = 0, first_bad = 0;
		int got = 0, first_got = 0;

		atomic_store(&bursting, 1);
		for (b = 0; b < BURSTS && !err; b++) {
			for (r = 0; r < PER_BURST && !err; r++)
				err = label(dp, ++k);
			usleep(20);	/* the workers go on meanwhile */
			got = send_one(dp);
			if (got != (int)class_of(k) && !bad++) {
				first_bad = k;
				first_got = got;
			}
		}
		tap_ok(!err && !bad,
		       "%u bursts of %d relabels under traffic from both CPUs: the next packet has the last label's action after %u (first miss: relabel %u, class %u, got %d)",
		       b, PER_BURST, b - bad, first_bad, class_of(first_bad),
		       first_got);
	}
	atomic_store(&stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(w[i].thread, NULL);
	tap_ok(!err && k == RELABELS + BURSTS * PER_BURST,
	       "%u relabels, %d each seen by both CPUs (%lu + %lu packets, %lu run errors)",
	       k, RELABELS, w[0].packets, w[1].packets, w[0].errors + w[1].errors);
	tap_ok(!w[0].stale && !w[1].stale,
	       "no stale verdict: %lu + %lu packets with an older label's action%s%s",
	       w[0].stale, w[1].stale,
	       w[0].stale ? "; CPU 0 first: " : w[1].stale ? "; CPU 1 first: " : "",
	       w[0].stale ? w[0].first : w[1].first);
	bpf_test_datapath_done(dp);
	return tap_done();
}
