// SPDX-License-Identifier: GPL-2.0
/*
 * Dataset files: a write/read round trip of random samples (with and
 * without series), files written by tests/fuzz/seeds.py from the
 * documented layout alone, and the failures: cut short (samples before
 * the cut still read, byte offset named), a flipped byte, another
 * version, not a dataset. Then `flowpic dataset` end to end on real data
 * with labels from file-name rules, checked against `flowpic pictures`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit/test.h"
#include "cmd/commands.h"
#include "dataset/dataset.h"
#include "flow/geometry.h"

static struct rng rng;

static void random_sample(struct dataset_sample *s,
			  const struct flowpic_geom *g, int i)
{
	static const char *labels[] = { "video", "voip", NULL, "chat" };
	static char flow[32];
	uint32_t n = 1 + (uint32_t)(rng_next(&rng) % 500), k;

	window_series_clear(&s->series);
	for (k = 0; k < n; k++)
		window_series_push(&s->series,
				   (__s64)(rng_next(&rng) % g->window_ns) - 1000,
				   (__u32)(rng_next(&rng) % 2000), (__u8)(rng_next(&rng) & 1));
	window_image(&s->series, g, &s->pic, NULL);
	memset(&s->win, 0, sizeof(s->win));
	s->win.key.family = FLOWPIC_FAMILY_IPV6;
	s->win.key.proto = 17;
	s->win.key.lo_addr[0] = (__be32)rng_next(&rng);
	s->win.key.hi_port = (__be16)rng_next(&rng);
	s->win.index = (__u32)i;
	s->win.start_ns = rng_next(&rng);
	s->win.packets[0] = 0;
	for (k = 0; k < n; k++)
		s->win.packets[s->series.pkts[k].dir]++;
	s->win.bytes[0] = rng_next(&rng);
	s->win.bytes[1] = rng_next(&rng);
	s->win.reason = (__u8)(1 + i % 5);
	s->win.n = g->n;
	s->win.channels = g->channels;
	s->win.cells = s->pic.ncells;
	s->source = i % 3 ? "a.pcap" : "b/c.csv.gz";
	snprintf(flow, sizeof(flow), i % 2 ? "" : "session-%d", i);
	s->flow = flow;
	s->label = labels[i % 4];
}

static int same(const struct dataset_sample *a, const struct dataset_sample *b,
		int series)
{
	return !memcmp(&a->win, &b->win, sizeof(a->win)) &&
	       !picture_cmp(&a->pic, &b->pic) && !strcmp(a->source, b->source) &&
	       !strcmp(a->flow, b->flow) &&
	       ((!a->label && !b->label) ||
		(a->label && b->label && !strcmp(a->label, b->label))) &&
	       (!series || (a->series.n == b->series.n &&
			    !memcmp(a->series.pkts, b->series.pkts,
				    a->series.n * sizeof(*a->series.pkts))));
}

static long file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) ? -1 : (long)st.st_size;
}

static void copy_prefix(const char *from, const char *to, long n, long flip)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	long i;
	int c;

	for (i = 0; (c = fgetc(in)) != EOF && (n < 0 || i < n); i++)
		fputc(i == flip ? c ^ 0x40 : c, out);
	fclose(in);
	fclose(out);
}

/* Reads @path: the number of good samples and the error text. */
static long read_all(const char *path, char *err, size_t errlen, int *rc)
{
	struct dataset_reader *r = dataset_reader_open(path, err, errlen);
	struct dataset_sample s;
	long n = 0;

	*rc = -2;
	if (!r)
		return -1;
	dataset_sample_init(&s);
	while ((*rc = dataset_reader_next(r, &s)) == 1)
		n++;
	snprintf(err, errlen, "%s", dataset_reader_error(r));
	dataset_sample_free(&s);
	dataset_reader_close(r);
	return n;
}

