/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A few lines of TAP for flowpic's C tests: tap_ok() per check, tap_skip()
 * for a check that cannot run here (with the reason), tap_done() prints
 * the plan and returns the exit status (1 if anything failed).
 */
#ifndef _FLOWPIC_TAP_H
#define _FLOWPIC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count, tap_failures;

static inline void tap_header(void)
{
	printf("TAP version 13\n");
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

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failures ? 1 : 0;
}

#endif /* _FLOWPIC_TAP_H */
