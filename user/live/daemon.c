// SPDX-License-Identifier: GPL-2.0
/*
 * flowpicd's engine: the window queue, the classifier thread, labels back
 * into the kernel, the JSON lines, reload and shutdown. The backends
 * (daemon_bpf.c, daemon_kmod.c) only move records and labels.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio_ext.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "live/daemon.h"
#include "capture/flow_key.h"
#include "output/json.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void daemon_config_default(struct daemon_config *c)
{
	memset(c, 0, sizeof(*c));
	c->pin_dir = DAEMON_PIN_DIR;
	c->state_dir = DAEMON_STATE_DIR;
	c->backend = DAEMON_BACKEND_BPF;
	c->threshold = 0.5f;
	c->batch_max = 64;
	c->batch_wait_ns = 0;	/* take what is queued: lowest latency */
	c->queue_max = 65536;
	c->classifiers = 1;
	c->late_ns = 50000000ULL;		/* 50 ms */
	c->idle_ns = 10000000000ULL;		/* 10 s */
	c->min_packets = 3;
	c->max_flows = 65536;
	c->ipfix_refresh_ns = 30000000000ULL;	/* 30 s */
}

/* --- the queue ------------------------------------------------------------ */

/* @p from index-sorted unique sparse cells (the module's records). */
static int picture_set_sparse(struct picture *p,
			      const struct flowpic_sparse_cell *c, uint32_t n)
{
	struct flowpic_sparse_cell *cells = p->cells;
	uint32_t i;

	if (n > p->cap) {
		cells = realloc(p->cells, (size_t)n * sizeof(*cells));
		if (!cells)
			return -ENOMEM;
		p->cells = cells;
		p->cap = n;
	}
	for (i = 0; i < n; i++) {
		cells[i].index = c[i].index;
		cells[i].count = c[i].count > FLOWPIC_CELL_MAX ?
				 FLOWPIC_CELL_MAX : c[i].count;
	}
	p->ncells = n;
	return 0;
}

static int window_in(struct daemon *d, const struct flowpic_window *w,
		     const uint8_t *dense,
		     const struct flowpic_sparse_cell *sparse, uint32_t nsparse);

int daemon_window_in(struct daemon *d, const struct flowpic_window *w,
		     const uint8_t *dense,
		     const struct flowpic_sparse_cell *sparse, uint32_t nsparse)
{
	int rc;

	pthread_mutex_lock(&d->in_lock);
	rc = window_in(d, w, dense, sparse, nsparse);
	pthread_mutex_unlock(&d->in_lock);
	return rc;
}

unsigned int daemon_shard_of(const struct daemon *d,
			     const struct flowpic_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return (unsigned int)((h ^ (h >> 32)) % d->cfg.classifiers);
}

/* One producer at a time (in_lock): the slot past the tail is its own. */
static int window_in(struct daemon *d, const struct flowpic_window *w,
		     const uint8_t *dense,
		     const struct flowpic_sparse_cell *sparse, uint32_t nsparse)
{
	struct daemon_shard *sh = &d->shards[daemon_shard_of(d, &w->key)];
	uint32_t cells = flowpic_geom_cells(&d->geom), slot, i;
	struct daemon_item *it;
	int rc = 0, wake;

	pthread_mutex_lock(&sh->lock);
	sh->cnt.windows_received++;
	if (w->n != d->geom.n || w->channels != d->geom.channels ||
	    (dense && w->cells != cells)) {
		sh->cnt.bad_records++;
		pthread_mutex_unlock(&sh->lock);
		return -EINVAL;
	}
	if (sh->q_count == sh->q_max) {
		sh->cnt.queue_dropped++;
		pthread_mutex_unlock(&sh->lock);
		return -ENOSPC;
	}
	slot = (sh->q_head + sh->q_count) % sh->q_max;
	pthread_mutex_unlock(&sh->lock);

	/* The slot past the tail is the reader's alone until published. */
	it = &sh->q[slot];
	it->w = *w;
	it->recv_ns = now_ns();
	if (dense) {
		rc = picture_from_dense(&it->pic, dense);
	} else {
		picture_clear(&it->pic);
		for (i = 0; i < nsparse; i++)
			if (sparse[i].index >= cells ||
			    (i && sparse[i].index <= sparse[i - 1].index))
				break;
		if (i < nsparse)
			rc = -EINVAL;
		else
			rc = picture_set_sparse(&it->pic, sparse, nsparse);
	}

	pthread_mutex_lock(&sh->lock);
	if (rc) {
		sh->cnt.bad_records++;
		pthread_mutex_unlock(&sh->lock);
		return rc;
	}
	sh->q_count++;
	if (sh->q_count > sh->cnt.queue_depth_max)
		sh->cnt.queue_depth_max = sh->q_count;
	/* A full batch goes at once; the rest at daemon_windows_ready(). */
	wake = sh->q_count % d->cfg.batch_max == 0;
	sh->fresh = !wake;
	pthread_mutex_unlock(&sh->lock);
	if (wake)
		pthread_cond_signal(&sh->cond);
	return 0;
}

