// SPDX-License-Identifier: GPL-2.0
/*
 * Labels, four ways: the category map (built in, from the datasets'
 * README, from a file), labels CSV (direction-blind keys, per-capture
 * entries, every error with its line), nDPI result files (counts of DPI
 * TCP/UDP lines taken with grep), file-name rules, the report of labels
 * that matched nothing, and `flowpic label` running libndpi 4.2.
 */
#include <arpa/inet.h>
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
#include "capture/flow_key.h"
#include "dataset/labels.h"

static char tmp[] = "/tmp/flowpic-test-labels-XXXXXX";

static const char *write_tmp(const char *name, const char *text)
{
	static char path[4][600];
	static int k;
	FILE *f;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", tmp, name);
	f = fopen(path[k], "w");
	fputs(text, f);
	fclose(f);
	return path[k];
}

static struct flowpic_key key(const char *proto, const char *a, const char *pa,
			      const char *b, const char *pb)
{
	struct flowpic_key k;

	flow_key_build(&k, proto, a, pa, b, pb);
	return k;
}

static void csv_fails(const char *name, const char *text, const char *want)
{
	struct labels *l = labels_new();
	char err[1024] = "";
	int rc = labels_load_csv(l, write_tmp(name, text), err, sizeof(err));

	tap_ok(rc < 0 && strstr(err, want) && strstr(err, name),
	       "labels CSV %s: \"%s\" (%s)", name, want, err);
	labels_free(l);
}

