// SPDX-License-Identifier: GPL-2.0
/*
 * Model files: round trip, the documented byte layout, and refusal of
 * corrupt, truncated and mismatched files with a message that says why.
 * An independent reader (tests/unit/model_format.py, written from
 * docs/model-format.md alone) must read what the C writer wrote.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "model/model_file.h"
#include "unit/test.h"

static const char *const names3[] = { "Bilibili", "Twitch", "Youtube" };

static void reseal(uint8_t *b, size_t len)
{
	uint32_t crc = (uint32_t)crc32(0L, b, (uInt)(len - 4));
	int i;

	for (i = 0; i < 4; i++)
		b[len - 4 + i] = (uint8_t)(crc >> (8 * i));
}

/* Loads @b and checks that it fails with @want in the message. */
static void refuse(const uint8_t *b, size_t len, const char *want,
		   const char *what)
{
	struct model m;
	char err[512] = "";
	int rc = model_load_mem(&m, b, len, "t.fpm", err, sizeof(err));

	tap_ok(rc == -EINVAL && strstr(err, want) && !strncmp(err, "t.fpm: ", 7),
	       "%s refused: \"%s\"", what, err);
}

/* Offset of section @tag's payload in an encoded file, or 0. */
static size_t find_section(const uint8_t *b, size_t len, const char *tag)
{
	size_t at = 24;

	while (at + 8 <= len - 4) {
		uint32_t slen = b[at + 4] | b[at + 5] << 8 | b[at + 6] << 16 |
				(uint32_t)b[at + 7] << 24;

		if (!memcmp(b + at, tag, 4))
			return at + 8;
		at += 8 + slen;
	}
	return 0;
}