static void roundtrip(const char *tmp, int series)
{
	struct dataset_sample w[40], r;
	struct dataset_writer *wr;
	struct dataset_reader *rd;
	struct flowpic_geom g;
	const char *const *names;
	char path[512], err[512];
	int i, ok = 1, rc;

	geometry_default(&g, series ? 32 : 1500);
	g.channels = series ? 2 : 1;
	snprintf(path, sizeof(path), "%s/rt%d.fpd", tmp, series);
	wr = dataset_writer_open(path, &g, series ? DATASET_F_SERIES : 0, err,
				 sizeof(err));
	for (i = 0; i < 40; i++) {
		dataset_sample_init(&w[i]);
		picture_init(&w[i].pic, &g);
		random_sample(&w[i], &g, i);
		w[i].flow = strdup(w[i].flow);
		ok &= !dataset_writer_add(wr, &w[i]);
	}
	ok &= !dataset_writer_close(wr, err, sizeof(err));
	rd = dataset_reader_open(path, err, sizeof(err));
	ok &= rd && !memcmp(dataset_reader_geom(rd), &g, sizeof(g));
	dataset_sample_init(&r);
	for (i = 0; rd && i < 40 && ok; i++)
		ok = dataset_reader_next(rd, &r) == 1 && same(&w[i], &r, series);
	tap_ok(ok && rd && dataset_reader_next(rd, &r) == 0 &&
	       dataset_reader_samples(rd) == 40 &&
	       dataset_reader_labels(rd, &names) == 3 &&
	       !strcmp(names[0], "video") && !strcmp(names[2], "chat"),
	       "round trip, %ux%u, %d channel(s)%s: 40 samples read back equal, labels in order",
	       g.n, g.n, g.channels, series ? ", with series" : "");
	dataset_reader_close(rd);
	dataset_sample_free(&r);
	for (i = 0; i < 40; i++) {
		free((char *)w[i].flow);
		dataset_sample_free(&w[i]);
	}
	if (!series)
		return;

	/* a cut file: every sample before the cut, then where it stopped */
	{
		char cut[600];
		long size = file_size(path), n;

		snprintf(cut, sizeof(cut), "%s/cut.fpd", tmp);
		copy_prefix(path, cut, size * 3 / 4, -1);
		n = read_all(cut, err, sizeof(err), &rc);
		tap_ok(rc == -1 && n >= 25 && n < 40 && strstr(err, "byte offset") &&
		       strstr(err, "truncated"),
		       "cut at 3/4: %ld samples read, then \"%s\"", n, err);
		copy_prefix(path, cut, size - 17, -1);	/* just the end record lost */
		n = read_all(cut, err, sizeof(err), &rc);
		tap_ok(rc == -1 && n == 40 && strstr(err, "before the end record"),
		       "end record missing: all 40 read, then \"%s\"", err);
		copy_prefix(path, cut, -1, size / 2);
		n = read_all(cut, err, sizeof(err), &rc);
		tap_ok(rc == -1 && n < 40 && strstr(err, "checksum"),
		       "a flipped byte: %ld samples, then \"%s\"", n, err);
		copy_prefix(path, cut, -1, 8);		/* version 1 -> 65 */
		n = read_all(cut, err, sizeof(err), &rc);
		tap_ok(n == -1 && strstr(err, "version 65") &&
		       strstr(err, "reads version 1"),
		       "another version: \"%s\"", err);
		n = read_all("/etc/passwd", err, sizeof(err), &rc);
		tap_ok(n == -1 && strstr(err, "not a flowpic dataset"),
		       "not a dataset: \"%s\"", err);
	}
}

/* Files tests/fuzz/seeds.py wrote from docs/dataset-format.md alone. */
static void documented_layout(const char *tmp)
{
	struct dataset_reader *rd;
	struct dataset_sample s;
	char cmd[700], path[600], err[512];
	int ok;

	snprintf(cmd, sizeof(cmd), "python3 tests/fuzz/seeds.py %s/seeds", tmp);
	if (system(cmd)) {
		tap_skip("python3 did not run", "dataset written from the documented layout");
		return;
	}
	snprintf(path, sizeof(path), "%s/seeds/fuzz_dataset/series.fpd", tmp);
	rd = dataset_reader_open(path, err, sizeof(err));
	dataset_sample_init(&s);
	ok = rd && dataset_reader_next(rd, &s) == 1 &&
	     !strcmp(s.source, "capture.pcap") && s.label &&
	     !strcmp(s.label, "video") && !s.flow[0] && s.win.index == 0 &&
	     s.win.key.proto == 6 && s.win.packets[0] == 2 &&
	     s.win.bytes[1] == 1120 && s.pic.ncells == 4 &&
	     s.pic.cells[0].index == 32 && s.pic.cells[3].index == 31 * 32 + 19 &&
	     s.series.n == 4 && s.series.pkts[3].t_ns == 9000001000LL &&
	     s.series.pkts[3].size == 1560 && s.series.pkts[3].dir == 1;
	/* the python writer's cells are its own binning: they must agree */
	if (ok) {
		struct picture p;

		picture_init(&p, &s.pic.geom);
		ok = !window_image(&s.series, &s.pic.geom, &p, NULL) &&
		     !picture_cmp(&p, &s.pic);
		picture_free(&p);
	}
	ok = ok && dataset_reader_next(rd, &s) == 1 && s.win.index == 1 &&
	     dataset_reader_next(rd, &s) == 0;
	tap_ok(ok, "a file written from docs/dataset-format.md by Python reads back field by field");
	dataset_sample_free(&s);
	dataset_reader_close(rd);
}

