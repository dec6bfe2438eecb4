// SPDX-License-Identifier: GPL-2.0
/*
 * Labels: flow labels from CSV and nDPI result files, the nDPI category
 * map, file-name rules, and the lookup that joins them to windows.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "capture/flow_key.h"
#include "dataset/labels.h"

#define LINE_MAX_LEN	65536	/* nDPI result lines run long */
#define COLS_MAX	32

struct label_entry {
	struct flowpic_key key;
	uint32_t capture;	/* name id of the capture's base name; 0: any */
	uint32_t label;		/* name id */
	uint32_t file;		/* name id of the file it came from */
	uint32_t line;
	uint32_t hash;
	uint8_t matched;
};

struct label_rule {
	uint32_t pattern;
	uint32_t label;
	uint32_t file;
	uint32_t line;
	uint8_t matched;
};

struct map_entry {
	uint32_t category;
	uint32_t cls;
	uint8_t file_sync;	/* only the FILE_SYNC_APPS of the category */
};

struct labels {
	struct label_entry *e;
	size_t n, cap;
	uint32_t *slot;		/* entry index + 1 */
	size_t mask;

	struct label_rule *rules;
	size_t nrules;

	struct map_entry *map;
	size_t nmap;

	char **names;		/* interned strings; id 0 is "" */
	size_t nnames;

	char last_source[4096];		/* lookup cache: the last source */
	uint32_t last_capture;

	size_t skipped;			/* nDPI lines not understood */
	char first_skipped[512];
};

static const char *const default_map[][2] = {
	{ "voip", "VoIP" },
	{ "video", "Video" }, { "video", "Media" }, { "video", "Streaming" },
	{ "video", "Music" },
	{ "file-transfer", "Download-FileTransfer-P2P" },
	{ "file-transfer", "Cloud (file sync)" },
	{ "chat", "Chat" },
	{ "browsing", "Web" },
};

/*
 * "Cloud (file sync)": of nDPI's Cloud category (which also holds the
 * cloud platforms that serve everything: AWS, Azure, AliCloud...), only
 * the applications that synchronise files. An application is the last
 * dotted part of nDPI's protocol name ("TLS.GoogleDrive").
 */
static const char *const file_sync_apps[] = {
	"Dropbox", "GoogleDrive", "MS_OneDrive", "OneDrive", "YandexDisk",
	"UbuntuONE", "iCloudPrivateRelay", "AppleiCloud", "Box", "MEGA",
	"Syncthing", "pCloud", "NextCloud",
};

static int file_sync_app(const char *proto)
{
	const char *app = proto ? strrchr(proto, '.') : NULL;
	size_t i;

	if (!proto)
		return 0;
	app = app ? app + 1 : proto;
	for (i = 0; i < sizeof(file_sync_apps) / sizeof(file_sync_apps[0]); i++)
		if (!strcasecmp(app, file_sync_apps[i]))
			return 1;
	return 0;
}

/* --- strings ------------------------------------------------------------- */

static uint32_t intern(struct labels *l, const char *s)
{
	char **nn;
	size_t i;

	for (i = 0; i < l->nnames; i++)
		if (!strcmp(l->names[i], s))
			return (uint32_t)i;
	nn = realloc(l->names, (l->nnames + 1) * sizeof(*nn));
	if (!nn)
		return UINT32_MAX;
	l->names = nn;
	nn[l->nnames] = strdup(s);
	if (!nn[l->nnames])
		return UINT32_MAX;
	return (uint32_t)l->nnames++;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* Class names go into dataset files and PNG captions: keep them plain. */
static int label_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > LABEL_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]) || s[i] == ',')
			return 0;
	return 1;
}

__attribute__((format(printf, 5, 6)))
static int fail(char *err, size_t errlen, const char *file, size_t line,
		const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(err, errlen, "%s: line %zu: %s", file, line, msg);
	else
		snprintf(err, errlen, "%s: %s", file, msg);
	return -1;
}

/* Reads the next line of @f into @buf; -1 at the end, -2 if too long. */
static int next_line(FILE *f, char *buf, size_t len, size_t *lineno)
{
	size_t n;

	if (!fgets(buf, (int)len, f))
		return -1;
	(*lineno)++;
	n = strlen(buf);
	if (n == len - 1 && buf[n - 1] != '\n' && !feof(f))
		return -2;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	return (int)(n > INT32_MAX ? INT32_MAX : n);
}

