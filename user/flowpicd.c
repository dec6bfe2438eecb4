// SPDX-License-Identifier: GPL-2.0
/*
 * flowpicd: labels live flows. Loads the kernel side (the tc program, or
 * talks to flowpic.ko), turns every completed window into a FlowPic,
 * classifies it with the model and writes the label back, where the
 * policy turns it into a verdict. See flowpicd(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "live/daemon.h"
#include "live/privileges.h"
#include "flow/geometry.h"

static const char usage[] =
"usage: flowpicd -i IFACE [-i IFACE...] --model FILE --policy FILE\n"
"                [--keep] [--backend bpf|kmod] [--output FILE]\n"
"                [--threshold X] [--batch N] [--batch-wait DUR]\n"
"                [--read-interval DUR]\n"
"                [--queue N] [--classifiers N] [--late DUR]\n"
"                [--idle DUR] [--min-packets N]\n"
"                [--max-flows N] [--ring-buffer BYTES] [--pin-dir DIR]\n"
"                [--state-dir DIR]\n"
"                [--ipfix URL] [--ipfix-refresh DUR] [--metrics ADDR:PORT]\n"
"\n"
"  -i, --interface IFACE  watch IFACE (ingress and egress); repeatable\n"
"  -m, --model FILE       the classifier (flowpic train)\n"
"  -p, --policy FILE      what each class gets (docs/policy.md)\n"
"  -k, --keep             on exit, leave programs, labels, policy and\n"
"                         shaping in place\n"
"  -b, --backend B        bpf (tc program, default) or kmod (flowpic.ko)\n"
"  -o, --output FILE      JSON lines to FILE (appended) instead of stdout\n"
"  -t, --threshold X      below this confidence the label is unknown\n"
"                         (0..1; default: the model's calibrated\n"
"                         threshold, else 0.5)\n"
"      --batch N          classify at most N windows at once (64)\n"
"      --batch-wait DUR   wait at most DUR for a batch to fill (0: take\n"
"                         what is queued, as soon as the model is free)\n"
"      --read-interval DUR  read the kernel's completed windows at most\n"
"                         once every DUR (0: as soon as it signals)\n"
"      --queue N          windows waiting for the model, at most (65536)\n"
"      --classifiers N    classifier threads, each with its share of\n"
"                         the flows (1)\n"
"      --late DUR         count a window labelled more than DUR after\n"
"                         it reached flowpicd as late (50ms)\n"
"      --idle DUR         close windows of flows idle this long (10s)\n"
"      --min-packets N    windows with fewer packets are not sent (3)\n"
"      --max-flows N      kernel flow table size (65536)\n"
"      --ring-buffer BYTES  bpf: the ring buffer of completed windows, a\n"
"                         power of two (4194304)\n"
"      --pin-dir DIR      bpffs directory (/sys/fs/bpf/flowpic)\n"
"      --state-dir DIR    where flowpicd.stats goes (/run/flowpic)\n"
"      --ipfix URL        an IPFIX record per labelled window to the\n"
"                         collector at udp://HOST:PORT or tcp://HOST:PORT\n"
"      --ipfix-refresh DUR  UDP: templates and class map again every\n"
"                         DUR (30s)\n"
"      --metrics ADDR:PORT  Prometheus metrics at http://ADDR:PORT/metrics\n"
"\n"
"SIGHUP reloads model and policy; SIGTERM or SIGINT stops.\n";

static int parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi,
		     uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "flowpicd: --%s %s: expected a number from %u "
			"to %u\n", opt, s, lo, hi);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_dur(const char *opt, const char *s, uint64_t *ns)
{
	__u64 v;

	if (geometry_parse_duration(s, &v)) {
		fprintf(stderr, "flowpicd: --%s %s: expected a duration such "
			"as 500us, 2ms, 10s\n", opt, s);
		return -1;
	}
	*ns = v;
	return 0;
}

static int parse_args(struct daemon_config *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "model", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "keep", no_argument, NULL, 'k' },
		{ "backend", required_argument, NULL, 'b' },
		{ "output", required_argument, NULL, 'o' },
		{ "threshold", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'B' },
		{ "batch-wait", required_argument, NULL, 'W' },
		{ "read-interval", required_argument, NULL, 'r' },
		{ "queue", required_argument, NULL, 'Q' },
		{ "classifiers", required_argument, NULL, 'C' },
		{ "late", required_argument, NULL, 'L' },
		{ "idle", required_argument, NULL, 'I' },
		{ "min-packets", required_argument, NULL, 'M' },
		{ "max-flows", required_argument, NULL, 'F' },
		{ "ring-buffer", required_argument, NULL, 'G' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "ipfix", required_argument, NULL, 'X' },
		{ "ipfix-refresh", required_argument, NULL, 'R' },
		{ "metrics", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ipfix_url url;
	char *end, err[512];
	int o;

	while ((o = getopt_long(argc, argv, "i:m:p:kb:o:t:h", opts,
				NULL)) != -1) {
		switch (o) {
		case 'i':
			if (c->nifaces == DAEMON_IFACES_MAX) {
				fprintf(stderr, "flowpicd: at most %d "
					"interfaces\n", DAEMON_IFACES_MAX);
				return 2;
			}
			c->ifaces[c->nifaces++] = optarg;
			break;
		case 'm':
			c->model_path = optarg;
			break;
		case 'p':
			c->policy_path = optarg;
			break;
		case 'k':
			c->keep = 1;
			break;
		case 'b':
			if (!strcmp(optarg, "bpf")) {
				c->backend = DAEMON_BACKEND_BPF;
			} else if (!strcmp(optarg, "kmod")) {
				c->backend = DAEMON_BACKEND_KMOD;
			} else {
				fprintf(stderr, "flowpicd: --backend %s: "
					"expected bpf or kmod\n", optarg);
				return 2;
			}
			break;
		case 'o':
			c->output_path = optarg;
			break;
		case 't':
			errno = 0;
			c->threshold = strtof(optarg, &end);
			c->threshold_set = 1;
			if (errno || end == optarg || *end ||
			    !(c->threshold >= 0 && c->threshold <= 1)) {
				fprintf(stderr, "flowpicd: --threshold %s: "
					"expected a number from 0 to 1\n",
					optarg);
				return 2;
			}
			break;
		case 'B':
			if (parse_u32("batch", optarg, 1, 4096, &c->batch_max))
				return 2;
			break;
		case 'W':
			if (parse_dur("batch-wait", optarg, &c->batch_wait_ns))
				return 2;
			break;
		case 'r':
			if (parse_dur("read-interval", optarg,
				      &c->read_interval_ns))
				return 2;
			break;
		case 'Q':
			if (parse_u32("queue", optarg, 1, 1U << 22,
				      &c->queue_max))
				return 2;
			break;
		case 'C':
			if (parse_u32("classifiers", optarg, 1, 64,
				      &c->classifiers))
				return 2;
			break;
		case 'L':
			if (parse_dur("late", optarg, &c->late_ns))
				return 2;
			break;
		case 'I':
			if (parse_dur("idle", optarg, &c->idle_ns))
				return 2;
			break;
		case 'M':
			if (parse_u32("min-packets", optarg, 1, 1000000,
				      &c->min_packets))
				return 2;
			break;
		case 'F':
			if (parse_u32("max-flows", optarg, 16,
				      FLOWPIC_MAX_FLOWS_LIMIT, &c->max_flows))
				return 2;
			break;
		case 'G':
			if (parse_u32("ring-buffer", optarg, 4096, 1U << 30,
				      &c->ringbuf_bytes))
				return 2;
			if (c->ringbuf_bytes & (c->ringbuf_bytes - 1)) {
				fprintf(stderr, "flowpicd: --ring-buffer %s: "
					"not a power of two\n", optarg);
				return 2;
			}
			break;
		case 'P':
			c->pin_dir = optarg;
			break;
		case 'S':
			c->state_dir = optarg;
			break;
		case 'X':
			if (ipfix_url_parse(optarg, &url, err, sizeof(err))) {
				fprintf(stderr, "flowpicd: %s\n", err);
				return 2;
			}
			c->ipfix_url = optarg;
			break;
		case 'R':
			if (parse_dur("ipfix-refresh", optarg,
				      &c->ipfix_refresh_ns))
				return 2;
			break;
		case 'E':
			c->metrics_addr = optarg;
			break;
		case 'h':
			printf("%s", usage);
			exit(0);
		default:
			fprintf(stderr, "%s", usage);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "flowpicd: unexpected argument '%s'\n%s",
			argv[optind], usage);
		return 2;
	}
	if (!c->nifaces || !c->model_path || !c->policy_path) {
		fprintf(stderr, "flowpicd: %s is required\n%s",
			!c->nifaces ? "-i IFACE" : !c->model_path ?
			"--model FILE" : "--policy FILE", usage);
		return 2;
	}
	return 0;
}

/*
 * Signals reach the loop through a pipe: OpenBLAS starts its threads
 * before main(), with signals unblocked, so any thread may take one and a
 * signalfd would miss it; a handler works in whichever thread runs it.
 */
