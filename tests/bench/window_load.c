// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded synthetic load of completed windows for bench_daemon.sh: runs
 * the pinned tc program (BPF_PROG_TEST_RUN, the real program, maps and
 * ring buffer) on crafted UDP packets so that RATE windows complete per
 * second, and measures for each the time from the packet that completed
 * it to its label being in the kernel's labels map (label.set_ns, which
 * flowpicd writes just before the update, on the same CLOCK_MONOTONIC).
 *
 * Windows complete by time, as on a real host with long-lived flows:
 * F = RATE * window flows, flow i opened at t0 + i / RATE (one packet),
 * then given one packet a window later and every window after that,
 * each of which completes the flow's previous window; so RATE windows
 * complete per second over F flows, each flow's labelled again and
 * again. Every completed window's label is read back CHECK_MS after its
 * completing packet; a label not there then (or another window's)
 * counts as late (its latency is at least CHECK_MS).
 *
 * usage: window_load PIN_DIR RATE WINDOW_MS MEASURE_S CHECK_MS
 * prints: rate=R windows=N labelled=L late=M p50_us=X p99_us=Y max_us=Z
 *         behind_us=B (the most the load fell behind its schedule)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "flowpic.h"
#include "../bpf/datapath_maps.h"

struct pkt {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	unsigned char payload[172];
} __attribute__((packed));

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ULL),
			       .tv_nsec = (long)(t % 1000000000ULL) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* Flow @i: 192.0.2.(1 + i / 60000):(1024 + i % 60000) -> 198.51.100.1:5004 */
static void make_pkt(struct pkt *p, uint32_t i)
{
	memset(p, 0, sizeof(*p));
	p->eth.h_proto = htons(ETH_P_IP);
	p->ip.version = 4;
	p->ip.ihl = 5;
	p->ip.ttl = 64;
	p->ip.protocol = 17;
	p->ip.tot_len = htons(sizeof(*p) - sizeof(p->eth));
	p->ip.saddr = htonl(0xc0000201 + i / 60000);
	p->ip.daddr = htonl(0xc6336401);
	p->udp.source = htons(1024 + i % 60000);
	p->udp.dest = htons(5004);
	p->udp.len = htons(sizeof(*p) - sizeof(p->eth) - sizeof(p->ip));
}

static void make_key(struct flowpic_key *k, const struct pkt *p)
{
	memset(k, 0, sizeof(*k));
	flowpic_addr_from_v4(k->lo_addr, p->ip.saddr);
	flowpic_addr_from_v4(k->hi_addr, p->ip.daddr);
	k->lo_port = p->udp.source;
	k->hi_port = p->udp.dest;
	k->proto = 17;
	k->family = FLOWPIC_FAMILY_IPV4;
	flowpic_key_canon(k);
}