static void map_tests(const char *data)
{
	static const char *const cats[][3] = {
		{ "VoIP", "voip" }, { "Video", "video" }, { "Media", "video" },
		{ "Streaming", "video" }, { "Music", "video" },
		{ "Download", "file-transfer" },
		{ "Cloud", "file-transfer", "TLS.GoogleDrive" },
		{ "Cloud", "file-transfer", "Dropbox" },
		{ "Cloud", LABEL_OTHER, "TLS.AmazonAWS" },
		{ "Cloud", LABEL_OTHER, "NestLogSink" },
		{ "Cloud", LABEL_OTHER },
		{ "Chat", "chat" }, { "Web", "browsing" }, { "web", "browsing" },
		{ "Network", LABEL_OTHER }, { "Download-X", LABEL_OTHER },
		{ "", LABEL_OTHER },
	};
	struct labels *l = labels_new(), *m;
	char path[1200], err[1024], a[4096], b[4096];
	size_t i;
	int ok = 1, rc;
	FILE *f;

	for (i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		ok &= !strcmp(labels_map_class(l, cats[i][0], cats[i][2]),
			      cats[i][1]);
	tap_ok(ok, "built-in map: README's table; nDPI's short \"Download\" is Download-FileTransfer-P2P; of Cloud only file sync");

	m = labels_new();
	rc = labels_map_load(m, write_tmp("map.txt",
		"# classes\nvoip: VoIP\nstreaming: Video, Music (songs)\n\n"), err,
		sizeof(err));
	tap_ok(!rc && !strcmp(labels_map_class(m, "music", NULL), "streaming") &&
	       !strcmp(labels_map_class(m, "Web", NULL), LABEL_OTHER),
	       "a map file replaces the built-in map");
	rc = labels_map_load(m, write_tmp("syncmap.txt",
		"sync: Cloud (file sync)\nall: Network (any comment)\n"), err,
		sizeof(err));
	tap_ok(!rc && !strcmp(labels_map_class(m, "Cloud", "TLS.MS_OneDrive"), "sync") &&
	       !strcmp(labels_map_class(m, "Cloud", "TLS.Microsoft"), LABEL_OTHER) &&
	       !strcmp(labels_map_class(m, "Network", "DNS"), "all"),
	       "a map file's \"(file sync)\" keeps only file sync applications; other parentheses are comments");
	rc = labels_map_load(m, write_tmp("badmap.txt", "voip: VoIP\nthis is prose\n"),
			     err, sizeof(err));
	tap_ok(rc < 0 && strstr(err, "badmap.txt: line 2"),
	       "a map line of neither form: %s", err);
	rc = labels_map_load(m, write_tmp("badmap2.md", "| a | b | c |\n"), err,
			     sizeof(err));
	tap_ok(rc < 0 && strstr(err, "line 1: table row has 3 cells"),
	       "a 3-cell table row: %s", err);
	labels_free(m);

	snprintf(path, sizeof(path), "%s/README.md", data);
	m = labels_new();
	if (labels_map_load(m, path, err, sizeof(err))) {
		tap_skip("no datasets README", "map from the datasets README");
	} else {
		f = fmemopen(a, sizeof(a), "w");
		labels_map_print(l, f);
		fclose(f);
		f = fmemopen(b, sizeof(b), "w");
		labels_map_print(m, f);
		fclose(f);
		tap_ok(!strcmp(a, b), "the datasets README's table gives the built-in map exactly");
	}
	labels_free(m);
	labels_free(l);
}

static void csv_tests(void)
{
	struct labels *l = labels_new();
	struct flowpic_key k1 = key("UDP", "192.0.2.1", "5000", "198.51.100.7", "443");
	struct flowpic_key k2 = key("tcp", "2001:db8::2", "443", "2001:db8::1", "6000");
	char err[1024] = "", out[2048];
	FILE *f;
	int rc;

	rc = labels_load_csv(l, write_tmp("l.csv",
		"# written by hand\n"
		"proto,addr_b,port_b,addr_a,port_a,label,note\n"
		"UDP,198.51.100.7,443,192.0.2.1,5000,voip,reversed endpoints\n"
		"TCP,[2001:db8::1],6000,2001:db8::2,443,video,\n"
		"UDP,198.51.100.7,443,192.0.2.1,5000,voip,same again\n"
		"UDP,198.51.100.9,53,192.0.2.1,5001,chat,never seen\n"), err,
		sizeof(err));
	tap_ok(!rc && labels_count(l) == 3, "labels CSV: columns by header, duplicates agreeing (%s)", err);
	tap_ok(labels_lookup(l, "x/y.pcap", &k1) &&
	       !strcmp(labels_lookup(l, "y.pcap", &k1), "voip") &&
	       !strcmp(labels_lookup(l, "z.pcap", &k2), "video"),
	       "lookups are direction-blind and, without capture column, for any file");
	rc = labels_load_csv(l, write_tmp("l2.csv",
		"capture,proto,addr_a,port_a,addr_b,port_b,label\n"
		"one.pcap,UDP,192.0.2.1,5000,198.51.100.7,443,chat\n"), err,
		sizeof(err));
	tap_ok(!rc && !strcmp(labels_lookup(l, "/data/one.pcap", &k1), "chat") &&
	       !strcmp(labels_lookup(l, "/data/two.pcap", &k1), "voip"),
	       "a capture-specific label wins in its capture (by base name) only");
	f = fmemopen(out, sizeof(out), "w");
	rc = (int)labels_report_unmatched(l, f, 10);
	fclose(f);
	out[strcspn(out, "\n")] = 0;
	tap_ok(rc == 1 && strstr(out, "l.csv: line 6: flow UDP 192.0.2.1:5001 <-> 198.51.100.9:53") &&
	       strstr(out, "'chat') matched no window"),
	       "unmatched labels reported with file and line: %s", out);
	labels_free(l);

	csv_fails("nohead.csv", "capture,proto,addr_a,port_a,addr_b,label\n",
		  "line 1: header lacks column 'port_b'");
	csv_fails("badaddr.csv", "proto,addr_a,port_a,addr_b,port_b,label\n\n"
		  "UDP,192.0.2.300,1,192.0.2.1,2,x\n", "line 3: not a TCP/UDP flow");
	csv_fails("mixed.csv", "proto,addr_a,port_a,addr_b,port_b,label\n"
		  "UDP,192.0.2.3,1,2001:db8::1,2,x\n", "line 2: not a TCP/UDP flow");
	csv_fails("icmp.csv", "proto,addr_a,port_a,addr_b,port_b,label\n"
		  "ICMP,192.0.2.3,1,192.0.2.4,2,x\n", "line 2: not a TCP/UDP flow");
	csv_fails("port.csv", "proto,addr_a,port_a,addr_b,port_b,label\n"
		  "TCP,192.0.2.3,65536,192.0.2.4,2,x\n", "line 2: not a TCP/UDP flow");
	csv_fails("cols.csv", "proto,addr_a,port_a,addr_b,port_b,label\n"
		  "TCP,192.0.2.3,1,192.0.2.4,2\n", "line 2: 5 columns where the header has 6");
	csv_fails("label.csv", "proto,addr_a,port_a,addr_b,port_b,label\n"
		  "TCP,192.0.2.3,1,192.0.2.4,2,two words\n", "line 2: label 'two words'");
	csv_fails("conflict.csv", "proto,addr_a,port_a,addr_b,port_b,label\n"
		  "TCP,192.0.2.3,1,192.0.2.4,2,a\n#\nTCP,192.0.2.4,2,192.0.2.3,1,b\n",
		  "line 4: flow TCP 192.0.2.3:1 <-> 192.0.2.4:2 is labelled 'b' here but 'a' at");
	csv_fails("empty.csv", "# nothing\n", "no header line");
}

static void rule_tests(void)
{
	struct labels *l = labels_new();
	struct flowpic_key none;
	char err[1024] = "", out[1024];
	FILE *f;
	int rc;

	memset(&none, 0, sizeof(none));
	rc = labels_load_rules(l, write_tmp("rules",
		"# ISCX style\n*/Youtube/*=youtube\n*/Youtube/1080/*=never\n"
		"*skype*=voip\n*.pcap=other\n"), err, sizeof(err));
	tap_ok(!rc && !strcmp(labels_lookup(l, "vp/Youtube/1080/a.csv.gz", &none), "youtube") &&
	       !strcmp(labels_lookup(l, "caps/skype-call.pcap", &none), "voip") &&
	       !strcmp(labels_lookup(l, "caps/x.pcap", &none), "other") &&
	       !labels_lookup(l, "caps/x.pcapng", &none),
	       "rules: fnmatch on the path, the first match wins");
	f = fmemopen(out, sizeof(out), "w");
	rc = (int)labels_report_unmatched(l, f, 10);
	fclose(f);
	out[strcspn(out, "\n")] = 0;
	tap_ok(rc == 1 && strstr(out, "rules: line 3: rule '*/Youtube/1080/*=never' matched no input file"),
	       "a rule that never matched is reported: %s", out);
	rc = labels_add_rule(l, "novalue", "--rule", err, sizeof(err));
	tap_ok(rc < 0 && strstr(err, "--rule: rule 'novalue' is not PATTERN=LABEL"),
	       "a rule without '=': %s", err);
	labels_free(l);
}

static void ndpi_tests(const char *data)
{
	struct labels *l = labels_new();
	char path[1200], err[1024] = "";
	size_t skipped;
	struct flowpic_key k;
	int rc;

	snprintf(path, sizeof(path), "%s/ndpi/result/teams.pcap.out", data);
	rc = labels_load_ndpi(l, path, err, sizeof(err));
	/* grep -aE '^\s+[0-9]+\s+(TCP|UDP) ' | grep -ac '\[Confidence: DPI\]' */
	tap_ok(!rc && labels_count(l) == 75,
	       "teams.pcap.out: the 75 TCP/UDP flows of confidence DPI (%s)", err);
	k = key("UDP", "52.114.250.141", "3478", "192.168.1.6", "50017");
	tap_ok(labels_lookup(l, "teams.pcap", &k) &&
	       !strcmp(labels_lookup(l, "dir/teams.pcap", &k), "voip") &&
	       !labels_lookup(l, "other.pcap", &k),
	       "its Teams call flow is voip, in teams.pcap only");
	labels_free(l);

	l = labels_new();
	rc = labels_load_ndpi(l, write_tmp("odd.pcap.out",
		"\t1\tTCP [2001:db8::1]:443 <-> [2001:db8:1::7a0b::]:5000 [proto: 91/TLS]"
		"[Confidence: DPI][cat: Web/5]\n"
		"\t2\tUDP 192.0.2.1:53 -> 192.0.2.2:5353 [proto: 5/DNS]"
		"[Confidence: Match by port][cat: Network/14]\n"
		"\t3\tICMP 192.0.2.1:0 -> 192.0.2.2:0 [Confidence: DPI][cat: Network/14]\n"
		"\t4\tUDP 192.0.2.1:53 -> 192.0.2.2:5353 [proto: 5/DNS]"
		"[Confidence: DPI][FPC: 5/DNS, Confidence: DPI][cat: Network/14]\n"),
		err, sizeof(err));
	labels_skipped(l, &skipped);
	k = key("UDP", "192.0.2.2", "5353", "192.0.2.1", "53");
	tap_ok(!rc && labels_count(l) == 1 && skipped == 1 &&
	       !strcmp(labels_lookup(l, "odd.pcap", &k), "other"),
	       "an impossible address is skipped and counted, guesses and ICMP left out");
	rc = labels_load_ndpi(l, write_tmp("nocat.pcap.out",
		"\t1\tUDP 192.0.2.1:53 -> 192.0.2.2:5353 [Confidence: DPI]\n"), err,
		sizeof(err));
	tap_ok(rc < 0 && strstr(err, "nocat.pcap.out: line 1: DPI flow line without a [cat: ...] field"),
	       "a DPI line without category: %s", err);
	labels_free(l);

	l = labels_new();
	rc = labels_load_ndpi(l, write_tmp("cloud.pcap.out",
		"\t1\tTCP 192.0.2.1:50000 <-> 198.51.100.1:443 [proto: 91.178/TLS.AmazonAWS]"
		"[Confidence: DPI][cat: Cloud/13]\n"
		"\t2\tTCP 192.0.2.1:50001 <-> 198.51.100.2:443 [proto: 91.221/TLS.MS_OneDrive]"
		"[Confidence: DPI][cat: Cloud/13]\n"), err, sizeof(err));
	k = key("TCP", "192.0.2.1", "50000", "198.51.100.1", "443");
	tap_ok(!rc && labels_count(l) == 2 &&
	       !strcmp(labels_lookup(l, "cloud.pcap", &k), LABEL_OTHER) &&
	       (k = key("TCP", "192.0.2.1", "50001", "198.51.100.2", "443"),
		!strcmp(labels_lookup(l, "cloud.pcap", &k), "file-transfer")),
	       "result files: a Cloud flow to AWS is other, one to OneDrive file-transfer");
	labels_free(l);
}

static void label_command(const char *data)
{
	char out[600], cap1[1200], cap2[1200], res[1200], fpd[600], err[1024];
	char *argv[12];
	struct labels *l = labels_new(), *r = labels_new();
	struct flowpic_key k;
	int rc;

	snprintf(out, sizeof(out), "%s/ndpi.csv", tmp);
	snprintf(fpd, sizeof(fpd), "%s/labelled.fpd", tmp);
	snprintf(cap1, sizeof(cap1), "%s/ndpi/pcap/skype-conference-call.pcap", data);
	snprintf(cap2, sizeof(cap2), "%s/ndpi/pcap/whatsapp_voice_and_message.pcap", data);
	argv[0] = "label";
	argv[1] = "-o";
	argv[2] = out;
	argv[3] = cap1;
	argv[4] = cap2;
	argv[5] = NULL;
	rc = test_cmd(cmd_label, argv, NULL);
	tap_ok(rc == 0 && !labels_load_csv(l, out, err, sizeof(err)) &&
	       labels_count(l) == 14,
	       "flowpic label: libndpi 4.2 gives 14 DPI flows for two captures, a loadable labels CSV (%s)",
	       err);
	/* the skype flow, as ndpiReader's result file has it: voip */
	snprintf(res, sizeof(res), "%s/ndpi/result/skype-conference-call.pcap.out", data);
	labels_load_ndpi(r, res, err, sizeof(err));
	k = key("UDP", "192.168.2.20", "49282", "104.46.40.49", "60642");
	tap_ok(labels_lookup(l, cap1, &k) && labels_lookup(r, cap1, &k) &&
	       !strcmp(labels_lookup(l, cap1, &k), "voip") &&
	       !strcmp(labels_lookup(r, cap1, &k), "voip"),
	       "the Skype call flow is voip for libndpi 4.2 and for the result file");
	k = key("TCP", "10.8.0.1", "42241", "173.192.222.189", "5222");
	tap_ok(labels_lookup(l, cap2, &k) && !strcmp(labels_lookup(l, cap2, &k), "chat"),
	       "a WhatsApp chat flow is chat");

	argv[0] = "dataset";
	argv[1] = "-o";
	argv[2] = fpd;
	argv[3] = "--labels";
	argv[4] = out;
	argv[5] = "--min-packets";
	argv[6] = "1";
	argv[7] = cap1;
	argv[8] = cap2;
	argv[9] = NULL;
	rc = test_cmd(cmd_dataset, argv, NULL);
	tap_ok(rc == 0, "flowpic dataset --labels of flowpic label's CSV: every label matched a window");
	argv[3] = "--ndpi";
	snprintf(res, sizeof(res), "%s/ndpi/result", data);
	argv[4] = res;
	rc = test_cmd(cmd_dataset, argv, NULL);
	tap_ok(rc == 0, "flowpic dataset --ndpi DIR: the result files' flows all matched");
	argv[0] = "label";
	argv[1] = "-o";
	argv[2] = out;
	argv[3] = "/nonexistent.pcap";
	argv[4] = NULL;
	rc = test_cmd(cmd_label, argv, NULL);
	tap_ok(rc == 1, "flowpic label on a missing capture exits 1");
	labels_free(l);
	labels_free(r);
}

/*
 * libndpi 4.2 (flowpic label) against the result files of the newer nDPI
 * that ships them, on every capture: the share of flows both label with
 * the same class. The figure docs/pipeline.md quotes.
 */
static void agreement(const char *data)
{
	char out[600], cmd[2048], line[1024], *f[12], *save;
	struct labels *r = labels_new();
	unsigned long both = 0, same = 0, mine = 0;
	struct flowpic_key k;
	const char *theirs;
	FILE *in;
	int n;

	snprintf(out, sizeof(out), "%s/all.csv", tmp);
	snprintf(cmd, sizeof(cmd),
		 "for f in %s/ndpi/result/*.out; do printf '%%s\\n' \"$f\"; done > %s/results.txt",
		 data, tmp);
	if (system(cmd)) {
		tap_ok(0, "listing the result files");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s/results.txt", tmp);
	in = fopen(cmd, "r");
	while (in && fgets(line, sizeof(line), in)) {
		char err[1024];

		line[strcspn(line, "\n")] = 0;
		if (labels_load_ndpi(r, line, err, sizeof(err)))
			tap_diag("%s", err);
	}
	if (in)
		fclose(in);
	snprintf(cmd, sizeof(cmd), "./build/flowpic label -o %s %s/ndpi/pcap/*.pcap* 2>/dev/null",
		 out, data);
	if (access("./build/flowpic", X_OK)) {
		tap_skip("build/flowpic is not built", "flowpic label against the nDPI result files");
		labels_free(r);
		return;
	}
	(void)!system(cmd);	/* a PPI and a truncated capture fail: fine */
	in = fopen(out, "r");
	while (in && fgets(line, sizeof(line), in)) {
		if (line[0] == '#' || !strncmp(line, "capture,", 8))
			continue;
		for (n = 0, save = NULL, f[0] = strtok_r(line, ",", &save);
		     f[n] && n < 11; f[++n] = strtok_r(NULL, ",", &save))
			;
		if (n < 7 || flow_key_build(&k, f[1], f[2], f[3], f[4], f[5]))
			continue;
		mine++;
		theirs = labels_lookup(r, f[0], &k);
		if (!theirs)
			continue;
		both++;
		same += !strcmp(theirs, f[6]);
	}
	if (in)
		fclose(in);
	tap_ok(mine > 3000 && both > 3000 && same * 10 > both * 8,
	       "flowpic label (libndpi 4.2) on all captures: %lu DPI flows; %lu also in the result files, %lu (%.1f%%) of them the same class",
	       mine, both, same, both ? 100.0 * same / both : 0);
	labels_free(r);
}

int main(void)
{
	const char *d = getenv("FLOWPIC_DATA");
	char data[1024], cmd[128];
	struct stat st;
	int have;

	tap_header();
	tap_plan(34);
	if (!mkdtemp(tmp)) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	snprintf(data, sizeof(data), "%s", d ? d : "../shared/datasets");
	have = !stat(data, &st) && S_ISDIR(st.st_mode);
	map_tests(data);
	csv_tests();
	rule_tests();
	if (have) {
		ndpi_tests(data);
		label_command(data);
		agreement(data);
	} else {
		tap_skip_n(11, "no datasets at FLOWPIC_DATA or ../shared/datasets",
			 "nDPI result files and flowpic label on real captures");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd))
		tap_diag("could not remove %s", tmp);
	return tap_done();
}
