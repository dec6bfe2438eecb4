// SPDX-License-Identifier: GPL-2.0
/*
 * The pipeline on real data (FLOWPIC_DATA, default ../shared/datasets):
 *
 *  - counts of frames, flows, windows and packet kinds for chosen
 *    captures of every link type the data has, and sessions and packets
 *    of chosen session files: numbers computed independently (tcpdump
 *    -r | wc -l for frames, zcat | grep -c for sessions and packets,
 *    tests/unit/oracle_pictures.py --stats for flows and windows);
 *  - every FlowPic cell of those files, `flowpic pictures` against
 *    tests/unit/oracle_pictures.py (Python standard library only, no
 *    code shared), at 32x32, 8x8 with two channels and 1500x1500;
 *  - cells of two session windows written out here, from the oracle;
 *  - errors: a truncated capture, broken CSV lines, a cut gzip stream,
 *    with the windows read before the error still delivered.
 *
 * Skips, saying why, when the data or python3 is not there.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "unit/test.h"
#include "cmd/commands.h"
#include "flow/geometry.h"
#include "flow/pipeline.h"

static char data[1024];

struct capture_count {
	const char *file;
	unsigned long frames, not_ip, not_tcp_udp, malformed, unattributed;
	unsigned long flows, windows;
};

/* frames: tcpdump -nr FILE | wc -l; the rest: oracle_pictures.py --stats */
static const struct capture_count captures[] = {
	{ "dns.pcap", 5, 0, 0, 0, 0, 2, 3 },			/* 802.1ad */
	{ "kerberos-error.pcap", 2, 0, 0, 0, 0, 1, 1 },		/* 802.1Q */
	{ "dns2tcp_tunnel.pcap", 50, 0, 0, 0, 0, 1, 1 },	/* SLL */
	{ "iqiyi.pcap", 2, 0, 0, 0, 0, 1, 1 },			/* raw IP */
	{ "nats.pcap", 27, 0, 0, 0, 0, 2, 2 },			/* BSD loopback */
	{ "dlt_ppp.pcap", 1, 0, 0, 0, 0, 1, 1 },		/* PPP */
	{ "ossfuzz_seed_fake_traces_1.pcapng", 21, 0, 0, 0, 0, 11, 17 },
	{ "dns_fragmented.pcap", 66, 0, 0, 0, 0, 23, 23 },	/* 4 later fragments, all joined */
	{ "ip_fragmented_garbage.pcap", 1252, 0, 0, 4, 1248, 0, 0 },
	{ "http_ipv6.pcap", 193, 0, 0, 0, 0, 18, 18 },
	{ "skype-conference-call.pcap", 200, 0, 0, 0, 0, 1, 1 },
	{ "teams.pcap", 1540, 42, 2, 0, 0, 97, 98 },
	{ "stun_zoom.pcapng", 70, 0, 0, 0, 0, 2, 2 },
};

struct session_count {
	const char *file;
	unsigned long sessions, packets, windows;
};

/* zcat FILE | grep -c '^session,' and '^-\?[0-9]'; windows: the oracle */
static const struct session_count sessions[] = {
	{ "video-platforms/Youtube/1080/1080_merged_023.csv.gz", 5, 57280, 12 },
	{ "video-platforms/Twitch/720/720_merged_010.csv.gz", 12, 125245, 29 },
	{ "video-platforms/Bilibili/480/480_merged_001.csv.gz", 50, 187571, 104 },
};

/* Runs `flowpic pictures ARGS` into @out (sorted); the exit status. */
static int pictures(const char *out, char *const *args, int nargs)
{
	char *argv[32], tmp[1400];
	int i, fd, saved, rc;

	argv[0] = "pictures";
	for (i = 0; i < nargs; i++)
		argv[i + 1] = args[i];
	argv[nargs + 1] = NULL;
	snprintf(tmp, sizeof(tmp), "%s.unsorted", out);
	fflush(stdout);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved = dup(1);
	dup2(fd, 1);
	close(fd);
	optind = 0;
	rc = cmd_pictures(nargs + 1, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	snprintf(tmp, sizeof(tmp), "LC_ALL=C sort -o %s %s.unsorted", out, out);
	if (system(tmp))
		return -1;
	return rc;
}

static int oracle(const char *out, const char *opts, const char *files)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd),
		 "python3 tests/unit/oracle_pictures.py %s %s | LC_ALL=C sort > %s",
		 opts, files, out);
	return system(cmd);
}

static int same_files(const char *a, const char *b, long *lines)
{
	char cmd[256];
	FILE *f;
	int c;

	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
	*lines = 0;
	f = fopen(a, "r");
	if (f) {
		while ((c = fgetc(f)) != EOF)
			*lines += c == '\n';
		fclose(f);
	}
	return system(cmd) == 0;
}

