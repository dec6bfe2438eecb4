// SPDX-License-Identifier: GPL-2.0
/*
 * What flowpicd tells operators besides its JSON lines: an IPFIX record
 * per labelled window (ipfix.c) and Prometheus metrics (prom.c). Names
 * and units are in docs/export.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "live/daemon.h"

static const char *const counter_names[__FLOWPIC_CNT_MAX] = {
	[FLOWPIC_CNT_PACKETS]		= "packets",
	[FLOWPIC_CNT_BINNED]		= "binned",
	[FLOWPIC_CNT_NOT_IP]		= "not_ip",
	[FLOWPIC_CNT_NOT_TCP_UDP]	= "not_tcp_udp",
	[FLOWPIC_CNT_MALFORMED]		= "malformed",
	[FLOWPIC_CNT_FRAGMENT]		= "fragment",
	[FLOWPIC_CNT_CLIPPED]		= "clipped",
	[FLOWPIC_CNT_CLOCK_BACK]	= "clock_back",
	[FLOWPIC_CNT_FLOWS_NEW]		= "flows_new",
	[FLOWPIC_CNT_FLOWS_EVICTED]	= "flows_evicted",
	[FLOWPIC_CNT_WINDOWS]		= "windows",
	[FLOWPIC_CNT_WINDOWS_LOST]	= "windows_lost",
	[FLOWPIC_CNT_CELLS_DROPPED]	= "cells_dropped",
	[FLOWPIC_CNT_DROPPED]		= "dropped",
	[FLOWPIC_CNT_MARKED]		= "marked",
	[FLOWPIC_CNT_PRIORITISED]	= "prioritised",
	[FLOWPIC_CNT_UNTRACKED]		= "untracked",
	[FLOWPIC_CNT_SEGMENTS]		= "segments",
	[FLOWPIC_CNT_VERDICT_BAD]	= "verdict_bad",
	[FLOWPIC_CNT_BIG_PACKETS]	= "big_packets",
};

const char *daemon_counter_name(unsigned int c)
{
	return c < __FLOWPIC_CNT_MAX && counter_names[c] ? counter_names[c] :
	       "?";
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const char *class_name(const struct daemon *d, unsigned int id)
{
	return id < d->model->mf.nclasses ? d->model->mf.classes[id] :
	       POLICY_UNKNOWN;
}

/* --- IPFIX ------------------------------------------------------------------ */

void daemon_export_classes(struct daemon *d)
{
	if (d->ipfix)
		ipfix_set_classes(d->ipfix, d->model->classes,
				  d->model->mf.nclasses);
}

static void count_class(struct daemon *d, const char *name, int written)
{
	unsigned int i;

	pthread_mutex_lock(&d->class_lock);
	for (i = 0; i < d->nclasses; i++)
		if (!strcmp(d->classes[i].name, name))
			break;
	if (i == d->nclasses && i < DAEMON_CLASS_NAMES_MAX) {
		snprintf(d->classes[i].name, sizeof(d->classes[i].name), "%s",
			 name);
		d->nclasses++;
	}
	if (i < d->nclasses) {
		d->classes[i].windows++;
		d->classes[i].labels_written += written;
	} else {
		d->classes_overflow++;
	}
	pthread_mutex_unlock(&d->class_lock);
}

/* Called by the classifier with the model lock held. */
void daemon_export_window(struct daemon *d, const struct daemon_item *it,
			  const struct flowpic_label *l, int written)
{
	const struct flowpic_window *w = &it->w;
	struct ipfix_window r;
	uint64_t end, off;

	count_class(d, class_name(d, l->class_id), written);
	if (!d->ipfix)
		return;

	memset(&r, 0, sizeof(r));
	r.key = w->key;
	/* The window's span on the wall clock: its nominal end, or when it
	 * reached us if it closed early (FIN, RST, idle, eviction). */
	end = w->start_ns + d->geom.window_ns;
	if (it->recv_ns < end && w->reason != FLOWPIC_END_TIME)
		end = it->recv_ns > w->start_ns ? it->recv_ns : w->start_ns;
	off = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	r.start_ms = (w->start_ns + off) / 1000000;
	r.end_ms = (end + off) / 1000000;
	r.packets[0] = w->packets[0];
	r.packets[1] = w->packets[1];
	r.bytes[0] = w->bytes[0];
	r.bytes[1] = w->bytes[1];
	r.index = w->index;
	r.class_id = l->class_id;
	r.confidence = l->confidence;
	r.reason = w->reason;
	snprintf(r.name, sizeof(r.name), "%s", class_name(d, l->class_id));
	policy_action_str(&d->actions[l->class_id], r.action,
			  sizeof(r.action));
	ipfix_push(d->ipfix, &r);
}

