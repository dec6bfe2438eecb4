// SPDX-License-Identifier: GPL-2.0
/*
 * The memory budget (guest.d/70-kmod-budget.sh), with flowpic.ko loaded
 * with a small mem_budget and max_flows: a config whose worst case
 * exceeds it is refused naming max_cells, the largest accepted one is
 * found by bisection, then a hostile pattern (full 1500x1500 pictures,
 * two channels, UDP packets of random sizes at random moments over every
 * flow the table holds) runs for a few seconds; the module's
 * own count of what it holds (mem_peak) stays within the budget, and the
 * cells that did not fit are counted.
 *
 *   kmod_budget FLOWS SECONDS
 *
 * Prints TAP (tests/unit/tap.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "qemu_common.h"

#define PARAMS		"/sys/module/flowpic/parameters/"
#define SINK_PORT	7000
#define SRC_PORT	30000

static unsigned long long param(const char *name)
{
	unsigned long long v = 0;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &v) != 1)
		v = 0;
	if (f)
		fclose(f);
	return v;
}

static int set_cells(struct kmod_client *c, struct kmod_config *cfg,
		     uint32_t cells)
{
	cfg->max_cells = cells;
	return kmod_client_set_config(c, cfg, KMOD_CONFIG_GEOM |
				      KMOD_CONFIG_MAX_CELLS);
}

static int drain(const struct kmod_window *w, void *arg)
{
	(*(unsigned long *)arg) += 1;
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t flows = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	int seconds = argc > 2 ? atoi(argv[2]) : 4;
	unsigned long long budget = param("mem_budget"), peak;
	uint64_t c0[__FLOWPIC_CNT_MAX], c1[__FLOWPIC_CNT_MAX];
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(SINK_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	unsigned long sent = 0, windows = 0;
	uint32_t lo = 16, hi = 65536, mid, i, n = flows;
	struct kmod_config cfg;
	struct kmod_client *c;
	static char buf[1472];
	int *fd, sink, err;
	time_t end;

	tap_header();
	c = qemu_family_open();
	if (!c)
		return tap_done();
	err = kmod_client_get_config(c, &cfg);
	tap_ok(!err && budget && cfg.max_flows == flows,
	       "mem_budget %llu bytes, max_flows %u, default max_cells %u",
	       budget, cfg.max_flows, cfg.max_cells);

	cfg.geom.n = 1500;
	cfg.geom.channels = 2;
	/* Windows long enough for flows to fill up, short enough to close. */
	cfg.geom.window_ns = 3000000000ULL;
	err = set_cells(c, &cfg, 65536);
	tap_ok(err == -EINVAL && strstr(kmod_client_error(c), "max_cells") &&
	       strstr(kmod_client_error(c), "mem_budget"),
	       "1500x1500, 2 channels, max_cells 65536 refused: %s",
	       kmod_client_error(c));
	while (lo < hi) {		/* the largest accepted max_cells */
		mid = hi - (hi - lo) / 2;
		if (set_cells(c, &cfg, mid))
			hi = mid - 1;
		else
			lo = mid;
	}
	err = set_cells(c, &cfg, lo);
	tap_ok(!err && set_cells(c, &cfg, lo + 1) == -EINVAL,
	       "max_cells %u accepted, %u refused by the budget", lo, lo + 1);
	set_cells(c, &cfg, lo);
	kmod_client_subscribe(c);

	/* As many flows as the table holds: each can fill its window. */
	fd = calloc(n, sizeof(*fd));
	sink = qemu_udp_loopback(SINK_PORT);
	for (i = 0; i < n; i++)
		fd[i] = qemu_udp_loopback(SRC_PORT + i);
	srandom(1);
	kmod_client_get_stats(c, c0);
	end = time(NULL) + seconds;
	while (time(NULL) < end) {
		for (i = 0; i < 256; i++) {
			int s = fd[random() % n];

			sent += sendto(s, buf, random() % sizeof(buf),
				       MSG_DONTWAIT, (struct sockaddr *)&to,
				       sizeof(to)) >= 0;
		}
		usleep(random() % 2000);
		kmod_client_recv_windows(c, drain, &windows);
	}
	kmod_client_get_stats(c, c1);
	peak = param("mem_peak");
	printf("# %lu packets of random sizes over %u sockets in %d s, %lu windows read\n",
	       sent, n, seconds, windows);
	printf("# memory: peak %llu of %llu bytes (%.0f%%), %llu in use now; cells dropped %llu\n",
	       peak, budget, 100.0 * peak / budget, param("mem_used"),
	       (unsigned long long)(c1[FLOWPIC_CNT_CELLS_DROPPED] -
				    c0[FLOWPIC_CNT_CELLS_DROPPED]));
	tap_ok(peak && peak <= budget,
	       "the module held at most %llu of its %llu-byte budget", peak,
	       budget);
	tap_ok(c1[FLOWPIC_CNT_CELLS_DROPPED] > c0[FLOWPIC_CNT_CELLS_DROPPED],
	       "cells that did not fit were counted (%llu)",
	       (unsigned long long)(c1[FLOWPIC_CNT_CELLS_DROPPED] -
				    c0[FLOWPIC_CNT_CELLS_DROPPED]));
	for (i = 0; i < n; i++)
		close(fd[i]);
	close(sink);
	free(fd);
	kmod_client_close(c);
	return tap_done();
}