void daemon_windows_ready(struct daemon *d)
{
	unsigned int i;
	int wake;

	for (i = 0; i < d->cfg.classifiers; i++) {
		struct daemon_shard *sh = &d->shards[i];

		pthread_mutex_lock(&sh->lock);
		wake = sh->fresh;
		sh->fresh = 0;
		pthread_mutex_unlock(&sh->lock);
		if (wake)
			pthread_cond_signal(&sh->cond);
	}
}

void daemon_socket_overrun(struct daemon *d)
{
	pthread_mutex_lock(&d->lock);
	d->cnt.socket_overruns++;
	pthread_mutex_unlock(&d->lock);
}

void daemon_counters(struct daemon *d, struct daemon_counters *c,
		     uint64_t *hist, uint64_t *lat_sum_us)
{
	unsigned int i, b;

	pthread_mutex_lock(&d->lock);
	*c = d->cnt;
	pthread_mutex_unlock(&d->lock);
	if (hist)
		memset(hist, 0, DAEMON_LAT_BUCKETS * sizeof(*hist));
	if (lat_sum_us)
		*lat_sum_us = 0;
	for (i = 0; i < d->cfg.classifiers; i++) {
		struct daemon_shard *sh = &d->shards[i];
		struct daemon_counters s;

		pthread_mutex_lock(&sh->lock);
		s = sh->cnt;
		s.queue_depth = sh->q_count;
		pthread_mutex_unlock(&sh->lock);
		c->windows_received += s.windows_received;
		c->windows_classified += s.windows_classified;
		c->windows_unknown += s.windows_unknown;
		c->windows_late += s.windows_late;
		c->queue_dropped += s.queue_dropped;
		c->bad_records += s.bad_records;
		c->labels_written += s.labels_written;
		c->labels_flow_ended += s.labels_flow_ended;
		c->label_errors += s.label_errors;
		c->batches += s.batches;
		c->queue_depth += s.queue_depth;
		if (s.queue_depth_max > c->queue_depth_max)
			c->queue_depth_max = s.queue_depth_max;
		/* Read without the model lock: a torn bucket is one off. */
		for (b = 0; hist && b < DAEMON_LAT_BUCKETS; b++)
			hist[b] += sh->lat_hist[b];
		if (lat_sum_us)
			*lat_sum_us += sh->lat_sum_us;
	}
}

/* --- classification --------------------------------------------------------- */

static void utc_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static const char *reason_name(unsigned int r)
{
	static const char *const names[] = {
		[FLOWPIC_END_TIME] = "time", [FLOWPIC_END_FIN] = "fin",
		[FLOWPIC_END_RST] = "rst", [FLOWPIC_END_IDLE] = "idle",
		[FLOWPIC_END_EVICT] = "evict",
	};

	return r < sizeof(names) / sizeof(names[0]) && names[r] ? names[r] :
	       "?";
}

/* One line per labelled window: docs/json.md, "flowpicd". @t: the time. */
static void window_json(struct daemon *d, FILE *out,
			const struct daemon_item *it,
			const struct flowpic_label *l, int rc, const char *t)
{
	const struct flowpic_window *w = &it->w;
	char flow[128], act[48];
	struct json j;

	flow_key_format(&w->key, flow, sizeof(flow));
	policy_action_str(&d->actions[l->class_id], act, sizeof(act));
	json_start(&j, out);
	json_object(&j);
	json_key_str(&j, "time", t);
	json_key_str(&j, "interface",
		     d->cfg.nifaces == 1 ? d->cfg.ifaces[0] : "*");
	json_key_str(&j, "flow", flow);
	json_key_uint(&j, "window", w->index);
	json_key_str(&j, "reason", reason_name(w->reason));
	json_key_pair(&j, "packets", w->packets[0], w->packets[1]);
	json_key_pair(&j, "bytes", w->bytes[0], w->bytes[1]);
	json_key_str(&j, "label", l->class_id < d->model->mf.nclasses ?
		     d->model->mf.classes[l->class_id] : POLICY_UNKNOWN);
	json_key_real(&j, "confidence",
		      l->confidence / (double)FLOWPIC_CONFIDENCE_ONE, 4);
	json_key_str(&j, "action", act);
	if (rc == -ENOENT)
		json_key_bool(&j, "written", 0);
	json_line(&j);
}

