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

/* One producer at a time (in_lock): the slot past the tail is its own. */
static int window_in(struct daemon *d, const struct flowpic_window *w,
		     const uint8_t *dense,
		     const struct flowpic_sparse_cell *sparse, uint32_t nsparse)
{
	uint32_t cells = flowpic_geom_cells(&d->geom), slot, i;
	struct daemon_item *it;
	int rc = 0, wake;

	pthread_mutex_lock(&d->q_lock);
	d->cnt.windows_received++;
	if (w->n != d->geom.n || w->channels != d->geom.channels ||
	    (dense && w->cells != cells)) {
		d->cnt.bad_records++;
		pthread_mutex_unlock(&d->q_lock);
		return -EINVAL;
	}
	if (d->q_count == d->cfg.queue_max) {
		d->cnt.queue_dropped++;
		pthread_mutex_unlock(&d->q_lock);
		return -ENOSPC;
	}
	slot = (d->q_head + d->q_count) % d->cfg.queue_max;
	pthread_mutex_unlock(&d->q_lock);

	/* The slot past the tail is the reader's alone until published. */
	it = &d->q[slot];
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

	pthread_mutex_lock(&d->q_lock);
	if (rc) {
		d->cnt.bad_records++;
		pthread_mutex_unlock(&d->q_lock);
		return rc;
	}
	d->q_count++;
	if (d->q_count > d->cnt.queue_depth_max)
		d->cnt.queue_depth_max = d->q_count;
	wake = d->q_count == 1 || d->q_count >= d->cfg.batch_max;
	pthread_mutex_unlock(&d->q_lock);
	if (wake)
		pthread_cond_signal(&d->q_cond);
	return 0;
}

