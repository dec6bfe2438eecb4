// SPDX-License-Identifier: GPL-2.0
/*
 * cnn_infer()'s fast paths for sparse pictures - differences against the
 * empty picture (1500x1500), the fused first conv-pool block (32x32) -
 * against the plain dense path (pictures densified, im2col for every
 * conv): the same outputs within 1e-5, on synthetic pictures and on real
 * FlowPics of the shared datasets (skipped, saying why, without them).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cnn/cnn.h"
#include "flow/pipeline.h"
#include "cnn/rng.h"
#include "unit/test.h"

#define MAXPICS 96

struct pics {
	struct flowpic_geom g;
	struct picture p[MAXPICS];
	uint32_t n;
	uint64_t cells;
};

static int keep(void *ctx, const struct dataset_sample *s)
{
	struct pics *ps = ctx;
	struct picture *p;

	if (ps->n == MAXPICS || !s->pic.ncells)
		return 0;
	p = &ps->p[ps->n++];
	picture_init(p, &ps->g);
	p->cells = malloc(s->pic.ncells * sizeof(*p->cells));
	memcpy(p->cells, s->pic.cells, s->pic.ncells * sizeof(*p->cells));
	p->ncells = p->cap = s->pic.ncells;
	ps->cells += p->ncells;
	return 0;
}

static void free_pics(struct pics *ps)
{
	uint32_t i;

	for (i = 0; i < ps->n; i++)
		picture_free(&ps->p[i]);
	ps->n = 0;
	ps->cells = 0;
}

static void synth(struct pics *ps, const struct flowpic_geom *g, uint32_t n,
		  uint32_t cells_lo, uint32_t cells_hi, uint64_t seed)
{
	uint32_t i, k;
	struct rng r;

	rng_seed(&r, seed);
	ps->g = *g;
	for (i = 0; i < n; i++) {
		uint32_t m = cells_lo + rng_below(&r, cells_hi - cells_lo + 1);
		uint32_t *idx = malloc(m * sizeof(*idx));

		/* clustered like traffic: a few size rows, or anywhere */
		for (k = 0; k < m; k++) {
			uint32_t row = cells_lo > 5000 ? rng_below(&r, g->n) :
				(k % 7) * g->n / 8 + rng_below(&r, 3);
			uint32_t col = rng_below(&r, g->n);
			uint32_t ch = rng_below(&r, g->channels);

			idx[k] = (ch * g->n + row % g->n) * g->n + col;
		}
		picture_init(&ps->p[i], g);
		picture_from_indices(&ps->p[i], idx, m);
		for (k = 0; k < ps->p[i].ncells; k++)
			ps->p[i].cells[k].count = 1 + rng_below(&r, 255);
		ps->cells += ps->p[i].ncells;
		free(idx);
	}
	ps->n = n;
}

/*
 * Worst difference between cnn_infer() on the pictures (in batches of
 * @batch; as dense images with @as_dense, else sparse) and the dense
 * forward pass of each, over @net's outputs.
 */
static double compare_as(struct cnn *net, const struct pics *ps,
			 uint32_t batch, int as_dense,
			 struct cnn_infer_stats *st)
{
	size_t hw = (size_t)net->input.c * net->input.h * net->input.w;
	uint32_t k = net->layer[net->nlayers - 1].out.c, i, j, c;
	struct cnn_work *fast = cnn_work_new(net, batch, 0);
	struct cnn_work *slow = cnn_work_new(net, 1, 0);
	float *probs = malloc((size_t)batch * k * sizeof(float));
	float *dense = malloc(batch * hw * sizeof(float));
	double worst = 0;

	cnn_prepare(net);
	for (i = 0; i < ps->n; i += batch) {
		const struct picture *pp[MAXPICS];
		struct cnn_input in = { .n = ps->n - i < batch ? ps->n - i : batch };

		for (j = 0; j < in.n; j++) {
			pp[j] = &ps->p[i + j];
			picture_to_dense(pp[j], dense + j * hw, 1.0f / 255);
		}
		if (as_dense) {
			in.dense = dense;
		} else {
			in.pics = pp;
			in.scale = 1.0f / 255;
		}
		if (cnn_infer(net, fast, &in, probs))
			return INFINITY;
		for (j = 0; j < in.n; j++) {
			struct cnn_input d = { .n = 1, .dense = dense + j * hw };
			const float *ref;

			if (cnn_forward(net, slow, &d, 0))
				return INFINITY;
			ref = cnn_output(net, slow, net->nlayers - 1);
			for (c = 0; c < k; c++)
				worst = fmax(worst, fabs(ref[c] - probs[j * k + c]));
		}
	}
	*st = *cnn_work_stats(fast);
	cnn_work_free(fast);
	cnn_work_free(slow);
	free(probs);
	free(dense);
	return worst;
}