int main(void)
{
	struct flowpic_geom g = { .window_ns = 15000000000ULL, .n = 32,
				  .max_size = 1500, .channels = 1 };
	char err[512], path[] = "/tmp/flowpic-model-XXXXXX", cmd[1024];
	struct model m, r;
	uint8_t *b, *c;
	size_t len, i, at;
	int rc, same, fd, fails;
	FILE *p;

	tap_header();
	tap_plan(33);
	rc = model_new(&m, "mini", &g, 3, names3, err, sizeof(err));
	tap_ok(!rc, "mini model for 32x32: %s", rc ? err : "ok");
	if (rc)
		return tap_done();
	cnn_init_params(&m.net, 42);
	model_set_prov(&m, "dataset_sha256", "%064d", 0);
	model_set_prov(&m, "seed", "%d", 42);
	model_set_prov(&m, "note", "two\nlines");
	tap_ok(!strcmp(model_get_prov(&m, "note"), "two lines"),
	       "provenance values stay on one line");
	tap_ok(model_threshold(&m) == -1, "no threshold recorded: -1");
	model_set_prov(&m, "threshold", "1.5");
	tap_ok(model_threshold(&m) == -1, "a threshold above 1 is ignored");
	model_set_prov(&m, "threshold", "0.625");
	tap_ok(model_threshold(&m) == 0.625f,
	       "the calibrated threshold is read from the provenance");
	{
		float t[FLOWPIC_CLASSES_MAX];
		char why[256];
		int bad;

		model_set_prov(&m, "thresholds", "Youtube=0.9,%s=0.25",
			       m.classes[0]);
		rc = model_thresholds(&m, t, why, sizeof(why));
		tap_ok(!rc && t[2] == 0.9f && t[0] == 0.25f &&
		       t[1] == 0.625f,
		       "per-class thresholds over the model's threshold");
		model_set_prov(&m, "thresholds", "Netflix=0.5");
		bad = model_thresholds(&m, t, why, sizeof(why));
		tap_ok(bad == -EINVAL && strstr(why, "'Netflix'"),
		       "a class the model lacks is refused: %s", why);
		model_set_prov(&m, "thresholds", "Youtube=2");
		bad = model_thresholds(&m, t, why, sizeof(why));
		tap_ok(bad == -EINVAL && strstr(why, "0..1"),
		       "a per-class threshold outside 0..1 is refused: %s",
		       why);
		fd = mkstemp(path);
		close(fd);
		bad = model_save(&m, path, err, sizeof(err)) ||
		      model_load(&r, path, err, sizeof(err)) != -EINVAL ||
		      !strstr(err, "provenance thresholds");
		tap_ok(!bad, "a file with such thresholds is refused on load: %s",
		       err);
		unlink(path);
		strcpy(path, "/tmp/flowpic-model-XXXXXX");
		model_set_prov(&m, "thresholds", "Youtube=0.9");
	}

	fd = mkstemp(path);
	close(fd);
	rc = model_save(&m, path, err, sizeof(err));
	tap_ok(!rc, "saved to %s", path);
	rc = model_load(&r, path, err, sizeof(err));
	tap_ok(!rc, "loaded back: %s", rc ? err : "ok");
	same = !rc && r.net.nparams == m.net.nparams &&
	       !memcmp(r.net.params, m.net.params, m.net.nparams * 4) &&
	       r.nclasses == 3 && !strcmp(r.classes[2], "Youtube") &&
	       !memcmp(&r.geom, &m.geom, sizeof(g)) && r.scale == m.scale &&
	       r.clip == 255 && !strcmp(r.net.name, "mini") &&
	       r.nprov == 5 && !strcmp(model_get_prov(&r, "seed"), "42") &&
	       model_threshold(&r) == 0.625f;
	tap_ok(same, "round trip: weights bit for bit, geometry, classes, provenance");
	if (!rc)
		model_free(&r);

	/* The independent reader of docs/model-format.md agrees. */
	snprintf(cmd, sizeof(cmd), "python3 tests/unit/model_format.py %s", path);
	p = popen(cmd, "r");
	if (p) {
		char line[256], want[256];
		double sum = 0;
		int ok = 0;

		for (i = 0; i < m.net.nparams; i++)
			sum += m.net.params[i];
		snprintf(want, sizeof(want), "ok mini 32 3 %zu %.6e", m.net.nparams,
			 sum);
		while (fgets(line, sizeof(line), p))
			if (!strncmp(line, want, strlen(want)))
				ok = 1;
		rc = pclose(p);
		if (rc == 127 << 8)
			tap_skip("python3 not installed", "model_format.py reads the file");
		else
			tap_ok(ok && !rc, "model_format.py reads the file (%s)", want);
	}
	unlink(path);

	rc = model_encode(&m, &b, &len);
	tap_ok(!rc && !memcmp(b, "FLOWPICM", 8) && b[8] == 1 && !b[9] &&
	       b[12] == 5 && (b[16] | b[17] << 8 | b[18] << 16) == (int)len,
	       "header: magic, version 1, 5 sections, size %zu", len);
	tap_ok(!memcmp(b + 24, "ARCH", 4) &&
	       !memcmp(b + 32, "arch mini\ninput 1 32 32\nconv 6 5 stride 1 pad 0\n", 47),
	       "ARCH first, as text");
	c = malloc(len);

	/* Every single flipped byte is caught (CRC, or the header's checks). */
	for (i = 0, fails = 0; i < len; i += 1 + i / 64) {
		memcpy(c, b, len);
		c[i] ^= 0x40;
		if (!model_load_mem(&r, c, len, "t.fpm", err, sizeof(err))) {
			fails++;
			model_free(&r);
		}
	}
	tap_ok(!fails, "flipped bytes all refused (%d accepted)", fails);
	memcpy(c, b, len);
	c[len / 2] ^= 1;
	refuse(c, len, "CRC-32 mismatch", "a flipped weight bit");
	refuse(b, len - 1, "truncated", "a file cut by one byte");
	refuse(b, len / 3, "truncated", "a file cut to a third");
	refuse(b, 10, "truncated", "a 10-byte file");
	refuse((const uint8_t *)"GIF89a....", 10, "not a flowpic model",
	       "another file type");
	memcpy(c, b, len);
	c[8] = 2;
	reseal(c, len);
	refuse(c, len, "format version 2", "a future version");

	/* A weight tensor whose shape no longer matches the layer list. */
	memcpy(c, b, len);
	at = find_section(c, len, "WGHT");
	/* count (4), name length (2), "0.weight" (8), ndim, dtype: dims */
	c[at + 4 + 2 + 8 + 2] = 7;
	reseal(c, len);
	refuse(c, len, "dimension 0 is 7", "a tensor of the wrong shape");

	memcpy(c, b, len);
	at = find_section(c, len, "WGHT");
	memcpy(c + at + 4 + 2 + 8 + 2 + 16, "\x00\x00\xc0\x7f", 4);
	reseal(c, len);
	refuse(c, len, "not finite", "a NaN weight");

	memcpy(c, b, len);
	at = find_section(c, len, "GEOM");
	c[at + 8] = 64;		/* N 32 -> 64: the layer list takes 32 */
	reseal(c, len);
	refuse(c, len, "the layer list takes 1x32x32 input",
	       "geometry that does not match the network");

	memcpy(c, b, len);
	at = find_section(c, len, "ARCH");
	memcpy(c + at + 10 + 6, "7", 1);	/* "input 1 32" -> "input 7 32" */
	reseal(c, len);
	refuse(c, len, "dimension 1 is 1, the layer list says 7",
	       "a layer list changed under its weights");

	/* Two classes of one name. */
	{
		static const char *const dup[] = { "voip", "chat", "web" };
		struct model d;
		uint8_t *e;
		size_t elen;

		if (!model_new(&d, "mini", &g, 3, dup, err, sizeof(err)) &&
		    !model_encode(&d, &e, &elen)) {
			at = find_section(e, elen, "CLAS");
			memcpy(e + at + 4 + 2 + 4 + 2, "voip", 4);
			reseal(e, elen);
			refuse(e, elen, "class 'voip' twice",
			       "two classes of one name");
			free(e);
		}
		model_free(&d);
	}

	/* An unknown section (a later minor addition) is skipped. */
	{
		size_t n2 = len + 12;
		uint8_t *d = malloc(n2);

		memcpy(d, b, len - 4);
		memcpy(d + len - 4, "XTRA\x04\x00\x00\x00" "abcd", 12);
		d[12] = 6;
		d[16] = (uint8_t)n2;
		d[17] = (uint8_t)(n2 >> 8);
		d[18] = (uint8_t)(n2 >> 16);
		reseal(d, n2);
		rc = model_load_mem(&r, d, n2, "t.fpm", err, sizeof(err));
		tap_ok(!rc, "unknown section skipped: %s", rc ? err : "ok");
		if (!rc)
			model_free(&r);
		free(d);
	}

	{
		struct flowpic_geom g2 = g;

		g2.n = 1500;
		g2.window_ns = 60000000000ULL;
		rc = model_check_geom(&m, &g2, err, sizeof(err));
		tap_ok(rc == -EINVAL && strstr(err, "32x32") &&
		       strstr(err, "1500x1500"),
		       "data of another geometry: \"%s\"", err);
	}
	rc = model_load(&r, "/nonexistent/model.fpm", err, sizeof(err));
	tap_ok(rc == -ENOENT && strstr(err, "/nonexistent/model.fpm"),
	       "missing file: \"%s\"", err);
	free(b);
	free(c);
	model_free(&m);

	/* The paper's network: about 309 k parameters. */
	g.n = 1500;
	g.window_ns = 60000000000ULL;
	rc = model_new(&m, "full", &g, 3, names3, err, sizeof(err));
	if (!rc) {
		cnn_init_params(&m.net, 1);
		rc = model_encode(&m, &b, &len);
		tap_ok(!rc && m.net.nparams == 309289 && len < 1300000,
		       "full model: %zu parameters, %zu bytes", m.net.nparams,
		       len);
		rc = model_load_mem(&r, b, len, "full", err, sizeof(err));
		tap_ok(!rc && !memcmp(r.net.params, m.net.params,
				      m.net.nparams * 4),
		       "full model round trip");
		if (!rc)
			model_free(&r);
		free(b);
		model_free(&m);
	} else {
		tap_ok(0, "full model: %s", err);
	}
	rc = model_new(&m, "lenet", &g, 3, names3, err, sizeof(err));
	tap_ok(rc == -EINVAL && strstr(err, "unknown architecture"),
	       "unknown architecture: \"%s\"", err);
	return tap_done();
}
