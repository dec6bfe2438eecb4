// SPDX-License-Identifier: GPL-2.0
/*
 * The offline pipeline: reader -> packet -> flow table -> window -> sink,
 * and `flowpic pictures`, which prints every window's FlowPic.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "cmd/commands.h"
#include "capture/flow_key.h"
#include "capture/fragment.h"
#include "flow/geometry.h"
#include "capture/packet.h"
#include "flow/pipeline.h"
#include "capture/session_csv.h"

struct pipeline {
	struct flow_table *flows;
	struct fragment_table frags;
	pipeline_sink_fn sink;
	void *ctx;
	const char *source;		/* file being read */
	char session[SESSION_CSV_LINE_MAX];
	struct pipeline_stats stats;
	char first_malformed[256];
	int sink_err;
};

static int pipeline_window(void *ctx, const struct flowpic_window *w,
			   const struct window_series *s,
			   const struct picture *pic)
{
	struct pipeline *p = ctx;
	struct dataset_sample smp;

	memset(&smp, 0, sizeof(smp));
	smp.win = *w;
	smp.pic = *pic;		/* shallow: the sink only reads */
	smp.series = *s;
	smp.source = p->source;
	smp.flow = p->session;
	smp.label = NULL;
	p->sink_err = p->sink ? p->sink(p->ctx, &smp) : 0;
	return p->sink_err;
}

struct pipeline *pipeline_new(const struct flow_config *c,
			      pipeline_sink_fn sink, void *ctx)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->flows = flow_table_new(c, pipeline_window, p);
	if (!p->flows) {
		free(p);
		return NULL;
	}
	p->sink = sink;
	p->ctx = ctx;
	return p;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	flow_table_free(p->flows);
	free(p);
}

static void sink_failed(struct pipeline *p, int err, char *msg, size_t len)
{
	snprintf(msg, len, "%s: stopped: writing a window failed: %s",
		 p->source, strerror(-err));
}

static int run_capture(struct pipeline *p, const char *path, char *err,
		       size_t errlen)
{
	struct flow_stats *st = flow_table_stats(p->flows);
	struct capture_frame fr;
	struct capture *c;
	struct packet pkt;
	int rc, lt, e = 0;

	c = capture_open(path, err, errlen);
	if (!c)
		return -1;
	lt = capture_linktype(c);
	fragment_table_init(&p->frags);
	while ((rc = capture_next(c, &fr)) == 1) {
		st->cnt[FLOWPIC_CNT_PACKETS]++;
		switch (packet_parse(lt, fr.data, fr.caplen, fr.wirelen, &pkt)) {
		case PACKET_FLOW:
			if (pkt.frag == PACKET_FRAG_FIRST)
				fragment_table_note(&p->frags, &pkt, fr.ts_ns);
			e = flow_table_packet(p->flows, &pkt.key, fr.ts_ns,
					      pkt.size, pkt.dir, pkt.tcp_flags);
			break;
		case PACKET_FRAGMENT:
			if (fragment_table_attribute(&p->frags, &pkt, fr.ts_ns))
				e = flow_table_packet(p->flows, &pkt.key,
						      fr.ts_ns, pkt.size,
						      pkt.dir, 0);
			else
				st->cnt[FLOWPIC_CNT_FRAGMENT]++;
			break;
		case PACKET_NOT_IP:
			st->cnt[FLOWPIC_CNT_NOT_IP]++;
			break;
		case PACKET_NOT_TCP_UDP:
			st->cnt[FLOWPIC_CNT_NOT_TCP_UDP]++;
			break;
		case PACKET_MALFORMED:
			if (!st->cnt[FLOWPIC_CNT_MALFORMED]++)
				snprintf(p->first_malformed,
					 sizeof(p->first_malformed),
					 "%s: record %" PRIu64 ": %s", path,
					 capture_frames(c), pkt.why);
			break;
		}
		if (e)
			break;
	}
	p->stats.frames += capture_frames(c);
	if (e)
		sink_failed(p, e, err, errlen);
	else if (rc < 0)
		snprintf(err, errlen, "%s", capture_error(c));
	capture_close(c);
	/* Whatever was read still makes its windows. */
	if (!e)
		e = flow_table_flush(p->flows);
	else
		flow_table_flush(p->flows);
	if (e && rc >= 0)
		sink_failed(p, e, err, errlen);
	return rc < 0 || e ? -1 : 0;
}

