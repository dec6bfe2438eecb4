// SPDX-License-Identifier: GPL-2.0
/*
 * dpctl: drives the eBPF data path (user/live/datapath.c) for the network
 * selftests.
 *
 *   dpctl run -d DIR -i IFACE... [geometry and table options]
 *	loads and pins the tc program, attaches it to each IFACE, writes
 *	every completed window to stdout as `flowpic pictures` prints it,
 *	and on SIGTERM/SIGINT (or after --duration) closes the flows still
 *	open (reason IDLE), detaches, unpins and exits.
 *   dpctl flows -d DIR	   one line per flow: key, window, packets, bytes
 *   dpctl stats -d DIR	   the counters, "name value"
 *   dpctl label -d DIR PROTO A PA B PB CLASS [CONFIDENCE]
 *   dpctl policy -d DIR CLASS pass|drop|mark V|priority MAJ:MIN
 *
 * The last four work on the pinned maps alone, as any other process
 * (or bpftool) can; label and policy then move the labels generation.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "flowpic.h"
#include "live/datapath.h"
#include "capture/flow_key.h"
#include "flow/geometry.h"
#include "../../bpf/datapath_maps.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int print_window(const struct flowpic_window *w, const uint8_t *cells,
			void *ctx)
{
	FILE *out = ctx;
	char key[FLOW_KEY_TEXT_MAX];
	__u32 i;

	flow_key_format(&w->key, key, sizeof(key));
	fprintf(out, "%s w=%u p=%u", key, w->index,
		w->packets[0] + w->packets[1]);
	for (i = 0; i < w->cells; i++)
		if (cells[i])
			fprintf(out, " %u:%u", i, cells[i]);
	fprintf(out, " # reason=%u\n", w->reason);
	fflush(out);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
"usage: dpctl run -d DIR -i IFACE [-i IFACE...] [--n N] [--channels C]\n"
"                 [--window DUR] [--min-packets K] [--max-flows M]\n"
"                 [--tcp-end both|first|none] [--ready FILE] [--duration DUR]\n"
"       dpctl flows|stats -d DIR\n"
"       dpctl label -d DIR PROTO A PA B PB CLASS [CONFIDENCE]\n"
"       dpctl policy -d DIR CLASS pass|drop|mark V|priority MAJ:MIN\n");
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "iface", required_argument, NULL, 'i' },
		{ "n", required_argument, NULL, 'n' },
		{ "channels", required_argument, NULL, 'c' },
		{ "window", required_argument, NULL, 'w' },
		{ "min-packets", required_argument, NULL, 'm' },
		{ "max-flows", required_argument, NULL, 'f' },
		{ "tcp-end", required_argument, NULL, 't' },
		{ "ready", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ifaces[8], *ready = NULL;
	struct datapath_config c;
	struct datapath *dp;
	__u64 duration = 0, t0;
	struct timespec ts;
	int nif = 0, o, i, ret = 0;
	char err[512];

	datapath_config_default(&c);
	while ((o = getopt_long(argc, argv, "d:i:", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			c.pin_dir = optarg;
			break;
		case 'i':
			if (nif == 8)
				return fprintf(stderr, "dpctl: 8 interfaces at most\n"), 2;
			ifaces[nif++] = optarg;
			break;
		case 'n':
			c.geom.n = (__u16)atoi(optarg);
			break;
		case 'c':
			c.geom.channels = (__u8)atoi(optarg);
			break;
		case 'w':
			if (geometry_parse_duration(optarg, &c.geom.window_ns))
				return fprintf(stderr, "dpctl: bad --window %s\n", optarg), 2;
			break;
		case 'm':
			c.min_packets = (uint32_t)atoi(optarg);
			break;
		case 'f':
			c.max_flows = (uint32_t)atoi(optarg);
			break;
		case 't':
			c.tcp_end = !strcmp(optarg, "first") ? TCP_END_FIRST_FIN :
				    !strcmp(optarg, "none") ? TCP_END_NONE :
				    TCP_END_BOTH_FIN;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'D':
			if (geometry_parse_duration(optarg, &duration))
				return fprintf(stderr, "dpctl: bad --duration %s\n", optarg), 2;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!c.pin_dir || !nif) {
		usage();
		return 2;
	}
	if (datapath_open(&dp, &c, err, sizeof(err))) {
		fprintf(stderr, "dpctl: %s\n", err);
		return 1;
	}
	for (i = 0; i < nif; i++)
		if (datapath_attach(dp, ifaces[i], err, sizeof(err))) {
			fprintf(stderr, "dpctl: %s\n", err);
			ret = 1;
			goto out;
		}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f || fclose(f)) {
			fprintf(stderr, "dpctl: %s: %s\n", ready, strerror(errno));
			ret = 1;
			goto out;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	while (!stop) {
		int n = datapath_poll(dp, 100, print_window, stdout);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "dpctl: ring buffer: %s\n", strerror(-n));
			ret = 1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (duration && ts.tv_sec * 1000000000ULL + ts.tv_nsec - t0 >=
				duration)
			break;
	}
out:
	for (i = 0; i < nif; i++)
		datapath_detach(dp, ifaces[i], err, sizeof(err));
	/* What the ring buffer still holds, then every open window. */
	datapath_poll(dp, 0, print_window, stdout);
	datapath_sweep(dp, UINT64_MAX, print_window, stdout);
	datapath_unpin(dp);
	datapath_close(dp);
	return ret;
}

