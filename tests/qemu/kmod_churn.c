// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic from every CPU at once, for the unload test
 * (guest.d/50-kmod-unload.sh): one process pinned to each online CPU
 * sends UDP datagrams to 127.0.0.1, each to the next destination port, so
 * every packet is a new flow (and, with a small max_flows, an eviction).
 *
 *   kmod_churn SECONDS [GAP_US]   runs that long, or until killed,
 *                                 GAP_US between a CPU's packets (0)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void churn(int cpu, int seconds, int gap_us)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	time_t end = time(NULL) + seconds;
	unsigned int port = 1024 + cpu * 7919;
	char buf[64] = "flowpic churn";
	cpu_set_t set;
	int fd;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		_exit(1);
	while (time(NULL) < end) {
		to.sin_port = htons(1024 + port++ % 64000);
		sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to,
		       sizeof(to));
		if (gap_us)
			usleep(gap_us);
	}
	_exit(0);
}

static pid_t child[256];
static int nchild;

/* SIGTERM to the parent ends every child too. */
static void stop(int sig)
{
	int i;

	(void)sig;
	for (i = 0; i < nchild; i++)
		kill(child[i], SIGKILL);
	_exit(0);
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 5;
	int gap_us = argc > 2 ? atoi(argv[2]) : 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int cpu;

	signal(SIGTERM, stop);
	for (cpu = 0; cpu < cpus && cpu < 256; cpu++) {
		pid_t pid = fork();

		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			churn(cpu, seconds, gap_us);
		}
		if (pid > 0)
			child[nchild++] = pid;
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
