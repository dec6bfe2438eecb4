// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded synthetic load of completed windows for bench_daemon.sh: runs
 * the pinned tc program (BPF_PROG_TEST_RUN, the real program, maps and
 * ring buffer) on crafted UDP packets so that RATE windows complete per
 * second, and measures for each the time from the packet that completed
 * it to its label being in the kernel's labels map (label.set_ns, which
 * flowpicd writes just before the update, on the same CLOCK_MONOTONIC).
 *
 * Windows complete by time, as on a real host: phase one opens F = RATE *
 * window flows at RATE flows per second (one packet each); phase two,
 * from one window length later, sends each flow a second packet in the
 * same order, which completes its window 0. Every flow's label is read
 * back CHECK_MS after its completing packet; a label missing then counts
 * as late (its latency is at least CHECK_MS).
 *
 * usage: window_load PIN_DIR RATE WINDOW_MS MEASURE_S CHECK_MS
 * prints: rate=R windows=N labelled=L late=M p50_us=X p99_us=Y max_us=Z
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
	uint64_t window_ns, measure_ns, check_ns, period, t0, t1, t;
	uint32_t rate, nflows, nmeasure, i, checked = 0, labelled = 0, late = 0;
	uint64_t *sent, *lat;
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
	if (!rate || !window_ns || !measure_ns || !check_ns)
		return 2;
	period = 1000000000ULL / rate;
	/* Flows opened during one window, plus those measured after. */
	nflows = (uint32_t)((window_ns + measure_ns) / period);
	nmeasure = (uint32_t)(measure_ns / period);
	if (nflows > 60000U * 200) {
		fprintf(stderr, "window_load: %u flows is too many\n", nflows);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/%s", argv[1], FLOWPIC_PIN_PROG);
	prog = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/%s", argv[1], FLOWPIC_PIN_LABELS);
	labels = bpf_obj_get(path);
	if (prog < 0 || labels < 0) {
		fprintf(stderr, "window_load: %s/{%s,%s}: %s\n", argv[1],
			FLOWPIC_PIN_PROG, FLOWPIC_PIN_LABELS, strerror(errno));
		return 1;
	}
	sent = calloc(nflows, sizeof(*sent));
	lat = calloc(nmeasure, sizeof(*lat));
	if (!sent || !lat)
		return 1;

	/*
	 * One schedule: flow i opens at t0 + i * period and completes at
	 * t0 + window + i * period (plus a margin past the window's end);
	 * only completions inside the measured span are checked.
	 */
	t0 = now_ns() + 100000000ULL;
	{
		uint32_t opened = 0, done = 0, next_check = 0;
		uint64_t margin = window_ns / 100 + 1000000ULL;

		while (done < nmeasure) {
			uint64_t t_open = t0 + (uint64_t)opened * period;
			uint64_t t_done = t0 + window_ns + margin +
					  (uint64_t)done * period;
			uint64_t t_chk = sent[next_check] ?
				sent[next_check] + check_ns : UINT64_MAX;

			if (next_check >= done)
				t_chk = UINT64_MAX;
			t = opened < nflows && t_open < t_done ? t_open : t_done;
			if (t_chk < t)
				t = t_chk;
			sleep_until(t);
			if (t == t_chk) {
				struct flowpic_label l;
				struct flowpic_key k;
				struct pkt p;

				make_pkt(&p, next_check);
				make_key(&k, &p);
				checked++;
				if (!bpf_map_lookup_elem(labels, &k, &l) &&
				    l.set_ns >= sent[next_check]) {
					lat[labelled++] = l.set_ns -
							  sent[next_check];
				} else {
					late++;
				}
				next_check++;
			} else if (t == t_done && done < opened) {
				sent[done] = now_ns();
				run(prog, done);
				done++;
			} else {
				run(prog, opened);
				opened++;
			}
		}
		while (next_check < done) {
			struct flowpic_label l;
			struct flowpic_key k;
			struct pkt p;

			sleep_until(sent[next_check] + check_ns);
			make_pkt(&p, next_check);
			make_key(&k, &p);
			checked++;
			if (!bpf_map_lookup_elem(labels, &k, &l) &&
			    l.set_ns >= sent[next_check])
				lat[labelled++] = l.set_ns - sent[next_check];
			else
				late++;
			next_check++;
		}
	}
	t1 = now_ns();
	qsort(lat, labelled, sizeof(*lat), cmp_u64);
	/* Late windows rank above every labelled one. */
	i = (uint32_t)((checked - 1) * 0.99);
	printf("rate=%u windows=%u labelled=%u late=%u p50_us=%.1f "
	       "p99_us=%s%.1f max_us=%.1f elapsed_s=%.1f\n", rate, checked,
	       labelled, late,
	       labelled > checked / 2 ? lat[checked / 2] / 1000.0 : -1.0,
	       i >= labelled ? ">" : "",
	       i < labelled ? lat[i] / 1000.0 : check_ns / 1000.0,
	       labelled ? lat[labelled - 1] / 1000.0 : 0.0,
	       (double)(t1 - t0) / 1e9);
	return 0;
}