static int pinned(const char *dir, const char *name)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "dpctl: %s: %s\n", path, strerror(errno));
	return fd;
}

static int cmd_flows(const char *dir)
{
	struct flowpic_key key, *prev = NULL;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char text[FLOW_KEY_TEXT_MAX];
	uint8_t *val;
	int fd = pinned(dir, FLOWPIC_PIN_FLOWS);

	if (fd < 0)
		return 1;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.value_size < FLOWPIC_BPF_CELLS_OFF) {
		fprintf(stderr, "dpctl: %s/flows is not a flow table\n", dir);
		return 1;
	}
	val = malloc(info.value_size);
	if (!val)
		return 1;
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		const struct flowpic_window *w =
			(const void *)(val + FLOWPIC_BPF_WIN_OFF);
		static struct flowpic_key k;

		k = key;
		prev = &k;
		if (bpf_map_lookup_elem_flags(fd, &key, val, BPF_F_LOCK))
			continue;
		flow_key_format(&key, text, sizeof(text));
		printf("%s w=%u packets=%u/%u bytes=%llu/%llu\n", text,
		       w->index, w->packets[0], w->packets[1],
		       (unsigned long long)w->bytes[0],
		       (unsigned long long)w->bytes[1]);
	}
	free(val);
	return 0;
}

static int cmd_stats(const char *dir)
{
	static const char *const names[] = {
		"packets", "binned", "not_ip", "not_tcp_udp", "malformed",
		"fragment", "clipped", "clock_back", "flows_new",
		"flows_evicted", "windows", "windows_lost", "cells_dropped",
		"dropped", "marked", "prioritised",
		/* untracked .. big_packets: enum flowpic_counter too */
		"untracked", "segments", "verdict_bad", "big_packets",
	};
	int ncpu = libbpf_num_possible_cpus(), fd = pinned(dir, FLOWPIC_PIN_STATS);
	__u64 sum[sizeof(struct flowpic_bpf_stats) / 8] = {};
	struct flowpic_bpf_stats *per;
	_Static_assert(sizeof(names) / sizeof(names[0]) ==
		       sizeof(struct flowpic_bpf_stats) / 8, "a name per counter");
	__u32 zero = 0;
	int cpu, i;

	if (fd < 0 || ncpu < 1)
		return 1;
	per = calloc(ncpu, sizeof(*per));
	if (!per || bpf_map_lookup_elem(fd, &zero, per))
		return 1;
	for (cpu = 0; cpu < ncpu; cpu++)
		for (i = 0; i < (int)(sizeof(sum) / 8); i++)
			sum[i] += ((__u64 *)&per[cpu])[i];
	for (i = 0; i < (int)(sizeof(sum) / 8); i++)
		printf("%s %llu\n", names[i], (unsigned long long)sum[i]);
	free(per);
	return 0;
}

