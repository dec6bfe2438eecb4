// SPDX-License-Identifier: GPL-2.0
/*
 * The shared binning vectors (tests/vectors/binning.h) through
 * flowpic_bin() compiled for BPF, one BPF_PROG_TEST_RUN per vector.
 */
#include <string.h>

#include "flowpic.h"
#include "unit/test.h"
#include "vectors/binning.h"
#include "bpf/bpf_test.h"
#include "binning.skel.h"

int main(void)
{
	unsigned char pkt[64] = {};
	struct binning_bpf *skel;
	char why[160];
	unsigned int i;
	__u32 retval = 0;
	int fd;

	tap_header();
	tap_plan(45);
	if (!bpf_test_available(why, sizeof(why))) {
		for (i = 0; i < FLOWPIC_BIN_VECTORS; i++)
			tap_skip(why, "%s", flowpic_bin_vectors[i].what);
		tap_done();
		return KSFT_SKIP_CODE;
	}
	skel = binning_bpf__open_and_load();
	if (!skel) {
		tap_ok(0, "load tests/bpf/binning.bpf.c: %s", strerror(errno));
		return tap_done();
	}
	fd = bpf_program__fd(skel->progs.bin_vector);
	for (i = 0; i < FLOWPIC_BIN_VECTORS; i++) {
		const struct flowpic_bin_vector *v = &flowpic_bin_vectors[i];
		struct flowpic_cell c;
		__u32 flags;

		flowpic_bin_vector_geom(v, &skel->bss->in_geom);
		skel->bss->in_size = v->size;
		skel->bss->in_dt = v->dt_ns;
		skel->bss->in_ch = 0;
		skel->bss->out_flags = 0xdeadbeef;
		if (bpf_test_run_pkt(fd, pkt, sizeof(pkt), &retval, NULL)) {
			tap_ok(0, "%s: BPF_PROG_TEST_RUN: %s", v->what,
			       strerror(errno));
			continue;
		}
		flags = skel->bss->out_flags;
		c = skel->bss->out_cell;
		tap_ok(retval == TC_ACT_OK && flags == v->flags &&
		       c.row == v->row && c.col == v->col,
		       "%s: flags %u row %u col %u (want %u %u %u)", v->what,
		       flags, c.row, c.col, v->flags, v->row, v->col);
	}

	/* The cell index in channel 1 of a two-channel picture, in BPF. */
	{
		struct flowpic_geom g = { .window_ns = 15000000000ULL, .n = 32,
					  .max_size = 1500, .channels = 2 };

		skel->bss->in_geom = g;
		skel->bss->in_size = 750;
		skel->bss->in_dt = 7500000000LL;
		skel->bss->in_ch = 1;
		bpf_test_run_pkt(fd, pkt, sizeof(pkt), &retval, NULL);
		tap_ok(skel->bss->out_index == (1 * 32 + 16) * 32 + 16,
		       "channel 1 cell index %u (want %u)",
		       skel->bss->out_index, (1 * 32 + 16) * 32 + 16);
	}
	binning_bpf__destroy(skel);
	return tap_done();
}
