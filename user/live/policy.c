// SPDX-License-Identifier: GPL-2.0
/*
 * The policy file: "CLASS ACTION [ARGUMENT]" per line, '#' comments.
 * Parsed whole before anything is applied, so a bad line never leaves
 * half a policy in the kernel.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/policy.h"
#include "live/shaper.h"

#define POLICY_LINE_MAX	1024
#define POLICY_RULES_MAX	(FLOWPIC_POLICY_SLOTS + 1)

static const char policy_usage[] =
	"expected pass, drop, mark N[/MASK], priority MAJ:MIN or shape RATE";

__attribute__((format(printf, 5, 6)))
static int policy_err(char *err, size_t errlen, const char *name,
		      unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int off;

	if (!errlen)
		return -EINVAL;
	off = line ? snprintf(err, errlen, "%s:%u: ", name, line)
		   : snprintf(err, errlen, "%s: ", name);
	if (off < 0 || (size_t)off >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + off, errlen - off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int policy_parse_rate(const char *s, uint64_t *bps)
{
	/* tc(8)'s units: bits per second, and bytes per second ("bps"). */
	static const struct { const char *unit; double mult; } units[] = {
		{ "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 },
		{ "gbit", 1e9 }, { "tbit", 1e12 },
		{ "kibit", 1024.0 }, { "mibit", 1048576.0 },
		{ "gibit", 1073741824.0 },
		{ "bps", 8 }, { "kbps", 8e3 }, { "mbps", 8e6 },
		{ "gbps", 8e9 },
	};
	char *end;
	double v;
	size_t i;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].unit))
			continue;
		v *= units[i].mult;
		/* HTB's 64-bit rate is in bytes per second. */
		if (v < 8 || v > 8e12)
			return -ERANGE;
		*bps = (uint64_t)(v + 0.5);
		return 0;
	}
	return -EINVAL;
}

static int parse_hex16(const char *s, const char *end, uint32_t *out)
{
	uint32_t v = 0;

	if (s == end || end - s > 4)
		return -EINVAL;
	for (; s < end; s++) {
		if (!isxdigit((unsigned char)*s))
			return -EINVAL;
		v = v * 16 + (uint32_t)(isdigit((unsigned char)*s) ? *s - '0' :
					(tolower((unsigned char)*s) - 'a' + 10));
	}
	*out = v;
	return 0;
}

int policy_parse_classid(const char *s, uint32_t *classid)
{
	const char *colon = strchr(s, ':');
	uint32_t maj, min;

	if (!colon || parse_hex16(s, colon, &maj) ||
	    parse_hex16(colon + 1, colon + 1 + strlen(colon + 1), &min))
		return -EINVAL;
	/* Minor 0 names the qdisc itself, major 0 and ffff are reserved. */
	if (!maj || maj == 0xffff || !min)
		return -ERANGE;
	*classid = maj << 16 | min;
	return 0;
}

