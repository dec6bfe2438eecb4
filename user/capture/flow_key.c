// SPDX-License-Identifier: GPL-2.0
/* Flow keys to and from text. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capture/flow_key.h"

static void addr_format(const __be32 *a, int family, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	if (family == FLOWPIC_FAMILY_IPV4) {
		inet_ntop(AF_INET, &a[3], buf, (socklen_t)len);
		return;
	}
	inet_ntop(AF_INET6, a, tmp, sizeof(tmp));
	snprintf(buf, len, "[%s]", tmp);
}

void flow_key_format(const struct flowpic_key *k, char *buf, size_t len)
{
	char lo[INET6_ADDRSTRLEN + 2], hi[INET6_ADDRSTRLEN + 2];

	if (k->family != FLOWPIC_FAMILY_IPV4 &&
	    k->family != FLOWPIC_FAMILY_IPV6) {
		snprintf(buf, len, "-");
		return;
	}
	addr_format(k->lo_addr, k->family, lo, sizeof(lo));
	addr_format(k->hi_addr, k->family, hi, sizeof(hi));
	snprintf(buf, len, "%s %s:%u <-> %s:%u",
		 k->proto == 6 ? "TCP" : k->proto == 17 ? "UDP" : "IP",
		 lo, ntohs(k->lo_port), hi, ntohs(k->hi_port));
}

int flow_key_parse_addr(const char *s, __be32 addr[4], __u8 *family)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);
	__be32 v4;

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (!n || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (inet_pton(AF_INET, tmp, &v4) == 1) {
		flowpic_addr_from_v4(addr, v4);
		*family = FLOWPIC_FAMILY_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, addr) == 1) {
		*family = FLOWPIC_FAMILY_IPV6;
		return 0;
	}
	return -EINVAL;
}

static int parse_port(const char *s, __be16 *port)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*port = htons((__u16)v);
	return 0;
}

int flow_key_build(struct flowpic_key *k, const char *proto, const char *a,
		   const char *pa, const char *b, const char *pb)
{
	__u8 fa, fb;

	memset(k, 0, sizeof(*k));
	if (!strcasecmp(proto, "TCP") || !strcmp(proto, "6"))
		k->proto = 6;
	else if (!strcasecmp(proto, "UDP") || !strcmp(proto, "17"))
		k->proto = 17;
	else
		return -EINVAL;
	if (flow_key_parse_addr(a, k->lo_addr, &fa) ||
	    flow_key_parse_addr(b, k->hi_addr, &fb) || fa != fb ||
	    parse_port(pa, &k->lo_port) || parse_port(pb, &k->hi_port))
		return -EINVAL;
	k->family = fa;
	flowpic_key_canon(k);
	return 0;
}

__u32 flow_key_hash(const struct flowpic_key *k, __u64 seed)
{
	__u64 w[sizeof(*k) / sizeof(__u64)], h = 0x9e3779b97f4a7c15ULL ^ seed;
	size_t i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 33;
	}
	return (__u32)h;
}