static int run(int prog, uint32_t i)
{
	struct pkt p;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = &p,
		    .data_size_in = sizeof(p), .repeat = 1);

	make_pkt(&p, i);
	return bpf_prog_test_run_opts(prog, &o);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint64_t window_ns, measure_ns, check_ns, period, margin, t0, t1;
	uint64_t behind = 0, *sent, *lat;
	uint32_t rate, nflows, nmeasure, i, labelled = 0, late = 0;
	uint32_t opened = 0, done = 0, checked = 0;
	char path[512];
	int prog, labels;

	if (argc != 6) {
		fprintf(stderr, "usage: window_load PIN_DIR RATE WINDOW_MS "
			"MEASURE_S CHECK_MS\n");
		return 2;
	}
	rate = (uint32_t)atoi(argv[2]);
	window_ns = strtoull(argv[3], NULL, 10) * 1000000ULL;
	measure_ns = strtoull(argv[4], NULL, 10) * 1000000000ULL;
	check_ns = strtoull(argv[5], NULL, 10) * 1000000ULL;
	if (!rate || !window_ns || !measure_ns || !check_ns ||
	    check_ns >= window_ns)
		return 2;
	period = 1000000000ULL / rate;
	nflows = (uint32_t)(window_ns / period);
	nmeasure = (uint32_t)(measure_ns / period);
	if (!nflows || nflows > 60000U * 200) {
		fprintf(stderr, "window_load: %u flows is not 1 .. %u\n",
			nflows, 60000U * 200);
		return 2;
	}
	/*
	 * Each packet a quarter into its window: a flow's opening may slip
	 * by a quarter window, a completion by three quarters, before a
	 * window is missed.
	 */
	margin = window_ns / 4;
	snprintf(path, sizeof(path), "%s/%s", argv[1], FLOWPIC_PIN_PROG);
	prog = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/%s", argv[1], FLOWPIC_PIN_LABELS);
	labels = bpf_obj_get(path);
	if (prog < 0 || labels < 0) {
		fprintf(stderr, "window_load: %s/{%s,%s}: %s\n", argv[1],
			FLOWPIC_PIN_PROG, FLOWPIC_PIN_LABELS, strerror(errno));
		return 1;
	}
	sent = calloc(nmeasure, sizeof(*sent));
	lat = calloc(nmeasure, sizeof(*lat));
	if (!sent || !lat)
		return 1;

	/*
	 * One schedule: flow i opens at t0 + i * period; completion j (of
	 * flow j % F's window j / F) at t0 + (j / F + 1) * window + margin
	 * + (j % F) * period; its label is read check_ns after it was sent.
	 * Whatever is due is done, in time order, then the next is slept
	 * for.
	 */
	t0 = now_ns() + 100000000ULL;
	while (checked < nmeasure) {
		uint64_t t_open = opened < nflows ?
			t0 + (uint64_t)opened * period : UINT64_MAX;
		uint64_t t_done = done < nmeasure ?
			t0 + (uint64_t)(done / nflows + 1) * window_ns +
			margin + (uint64_t)(done % nflows) * period :
			UINT64_MAX;
		uint64_t t_chk = checked < done ? sent[checked] + check_ns :
				 UINT64_MAX;
		uint64_t t = t_open < t_done ? t_open : t_done, now;

		if (t_chk < t)
			t = t_chk;
		now = now_ns();
		if (t > now) {
			sleep_until(t);
		} else if (now - t > behind) {
			behind = now - t;
		}
		if (t == t_open) {
			run(prog, opened++);
		} else if (t == t_done) {
			sent[done] = now_ns();
			run(prog, done % nflows);
			done++;
		} else {
			struct flowpic_label l;
			struct flowpic_key k;
			struct pkt p;

			make_pkt(&p, checked % nflows);
			make_key(&k, &p);
			/*
			 * The label of the window this packet completed:
			 * an older one is late, and so is a later one
			 * (only when the load fell a window behind): its
			 * own label cannot be told apart any more.
			 */
			if (!bpf_map_lookup_elem(labels, &k, &l) &&
			    l.set_ns >= sent[checked] &&
			    l.window == checked / nflows)
				lat[labelled++] = l.set_ns - sent[checked];
			else
				late++;
			checked++;
		}
	}
	t1 = now_ns();
	qsort(lat, labelled, sizeof(*lat), cmp_u64);
	/* Late windows rank above every labelled one. */
	i = (uint32_t)((checked - 1) * 0.99);
	printf("rate=%u windows=%u labelled=%u late=%u p50_us=%.1f "
	       "p99_us=%s%.1f max_us=%.1f behind_us=%.1f elapsed_s=%.1f\n",
	       rate, checked, labelled, late,
	       labelled > checked / 2 ? lat[checked / 2] / 1000.0 : -1.0,
	       i >= labelled ? ">" : "",
	       i < labelled ? lat[i] / 1000.0 : check_ns / 1000.0,
	       labelled ? lat[labelled - 1] / 1000.0 : 0.0,
	       behind / 1000.0, (double)(t1 - t0) / 1e9);
	return 0;
}