static int run_sessions(struct pipeline *p, const char *path, int fd,
			char *err, size_t errlen)
{
	struct flow_stats *st = flow_table_stats(p->flows);
	struct session_csv_event ev;
	struct session_csv *r;
	struct flowpic_key nokey;
	struct flow f;
	int rc, e = 0;

	r = session_csv_open_fd(fd, path, err, errlen);
	if (!r)
		return -1;
	memset(&nokey, 0, sizeof(nokey));
	flow_init(&f, &nokey);
	f.initiator = FLOWPIC_DIR_LO_TO_HI;	/* the client's lengths are positive */
	f.initiator_fixed = 1;
	while ((rc = session_csv_next(r, &ev)) == 1) {
		if (ev.type == SESSION_CSV_START) {
			e = flow_end(p->flows, &f, FLOWPIC_END_TIME);
			snprintf(p->session, sizeof(p->session), "%s", ev.name);
		} else {
			st->cnt[FLOWPIC_CNT_PACKETS]++;
			e = flow_packet(p->flows, &f, (__u64)ev.t_us * 1000,
					ev.size, ev.dir, 0);
		}
		if (e)
			break;
	}
	if (!e)
		e = flow_end(p->flows, &f, FLOWPIC_END_TIME);
	else
		flow_end(p->flows, &f, FLOWPIC_END_TIME);
	flow_free(&f);
	p->stats.sessions += session_csv_sessions(r);
	if (e)
		sink_failed(p, e, err, errlen);
	else if (rc < 0)
		snprintf(err, errlen, "%s", session_csv_error(r));
	session_csv_close(r);
	p->session[0] = 0;
	return rc < 0 || e ? -1 : 0;
}

int pipeline_run(struct pipeline *p, const char *path, char *err,
		 size_t errlen)
{
	uint8_t head[4];
	ssize_t n;
	int fd, rc;

	p->stats.files++;
	p->source = path;
	p->session[0] = 0;
	fd = !strcmp(path, "-") ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		p->stats.files_failed++;
		return -1;
	}
	n = pread(fd, head, sizeof(head), 0);
	if (n == (ssize_t)sizeof(head) && capture_sniff(head, sizeof(head))) {
		close(fd);
		rc = run_capture(p, path, err, errlen);
	} else if (n >= 0 && n < (ssize_t)sizeof(head)) {
		close(fd);
		snprintf(err, errlen, "%s: %s", path, n ? "too short for any input format" : "empty file");
		rc = -1;
	} else if (head[0] != 0x1f && !isprint(head[0])) {
		close(fd);
		snprintf(err, errlen, "%s: neither a capture (pcap, pcapng) nor session CSV (text or gzip): first byte 0x%02x",
			 path, head[0]);
		rc = -1;
	} else {
		/* Text or gzip: zlib reads both. */
		rc = run_sessions(p, path, fd, err, errlen);
	}
	if (rc)
		p->stats.files_failed++;
	return rc;
}

const struct pipeline_stats *pipeline_stats(struct pipeline *p)
{
	p->stats.flow = *flow_table_stats(p->flows);
	return &p->stats;
}

