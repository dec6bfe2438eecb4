/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A few lines of TAP for flowpic's C tests. tap_plan() declares, before
 * any check runs, how many checks the program makes; tap_ok() per check,
 * tap_skip() (or tap_skip_n() for a block) for checks that cannot run here,
 * with the reason. tap_done() returns the exit status: 1 if anything
 * failed, or if the number of checks made is not the plan, so a check
 * that did not run (a branch not taken, a loop cut short) cannot vanish.
 */
#ifndef _FLOWPIC_TAP_H
#define _FLOWPIC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count, tap_failures, tap_planned = -1;

static inline void tap_header(void)
{
	printf("TAP version 13\n");
}

/* The plan, up front: every path through the program makes @n checks. */
static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

__attribute__((format(printf, 2, 3)))
static inline int tap_ok(int pass, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		tap_failures++;
	fflush(stdout);
	return pass;
}

__attribute__((format(printf, 2, 3)))
static inline void tap_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", reason);
	fflush(stdout);
}

/* @n checks of a block that cannot run here, so the count still holds. */
static inline void tap_skip_n(int n, const char *reason, const char *what)
{
	int i;

	for (i = 0; i < n; i++)
		tap_skip(reason, "%s (%d of %d)", what, i + 1, n);
}

__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/*
 * A program that includes unit/test.h must declare its plan; others (the
 * QEMU guest's programs) still may print it at the end.
 */
#ifndef TAP_PLAN_REQUIRED
#define TAP_PLAN_REQUIRED 0
#endif

static inline int tap_done(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_count);
		if (TAP_PLAN_REQUIRED) {
			printf("# no plan was declared up front\n");
			return 1;
		}
		return tap_failures ? 1 : 0;
	}
	if (tap_count != tap_planned) {
		printf("# planned %d checks, ran %d\n", tap_planned, tap_count);
		return 1;
	}
	return tap_failures ? 1 : 0;
}

#endif /* _FLOWPIC_TAP_H */