/*
 * After a label or policy write: the program's notes of flows' verdicts
 * are of the old generation from here on (fenced after the write,
 * as labels_changed() in user/live/datapath.c).
 */
static int bump_gen(const char *dir)
{
	struct flowpic_bpf_gen g = { 0 };
	int fd = pinned(dir, FLOWPIC_PIN_GEN);
	__u32 zero = 0;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &g))
		return 1;
	g.labels++;
	return bpf_map_update_elem(fd, &zero, &g, BPF_ANY) ? 1 : 0;
}

static int cmd_label(const char *dir, int argc, char **argv)
{
	struct flowpic_label l = {};
	struct flowpic_key key;
	struct timespec ts;
	int fd;

	if (argc < 6) {
		usage();
		return 2;
	}
	if (flow_key_build(&key, argv[0], argv[1], argv[2], argv[3], argv[4])) {
		fprintf(stderr, "dpctl: bad flow %s %s %s %s %s\n", argv[0],
			argv[1], argv[2], argv[3], argv[4]);
		return 2;
	}
	l.class_id = (__u16)atoi(argv[5]);
	l.confidence = argc > 6 ? (__u16)atoi(argv[6]) : FLOWPIC_CONFIDENCE_ONE;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	l.set_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	fd = pinned(dir, FLOWPIC_PIN_LABELS);
	if (fd < 0)
		return 1;
	if (bpf_map_update_elem(fd, &key, &l, BPF_ANY)) {
		fprintf(stderr, "dpctl: labelling: %s\n", strerror(errno));
		return 1;
	}
	return bump_gen(dir);
}

static int cmd_policy(const char *dir, int argc, char **argv)
{
	struct flowpic_action a = {};
	unsigned int maj, min;
	__u32 slot;
	int fd;

	if (argc < 2) {
		usage();
		return 2;
	}
	slot = (__u32)atoi(argv[0]);
	if (!strcmp(argv[1], "pass")) {
		a.type = FLOWPIC_ACT_PASS;
	} else if (!strcmp(argv[1], "drop")) {
		a.type = FLOWPIC_ACT_DROP;
	} else if (!strcmp(argv[1], "mark") && argc > 2) {
		a.type = FLOWPIC_ACT_MARK;
		a.value = (__u32)strtoul(argv[2], NULL, 0);
	} else if (!strcmp(argv[1], "priority") && argc > 2 &&
		   sscanf(argv[2], "%x:%x", &maj, &min) == 2) {
		a.type = FLOWPIC_ACT_PRIORITY;
		a.value = maj << 16 | (min & 0xffff);
	} else {
		usage();
		return 2;
	}
	fd = pinned(dir, FLOWPIC_PIN_POLICY);
	if (fd < 0)
		return 1;
	if (bpf_map_update_elem(fd, &slot, &a, BPF_ANY)) {
		fprintf(stderr, "dpctl: policy slot %u: %s\n", slot,
			strerror(errno));
		return 1;
	}
	return bump_gen(dir);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;

	if (argc < 2) {
		usage();
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 4 && !strcmp(argv[2], "-d"))
		dir = argv[3];
	if (!dir) {
		usage();
		return 2;
	}
	if (!strcmp(argv[1], "flows"))
		return cmd_flows(dir);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(dir);
	if (!strcmp(argv[1], "label"))
		return cmd_label(dir, argc - 4, argv + 4);
	if (!strcmp(argv[1], "policy"))
		return cmd_policy(dir, argc - 4, argv + 4);
	usage();
	return 2;
}