struct counter {
	unsigned long windows, packets;
	char first[4096];
	const char *want_flow;
};

static int count_sink(void *ctx, const struct dataset_sample *s)
{
	struct counter *c = ctx;
	int n = 0;
	uint32_t i;

	c->windows++;
	c->packets += s->win.packets[0] + s->win.packets[1];
	if (c->want_flow && !c->first[0] && !strcmp(s->flow, c->want_flow) &&
	    s->win.index == 0)
		for (i = 0; i < s->pic.ncells && n < 4000; i++)
			n += snprintf(c->first + n, sizeof(c->first) - (size_t)n,
				      "%s%u:%u", i ? " " : "",
				      s->pic.cells[i].index, s->pic.cells[i].count);
	return 0;
}

static struct pipeline *new_pipeline(struct counter *c, unsigned int n,
				     int channels)
{
	struct flowpic_geom g;
	struct flow_config fc;

	memset(c, 0, sizeof(*c));
	geometry_default(&g, n);
	g.channels = (__u8)channels;
	flow_config_default(&fc, &g);
	return pipeline_new(&fc, count_sink, c);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* A session file's error: the message has @want, @packets were read. */
static void csv_error(const char *dir, const char *name, const char *text,
		      const char *want, unsigned long packets)
{
	struct counter c;
	struct pipeline *p = new_pipeline(&c, 32, 1);
	char path[512], err[1024] = "";
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, text);
	rc = pipeline_run(p, path, err, sizeof(err));
	tap_ok(rc < 0 && strstr(err, want) && strstr(err, name) &&
	       c.packets == packets,
	       "%s: error names the file and \"%s\" (%s); %lu packets before it kept",
	       name, want, err, packets);
	pipeline_free(p);
}

static void real_captures(const char *tmp)
{
	char path[1200], files[8192] = "", a[600], b[600];
	size_t i, n = sizeof(captures) / sizeof(captures[0]);
	long lines = 0;

	for (i = 0; i < n; i++) {
		const struct capture_count *e = &captures[i];
		struct counter c;
		struct pipeline *p = new_pipeline(&c, 32, 1);
		const struct pipeline_stats *st;
		char err[1024] = "";
		int rc;

		snprintf(path, sizeof(path), "%s/ndpi/pcap/%s", data, e->file);
		rc = pipeline_run(p, path, err, sizeof(err));
		st = pipeline_stats(p);
		tap_ok(!rc && st->frames == e->frames &&
		       st->flow.cnt[FLOWPIC_CNT_NOT_IP] == e->not_ip &&
		       st->flow.cnt[FLOWPIC_CNT_NOT_TCP_UDP] == e->not_tcp_udp &&
		       st->flow.cnt[FLOWPIC_CNT_MALFORMED] == e->malformed &&
		       st->flow.cnt[FLOWPIC_CNT_FRAGMENT] == e->unattributed &&
		       st->flow.cnt[FLOWPIC_CNT_FLOWS_NEW] == e->flows &&
		       c.windows == e->windows &&
		       c.packets == e->frames - e->not_ip - e->not_tcp_udp -
				    e->malformed - e->unattributed,
		       "%s: %lu frames, %lu flows, %lu windows, every TCP/UDP packet in one (%s)",
		       e->file, e->frames, e->flows, e->windows, err);
		pipeline_free(p);
		if (strlen(files) + strlen(path) + 2 < sizeof(files)) {
			strcat(files, " ");
			strcat(files, path);
		}
	}

	/* every cell, three geometries, against the oracle */
	snprintf(a, sizeof(a), "%s/c.txt", tmp);
	snprintf(b, sizeof(b), "%s/o.txt", tmp);
	{
		static const char *const opts[] = {
			"", "--n 8 --channels 2", "--n 1500 --channels 2",
		};
		static char *const nargs[][5] = {
			{ NULL },
			{ "--n", "8", "--channels", "2", NULL },
			{ "--n", "1500", "--channels", "2", NULL },
		};
		int g;

		for (g = 0; g < 3; g++) {
			char *argv[40], *f = strdup(files), *save = NULL, *tok;
			int k = 0, rc, ok;

			for (; nargs[g][k]; k++)
				argv[k] = nargs[g][k];
			for (tok = strtok_r(f, " ", &save); tok && k < 38;
			     tok = strtok_r(NULL, " ", &save))
				argv[k++] = tok;
			rc = pictures(a, argv, k);
			free(f);
			if (oracle(b, opts[g], files)) {
				tap_skip("python3 oracle did not run",
					 "captures %s: cells as the oracle", opts[g]);
				continue;
			}
			ok = rc == 0 && same_files(a, b, &lines) && lines > 100;
			tap_ok(ok, "%zu captures%s%s: all %ld windows' cells equal the oracle's",
			       n, *opts[g] ? ", " : "", opts[g], lines);
		}
	}
}

