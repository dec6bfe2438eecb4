// SPDX-License-Identifier: GPL-2.0
/*
 * `flowpic label`: Debian's libndpi (4.2) over captures, one verdict per
 * bidirectional flow, mapped from nDPI's category to a class and written
 * as a labels CSV (labels.h) that `flowpic dataset --labels` reads.
 *
 * Like ndpiReader, each flow is dissected until nDPI has its protocol and
 * wants no more packets, or until 80 TCP / 24 UDP packets; flows still
 * unknown at the end get nDPI's give-up verdict. Only verdicts of
 * confidence "DPI" are written unless --all asks for the rest too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <ndpi/ndpi_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "cmd/commands.h"
#include "capture/flow_key.h"
#include "dataset/labels.h"
#include "capture/packet.h"

#define NDPI_TCP_PACKETS	80	/* ndpiReader's dissection bounds */
#define NDPI_UDP_PACKETS	24

struct ndpi_entry {
	struct flowpic_key key;
	struct ndpi_flow_struct *flow;
	ndpi_protocol proto;
	uint32_t packets;	/* seen */
	uint32_t dissected;	/* given to nDPI */
	uint8_t done;
};

struct ndpi_run {
	struct ndpi_detection_module_struct *mod;
	struct ndpi_entry *e;
	size_t n, cap;
	uint32_t *slot;		/* entry index + 1 */
	size_t mask;
};

static int run_grow(struct ndpi_run *r)
{
	size_t ns = r->slot ? (r->mask + 1) * 2 : 1024, i, j;
	uint32_t *s = calloc(ns, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (i = 0; i < r->n; i++) {
		for (j = flow_key_hash(&r->e[i].key, 0) & (ns - 1); s[j];
		     j = (j + 1) & (ns - 1))
			;
		s[j] = (uint32_t)i + 1;
	}
	free(r->slot);
	r->slot = s;
	r->mask = ns - 1;
	return 0;
}

static struct ndpi_entry *run_entry(struct ndpi_run *r,
				    const struct flowpic_key *k)
{
	struct ndpi_entry *e;
	size_t i;

	if (!r->slot || (r->n + 1) * 2 > r->mask + 1)
		if (run_grow(r))
			return NULL;
	for (i = flow_key_hash(k, 0) & r->mask; r->slot[i]; i = (i + 1) & r->mask)
		if (!memcmp(&r->e[r->slot[i] - 1].key, k, sizeof(*k)))
			return &r->e[r->slot[i] - 1];
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 256;

		e = realloc(r->e, nc * sizeof(*e));
		if (!e)
			return NULL;
		r->e = e;
		r->cap = nc;
	}
	e = &r->e[r->n];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->flow = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
	if (!e->flow)
		return NULL;
	memset(e->flow, 0, SIZEOF_FLOW_STRUCT);
	r->slot[i] = (uint32_t)++r->n;
	return e;
}

static void run_reset(struct ndpi_run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		ndpi_free_flow(r->e[i].flow);
	r->n = 0;
	if (r->slot)
		memset(r->slot, 0, (r->mask + 1) * sizeof(*r->slot));
}

static void dissect(struct ndpi_run *r, struct ndpi_entry *e,
		    const struct capture_frame *fr, const struct packet *pkt)
{
	uint32_t len = fr->caplen - pkt->l3_off;
	uint32_t bound = e->key.proto == 6 ? NDPI_TCP_PACKETS : NDPI_UDP_PACKETS;

	e->packets++;
	if (e->done || e->dissected >= bound)
		return;
	if (len > pkt->size)
		len = pkt->size;	/* no link padding */
	if (len > 65535)
		len = 65535;
	e->dissected++;
	e->proto = ndpi_detection_process_packet(r->mod, e->flow,
						 fr->data + pkt->l3_off,
						 (unsigned short)len,
						 fr->ts_ns / 1000000);
	if ((e->proto.app_protocol != NDPI_PROTOCOL_UNKNOWN ||
	     e->proto.master_protocol != NDPI_PROTOCOL_UNKNOWN) &&
	    !ndpi_extra_dissection_possible(r->mod, e->flow))
		e->done = 1;
}

