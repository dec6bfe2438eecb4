/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one helper header of flowpic's C tests (tests/unit, tests/bpf): TAP
 * with a plan declared up front (unit/tap.h), a command of user/cmd/ run
 * in-process, and the synthetic flows the training tests learn. Random
 * data comes from user/cnn/rng.h, the generator flowpic itself uses.
 */
#ifndef _FLOWPIC_TEST_H
#define _FLOWPIC_TEST_H

#define TAP_PLAN_REQUIRED 1

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cnn/rng.h"
#include "flow/window.h"
#include "unit/tap.h"

/*
 * Runs a command of user/cmd/ (argv NULL-terminated, argv[0] its name),
 * its stdout to the file @out when @out is not NULL. Returns its status.
 */
static inline int test_cmd(int (*cmd)(int, char **), char **argv,
			   const char *out)
{
	int argc = 0, saved = -1, fd, rc;

	while (argv[argc])
		argc++;
	fflush(stdout);
	if (out) {
		fd = creat(out, 0600);
		if (fd < 0)
			return -1;
		saved = dup(1);
		dup2(fd, 1);
		close(fd);
	}
	optind = 0;
	rc = cmd(argc, argv);
	fflush(stdout);
	if (out) {
		dup2(saved, 1);
		close(saved);
	}
	return rc;
}

/*
 * Three kinds of 15 s flows: 0 small packets all along (chat-like), 1 full
 * size packets in bursts (video-like), 2 mixed sizes in the first half
 * only (a short download). 300 to 300 + @spread packets, timings vary per
 * sample; the series is left in time order, as the pipeline keeps it.
 */
static inline void test_make_flow(struct window_series *s, uint32_t cls,
				  struct rng *r, uint32_t spread)
{
	uint32_t n = 300 + rng_below(r, spread), i;

	window_series_clear(s);
	for (i = 0; i < n; i++) {
		double t;
		uint32_t size;

		switch (cls) {
		case 0:
			t = rng_double(r) * 15;
			size = 60 + rng_below(r, 200);
			break;
		case 1:
			t = (double)rng_below(r, 5) * 3 + rng_double(r) * 0.5;
			size = 1300 + rng_below(r, 200);
			break;
		default:
			t = rng_double(r) * 7;
			size = 100 + rng_below(r, 1400);
			break;
		}
		window_series_push(s, (__s64)(t * 1e9), size,
				   (uint8_t)rng_below(r, 2));
	}
	for (i = 1; i < s->n; i++) {
		struct window_pkt p = s->pkts[i];
		uint32_t j = i;

		while (j > 0 && s->pkts[j - 1].t_ns > p.t_ns) {
			s->pkts[j] = s->pkts[j - 1];
			j--;
		}
		s->pkts[j] = p;
	}
}

#endif /* _FLOWPIC_TEST_H */