static void real_sessions(const char *tmp)
{
	static const char *want_1101 =
		"32:137 44:50 45:100 53:137 63:88 64:2 96:1 108:1 117:1 127:1 "
		"236:1 245:1 255:1 256:1 384:1 416:1 448:1 576:1 672:1 736:1 "
		"813:1 863:1 864:255 876:255 877:255 885:255 895:255";
	static const char *want_451 =
		"0:67 1:82 2:90 3:85 4:81 5:88 6:71 7:92 16:1 48:1 49:1 50:1 "
		"51:1 52:1 53:1 54:1 55:1 56:1 64:7 65:5 66:6 67:10 68:3 69:6 "
		"70:4 71:9 72:10 73:9 74:9 75:5 76:10 77:6 78:11 79:7 80:7 81:12 "
		"82:10 83:9 84:13 85:8 86:5 87:16 88:19 89:24 90:32 91:33 92:32 "
		"93:29 94:24 95:31 96:4 97:3 98:3 99:8 100:3 101:7 102:3 103:2 "
		"104:3 105:8 106:5 107:5 108:3 109:6 110:4 111:6 113:6 114:7 "
		"115:3 116:3 117:6 118:6 119:4 120:255 121:255 122:255 123:255 "
		"124:255 125:255 126:255 127:255";
	char path[1200], a[600], b[600];
	size_t i, n = sizeof(sessions) / sizeof(sessions[0]);
	long lines = 0;

	for (i = 0; i < n; i++) {
		const struct session_count *e = &sessions[i];
		struct counter c;
		struct pipeline *p;
		const struct pipeline_stats *st;
		char err[1024] = "";
		int rc, k;

		p = new_pipeline(&c, i == 1 ? 8 : 32, i == 1 ? 2 : 1);
		c.want_flow = i == 0 ? "1080_1101" : i == 1 ? "480_451" : NULL;
		snprintf(path, sizeof(path), "%s/%s", data, e->file);
		rc = pipeline_run(p, path, err, sizeof(err));
		st = pipeline_stats(p);
		tap_ok(!rc && st->sessions == e->sessions &&
		       st->flow.cnt[FLOWPIC_CNT_PACKETS] == e->packets &&
		       c.packets == e->packets && (i == 1 || c.windows == e->windows),
		       "%s: %lu sessions, %lu packets, %lu windows (%s)",
		       strrchr(e->file, '/') + 1, e->sessions, e->packets,
		       e->windows, err);
		if (i == 0)
			tap_ok(!strcmp(c.first, want_1101),
			       "session 1080_1101 window 0 at 32x32: its 27 cells");
		pipeline_free(p);

		snprintf(a, sizeof(a), "%s/c.txt", tmp);
		snprintf(b, sizeof(b), "%s/o.txt", tmp);
		{
			char *argv[] = { "--n", "8", "--channels", "2", path };

			k = i == 1 ? 5 : 1;
			rc = pictures(a, k == 5 ? argv : argv + 4, k);
		}
		if (oracle(b, i == 1 ? "--n 8 --channels 2" : "", path)) {
			tap_skip("python3 oracle did not run", "%s: oracle", e->file);
			continue;
		}
		k = rc == 0 && same_files(a, b, &lines) && lines > 10;
		tap_ok(k, "%s%s: all %ld windows' cells equal the oracle's",
		       strrchr(e->file, '/') + 1, i == 1 ? " at 8x8, 2 channels" : "",
		       lines);
	}
	{
		/* the 8x8 two-channel cells of session 480_451, window 0 */
		struct counter c;
		struct pipeline *p = new_pipeline(&c, 8, 2);
		char err[1024];

		c.want_flow = "480_451";
		snprintf(path, sizeof(path), "%s/%s", data, sessions[1].file);
		pipeline_run(p, path, err, sizeof(err));
		tap_ok(!strcmp(c.first, want_451),
		       "session 480_451 window 0 at 8x8, 2 channels: its 87 cells");
		pipeline_free(p);
	}
}