void pipeline_print_stats(struct pipeline *p, FILE *f)
{
	static const char *const names[__FLOWPIC_CNT_MAX] = {
		[FLOWPIC_CNT_PACKETS] = "packets",
		[FLOWPIC_CNT_BINNED] = "binned",
		[FLOWPIC_CNT_NOT_IP] = "not_ip",
		[FLOWPIC_CNT_NOT_TCP_UDP] = "not_tcp_udp",
		[FLOWPIC_CNT_MALFORMED] = "malformed",
		[FLOWPIC_CNT_FRAGMENT] = "fragments_unattributed",
		[FLOWPIC_CNT_CLIPPED] = "clipped",
		[FLOWPIC_CNT_CLOCK_BACK] = "clock_back",
		[FLOWPIC_CNT_FLOWS_NEW] = "flows",
		[FLOWPIC_CNT_FLOWS_EVICTED] = "flows_evicted",
		[FLOWPIC_CNT_WINDOWS] = "windows",
	};
	const struct pipeline_stats *s = pipeline_stats(p);
	int i;

	fprintf(f, "files %" PRIu64 "\nfiles_failed %" PRIu64 "\n"
		"frames %" PRIu64 "\nsessions %" PRIu64 "\n",
		s->files, s->files_failed, s->frames, s->sessions);
	for (i = 0; i < __FLOWPIC_CNT_MAX; i++)
		if (names[i])
			fprintf(f, "%s %" PRIu64 "\n", names[i],
				(uint64_t)s->flow.cnt[i]);
	fprintf(f, "windows_short %" PRIu64 "\ngaps_capped %" PRIu64 "\n",
		(uint64_t)s->flow.windows_short,
		(uint64_t)s->flow.gaps_capped);
	if (p->first_malformed[0])
		fprintf(f, "# first malformed: %s\n", p->first_malformed);
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int pipeline_option(struct flow_config *c, int opt, const char *arg,
		    const char *cmd)
{
	uint32_t v;
	__u64 ns;

	switch (opt) {
	case 0x100:
		if (parse_u32(arg, FLOWPIC_N_MIN, FLOWPIC_N_MAX, &v))
			goto bad;
		c->geom.n = (__u16)v;
		return 1;
	case 0x101:
		if (geometry_parse_duration(arg, &ns))
			goto bad;
		c->geom.window_ns = ns;
		return 1;
	case 0x102:
		if (parse_u32(arg, 1, FLOWPIC_CHANNELS_MAX, &v))
			goto bad;
		c->geom.channels = (__u8)v;
		return 1;
	case 0x103:
		if (parse_u32(arg, 0, UINT32_MAX, &v))
			goto bad;
		c->min_packets = v;
		return 1;
	case 0x104:
		if (geometry_parse_duration(arg, &ns))
			goto bad;
		c->idle_ns = ns;
		return 1;
	case 0x105:
		if (geometry_parse_duration(arg, &ns))
			goto bad;
		c->gap_cap_ns = ns;
		return 1;
	case 0x106:
		if (!strcmp(arg, "both"))
			c->tcp_end = FLOW_TCP_END_BOTH_FIN;
		else if (!strcmp(arg, "first"))
			c->tcp_end = FLOW_TCP_END_FIRST_FIN;
		else if (!strcmp(arg, "none"))
			c->tcp_end = FLOW_TCP_END_NONE;
		else
			goto bad;
		return 1;
	case 0x107:
		if (parse_u32(arg, 1, FLOWPIC_MAX_FLOWS_LIMIT * 16U, &v))
			goto bad;
		c->max_flows = v;
		return 1;
	}
	return 0;
bad:
	fprintf(stderr, "flowpic %s: bad value '%s' for --%s\n", cmd, arg,
		(const char *[]){ "n", "window", "channels", "min-packets",
				  "idle", "gap-cap", "tcp-end",
				  "max-flows" }[opt - 0x100]);
	return -1;
}

int pipeline_config_finish(struct flow_config *c, const char *cmd)
{
	char err[160];

	if (!c->geom.window_ns)
		c->geom.window_ns = c->geom.n > 64 ? FLOWPIC_FULL_WINDOW_NS :
						     FLOWPIC_MINI_WINDOW_NS;
	if (geometry_check(&c->geom, err, sizeof(err))) {
		fprintf(stderr, "flowpic %s: %s\n", cmd, err);
		return -1;
	}
	return 0;
}
