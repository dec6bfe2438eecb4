/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The binning test vectors: one table, checked against flowpic_bin() in
 * userspace (tests/unit), in BPF through BPF_PROG_TEST_RUN (tests/bpf) and
 * in the kernel (tests/kunit). Expected cells were worked out by hand from
 * the definition in include/flowpic_geom.h: row = size * n / 1500 (top row
 * for size >= 1500), col = dt * n / window.
 */
#ifndef _FLOWPIC_TEST_BINNING_H
#define _FLOWPIC_TEST_BINNING_H

#include "../../include/flowpic_geom.h"

struct flowpic_bin_vector {
	const char	*what;
	__u64		window_ns;
	__s64		dt_ns;
	__u32		size;
	__u16		n;
	__u8		channels;
	__u32		flags;
	__u16		row;
	__u16		col;
};

#define W15	15000000000ULL
#define W60	60000000000ULL
#define BV(w, n_, win, sz, dt, fl, r, c) \
	{ w, win, dt, sz, n_, 1, fl, r, c }

static const struct flowpic_bin_vector flowpic_bin_vectors[] = {
	BV("32: size 0, t 0",		32, W15, 0, 0, 0, 0, 0),
	BV("32: size 46 stays row 0",	32, W15, 46, 0, 0, 0, 0),
	BV("32: size 47 is row 1",	32, W15, 47, 0, 0, 1, 0),
	BV("32: size 1499",		32, W15, 1499, 0, 0, 31, 0),
	BV("32: size 1500 top row",	32, W15, 1500, 0, 0, 31, 0),
	BV("32: size 1501 clipped",	32, W15, 1501, 0,
	   FLOWPIC_BIN_CLIPPED, 31, 0),
	BV("32: size 65535 clipped",	32, W15, 65535, 5000000000LL,
	   FLOWPIC_BIN_CLIPPED, 31, 10),
	BV("32: size 4294967295",	32, W15, 0xffffffffU, 0,
	   FLOWPIC_BIN_CLIPPED, 31, 0),
	BV("32: t just below col 1",	32, W15, 100, 468749999, 0, 2, 0),
	BV("32: t at col 1 edge",	32, W15, 100, 468750000, 0, 2, 1),
	BV("32: t mid window",		32, W15, 750, 7500000000LL, 0, 16, 16),
	BV("32: t window end - 1",	32, W15, 100, 14999999999LL, 0, 2, 31),
	BV("32: t exactly window end",	32, W15, 100, 15000000000LL,
	   FLOWPIC_BIN_PAST, 0, 0),
	BV("32: t past window",		32, W15, 100, 15000000001LL,
	   FLOWPIC_BIN_PAST, 0, 0),
	BV("32: past and clipped",	32, W15, 9000, 20000000000LL,
	   FLOWPIC_BIN_PAST, 0, 0),
	BV("32: clock back 1 ns",	32, W15, 100, -1,
	   FLOWPIC_BIN_EARLY, 2, 0),
	BV("32: clock back to INT64_MIN", 32, W15, 100, (-9223372036854775807LL - 1),
	   FLOWPIC_BIN_EARLY, 2, 0),
	BV("32: clock back and clipped", 32, W15, 1600, -5,
	   FLOWPIC_BIN_EARLY | FLOWPIC_BIN_CLIPPED, 31, 0),
	BV("32: t INT64_MAX is past",	32, W15, 100, 9223372036854775807LL,
	   FLOWPIC_BIN_PAST, 0, 0),
	BV("64: size 750 row 32",	64, W15, 750, 7500000000LL, 0, 32, 32),
	BV("64: size 23 row 0",		64, W15, 23, 0, 0, 0, 0),
	BV("64: size 24 row 1",		64, W15, 24, 0, 0, 1, 0),
	BV("1500: size 0",		1500, W60, 0, 0, 0, 0, 0),
	BV("1500: size 1",		1500, W60, 1, 0, 0, 1, 0),
	BV("1500: size 1499",		1500, W60, 1499, 0, 0, 1499, 0),
	BV("1500: size 1500",		1500, W60, 1500, 0, 0, 1499, 0),
	BV("1500: t below col 1",	1500, W60, 60, 39999999, 0, 60, 0),
	BV("1500: t at col 1",		1500, W60, 60, 40000000, 0, 60, 1),
	BV("1500: t end - 1",		1500, W60, 60, 59999999999LL, 0, 60, 1499),
	BV("1500: t end",		1500, W60, 60, 60000000000LL,
	   FLOWPIC_BIN_PAST, 0, 0),
	BV("1500: 1 h window, last ns",	1500, 3600000000000ULL, 1500,
	   3599999999999LL, 0, 1499, 1499),
	BV("8: 1 ms window, size 187",	8, 1000000, 187, 124999, 0, 0, 0),
	BV("8: 1 ms window, size 188",	8, 1000000, 188, 125000, 0, 1, 1),
	BV("100: size 15 is row 1",	100, W15, 15, 0, 0, 1, 0),
	BV("100: size 14 is row 0",	100, W15, 14, 0, 0, 0, 0),
	BV("invalid: n 7",		7, W15, 100, 0, FLOWPIC_BIN_INVALID, 0, 0),
	BV("invalid: n 1501",		1501, W15, 100, 0,
	   FLOWPIC_BIN_INVALID, 0, 0),
	BV("invalid: n 0",		0, W15, 100, 0, FLOWPIC_BIN_INVALID, 0, 0),
	BV("invalid: window 0",		32, 0, 100, 0, FLOWPIC_BIN_INVALID, 0, 0),
	BV("invalid: window below 1 ms", 32, 999999, 100, 0,
	   FLOWPIC_BIN_INVALID, 0, 0),
	BV("invalid: window over 1 h",	32, 3600000000001ULL, 100, 0,
	   FLOWPIC_BIN_INVALID, 0, 0),
	{ "invalid: 0 channels", W15, 0, 100, 32, 0, FLOWPIC_BIN_INVALID, 0, 0 },
	{ "invalid: 3 channels", W15, 0, 100, 32, 3, FLOWPIC_BIN_INVALID, 0, 0 },
	{ "2 channels valid", W15, 0, 100, 32, 2, 0, 2, 0 },
};

#define FLOWPIC_BIN_VECTORS \
	(sizeof(flowpic_bin_vectors) / sizeof(flowpic_bin_vectors[0]))

#undef BV
#undef W15
#undef W60

/* Builds the geometry a vector describes (max_size is always 1500). */
static inline void flowpic_bin_vector_geom(const struct flowpic_bin_vector *v,
					   struct flowpic_geom *g)
{
	*g = (struct flowpic_geom){
		.window_ns = v->window_ns,
		.n = v->n,
		.max_size = FLOWPIC_MAX_PKT_SIZE,
		.channels = v->channels,
	};
}

#endif /* _FLOWPIC_TEST_BINNING_H */