static void end_to_end(const char *tmp, const char *data)
{
	char out[600], list[600], pics[600], in[1200], cmd[5000];
	char *argv[16];
	int rc, k = 0;

	snprintf(in, sizeof(in), "%s/video-platforms/Twitch/720/720_merged_010.csv.gz", data);
	snprintf(out, sizeof(out), "%s/e2e.fpd", tmp);
	snprintf(list, sizeof(list), "%s/list.txt", tmp);
	snprintf(pics, sizeof(pics), "%s/pics.txt", tmp);
	argv[k++] = "dataset";
	argv[k++] = "-o";
	argv[k++] = out;
	argv[k++] = "--rule";
	argv[k++] = "*/Youtube/*=youtube";
	argv[k++] = "--rule";
	argv[k++] = "*/Twitch/*=twitch";
	argv[k++] = "--min-packets";
	argv[k++] = "1";
	argv[k++] = in;
	argv[k] = NULL;
	rc = test_cmd(cmd_dataset, argv, NULL);
	tap_ok(rc == 1, "dataset with a rule that matches nothing exits 1 (%d)", rc);
	argv[3] = "--map";
	argv[4] = "tests/unit/test_dataset.c";	/* not a map: refused */
	rc = test_cmd(cmd_dataset, argv, NULL);
	tap_ok(rc == 2, "a bad --map is refused before any work (%d)", rc);
	argv[3] = "--allow-unmatched";
	argv[4] = "--no-series";
	argv[5] = "--rule";
	rc = test_cmd(cmd_dataset, argv, NULL);
	tap_ok(rc == 0, "dataset of Twitch 720 with --allow-unmatched exits 0");
	argv[0] = "show";
	argv[1] = "--list";
	argv[2] = out;
	argv[3] = NULL;
	test_cmd(cmd_show, argv, list);
	argv[0] = "pictures";
	argv[1] = in;
	argv[2] = NULL;
	test_cmd(cmd_pictures, argv, pics);
	/* the same windows: session, index, packets; labelled twitch */
	snprintf(cmd, sizeof(cmd),
		 "test \"$(awk '{print $2, $5, $6, $7}' %s | sort | md5sum)\" = "
		 "\"$(awk '{print \"twitch\", $2, $3, $4}' %s | sort | md5sum)\" && "
		 "test $(wc -l < %s) = 29",
		 list, pics, list);
	tap_ok(!system(cmd), "the dataset holds the 29 windows `flowpic pictures` prints, labelled twitch");

	/* a good capture and one cut short: exit 1, both read up to the cut */
	{
		char good[1200], cut[700];

		snprintf(good, sizeof(good), "%s/ndpi/pcap/teams.pcap", data);
		snprintf(cut, sizeof(cut), "%s/cut.pcap", tmp);
		snprintf(cmd, sizeof(cmd), "head -c 20000 %s/ndpi/pcap/skype-conference-call.pcap > %s",
			 data, cut);
		if (system(cmd))
			tap_diag("could not cut a capture");
		k = 0;
		argv[k++] = "dataset";
		argv[k++] = "-o";
		argv[k++] = out;
		argv[k++] = "--min-packets";
		argv[k++] = "1";
		argv[k++] = cut;
		argv[k++] = good;
		argv[k] = NULL;
		rc = test_cmd(cmd_dataset, argv, NULL);
		argv[0] = "show";
		argv[1] = "--list";
		argv[2] = out;
		argv[3] = NULL;
		test_cmd(cmd_show, argv, list);
		snprintf(cmd, sizeof(cmd),
			 "test $(grep -c ' %s ' %s) = 1 && test $(grep -c ' %s ' %s) = 98",
			 cut, list, good, list);
		tap_ok(rc == 1 && !system(cmd),
		       "a capture cut short: exit 1, its window and the next file's 98 still written");
	}
}

int main(void)
{
	const char *d = getenv("FLOWPIC_DATA");
	char tmp[] = "/tmp/flowpic-test-dataset-XXXXXX", cmd[128], data[1024];
	struct stat st;

	tap_header();
	tap_plan(13);
	rng_seed(&rng, 0x9e3779b97f4a7c15ULL);
	if (!mkdtemp(tmp)) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	roundtrip(tmp, 0);
	roundtrip(tmp, 1);
	documented_layout(tmp);
	snprintf(data, sizeof(data), "%s", d ? d : "../shared/datasets");
	if (stat(data, &st))
		tap_skip_n(5, "no datasets at FLOWPIC_DATA or ../shared/datasets",
			   "flowpic dataset end to end");
	else
		end_to_end(tmp, data);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd))
		tap_diag("could not remove %s", tmp);
	return tap_done();
}
