// SPDX-License-Identifier: GPL-2.0
/*
 * Model files (docs/model-format.md): a header, tagged sections (ARCH,
 * GEOM, CLAS, PROV, WGHT), a CRC-32 trailer. Little-endian throughout,
 * written and read byte by byte so the host's order never leaks in.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "cmd/commands.h"
#include "flow/geometry.h"
#include "model/model_file.h"

#define HEADER_SIZE	24
#define TRAILER_SIZE	4
#define TAG(a, b, c, d)	((uint32_t)(a) | (uint32_t)(b) << 8 | \
			 (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_ARCH	TAG('A', 'R', 'C', 'H')
#define TAG_GEOM	TAG('G', 'E', 'O', 'M')
#define TAG_CLAS	TAG('C', 'L', 'A', 'S')
#define TAG_PROV	TAG('P', 'R', 'O', 'V')
#define TAG_WGHT	TAG('W', 'G', 'H', 'T')
#define GEOM_SIZE	24
#define DTYPE_F32LE	0

/* --- building ------------------------------------------------------------ */

int model_new(struct model *m, const char *arch, const struct flowpic_geom *g,
	      uint32_t nclasses, const char *const *names, char *err,
	      size_t errlen)
{
	char text[CNN_TEXT_MAX];
	uint32_t i, j;
	int rc;

	memset(m, 0, sizeof(*m));
	if (geometry_check(g, err, errlen))
		return -EINVAL;
	if (nclasses < 2 || nclasses > FLOWPIC_CLASSES_MAX) {
		snprintf(err, errlen, "%u classes: a model needs 2 to %d",
			 nclasses, FLOWPIC_CLASSES_MAX);
		return -EINVAL;
	}
	for (i = 0; i < nclasses; i++) {
		if (!names[i][0] || strlen(names[i]) >= MODEL_CLASS_NAME_MAX) {
			snprintf(err, errlen, "class name '%s': 1 to %d bytes",
				 names[i], MODEL_CLASS_NAME_MAX - 1);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(names[i], names[j])) {
				snprintf(err, errlen, "class '%s' twice",
					 names[i]);
				return -EINVAL;
			}
		snprintf(m->classes[i], MODEL_CLASS_NAME_MAX, "%s", names[i]);
	}
	if (cnn_arch_text(arch, g->channels, g->n, nclasses, text,
			  sizeof(text))) {
		snprintf(err, errlen, "unknown architecture '%s' (mini, full)",
			 arch);
		return -EINVAL;
	}
	rc = cnn_parse(&m->net, arch, text, err, errlen);
	if (rc) {
		if (rc == -EINVAL)
			snprintf(err, errlen,
				 "architecture '%s' does not fit %ux%u FlowPics",
				 arch, g->n, g->n);
		return rc;
	}
	m->geom = *g;
	m->scale = 1.0f / FLOWPIC_CELL_MAX;
	m->clip = FLOWPIC_CELL_MAX;
	m->nclasses = nclasses;
	return 0;
}

void model_free(struct model *m)
{
	cnn_free(&m->net);
	memset(m, 0, sizeof(*m));
}

int model_set_prov(struct model *m, const char *key, const char *fmt, ...)
{
	uint32_t i;
	va_list ap;
	int n;

	if (strlen(key) >= MODEL_PROV_KEY_MAX || !key[0] || strchr(key, '=') ||
	    strchr(key, '\n'))
		return -EINVAL;
	for (i = 0; i < m->nprov; i++)
		if (!strcmp(m->prov_key[i], key))
			break;
	if (i == MODEL_PROV_MAX)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(m->prov_val[i], MODEL_PROV_VAL_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= MODEL_PROV_VAL_MAX)
		return -ENOSPC;
	/* One line per entry: newlines in values become spaces. */
	for (n = 0; m->prov_val[i][n]; n++)
		if (m->prov_val[i][n] == '\n')
			m->prov_val[i][n] = ' ';
	snprintf(m->prov_key[i], MODEL_PROV_KEY_MAX, "%s", key);
	if (i == m->nprov)
		m->nprov++;
	return 0;
}