/* --- /metrics ----------------------------------------------------------------- */

static void counter(struct prom_buf *b, const char *name, const char *help,
		    uint64_t v)
{
	prom_family(b, name, "counter", help);
	prom_sample(b, name, "", v);
}

static void gauge(struct prom_buf *b, const char *name, const char *help,
		  uint64_t v)
{
	prom_family(b, name, "gauge", help);
	prom_sample(b, name, "", v);
}

static void render_kernel(struct daemon *d, struct prom_buf *b)
{
	uint64_t cnt[__FLOWPIC_CNT_MAX];
	char name[96];
	unsigned int i;

	memset(cnt, 0, sizeof(cnt));
	if (d->be.ops->stats(&d->be, cnt)) {
		gauge(b, "flowpicd_kernel_up", "1 if the kernel side's counters "
		      "could be read", 0);
		return;
	}
	gauge(b, "flowpicd_kernel_up", "1 if the kernel side's counters could "
	      "be read", 1);
	for (i = 0; i < __FLOWPIC_CNT_MAX; i++) {
		snprintf(name, sizeof(name), "flowpicd_kernel_%s_total",
			 counter_names[i]);
		counter(b, name, "kernel side counter (flowpic stats)", cnt[i]);
	}
}

static void render_daemon(struct daemon *d, struct prom_buf *b)
{
	struct daemon_counters c;

	daemon_counters(d, &c, NULL, NULL);

	counter(b, "flowpicd_windows_received_total", "completed windows read "
		"from the kernel side", c.windows_received);
	counter(b, "flowpicd_windows_classified_total", "windows the model "
		"labelled", c.windows_classified);
	counter(b, "flowpicd_windows_unknown_total", "windows labelled "
		"unknown (confidence below the threshold)", c.windows_unknown);
	counter(b, "flowpicd_windows_late_total", "windows labelled more than "
		"--late after they reached flowpicd", c.windows_late);
	counter(b, "flowpicd_queue_dropped_total", "windows dropped: the "
		"queue to the model was full", c.queue_dropped);
	counter(b, "flowpicd_bad_records_total", "window records that failed "
		"checks", c.bad_records);
	counter(b, "flowpicd_socket_overruns_total", "netlink: the kernel "
		"could not deliver windows", c.socket_overruns);
	counter(b, "flowpicd_labels_written_total", "labels written into the "
		"kernel", c.labels_written);
	counter(b, "flowpicd_labels_flow_ended_total", "labels whose flow had "
		"ended", c.labels_flow_ended);
	counter(b, "flowpicd_label_errors_total", "labels the kernel refused",
		c.label_errors);
	counter(b, "flowpicd_batches_total", "batches given to the model",
		c.batches);
	counter(b, "flowpicd_reloads_total", "successful reloads (SIGHUP)",
		c.reloads);
	counter(b, "flowpicd_reload_errors_total", "refused reloads",
		c.reload_errors);
	gauge(b, "flowpicd_queue_depth", "windows waiting for the model",
	      c.queue_depth);
	gauge(b, "flowpicd_queue_depth_max", "most windows ever waiting",
	      c.queue_depth_max);
	gauge(b, "flowpicd_queue_capacity", "--queue", d->cfg.queue_max);
}

static void render_classes(struct daemon *d, struct prom_buf *b)
{
	static const char *const fam[2][2] = {
		{ "flowpicd_class_windows_total", "windows labelled, per class" },
		{ "flowpicd_class_labels_written_total",
		  "labels written into the kernel, per class" },
	};
	char lbl[2 * MODEL_CLASS_NAME_MAX + 16], v[2 * MODEL_CLASS_NAME_MAX];
	unsigned int f, i;

	pthread_mutex_lock(&d->class_lock);
	for (f = 0; f < 2; f++) {
		prom_family(b, fam[f][0], "counter", fam[f][1]);
		for (i = 0; i < d->nclasses; i++) {
			prom_label_value(v, sizeof(v), d->classes[i].name);
			snprintf(lbl, sizeof(lbl), "class=\"%s\"", v);
			prom_sample(b, fam[f][0], lbl, f ?
				    d->classes[i].labels_written :
				    d->classes[i].windows);
		}
	}
	counter(b, "flowpicd_class_overflow_total", "windows of classes past "
		"the per-class table", d->classes_overflow);
	pthread_mutex_unlock(&d->class_lock);
}