/*
 * Queue entries [first, first + n) of @sh: one CNN call, one set_labels
 * call, then a JSON line each, written out together.
 */
static void classify(struct daemon_shard *sh, uint32_t first, uint32_t n)
{
	struct daemon *d = sh->d;
	const struct picture *pics[n];
	struct daemon_counters c = { 0 };
	struct daemon_model *m;
	struct cnn_input in;
	uint32_t i, k, best;
	uint64_t t, lat_us;
	char when[80];
	int rc;

	pthread_rwlock_rdlock(&d->model_lock);
	m = d->model;
	for (i = 0; i < n; i++) {
		struct picture *pic = &sh->q[(first + i) % sh->q_max].pic;

		/* The model reads min(count, clip) * scale. */
		if (m->mf.clip < FLOWPIC_CELL_MAX)
			for (k = 0; k < pic->ncells; k++)
				if (pic->cells[k].count > m->mf.clip)
					pic->cells[k].count = m->mf.clip;
		pics[i] = pic;
	}
	in = (struct cnn_input){ .n = n, .pics = pics, .scale = m->mf.scale };
	rc = cnn_infer(&m->mf.net, sh->work, &in, sh->probs);
	if (rc) {
		pthread_rwlock_unlock(&d->model_lock);
		pthread_mutex_lock(&sh->lock);
		sh->cnt.bad_records += n;
		pthread_mutex_unlock(&sh->lock);
		return;
	}
	t = now_ns();
	for (i = 0; i < n; i++) {
		const struct daemon_item *it = &sh->q[(first + i) % sh->q_max];
		const float *p = sh->probs + (size_t)i * m->mf.nclasses;
		struct flowpic_label *l = &sh->labels[i];

		for (best = 0, k = 1; k < m->mf.nclasses; k++)
			if (p[k] > p[best])
				best = k;
		memset(l, 0, sizeof(*l));
		l->class_id = p[best] >= daemon_threshold(&d->cfg, m, best) ?
			      best : FLOWPIC_CLASS_UNKNOWN;
		l->confidence = (__u16)lrintf(fminf(fmaxf(p[best], 0.f), 1.f) *
					      FLOWPIC_CONFIDENCE_ONE);
		l->window = it->w.index;
		l->set_ns = t;
		sh->keys[i] = it->w.key;
	}
	d->be.ops->set_labels(&d->be, sh->id, sh->keys, sh->labels, n,
			      sh->rc);
	t = now_ns();
	utc_time(when, sizeof(when));
	rewind(sh->json);
	for (i = 0; i < n; i++) {
		const struct daemon_item *it = &sh->q[(first + i) % sh->q_max];
		const struct flowpic_label *l = &sh->labels[i];

		rc = sh->rc[i];
		if (rc == -ENOENT)
			c.labels_flow_ended++;	/* FIN/RST or eviction */
		else if (rc)
			c.label_errors++;
		else
			c.labels_written++;
		c.windows_unknown += l->class_id == FLOWPIC_CLASS_UNKNOWN;
		c.windows_late += t - it->recv_ns > d->cfg.late_ns;
		lat_us = (t - it->recv_ns) / 1000;
		sh->lat_hist[lat_us ? 64 - __builtin_clzll(lat_us) : 0]++;
		sh->lat_sum_us += lat_us;
		window_json(d, sh->json, it, l, rc, when);
		daemon_export_window(d, it, l, !rc);
	}
	pthread_rwlock_unlock(&d->model_lock);
	fflush(sh->json);
	flockfile(d->out);
	fwrite(sh->json_buf, 1, sh->json_len, d->out);
	fflush(d->out);
	funlockfile(d->out);

	pthread_mutex_lock(&sh->lock);
	sh->cnt.windows_classified += n;
	sh->cnt.windows_unknown += c.windows_unknown;
	sh->cnt.windows_late += c.windows_late;
	sh->cnt.labels_written += c.labels_written;
	sh->cnt.labels_flow_ended += c.labels_flow_ended;
	sh->cnt.label_errors += c.label_errors;
	sh->cnt.batches++;
	pthread_mutex_unlock(&sh->lock);
}

