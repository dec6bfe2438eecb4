// SPDX-License-Identifier: GPL-2.0
/* Reading per-packet session CSV files, plain or gzip, through zlib. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "capture/session_csv.h"

#define BUF_SIZE	(64 * 1024)

enum { EXPECT_SESSION, EXPECT_HEADER, EXPECT_PACKET };

struct session_csv {
	gzFile gz;
	char *name;
	int state;
	int eof;
	uint64_t line;
	uint64_t sessions;
	uint64_t packets;
	size_t pos, len;
	char session[SESSION_CSV_LINE_MAX];
	char err[SESSION_CSV_LINE_MAX + 512];
	char buf[BUF_SIZE];
};

static struct session_csv *session_csv_setup(gzFile gz, const char *name,
					     char *err, size_t errlen)
{
	struct session_csv *r;

	if (!gz) {
		snprintf(err, errlen, "%s: %s", name,
			 errno ? strerror(errno) : "cannot open");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r)
		r->name = strdup(name);
	if (!r || !r->name) {
		snprintf(err, errlen, "%s: out of memory", name);
		free(r);
		gzclose(gz);
		return NULL;
	}
	gzbuffer(gz, 128 * 1024);
	r->gz = gz;
	return r;
}

struct session_csv *session_csv_open(const char *path, char *err,
				     size_t errlen)
{
	errno = 0;
	if (!strcmp(path, "-"))
		return session_csv_open_fd(dup(0), "<stdin>", err, errlen);
	return session_csv_setup(gzopen(path, "rb"), path, err, errlen);
}

struct session_csv *session_csv_open_fd(int fd, const char *name, char *err,
					size_t errlen)
{
	gzFile gz;

	errno = 0;
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return NULL;
	}
	gz = gzdopen(fd, "rb");
	if (!gz)
		close(fd);
	return session_csv_setup(gz, name, err, errlen);
}

__attribute__((format(printf, 2, 3)))
static int fail(struct session_csv *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err), "%s: line %" PRIu64 ": %s", r->name,
		 r->line, msg);
	return -1;
}

/* The next line (without its newline) in *line, or 0 at the end. */
static int read_line(struct session_csv *r, char **line, size_t *len)
{
	char *nl;
	int n, gzerr;

	for (;;) {
		nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		if (nl) {
			*line = r->buf + r->pos;
			*len = (size_t)(nl - *line);
			r->pos += *len + 1;
			break;
		}
		if (r->len - r->pos > SESSION_CSV_LINE_MAX) {
			r->line++;
			return fail(r, "line longer than %d bytes",
				    SESSION_CSV_LINE_MAX);
		}
		if (r->eof) {
			if (r->pos == r->len)
				return 0;
			/* a last line without its newline */
			*line = r->buf + r->pos;
			*len = r->len - r->pos;
			r->pos = r->len;
			break;
		}
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
		n = gzread(r->gz, r->buf + r->len, BUF_SIZE - r->len);
		gzerr = Z_OK;
		if (n <= 0)
			gzerror(r->gz, &gzerr);
		if (n < 0 || gzerr != Z_OK) {
			const char *m = gzerror(r->gz, &gzerr), *c;

			/* zlib names a gzdopen()ed file "<fd:N>": ours is better */
			if (!strncmp(m, "<fd:", 4) && (c = strstr(m, ": ")))
				m = c + 2;

			r->line++;
			return fail(r, "%s (%s after %" PRIu64 " complete lines)",
				    gzerr == Z_ERRNO ? strerror(errno) : m,
				    gzerr == Z_BUF_ERROR ? "input ends" :
				    "read fails", r->line - 1);
		}
		if (n == 0)
			r->eof = 1;
		r->len += (size_t)n;
	}
	r->line++;
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	return 1;
}

/* A decimal integer filling [s, s + len), at most @max in magnitude. */
static int parse_int(const char *s, size_t len, __s64 max, __s64 *out)
{
	__s64 v = 0;
	size_t i = 0;
	int neg = 0;

	if (len && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return -1;
	}
	*out = neg ? -v : v;
	return 0;
}

static int parse_packet(struct session_csv *r, char *line, size_t len,
			struct session_csv_event *ev)
{
	char *comma = memchr(line, ',', len);
	size_t tl, ll;
	__s64 t, l;

	if (!comma)
		return fail(r, "expected \"TIME_US,LENGTH\", found no comma");
	tl = (size_t)(comma - line);
	ll = len - tl - 1;
	if (parse_int(line, tl, SESSION_CSV_TIME_MAX_US, &t) || t < 0)
		return fail(r, "time \"%.*s\" is not a whole number of microseconds from 0 to %lld",
			    (int)(tl > 40 ? 40 : tl), line,
			    (long long)SESSION_CSV_TIME_MAX_US);
	if (parse_int(comma + 1, ll, 65535, &l) || !l)
		return fail(r, "length \"%.*s\" is not a non-zero whole number of bytes within +-65535",
			    (int)(ll > 40 ? 40 : ll), comma + 1);
	ev->type = SESSION_CSV_PACKET;
	ev->t_us = t;
	ev->size = (__u32)(l < 0 ? -l : l);
	ev->dir = l < 0 ? FLOWPIC_DIR_HI_TO_LO : FLOWPIC_DIR_LO_TO_HI;
	ev->line = r->line;
	r->packets++;
	return 1;
}

int session_csv_next(struct session_csv *r, struct session_csv_event *ev)
{
	static const char header[] = "rel_ts_us,len";
	char *line = NULL;
	size_t len = 0;
	int rc;

	if (r->err[0])
		return -1;
	for (;;) {
		rc = read_line(r, &line, &len);
		if (rc <= 0) {
			if (!rc && r->state == EXPECT_HEADER)
				return fail(r, "file ends before session \"%s\"'s header line", r->session);
			if (!rc && !r->sessions) {
				r->line++;
				return fail(r, "no session in the file");
			}
			return rc;
		}
		if (!len)
			continue;
		if (memchr(line, 0, len))
			return fail(r, "NUL byte in a text line");
		if (len > 8 && !memcmp(line, "session,", 8)) {
			if (r->state == EXPECT_HEADER)
				return fail(r, "session line where session \"%s\"'s header \"%s\" belongs",
					    r->session, header);
			memcpy(r->session, line + 8, len - 8);
			r->session[len - 8] = 0;
			r->state = EXPECT_HEADER;
			r->sessions++;
			ev->type = SESSION_CSV_START;
			ev->name = r->session;
			ev->line = r->line;
			return 1;
		}
		switch (r->state) {
		case EXPECT_SESSION:
			return fail(r, "expected \"session,<name>\" before any packet");
		case EXPECT_HEADER:
			if (len != sizeof(header) - 1 ||
			    memcmp(line, header, len))
				return fail(r, "expected the header \"%s\"", header);
			r->state = EXPECT_PACKET;
			continue;
		default:
			return parse_packet(r, line, len, ev);
		}
	}
}

const char *session_csv_error(const struct session_csv *r)
{
	return r->err;
}

uint64_t session_csv_sessions(const struct session_csv *r)
{
	return r->sessions;
}

uint64_t session_csv_packets(const struct session_csv *r)
{
	return r->packets;
}

void session_csv_close(struct session_csv *r)
{
	if (!r)
		return;
	gzclose(r->gz);
	free(r->name);
	free(r);
}
