// SPDX-License-Identifier: GPL-2.0
/*
 * Dataset files through the reader, every sample re-imaged from its
 * series when it has one, as training does.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dataset/dataset.h"
#include "flow/window.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dataset_reader *r;
	struct dataset_sample s;
	struct picture p;
	const char *const *names;
	char path[64], err[1024];
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = dataset_reader_open(path, err, sizeof(err));
	if (r) {
		dataset_sample_init(&s);
		picture_init(&p, dataset_reader_geom(r));
		while (dataset_reader_next(r, &s) == 1) {
			if (s.series.n)
				window_image(&s.series, dataset_reader_geom(r),
					     &p, NULL);
			picture_total(&s.pic);
		}
		dataset_reader_labels(r, &names);
		picture_free(&p);
		dataset_sample_free(&s);
		dataset_reader_close(r);
	}
	close(fd);
	return 0;
}
