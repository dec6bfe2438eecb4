// SPDX-License-Identifier: GPL-2.0
/*
 * The HTB shaper against the real kernel, in a network namespace of its
 * own: create, change, reconcile, refuse a foreign qdisc, remove. What tc
 * reports is the judge. Skips (exit 4) when it cannot make a namespace.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "live/shaper.h"
#include "unit/test.h"

static char out[8192];

/* Runs a shell command, output in @out; returns its exit status. */
static int run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	out[0] = '\0';
	if (!p)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	return pclose(p);
}

/* Packets sent by the qdisc in @out (`tc -s qdisc show`), or -1. */
static long sent_packets(void)
{
	const char *p = strstr(out, "Sent ");
	long bytes, pkts;

	if (!p || sscanf(p, "Sent %ld bytes %ld pkt", &bytes, &pkts) != 2)
		return -1;
	return pkts;
}

int main(void)
{
	struct policy_shape sh[2] = {
		{ .classid = shaper_classid(0x101), .rate_bps = 2000000,
		  .name = "video" },
		{ .classid = shaper_classid(0x102), .rate_bps = 500000,
		  .name = "file-transfer" },
	};
	struct shaper s;
	char err[256];
	int rc;

	tap_header();
	tap_plan(17);
	if (geteuid() != 0 || unshare(CLONE_NEWNET)) {
		tap_skip_n(17, "needs root and network namespaces", "shaper");
		tap_done();
		return 4;
	}
	if (run("ip link add fpt0 type veth peer name fpt1 2>&1 && "
		"ip link set fpt0 up && ip link set fpt1 up 2>&1")) {
		tap_skip_n(17, "cannot create a veth pair", "shaper");
		tap_done();
		return 4;
	}
	tap_ok(!shaper_open(&s, err, sizeof(err)), "route socket (%s)", err);

	rc = shaper_apply(&s, "fpt9", sh, 2, err, sizeof(err));
	tap_ok(rc == -ENODEV && !strcmp(err, "interface 'fpt9' does not exist"),
	       "a missing interface is named: %s", err);

	tap_ok(shaper_present(&s, "fpt0") == 0, "no flowpic qdisc at first");
	rc = shaper_apply(&s, "fpt0", sh, 2, err, sizeof(err));
	tap_ok(!rc, "apply two classes (%s)", rc ? err : "ok");
	tap_ok(shaper_present(&s, "fpt0") == 1, "flowpic's HTB is present");
	run("tc qdisc show dev fpt0 root");
	tap_ok(strstr(out, "qdisc htb f1c: root") && strstr(out, "default 0x2"),
	       "tc shows htb f1c: root, default f1c:2");
	run("tc class show dev fpt0");
	tap_ok(strstr(out, "class htb f1c:101 parent f1c:1") &&
	       strstr(out, "rate 2Mbit ceil 2Mbit") &&
	       strstr(out, "class htb f1c:102 parent f1c:1") &&
	       strstr(out, "rate 500Kbit ceil 500Kbit") &&
	       strstr(out, "class htb f1c:2 parent f1c:1"),
	       "tc shows f1c:101 at 2Mbit, f1c:102 at 500Kbit, f1c:2");

	/*
	 * Traffic through the qdisc before the reload: its counters say
	 * afterwards whether it is the same qdisc or a new one.
	 */
	run("ip addr add 10.99.0.1/24 dev fpt0 && "
	    "ip neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev fpt0 && "
	    "ping -q -c 3 -i 0.2 -W 1 10.99.0.2 >/dev/null 2>&1; "
	    "tc -s qdisc show dev fpt0 root");
	tap_ok(sent_packets() >= 3, "3 pings went through the qdisc: %ld",
	       sent_packets());

	/* A reload: video gets faster, file-transfer's rule is gone. */
	sh[0].rate_bps = 4000000;
	rc = shaper_apply(&s, "fpt0", sh, 1, err, sizeof(err));
	tap_ok(!rc, "re-apply with one class (%s)", rc ? err : "ok");
	run("tc class show dev fpt0");
	tap_ok(strstr(out, "f1c:101") && strstr(out, "rate 4Mbit") &&
	       !strstr(out, "f1c:102"),
	       "f1c:101 changed in place to 4Mbit, f1c:102 deleted");
	run("tc -s qdisc show dev fpt0 root");
	tap_ok(strstr(out, "qdisc htb f1c: root") && sent_packets() >= 3,
	       "the qdisc itself was kept across the re-apply: it still counts %ld packets sent",
	       sent_packets());

	tap_ok(!shaper_remove(&s, "fpt0", err, sizeof(err)), "remove");
	run("tc qdisc show dev fpt0 root");
	tap_ok(!strstr(out, "htb"), "root qdisc is the default again: %s",
	       out);
	tap_ok(!shaper_remove(&s, "fpt0", err, sizeof(err)),
	       "removing twice is fine");

	run("tc qdisc add dev fpt1 root handle 1: htb default 1");
	rc = shaper_apply(&s, "fpt1", sh, 1, err, sizeof(err));
	tap_ok(rc == -EEXIST && strstr(err, "fpt1: root qdisc 'htb 1:' was "
	       "not made by flowpic"), "a foreign root qdisc is refused: %s",
	       err);
	tap_ok(!shaper_remove(&s, "fpt1", err, sizeof(err)),
	       "remove leaves a foreign qdisc alone");
	run("tc qdisc show dev fpt1 root");
	tap_ok(strstr(out, "qdisc htb 1: root") != NULL, "it is still there");

	shaper_close(&s);
	return tap_done();
}
