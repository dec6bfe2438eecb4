// SPDX-License-Identifier: GPL-2.0
/*
 * Session CSV files, plain or gzip (zlib tells them apart), through the
 * reader and one flow's windows, as the pipeline feeds them.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "flow/flow_table.h"
#include "flow/geometry.h"
#include "capture/session_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session_csv_event ev;
	struct flowpic_key none = { 0 };
	struct flowpic_geom g;
	struct flow_config c;
	struct flow_table *t;
	struct session_csv *r;
	struct flow f;
	char err[512];
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return 0;
	}
	r = session_csv_open_fd(fd, "fuzz", err, sizeof(err));
	if (!r)
		return 0;
	geometry_default(&g, 16);
	g.window_ns = 1000000;
	flow_config_default(&c, &g);
	c.gap_cap_ns = 3000000;
	t = flow_table_new(&c, NULL, NULL);
	flow_init(&f, &none);
	while (t && session_csv_next(r, &ev) == 1) {
		if (ev.type == SESSION_CSV_START)
			flow_end(t, &f, FLOWPIC_END_TIME);
		else
			flow_packet(t, &f, (__u64)ev.t_us * 1000, ev.size,
				    ev.dir, 0);
	}
	if (t)
		flow_end(t, &f, FLOWPIC_END_TIME);
	flow_free(&f);
	flow_table_free(t);
	session_csv_close(r);
	return 0;
}
