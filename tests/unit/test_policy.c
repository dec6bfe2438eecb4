// SPDX-License-Identifier: GPL-2.0
/* The policy file: syntax, every error with its line, the action table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "live/policy.h"
#include "live/shaper.h"
#include "unit/test.h"

static char err[512];

static int parse_n(struct policy *p, const char *text, size_t len)
{
	FILE *f = fmemopen((void *)text, len, "r");
	int rc;

	if (!f)
		return -errno;
	err[0] = '\0';
	rc = policy_parse(p, "t.policy", f, err, sizeof(err));
	fclose(f);
	return rc;
}

static int parse(struct policy *p, const char *text)
{
	return parse_n(p, text, strlen(text));
}

/* The text must be refused with exactly @want as the message. */
static void refused(const char *text, const char *want)
{
	struct policy p;
	int rc = parse(&p, text);

	tap_ok(rc < 0 && !strcmp(err, want) && !p.rules && !p.nrules,
	       "refused: %s", want);
	if (rc >= 0 || strcmp(err, want))
		tap_diag("got rc %d, '%s'", rc, err);
	if (!rc)
		policy_free(&p);
}

static const char good[] =
	"# demo policy\n"
	"\n"
	"voip          priority 1:10   # tc's class ids are hexadecimal\n"
	"video\tshape 2mbit\n"
	"  file-transfer  shape 500kbit\n"
	"chat mark 0x2a\n"
	"browsing pass\n"
	"unknown drop\n";

static const char *const classes[] = {
	"voip", "video", "file-transfer", "chat", "browsing", "other",
};

static void test_good(void)
{
	struct flowpic_action a[FLOWPIC_POLICY_SLOTS];
	struct policy_shape sh[FLOWPIC_POLICY_SLOTS];
	const struct policy_rule *r;
	struct policy p;
	char buf[64];
	unsigned int n, s, passes = 0;

	tap_ok(!parse(&p, good), "a good policy parses (%s)", err);
	tap_ok(p.nrules == 6, "six rules (%zu)", p.nrules);
	r = policy_find(&p, "video");
	tap_ok(r && r->line == 4 && r->verb == POLICY_SHAPE &&
	       r->rate_bps == 2000000, "video: line 4, shape 2000000 bit/s");
	r = policy_find(&p, "file-transfer");
	tap_ok(r && r->line == 5 && r->rate_bps == 500000,
	       "leading blanks, 500kbit = 500000 bit/s");
	r = policy_find(&p, "voip");
	tap_ok(r && r->verb == POLICY_PRIORITY && r->value == 0x00010010,
	       "priority 1:10 is classid 0x00010010, comment stripped");
	r = policy_find(&p, "chat");
	tap_ok(r && r->verb == POLICY_MARK && r->value == 42, "mark 0x2a");
	tap_ok(!policy_find(&p, "other"), "no rule for 'other'");
	policy_rule_str(policy_find(&p, "video"), buf, sizeof(buf));
	tap_ok(!strcmp(buf, "shape 2mbit"), "rule prints as '%s'", buf);

	tap_ok(!policy_check_classes(&p, classes, 6, err, sizeof(err)),
	       "every class is the model's");
	tap_ok(policy_check_classes(&p, classes + 1, 5, err, sizeof(err)) ==
	       -ENOENT && !strcmp(err, "t.policy:3: class 'voip' is not one "
	       "of the model's classes (video, file-transfer, chat, browsing, "
	       "other)"), "a class the model lacks names its line: %s", err);

	policy_actions(&p, classes, 6, a);
	tap_ok(a[0].type == FLOWPIC_ACT_PRIORITY && a[0].value == 0x00010010,
	       "slot 0 (voip): priority 1:10");
	tap_ok(a[1].type == FLOWPIC_ACT_PRIORITY &&
	       a[1].value == shaper_classid(SHAPER_SLOT_MINOR + 1),
	       "slot 1 (video): steered into f1c:101 (%x)", a[1].value);
	tap_ok(a[3].type == FLOWPIC_ACT_MARK && a[3].value == 42,
	       "slot 3 (chat): mark 42");
	tap_ok(a[5].type == FLOWPIC_ACT_PASS && a[5].value == 0,
	       "slot 5 (other, no rule, no default): pass");
	tap_ok(a[FLOWPIC_CLASS_UNKNOWN].type == FLOWPIC_ACT_DROP,
	       "unknown slot: drop");
	for (s = 0; s < FLOWPIC_POLICY_SLOTS; s++)
		passes += !flowpic_action_invalid(&a[s]);
	tap_ok(passes == FLOWPIC_POLICY_SLOTS,
	       "every slot is an action the kernel accepts");

	n = policy_shapes(&p, classes, 6, sh);
	tap_ok(n == 2 && sh[0].classid == shaper_classid(0x101) &&
	       sh[0].rate_bps == 2000000 && !strcmp(sh[0].name, "video") &&
	       sh[1].classid == shaper_classid(0x102) &&
	       sh[1].rate_bps == 500000,
	       "two HTB classes: f1c:101 2mbit, f1c:102 500kbit");
	policy_free(&p);
}

