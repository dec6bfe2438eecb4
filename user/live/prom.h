/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small HTTP server for Prometheus: GET /metrics answers with the text
 * exposition format (version 0.0.4), rendered by a callback at each
 * scrape. It runs in flowpicd's event loop: every socket is non-blocking,
 * a request is at most PROM_REQUEST_MAX bytes, a client that has not
 * finished within PROM_CLIENT_TIMEOUT_S is closed, and at most
 * PROM_CLIENTS are served at once, so a slow or hostile client costs a
 * slot, never the loop.
 */
#ifndef _FLOWPIC_USER_PROM_H
#define _FLOWPIC_USER_PROM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROM_REQUEST_MAX	4096
#define PROM_CLIENT_TIMEOUT_S	5
#define PROM_CLIENTS		8

/* The text the render callback writes (an open_memstream). */
struct prom_buf {
	FILE	*f;
};

void prom_printf(struct prom_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "# HELP" and "# TYPE" lines of one metric family. */
void prom_family(struct prom_buf *b, const char *name, const char *type,
		 const char *help);
/* One sample: name, optional label set ("" for none), value. */
void prom_sample(struct prom_buf *b, const char *name, const char *labels,
		 uint64_t v);
/* A label value with \\, \" and \n escaped, into @out. */
void prom_label_value(char *out, size_t len, const char *v);

typedef void (*prom_render_fn)(void *arg, struct prom_buf *b);

struct prom_stats {
	uint64_t	requests;	/* answered with 200 */
	uint64_t	bad_requests;	/* 4xx answers */
	uint64_t	timeouts;	/* closed past the deadline */
	uint64_t	rejected;	/* every slot busy */
};

struct prom;

/*
 * Listens on @addr (HOST:PORT, HOST an IPv4 address, [IPv6] or a name).
 * A port in use, or an address this host does not have, is refused here
 * with the reason in @err.
 */
int prom_open(struct prom **pp, const char *addr, prom_render_fn render,
	      void *arg, char *err, size_t errlen);
/* One fd for the caller's poll loop: readable when there is work. */
int prom_fd(const struct prom *p);
/* Serves what is ready; never waits. */
void prom_poll(struct prom *p);
/* Closes clients past their deadline; call about once a second. */
void prom_tick(struct prom *p);
void prom_get_stats(const struct prom *p, struct prom_stats *s);
void prom_close(struct prom *p);

#endif /* _FLOWPIC_USER_PROM_H */
