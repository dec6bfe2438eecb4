// SPDX-License-Identifier: GPL-2.0
/* Time shift, RTT scaling and packet drop on packet series. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dataset/augment.h"

static const struct {
	unsigned int kind;
	const char *name;
} kinds[] = {
	{ AUGMENT_TIME_SHIFT, "time-shift" },
	{ AUGMENT_RTT, "rtt" },
	{ AUGMENT_DROP, "drop" },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

void augment_default(struct augment_config *c)
{
	memset(c, 0, sizeof(*c));
	c->prob = 0.5f;
	c->shift_s = 1.0;
	c->rtt_lo = 0.5;
	c->rtt_hi = 1.5;
	c->drop_max = 0.1;
}

int augment_parse(struct augment_config *c, const char *s)
{
	char buf[128], *tok, *save = NULL;
	size_t i;

	c->kinds = 0;
	if (!strcmp(s, "none"))
		return 0;
	if (!strcmp(s, "all")) {
		for (i = 0; i < NKINDS; i++)
			c->kinds |= kinds[i].kind;
		return 0;
	}
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NKINDS; i++)
			if (!strcmp(tok, kinds[i].name))
				break;
		if (i == NKINDS)
			return -EINVAL;
		c->kinds |= kinds[i].kind;
	}
	return 0;
}

const char *augment_names(unsigned int mask, char *buf, size_t len)
{
	size_t i, k = 0;

	buf[0] = 0;
	for (i = 0; i < NKINDS; i++)
		if (mask & kinds[i].kind)
			k += (size_t)snprintf(buf + k, k < len ? len - k : 0,
					      "%s%s", k ? "," : "",
					      kinds[i].name);
	if (!k)
		snprintf(buf, len, "none");
	return buf;
}

int augment_series(const struct augment_config *c, struct rng *r,
		   const struct window_series *in, struct window_series *out)
{
	unsigned int pick[NKINDS], n = 0, kind;
	uint32_t i, k = 0;
	double a, b, q;
	size_t j;

	if (window_series_copy(out, in))
		return -ENOMEM;
	for (j = 0; j < NKINDS; j++)
		if (c->kinds & kinds[j].kind)
			pick[n++] = kinds[j].kind;
	if (!n || rng_float(r) >= c->prob)
		return 0;
	kind = pick[rng_below(r, n)];
	switch (kind) {
	case AUGMENT_TIME_SHIFT:
		b = (2 * rng_double(r) - 1) * c->shift_s * 1e9;
		for (i = 0; i < out->n; i++) {
			__s64 t = out->pkts[i].t_ns + (__s64)b;

			if (t < 0)
				continue;
			out->pkts[k] = out->pkts[i];
			out->pkts[k++].t_ns = t;
		}
		out->n = k;
		break;
	case AUGMENT_RTT:
		a = c->rtt_lo + rng_double(r) * (c->rtt_hi - c->rtt_lo);
		for (i = 0; i < out->n; i++)
			out->pkts[i].t_ns = (__s64)((double)out->pkts[i].t_ns * a);
		break;
	case AUGMENT_DROP:
		q = rng_double(r) * c->drop_max;
		for (i = 0; i < out->n; i++)
			if (rng_double(r) >= q)
				out->pkts[k++] = out->pkts[i];
		out->n = k;
		break;
	}
	return (int)kind;
}