const char *model_get_prov(const struct model *m, const char *key)
{
	uint32_t i;

	for (i = 0; i < m->nprov; i++)
		if (!strcmp(m->prov_key[i], key))
			return m->prov_val[i];
	return NULL;
}

int model_class_index(const struct model *m, const char *name)
{
	uint32_t i;

	for (i = 0; i < m->nclasses; i++)
		if (!strcmp(m->classes[i], name))
			return (int)i;
	return -1;
}

int model_check_geom(const struct model *m, const struct flowpic_geom *g,
		     char *err, size_t errlen)
{
	if (g->n == m->geom.n && g->channels == m->geom.channels &&
	    g->window_ns == m->geom.window_ns &&
	    g->max_size == m->geom.max_size)
		return 0;
	snprintf(err, errlen,
		 "the model takes %ux%u FlowPics of %g s windows with %u channel%s, "
		 "the data has %ux%u, %g s, %u channel%s",
		 m->geom.n, m->geom.n, (double)m->geom.window_ns / 1e9,
		 m->geom.channels, m->geom.channels > 1 ? "s" : "",
		 g->n, g->n, (double)g->window_ns / 1e9, g->channels,
		 g->channels > 1 ? "s" : "");
	return -EINVAL;
}

/* --- writing ------------------------------------------------------------- */

struct obuf {
	uint8_t *p;
	size_t len, cap;
	int fail;
};

