// SPDX-License-Identifier: GPL-2.0
/*
 * Whole capture files (pcap, pcapng) through the capture reader, the
 * frame parser, the flow table and window imaging, as `flowpic pictures`
 * runs them. The reader runs both ways, in place from memory (as on a
 * mapped file) and through libpcap on a stream, in step: any frame or
 * error that differs between them stops the fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "flow/flow_table.h"
#include "capture/fragment.h"
#include "flow/geometry.h"
#include "capture/packet.h"

static int sink(void *ctx, const struct flowpic_window *w,
		const struct window_series *s, const struct picture *p)
{
	uint64_t *total = ctx;

	*total += picture_total(p) + w->packets[0] + s->n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fragment_table frags;
	struct capture_frame fr;
	struct flowpic_geom g;
	struct flow_config c;
	struct flow_table *t;
	struct capture *cap, *ref;
	struct capture_frame rf;
	int rc, rrc;
	struct packet pkt;
	uint64_t total = 0;
	char err[512];
	FILE *f;
	int lt;

	cap = capture_open_mem(data, size, "fuzz", err, sizeof(err));
	f = fmemopen((void *)data, size, "rb");
	ref = f ? capture_open_stream(f, "fuzz", err, sizeof(err)) : NULL;
	if (!cap != !ref)
		abort();	/* one reader opened what the other refused */
	if (!cap)
		return 0;	/* libpcap closed f */
	geometry_default(&g, 8);
	g.window_ns = 1000000;	/* 1 ms: many windows from few packets */
	g.channels = 2;
	flow_config_default(&c, &g);
	c.idle_ns = 5000000;
	c.gap_cap_ns = 2000000;
	c.max_flows = 4;	/* evictions too */
	t = flow_table_new(&c, sink, &total);
	fragment_table_init(&frags);
	lt = capture_linktype(cap);
	for (;;) {
		rc = capture_next(cap, &fr);
		rrc = capture_next(ref, &rf);
		if (rc != rrc || (rc == 1 &&
		    (fr.ts_ns != rf.ts_ns || fr.caplen != rf.caplen ||
		     fr.wirelen != rf.wirelen ||
		     memcmp(fr.data, rf.data, fr.caplen))) ||
		    (rc < 0 && strcmp(capture_error(cap), capture_error(ref))))
			abort();	/* the two readers disagree */
		if (rc != 1 || !t)
			break;
		switch (packet_parse(lt, fr.data, fr.caplen, fr.wirelen, &pkt)) {
		case PACKET_FLOW:
			if (pkt.frag == PACKET_FRAG_FIRST)
				fragment_table_note(&frags, &pkt, fr.ts_ns);
			flow_table_packet(t, &pkt.key, fr.ts_ns, pkt.size,
					  pkt.dir, pkt.tcp_flags);
			break;
		case PACKET_FRAGMENT:
			if (fragment_table_attribute(&frags, &pkt, fr.ts_ns))
				flow_table_packet(t, &pkt.key, fr.ts_ns,
						  pkt.size, pkt.dir, 0);
			break;
		default:
			break;
		}
	}
	if (t)
		flow_table_flush(t);
	flow_table_free(t);
	capture_close(cap);
	capture_close(ref);
	return 0;
}
