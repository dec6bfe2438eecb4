// SPDX-License-Identifier: GPL-2.0
/*
 * The capture reader's two ways of reading a classic pcap file give the
 * same frames and the same errors: records read in place from memory (a
 * mapped file, capture_open_mem() and capture_open()) against libpcap
 * reading a stream (capture_open_stream()), on hand-built files of both
 * byte orders and time resolutions, cut short, with records longer than
 * the snapshot length or than any snapshot, time fields out of range, an
 * older format version, and on seeded random corruptions of a good file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit/test.h"
#include "capture/capture.h"

#define NAME	"t.pcap"

struct file {
	uint8_t b[8192];
	size_t len;
	int swap;
};

static void put32(struct file *f, uint32_t v)
{
	if (f->swap)
		v = __builtin_bswap32(v);
	memcpy(f->b + f->len, &v, 4);
	f->len += 4;
}

static void put16(struct file *f, uint16_t v)
{
	if (f->swap)
		v = __builtin_bswap16(v);
	memcpy(f->b + f->len, &v, 2);
	f->len += 2;
}

static void header(struct file *f, int swap, int nano, uint16_t minor,
		   uint32_t snaplen)
{
	f->len = 0;
	f->swap = swap;
	put32(f, nano ? 0xa1b23c4d : 0xa1b2c3d4);
	put16(f, 2);
	put16(f, minor);
	put32(f, 0);
	put32(f, 0);
	put32(f, snaplen);
	put32(f, 1);		/* Ethernet */
}

/* A record of @caplen bytes (a counting pattern from @seed). */
static void record(struct file *f, uint32_t sec, uint32_t frac,
		   uint32_t caplen, uint32_t len, uint8_t seed)
{
	uint32_t i;

	put32(f, sec);
	put32(f, frac);
	put32(f, caplen);
	put32(f, len);
	for (i = 0; i < caplen && f->len < sizeof(f->b); i++)
		f->b[f->len++] = (uint8_t)(seed + i);
}

/* What a reader made of a file: every frame hashed, the end, the error. */
struct result {
	int opened;
	uint64_t frames, hash;
	int rc;
	char err[600];
	int in_place;		/* frames pointing into the given memory */
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static void drain(struct capture *c, const uint8_t *mem, size_t len,
		  struct result *r)
{
	struct capture_frame f;
	uint32_t i;

	r->opened = 1;
	r->hash = 14695981039346656037ULL;
	while ((r->rc = capture_next(c, &f)) == 1) {
		r->frames++;
		r->hash = mix(r->hash, f.ts_ns);
		r->hash = mix(r->hash, f.caplen);
		r->hash = mix(r->hash, f.wirelen);
		for (i = 0; i < f.caplen; i++)
			r->hash = mix(r->hash, f.data[i]);
		if (mem && f.data >= mem && f.data <= mem + len)
			r->in_place++;
	}
	if (r->rc < 0)
		snprintf(r->err, sizeof(r->err), "%s", capture_error(c));
	capture_close(c);
}

/* libpcap alone, on a stream over a copy of the bytes. */
static void read_stream(const uint8_t *b, size_t len, struct result *r)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct capture *c;
	FILE *fp;

	memset(r, 0, sizeof(*r));
	memcpy(copy, b, len);
	fp = fmemopen(copy, len, "rb");
	c = fp ? capture_open_stream(fp, NAME, r->err, sizeof(r->err)) : NULL;
	if (c)
		drain(c, NULL, 0, r);
	free(copy);
}

static void read_mem(const uint8_t *b, size_t len, struct result *r)
{
	struct capture *c;

	memset(r, 0, sizeof(*r));
	c = capture_open_mem(b, len, NAME, r->err, sizeof(r->err));
	if (c)
		drain(c, b, len, r);
}

static int same(const struct result *a, const struct result *b)
{
	return a->opened == b->opened && a->frames == b->frames &&
	       a->hash == b->hash && a->rc == b->rc && !strcmp(a->err, b->err);
}