static int sig_pipe[2] = { -1, -1 };

static void on_signal(int signo)
{
	unsigned char b = (unsigned char)signo;
	int saved = errno;

	if (write(sig_pipe[1], &b, 1) < 0) {
		/* the pipe is full: a signal is pending already */
	}
	errno = saved;
}

static int add_fd(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int run(struct daemon *d, int sfd)
{
	struct itimerspec sec = { .it_interval.tv_sec = 1,
				  .it_value.tv_sec = 1 };
	unsigned char si;
	struct epoll_event ev[4];
	struct timespec pause = {
		.tv_sec = (time_t)(d->cfg.read_interval_ns / 1000000000ULL),
		.tv_nsec = (long)(d->cfg.read_interval_ns % 1000000000ULL),
	};
	int ep, tfd, bfd, mfd = -1, n, i, quit = 0;
	char err[512];
	uint64_t ticks;

	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	bfd = d->be.ops->fd(&d->be);
	if (ep < 0 || tfd < 0 || timerfd_settime(tfd, 0, &sec, NULL) ||
	    add_fd(ep, bfd) || add_fd(ep, sfd) || add_fd(ep, tfd) ||
	    (d->prom && add_fd(ep, mfd = prom_fd(d->prom)))) {
		fprintf(stderr, "flowpicd: event loop: %s\n", strerror(errno));
		return 1;
	}
	while (!quit) {
		n = epoll_wait(ep, ev, 4, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "flowpicd: epoll: %s\n",
				strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.fd == bfd) {
				daemon_poll(d);
				/* What completes meanwhile is read at once
				 * next time: one wake-up for many windows. */
				if (d->cfg.read_interval_ns)
					nanosleep(&pause, NULL);
			} else if (ev[i].data.fd == mfd) {
				prom_poll(d->prom);
			} else if (ev[i].data.fd == tfd) {
				if (read(tfd, &ticks, sizeof(ticks)) > 0)
					daemon_tick(d);
				if (d->prom)
					prom_tick(d->prom);
			} else if (read(sfd, &si, 1) == 1) {
				if (si != SIGHUP) {
					quit = 1;
					continue;
				}
				if (daemon_reload(d, err, sizeof(err)))
					fprintf(stderr, "flowpicd: reload "
						"refused, keeping the running "
						"model and policy: %s\n", err);
				else
					fprintf(stderr, "flowpicd: reloaded "
						"%s and %s\n",
						d->cfg.model_path,
						d->cfg.policy_path);
			}
		}
	}
	/* Windows that completed before the signal still get labels. */
	daemon_poll(d);
	close(tfd);
	close(ep);
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon_config cfg;
	struct daemon *d;
	struct sigaction sa;
	char err[1024];
	int rc, sfd;
	unsigned int i;

	/*
	 * OpenBLAS starts a worker thread before main() unless the
	 * environment says one thread: capabilities are per thread, so
	 * flowpicd starts again, once, without it, and no thread exists
	 * before privileges are dropped.
	 */
	if (!getenv("OPENBLAS_NUM_THREADS")) {
		setenv("OPENBLAS_NUM_THREADS", "1", 1);
		execv("/proc/self/exe", argv);
	}

	daemon_config_default(&cfg);
	cfg.drop_privileges = privileges_drop;
	rc = parse_args(&cfg, argc, argv);
	if (rc)
		return rc;
	if (geteuid() != 0) {
		fprintf(stderr, "flowpicd: must run as root: loading and "
			"attaching the kernel side needs CAP_BPF, "
			"CAP_NET_ADMIN and CAP_SYS_ADMIN\n");
		return 1;
	}

	/*
	 * Classifier threads of our own, small matrices: OpenBLAS's own
	 * threads would only spin beside them and take the CPU the kernel
	 * side needs.
	 */
	openblas_set_num_threads(1);

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK)) {
		fprintf(stderr, "flowpicd: pipe: %s\n", strerror(errno));
		return 1;
	}
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = sig_pipe[0];

	d = calloc(1, sizeof(*d));
	if (!d)
		return 1;
	rc = daemon_start(d, &cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "flowpicd: %s\n", err);
		free(d);
		return 1;
	}
	fprintf(stderr, "flowpicd: watching");
	for (i = 0; i < cfg.nifaces; i++)
		fprintf(stderr, " %s", cfg.ifaces[i]);
	fprintf(stderr, " (%s), model %s (%u classes, %ux%u, %.3g s "
		"windows, thresholds", d->be.ops->name,
		cfg.model_path, d->model->mf.nclasses, d->geom.n, d->geom.n,
		(double)d->geom.window_ns / 1e9);
	for (i = 0; i < d->model->mf.nclasses; i++)
		fprintf(stderr, " %s %.4g", d->model->classes[i],
			daemon_threshold(&cfg, d->model, i));
	fprintf(stderr, "), policy %s\n", cfg.policy_path);

	rc = run(d, sfd);
	daemon_stop(d);
	fprintf(stderr, "flowpicd: stopped%s\n", cfg.keep ?
		", programs, labels and policy kept in place" : "");
	free(d);
	return rc;
}