/* Log2 buckets of microseconds, as le bounds in seconds. */
static void render_latency(struct daemon *d, struct prom_buf *b)
{
	const char *name = "flowpicd_label_latency_seconds";
	uint64_t hist[DAEMON_LAT_BUCKETS], sum_us, cum = 0;
	struct daemon_counters c;
	char lbl[48];
	int i;

	daemon_counters(d, &c, hist, &sum_us);
	prom_family(b, name, "histogram", "from a window's arrival in "
		    "flowpicd to its label written");
	for (i = 0; i < DAEMON_LAT_BUCKETS; i++) {
		cum += hist[i];
		if (i > 26)	/* 2^26 us, about 67 s: the rest is +Inf */
			continue;
		snprintf(lbl, sizeof(lbl), "le=\"%.9g\"",
			 (double)(1ULL << i) / 1e6);
		prom_sample(b, "flowpicd_label_latency_seconds_bucket", lbl,
			    cum);
	}
	prom_sample(b, "flowpicd_label_latency_seconds_bucket", "le=\"+Inf\"",
		    cum);
	prom_printf(b, "%s_sum %.6f\n", name, (double)sum_us / 1e6);
	prom_sample(b, "flowpicd_label_latency_seconds_count", "", cum);
}

static void render_ipfix(struct daemon *d, struct prom_buf *b)
{
	struct ipfix_stats s;

	if (!d->ipfix)
		return;
	ipfix_get_stats(d->ipfix, &s);
	counter(b, "flowpicd_ipfix_records_sent_total", "IPFIX data records "
		"sent", s.records_sent);
	counter(b, "flowpicd_ipfix_records_dropped_total", "IPFIX data "
		"records dropped: queue full or collector away",
		s.records_dropped);
	counter(b, "flowpicd_ipfix_messages_sent_total", "IPFIX messages "
		"sent", s.messages_sent);
	counter(b, "flowpicd_ipfix_template_messages_total", "IPFIX messages "
		"carrying templates or the class map", s.templates_sent);
	counter(b, "flowpicd_ipfix_send_errors_total", "IPFIX messages the "
		"collector's host refused", s.send_errors);
	counter(b, "flowpicd_ipfix_connects_total", "IPFIX transport "
		"sessions opened", s.connects);
	gauge(b, "flowpicd_ipfix_connected", "1 while a transport session "
	      "to the collector is open", (uint64_t)s.connected);
}

static void render(void *arg, struct prom_buf *b)
{
	struct daemon *d = arg;
	struct prom_stats ps;

	render_kernel(d, b);
	render_daemon(d, b);
	render_classes(d, b);
	render_latency(d, b);
	render_ipfix(d, b);
	prom_get_stats(d->prom, &ps);
	counter(b, "flowpicd_metrics_requests_total", "scrapes answered",
		ps.requests + 1);
	counter(b, "flowpicd_metrics_bad_requests_total", "requests answered "
		"with an error", ps.bad_requests);
	counter(b, "flowpicd_metrics_timeouts_total", "clients closed for "
		"being too slow", ps.timeouts);
	counter(b, "flowpicd_metrics_rejected_total", "clients turned away: "
		"every slot busy", ps.rejected);
}

/* --- start and stop ------------------------------------------------------------ */

int daemon_export_open(struct daemon *d, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_init(&d->class_lock, NULL);
	if (d->cfg.ipfix_url) {
		rc = ipfix_open(&d->ipfix, d->cfg.ipfix_url,
				d->cfg.ipfix_refresh_ns, err, errlen);
		if (rc)
			return rc;
		daemon_export_classes(d);
	}
	if (d->cfg.metrics_addr) {
		rc = prom_open(&d->prom, d->cfg.metrics_addr, render, d, err,
			       errlen);
		if (rc) {
			ipfix_close(d->ipfix);
			d->ipfix = NULL;
			return rc;
		}
	}
	return 0;
}

int daemon_export_start(struct daemon *d, char *err, size_t errlen)
{
	return d->ipfix ? ipfix_start(d->ipfix, err, errlen) : 0;
}

void daemon_export_close(struct daemon *d)
{
	ipfix_close(d->ipfix);
	d->ipfix = NULL;
	prom_close(d->prom);
	d->prom = NULL;
}
