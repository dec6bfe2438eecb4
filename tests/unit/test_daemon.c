// SPDX-License-Identifier: GPL-2.0
/*
 * flowpicd's engine (user/live/daemon.c) between a backend of the test's
 * own and a real model: windows of many flows from the reader go to
 * several classifier threads; every label lands, from the thread of its
 * flow's classifier, a flow's windows in order across its relabels; the
 * counters add up (flow ended, refused, queue full, late).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live/daemon.h"
#include "unit/test.h"

#define FLOWS		200
#define WINDOWS		12
#define CLASSIFIERS	3

static struct {
	pthread_mutex_t	lock;
	pthread_cond_t	cond;
	/* per flow: the last window labelled, labels seen */
	int64_t		last[FLOWS];
	uint32_t	seen[FLOWS];
	uint32_t	out_of_order;
	uint32_t	wrong_shard;
	pthread_t	thread[64];	/* the thread of each shard */
	int		has_thread[64];
	uint32_t	thread_changed;
	uint32_t	calls, max_n;
	/* the gate: set_labels waits while closed */
	int		gated, inside;
} fk = { .lock = PTHREAD_MUTEX_INITIALIZER,
	 .cond = PTHREAD_COND_INITIALIZER };

static struct daemon *the_daemon;

static uint32_t flow_of(const struct flowpic_key *k)
{
	return ntohs(k->lo_port) - 1024;
}

static int fake_open(struct backend *b, const struct daemon_config *c,
		     const struct flowpic_geom *g, char *err, size_t errlen)
{
	return 0;
}

static int fake_fd(struct backend *b)
{
	return -1;
}

static int fake_none(struct backend *b)
{
	return 0;
}

static int fake_sweep(struct backend *b, uint64_t idle_ns)
{
	return 0;
}

/* Flows 7, 14, ... have ended; 11, 22, ... are refused (77: ended). */
static void fake_set_labels(struct backend *b, unsigned int shard,
			    const struct flowpic_key *keys,
			    const struct flowpic_label *labels, uint32_t n,
			    int *rc)
{
	uint32_t i, f;

	pthread_mutex_lock(&fk.lock);
	fk.inside = 1;
	pthread_cond_broadcast(&fk.cond);
	while (fk.gated)
		pthread_cond_wait(&fk.cond, &fk.lock);
	fk.calls++;
	if (n > fk.max_n)
		fk.max_n = n;
	if (!fk.has_thread[shard]) {
		fk.thread[shard] = pthread_self();
		fk.has_thread[shard] = 1;
	} else if (!pthread_equal(fk.thread[shard], pthread_self())) {
		fk.thread_changed++;
	}
	for (i = 0; i < n; i++) {
		f = flow_of(&keys[i]);
		if (f >= FLOWS)
			continue;
		if (daemon_shard_of(b->d, &keys[i]) != shard)
			fk.wrong_shard++;
		if ((int64_t)labels[i].window <= fk.last[f])
			fk.out_of_order++;
		fk.last[f] = labels[i].window;
		fk.seen[f]++;
		rc[i] = f && f % 7 == 0 ? -ENOENT :
			f && f % 11 == 0 ? -EINVAL : 0;
	}
	pthread_mutex_unlock(&fk.lock);
}

static int fake_set_policy(struct backend *b, const struct flowpic_action *t,
			   char *err, size_t errlen)
{
	return 0;
}

static int fake_stats(struct backend *b, uint64_t *cnt)
{
	return 0;
}

static void fake_close(struct backend *b, int keep)
{
}

static const struct backend_ops fake_ops = {
	.name = "test", .open = fake_open, .fd = fake_fd,
	.consume = fake_none, .sweep = fake_sweep,
	.set_labels = fake_set_labels, .set_policy = fake_set_policy,
	.stats = fake_stats, .close = fake_close,
};

static char model_path[64] = "/tmp/flowpic-test-daemon-XXXXXX";
static char policy_path[80];

/* The mini network, weights zero: every picture gets a label. */
static int write_model_policy(void)
{
	struct flowpic_geom g = { .max_size = FLOWPIC_MAX_PKT_SIZE,
				  .channels = 1, .n = 32,
				  .window_ns = 1000000000ULL };
	const char *names[] = { "a", "b" };
	char err[256];
	struct model m;
	FILE *f;
	int fd;

	fd = mkstemp(model_path);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(policy_path, sizeof(policy_path), "%s.policy", model_path);
	if (model_new(&m, "mini", &g, 2, names, err, sizeof(err)))
		return -1;
	fd = model_save(&m, model_path, err, sizeof(err));
	model_free(&m);
	f = fopen(policy_path, "w");
	if (fd || !f)
		return -1;
	fprintf(f, "a pass\nb pass\n");
	return fclose(f);
}