static void *classifier_main(void *arg)
{
	struct daemon_shard *sh = arg;
	struct daemon *d = sh->d;
	struct timespec ts;
	uint64_t deadline;
	uint32_t first, n;

	pthread_mutex_lock(&sh->lock);
	for (;;) {
		while (!sh->q_count && !__atomic_load_n(&d->stop,
							__ATOMIC_ACQUIRE))
			pthread_cond_wait(&sh->cond, &sh->lock);
		if (!sh->q_count)
			break;
		/* Wait a little for a fuller batch, never past batch_wait. */
		deadline = sh->q[sh->q_head].recv_ns + d->cfg.batch_wait_ns;
		while (sh->q_count < d->cfg.batch_max &&
		       !__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE) &&
		       now_ns() < deadline) {
			ts.tv_sec = (time_t)(deadline / 1000000000ULL);
			ts.tv_nsec = (long)(deadline % 1000000000ULL);
			pthread_cond_timedwait(&sh->cond, &sh->lock, &ts);
		}
		first = sh->q_head;
		n = sh->q_count < d->cfg.batch_max ? sh->q_count :
		    d->cfg.batch_max;
		pthread_mutex_unlock(&sh->lock);

		classify(sh, first, n);

		pthread_mutex_lock(&sh->lock);
		sh->q_head = (sh->q_head + n) % sh->q_max;
		sh->q_count -= n;
	}
	pthread_mutex_unlock(&sh->lock);
	return NULL;
}