static void errors(const char *tmp)
{
	char path[1200], cut[600], err[1024];
	struct counter c;
	struct pipeline *p;
	FILE *in, *out;
	gzFile gz;
	long size;
	char buf[65536];
	size_t n;
	int i, rc;

	/* a capture nDPI's fuzzers cut after one record */
	p = new_pipeline(&c, 32, 1);
	snprintf(path, sizeof(path), "%s/ndpi/pcap/fuzz-2021-10-13.pcap", data);
	rc = pipeline_run(p, path, err, sizeof(err));
	tap_ok(rc < 0 && strstr(err, "record 2 at byte offset 237") &&
	       strstr(err, "fuzz-2021-10-13.pcap") &&
	       pipeline_stats(p)->frames == 1,
	       "truncated capture: record and byte offset named (%s)", err);
	pipeline_free(p);

	/* a real capture cut in the middle: the packets before are kept */
	snprintf(path, sizeof(path), "%s/ndpi/pcap/skype-conference-call.pcap", data);
	snprintf(cut, sizeof(cut), "%s/skype-cut.pcap", tmp);
	in = fopen(path, "rb");
	out = fopen(cut, "wb");
	n = fread(buf, 1, sizeof(buf), in);
	fseek(in, 0, SEEK_END);
	size = ftell(in);
	fclose(in);
	fwrite(buf, 1, (size_t)(size / 2 < (long)n ? size / 2 : (long)n), out);
	fclose(out);
	p = new_pipeline(&c, 32, 1);
	rc = pipeline_run(p, cut, err, sizeof(err));
	tap_ok(rc < 0 && strstr(err, "byte offset") && c.windows == 1 &&
	       c.packets == pipeline_stats(p)->frames && c.packets > 50,
	       "capture cut in half: error (%s), its %lu packets still make their window",
	       err, c.packets);
	pipeline_free(p);

	csv_error(tmp, "nosession.csv", "1,2\n", "line 1: expected \"session,<name>\"", 0);
	csv_error(tmp, "noheader.csv", "session,a\n0,66\n", "line 2: expected the header", 0);
	csv_error(tmp, "badtime.csv", "session,a\nrel_ts_us,len\n0,66\n1,-66\nx,5\n",
		  "line 5: time \"x\"", 2);
	csv_error(tmp, "zerolen.csv", "session,a\nrel_ts_us,len\n0,66\n\n7,0\n",
		  "line 5: length \"0\"", 1);
	csv_error(tmp, "biglen.csv", "session,a\nrel_ts_us,len\n0,70000\n",
		  "line 3: length \"70000\"", 0);
	csv_error(tmp, "negtime.csv", "session,a\nrel_ts_us,len\n-5,10\n",
		  "line 3: time \"-5\"", 0);
	csv_error(tmp, "threecols.csv", "session,a\nrel_ts_us,len\n5,10,3\n",
		  "line 3: length \"10,3\"", 0);
	csv_error(tmp, "noheaderend.csv", "session,a\nrel_ts_us,len\n5,10\nsession,b\n",
		  "line 4: file ends before session \"b\"'s header line", 1);
	csv_error(tmp, "empty.csv", "", "empty file", 0);

	/* a gzip stream cut short: an error with the line reached */
	snprintf(path, sizeof(path), "%s/cut.csv.gz", tmp);
	gz = gzopen(path, "wb");
	gzputs(gz, "session,a\nrel_ts_us,len\n");
	for (i = 0; i < 20000; i++)
		gzprintf(gz, "%d,%d\n", i * 100, i % 2 ? -1400 : 80 + i % 1000);
	gzclose(gz);
	in = fopen(path, "rb");
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	out = fopen(path, "wb");
	fwrite(buf, 1, n * 2 / 3, out);
	fclose(out);
	p = new_pipeline(&c, 32, 1);
	rc = pipeline_run(p, path, err, sizeof(err));
	tap_ok(rc < 0 && strstr(err, "cut.csv.gz: line ") &&
	       strstr(err, "input ends") && c.packets > 1000 && c.packets < 20000,
	       "gzip cut short: \"%s\"; the %lu packets before it kept",
	       err, c.packets);
	pipeline_free(p);
}

int main(void)
{
	const char *d = getenv("FLOWPIC_DATA");
	char tmp[] = "/tmp/flowpic-test-pipeline-XXXXXX", cmd[128];
	struct stat st;

	tap_header();
	tap_plan(36);
	snprintf(data, sizeof(data), "%s", d ? d : "../shared/datasets");
	if (stat(data, &st) || !S_ISDIR(st.st_mode)) {
		tap_skip_n(36, "no datasets at FLOWPIC_DATA or ../shared/datasets",
			   "pipeline on real data");
		return tap_done();
	}
	if (!mkdtemp(tmp)) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	real_captures(tmp);
	real_sessions(tmp);
	errors(tmp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd))
		tap_diag("could not remove %s", tmp);
	return tap_done();
}