static double compare(struct cnn *net, const struct pics *ps, uint32_t batch,
		      struct cnn_infer_stats *st)
{
	return compare_as(net, ps, batch, 0, st);
}

static double compare_dense(struct cnn *net, const struct pics *ps,
			    uint32_t batch, struct cnn_infer_stats *st)
{
	return compare_as(net, ps, batch, 1, st);
}

/* The architecture's layer list up to its logits (softmax hides errors). */
static int build(struct cnn *net, const char *arch, uint32_t ch, uint32_t n,
		 int logits, uint64_t seed)
{
	char text[CNN_TEXT_MAX], err[256], *sm;

	cnn_arch_text(arch, ch, n, 5, text, sizeof(text));
	if (logits && (sm = strstr(text, "softmax")))
		*sm = 0;
	if (cnn_parse(net, arch, text, err, sizeof(err)))
		return -1;
	cnn_init_params(net, seed);
	return 0;
}

/* @want: 'd'elta, 'b'lock, or the layer the delta path must hand over at. */
static void check(const char *what, const char *arch, const struct pics *ps,
		  uint32_t batch, int want)
{
	struct cnn_infer_stats st;
	struct cnn net;
	double d, dl;
	uint64_t c16;

	build(&net, arch, ps->g.channels, ps->g.n, 0, 3);
	d = compare(&net, ps, batch, &st);
	cnn_free(&net);
	build(&net, arch, ps->g.channels, ps->g.n, 1, 3);
	dl = compare(&net, ps, batch, &st);
	cnn_free(&net);
	/* mini at 32x32 runs its second block on AVX-512 where there is one */
	c16 = want == 'b' && !strcmp(arch, "mini") && ps->g.n == 32 &&
	      __builtin_cpu_supports("avx512f") ? ps->n : 0;
	tap_ok(d <= 1e-5 && dl <= 1e-5 &&
	       (want == 'd' ? st.delta == ps->n : want == 'b' ? st.block == ps->n :
		st.delta_layers[want] == ps->n) && st.conv16 == c16,
	       "%s: %u pictures (%.0f cells each), batch %u: worst difference %.1e (probabilities), %.1e (logits); paths %llu delta (%llu dense from conv2), %llu block (%llu second block on AVX-512), %llu dense",
	       what, ps->n, (double)ps->cells / (ps->n ? ps->n : 1), batch, d,
	       dl, (unsigned long long)st.delta,
	       (unsigned long long)st.delta_layers[3],
	       (unsigned long long)st.block, (unsigned long long)st.conv16,
	       (unsigned long long)st.dense);
}

static int load(struct pics *ps, const char *path, uint16_t n,
		uint64_t window_ns, uint8_t channels)
{
	struct flow_config c;
	struct pipeline *p;
	char err[512];
	int rc;

	memset(ps, 0, sizeof(*ps));
	ps->g = (struct flowpic_geom){ .window_ns = window_ns, .n = n,
				       .max_size = 1500, .channels = channels };
	flow_config_default(&c, &ps->g);
	c.min_packets = 10;
	p = pipeline_new(&c, keep, ps);
	rc = pipeline_run(p, path, err, sizeof(err));
	pipeline_free(p);
	if (rc)
		tap_diag("%s", err);
	return rc;
}

