/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capture files (pcap, pcapng) through libpcap, with nanosecond times and
 * errors that say where in the file they happened. A classic pcap file
 * that is mapped (or given in memory) has its records read in place,
 * libpcap reading only those that are not ordinary: the same frames and
 * the same errors either way.
 */
#ifndef _FLOWPIC_USER_CAPTURE_H
#define _FLOWPIC_USER_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flowpic.h"

struct capture_frame {
	__u64	ts_ns;		/* capture time */
	const uint8_t *data;	/* valid until the next capture_next() */
	uint32_t caplen;	/* bytes captured */
	uint32_t wirelen;	/* bytes on the wire */
};

struct capture;

/*
 * Opens @path. NULL with a sentence naming the file in @err: unreadable,
 * not a capture, or a link-layer type packet_parse() does not read.
 */
struct capture *capture_open(const char *path, char *err, size_t errlen);
/*
 * The same over an open stream (fuzzing, pipes), which it owns from now
 * on, closed on failure too; @name is for messages.
 */
struct capture *capture_open_stream(FILE *fp, const char *name, char *err,
				    size_t errlen);
/*
 * The same over @len bytes at @data, which stay the caller's and must
 * outlive the reader: classic pcap records are then read in place.
 */
struct capture *capture_open_mem(const void *data, size_t len,
				 const char *name, char *err, size_t errlen);
/*
 * 1 and @f filled; 0 at the end of the file; -1 when the file is
 * truncated or corrupt: capture_error() names the file, the record and its
 * byte offset. The frames before it were good.
 */
int capture_next(struct capture *c, struct capture_frame *f);
const char *capture_error(const struct capture *c);
int capture_linktype(const struct capture *c);
uint64_t capture_frames(const struct capture *c);
void capture_close(struct capture *c);

/* 1 if the first bytes of @path look like pcap or pcapng. */
int capture_sniff(const uint8_t *head, size_t len);

#endif /* _FLOWPIC_USER_CAPTURE_H */