static void put(struct obuf *b, const void *src, size_t n)
{
	if (b->fail)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->fail = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void put_le(struct obuf *b, uint64_t v, int bytes)
{
	uint8_t t[8];
	int i;

	for (i = 0; i < bytes; i++)
		t[i] = (uint8_t)(v >> (8 * i));
	put(b, t, (size_t)bytes);
}

static void put_f32(struct obuf *b, float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	put_le(b, u, 4);
}

/* Starts a section; returns where its length goes. */
static size_t section_begin(struct obuf *b, uint32_t tag)
{
	size_t at;

	put_le(b, tag, 4);
	at = b->len;
	put_le(b, 0, 4);
	return at;
}

static void section_end(struct obuf *b, size_t at)
{
	uint32_t n = (uint32_t)(b->len - at - 4);
	int i;

	if (b->fail)
		return;
	for (i = 0; i < 4; i++)
		b->p[at + i] = (uint8_t)(n >> (8 * i));
}

static void put_tensor(struct obuf *b, const char *name, const uint32_t *dims,
		       int ndim, const float *data)
{
	size_t count = 1, i;
	int d;

	put_le(b, strlen(name), 2);
	put(b, name, strlen(name));
	put_le(b, (uint64_t)ndim, 1);
	put_le(b, DTYPE_F32LE, 1);
	for (d = 0; d < ndim; d++) {
		put_le(b, dims[d], 4);
		count *= dims[d];
	}
	for (i = 0; i < count; i++)
		put_f32(b, data[i]);
}

static uint32_t net_tensors(const struct cnn *net)
{
	uint32_t l, n = 0;

	for (l = 0; l < net->nlayers; l++)
		n += net->layer[l].nw ? 2 : 0;
	return n;
}

int model_encode(const struct model *m, uint8_t **out, size_t *outlen)
{
	struct obuf b = { 0 };
	char text[CNN_TEXT_MAX];
	uint32_t i, l, crc;
	size_t at;

	if (cnn_text(&m->net, text, sizeof(text)))
		return -ENOSPC;
	put(&b, MODEL_MAGIC, 8);
	put_le(&b, MODEL_VERSION, 4);
	put_le(&b, 5, 4);			/* sections */
	put_le(&b, 0, 8);			/* file size, below */

	at = section_begin(&b, TAG_ARCH);
	put(&b, "arch ", 5);
	put(&b, m->net.name, strlen(m->net.name));
	put(&b, "\n", 1);
	put(&b, text, strlen(text));
	section_end(&b, at);

	at = section_begin(&b, TAG_GEOM);
	put_le(&b, m->geom.window_ns, 8);
	put_le(&b, m->geom.n, 2);
	put_le(&b, m->geom.max_size, 2);
	put_le(&b, m->geom.channels, 1);
	put_le(&b, 0, 3);
	put_f32(&b, m->scale);
	put_le(&b, m->clip, 4);
	section_end(&b, at);

	at = section_begin(&b, TAG_CLAS);
	put_le(&b, m->nclasses, 4);
	for (i = 0; i < m->nclasses; i++) {
		put_le(&b, strlen(m->classes[i]), 2);
		put(&b, m->classes[i], strlen(m->classes[i]));
	}
	section_end(&b, at);

	at = section_begin(&b, TAG_PROV);
	for (i = 0; i < m->nprov; i++) {
		put(&b, m->prov_key[i], strlen(m->prov_key[i]));
		put(&b, "=", 1);
		put(&b, m->prov_val[i], strlen(m->prov_val[i]));
		put(&b, "\n", 1);
	}
	section_end(&b, at);

	at = section_begin(&b, TAG_WGHT);
	put_le(&b, net_tensors(&m->net), 4);
	for (l = 0; l < m->net.nlayers; l++) {
		const struct cnn_layer *L = &m->net.layer[l];
		uint32_t dims[4];
		char name[32];

		if (!L->nw)
			continue;
		dims[0] = L->out.c;
		dims[1] = L->in.c;
		dims[2] = dims[3] = L->k;
		snprintf(name, sizeof(name), "%u.weight", l);
		put_tensor(&b, name, dims, L->kind == CNN_CONV ? 4 : 2,
			   m->net.params + L->woff);
		snprintf(name, sizeof(name), "%u.bias", l);
		put_tensor(&b, name, dims, 1, m->net.params + L->boff);
	}
	section_end(&b, at);

	if (b.fail) {
		free(b.p);
		return -ENOMEM;
	}
	/* The size covers the trailer too. */
	for (i = 0; i < 8; i++)
		b.p[16 + i] = (uint8_t)((uint64_t)(b.len + TRAILER_SIZE) >> (8 * i));
	crc = (uint32_t)crc32(0L, b.p, (uInt)b.len);
	put_le(&b, crc, 4);
	if (b.fail) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}

int model_save(const struct model *m, const char *path, char *err,
	       size_t errlen)
{
	char tmp[4096];
	uint8_t *buf;
	size_t len;
	FILE *f;
	int rc;

	rc = model_encode(m, &buf, &len);
	if (rc) {
		snprintf(err, errlen, "%s: cannot encode the model: %s", path,
			 strerror(-rc));
		return rc;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path,
			     (int)getpid()) >= sizeof(tmp)) {
		free(buf);
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	f = fopen(tmp, "wb");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(buf);
		return rc;
	}
	if (fwrite(buf, 1, len, f) != len || fflush(f) || fsync(fileno(f))) {
		rc = -errno;
		snprintf(err, errlen, "%s: write failed: %s", tmp,
			 strerror(errno));
		fclose(f);
		unlink(tmp);
		free(buf);
		return rc ? rc : -EIO;
	}
	free(buf);
	if (fclose(f) || rename(tmp, path)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return rc;
	}
	return 0;
}

/* --- reading ------------------------------------------------------------- */

static uint64_t get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static float get_f32(const uint8_t *p)
{
	uint32_t u = (uint32_t)get_le(p, 4);
	float f;

	memcpy(&f, &u, 4);
	return f;
}

