// SPDX-License-Identifier: GPL-2.0
/*
 * The /metrics endpoint: a listening socket and a few clients in an epoll
 * set of their own, whose fd sits in flowpicd's loop. One request per
 * connection (Connection: close), as Prometheus scrapes.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "live/prom.h"

struct prom_client {
	int		fd;		/* -1: free slot */
	uint64_t	deadline_s;	/* CLOCK_MONOTONIC */
	char		req[PROM_REQUEST_MAX];
	size_t		req_len;
	char		*out;		/* the whole answer, once known */
	size_t		out_len, out_off;
};

struct prom {
	int			lfd;
	int			ep;
	prom_render_fn		render;
	void			*arg;
	struct prom_client	c[PROM_CLIENTS];
	struct prom_stats	st;
};

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* --- the text ---------------------------------------------------------------- */

void prom_printf(struct prom_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(b->f, fmt, ap);
	va_end(ap);
}

void prom_family(struct prom_buf *b, const char *name, const char *type,
		 const char *help)
{
	prom_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void prom_sample(struct prom_buf *b, const char *name, const char *labels,
		 uint64_t v)
{
	prom_printf(b, "%s%s%s%s %llu\n", name, *labels ? "{" : "", labels,
		    *labels ? "}" : "", (unsigned long long)v);
}

void prom_label_value(char *out, size_t len, const char *v)
{
	size_t o = 0;

	for (; *v && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"') {
			out[o++] = '\\';
			out[o++] = *v;
		} else if (*v == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *v;
		}
	}
	out[o] = 0;
}

/* --- the server ---------------------------------------------------------------- */

/* Splits HOST:PORT ([V6]:PORT); 0 or -EINVAL. */
static int split_addr(const char *s, char *host, size_t hlen, char *port,
		      size_t plen)
{
	const char *colon, *h = s;
	size_t n;

	if (*s == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -EINVAL;
		h = s + 1;
		n = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;
		n = (size_t)(colon - s);
	}
	if (!n || n >= hlen || !colon[1] || strlen(colon + 1) >= plen ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = 0;
	strcpy(port, colon + 1);
	return atoi(port) > 0 && atoi(port) < 65536 ? 0 : -EINVAL;
}

static int listen_on(const char *addr, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res;
	char host[256], port[8];
	int fd, one = 1, rc, gai;

	if (split_addr(addr, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen, "--metrics %s: expected ADDR:PORT, such "
			 "as 127.0.0.1:9470 or [::1]:9470 (port 1 to 65535)",
			 addr);
		return -EINVAL;
	}
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai) {
		snprintf(err, errlen, "--metrics %s: cannot resolve '%s': %s",
			 addr, host, gai_strerror(gai));
		return -EINVAL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "--metrics %s: socket: %s", addr,
			 strerror(-rc));
		freeaddrinfo(res);
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 16)) {
		rc = -errno;
		snprintf(err, errlen, "--metrics %s: %s%s%s", addr,
			 rc == -EADDRINUSE ? "port " : "",
			 rc == -EADDRINUSE ? port : "",
			 rc == -EADDRINUSE ? " is in use by another program" :
			 rc == -EADDRNOTAVAIL ? "no interface of this host has "
			 "that address" : strerror(-rc));
		close(fd);
		freeaddrinfo(res);
		return rc;
	}
	freeaddrinfo(res);
	return fd;
}

int prom_open(struct prom **pp, const char *addr, prom_render_fn render,
	      void *arg, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct prom *p;
	int i, rc;

	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < PROM_CLIENTS; i++)
		p->c[i].fd = -1;
	p->render = render;
	p->arg = arg;
	p->lfd = listen_on(addr, err, errlen);
	if (p->lfd < 0) {
		rc = p->lfd;
		free(p);
		return rc;
	}
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.ptr = NULL;	/* NULL: the listening socket */
	if (p->ep < 0 || epoll_ctl(p->ep, EPOLL_CTL_ADD, p->lfd, &ev)) {
		rc = -errno;
		snprintf(err, errlen, "--metrics %s: epoll: %s", addr,
			 strerror(-rc));
		if (p->ep >= 0)
			close(p->ep);
		close(p->lfd);
		free(p);
		return rc;
	}
	*pp = p;
	return 0;
}

int prom_fd(const struct prom *p)
{
	return p->ep;
}