static void *sweeper_main(void *arg)
{
	struct daemon *d = arg;
	struct timespec ts;

	/*
	 * A sweep walks the whole flow table; a quarter of the idle time
	 * between two keeps closing windows on time without the walk
	 * taking the CPU that labelling needs.
	 */
	uint64_t period = d->cfg.idle_ns / 4, t;

	if (period < 100000000ULL)
		period = 100000000ULL;
	if (period > 5000000000ULL)
		period = 5000000000ULL;
	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec +
		    period;
		ts.tv_sec = (time_t)(t / 1000000000ULL);
		ts.tv_nsec = (long)(t % 1000000000ULL);
		pthread_cond_timedwait(&d->sweep_cond, &d->lock, &ts);
		if (d->stop)
			break;
		pthread_mutex_unlock(&d->lock);
		d->be.ops->sweep(&d->be, d->cfg.idle_ns);
		daemon_windows_ready(d);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* --- model, policy, shaping ------------------------------------------------- */

static int same_geom(const struct flowpic_geom *a, const struct flowpic_geom *b)
{
	return a->n == b->n && a->channels == b->channels &&
	       a->window_ns == b->window_ns && a->max_size == b->max_size;
}

/* Shapes every interface as @p says (or removes flowpic's qdisc). */
static int apply_shaping(struct daemon *d, const struct policy *p,
			 const struct daemon_model *m, char *err, size_t errlen)
{
	struct policy_shape sh[FLOWPIC_POLICY_SLOTS];
	unsigned int n, i;
	int rc;

	n = policy_shapes(p, m->classes, m->mf.nclasses, sh);
	if (!n && !d->shaper_open)
		return 0;
	if (!d->shaper_open) {
		rc = shaper_open(&d->shaper, err, errlen);
		if (rc)
			return rc;
		d->shaper_open = 1;
	}
	for (i = 0; i < d->cfg.nifaces; i++) {
		rc = n ? shaper_apply(&d->shaper, d->cfg.ifaces[i], sh, n, err,
				      errlen) :
			 shaper_remove(&d->shaper, d->cfg.ifaces[i], err,
				       errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* Loads and checks a model and a policy that go together. */
static int load_pair(struct daemon *d, struct daemon_model **mp,
		     struct policy *p, char *err, size_t errlen)
{
	struct daemon_model *m;
	int rc;

	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = daemon_model_load(m, d->cfg.model_path, err, errlen);
	if (rc)
		goto err_free;
	rc = policy_load(p, d->cfg.policy_path, err, errlen);
	if (rc)
		goto err_model;
	rc = policy_check_classes(p, m->classes, m->mf.nclasses, err, errlen);
	if (rc)
		goto err_policy;
	*mp = m;
	return 0;

err_policy:
	policy_free(p);
err_model:
	daemon_model_free(m);
err_free:
	free(m);
	return rc;
}

static void model_put(struct daemon_model *m)
{
	if (!m)
		return;
	daemon_model_free(m);
	free(m);
}

int daemon_model_load(struct daemon_model *m, const char *path,
		      char *err, size_t errlen)
{
	uint32_t i;
	int rc;

	rc = model_load(&m->mf, path, err, errlen);
	if (rc)
		return rc;
	if (!m->mf.nclasses || m->mf.nclasses > FLOWPIC_CLASSES_MAX) {
		snprintf(err, errlen, "%s: %u classes (flowpic labels 1 .. %d)",
			 path, m->mf.nclasses, FLOWPIC_CLASSES_MAX);
		model_free(&m->mf);
		return -EINVAL;
	}
	for (i = 0; i < m->mf.nclasses; i++)
		m->classes[i] = m->mf.classes[i];
	/* checked when the file was loaded */
	model_thresholds(&m->mf, m->threshold, err, errlen);
	return 0;
}

float daemon_threshold(const struct daemon_config *c,
		       const struct daemon_model *m, uint32_t cls)
{
	return c->threshold_set || m->threshold[cls] < 0 ? c->threshold :
	       m->threshold[cls];
}

void daemon_model_free(struct daemon_model *m)
{
	model_free(&m->mf);
}

/* --- start, reload, stop ------------------------------------------------------ */

/* Each classifier's CNN scratch for @m; all or none. */
static int shard_works(struct daemon *d, const struct daemon_model *m,
		       struct cnn_work **work, float **probs)
{
	unsigned int i;

	for (i = 0; i < d->cfg.classifiers; i++) {
		work[i] = cnn_work_new(&m->mf.net, d->cfg.batch_max, 0);
		probs[i] = calloc((size_t)d->cfg.batch_max * m->mf.nclasses,
				  sizeof(*probs[i]));
		if (!work[i] || !probs[i]) {
			for (; ; i--) {
				if (work[i])
					cnn_work_free(work[i]);
				free(probs[i]);
				work[i] = NULL;
				probs[i] = NULL;
				if (!i)
					break;
			}
			return -ENOMEM;
		}
	}
	return 0;
}

static void shards_free(struct daemon *d)
{
	unsigned int i, j;

	for (i = 0; d->shards && i < d->cfg.classifiers; i++) {
		struct daemon_shard *sh = &d->shards[i];

		for (j = 0; sh->q && j < sh->q_max; j++)
			picture_free(&sh->q[j].pic);
		free(sh->q);
		if (sh->work)
			cnn_work_free(sh->work);
		free(sh->probs);
		free(sh->keys);
		free(sh->labels);
		free(sh->rc);
		if (sh->json)
			fclose(sh->json);
		free(sh->json_buf);
		pthread_mutex_destroy(&sh->lock);
		pthread_cond_destroy(&sh->cond);
	}
	free(d->shards);
	d->shards = NULL;
}

/* The classifiers' queues (queue_max shared out) and scratch. */
static int shards_new(struct daemon *d)
{
	const struct daemon_config *c = &d->cfg;
	struct cnn_work *work[c->classifiers];
	float *probs[c->classifiers];
	pthread_condattr_t ca;
	unsigned int i, j;
	int rc = 0;

	d->shards = calloc(c->classifiers, sizeof(*d->shards));
	if (!d->shards || shard_works(d, d->model, work, probs)) {
		free(d->shards);
		d->shards = NULL;
		return -ENOMEM;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (i = 0; i < c->classifiers; i++) {
		struct daemon_shard *sh = &d->shards[i];

		sh->d = d;
		sh->id = i;
		pthread_mutex_init(&sh->lock, NULL);
		pthread_cond_init(&sh->cond, &ca);
		sh->work = work[i];
		sh->probs = probs[i];
		sh->q_max = (c->queue_max + c->classifiers - 1) /
			    c->classifiers;
		sh->q = calloc(sh->q_max, sizeof(*sh->q));
		sh->keys = calloc(c->batch_max, sizeof(*sh->keys));
		sh->labels = calloc(c->batch_max, sizeof(*sh->labels));
		sh->rc = calloc(c->batch_max, sizeof(*sh->rc));
		sh->json = open_memstream(&sh->json_buf, &sh->json_len);
		/* This thread's alone: no lock per character. */
		if (sh->json)
			__fsetlocking(sh->json, FSETLOCKING_BYCALLER);
		if (!sh->q || !sh->keys || !sh->labels || !sh->rc ||
		    !sh->json) {
			rc = -ENOMEM;
			continue;
		}
		for (j = 0; j < sh->q_max; j++)
			picture_init(&sh->q[j].pic, &d->geom);
	}
	pthread_condattr_destroy(&ca);
	if (rc)
		shards_free(d);
	return rc;
}

/* Sets stop and wakes every thread; each sees it under its own lock. */
static void stop_threads(struct daemon *d)
{
	unsigned int i;

	pthread_mutex_lock(&d->lock);
	__atomic_store_n(&d->stop, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->lock);
	pthread_cond_broadcast(&d->sweep_cond);
	for (i = 0; i < d->cfg.classifiers; i++) {
		pthread_mutex_lock(&d->shards[i].lock);
		pthread_mutex_unlock(&d->shards[i].lock);
		pthread_cond_broadcast(&d->shards[i].cond);
	}
}

/* Stops the threads, the classifiers after their queued windows. */
static void join_threads(struct daemon *d)
{
	unsigned int i;

	stop_threads(d);
	if (d->sweeper_running)
		pthread_join(d->sweeper, NULL);
	d->sweeper_running = 0;
	for (i = 0; i < d->cfg.classifiers; i++) {
		if (d->shards[i].running)
			pthread_join(d->shards[i].thread, NULL);
		d->shards[i].running = 0;
	}
}

int daemon_start(struct daemon *d, const struct daemon_config *c,
		 char *err, size_t errlen)
{
	pthread_rwlockattr_t ra;
	pthread_condattr_t ca;
	unsigned int i;
	int rc;

	memset(d, 0, sizeof(*d));
	d->cfg = *c;
	if (!d->cfg.classifiers)
		d->cfg.classifiers = 1;
	c = &d->cfg;
	/* A reload must not wait for a moment no classifier reads. */
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d->model_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->sweep_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&d->in_lock, NULL);

	rc = load_pair(d, &d->model, &d->policy, err, errlen);
	if (rc)
		return rc;
	d->geom = d->model->mf.geom;
	for (i = 0; i < c->nifaces; i++) {
		if (if_nametoindex(c->ifaces[i]))
			continue;
		snprintf(err, errlen, "interface '%s' does not exist",
			 c->ifaces[i]);
		rc = -ENODEV;
		goto err_model;
	}

	if (cnn_prepare(&d->model->mf.net) || shards_new(d)) {
		snprintf(err, errlen, "out of memory (queues of %u windows, "
			 "batches of %u, %u classifiers)", c->queue_max,
			 c->batch_max, c->classifiers);
		rc = -ENOMEM;
		goto err_mem;
	}

	d->out = stdout;
	if (c->output_path) {
		d->out = fopen(c->output_path, "a");
		if (!d->out) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", c->output_path,
				 strerror(-rc));
			goto err_mem;
		}
	}

	d->be.d = d;
	d->be.ops = c->backend_ops ? c->backend_ops :
		    c->backend == DAEMON_BACKEND_KMOD ? &daemon_kmod_ops :
		    &daemon_bpf_ops;
	rc = d->be.ops->open(&d->be, &d->cfg, &d->geom, err, errlen);
	if (rc)
		goto err_out;

	/* Classes first, then the policy that steers into them. */
	rc = apply_shaping(d, &d->policy, d->model, err, errlen);
	if (rc)
		goto err_be;
	policy_actions(&d->policy, d->model->classes, d->model->mf.nclasses,
		       d->actions);
	rc = d->be.ops->set_policy(&d->be, d->actions, err, errlen);
	if (rc)
		goto err_shaper;

	rc = daemon_export_open(d, err, errlen);
	if (rc)
		goto err_shaper;
	rc = c->drop_privileges ? c->drop_privileges(err, errlen) : 0;
	if (!rc)
		rc = daemon_export_start(d, err, errlen);
	if (rc)
		goto err_export;

	for (i = 0; i < c->classifiers; i++) {
		rc = pthread_create(&d->shards[i].thread, NULL,
				    classifier_main, &d->shards[i]);
		if (rc) {
			snprintf(err, errlen, "classifier thread: %s",
				 strerror(rc));
			rc = -rc;
			goto err_thread;
		}
		d->shards[i].running = 1;
	}
	rc = pthread_create(&d->sweeper, NULL, sweeper_main, d);
	if (rc) {
		snprintf(err, errlen, "sweeper thread: %s", strerror(rc));
		rc = -rc;
		goto err_thread;
	}
	d->sweeper_running = 1;
	return 0;

err_thread:
	join_threads(d);
err_export:
	daemon_export_close(d);
err_shaper:
	if (d->shaper_open) {
		for (i = 0; i < c->nifaces; i++)
			shaper_remove(&d->shaper, c->ifaces[i], NULL, 0);
		shaper_close(&d->shaper);
	}
err_be:
	d->be.ops->close(&d->be, c->keep);
err_out:
	if (d->out != stdout)
		fclose(d->out);
err_mem:
	shards_free(d);
err_model:
	policy_free(&d->policy);
	model_put(d->model);
	d->model = NULL;
	return rc;
}

int daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	struct flowpic_action actions[FLOWPIC_POLICY_SLOTS];
	struct cnn_work *work[d->cfg.classifiers], *w;
	float *probs[d->cfg.classifiers], *pr;
	struct daemon_model *m, *old_m;
	struct policy p, old_p;
	unsigned int i;
	int rc;

	rc = load_pair(d, &m, &p, err, errlen);
	if (rc)
		goto err_count;
	if (!same_geom(&m->mf.geom, &d->geom)) {
		snprintf(err, errlen, "%s: FlowPic geometry (%ux%u, %u "
			 "channel(s), %" PRIu64 " ms windows) differs from the "
			 "running one (%ux%u, %u, %" PRIu64 " ms); restart "
			 "flowpicd to change it", d->cfg.model_path, m->mf.geom.n,
			 m->mf.geom.n, m->mf.geom.channels,
			 (uint64_t)m->mf.geom.window_ns / 1000000, d->geom.n,
			 d->geom.n, d->geom.channels,
			 (uint64_t)d->geom.window_ns / 1000000);
		rc = -EINVAL;
		goto err_pair;
	}
	if (cnn_prepare(&m->mf.net) || shard_works(d, m, work, probs)) {
		snprintf(err, errlen, "out of memory loading %s",
			 d->cfg.model_path);
		rc = -ENOMEM;
		goto err_pair;
	}
	policy_actions(&p, m->classes, m->mf.nclasses, actions);
	rc = apply_shaping(d, &p, m, err, errlen);
	if (rc)
		goto err_work;

	pthread_rwlock_wrlock(&d->model_lock);
	old_m = d->model;
	old_p = d->policy;
	d->model = m;
	for (i = 0; i < d->cfg.classifiers; i++) {
		w = d->shards[i].work;
		pr = d->shards[i].probs;
		d->shards[i].work = work[i];
		d->shards[i].probs = probs[i];
		work[i] = w;
		probs[i] = pr;
	}
	d->policy = p;
	memcpy(d->actions, actions, sizeof(actions));
	rc = d->be.ops->set_policy(&d->be, d->actions, err, errlen);
	daemon_export_classes(d);
	pthread_rwlock_unlock(&d->model_lock);

	model_put(old_m);
	for (i = 0; i < d->cfg.classifiers; i++) {
		cnn_work_free(work[i]);
		free(probs[i]);
	}
	policy_free(&old_p);
	pthread_mutex_lock(&d->lock);
	d->cnt.reloads++;
	pthread_mutex_unlock(&d->lock);
	return rc;

err_work:
	for (i = 0; i < d->cfg.classifiers; i++) {
		cnn_work_free(work[i]);
		free(probs[i]);
	}

err_pair:
	policy_free(&p);
	model_put(m);
err_count:
	pthread_mutex_lock(&d->lock);
	d->cnt.reload_errors++;
	pthread_mutex_unlock(&d->lock);
	return rc;
}

int daemon_poll(struct daemon *d)
{
	int rc = d->be.ops->consume(&d->be);

	daemon_windows_ready(d);
	return rc;
}

void daemon_tick(struct daemon *d)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", d->cfg.state_dir,
		 DAEMON_STATS_FILE);
	daemon_write_stats(d, path);
}

