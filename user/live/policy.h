/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy file: what the kernel side does to each class's packets.
 * One line per class, "CLASS ACTION [ARGUMENT]", documented in
 * docs/policy.md and flowpicd(8). Classes are named as in the model; two
 * names are reserved: "unknown" (the model was not confident enough) and
 * "default" (every model class without a line of its own).
 *
 * Parsing does not need the model; policy_check_classes() then refuses
 * names the model does not have, and policy_actions() turns the rules
 * into the per-slot action table the kernel side reads
 * (include/flowpic_label.h).
 */
#ifndef _FLOWPIC_USER_POLICY_H
#define _FLOWPIC_USER_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flowpic.h"

#define POLICY_NAME_MAX		64	/* class name, with its NUL */
#define POLICY_UNKNOWN		"unknown"
#define POLICY_DEFAULT		"default"

enum policy_verb {
	POLICY_PASS,
	POLICY_DROP,
	POLICY_MARK,		/* value = mark, under mask (0: all) */
	POLICY_PRIORITY,	/* value = classid 0xMMMMmmmm */
	POLICY_SHAPE,		/* rate_bps = bits per second */
};

struct policy_rule {
	char		name[POLICY_NAME_MAX];
	unsigned int	line;		/* 1-based line in the file */
	enum policy_verb verb;
	uint32_t	value;
	uint32_t	mask;		/* POLICY_MARK: the bits set; 0: all */
	uint64_t	rate_bps;
};

struct policy {
	char			*path;	/* as given, for messages */
	struct policy_rule	*rules;
	size_t			nrules;
};

/*
 * One HTB class the shaper must create: every class whose rule says
 * "shape" gets its own, steered by skb->priority = classid.
 */
struct policy_shape {
	uint32_t	classid;
	uint64_t	rate_bps;
	char		name[POLICY_NAME_MAX];
};

/*
 * Reads @path. 0, or -errno with "FILE:LINE: what" (or "FILE: what") in
 * @err; on error @p is left empty.
 */
int policy_load(struct policy *p, const char *path, char *err, size_t errlen);
/* Same, from an open stream; @name is used in messages. */
int policy_parse(struct policy *p, const char *name, FILE *f,
		 char *err, size_t errlen);
void policy_free(struct policy *p);

/* The rule for class @name, or NULL. */
const struct policy_rule *policy_find(const struct policy *p,
				      const char *name);

/*
 * -ENOENT with "FILE:LINE: class 'x' is not one of the model's classes
 * (a, b, c)" when a rule names a class the model lacks.
 */
int policy_check_classes(const struct policy *p, const char *const *classes,
			 unsigned int nclasses, char *err, size_t errlen);

/*
 * Fills @out[FLOWPIC_POLICY_SLOTS]: slot i < @nclasses gets the rule of
 * classes[i] (or "default", or pass), slot FLOWPIC_CLASS_UNKNOWN the rule
 * "unknown" (or pass), other slots pass. Shape rules become
 * FLOWPIC_ACT_PRIORITY with the shaper's class id for that slot.
 */
void policy_actions(const struct policy *p, const char *const *classes,
		    unsigned int nclasses, struct flowpic_action *out);

/*
 * The HTB classes the policy needs, at most FLOWPIC_POLICY_SLOTS, into
 * @out. Returns how many.
 */
unsigned int policy_shapes(const struct policy *p, const char *const *classes,
			   unsigned int nclasses, struct policy_shape *out);

/* "pass", "drop", "mark 0x2a", "priority 1:10", "shape 2mbit". */
void policy_action_str(const struct flowpic_action *a, char *buf, size_t len);
void policy_rule_str(const struct policy_rule *r, char *buf, size_t len);

/* tc's rate syntax: "2mbit", "500kbit", "1gbit", "100kbps", "8bit". */
int policy_parse_rate(const char *s, uint64_t *bps);
/* tc's class id syntax, hexadecimal: "1:10" is 0x00010010. */
int policy_parse_classid(const char *s, uint32_t *classid);

#endif /* _FLOWPIC_USER_POLICY_H */