static int parse_u32(const char *s, char **end, uint32_t *out)
{
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, end, 0);
	if (errno)
		return -EINVAL;
	if (v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/*
 * "N" (the whole mark, N 1 .. 0xffffffff) or "N/MASK" (the bits of MASK,
 * not 0, set to N's, N having no bit outside MASK). -EINVAL when not
 * numbers, -ERANGE for N, -EDOM for MASK.
 */
static int parse_mark(const char *s, uint32_t *mark, uint32_t *mask)
{
	char *end;
	int rc;

	*mask = 0;
	rc = parse_u32(s, &end, mark);
	if (rc)
		return rc;
	if (*end == '/') {
		rc = parse_u32(end + 1, &end, mask);
		if (rc == -EINVAL || *end)
			return -EINVAL;
		if (rc || !*mask || (*mark & ~*mask))
			return -EDOM;
		return 0;
	}
	if (*end)
		return -EINVAL;
	return *mark ? 0 : -ERANGE;
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= POLICY_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-+", *s))
			return 0;
	return 1;
}

/* Splits @line into at most @max words; returns how many, or -1 if more. */
static int split_words(char *line, char **w, int max)
{
	int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(line, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return -1;
		w[n++] = tok;
	}
	return n;
}

static int parse_line(struct policy_rule *r, char **w, int nw,
		      const char *name, unsigned int line,
		      char *err, size_t errlen)
{
	const char *verb;
	int rc, want;

	if (nw < 0 || nw < 2)
		return policy_err(err, errlen, name, line,
				  nw < 0 ? "too many words (%s)" :
				  "a class needs an action (%s)",
				  policy_usage);
	if (!valid_name(w[0]))
		return policy_err(err, errlen, name, line,
				  "bad class name '%.80s' (letters, digits, "
				  "'_.-+', at most %d characters)", w[0],
				  POLICY_NAME_MAX - 1);
	memset(r, 0, sizeof(*r));
	strcpy(r->name, w[0]);
	r->line = line;
	verb = w[1];
	if (!strcmp(verb, "pass")) {
		r->verb = POLICY_PASS;
		want = 2;
	} else if (!strcmp(verb, "drop")) {
		r->verb = POLICY_DROP;
		want = 2;
	} else if (!strcmp(verb, "mark")) {
		r->verb = POLICY_MARK;
		want = 3;
	} else if (!strcmp(verb, "priority")) {
		r->verb = POLICY_PRIORITY;
		want = 3;
	} else if (!strcmp(verb, "shape")) {
		r->verb = POLICY_SHAPE;
		want = 3;
	} else {
		return policy_err(err, errlen, name, line,
				  "unknown action '%.40s' for class '%s' (%s)",
				  verb, r->name, policy_usage);
	}
	if (nw != want)
		return policy_err(err, errlen, name, line,
				  want == 2 ? "'%s' takes no argument" :
				  "'%s' takes one argument", verb);

	switch (r->verb) {
	case POLICY_MARK:
		rc = parse_mark(w[2], &r->value, &r->mask);
		if (rc)
			return policy_err(err, errlen, name, line,
					  "mark '%.40s': %s", w[2],
					  rc == -ERANGE ?
					  "must be 1 .. 0xffffffff" :
					  rc == -EDOM ?
					  "the mask must be 1 .. 0xffffffff "
					  "and hold every bit of the value" :
					  "not a number (decimal or 0x hex)");
		break;
	case POLICY_PRIORITY:
		rc = policy_parse_classid(w[2], &r->value);
		if (rc)
			return policy_err(err, errlen, name, line,
					  "priority '%.40s': %s", w[2],
					  rc == -ERANGE ?
					  "major must be 1 .. fffe and minor "
					  "non-zero" :
					  "not a class id MAJ:MIN (hexadecimal, "
					  "as tc writes them)");
		if (r->value >> 16 == SHAPER_MAJOR)
			return policy_err(err, errlen, name, line,
					  "priority %x: is reserved for flowpic's "
					  "own shaping qdisc (use 'shape RATE')",
					  SHAPER_MAJOR);
		break;
	case POLICY_SHAPE:
		rc = policy_parse_rate(w[2], &r->rate_bps);
		if (rc)
			return policy_err(err, errlen, name, line,
					  "shape '%.40s': %s", w[2],
					  rc == -ERANGE ?
					  "rate must be 8bit .. 8tbit" :
					  "not a rate (e.g. 2mbit, 500kbit, "
					  "1gbit, 100kbps)");
		break;
	default:
		break;
	}
	return 0;
}

int policy_parse(struct policy *p, const char *name, FILE *f,
		 char *err, size_t errlen)
{
	char *buf = NULL, *w[4], *hash;
	struct policy_rule *rules, r;
	unsigned int line = 0;
	size_t n = 0, i, cap = 0;
	ssize_t len;
	int nw, rc;

	memset(p, 0, sizeof(*p));
	rules = calloc(POLICY_RULES_MAX, sizeof(*rules));
	if (!rules)
		return policy_err(err, errlen, name, 0, "out of memory");

	while ((len = getline(&buf, &cap, f)) >= 0) {
		line++;
		if (len > POLICY_LINE_MAX) {
			rc = policy_err(err, errlen, name, line,
					"line longer than %d characters",
					POLICY_LINE_MAX);
			goto err_free;
		}
		if (memchr(buf, '\0', len)) {
			rc = policy_err(err, errlen, name, line,
					"NUL byte: not a text file");
			goto err_free;
		}
		hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		nw = split_words(buf, w, 4);
		if (nw == 0)
			continue;
		rc = parse_line(&r, w, nw, name, line, err, errlen);
		if (rc)
			goto err_free;
		for (i = 0; i < n; i++) {
			if (strcmp(rules[i].name, r.name))
				continue;
			rc = policy_err(err, errlen, name, line,
					"class '%s' already has an action on "
					"line %u", r.name, rules[i].line);
			goto err_free;
		}
		if (n == POLICY_RULES_MAX) {
			rc = policy_err(err, errlen, name, line,
					"more than %d rules (%d classes, "
					"unknown and default)",
					POLICY_RULES_MAX, FLOWPIC_CLASSES_MAX);
			goto err_free;
		}
		rules[n++] = r;
	}
	if (ferror(f)) {
		rc = -EIO;
		policy_err(err, errlen, name, line + 1, "read error");
		goto err_free;
	}
	p->path = strdup(name);
	if (!p->path) {
		rc = policy_err(err, errlen, name, 0, "out of memory");
		goto err_free;
	}
	p->rules = rules;
	p->nrules = n;
	free(buf);
	return 0;

err_free:
	free(buf);
	free(rules);
	return rc;
}

int policy_load(struct policy *p, const char *path, char *err, size_t errlen)
{
	FILE *f;
	int rc;

	memset(p, 0, sizeof(*p));
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = policy_parse(p, path, f, err, errlen);
	fclose(f);
	return rc;
}

void policy_free(struct policy *p)
{
	free(p->rules);
	free(p->path);
	memset(p, 0, sizeof(*p));
}

const struct policy_rule *policy_find(const struct policy *p,
				      const char *name)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (!strcmp(p->rules[i].name, name))
			return &p->rules[i];
	return NULL;
}