void daemon_socket_overrun(struct daemon *d)
{
	pthread_mutex_lock(&d->q_lock);
	d->cnt.socket_overruns++;
	pthread_mutex_unlock(&d->q_lock);
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

/* One line per labelled window: docs/json.md, "flowpicd". */
static void window_json(struct daemon *d, const struct daemon_item *it,
			const struct flowpic_label *l, int rc)
{
	const struct flowpic_window *w = &it->w;
	char t[80], flow[128], act[48];
	struct json j;

	utc_time(t, sizeof(t));
	flow_key_format(&w->key, flow, sizeof(flow));
	policy_action_str(&d->actions[l->class_id], act, sizeof(act));
	json_start(&j, d->out);
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

static void classify(struct daemon *d, uint32_t first, uint32_t n)
{
	const struct picture *pics[n];
	struct daemon_model *m;
	struct cnn_input in;
	uint32_t i, c, best;
	uint64_t t, lat_us, unknown = 0, written = 0, failed = 0, ended = 0;
	int rc;

	pthread_mutex_lock(&d->model_lock);
	m = d->model;
	for (i = 0; i < n; i++) {
		struct picture *pic = &d->q[(first + i) % d->cfg.queue_max].pic;

		/* The model reads min(count, clip) * scale. */
		if (m->mf.clip < FLOWPIC_CELL_MAX)
			for (c = 0; c < pic->ncells; c++)
				if (pic->cells[c].count > m->mf.clip)
					pic->cells[c].count = m->mf.clip;
		pics[i] = pic;
	}
	in = (struct cnn_input){ .n = n, .pics = pics, .scale = m->mf.scale };
	rc = cnn_infer(&m->mf.net, d->work, &in, d->probs);
	if (rc) {
		pthread_mutex_unlock(&d->model_lock);
		pthread_mutex_lock(&d->q_lock);
		d->cnt.bad_records += n;
		pthread_mutex_unlock(&d->q_lock);
		return;
	}
	for (i = 0; i < n; i++) {
		struct daemon_item *it = &d->q[(first + i) % d->cfg.queue_max];
		const float *p = d->probs + (size_t)i * m->mf.nclasses;
		struct flowpic_label l = { 0 };

		for (best = 0, c = 1; c < m->mf.nclasses; c++)
			if (p[c] > p[best])
				best = c;
		l.class_id = p[best] >= daemon_threshold(&d->cfg, m, best) ? best :
			     FLOWPIC_CLASS_UNKNOWN;
		l.confidence = (__u16)lrintf(fminf(fmaxf(p[best], 0.f), 1.f) *
					     FLOWPIC_CONFIDENCE_ONE);
		l.window = it->w.index;
		l.set_ns = now_ns();
		rc = d->be.ops->set_label(&d->be, &it->w.key, &l);
		t = now_ns();
		if (rc == -ENOENT)
			ended++;	/* FIN/RST or eviction closed it */
		else if (rc)
			failed++;
		else
			written++;
		unknown += l.class_id == FLOWPIC_CLASS_UNKNOWN;
		lat_us = (t - it->recv_ns) / 1000;
		d->lat_hist[lat_us ? 64 - __builtin_clzll(lat_us) : 0]++;
		d->lat_sum_us += lat_us;
		window_json(d, it, &l, rc);
		daemon_export_window(d, it, &l, !rc);
	}
	pthread_mutex_unlock(&d->model_lock);
	fflush(d->out);

	pthread_mutex_lock(&d->q_lock);
	d->cnt.windows_classified += n;
	d->cnt.windows_unknown += unknown;
	d->cnt.labels_written += written;
	d->cnt.labels_flow_ended += ended;
	d->cnt.label_errors += failed;
	d->cnt.batches++;
	pthread_mutex_unlock(&d->q_lock);
}

static void *classifier_main(void *arg)
{
	struct daemon *d = arg;
	struct timespec ts;
	uint64_t deadline;
	uint32_t first, n;

	pthread_mutex_lock(&d->q_lock);
	for (;;) {
		while (!d->q_count && !d->stop)
			pthread_cond_wait(&d->q_cond, &d->q_lock);
		if (!d->q_count)
			break;
		/* Wait a little for a fuller batch, never past batch_wait. */
		deadline = d->q[d->q_head].recv_ns + d->cfg.batch_wait_ns;
		while (d->q_count < d->cfg.batch_max && !d->stop &&
		       now_ns() < deadline) {
			ts.tv_sec = (time_t)(deadline / 1000000000ULL);
			ts.tv_nsec = (long)(deadline % 1000000000ULL);
			pthread_cond_timedwait(&d->q_cond, &d->q_lock, &ts);
		}
		first = d->q_head;
		n = d->q_count < d->cfg.batch_max ? d->q_count :
		    d->cfg.batch_max;
		pthread_mutex_unlock(&d->q_lock);

		classify(d, first, n);

		pthread_mutex_lock(&d->q_lock);
		d->q_head = (d->q_head + n) % d->cfg.queue_max;
		d->q_count -= n;
	}
	pthread_mutex_unlock(&d->q_lock);
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
	pthread_mutex_lock(&d->q_lock);
	while (!d->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec +
		    period;
		ts.tv_sec = (time_t)(t / 1000000000ULL);
		ts.tv_nsec = (long)(t % 1000000000ULL);
		pthread_cond_timedwait(&d->sweep_cond, &d->q_lock, &ts);
		if (d->stop)
			break;
		pthread_mutex_unlock(&d->q_lock);
		d->be.ops->sweep(&d->be, d->cfg.idle_ns);
		pthread_mutex_lock(&d->q_lock);
	}
	pthread_mutex_unlock(&d->q_lock);
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

int daemon_start(struct daemon *d, const struct daemon_config *c,
		 char *err, size_t errlen)
{
	pthread_condattr_t ca;
	unsigned int i;
	int rc;

	memset(d, 0, sizeof(*d));
	d->cfg = *c;
	pthread_mutex_init(&d->model_lock, NULL);
	pthread_mutex_init(&d->q_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->q_cond, &ca);
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

	d->work = cnn_work_new(&d->model->mf.net, c->batch_max, 0);
	d->probs = calloc((size_t)c->batch_max * d->model->mf.nclasses,
			  sizeof(*d->probs));
	d->q = calloc(c->queue_max, sizeof(*d->q));
	if (!d->work || !d->probs || !d->q ||
	    cnn_prepare(&d->model->mf.net)) {
		snprintf(err, errlen, "out of memory (queue of %u windows, "
			 "batch of %u)", c->queue_max, c->batch_max);
		rc = -ENOMEM;
		goto err_mem;
	}
	for (i = 0; i < c->queue_max; i++)
		picture_init(&d->q[i].pic, &d->geom);

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
	d->be.ops = c->backend == DAEMON_BACKEND_KMOD ? &daemon_kmod_ops :
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

	rc = pthread_create(&d->classifier, NULL, classifier_main, d);
	if (rc) {
		snprintf(err, errlen, "classifier thread: %s", strerror(rc));
		rc = -rc;
		goto err_export;
	}
	d->classifier_running = 1;
	rc = pthread_create(&d->sweeper, NULL, sweeper_main, d);
	if (rc) {
		snprintf(err, errlen, "sweeper thread: %s", strerror(rc));
		rc = -rc;
		goto err_thread;
	}
	d->sweeper_running = 1;
	return 0;

err_thread:
	pthread_mutex_lock(&d->q_lock);
	d->stop = 1;
	pthread_mutex_unlock(&d->q_lock);
	pthread_cond_broadcast(&d->q_cond);
	pthread_join(d->classifier, NULL);
	d->classifier_running = 0;
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
	if (d->q)
		for (i = 0; i < c->queue_max; i++)
			picture_free(&d->q[i].pic);
	free(d->q);
	free(d->probs);
	if (d->work)
		cnn_work_free(d->work);
err_model:
	policy_free(&d->policy);
	model_put(d->model);
	d->model = NULL;
	return rc;
}

int daemon_reload(struct daemon *d, char *err, size_t errlen)
{
	struct flowpic_action actions[FLOWPIC_POLICY_SLOTS];
	struct daemon_model *m, *old_m;
	struct cnn_work *work, *old_work;
	struct policy p, old_p;
	float *probs, *old_probs;
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
	work = cnn_work_new(&m->mf.net, d->cfg.batch_max, 0);
	probs = calloc((size_t)d->cfg.batch_max * m->mf.nclasses, sizeof(*probs));
	if (!work || !probs || cnn_prepare(&m->mf.net)) {
		snprintf(err, errlen, "out of memory loading %s",
			 d->cfg.model_path);
		if (work)
			cnn_work_free(work);
		free(probs);
		rc = -ENOMEM;
		goto err_pair;
	}
	policy_actions(&p, m->classes, m->mf.nclasses, actions);
	rc = apply_shaping(d, &p, m, err, errlen);
	if (rc) {
		cnn_work_free(work);
		free(probs);
		goto err_pair;
	}

	pthread_mutex_lock(&d->model_lock);
	old_m = d->model;
	old_work = d->work;
	old_probs = d->probs;
	old_p = d->policy;
	d->model = m;
	d->work = work;
	d->probs = probs;
	d->policy = p;
	memcpy(d->actions, actions, sizeof(actions));
	rc = d->be.ops->set_policy(&d->be, d->actions, err, errlen);
	daemon_export_classes(d);
	pthread_mutex_unlock(&d->model_lock);

	model_put(old_m);
	cnn_work_free(old_work);
	free(old_probs);
	policy_free(&old_p);
	pthread_mutex_lock(&d->q_lock);
	d->cnt.reloads++;
	pthread_mutex_unlock(&d->q_lock);
	return rc;

err_pair:
	policy_free(&p);
	model_put(m);
err_count:
	pthread_mutex_lock(&d->q_lock);
	d->cnt.reload_errors++;
	pthread_mutex_unlock(&d->q_lock);
	return rc;
}

int daemon_poll(struct daemon *d)
{
	return d->be.ops->consume(&d->be);
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

	pthread_mutex_lock(&d->q_lock);
	c = d->cnt;
	c.queue_depth = d->q_count;
	pthread_mutex_unlock(&d->q_lock);
	/* Read without the model lock: a torn bucket is one count off. */
	memcpy(hist, d->lat_hist, sizeof(hist));

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
	pthread_mutex_lock(&d->model_lock);
	for (i = 0; i < d->model->mf.nclasses; i++)
		stats_class(f, d->model->mf.classes[i]);
	pthread_mutex_unlock(&d->model_lock);
	fprintf(f, "\n");
	fprintf(f, "windows_received %" PRIu64 "\n"
		"windows_classified %" PRIu64 "\n"
		"windows_unknown %" PRIu64 "\n"
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

	pthread_mutex_lock(&d->q_lock);
	d->stop = 1;
	pthread_mutex_unlock(&d->q_lock);
	pthread_cond_broadcast(&d->q_cond);
	pthread_cond_broadcast(&d->sweep_cond);
	if (d->sweeper_running)
		pthread_join(d->sweeper, NULL);
	d->sweeper_running = 0;
	if (d->classifier_running)
		pthread_join(d->classifier, NULL);
	d->classifier_running = 0;
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
	for (i = 0; i < d->cfg.queue_max; i++)
		picture_free(&d->q[i].pic);
	free(d->q);
	free(d->probs);
	cnn_work_free(d->work);
	policy_free(&d->policy);
	model_put(d->model);
	d->model = NULL;
}