/* Both readers on @f; 1 when they agree. @r gets the in-place one's. */
static int compare(const struct file *f, struct result *r)
{
	struct result s;

	read_stream(f->b, f->len, &s);
	read_mem(f->b, f->len, r);
	if (!same(&s, r)) {
		tap_diag("libpcap: opened %d frames %lu rc %d err '%s'", s.opened,
			 (unsigned long)s.frames, s.rc, s.err);
		tap_diag("in place: opened %d frames %lu rc %d err '%s'",
			 r->opened, (unsigned long)r->frames, r->rc, r->err);
		return 0;
	}
	return 1;
}

/* Three ordinary records. */
static void good(struct file *f, int swap, int nano)
{
	header(f, swap, nano, 4, 65535);
	record(f, 1000, nano ? 999999999 : 999999, 60, 60, 1);
	record(f, 1001, 5, 0, 0, 2);
	record(f, 0x7fffffff, 0, 1514, 1514, 3);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct result r, s;
	struct rng rng;
	struct file f, g;
	char path[512];
	int i, swap, nano, bad;
	size_t cut;
	FILE *out;

	tap_header();
	tap_plan(20);

	for (swap = 0; swap < 2; swap++)
		for (nano = 0; nano < 2; nano++) {
			good(&f, swap, nano);
			tap_ok(compare(&f, &r) && r.frames == 3 && r.rc == 0 &&
			       r.in_place == 3,
			       "%s-endian, %s: three records, read in place, as libpcap reads them",
			       swap ? "other" : "own", nano ? "ns" : "us");
		}

	/* cut at every byte of the last two records */
	good(&f, 0, 0);
	bad = 0;
	for (cut = 24 + 16 + 60; cut < f.len; cut++) {
		g = f;
		g.len = cut;
		/* the records end at bytes 100 and 116: clean ends there */
		if (!compare(&g, &r) ||
		    r.rc != (cut == 100 || cut == 116 ? 0 : -1) ||
		    r.frames != (cut < 116 ? 1u : 2u))
			bad++;
	}
	tap_ok(!bad, "cut at each byte of records 2 and 3: the same frames and errors (%d differ)",
	       bad);
	g = f;
	g.len = 116 + 16 + 5;
	compare(&g, &r);
	tap_ok(!strcmp(r.err, NAME ": record 3 at byte offset 116: truncated dump file; tried to read 1514 captured bytes, only got 5"),
	       "a cut record is named with its byte offset (%s)", r.err);
	g.len = 100 + 7;
	compare(&g, &r);
	tap_ok(!strcmp(r.err, NAME ": record 2 at byte offset 100: truncated dump file; tried to read 16 header bytes, only got 7"),
	       "a cut record header too (%s)", r.err);

	/* records longer than the snapshot length: libpcap keeps its start */
	header(&f, 0, 0, 4, 64);
	record(&f, 1, 0, 100, 100, 1);
	record(&f, 2, 0, 64, 64, 2);
	record(&f, 3, 0, 65, 70, 3);
	record(&f, 4, 0, 10, 10, 4);
	tap_ok(compare(&f, &r) && r.frames == 4 && r.rc == 0 && r.in_place == 2,
	       "records over the snapshot length are cut to it, and reading goes on after them");
	g = f;
	g.len -= 10 + 16 + 30;
	tap_ok(compare(&g, &r) && r.frames == 2 && r.rc == -1 &&
	       strstr(r.err, "record 3 at byte offset 220"),
	       "a cut record over the snapshot length: libpcap's error (%s)", r.err);

	/* a snapshot length of 0 in the header, and one above any */
	for (i = 0; i < 2; i++) {
		header(&f, 0, 0, 4, i ? 0x7fffffff : 0);
		record(&f, 1, 0, 1000, 1000, 1);
		record(&f, 2, 0, 300000, 300000, 2);
		tap_ok(compare(&f, &r) && r.frames == 1 && r.rc == -1 &&
		       strstr(r.err, "record 2 at byte offset 1040: invalid packet capture length 300000"),
		       "snapshot length %s: a record over any snapshot is refused (%s)",
		       i ? "huge" : "0", r.err);
	}

	/* time fields out of range: libpcap's values */
	header(&f, 0, 0, 4, 65535);
	record(&f, 5, 1000000, 10, 10, 1);
	record(&f, 0x80000000U, 0, 10, 10, 2);
	record(&f, 0xffffffffU, 0xffffffffU, 10, 10, 3);
	record(&f, 6, 0, 10, 10, 4);
	tap_ok(compare(&f, &r) && r.frames == 4 && r.in_place == 1,
	       "microseconds over a second and seconds past 2038: as libpcap gives them");
	header(&f, 1, 1, 4, 65535);
	record(&f, 5, 1000000000, 10, 10, 1);
	record(&f, 6, 999999999, 10, 10, 2);
	tap_ok(compare(&f, &r) && r.frames == 2 && r.in_place == 1,
	       "nanoseconds over a second, other byte order: as libpcap gives them");

	/* captured length above the length on the wire */
	header(&f, 0, 0, 4, 65535);
	record(&f, 1, 0, 100, 60, 1);
	tap_ok(compare(&f, &r) && r.frames == 1 && r.in_place == 1,
	       "captured length above the wire length: kept as it is, as libpcap does");

	/* version 2.3: lengths may be swapped; libpcap reads it all */
	header(&f, 0, 0, 3, 65535);
	record(&f, 1, 0, 40, 60, 1);
	{
		uint32_t t[2];	/* written as old writers did: lengths swapped */

		memcpy(t, f.b + 24 + 8, 8);
		memcpy(f.b + 24 + 8, t + 1, 4);
		memcpy(f.b + 24 + 12, t, 4);
	}
	record(&f, 2, 0, 40, 60, 2);
	tap_ok(compare(&f, &r) && r.frames == 2 && r.in_place == 0,
	       "format 2.3: read by libpcap, the lengths as it swaps them");

	/* no records; a header cut short; a zero-length record last */
	header(&f, 0, 0, 4, 65535);
	tap_ok(compare(&f, &r) && r.opened && r.frames == 0 && r.rc == 0,
	       "a file header alone: no frames, no error");
	g = f;
	g.len = 20;
	tap_ok(compare(&g, &r) && !r.opened && strstr(r.err, NAME),
	       "a cut file header: libpcap's refusal (%s)", r.err);
	record(&f, 1, 0, 0, 0, 0);
	tap_ok(compare(&f, &r) && r.frames == 1 && r.rc == 0 && r.in_place == 1,
	       "a zero-length last record: one empty frame");

	/* seeded random corruptions of a good file */
	rng_seed(&rng, 17);
	bad = 0;
	for (i = 0; i < 3000; i++) {
		int k, flips = 1 + (int)rng_below(&rng, 4);

		header(&f, (int)rng_below(&rng, 2), (int)rng_below(&rng, 2), 4,
		       rng_below(&rng, 4) ? 65535 : 80);
		for (k = 0; k < 6; k++)
			record(&f, 100 + (uint32_t)k, (uint32_t)k * 1000,
			       20 + rng_below(&rng, 100), 200, (uint8_t)k);
		for (k = 0; k < flips; k++)
			f.b[24 + rng_below(&rng, (uint32_t)f.len - 24)] ^=
				(uint8_t)(1u << rng_below(&rng, 8));
		if (rng_below(&rng, 3) == 0)
			f.len -= rng_below(&rng, 40);
		if (!compare(&f, &r))
			bad++;
	}
	tap_ok(!bad, "3,000 corrupted files: the same frames and errors both ways (%d differ)",
	       bad);

	/* capture_open(): a file on disk is mapped and read in place */
	good(&f, 0, 1);
	snprintf(path, sizeof(path), "%s/flowpic-test-capture-%d.pcap", tmp,
		 (int)getpid());
	out = fopen(path, "wb");
	if (out) {
		fwrite(f.b, 1, f.len, out);
		fclose(out);
	}
	read_mem(f.b, f.len, &s);
	memset(&r, 0, sizeof(r));
	{
		struct capture *c = capture_open(path, r.err, sizeof(r.err));

		if (c)
			drain(c, NULL, 0, &r);
	}
	tap_ok(r.opened && r.frames == 3 && r.hash == s.hash && r.rc == 0,
	       "capture_open() of the file: the same three frames");
	unlink(path);
	return tap_done();
}
