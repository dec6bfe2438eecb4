// SPDX-License-Identifier: GPL-2.0
/*
 * The read floor of a capture file: libpcap's pcap_next_ex() over every
 * packet, touching each record's header and first byte, nothing else. No
 * tool that reads captures through libpcap can go faster on the same file,
 * so bench_pipeline.sh reports flowpic's time as a multiple of this one.
 *
 *	pcap_floor [--capture] FILE
 *
 * --capture reads through flowpic's own capture reader (user/capture/: a
 * mapping of the file, classic pcap records read in place) instead of
 * pcap_open_offline()'s stdio, the same loop otherwise: the floor of
 * flowpic's way of reading.
 *
 * Prints "packets N bytes B sum S" (S keeps the loop from being optimised
 * away and tells two reads of one file apart from two files).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture/capture.h"

struct tally {
	uint64_t packets, bytes, sum;
};

/* One record: its header's fields and its first byte. */
static inline void count(struct tally *t, uint64_t sec, uint64_t nsec,
			 uint32_t caplen, uint32_t len, const uint8_t *data)
{
	t->packets++;
	t->bytes += caplen;
	t->sum += sec + nsec + len + (caplen ? data[0] : 0);
}

/* The result line, or the reader's error after the good records. */
static int report(const char *path, const struct tally *t, const char *error)
{
	if (error) {
		fprintf(stderr, "pcap_floor: %s: after %" PRIu64 " packets: %s\n",
			path, t->packets, error);
		return 1;
	}
	printf("packets %" PRIu64 " bytes %" PRIu64 " sum %" PRIu64 "\n",
	       t->packets, t->bytes, t->sum);
	return 0;
}

/* The loop through flowpic's reader. */
static int capture_floor(const char *path)
{
	struct capture_frame f;
	struct tally t = {};
	struct capture *c;
	char err[256];
	int rc;

	c = capture_open(path, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "pcap_floor: %s\n", err);
		return 1;
	}
	while ((rc = capture_next(c, &f)) == 1)
		count(&t, f.ts_ns / 1000000000ULL, f.ts_ns % 1000000000ULL,
		      f.caplen, f.wirelen, f.data);
	rc = report(path, &t, rc < 0 ? capture_error(c) : NULL);
	capture_close(c);
	return rc;
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct tally t = {};
	pcap_t *p;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "--capture"))
		return capture_floor(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: pcap_floor [--capture] FILE\n");
		return 2;
	}
	p = pcap_open_offline_with_tstamp_precision(argv[1],
						    PCAP_TSTAMP_PRECISION_NANO,
						    err);
	if (!p) {
		fprintf(stderr, "pcap_floor: %s: %s\n", argv[1], err);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1)
		count(&t, (uint64_t)h->ts.tv_sec, (uint64_t)h->ts.tv_usec,
		      h->caplen, h->len, data);
	rc = report(argv[1], &t,
		    rc != PCAP_ERROR_BREAK ? pcap_geterr(p) : NULL);
	pcap_close(p);
	return rc;
}
