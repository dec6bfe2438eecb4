// SPDX-License-Identifier: GPL-2.0
/*
 * The label readers: labels CSV, nDPI result files, category maps and
 * rule files; the first byte picks one, the rest is the file. A lookup
 * and the unmatched report follow, as `flowpic dataset` does.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dataset/labels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flowpic_key k = { 0 };
	struct labels *l;
	char path[64], err[1024];
	FILE *null;
	int fd;

	if (size < 1)
		return 0;
	fd = memfd_create("fuzz.md", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	l = labels_new();
	if (l) {
		switch (data[0] % 4) {
		case 0:
			labels_load_csv(l, path, err, sizeof(err));
			break;
		case 1:
			labels_load_ndpi(l, path, err, sizeof(err));
			break;
		case 2:
			labels_map_load(l, path, err, sizeof(err));
			labels_map_class(l, "Web", NULL);
			break;
		default:
			labels_load_rules(l, path, err, sizeof(err));
			break;
		}
		k.family = FLOWPIC_FAMILY_IPV4;
		k.proto = 6;
		labels_lookup(l, "x.pcap", &k);
		null = fopen("/dev/null", "w");
		if (null) {
			labels_report_unmatched(l, null, 3);
			fclose(null);
		}
		labels_free(l);
	}
	close(fd);
	return 0;
}