/* --- the table ----------------------------------------------------------- */

static int map_add_line(struct labels *l, char *cls, char *cats,
			const char *file, size_t line, char *err,
			size_t errlen);

struct labels *labels_new(void)
{
	struct labels *l = calloc(1, sizeof(*l));
	size_t i;

	if (!l)
		return NULL;
	if (intern(l, "") != 0)
		goto err;
	for (i = 0; i < sizeof(default_map) / sizeof(default_map[0]); i++) {
		char cls[64], cat[64], err[128];

		snprintf(cls, sizeof(cls), "%s", default_map[i][0]);
		snprintf(cat, sizeof(cat), "%s", default_map[i][1]);
		if (map_add_line(l, cls, cat, "built-in map", i + 1, err,
				 sizeof(err)))
			goto err;
	}
	return l;
err:
	labels_free(l);
	return NULL;
}

void labels_free(struct labels *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->e);
	free(l->slot);
	free(l->rules);
	free(l->map);
	free(l);
}

static struct label_entry *entry_find(const struct labels *l,
				      const struct flowpic_key *k,
				      uint32_t capture, uint32_t h)
{
	size_t i;

	if (!l->slot)
		return NULL;
	for (i = h & l->mask; l->slot[i]; i = (i + 1) & l->mask) {
		struct label_entry *e = &l->e[l->slot[i] - 1];

		if (e->hash == h && e->capture == capture &&
		    !memcmp(&e->key, k, sizeof(*k)))
			return e;
	}
	return NULL;
}

static int slots_rebuild(struct labels *l, size_t nslots)
{
	uint32_t *s = calloc(nslots, sizeof(*s));
	size_t i, j;

	if (!s)
		return -ENOMEM;
	free(l->slot);
	l->slot = s;
	l->mask = nslots - 1;
	for (i = 0; i < l->n; i++) {
		for (j = l->e[i].hash & l->mask; s[j]; j = (j + 1) & l->mask)
			;
		s[j] = (uint32_t)i + 1;
	}
	return 0;
}

/*
 * Adds one flow label. A second label for the same flow is an error
 * unless it agrees with the first.
 */
static int entry_add(struct labels *l, const struct flowpic_key *k,
		     const char *capture, const char *label, const char *file,
		     size_t line, char *err, size_t errlen)
{
	uint32_t cap_id = capture && *capture ? intern(l, base_name(capture)) : 0;
	uint32_t lab = intern(l, label), fid = intern(l, file), h;
	struct label_entry *e;
	char text[FLOW_KEY_TEXT_MAX];

	if (cap_id == UINT32_MAX || lab == UINT32_MAX || fid == UINT32_MAX)
		return fail(err, errlen, file, line, "out of memory");
	h = flow_key_hash(k, cap_id);
	e = entry_find(l, k, cap_id, h);
	if (e) {
		if (e->label == lab)
			return 0;
		flow_key_format(k, text, sizeof(text));
		return fail(err, errlen, file, line,
			    "flow %s is labelled '%s' here but '%s' at %s line %u",
			    text, label, l->names[e->label],
			    l->names[e->file], e->line);
	}
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		struct label_entry *ne = realloc(l->e, nc * sizeof(*ne));

		if (!ne)
			return fail(err, errlen, file, line, "out of memory");
		l->e = ne;
		l->cap = nc;
	}
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->capture = cap_id;
	e->label = lab;
	e->file = fid;
	e->line = (uint32_t)line;
	e->hash = h;
	if (!l->slot || l->n * 2 > l->mask + 1) {
		/* the rebuild places the new entry too */
		if (slots_rebuild(l, l->slot ? (l->mask + 1) * 2 : 1024))
			return fail(err, errlen, file, line, "out of memory");
	} else {
		size_t j;

		for (j = h & l->mask; l->slot[j]; j = (j + 1) & l->mask)
			;
		l->slot[j] = (uint32_t)l->n;
	}
	return 0;
}

/* --- category map ---------------------------------------------------------- */

