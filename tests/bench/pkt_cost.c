// SPDX-License-Identifier: GPL-2.0
/*
 * pkt_cost: the CPU time a host spends per packet of one established UDP
 * flow sent through a veth pair, for bench_kmod.sh's guest (QEMU), where
 * flowpic.ko, the tc program or neither sees the packets.
 *
 *   pkt_cost sink ADDR PORT
 *	binds ADDR:PORT with the smallest receive buffer and never reads:
 *	the datagrams end at the socket, no ICMP answers them
 *   pkt_cost hold IFACE
 *	loads flowpic's tc program, attaches it to IFACE's clsact ingress
 *	and egress, prints "ready" and keeps it there until SIGTERM
 *   pkt_cost send ADDR PORT COUNT [IFACE]
 *	sends 1,000 datagrams (the flow exists from then on), then COUNT
 *	more of 1,000 payload bytes from port 40000, and prints
 *	"ns_per_packet N" from every CPU's busy time in /proc/stat over the
 *	COUNT (softirq work included wherever it ran). With IFACE, flowpic's
 *	tc program is loaded and attached to its clsact ingress and egress
 *	first, detached and unpinned after.
 *
 * The busy time is in USER_HZ ticks: COUNT should keep the machine busy
 * for a second or more.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flowpic.h"
#include "live/datapath.h"

#define WARMUP		1000
#define PAYLOAD		1000
#define SPORT		40000

/* Busy ticks of all CPUs: every /proc/stat "cpu" field but idle, iowait. */
static unsigned long long busy_ticks(void)
{
	unsigned long long v[10] = { 0 }, busy = 0;
	FILE *f = fopen("/proc/stat", "r");
	int i, n;

	if (!f) {
		perror("pkt_cost: /proc/stat");
		exit(1);
	}
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]);
	fclose(f);
	if (n < 8) {
		fprintf(stderr, "pkt_cost: /proc/stat: unexpected format\n");
		exit(1);
	}
	/* user nice system idle iowait irq softirq steal (guest: in user) */
	for (i = 0; i < 8; i++)
		if (i != 3 && i != 4)
			busy += v[i];
	return busy;
}

static int udp_socket(const char *addr, int port, int bind_to,
		      struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	if (fd < 0 || inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		fprintf(stderr, "pkt_cost: socket for %s: %s\n", addr,
			strerror(errno));
		exit(2);
	}
	if (bind_to && bind(fd, (struct sockaddr *)sa, sizeof(*sa))) {
		fprintf(stderr, "pkt_cost: bind %s:%d: %s\n", addr, port,
			strerror(errno));
		exit(1);
	}
	return fd;
}

static int sink(const char *addr, int port)
{
	struct sockaddr_in sa;
	int fd = udp_socket(addr, port, 1, &sa), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

/* The tc program loaded and on @ifname (pinned in a directory of its own). */
static struct datapath *attach(const char *ifname)
{
	static char dir[64];
	struct datapath_config c;
	struct datapath *dp = NULL;
	char err[512];

	datapath_config_default(&c);
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/flowpic-cost-%d", (int)getpid());
	c.pin_dir = dir;
	c.reuse = 0;
	if (datapath_open(&dp, &c, err, sizeof(err)) ||
	    datapath_attach(dp, ifname, err, sizeof(err))) {
		fprintf(stderr, "pkt_cost: %s\n", err);
		if (dp) {
			datapath_unpin(dp);
			datapath_close(dp);
		}
		exit(1);
	}
	return dp;
}

static void detach(struct datapath *dp, const char *ifname)
{
	char err[512];

	datapath_detach(dp, ifname, err, sizeof(err));
	datapath_unpin(dp);
	datapath_close(dp);
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

static int hold(const char *ifname)
{
	struct datapath *dp = attach(ifname);
	sigset_t none;

	sigemptyset(&none);
	signal(SIGTERM, on_term);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		sigsuspend(&none);
	detach(dp, ifname);
	return 0;
}

static void send_n(int fd, unsigned long n)
{
	static char buf[PAYLOAD];
	unsigned long i;

	for (i = 0; i < n; i++)
		if (send(fd, buf, sizeof(buf), 0) < 0 && errno != ENOBUFS &&
		    errno != ECONNREFUSED) {
			fprintf(stderr, "pkt_cost: send: %s\n", strerror(errno));
			exit(1);
		}
}

int main(int argc, char **argv)
{
	struct datapath *dp = NULL;
	struct sockaddr_in sa, me;
	unsigned long long t0, t1;
	unsigned long count;
	long hz = sysconf(_SC_CLK_TCK);
	int fd;

	if (argc == 4 && !strcmp(argv[1], "sink"))
		return sink(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(argv[2]);
	if ((argc != 5 && argc != 6) || strcmp(argv[1], "send")) {
		fprintf(stderr, "usage: pkt_cost sink ADDR PORT\n"
			"       pkt_cost hold IFACE\n"
			"       pkt_cost send ADDR PORT COUNT [IFACE]\n");
		return 2;
	}
	count = strtoul(argv[4], NULL, 10);
	if (argc == 6)
		dp = attach(argv[5]);
	fd = udp_socket(argv[2], atoi(argv[3]), 0, &sa);
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_port = htons(SPORT);
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "pkt_cost: %s:%s: %s\n", argv[2], argv[3],
			strerror(errno));
		return 1;
	}
	send_n(fd, WARMUP);
	t0 = busy_ticks();
	send_n(fd, count);
	t1 = busy_ticks();
	close(fd);
	if (dp)
		detach(dp, argv[5]);
	printf("ns_per_packet %.0f\n",
	       (double)(t1 - t0) * 1e9 / (double)hz / (double)count);
	return 0;
}