__attribute__((format(printf, 4, 5)))
static int bad(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(err, errlen, "%s: ", name);

	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < errlen)
		vsnprintf(err + k, errlen - k, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void tag_name(uint32_t tag, char out[5])
{
	int i;

	for (i = 0; i < 4; i++) {
		char c = (char)(tag >> (8 * i));

		out[i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	out[4] = 0;
}

static int read_arch(struct model *m, const uint8_t *p, uint32_t len,
		     size_t off, const char *name, char *err, size_t errlen)
{
	char *text = malloc(len + 1), arch[CNN_NAME_MAX], perr[256];
	int used = 0, rc;

	if (!text)
		return -ENOMEM;
	memcpy(text, p, len);
	text[len] = 0;
	if (strlen(text) != len || sscanf(text, "arch %31s%n", arch, &used) != 1 ||
	    text[used] != '\n') {
		free(text);
		return bad(err, errlen, name,
			   "section ARCH at byte %zu: expected 'arch NAME' and a layer list",
			   off);
	}
	rc = cnn_parse(&m->net, arch, text + used + 1, perr, sizeof(perr));
	free(text);
	if (rc == -EINVAL)
		return bad(err, errlen, name, "section ARCH at byte %zu: %s",
			   off, perr);
	if (rc)
		snprintf(err, errlen, "%s: %s", name, perr);
	return rc;
}

static int read_geom(struct model *m, const uint8_t *p, uint32_t len,
		     size_t off, const char *name, char *err, size_t errlen)
{
	char gerr[160];

	if (len != GEOM_SIZE)
		return bad(err, errlen, name,
			   "section GEOM at byte %zu: %u bytes, expected %d",
			   off, len, GEOM_SIZE);
	m->geom.window_ns = get_le(p, 8);
	m->geom.n = (uint16_t)get_le(p + 8, 2);
	m->geom.max_size = (uint16_t)get_le(p + 10, 2);
	m->geom.channels = p[12];
	m->scale = get_f32(p + 16);
	m->clip = (uint32_t)get_le(p + 20, 4);
	if (geometry_check(&m->geom, gerr, sizeof(gerr)))
		return bad(err, errlen, name, "section GEOM: %s", gerr);
	if (!isfinite(m->scale) || m->scale <= 0 || !m->clip ||
	    m->clip > FLOWPIC_CELL_MAX)
		return bad(err, errlen, name,
			   "section GEOM: scale %g / clip %u out of range",
			   (double)m->scale, m->clip);
	return 0;
}

static int read_classes(struct model *m, const uint8_t *p, uint32_t len,
			size_t off, const char *name, char *err, size_t errlen)
{
	uint32_t n, i, j, at = 4;

	if (len < 4)
		return bad(err, errlen, name, "section CLAS at byte %zu: too short",
			   off);
	n = (uint32_t)get_le(p, 4);
	if (n < 2 || n > FLOWPIC_CLASSES_MAX)
		return bad(err, errlen, name,
			   "section CLAS: %u classes, expected 2 to %d", n,
			   FLOWPIC_CLASSES_MAX);
	for (i = 0; i < n; i++) {
		uint32_t sl;

		if (len - at < 2)
			return bad(err, errlen, name,
				   "section CLAS: class %u at byte %zu runs past the section",
				   i, off + at);
		sl = (uint32_t)get_le(p + at, 2);
		at += 2;
		if (!sl || sl >= MODEL_CLASS_NAME_MAX || sl > len - at ||
		    memchr(p + at, 0, sl))
			return bad(err, errlen, name,
				   "section CLAS: class %u at byte %zu: bad name length %u",
				   i, off + at - 2, sl);
		memcpy(m->classes[i], p + at, sl);
		m->classes[i][sl] = 0;
		at += sl;
		for (j = 0; j < i; j++)
			if (!strcmp(m->classes[i], m->classes[j]))
				return bad(err, errlen, name,
					   "section CLAS: class '%s' twice",
					   m->classes[i]);
	}
	if (at != len)
		return bad(err, errlen, name,
			   "section CLAS: %u bytes left after the last class",
			   len - at);
	m->nclasses = n;
	return 0;
}

static int read_prov(struct model *m, const uint8_t *p, uint32_t len,
		     const char *name, char *err, size_t errlen)
{
	uint32_t at = 0;

	while (at < len) {
		const uint8_t *nl = memchr(p + at, '\n', len - at);
		const uint8_t *eq;
		uint32_t ll;

		if (!nl)
			return bad(err, errlen, name,
				   "section PROV: last entry not ended by a newline");
		ll = (uint32_t)(nl - (p + at));
		eq = memchr(p + at, '=', ll);
		if (!eq || eq == p + at || memchr(p + at, 0, ll) ||
		    eq - (p + at) >= MODEL_PROV_KEY_MAX ||
		    ll - (eq - (p + at)) - 1 >= MODEL_PROV_VAL_MAX ||
		    m->nprov == MODEL_PROV_MAX)
			return bad(err, errlen, name,
				   "section PROV: entry %u is not a short key=value line",
				   m->nprov + 1);
		memcpy(m->prov_key[m->nprov], p + at, (size_t)(eq - (p + at)));
		m->prov_key[m->nprov][eq - (p + at)] = 0;
		memcpy(m->prov_val[m->nprov], eq + 1, (size_t)(nl - eq - 1));
		m->prov_val[m->nprov][nl - eq - 1] = 0;
		m->nprov++;
		at += ll + 1;
	}
	return 0;
}

static int read_weights(struct model *m, const uint8_t *p, uint32_t len,
			size_t off, const char *name, char *err, size_t errlen)
{
	struct cnn *net = &m->net;
	uint32_t n, l, at = 4, t = 0;

	if (len < 4)
		return bad(err, errlen, name, "section WGHT at byte %zu: too short",
			   off);
	n = (uint32_t)get_le(p, 4);
	if (n != net_tensors(net))
		return bad(err, errlen, name,
			   "section WGHT: %u tensors, the layer list needs %u",
			   n, net_tensors(net));
	for (l = 0; l < net->nlayers; l++) {
		const struct cnn_layer *L = &net->layer[l];
		int part;

		if (!L->nw)
			continue;
		for (part = 0; part < 2; part++, t++) {
			uint32_t want[4] = { L->out.c, L->in.c, L->k, L->k };
			int wnd = part ? 1 : L->kind == CNN_CONV ? 4 : 2, d;
			char wname[32], got[64];
			float *dst = net->params + (part ? L->boff : L->woff);
			size_t count = part ? L->nb : L->nw, i;
			uint32_t sl, ndim, dtype;

			snprintf(wname, sizeof(wname), "%u.%s", l,
				 part ? "bias" : "weight");
			if (len - at < 2 ||
			    (sl = (uint32_t)get_le(p + at, 2)) > len - at - 2 ||
			    sl >= sizeof(got) || len - at - 2 - sl < 2)
				return bad(err, errlen, name,
					   "section WGHT: tensor %u at byte %zu runs past the section",
					   t, off + at);
			memcpy(got, p + at + 2, sl);
			got[sl] = 0;
			at += 2 + sl;
			ndim = p[at];
			dtype = p[at + 1];
			at += 2;
			if (strcmp(got, wname))
				return bad(err, errlen, name,
					   "section WGHT: tensor %u is '%s', expected '%s'",
					   t, got, wname);
			if (dtype != DTYPE_F32LE)
				return bad(err, errlen, name,
					   "section WGHT: tensor '%s' has type %u, only 0 (float32 LE) is known",
					   got, dtype);
			if (ndim != (uint32_t)wnd || len - at < 4 * ndim)
				return bad(err, errlen, name,
					   "section WGHT: tensor '%s' has %u dimensions, expected %d",
					   got, ndim, wnd);
			for (d = 0; d < wnd; d++) {
				uint32_t v = (uint32_t)get_le(p + at + 4 * d, 4);

				if (v != want[d])
					return bad(err, errlen, name,
						   "section WGHT: tensor '%s' dimension %d is %u, the layer list says %u",
						   got, d, v, want[d]);
			}
			at += 4 * ndim;
			if ((len - at) / 4 < count)
				return bad(err, errlen, name,
					   "section WGHT: tensor '%s' at byte %zu: %zu values do not fit",
					   got, off + at, count);
			for (i = 0; i < count; i++) {
				dst[i] = get_f32(p + at + 4 * i);
				if (!isfinite(dst[i]))
					return bad(err, errlen, name,
						   "section WGHT: tensor '%s' value %zu is not finite",
						   got, i);
			}
			at += (uint32_t)(4 * count);
		}
	}
	if (at != len)
		return bad(err, errlen, name,
			   "section WGHT: %u bytes left after the last tensor",
			   len - at);
	return 0;
}

int model_load_mem(struct model *m, const void *buf, size_t len,
		   const char *name, char *err, size_t errlen)
{
	const uint8_t *p = buf;
	uint32_t version, nsec, i, stored, crc, seen = 0;
	uint64_t size;
	size_t at;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (len < 8 || memcmp(p, MODEL_MAGIC, 8))
		return bad(err, errlen, name, "not a flowpic model (magic)");
	if (len < HEADER_SIZE + TRAILER_SIZE)
		return bad(err, errlen, name, "truncated: %zu bytes", len);
	version = (uint32_t)get_le(p + 8, 4);
	if (version != MODEL_VERSION)
		return bad(err, errlen, name,
			   "format version %u; this flowpic reads version %d",
			   version, MODEL_VERSION);
	nsec = (uint32_t)get_le(p + 12, 4);
	size = get_le(p + 16, 8);
	if (size > len)
		return bad(err, errlen, name,
			   "truncated: the header says %" PRIu64 " bytes, %zu are there",
			   size, len);
	if (size < len)
		return bad(err, errlen, name,
			   "%zu bytes after the end the header gives (%" PRIu64 ")",
			   len - (size_t)size, size);
	stored = (uint32_t)get_le(p + len - 4, 4);
	crc = (uint32_t)crc32(0L, p, (uInt)(len - 4));
	if (crc != stored)
		return bad(err, errlen, name,
			   "CRC-32 mismatch (stored %08x, computed %08x): the file is corrupt",
			   stored, crc);
	at = HEADER_SIZE;
	for (i = 0; i < nsec && !rc; i++) {
		uint32_t tag, slen;
		const uint8_t *s;
		char tn[5];

		if (len - TRAILER_SIZE - at < 8)
			return bad(err, errlen, name,
				   "section %u at byte %zu: header runs past the end",
				   i, at);
		tag = (uint32_t)get_le(p + at, 4);
		slen = (uint32_t)get_le(p + at + 4, 4);
		tag_name(tag, tn);
		if (slen > len - TRAILER_SIZE - at - 8)
			return bad(err, errlen, name,
				   "section %s at byte %zu: %u bytes run past the end (%zu left)",
				   tn, at, slen, len - TRAILER_SIZE - at - 8);
		s = p + at + 8;
		switch (tag) {
		case TAG_ARCH:
			rc = read_arch(m, s, slen, at, name, err, errlen);
			seen |= 1;
			break;
		case TAG_GEOM:
			rc = read_geom(m, s, slen, at, name, err, errlen);
			seen |= 2;
			break;
		case TAG_CLAS:
			rc = read_classes(m, s, slen, at, name, err, errlen);
			seen |= 4;
			break;
		case TAG_PROV:
			rc = read_prov(m, s, slen, name, err, errlen);
			seen |= 8;
			break;
		case TAG_WGHT:
			if (!(seen & 1)) {
				rc = bad(err, errlen, name,
					 "section WGHT before ARCH");
				break;
			}
			rc = read_weights(m, s, slen, at, name, err, errlen);
			seen |= 16;
			break;
		default:
			break;	/* a later minor addition: skipped */
		}
		at += 8 + (size_t)slen;
	}
	if (!rc && at != len - TRAILER_SIZE)
		rc = bad(err, errlen, name,
			 "%zu bytes between the last section and the CRC",
			 len - TRAILER_SIZE - at);
	if (!rc && seen != 31)
		rc = bad(err, errlen, name,
			 "missing section%s%s%s%s%s",
			 seen & 1 ? "" : " ARCH", seen & 2 ? "" : " GEOM",
			 seen & 4 ? "" : " CLAS", seen & 8 ? "" : " PROV",
			 seen & 16 ? "" : " WGHT");
	if (!rc && (m->net.input.c != m->geom.channels ||
		    m->net.input.h != m->geom.n || m->net.input.w != m->geom.n))
		rc = bad(err, errlen, name,
			 "the layer list takes %ux%ux%u input, the geometry makes %ux%ux%u FlowPics",
			 m->net.input.c, m->net.input.h, m->net.input.w,
			 m->geom.channels, m->geom.n, m->geom.n);
	if (!rc && (m->net.classes != m->nclasses ||
		    m->net.layer[m->net.nlayers - 1].kind != CNN_SOFTMAX))
		rc = bad(err, errlen, name,
			 "the layer list must end in softmax over the %u classes (it gives %u outputs)",
			 m->nclasses, m->net.classes);
	if (!rc) {
		float t[FLOWPIC_CLASSES_MAX];
		char why[256];

		if (model_thresholds(m, t, why, sizeof(why)))
			rc = bad(err, errlen, name, "provenance %s", why);
	}
	if (rc)
		model_free(m);
	return rc;
}

int model_load(struct model *m, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *q;

			if (cap >= MODEL_FILE_MAX) {
				fclose(f);
				free(buf);
				return bad(err, errlen, path,
					   "larger than %u MiB: not a model",
					   MODEL_FILE_MAX >> 20);
			}
			cap = cap ? cap * 2 : 1 << 16;
			q = realloc(buf, cap);
			if (!q) {
				fclose(f);
				free(buf);
				snprintf(err, errlen, "%s: out of memory", path);
				return -ENOMEM;
			}
			buf = q;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (!n)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		snprintf(err, errlen, "%s: read error", path);
		return -EIO;
	}
	fclose(f);
	rc = model_load_mem(m, buf, len, path, err, errlen);
	free(buf);
	return rc;
}

/* --- describing ---------------------------------------------------------- */

void model_describe(const struct model *m, FILE *f)
{
	char text[CNN_TEXT_MAX], *line, *save = NULL;
	uint32_t i;

	fprintf(f, "architecture  %s, %zu parameters (%.1f KiB of weights)\n",
		m->net.name, m->net.nparams,
		(double)m->net.nparams * 4 / 1024);
	fprintf(f, "geometry      %ux%u, %g s window, %u channel%s, max size %u\n",
		m->geom.n, m->geom.n, (double)m->geom.window_ns / 1e9,
		m->geom.channels, m->geom.channels > 1 ? "s" : "",
		m->geom.max_size);
	fprintf(f, "input         min(count, %u) * %g\n", m->clip,
		(double)m->scale);
	fprintf(f, "classes       %u:", m->nclasses);
	for (i = 0; i < m->nclasses; i++)
		fprintf(f, " %s", m->classes[i]);
	fprintf(f, "\nlayers\n");
	if (!cnn_text(&m->net, text, sizeof(text)))
		for (line = strtok_r(text, "\n", &save), i = 0; line;
		     line = strtok_r(NULL, "\n", &save), i++) {
			const struct cnn_layer *L = i ? &m->net.layer[i - 1] : NULL;

			if (!L)
				fprintf(f, "  %-30s\n", line);
			else
				fprintf(f, "  %-30s -> %ux%ux%u\n", line,
					L->out.c, L->out.h, L->out.w);
		}
	fprintf(f, "provenance\n");
	for (i = 0; i < m->nprov; i++)
		fprintf(f, "  %-18s %s\n", m->prov_key[i], m->prov_val[i]);
}

float model_threshold(const struct model *m)
{
	const char *v = model_get_prov(m, "threshold");
	char *end;
	float t;

	if (!v)
		return -1;
	t = strtof(v, &end);
	return end != v && !*end && t >= 0 && t <= 1 ? t : -1;
}

int model_thresholds(const struct model *m, float *t, char *err, size_t errlen)
{
	const char *v = model_get_prov(m, "thresholds");
	float all = model_threshold(m);
	char buf[MODEL_PROV_VAL_MAX], *save, *item;
	uint32_t i;

	for (i = 0; i < m->nclasses; i++)
		t[i] = all;
	if (!v)
		return 0;
	snprintf(buf, sizeof(buf), "%s", v);
	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strrchr(item, '='), *end;
		float p;
		int c;

		if (!eq || eq == item) {
			snprintf(err, errlen,
				 "thresholds: '%s' is not CLASS=P", item);
			return -EINVAL;
		}
		*eq = 0;
		c = model_class_index(m, item);
		if (c < 0) {
			snprintf(err, errlen,
				 "thresholds: '%s' is not one of the model's classes",
				 item);
			return -EINVAL;
		}
		p = strtof(eq + 1, &end);
		if (end == eq + 1 || *end || !(p >= 0 && p <= 1)) {
			snprintf(err, errlen,
				 "thresholds: %s=%s: P is 0..1", item, eq + 1);
			return -EINVAL;
		}
		t[c] = p;
	}
	return 0;
}