static int map_add_line(struct labels *l, char *cls, char *cats,
			const char *file, size_t line, char *err, size_t errlen)
{
	char *cat, *save = NULL, *paren;
	uint32_t cid;

	cls = trim(cls);
	if (!label_name_ok(cls))
		return fail(err, errlen, file, line,
			    "class '%s' is not a name (1..%d printable characters, no commas)",
			    cls, LABEL_NAME_MAX);
	cid = intern(l, cls);
	for (cat = strtok_r(cats, ",", &save); cat;
	     cat = strtok_r(NULL, ",", &save)) {
		struct map_entry *m;

		int sync = 0;

		paren = strchr(cat, '(');	/* "Cloud (file sync)" */
		if (paren) {
			char *close = strchr(paren, ')');

			if (close)
				*close = 0;
			sync = !strcasecmp(trim(paren + 1), "file sync");
			*paren = 0;
		}
		cat = trim(cat);
		if (!*cat)
			return fail(err, errlen, file, line,
				    "empty category name for class '%s'", cls);
		m = realloc(l->map, (l->nmap + 1) * sizeof(*m));
		if (!m)
			return fail(err, errlen, file, line, "out of memory");
		l->map = m;
		m[l->nmap].cls = cid;
		m[l->nmap].category = intern(l, cat);
		m[l->nmap].file_sync = (uint8_t)sync;
		l->nmap++;
	}
	return 0;
}

int labels_map_load(struct labels *l, const char *path, char *err,
		    size_t errlen)
{
	size_t line = 0, n = strlen(path), before = l->nmap;
	int md = n > 3 && !strcmp(path + n - 3, ".md");
	char buf[4096], *s, *c;
	FILE *f = fopen(path, "r");
	int rc;

	if (!f)
		return fail(err, errlen, path, 0, "%s", strerror(errno));
	l->nmap = 0;
	while ((rc = next_line(f, buf, sizeof(buf), &line)) != -1) {
		if (rc == -2) {
			fclose(f);
			return fail(err, errlen, path, line, "line too long");
		}
		s = trim(buf);
		if (!*s || *s == '#')
			continue;
		if (*s == '|') {
			/* | class | Category, Category | */
			char *cells[4] = { 0 };
			int k = 0;

			for (c = strtok(s + 1, "|"); c && k < 4;
			     c = strtok(NULL, "|"))
				cells[k++] = c;
			if (k != 2) {
				fclose(f);
				return fail(err, errlen, path, line,
					    "table row has %d cells, not 2 (class | categories)", k);
			}
			cells[0] = trim(cells[0]);
			if (!strcasecmp(cells[0], "class") ||
			    strspn(cells[0], "-: ") == strlen(cells[0]))
				continue;	/* header or separator row */
			if (map_add_line(l, cells[0], cells[1], path, line,
					 err, errlen)) {
				fclose(f);
				return -1;
			}
			continue;
		}
		c = md ? NULL : strchr(s, ':');
		if (c && c > s && strcspn(s, " \t") > (size_t)(c - s)) {
			*c = 0;
			if (map_add_line(l, s, c + 1, path, line, err, errlen)) {
				fclose(f);
				return -1;
			}
			continue;
		}
		if (md)
			continue;	/* prose around a Markdown table */
		fclose(f);
		return fail(err, errlen, path, line,
			    "expected 'class: Category, ...' or '| class | Category, ... |'");
	}
	fclose(f);
	if (!l->nmap) {
		l->nmap = before;
		return fail(err, errlen, path, 0, "no class mapping in the file");
	}
	return 0;
}

/* A map name matches nDPI's name, or begins with it and a '-'. */
static int category_match(const char *map, const char *cat)
{
	size_t n = strlen(cat);

	return !strcasecmp(map, cat) ||
	       (n && !strncasecmp(map, cat, n) && map[n] == '-');
}

const char *labels_map_class(const struct labels *l, const char *category,
			     const char *proto)
{
	size_t i;

	for (i = 0; i < l->nmap; i++)
		if (category_match(l->names[l->map[i].category], category) &&
		    (!l->map[i].file_sync || file_sync_app(proto)))
			return l->names[l->map[i].cls];
	return LABEL_OTHER;
}