int policy_check_classes(const struct policy *p, const char *const *classes,
			 unsigned int nclasses, char *err, size_t errlen)
{
	char list[512];
	size_t i, off;
	unsigned int c;

	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (!strcmp(r->name, POLICY_UNKNOWN) ||
		    !strcmp(r->name, POLICY_DEFAULT))
			continue;
		for (c = 0; c < nclasses; c++)
			if (!strcmp(r->name, classes[c]))
				break;
		if (c < nclasses)
			continue;
		off = 0;
		list[0] = '\0';
		for (c = 0; c < nclasses && off < sizeof(list); c++)
			off += snprintf(list + off, sizeof(list) - off,
					"%s%s", c ? ", " : "", classes[c]);
		policy_err(err, errlen, p->path, r->line,
			   "class '%s' is not one of the model's classes (%s)",
			   r->name, list);
		return -ENOENT;
	}
	return 0;
}

/* The rule that governs slot @slot, and the HTB minor it would shape in. */
static const struct policy_rule *slot_rule(const struct policy *p,
					   const char *const *classes,
					   unsigned int nclasses,
					   unsigned int slot,
					   uint32_t *minor)
{
	const struct policy_rule *r;

	*minor = SHAPER_SLOT_MINOR + slot;
	if (slot == FLOWPIC_CLASS_UNKNOWN)
		return policy_find(p, POLICY_UNKNOWN);
	if (slot >= nclasses)
		return NULL;
	r = policy_find(p, classes[slot]);
	if (r)
		return r;
	*minor = SHAPER_DEFAULT_MINOR;
	return policy_find(p, POLICY_DEFAULT);
}