static void addr_text(const __be32 *a, int family, char *buf, size_t len)
{
	if (family == FLOWPIC_FAMILY_IPV4)
		inet_ntop(AF_INET, &a[3], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

static int write_flows(struct ndpi_run *r, const struct labels *l,
		       const char *capture, int all, FILE *out,
		       uint64_t *written)
{
	const char *b = strrchr(capture, '/');
	char a[64], z[64], name[128];
	uint8_t guessed;
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct ndpi_entry *e = &r->e[i];
		const char *cat;

		if (!e->done)
			e->proto = ndpi_detection_giveup(r->mod, e->flow, 1,
							 &guessed);
		if (!all && e->flow->confidence != NDPI_CONFIDENCE_DPI)
			continue;
		if (e->proto.app_protocol == NDPI_PROTOCOL_UNKNOWN &&
		    e->proto.master_protocol == NDPI_PROTOCOL_UNKNOWN)
			continue;
		cat = ndpi_category_get_name(r->mod, e->proto.category);
		ndpi_protocol2name(r->mod, e->proto, name, sizeof(name));
		addr_text(e->key.lo_addr, e->key.family, a, sizeof(a));
		addr_text(e->key.hi_addr, e->key.family, z, sizeof(z));
		fprintf(out, "%s,%s,%s,%u,%s,%u,%s,%s,%s,%s,%u\n",
			b ? b + 1 : capture, e->key.proto == 6 ? "TCP" : "UDP",
			a, ntohs(e->key.lo_port), z, ntohs(e->key.hi_port),
			labels_map_class(l, cat ? cat : "", name), name,
			cat ? cat : "", ndpi_confidence_get_name(e->flow->confidence),
			e->packets);
		(*written)++;
	}
	return ferror(out) ? -EIO : 0;
}

static int label_capture(struct ndpi_run *r, const struct labels *l,
			 const char *path, int all, FILE *out,
			 uint64_t *written)
{
	struct capture_frame fr;
	struct capture *c;
	struct packet pkt;
	struct ndpi_entry *e;
	char err[1024];
	int rc, lt, status = 0;

	c = capture_open(path, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "flowpic label: %s\n", err);
		return -1;
	}
	lt = capture_linktype(c);
	while ((rc = capture_next(c, &fr)) == 1) {
		if (packet_parse(lt, fr.data, fr.caplen, fr.wirelen, &pkt) !=
		    PACKET_FLOW)
			continue;
		e = run_entry(r, &pkt.key);
		if (!e) {
			fprintf(stderr, "flowpic label: %s: out of memory\n", path);
			status = -1;
			break;
		}
		dissect(r, e, &fr, &pkt);
	}
	if (rc < 0) {
		/* what was read is still labelled */
		fprintf(stderr, "flowpic label: %s\n", capture_error(c));
		status = -1;
	}
	capture_close(c);
	if (write_flows(r, l, path, all, out, written))
		status = -1;
	run_reset(r);
	return status;
}

static void label_usage(FILE *f)
{
	fprintf(f,
"usage: flowpic label [OPTIONS] CAPTURE...\n"
"Runs nDPI (libndpi %s) over each capture and writes a labels CSV:\n"
"capture,proto,addr_a,port_a,addr_b,port_b,label,ndpi,category,confidence,packets\n\n"
"  -o, --output FILE  the labels CSV ('-' or none: stdout)\n"
"  --map FILE         nDPI category -> class map (default: the datasets\n"
"                     README table; 'flowpic label --print-map' shows it)\n"
"  --all              also flows nDPI only guessed (confidence not DPI)\n"
"  --print-map        print the category map in use and exit\n",
		ndpi_revision());
}

int cmd_label(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "map", required_argument, NULL, 'M' },
		{ "all", no_argument, NULL, 'a' },
		{ "print-map", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	NDPI_PROTOCOL_BITMASK every;
	struct ndpi_run r = { 0 };
	const char *out_path = "-";
	struct labels *l;
	uint64_t written = 0;
	char err[1024];
	int o, i, all = 0, print = 0, status = 0;
	FILE *out;

	l = labels_new();
	if (!l)
		return 1;
	while ((o = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			out_path = optarg;
			break;
		case 'M':
			if (labels_map_load(l, optarg, err, sizeof(err))) {
				fprintf(stderr, "flowpic label: %s\n", err);
				labels_free(l);
				return 2;
			}
			break;
		case 'a':
			all = 1;
			break;
		case 'p':
			print = 1;
			break;
		default:
			label_usage(o == 'h' ? stdout : stderr);
			labels_free(l);
			return o == 'h' ? 0 : 2;
		}
	}
	if (print) {
		labels_map_print(l, stdout);
		labels_free(l);
		return 0;
	}
	if (optind == argc) {
		label_usage(stderr);
		labels_free(l);
		return 2;
	}
	out = strcmp(out_path, "-") ? fopen(out_path, "w") : stdout;
	if (!out) {
		fprintf(stderr, "flowpic label: %s: %s\n", out_path,
			strerror(errno));
		labels_free(l);
		return 2;
	}
	r.mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (!r.mod) {
		fprintf(stderr, "flowpic label: nDPI did not initialise\n");
		status = 1;
		goto out;
	}
	NDPI_BITMASK_SET_ALL(every);
	ndpi_set_protocol_detection_bitmask2(r.mod, &every);
	ndpi_finalize_initialization(r.mod);
	fprintf(out, "# flowpic label, libndpi %s\n"
		"capture,proto,addr_a,port_a,addr_b,port_b,label,ndpi,category,confidence,packets\n",
		ndpi_revision());
	for (i = optind; i < argc; i++)
		if (label_capture(&r, l, argv[i], all, out, &written))
			status = 1;
	fprintf(stderr, "flowpic label: %" PRIu64 " flows labelled\n", written);
	ndpi_exit_detection_module(r.mod);
out:
	free(r.e);
	free(r.slot);
	if (fflush(out) || (out != stdout && fclose(out))) {
		fprintf(stderr, "flowpic label: %s: %s\n", out_path,
			strerror(errno));
		status = 1;
	}
	labels_free(l);
	return status;
}