void labels_map_print(const struct labels *l, FILE *f)
{
	size_t i, j;

	for (i = 0; i < l->nmap; i++) {
		for (j = 0; j < i; j++)
			if (l->map[j].cls == l->map[i].cls)
				break;
		if (j < i)
			continue;
		fprintf(f, "%s:", l->names[l->map[i].cls]);
		for (j = i; j < l->nmap; j++)
			if (l->map[j].cls == l->map[i].cls)
				fprintf(f, "%s %s%s", j == i ? "" : ",",
					l->names[l->map[j].category],
					l->map[j].file_sync ? " (file sync)" : "");
		fputc('\n', f);
	}
}

/* --- labels CSV ----------------------------------------------------------- */

static int split_csv(char *s, char **cols, int max)
{
	int n = 0;

	for (;;) {
		if (n == max)
			return -1;
		cols[n++] = s;
		s = strchr(s, ',');
		if (!s)
			return n;
		*s++ = 0;
	}
}

int labels_load_csv(struct labels *l, const char *path, char *err,
		    size_t errlen)
{
	static const char *const want[] = {
		"capture", "proto", "addr_a", "port_a", "addr_b", "port_b",
		"label",
	};
	int idx[7] = { -1, -1, -1, -1, -1, -1, -1 }, ncols = 0, n, i, j, rc;
	char *buf = malloc(LINE_MAX_LEN), *cols[COLS_MAX], *s;
	size_t line = 0, added = 0;
	struct flowpic_key k;
	FILE *f;

	if (!buf)
		return fail(err, errlen, path, 0, "out of memory");
	f = fopen(path, "r");
	if (!f) {
		free(buf);
		return fail(err, errlen, path, 0, "%s", strerror(errno));
	}
	while ((rc = next_line(f, buf, LINE_MAX_LEN, &line)) != -1) {
		if (rc == -2) {
			fail(err, errlen, path, line, "line too long");
			goto err;
		}
		s = trim(buf);
		if (!*s || *s == '#')
			continue;
		n = split_csv(s, cols, COLS_MAX);
		if (n < 0) {
			fail(err, errlen, path, line, "more than %d columns", COLS_MAX);
			goto err;
		}
		for (i = 0; i < n; i++)
			cols[i] = trim(cols[i]);
		if (!ncols) {
			/* the header names the columns */
			for (i = 0; i < n; i++)
				for (j = 0; j < 7; j++)
					if (!strcmp(cols[i], want[j]))
						idx[j] = i;
			for (j = 1; j < 7; j++)
				if (idx[j] < 0) {
					fail(err, errlen, path, line,
					     "header lacks column '%s' (needs proto,addr_a,port_a,addr_b,port_b,label; capture optional)",
					     want[j]);
					goto err;
				}
			ncols = n;
			continue;
		}
		if (n != ncols) {
			fail(err, errlen, path, line,
			     "%d columns where the header has %d", n, ncols);
			goto err;
		}
		if (flow_key_build(&k, cols[idx[1]], cols[idx[2]], cols[idx[3]],
				   cols[idx[4]], cols[idx[5]])) {
			fail(err, errlen, path, line,
			     "not a TCP/UDP flow: proto '%s', '%s' port '%s', '%s' port '%s'",
			     cols[idx[1]], cols[idx[2]], cols[idx[3]],
			     cols[idx[4]], cols[idx[5]]);
			goto err;
		}
		if (!label_name_ok(cols[idx[6]])) {
			fail(err, errlen, path, line,
			     "label '%s' is not a name (1..%d printable characters)",
			     cols[idx[6]], LABEL_NAME_MAX);
			goto err;
		}
		if (entry_add(l, &k, idx[0] >= 0 ? cols[idx[0]] : NULL,
			      cols[idx[6]], path, line, err, errlen))
			goto err;
		added++;
	}
	if (ferror(f)) {
		fail(err, errlen, path, line, "read error");
		goto err;
	}
	fclose(f);
	free(buf);
	if (!ncols)
		return fail(err, errlen, path, 0, "no header line: empty labels file");
	return 0;
err:
	fclose(f);
	free(buf);
	return -1;
}

/* --- nDPI result files ----------------------------------------------------- */