static void test_default(void)
{
	struct flowpic_action a[FLOWPIC_POLICY_SLOTS];
	struct policy_shape sh[FLOWPIC_POLICY_SLOTS];
	struct policy p;
	unsigned int n;

	tap_ok(!parse(&p, "default shape 1mbit\nvoip pass\n"),
	       "default rule parses");
	policy_actions(&p, classes, 6, a);
	tap_ok(a[0].type == FLOWPIC_ACT_PASS, "voip keeps its own rule");
	tap_ok(a[1].type == FLOWPIC_ACT_PRIORITY &&
	       a[1].value == shaper_classid(SHAPER_DEFAULT_MINOR) &&
	       a[5].value == a[1].value,
	       "classes without a rule share the default class f1c:200");
	tap_ok(a[FLOWPIC_CLASS_UNKNOWN].type == FLOWPIC_ACT_PASS,
	       "default does not cover unknown");
	tap_ok(a[6].type == FLOWPIC_ACT_PASS,
	       "slots beyond the model's classes pass");
	n = policy_shapes(&p, classes, 6, sh);
	tap_ok(n == 1 && sh[0].rate_bps == 1000000,
	       "one shared HTB class for default");
	policy_free(&p);

	tap_ok(!parse(&p, "# nothing but comments\n\n   \n"),
	       "an empty policy is valid (everything passes)");
	tap_ok(p.nrules == 0, "and has no rules");
	policy_actions(&p, NULL, 0, a);
	tap_ok(a[0].type == FLOWPIC_ACT_PASS &&
	       a[FLOWPIC_CLASS_UNKNOWN].type == FLOWPIC_ACT_PASS,
	       "all slots pass");
	policy_free(&p);
	tap_ok(!parse(&p, "video drop"), "last line without a newline");
	tap_ok(p.nrules == 1 && p.rules[0].verb == POLICY_DROP, "is read");
	policy_free(&p);
}

static void test_errors(void)
{
	char longline[1100];
	struct policy p;

	refused("voip pass\nvideo shpe 2mbit\n",
		"t.policy:2: unknown action 'shpe' for class 'video' "
		"(expected pass, drop, mark N[/MASK], priority MAJ:MIN or shape RATE)");
	refused("\n\nvideo\n", "t.policy:3: a class needs an action "
		"(expected pass, drop, mark N[/MASK], priority MAJ:MIN or shape RATE)");
	refused("video pass now\n", "t.policy:1: 'pass' takes no argument");
	refused("video drop 1\n", "t.policy:1: 'drop' takes no argument");
	refused("video mark\n", "t.policy:1: 'mark' takes one argument");
	refused("video shape 1 mbit\n",
		"t.policy:1: 'shape' takes one argument");
	refused("video mark 0\n",
		"t.policy:1: mark '0': must be 1 .. 0xffffffff");
	refused("video mark 0x100000000\n",
		"t.policy:1: mark '0x100000000': must be 1 .. 0xffffffff");
	refused("video mark 0x30/0x0f\n", "t.policy:1: mark '0x30/0x0f': the "
		"mask must be 1 .. 0xffffffff and hold every bit of the value");
	refused("video mark 1/0\n", "t.policy:1: mark '1/0': the mask must "
		"be 1 .. 0xffffffff and hold every bit of the value");
	refused("video mark 1/ff\n", "t.policy:1: mark '1/ff': not a number "
		"(decimal or 0x hex)");
	refused("video mark ten\n", "t.policy:1: mark 'ten': not a number "
		"(decimal or 0x hex)");
	refused("video mark -1\n", "t.policy:1: mark '-1': not a number "
		"(decimal or 0x hex)");
	refused("video priority 10\n", "t.policy:1: priority '10': not a "
		"class id MAJ:MIN (hexadecimal, as tc writes them)");
	refused("video priority 1:0\n", "t.policy:1: priority '1:0': major "
		"must be 1 .. fffe and minor non-zero");
	refused("video priority 0:1\n", "t.policy:1: priority '0:1': major "
		"must be 1 .. fffe and minor non-zero");
	refused("video priority 1:10000\n", "t.policy:1: priority "
		"'1:10000': not a class id MAJ:MIN (hexadecimal, as tc writes "
		"them)");
	refused("video priority f1c:5\n", "t.policy:1: priority f1c: is "
		"reserved for flowpic's own shaping qdisc (use 'shape RATE')");
	refused("video shape fast\n", "t.policy:1: shape 'fast': not a rate "
		"(e.g. 2mbit, 500kbit, 1gbit, 100kbps)");
	refused("video shape 2\n", "t.policy:1: shape '2': not a rate "
		"(e.g. 2mbit, 500kbit, 1gbit, 100kbps)");
	refused("video shape 1bit\n",
		"t.policy:1: shape '1bit': rate must be 8bit .. 8tbit");
	refused("video shape -2mbit\n", "t.policy:1: shape '-2mbit': not a "
		"rate (e.g. 2mbit, 500kbit, 1gbit, 100kbps)");
	refused("vi/deo pass\n", "t.policy:1: bad class name 'vi/deo' "
		"(letters, digits, '_.-+', at most 63 characters)");
	refused("video pass\n# x\nvideo drop\n",
		"t.policy:3: class 'video' already has an action on line 1");
	refused("a pass c d e\n", "t.policy:1: too many words (expected pass, "
		"drop, mark N[/MASK], priority MAJ:MIN or shape RATE)");
	tap_ok(parse_n(&p, "video pass\nvoip p\0ss\n", 20) == -EINVAL &&
	       !strcmp(err, "t.policy:2: NUL byte: not a text file"),
	       "refused: %s", err);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	refused(longline, "t.policy:1: line longer than 1024 characters");
}

