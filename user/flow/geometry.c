// SPDX-License-Identifier: GPL-2.0
/*
 * FlowPic geometry on the command line: parsing "--n 32 --window 15s" and
 * the `flowpic bin` command, which shows where the shared binning puts a
 * packet.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowpic.h"
#include "cmd/commands.h"
#include "flow/geometry.h"

int geometry_parse_duration(const char *s, __u64 *ns)
{
	static const struct { const char *unit; __u64 mult; } units[] = {
		{ "ns", 1ULL }, { "us", 1000ULL }, { "ms", 1000000ULL },
		{ "s", 1000000000ULL }, { "m", 60000000000ULL },
		{ "", 1000000000ULL },
	};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (v * units[i].mult > 1.8e19)
			return -ERANGE;
		*ns = (__u64)(v * units[i].mult + 0.5);
		return 0;
	}
	return -EINVAL;
}

int geometry_check(const struct flowpic_geom *g, char *err, size_t errlen)
{
	if (g->n < FLOWPIC_N_MIN || g->n > FLOWPIC_N_MAX)
		snprintf(err, errlen, "resolution %u outside %d..%d", g->n,
			 FLOWPIC_N_MIN, FLOWPIC_N_MAX);
	else if (g->window_ns < FLOWPIC_WINDOW_NS_MIN ||
		 g->window_ns > FLOWPIC_WINDOW_NS_MAX)
		snprintf(err, errlen, "window %" PRIu64 " ns outside 1 ms..1 h",
			 (uint64_t)g->window_ns);
	else if (g->channels < 1 || g->channels > FLOWPIC_CHANNELS_MAX)
		snprintf(err, errlen, "channels %u: must be 1 or 2",
			 g->channels);
	else if (g->max_size != FLOWPIC_MAX_PKT_SIZE)
		snprintf(err, errlen, "max size %u: must be %d", g->max_size,
			 FLOWPIC_MAX_PKT_SIZE);
	else
		return 0;
	return -EINVAL;
}

void geometry_default(struct flowpic_geom *g, unsigned int n)
{
	memset(g, 0, sizeof(*g));
	g->n = n;
	g->window_ns = n > 64 ? FLOWPIC_FULL_WINDOW_NS : FLOWPIC_MINI_WINDOW_NS;
	g->max_size = FLOWPIC_MAX_PKT_SIZE;
	g->channels = 1;
}