int main(void)
{
	const char *data = getenv("FLOWPIC_DATA") ? getenv("FLOWPIC_DATA") :
			   "../shared/datasets";
	struct flowpic_geom g = { .window_ns = 15000000000ULL, .n = 32,
				  .max_size = 1500, .channels = 1 };
	static struct pics ps;
	char path[4096];

	tap_header();
	tap_plan(14);
	synth(&ps, &g, 40, 5, 300, 1);
	check("mini 32x32 synthetic", "mini", &ps, 16, 'b');
	{
		/* dense images take the second block on AVX-512 too */
		struct cnn_infer_stats st = { 0 };
		struct cnn net;
		uint64_t c16 = __builtin_cpu_supports("avx512f") ? ps.n : 0;
		double d;

		build(&net, "mini", 1, 32, 1, 3);
		d = compare_dense(&net, &ps, 16, &st);
		cnn_free(&net);
		tap_ok(d <= 1e-5 && st.dense == ps.n && st.conv16 == c16,
		       "mini 32x32 synthetic as dense images, batch 16: worst difference %.1e (logits); %llu dense, %llu of them second block on AVX-512",
		       d, (unsigned long long)st.dense,
		       (unsigned long long)st.conv16);
	}
	free_pics(&ps);
	g.channels = 2;
	synth(&ps, &g, 40, 5, 600, 2);
	check("mini 32x32 2 channels synthetic", "mini", &ps, 7, 'b');
	free_pics(&ps);
	g.channels = 1;
	g.n = 64;
	synth(&ps, &g, 20, 5, 900, 3);
	check("mini 64x64 synthetic", "mini", &ps, 20, 'b');
	free_pics(&ps);

	g.n = 1500;
	g.window_ns = 60000000000ULL;
	synth(&ps, &g, 12, 50, 4000, 4);
	check("full 1500x1500 synthetic", "full", &ps, 1, 'd');
	check("full 1500x1500 synthetic", "full", &ps, 4, 'd');
	free_pics(&ps);
	/* Cells everywhere: differences stop paying at conv2, dense from it. */
	synth(&ps, &g, 3, 5400, 5600, 5);
	check("full 1500x1500, 5500 scattered cells", "full", &ps, 3, 3);
	free_pics(&ps);
	/* So many the first layer goes dense too. */
	synth(&ps, &g, 2, 40000, 50000, 5);
	check("full 1500x1500, 45000 scattered cells", "full", &ps, 2, 'b');
	free_pics(&ps);
	g.channels = 2;
	synth(&ps, &g, 6, 50, 3000, 6);
	check("full 1500x1500 2 channels synthetic", "full", &ps, 2, 'd');
	free_pics(&ps);

	/* Real FlowPics. */
	snprintf(path, sizeof(path), "%s/video-platforms/Youtube/480/480_merged_001.csv.gz",
		 data);
	if (access(path, R_OK)) {
		tap_skip_n(5, "no datasets (FLOWPIC_DATA)", "real FlowPics");
	} else {
		if (!load(&ps, path, 1500, 30000000000ULL, 1) && ps.n) {
			ps.n = ps.n > 24 ? 24 : ps.n;
			check("full, YouTube sessions", "full", &ps, 1, 'd');
		} else {
			tap_ok(0, "real FlowPics from %s", path);
		}
		free_pics(&ps);
		if (!load(&ps, path, 32, 15000000000ULL, 1) && ps.n)
			check("mini, YouTube sessions", "mini", &ps, 64, 'b');
		else
			tap_ok(0, "mini FlowPics from %s", path);
		free_pics(&ps);
		snprintf(path, sizeof(path), "%s/video-platforms/Twitch/480/480_merged_001.csv.gz",
			 data);
		if (!load(&ps, path, 1500, 30000000000ULL, 2) && ps.n) {
			ps.n = ps.n > 12 ? 12 : ps.n;
			check("full 2 channels, Twitch sessions", "full", &ps, 3, 'd');
		} else {
			tap_ok(0, "2-channel FlowPics from %s", path);
		}
		free_pics(&ps);
		snprintf(path, sizeof(path), "%s/ndpi/pcap/netflix.pcap", data);
		if (!load(&ps, path, 1500, 60000000000ULL, 1) && ps.n) {
			ps.n = ps.n > 24 ? 24 : ps.n;
			check("full, netflix.pcap flows", "full", &ps, 8, 'd');
		} else {
			tap_ok(0, "full FlowPics from %s", path);
		}
		free_pics(&ps);
		if (!load(&ps, path, 32, 15000000000ULL, 1) && ps.n)
			check("mini, netflix.pcap flows", "mini", &ps, 32, 'b');
		else
			tap_ok(0, "mini FlowPics from %s", path);
		free_pics(&ps);
	}
	return tap_done();
}