/* A mark under a mask: only its bits change, the rest is kept. */
static void test_mark_mask(void)
{
	struct flowpic_action a[FLOWPIC_POLICY_SLOTS];
	struct policy p;
	char buf[64];

	tap_ok(!parse(&p, "chat mark 0x20/0xf0\nvoip mark 0/0xff00\n"),
	       "marks with masks parse (%s)", err);
	policy_actions(&p, classes, 6, a);
	tap_ok(a[3].type == FLOWPIC_ACT_MARK && a[3].value == 0x20 &&
	       a[3].mask == 0xf0 && !flowpic_action_invalid(&a[3]),
	       "slot 3 (chat): mark 0x20 under 0xf0");
	tap_ok(flowpic_mark_apply(0x10f, &a[3]) == 0x12f,
	       "0x10f marked 0x20/0xf0 is 0x12f (%#x)",
	       flowpic_mark_apply(0x10f, &a[3]));
	tap_ok(flowpic_mark_apply(0xabcd, &a[0]) == 0x00cd,
	       "0xabcd marked 0/0xff00 is 0xcd (%#x)",
	       flowpic_mark_apply(0xabcd, &a[0]));
	policy_action_str(&a[3], buf, sizeof(buf));
	tap_ok(!strcmp(buf, "mark 0x20/0xf0"), "prints as '%s'", buf);
	policy_free(&p);

	tap_ok(!parse(&p, "chat mark 7\n"), "a mark without a mask parses");
	policy_actions(&p, classes, 6, a);
	tap_ok(a[3].mask == 0 && flowpic_mark_apply(0xffff0000, &a[3]) == 7,
	       "no mask: the whole mark is set (%#x)",
	       flowpic_mark_apply(0xffff0000, &a[3]));
	policy_free(&p);
	a[0].type = FLOWPIC_ACT_PRIORITY;
	a[0].value = 0x10010;
	a[0].mask = 0xff;
	tap_ok(flowpic_action_invalid(&a[0]), "a mask on a priority is invalid");
}

static void test_units(void)
{
	uint64_t bps = 0;
	uint32_t id = 0;

	tap_ok(!policy_parse_rate("1.5mbit", &bps) && bps == 1500000,
	       "1.5mbit");
	tap_ok(!policy_parse_rate("100kbps", &bps) && bps == 800000,
	       "100kbps is bytes: 800000 bit/s");
	tap_ok(!policy_parse_rate("1Gbit", &bps) && bps == 1000000000,
	       "units are case-insensitive");
	tap_ok(!policy_parse_rate("1mibit", &bps) && bps == 1048576,
	       "binary units");
	tap_ok(policy_parse_rate("9tbit", &bps) == -ERANGE, "9tbit too fast");
	tap_ok(!policy_parse_classid("ffe:abcd", &id) && id == 0x0ffeabcd,
	       "classid ffe:abcd");
	tap_ok(policy_parse_classid("ffff:1", &id) == -ERANGE,
	       "major ffff is reserved");
	tap_ok(policy_parse_classid(":1", &id) == -EINVAL, "empty major");
}

static void test_file(void)
{
	char path[] = "/tmp/flowpic-policy-XXXXXX";
	struct policy p;
	int fd, rc;

	rc = policy_load(&p, "/nonexistent/flowpic.policy", err, sizeof(err));
	tap_ok(rc == -ENOENT && !strcmp(err, "/nonexistent/flowpic.policy: "
	       "No such file or directory"), "a missing file is named: %s",
	       err);
	fd = mkstemp(path);
	if (fd < 0) {
		tap_skip("mkstemp failed", "policy_load from a file");
		return;
	}
	rc = write(fd, "video drop\nchat mark 7 7\n", 25) == 25 ? 0 : -1;
	close(fd);
	rc = rc ? rc : policy_load(&p, path, err, sizeof(err));
	tap_ok(rc == -EINVAL && strstr(err, path) == err &&
	       !strcmp(err + strlen(path), ":2: 'mark' takes one argument"),
	       "file errors name the path and line: %s", err);
	unlink(path);
}

int main(void)
{
	tap_header();
	tap_plan(73);
	test_good();
	test_default();
	test_errors();
	test_mark_mask();
	test_units();
	test_file();
	return tap_done();
}