/* "1.2.3.4:80" or "[2001:db8::1]:443" into address and port strings. */
static int split_endpoint(char *s, char **addr, char **port)
{
	char *c = strrchr(s, ':');

	if (!c || c == s)
		return -1;
	*c = 0;
	*addr = s;
	*port = c + 1;
	return 0;
}

/* The text of "[name: text]" in @line, copied to @out. */
static int bracket_field(const char *line, const char *name, char *out,
			 size_t len)
{
	const char *s = strstr(line, name), *e;

	if (!s)
		return -1;
	s += strlen(name);
	e = strchr(s, ']');
	if (!e || (size_t)(e - s) >= len)
		return -1;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = 0;
	return 0;
}

int labels_load_ndpi(struct labels *l, const char *path, char *err,
		     size_t errlen)
{
	char *buf = malloc(LINE_MAX_LEN), *s, *tok[5], *save, *aa, *pa, *ab, *pb;
	char capture[4096], conf[64], cat[128], proto[128], *slash, *app;
	size_t line = 0, n = strlen(base_name(path));
	struct flowpic_key k;
	FILE *f;
	int rc, i;

	if (!buf)
		return fail(err, errlen, path, 0, "out of memory");
	snprintf(capture, sizeof(capture), "%s", base_name(path));
	if (n > 4 && !strcmp(capture + n - 4, ".out"))
		capture[n - 4] = 0;
	f = fopen(path, "r");
	if (!f) {
		free(buf);
		return fail(err, errlen, path, 0, "%s", strerror(errno));
	}
	while ((rc = next_line(f, buf, LINE_MAX_LEN, &line)) != -1) {
		if (rc == -2) {
			fail(err, errlen, path, line, "line too long");
			goto err;
		}
		/* flow lines: "\t<n>\t<PROTO> <a>:<p> <-> <b>:<p> [...]..." */
		s = buf;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!isdigit((unsigned char)*s))
			continue;
		s += strspn(s, "0123456789");
		if (*s != '\t' && *s != ' ')
			continue;
		s += strspn(s, " \t");
		if (strncmp(s, "TCP ", 4) && strncmp(s, "UDP ", 4))
			continue;	/* other protocols have no FlowPic */
		if (bracket_field(s, "[Confidence: ", conf, sizeof(conf)) ||
		    strcmp(conf, "DPI"))
			continue;	/* only DPI verdicts are trusted */
		if (bracket_field(s, "[cat: ", cat, sizeof(cat))) {
			fail(err, errlen, path, line, "DPI flow line without a [cat: ...] field");
			goto err;
		}
		slash = strchr(cat, '/');
		if (slash)
			*slash = 0;
		/* "[proto: 91.178/TLS.AmazonAWS]": the application's name */
		if (bracket_field(s, "[proto: ", proto, sizeof(proto)))
			proto[0] = 0;
		app = strchr(proto, '/');
		app = app ? app + 1 : proto;
		save = NULL;
		for (i = 0; i < 4; i++) {
			tok[i] = strtok_r(i ? NULL : s, " ", &save);
			if (!tok[i])
				break;
		}
		if (i < 4 || (strcmp(tok[2], "->") && strcmp(tok[2], "<->")) ||
		    split_endpoint(tok[1], &aa, &pa) ||
		    split_endpoint(tok[3], &ab, &pb) ||
		    flow_key_build(&k, tok[0], aa, pa, ab, pb)) {
			/*
			 * ndpiReader sometimes prints an impossible IPv6
			 * address ("2600:1901::7a0b::"): that flow cannot be
			 * joined to packets, so it is skipped and reported.
			 */
			if (!l->skipped++)
				fail(l->first_skipped, sizeof(l->first_skipped),
				     path, line,
				     "not 'PROTO ADDR:PORT <-> ADDR:PORT' after the flow number");
			continue;
		}
		if (entry_add(l, &k, capture, labels_map_class(l, cat, app),
			      path, line, err, errlen))
			goto err;
	}
	fclose(f);
	free(buf);
	return 0;
err:
	fclose(f);
	free(buf);
	return -1;
}

/* --- file-name rules -------------------------------------------------------- */

