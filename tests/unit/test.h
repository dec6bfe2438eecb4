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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string.h>

#include "cnn/rng.h"
#include "dataset/dataset.h"
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

/* Runs a shell command made from @fmt; its exit code, or -1. */
__attribute__((format(printf, 1, 2)))
static inline int test_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
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

/* A session of kind @cls (test_make_flow()) in a session CSV, as @name. */
static inline void test_write_session(FILE *f, const char *name, uint32_t cls,
				      struct rng *r)
{
	struct window_series s;
	uint32_t k;

	window_series_init(&s);
	test_make_flow(&s, cls, r, 1500);
	fprintf(f, "session,%s\nrel_ts_us,len\n", name);
	for (k = 0; k < s.n; k++)
		fprintf(f, "%lld,%d\n", (long long)(s.pkts[k].t_ns / 1000),
			s.pkts[k].dir ? -(int)s.pkts[k].size :
					(int)s.pkts[k].size);
	window_series_free(&s);
}

/*
 * A dataset file of @files source files ("capture-F.csv") of @per_file
 * sessions each, 15 s windows of N x N: file F holds class
 * @names[F % @nnames], flows of kind F % @nnames % 3, drawn from @seed.
 */
static inline int test_write_dataset(const char *path, uint16_t n,
				     unsigned int flags,
				     const char *const *names,
				     unsigned int nnames, int files,
				     int per_file, uint64_t seed)
{
	struct flowpic_geom g = { .window_ns = 15000000000ULL, .n = n,
				  .max_size = 1500, .channels = 1 };
	struct dataset_writer *w;
	struct dataset_sample s;
	char err[256], src[64], flow[32];
	struct rng r;
	int f, k, rc = 0;

	w = dataset_writer_open(path, &g, flags, err, sizeof(err));
	if (!w) {
		tap_diag("%s", err);
		return -1;
	}
	rng_seed(&r, seed);
	memset(&s, 0, sizeof(s));
	window_series_init(&s.series);
	picture_init(&s.pic, &g);
	for (f = 0; f < files && !rc; f++)
		for (k = 0; k < per_file && !rc; k++) {
			unsigned int cls = (unsigned int)f % nnames;

			test_make_flow(&s.series, cls % 3, &r, 1500);
			window_image(&s.series, &g, &s.pic, NULL);
			snprintf(src, sizeof(src), "capture-%d.csv", f);
			snprintf(flow, sizeof(flow), "s%d", k);
			memset(&s.win, 0, sizeof(s.win));
			s.win.n = n;
			s.win.channels = 1;
			s.win.packets[0] = s.series.n;
			s.win.cells = s.pic.ncells;
			s.source = src;
			s.flow = flow;
			s.label = names[cls];
			rc = dataset_writer_add(w, &s);
		}
	window_series_free(&s.series);
	picture_free(&s.pic);
	if (dataset_writer_close(w, err, sizeof(err)) || rc) {
		tap_diag("%s", err);
		return -1;
	}
	return 0;
}

#endif /* _FLOWPIC_TEST_H */