void policy_actions(const struct policy *p, const char *const *classes,
		    unsigned int nclasses, struct flowpic_action *out)
{
	const struct policy_rule *r;
	unsigned int s;
	uint32_t minor;

	for (s = 0; s < FLOWPIC_POLICY_SLOTS; s++) {
		out[s].type = FLOWPIC_ACT_PASS;
		out[s].value = 0;
		out[s].mask = 0;
		r = slot_rule(p, classes, nclasses, s, &minor);
		if (!r)
			continue;
		switch (r->verb) {
		case POLICY_PASS:
			break;
		case POLICY_DROP:
			out[s].type = FLOWPIC_ACT_DROP;
			break;
		case POLICY_MARK:
			out[s].type = FLOWPIC_ACT_MARK;
			out[s].value = r->value;
			out[s].mask = r->mask;
			break;
		case POLICY_PRIORITY:
			out[s].type = FLOWPIC_ACT_PRIORITY;
			out[s].value = r->value;
			break;
		case POLICY_SHAPE:
			out[s].type = FLOWPIC_ACT_PRIORITY;
			out[s].value = shaper_classid(minor);
			break;
		}
	}
}

unsigned int policy_shapes(const struct policy *p, const char *const *classes,
			   unsigned int nclasses, struct policy_shape *out)
{
	const struct policy_rule *r;
	unsigned int s, n = 0, i;
	uint32_t minor;

	for (s = 0; s < FLOWPIC_POLICY_SLOTS; s++) {
		r = slot_rule(p, classes, nclasses, s, &minor);
		if (!r || r->verb != POLICY_SHAPE)
			continue;
		for (i = 0; i < n; i++)
			if (out[i].classid == shaper_classid(minor))
				break;
		if (i < n)
			continue;	/* "default" classes share one */
		out[n].classid = shaper_classid(minor);
		out[n].rate_bps = r->rate_bps;
		snprintf(out[n].name, sizeof(out[n].name), "%s", r->name);
		n++;
	}
	return n;
}

static void rate_str(uint64_t bps, char *buf, size_t len)
{
	if (bps >= 1000000000 && bps % 1000000000 == 0)
		snprintf(buf, len, "%" PRIu64 "gbit", bps / 1000000000);
	else if (bps >= 1000000 && bps % 1000000 == 0)
		snprintf(buf, len, "%" PRIu64 "mbit", bps / 1000000);
	else if (bps >= 1000 && bps % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "kbit", bps / 1000);
	else
		snprintf(buf, len, "%" PRIu64 "bit", bps);
}

static void mark_str(uint32_t value, uint32_t mask, char *buf, size_t len)
{
	if (mask)
		snprintf(buf, len, "mark 0x%x/0x%x", value, mask);
	else
		snprintf(buf, len, "mark 0x%x", value);
}

void policy_action_str(const struct flowpic_action *a, char *buf, size_t len)
{
	switch (a->type) {
	case FLOWPIC_ACT_PASS:
		snprintf(buf, len, "pass");
		break;
	case FLOWPIC_ACT_DROP:
		snprintf(buf, len, "drop");
		break;
	case FLOWPIC_ACT_MARK:
		mark_str(a->value, a->mask, buf, len);
		break;
	case FLOWPIC_ACT_PRIORITY:
		snprintf(buf, len, "priority %x:%x", a->value >> 16,
			 a->value & 0xffff);
		break;
	default:
		snprintf(buf, len, "action%u", a->type);
		break;
	}
}

void policy_rule_str(const struct policy_rule *r, char *buf, size_t len)
{
	char rate[32];

	switch (r->verb) {
	case POLICY_PASS:
		snprintf(buf, len, "pass");
		break;
	case POLICY_DROP:
		snprintf(buf, len, "drop");
		break;
	case POLICY_MARK:
		mark_str(r->value, r->mask, buf, len);
		break;
	case POLICY_PRIORITY:
		snprintf(buf, len, "priority %x:%x", r->value >> 16,
			 r->value & 0xffff);
		break;
	case POLICY_SHAPE:
		rate_str(r->rate_bps, rate, sizeof(rate));
		snprintf(buf, len, "shape %s", rate);
		break;
	}
}