int labels_add_rule(struct labels *l, const char *rule, const char *where,
		    char *err, size_t errlen)
{
	const char *eq = strrchr(rule, '=');
	struct label_rule *r;
	char pat[4096];

	if (!eq || eq == rule || (size_t)(eq - rule) >= sizeof(pat))
		return fail(err, errlen, where, 0,
			    "rule '%s' is not PATTERN=LABEL", rule);
	if (!label_name_ok(eq + 1))
		return fail(err, errlen, where, 0,
			    "rule '%s': label '%s' is not a name", rule, eq + 1);
	memcpy(pat, rule, (size_t)(eq - rule));
	pat[eq - rule] = 0;
	r = realloc(l->rules, (l->nrules + 1) * sizeof(*r));
	if (!r)
		return fail(err, errlen, where, 0, "out of memory");
	l->rules = r;
	r = &r[l->nrules];
	memset(r, 0, sizeof(*r));
	r->pattern = intern(l, pat);
	r->label = intern(l, eq + 1);
	r->file = intern(l, where);
	if (r->pattern == UINT32_MAX || r->label == UINT32_MAX ||
	    r->file == UINT32_MAX)
		return fail(err, errlen, where, 0, "out of memory");
	l->nrules++;
	return 0;
}

int labels_load_rules(struct labels *l, const char *path, char *err,
		      size_t errlen)
{
	char buf[4096], where[4200], *s;
	size_t line = 0;
	FILE *f = fopen(path, "r");
	int rc;

	if (!f)
		return fail(err, errlen, path, 0, "%s", strerror(errno));
	while ((rc = next_line(f, buf, sizeof(buf), &line)) != -1) {
		if (rc == -2) {
			fclose(f);
			return fail(err, errlen, path, line, "line too long");
		}
		s = trim(buf);
		if (!*s || *s == '#')
			continue;
		snprintf(where, sizeof(where), "%s: line %zu", path, line);
		if (labels_add_rule(l, s, where, err, errlen)) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/* --- lookup ----------------------------------------------------------------- */

const char *labels_lookup(struct labels *l, const char *source,
			  const struct flowpic_key *key)
{
	struct label_entry *e = NULL;
	size_t i;

	if (l->n && key->family) {
		if (strcmp(source, l->last_source)) {
			const char *b = base_name(source);

			l->last_capture = 0;
			for (i = 1; i < l->nnames; i++)
				if (!strcmp(l->names[i], b)) {
					l->last_capture = (uint32_t)i;
					break;
				}
			snprintf(l->last_source, sizeof(l->last_source), "%s",
				 source);
		}
		if (l->last_capture)
			e = entry_find(l, key, l->last_capture,
				       flow_key_hash(key, l->last_capture));
		if (!e)
			e = entry_find(l, key, 0, flow_key_hash(key, 0));
		if (e) {
			e->matched = 1;
			return l->names[e->label];
		}
	}
	for (i = 0; i < l->nrules; i++) {
		struct label_rule *r = &l->rules[i];

		if (!fnmatch(l->names[r->pattern], source, 0)) {
			r->matched = 1;
			return l->names[r->label];
		}
	}
	return NULL;
}

const char *labels_skipped(const struct labels *l, size_t *count)
{
	*count = l->skipped;
	return l->first_skipped;
}

size_t labels_count(const struct labels *l)
{
	return l->n + l->nrules;
}

size_t labels_report_unmatched(const struct labels *l, FILE *f, size_t max)
{
	char text[FLOW_KEY_TEXT_MAX];
	size_t i, count = 0;

	for (i = 0; i < l->n; i++) {
		const struct label_entry *e = &l->e[i];

		if (e->matched)
			continue;
		if (count++ < max) {
			flow_key_format(&e->key, text, sizeof(text));
			fprintf(f, "%s: line %u: flow %s%s%s (label '%s') matched no window\n",
				l->names[e->file], e->line, text,
				e->capture ? " in " : "",
				e->capture ? l->names[e->capture] : "",
				l->names[e->label]);
		}
	}
	for (i = 0; i < l->nrules; i++) {
		const struct label_rule *r = &l->rules[i];

		if (r->matched)
			continue;
		if (count++ < max)
			fprintf(f, "%s: rule '%s=%s' matched no input file\n",
				l->names[r->file], l->names[r->pattern],
				l->names[r->label]);
	}
	return count;
}