static int start(struct daemon *d, uint32_t classifiers, uint32_t batch,
		 uint32_t queue, uint64_t late_ns, const char *out)
{
	struct daemon_config c;
	char err[512];
	int rc;

	daemon_config_default(&c);
	c.ifaces[0] = "lo";
	c.nifaces = 1;
	c.model_path = model_path;
	c.policy_path = policy_path;
	c.output_path = out;
	c.state_dir = "/tmp";
	c.classifiers = classifiers;
	c.batch_max = batch;
	c.queue_max = queue;
	c.late_ns = late_ns;
	c.backend_ops = &fake_ops;
	rc = daemon_start(d, &c, err, sizeof(err));
	if (rc)
		tap_diag("daemon_start: %s", err);
	the_daemon = d;
	return rc;
}

/* Window @index of flow @f: one cell, its place moving with the window. */
static int push(struct daemon *d, uint32_t f, uint32_t index)
{
	static uint8_t cells[32 * 32];
	struct flowpic_window w;

	memset(&w, 0, sizeof(w));
	memset(cells, 0, sizeof(cells));
	cells[(f + index) % sizeof(cells)] = 1 + index % 5;
	flowpic_addr_from_v4(w.key.lo_addr, htonl(0xc0000201));
	flowpic_addr_from_v4(w.key.hi_addr, htonl(0xc6336401));
	w.key.lo_port = htons((uint16_t)(1024 + f));
	w.key.hi_port = htons(5004);
	w.key.proto = 17;
	w.key.family = FLOWPIC_FAMILY_IPV4;
	w.index = index;
	w.cells = sizeof(cells);
	w.n = 32;
	w.channels = 1;
	w.packets[0] = 1;
	return daemon_window_in(d, &w, cells, NULL, 0);
}

static void reset_fake(void)
{
	uint32_t f;

	pthread_mutex_lock(&fk.lock);
	for (f = 0; f < FLOWS; f++) {
		fk.last[f] = -1;
		fk.seen[f] = 0;
	}
	fk.out_of_order = fk.wrong_shard = fk.thread_changed = 0;
	fk.calls = fk.max_n = 0;
	memset(fk.has_thread, 0, sizeof(fk.has_thread));
	pthread_mutex_unlock(&fk.lock);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The counters once @n windows are classified (at most a minute). */
static void settled(struct daemon *d, uint64_t n, struct daemon_counters *c)
{
	struct timespec ts = { 0, 1000000 };
	uint64_t t0 = mono_ns();

	do {
		daemon_counters(d, c, NULL, NULL);
		if (c->windows_classified >= n && !c->queue_depth)
			return;
		nanosleep(&ts, NULL);
	} while (mono_ns() - t0 < 60000000000ULL);
	tap_diag("gave up waiting for %llu windows",
		 (unsigned long long)n);
}

/* Many flows, several windows each, three classifiers. */
static void check_threads(void)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct daemon_counters c;
	uint32_t f, w, all = 0, threads = 0, ended = 0, refused = 0, s;
	int pushed = 0;

	reset_fake();
	char out[] = "/tmp/flowpic-test-daemon-json-XXXXXX", line[1024];
	uint32_t lines = 0, whole = 0;
	FILE *jf;
	int fd = mkstemp(out);

	if (fd >= 0)
		close(fd);
	if (!d || fd < 0 ||
	    start(d, CLASSIFIERS, 16, 1U << 16, 60000000000ULL, out)) {
		tap_skip_n(7, "daemon did not start", "threads");
		free(d);
		return;
	}
	for (w = 0; w < WINDOWS; w++) {
		for (f = 0; f < FLOWS; f++)
			pushed += !push(d, f, w);
		daemon_windows_ready(d);
	}
	settled(d, (uint64_t)pushed, &c);
	daemon_stop(d);
	for (f = 0; f < FLOWS; f++) {
		all += fk.seen[f] == WINDOWS;
		ended += f && f % 7 == 0 ? WINDOWS : 0;
		refused += f && f % 7 && f % 11 == 0 ? WINDOWS : 0;
	}
	for (s = 0; s < 64; s++)
		threads += fk.has_thread[s];
	tap_ok(pushed == FLOWS * WINDOWS && all == FLOWS,
	       "%d windows queued, every one of %u flows labelled %u times "
	       "(%u flows were)", pushed, FLOWS, WINDOWS, all);
	tap_ok(threads == CLASSIFIERS && !fk.thread_changed && !fk.wrong_shard,
	       "labels from %u classifier threads (%u), each flow's from its "
	       "own (%u from another thread, %u from another classifier)",
	       CLASSIFIERS, threads, fk.thread_changed, fk.wrong_shard);
	tap_ok(!fk.out_of_order, "a flow's labels in window order across "
	       "its relabels (%u out of order)", fk.out_of_order);
	tap_ok(fk.max_n > 1 && fk.calls < (uint32_t)pushed,
	       "labels go to the backend in batches (%u calls for %d "
	       "windows, largest %u)", fk.calls, pushed, fk.max_n);
	tap_ok(c.windows_received == (uint64_t)pushed &&
	       c.windows_classified == (uint64_t)pushed &&
	       !c.queue_dropped && !c.windows_late,
	       "counted: %llu received, %llu classified, %llu dropped, "
	       "%llu late", (unsigned long long)c.windows_received,
	       (unsigned long long)c.windows_classified,
	       (unsigned long long)c.queue_dropped,
	       (unsigned long long)c.windows_late);
	tap_ok(c.labels_flow_ended == ended && c.label_errors == refused &&
	       c.labels_written == (uint64_t)pushed - ended - refused,
	       "labels counted by outcome: %llu written, %llu flow ended "
	       "(%u), %llu refused (%u)",
	       (unsigned long long)c.labels_written,
	       (unsigned long long)c.labels_flow_ended, ended,
	       (unsigned long long)c.label_errors, refused);
	jf = fopen(out, "r");
	while (jf && fgets(line, sizeof(line), jf)) {
		size_t len = strlen(line);

		lines++;
		whole += !strncmp(line, "{\"time\":", 8) && len > 2 &&
			 !strcmp(line + len - 2, "}\n") &&
			 !strchr(line + 1, '{');
	}
	if (jf)
		fclose(jf);
	unlink(out);
	tap_ok(lines == (uint32_t)pushed && whole == lines,
	       "one whole JSON line per window from %u threads: %u lines, "
	       "%u whole", CLASSIFIERS, lines, whole);
	free(d);
}

