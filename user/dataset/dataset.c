// SPDX-License-Identifier: GPL-2.0
/*
 * Dataset files (docs/dataset-format.md): a header, then checksummed
 * records, strings declared once and referred to by id. And
 * `flowpic dataset`, which runs the pipeline into one.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "cmd/commands.h"
#include "dataset/dataset.h"
#include "capture/flow_key.h"
#include "flow/geometry.h"
#include "dataset/labels.h"
#include "flow/pipeline.h"

#define MAGIC		"FLOWPICD"
#define HEADER_LEN	32
#define REC_STRING	'S'
#define REC_WINDOW	'W'
#define REC_END		'E'
#define REC_MAX		(512U << 20)	/* a record's payload, bytes */
#define STR_MAX		4096

enum { STR_SOURCE = 1, STR_LABEL = 2, STR_FLOW = 3 };

/* --- encoding ------------------------------------------------------------ */

struct buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

static void buf_need(struct buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *p;

	if (b->len + n <= b->cap)
		return;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void put_bytes(struct buf *b, const void *s, size_t n)
{
	buf_need(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void put_le(struct buf *b, uint64_t v, int n)
{
	uint8_t t[8];
	int i;

	for (i = 0; i < n; i++)
		t[i] = (uint8_t)(v >> (8 * i));
	put_bytes(b, t, (size_t)n);
}

/* Writes @v as LEB128 at @p (room checked by the caller); the end. */
static inline uint8_t *varint_at(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* A cursor over one record's payload; any overrun sets bad. */
struct cur {
	const uint8_t *p, *end;
	int bad;
};

static uint64_t get_le(struct cur *c, int n)
{
	uint64_t v = 0;
	int i;

	if (c->end - c->p < n) {
		c->bad = 1;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static uint64_t get_varint(struct cur *c)
{
	uint64_t v = 0;
	int shift;

	for (shift = 0; shift < 64; shift += 7) {
		if (c->p == c->end) {
			c->bad = 1;
			return 0;
		}
		v |= (uint64_t)(*c->p & 0x7f) << shift;
		if (!(*c->p++ & 0x80))
			return v;
	}
	c->bad = 1;
	return 0;
}

static void header_encode(uint8_t h[HEADER_LEN], const struct flowpic_geom *g,
			  unsigned int flags)
{
	struct buf b = { 0 };

	put_bytes(&b, MAGIC, 8);
	put_le(&b, DATASET_VERSION, 2);
	put_le(&b, HEADER_LEN, 2);
	put_le(&b, flags, 4);
	put_le(&b, g->window_ns, 8);
	put_le(&b, g->n, 2);
	put_le(&b, g->max_size, 2);
	put_le(&b, g->channels, 1);
	put_le(&b, 0, 3);
	memset(h, 0, HEADER_LEN);
	if (!b.oom)
		memcpy(h, b.p, HEADER_LEN);
	free(b.p);
}

/* --- samples ------------------------------------------------------------- */

void dataset_sample_init(struct dataset_sample *s)
{
	struct flowpic_geom g;

	memset(s, 0, sizeof(*s));
	geometry_default(&g, FLOWPIC_MINI_N);
	picture_init(&s->pic, &g);
	window_series_init(&s->series);
	s->source = s->flow = "";
}

void dataset_sample_free(struct dataset_sample *s)
{
	picture_free(&s->pic);
	window_series_free(&s->series);
}

/* --- writer -------------------------------------------------------------- */

struct wstring {
	char *s;
	uint32_t kind;
};

struct dataset_writer {
	FILE *f;
	char *path;
	struct flowpic_geom geom;
	unsigned int flags;
	struct buf rec;
	struct wstring *str;	/* id - 1 */
	uint32_t nstr;
	uint32_t last[4];	/* per kind: the id written last */
	uint64_t samples;
	int err;		/* first errno */
};

struct dataset_writer *dataset_writer_open(const char *path,
					   const struct flowpic_geom *g,
					   unsigned int flags,
					   char *err, size_t errlen)
{
	struct dataset_writer *w;
	uint8_t h[HEADER_LEN];

	if (flowpic_geom_invalid(g)) {
		snprintf(err, errlen, "%s: invalid geometry", path);
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(w);
		return NULL;
	}
	w->f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	if (!w->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(w->path);
		free(w);
		return NULL;
	}
	w->geom = *g;
	w->flags = flags;
	header_encode(h, g, flags);
	if (fwrite(h, 1, sizeof(h), w->f) != sizeof(h))
		w->err = errno ? errno : EIO;
	return w;
}

/* Frames the payload in w->rec (after its 5 reserved bytes) and writes it. */
static int record_write(struct dataset_writer *w, uint8_t type)
{
	uint32_t len, crc;
	uint8_t t[4];
	int i;

	if (w->rec.oom)
		return -ENOMEM;
	len = (uint32_t)(w->rec.len - 5);
	w->rec.p[0] = type;
	for (i = 0; i < 4; i++)
		w->rec.p[1 + i] = (uint8_t)(len >> (8 * i));
	crc = (uint32_t)crc32(0L, w->rec.p, (uInt)w->rec.len);
	for (i = 0; i < 4; i++)
		t[i] = (uint8_t)(crc >> (8 * i));
	if (fwrite(w->rec.p, 1, w->rec.len, w->f) != w->rec.len ||
	    fwrite(t, 1, 4, w->f) != 4) {
		if (!w->err)
			w->err = errno ? errno : EIO;
		return -w->err;
	}
	return 0;
}

static void record_start(struct dataset_writer *w)
{
	w->rec.len = 0;
	w->rec.oom = 0;
	put_bytes(&w->rec, "\0\0\0\0\0", 5);
}

/* The id of @s (kind @kind), declared in the file on first use. */
static int string_id(struct dataset_writer *w, uint32_t kind, const char *s,
		     uint32_t *id)
{
	struct wstring *ns;
	uint32_t i;
	size_t n;
	int err;

	if (!s || !*s) {
		*id = 0;
		return 0;
	}
	n = strlen(s);
	i = w->last[kind];
	if (i && !strcmp(w->str[i - 1].s, s)) {
		*id = i;
		return 0;
	}
	for (i = 0; i < w->nstr; i++)
		if (w->str[i].kind == kind && !strcmp(w->str[i].s, s)) {
			*id = w->last[kind] = i + 1;
			return 0;
		}
	if (n > STR_MAX)
		n = STR_MAX;
	ns = realloc(w->str, (w->nstr + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	w->str = ns;
	ns[w->nstr].s = strndup(s, n);
	ns[w->nstr].kind = kind;
	if (!ns[w->nstr].s)
		return -ENOMEM;
	*id = w->last[kind] = ++w->nstr;
	record_start(w);
	put_le(&w->rec, *id, 4);
	put_le(&w->rec, kind, 1);
	put_bytes(&w->rec, s, n);
	err = record_write(w, REC_STRING);
	return err;
}

int dataset_writer_add(struct dataset_writer *w,
		       const struct dataset_sample *s)
{
	uint32_t src, lab, flow, i, prev;
	const struct window_series *se = &s->series;
	int64_t t = 0;
	uint8_t *p;
	size_t max;
	int err;

	if (memcmp(&s->pic.geom, &w->geom, sizeof(w->geom)))
		return -EINVAL;
	err = string_id(w, STR_SOURCE, s->source ? s->source : "", &src);
	if (!err)
		err = string_id(w, STR_LABEL, s->label ? s->label : "", &lab);
	if (!err)
		err = string_id(w, STR_FLOW, s->flow ? s->flow : "", &flow);
	if (err)
		return err;
	/* the record's largest size, reserved once: the loops below then
	 * write without checks (hot: one record per window) */
	record_start(w);
	max = 120 + (size_t)s->pic.ncells * 6 +
	      ((w->flags & DATASET_F_SERIES) ? 4 + (size_t)se->n * 16 : 0);
	if (max > REC_MAX)
		return -E2BIG;
	buf_need(&w->rec, max);
	if (w->rec.oom)
		return -ENOMEM;
	put_le(&w->rec, src, 4);
	put_le(&w->rec, lab, 4);
	put_le(&w->rec, flow, 4);
	put_bytes(&w->rec, &s->win.key, sizeof(s->win.key));
	put_le(&w->rec, s->win.index, 4);
	put_le(&w->rec, s->win.start_ns, 8);
	put_le(&w->rec, s->win.packets[0], 4);
	put_le(&w->rec, s->win.packets[1], 4);
	put_le(&w->rec, s->win.bytes[0], 8);
	put_le(&w->rec, s->win.bytes[1], 8);
	put_le(&w->rec, s->win.reason, 1);
	put_le(&w->rec, s->pic.ncells, 4);
	p = w->rec.p + w->rec.len;
	for (i = 0, prev = 0; i < s->pic.ncells; i++) {
		/* indices ascend: store the step, then the count */
		p = varint_at(p, s->pic.cells[i].index - (i ? prev + 1 : 0));
		*p++ = (uint8_t)s->pic.cells[i].count;
		prev = s->pic.cells[i].index;
	}
	if (w->flags & DATASET_F_SERIES) {
		for (i = 0; i < 4; i++)
			*p++ = (uint8_t)(se->n >> (8 * i));
		for (i = 0; i < se->n; i++) {
			p = varint_at(p, zigzag(se->pkts[i].t_ns - t));
			t = se->pkts[i].t_ns;
			p = varint_at(p, (uint64_t)se->pkts[i].size << 1 |
					 (se->pkts[i].dir & 1));
		}
	}
	w->rec.len = (size_t)(p - w->rec.p);
	if (w->rec.len > REC_MAX)
		return -E2BIG;
	err = record_write(w, REC_WINDOW);
	if (!err)
		w->samples++;
	return err;
}

uint64_t dataset_writer_samples(const struct dataset_writer *w)
{
	return w->samples;
}

int dataset_writer_close(struct dataset_writer *w, char *err, size_t errlen)
{
	uint32_t i;
	int rc;

	record_start(w);
	put_le(&w->rec, w->samples, 8);
	rc = record_write(w, REC_END);
	if (fflush(w->f) && !w->err)
		w->err = errno ? errno : EIO;
	if (w->f != stdout && fclose(w->f) && !w->err)
		w->err = errno ? errno : EIO;
	if (w->err || rc) {
		snprintf(err, errlen, "%s: %s", w->path,
			 strerror(w->err ? w->err : -rc));
		rc = -(w->err ? w->err : -rc);
	}
	for (i = 0; i < w->nstr; i++)
		free(w->str[i].s);
	free(w->str);
	free(w->rec.p);
	free(w->path);
	free(w);
	return rc;
}

/* --- reader -------------------------------------------------------------- */

struct dataset_reader {
	FILE *f;
	char *path;
	struct flowpic_geom geom;
	unsigned int flags;
	uint64_t off;		/* bytes consumed */
	uint64_t records;
	uint64_t samples;
	int done;
	struct buf rec;
	char **str;		/* id - 1 */
	uint8_t *kind;
	uint32_t nstr;
	const char **labels;	/* distinct label names, first-seen order */
	uint32_t nlabels;
	char err[512];
};

__attribute__((format(printf, 3, 4)))
static int rfail(struct dataset_reader *r, uint64_t off, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err),
		 "%s: record %" PRIu64 " at byte offset %" PRIu64 ": %s",
		 r->path, r->records + 1, off, msg);
	return -1;
}

struct dataset_reader *dataset_reader_open(const char *path,
					   char *err, size_t errlen)
{
	struct dataset_reader *r;
	uint8_t h[HEADER_LEN];
	struct cur c = { h, h + HEADER_LEN, 0 };
	unsigned int version, hlen;
	size_t n;

	r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(r);
		return NULL;
	}
	r->f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!r->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto err;
	}
	n = fread(h, 1, 12, r->f);
	if (n < 12 || memcmp(h, MAGIC, 8)) {
		snprintf(err, errlen, "%s: not a flowpic dataset file (no \"%s\" magic)",
			 path, MAGIC);
		goto err;
	}
	c.p = h + 8;
	version = (unsigned int)get_le(&c, 2);
	hlen = (unsigned int)get_le(&c, 2);
	if (version != DATASET_VERSION) {
		snprintf(err, errlen,
			 "%s: dataset format version %u; this flowpic reads version %d",
			 path, version, DATASET_VERSION);
		goto err;
	}
	if (hlen != HEADER_LEN ||
	    fread(h + 12, 1, HEADER_LEN - 12, r->f) != HEADER_LEN - 12) {
		snprintf(err, errlen, "%s: header truncated or of length %u, not %d",
			 path, hlen, HEADER_LEN);
		goto err;
	}
	r->flags = (unsigned int)get_le(&c, 4);
	r->geom.window_ns = get_le(&c, 8);
	r->geom.n = (__u16)get_le(&c, 2);
	r->geom.max_size = (__u16)get_le(&c, 2);
	r->geom.channels = (__u8)get_le(&c, 1);
	if (flowpic_geom_invalid(&r->geom)) {
		snprintf(err, errlen, "%s: header geometry is invalid (n %u, window %" PRIu64 " ns, channels %u, max size %u)",
			 path, r->geom.n, (uint64_t)r->geom.window_ns,
			 r->geom.channels, r->geom.max_size);
		goto err;
	}
	if (r->flags & ~DATASET_F_SERIES) {
		snprintf(err, errlen, "%s: unknown header flags 0x%x", path,
			 r->flags);
		goto err;
	}
	r->off = HEADER_LEN;
	return r;
err:
	if (r->f && r->f != stdin)
		fclose(r->f);
	free(r->path);
	free(r);
	return NULL;
}

const struct flowpic_geom *dataset_reader_geom(const struct dataset_reader *r)
{
	return &r->geom;
}

unsigned int dataset_reader_flags(const struct dataset_reader *r)
{
	return r->flags;
}

/* Reads @n bytes into r->rec at its end, growing as the data comes. */
static size_t read_into(struct dataset_reader *r, size_t n)
{
	size_t got = 0, step, k;

	while (got < n) {
		step = n - got > (1U << 20) ? 1U << 20 : n - got;
		buf_need(&r->rec, step);
		if (r->rec.oom)
			break;
		k = fread(r->rec.p + r->rec.len, 1, step, r->f);
		r->rec.len += k;
		got += k;
		if (k < step)
			break;
	}
	return got;
}

static int string_record(struct dataset_reader *r, struct cur *c, uint64_t off)
{
	uint32_t id = (uint32_t)get_le(c, 4);
	uint8_t kind = (uint8_t)get_le(c, 1);
	size_t n = (size_t)(c->end - c->p);
	char **ns;
	uint8_t *nk;

	if (c->bad || kind < STR_SOURCE || kind > STR_FLOW)
		return rfail(r, off, "bad string record");
	if (id != r->nstr + 1)
		return rfail(r, off, "string id %u out of order (expected %u)",
			     id, r->nstr + 1);
	if (n > STR_MAX || memchr(c->p, 0, n))
		return rfail(r, off, "string too long or with a NUL byte");
	ns = realloc(r->str, (r->nstr + 1) * sizeof(*ns));
	if (ns)
		r->str = ns;
	nk = realloc(r->kind, r->nstr + 1);
	if (nk)
		r->kind = nk;
	if (!ns || !nk || !(r->str[r->nstr] = strndup((const char *)c->p, n)))
		return rfail(r, off, "out of memory");
	r->kind[r->nstr++] = kind;
	if (kind == STR_LABEL) {
		const char **nl = realloc(r->labels,
					  (r->nlabels + 1) * sizeof(*nl));

		if (!nl)
			return rfail(r, off, "out of memory");
		r->labels = nl;
		nl[r->nlabels++] = r->str[r->nstr - 1];
	}
	return 0;
}

static const char *string_ref(struct dataset_reader *r, uint32_t id,
			      uint8_t kind, int *bad)
{
	if (!id)
		return NULL;
	if (id > r->nstr || r->kind[id - 1] != kind) {
		*bad = 1;
		return NULL;
	}
	return r->str[id - 1];
}

static int window_record(struct dataset_reader *r, struct cur *c, uint64_t off,
			 struct dataset_sample *s)
{
	uint32_t total = flowpic_geom_cells(&r->geom), ncells, i, npk;
	uint64_t idx = 0, v;
	int64_t t = 0;
	int bad = 0;
	const char *str;

	str = string_ref(r, (uint32_t)get_le(c, 4), STR_SOURCE, &bad);
	s->source = str ? str : "";
	s->label = string_ref(r, (uint32_t)get_le(c, 4), STR_LABEL, &bad);
	str = string_ref(r, (uint32_t)get_le(c, 4), STR_FLOW, &bad);
	s->flow = str ? str : "";
	if (bad)
		return rfail(r, off, "window refers to an undeclared string");
	memset(&s->win, 0, sizeof(s->win));
	if (c->end - c->p < (long)sizeof(s->win.key))
		return rfail(r, off, "window record truncated");
	memcpy(&s->win.key, c->p, sizeof(s->win.key));
	c->p += sizeof(s->win.key);
	s->win.index = (__u32)get_le(c, 4);
	s->win.start_ns = get_le(c, 8);
	s->win.packets[0] = (__u32)get_le(c, 4);
	s->win.packets[1] = (__u32)get_le(c, 4);
	s->win.bytes[0] = get_le(c, 8);
	s->win.bytes[1] = get_le(c, 8);
	s->win.reason = (__u8)get_le(c, 1);
	ncells = (uint32_t)get_le(c, 4);
	if (c->bad)
		return rfail(r, off, "window record truncated");
	if (ncells > total || ncells > (uint64_t)(c->end - c->p) / 2)
		return rfail(r, off, "%u cells: more than the picture or the record holds",
			     ncells);
	s->win.n = r->geom.n;
	s->win.channels = r->geom.channels;
	s->win.cells = ncells;
	s->pic.geom = r->geom;
	s->pic.ncells = 0;
	if (ncells > s->pic.cap) {
		struct flowpic_sparse_cell *nc;

		nc = realloc(s->pic.cells, (size_t)ncells * sizeof(*nc));
		if (!nc)
			return rfail(r, off, "out of memory for %u cells", ncells);
		s->pic.cells = nc;
		s->pic.cap = ncells;
	}
	for (i = 0; i < ncells; i++) {
		v = get_varint(c);
		idx = i ? idx + 1 + v : v;
		if (c->bad || v >= total || idx >= total)
			return rfail(r, off, "cell %u: index beyond the picture's %u cells",
				     i, total);
		v = get_le(c, 1);
		if (c->bad || !v)
			return rfail(r, off, "cell %u: count 0 or missing", i);
		s->pic.cells[i].index = (uint32_t)idx;
		s->pic.cells[i].count = (uint32_t)v;
	}
	s->pic.ncells = ncells;
	window_series_clear(&s->series);
	if (!(r->flags & DATASET_F_SERIES))
		return 0;
	npk = (uint32_t)get_le(c, 4);
	if (c->bad || (uint64_t)npk != (uint64_t)s->win.packets[0] + s->win.packets[1] ||
	    npk > (uint64_t)(c->end - c->p) / 2)
		return rfail(r, off, "series of %u packets: not the window's %u + %u, or longer than the record",
			     npk, s->win.packets[0], s->win.packets[1]);
	for (i = 0; i < npk; i++) {
		v = get_varint(c);
		t += (int64_t)((v >> 1) ^ (0 - (v & 1)));
		v = get_varint(c);
		if (c->bad || v >> 33)
			return rfail(r, off, "series packet %u truncated or too large", i);
		if (window_series_push(&s->series, t, (__u32)(v >> 1),
				       (__u8)(v & 1)))
			return rfail(r, off, "out of memory for the series");
	}
	return 0;
}

/* Reads one record. 1: a window into @s; 0: end record; -1: error. */
static int record_read(struct dataset_reader *r, struct dataset_sample *s)
{
	uint8_t hdr[5];
	uint64_t off, count;
	uint32_t len, crc, want;
	struct cur c;
	size_t n;

	for (;;) {
		off = r->off;
		n = fread(hdr, 1, sizeof(hdr), r->f);
		if (!n)
			return rfail(r, off, "%s before the end record: the file is truncated (%" PRIu64 " samples read)",
				     ferror(r->f) ? strerror(errno) : "end of file",
				     r->samples);
		if (n < sizeof(hdr))
			return rfail(r, off, "record header truncated: the file is cut short (%" PRIu64 " samples read)",
				     r->samples);
		len = (uint32_t)hdr[1] | (uint32_t)hdr[2] << 8 |
		      (uint32_t)hdr[3] << 16 | (uint32_t)hdr[4] << 24;
		if (len > REC_MAX)
			return rfail(r, off, "record length %u above the limit %u",
				     len, REC_MAX);
		r->rec.len = 0;
		r->rec.oom = 0;
		put_bytes(&r->rec, hdr, sizeof(hdr));
		n = read_into(r, (size_t)len + 4);
		if (r->rec.oom)
			return rfail(r, off, "out of memory for a %u-byte record", len);
		if (n < (size_t)len + 4)
			return rfail(r, off, "record truncated: %zu of %u bytes",
				     n, len + 4);
		c.p = r->rec.p + 5 + len;
		c.end = c.p + 4;
		c.bad = 0;
		want = (uint32_t)get_le(&c, 4);
		crc = (uint32_t)crc32(0L, r->rec.p, (uInt)(5 + len));
		if (crc != want)
			return rfail(r, off, "checksum mismatch: the record is corrupt");
		c.p = r->rec.p + 5;
		c.end = c.p + len;
		c.bad = 0;
		switch (hdr[0]) {
		case REC_STRING:
			if (string_record(r, &c, off))
				return -1;
			break;
		case REC_WINDOW:
			if (window_record(r, &c, off, s))
				return -1;
			r->records++;
			r->off += 5 + (uint64_t)len + 4;
			r->samples++;
			return 1;
		case REC_END:
			count = get_le(&c, 8);
			if (c.bad || count != r->samples)
				return rfail(r, off, "end record counts %" PRIu64 " samples, the file holds %" PRIu64,
					     count, r->samples);
			r->done = 1;
			r->records++;
			r->off += 5 + (uint64_t)len + 4;
			return 0;
		default:
			break;	/* a later minor addition: skipped */
		}
		r->records++;
		r->off += 5 + (uint64_t)len + 4;
	}
}

int dataset_reader_next(struct dataset_reader *r, struct dataset_sample *s)
{
	if (r->done)
		return 0;
	if (r->err[0])
		return -1;
	return record_read(r, s);
}

const char *dataset_reader_error(const struct dataset_reader *r)
{
	return r->err;
}

uint64_t dataset_reader_samples(const struct dataset_reader *r)
{
	return r->samples;
}

uint32_t dataset_reader_labels(const struct dataset_reader *r,
			       const char *const **names)
{
	*names = r->labels;
	return r->nlabels;
}

void dataset_reader_close(struct dataset_reader *r)
{
	uint32_t i;

	if (!r)
		return;
	if (r->f && r->f != stdin)
		fclose(r->f);
	for (i = 0; i < r->nstr; i++)
		free(r->str[i]);
	free(r->str);
	free(r->kind);
	free(r->labels);
	free(r->rec.p);
	free(r->path);
	free(r);
}