/* The upper bound of the histogram bucket holding quantile @q, in us. */
static uint64_t lat_quantile(const uint64_t *h, double q)
{
	uint64_t total = 0, seen = 0;
	int i;

	for (i = 0; i < DAEMON_LAT_BUCKETS; i++)
		total += h[i];
	if (!total)
		return 0;
	for (i = 0; i < DAEMON_LAT_BUCKETS; i++) {
		seen += h[i];
		if (seen >= (uint64_t)ceil(q * (double)total))
			return i ? 1ULL << i : 1;
	}
	return 0;
}

/*
 * A class name on the stats file's "classes" line: names are separated by
 * spaces, so space, control bytes and % are written as %XX.
 */
static void stats_class(FILE *f, const char *name)
{
	const unsigned char *c = (const unsigned char *)name;

	fputc(' ', f);
	for (; *c; c++)
		if (*c <= ' ' || *c == 0x7f || *c == '%')
			fprintf(f, "%%%02X", *c);
		else
			fputc(*c, f);
}

int daemon_write_stats(struct daemon *d, const char *path)
{
	struct daemon_counters c;
	uint64_t hist[DAEMON_LAT_BUCKETS];
	char tmp[600];
	unsigned int i;
	FILE *f;

	daemon_counters(d, &c, hist, NULL);

	mkdir(d->cfg.state_dir, 0755);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "pid %d\nbackend %s\ninterfaces", (int)getpid(),
		d->be.ops->name);
	for (i = 0; i < d->cfg.nifaces; i++)
		fprintf(f, " %s", d->cfg.ifaces[i]);
	fprintf(f, "\nmodel %s\npolicy %s\nclasses", d->cfg.model_path,
		d->cfg.policy_path);
	pthread_rwlock_rdlock(&d->model_lock);
	for (i = 0; i < d->model->mf.nclasses; i++)
		stats_class(f, d->model->mf.classes[i]);
	pthread_rwlock_unlock(&d->model_lock);
	fprintf(f, "\n");
	fprintf(f, "windows_received %" PRIu64 "\n"
		"windows_classified %" PRIu64 "\n"
		"windows_unknown %" PRIu64 "\n"
		"windows_late %" PRIu64 "\n"
		"queue_depth %u\nqueue_depth_max %u\n"
		"queue_dropped %" PRIu64 "\n"
		"bad_records %" PRIu64 "\n"
		"socket_overruns %" PRIu64 "\n"
		"labels_written %" PRIu64 "\n"
		"labels_flow_ended %" PRIu64 "\n"
		"label_errors %" PRIu64 "\n"
		"batches %" PRIu64 "\n"
		"reloads %" PRIu64 "\nreload_errors %" PRIu64 "\n"
		"latency_p50_us %" PRIu64 "\nlatency_p99_us %" PRIu64 "\n",
		c.windows_received, c.windows_classified, c.windows_unknown,
		c.windows_late,
		c.queue_depth, c.queue_depth_max, c.queue_dropped,
		c.bad_records, c.socket_overruns, c.labels_written, c.labels_flow_ended, c.label_errors, c.batches,
		c.reloads, c.reload_errors, lat_quantile(hist, 0.5),
		lat_quantile(hist, 0.99));
	if (fclose(f))
		return -errno;
	return rename(tmp, path) ? -errno : 0;
}

void daemon_stop(struct daemon *d)
{
	char path[512], err[256];
	unsigned int i;

	join_threads(d);
	daemon_export_close(d);

	d->be.ops->close(&d->be, d->cfg.keep);
	if (d->shaper_open) {
		for (i = 0; i < d->cfg.nifaces && !d->cfg.keep; i++)
			if (shaper_remove(&d->shaper, d->cfg.ifaces[i], err,
					  sizeof(err)))
				fprintf(stderr, "flowpicd: %s\n", err);
		shaper_close(&d->shaper);
	}
	snprintf(path, sizeof(path), "%s/%s", d->cfg.state_dir,
		 DAEMON_STATS_FILE);
	unlink(path);
	if (d->out && d->out != stdout)
		fclose(d->out);
	else if (d->out)
		fflush(d->out);
	shards_free(d);
	policy_free(&d->policy);
	model_put(d->model);
	d->model = NULL;
}