/*
 * A model held up (the backend's gate closed): a queue of 4 holds the
 * window being labelled and 3 behind it, the other 6 of 10 are counted
 * as dropped; the 4 labelled after the late bound are counted as late.
 */
static void check_full_late(void)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct daemon_counters c;
	struct timespec ts = { 0, 200000 };
	uint64_t last;
	int i, rc, full = 0;

	reset_fake();
	pthread_mutex_lock(&fk.lock);
	fk.gated = 1;
	fk.inside = 0;
	pthread_mutex_unlock(&fk.lock);
	if (!d || start(d, 1, 1, 4, 1000000ULL, "/dev/null")) {
		tap_skip_n(2, "daemon did not start", "full, late");
		free(d);
		return;
	}
	push(d, 0, 0);
	daemon_windows_ready(d);
	pthread_mutex_lock(&fk.lock);
	while (!fk.inside)	/* the classifier holds window 0 */
		pthread_cond_wait(&fk.cond, &fk.lock);
	pthread_mutex_unlock(&fk.lock);
	for (i = 1; i < 10; i++) {
		rc = push(d, 0, (uint32_t)i);
		full += rc == -ENOSPC;
	}
	daemon_windows_ready(d);
	/* Every window waits past the 1 ms bound before its label. */
	last = mono_ns();
	while (mono_ns() - last < 2000000ULL)
		nanosleep(&ts, NULL);
	pthread_mutex_lock(&fk.lock);
	fk.gated = 0;
	pthread_cond_broadcast(&fk.cond);
	pthread_mutex_unlock(&fk.lock);
	settled(d, 4, &c);
	daemon_stop(d);
	tap_ok(full == 6 && c.queue_dropped == 6 && c.windows_received == 10 &&
	       c.windows_classified == 4,
	       "queue full: %d refused, %llu counted dropped, %llu received, "
	       "%llu classified", full, (unsigned long long)c.queue_dropped,
	       (unsigned long long)c.windows_received,
	       (unsigned long long)c.windows_classified);
	tap_ok(c.windows_late == 4, "labelled past --late: %llu of 4 counted "
	       "late", (unsigned long long)c.windows_late);
	free(d);
}

int main(void)
{
	tap_header();
	tap_plan(9);
	if (write_model_policy()) {
		tap_skip_n(9, "cannot write a model to /tmp", "daemon");
		tap_done();
	}
	check_threads();
	check_full_late();
	unlink(model_path);
	unlink(policy_path);
	tap_done();
}
