// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the routed test (guest.d/90-kmod-route.sh):
 *
 *   kmod_route send DST DPORT SPORT N    N UDP datagrams from SPORT
 *   kmod_route label SRC SPORT DST DPORT PRIO
 *                                        labels that UDP flow with its
 *                                        own action: priority PRIO
 *
 * IPv4 only. Exit status 0 on success.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kmod_client.h"

static int send_n(const char *dst, int dport, int sport, int n)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct sockaddr_in me = { .sin_family = AF_INET };
	char buf[200] = "flowpic route";
	int fd, i, sent = 0;

	to.sin_port = htons(dport);
	me.sin_port = htons(sport);
	if (inet_pton(AF_INET, dst, &to.sin_addr) != 1)
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)))
		return perror("kmod_route: bind"), 1;
	for (i = 0; i < n; i++) {
		sent += sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to,
			       sizeof(to)) == sizeof(buf);
		usleep(10000);
	}
	close(fd);
	return sent == n ? 0 : 1;
}

static int label(char **argv)
{
	struct flowpic_label l = { .class_id = 1, .confidence = 10000 };
	struct flowpic_action a = { .type = FLOWPIC_ACT_PRIORITY };
	struct in_addr src, dst;
	struct flowpic_key k;
	struct kmod_client *c;
	int err;

	if (inet_pton(AF_INET, argv[0], &src) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst) != 1)
		return 2;
	a.value = strtoul(argv[4], NULL, 0);
	memset(&k, 0, sizeof(k));
	flowpic_addr_from_v4(k.lo_addr, src.s_addr);
	flowpic_addr_from_v4(k.hi_addr, dst.s_addr);
	k.lo_port = htons(atoi(argv[1]));
	k.hi_port = htons(atoi(argv[3]));
	k.proto = IPPROTO_UDP;
	k.family = FLOWPIC_FAMILY_IPV4;
	flowpic_key_canon(&k);
	err = kmod_client_open(&c);
	if (!err) {
		err = kmod_client_set_label(c, &k, &l, &a);
		if (err)
			fprintf(stderr, "kmod_route: %s\n", kmod_client_error(c));
		kmod_client_close(c);
	}
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "send"))
		return send_n(argv[2], atoi(argv[3]), atoi(argv[4]),
			      atoi(argv[5]));
	if (argc == 7 && !strcmp(argv[1], "label"))
		return label(argv + 2);
	fprintf(stderr, "usage: kmod_route send DST DPORT SPORT N | label SRC SPORT DST DPORT PRIO\n");
	return 2;
}