static void client_close(struct prom *p, struct prom_client *c)
{
	epoll_ctl(p->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
}

static void client_answer(struct prom *p, struct prom_client *c,
			  const char *status, const char *type,
			  const char *body, size_t len)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	char head[256];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		     status, type, len);
	c->out = malloc((size_t)n + len);
	if (!c->out) {
		client_close(p, c);
		return;
	}
	memcpy(c->out, head, (size_t)n);
	memcpy(c->out + n, body, len);
	c->out_len = (size_t)n + len;
	c->out_off = 0;
	epoll_ctl(p->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void client_error(struct prom *p, struct prom_client *c,
			 const char *status)
{
	char body[128];
	int n;

	p->st.bad_requests++;
	n = snprintf(body, sizeof(body), "%s\n", status);
	client_answer(p, c, status, "text/plain; charset=utf-8", body,
		      (size_t)n);
}

/*
 * A complete request head is in c->req: answers it. NULL, or the status
 * line of the error to answer instead.
 */
static const char *client_request(struct prom *p, struct prom_client *c)
{
	struct prom_buf b;
	char *sp, *path, *ver, *text = NULL;
	size_t len = 0;
	int bad;

	c->req[c->req_len] = 0;
	sp = strchr(c->req, ' ');
	if (!sp)
		return "400 Bad Request";
	*sp = 0;
	path = sp + 1;
	ver = strchr(path, ' ');
	if (!ver || strncmp(ver + 1, "HTTP/1.", 7))
		return "400 Bad Request";
	*ver = 0;
	if (strcmp(c->req, "GET"))
		return "405 Method Not Allowed";
	if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9))
		return "404 Not Found";
	b.f = open_memstream(&text, &len);
	if (!b.f)
		return "503 Service Unavailable";
	p->render(p->arg, &b);
	bad = ferror(b.f);
	if (fclose(b.f) || bad) {
		free(text);
		return "503 Service Unavailable";
	}
	p->st.requests++;
	client_answer(p, c, "200 OK", "text/plain; version=0.0.4; "
		      "charset=utf-8", text, len);
	free(text);
	return NULL;
}

static void client_read(struct prom *p, struct prom_client *c)
{
	const char *status;
	ssize_t n;

	n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(p, c);
		return;
	}
	c->req_len += (size_t)n;
	c->req[c->req_len] = 0;
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
		status = client_request(p, c);
		if (status)
			client_error(p, c, status);
	} else if (c->req_len == sizeof(c->req) - 1)
		client_error(p, c, "431 Request Header Fields Too Large");
}

static void client_write(struct prom *p, struct prom_client *c)
{
	ssize_t n;

	n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(p, c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len)
		client_close(p, c);
}

static void accept_all(struct prom *p)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct prom_client *c;
	int fd, i;

	for (;;) {
		fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (i = 0; i < PROM_CLIENTS && p->c[i].fd >= 0; i++)
			;
		if (i == PROM_CLIENTS) {
			p->st.rejected++;
			close(fd);
			continue;
		}
		c = &p->c[i];
		c->fd = fd;
		c->req_len = 0;
		c->deadline_s = mono_s() + PROM_CLIENT_TIMEOUT_S;
		ev.data.ptr = c;
		if (epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			c->fd = -1;
		}
	}
}

void prom_poll(struct prom *p)
{
	struct epoll_event ev[PROM_CLIENTS + 1];
	struct prom_client *c;
	int n, i;

	n = epoll_wait(p->ep, ev, PROM_CLIENTS + 1, 0);
	for (i = 0; i < n; i++) {
		c = ev[i].data.ptr;
		if (!c)
			accept_all(p);
		else if (c->fd < 0)
			continue;	/* closed earlier in this round */
		else if (ev[i].events & (EPOLLERR | EPOLLHUP) && !c->out)
			client_close(p, c);
		else if (c->out)
			client_write(p, c);
		else
			client_read(p, c);
	}
}

void prom_tick(struct prom *p)
{
	uint64_t now = mono_s();
	int i;

	for (i = 0; i < PROM_CLIENTS; i++)
		if (p->c[i].fd >= 0 && now >= p->c[i].deadline_s) {
			p->st.timeouts++;
			client_close(p, &p->c[i]);
		}
}

void prom_get_stats(const struct prom *p, struct prom_stats *s)
{
	*s = p->st;
}

void prom_close(struct prom *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < PROM_CLIENTS; i++)
		if (p->c[i].fd >= 0)
			client_close(p, &p->c[i]);
	close(p->ep);
	close(p->lfd);
	free(p);
}
