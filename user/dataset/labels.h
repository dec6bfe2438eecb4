/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a window's label comes from, in the order looked up:
 *
 *  1. flow labels keyed by the bidirectional 5-tuple, optionally for one
 *     capture file only (matched by base name): from a labels CSV
 *
 *	capture,proto,addr_a,port_a,addr_b,port_b,label
 *	skype.pcap,UDP,192.168.2.20,49282,104.46.40.49,60642,voip
 *
 *     (a header line names the columns; capture is optional, other
 *     columns are ignored; '#' starts a comment line), or from nDPI
 *     result files (ndpiReader's per-flow lines; only "Confidence: DPI"
 *     lines count; the category goes through the category map; the
 *     capture is the result file's name less ".out");
 *  2. rules on the input file's path, PATTERN=LABEL with fnmatch(3)
 *     patterns, the first that matches wins (ISCX-style datasets name
 *     the application in the file name).
 *
 * Every entry remembers whether it matched a window, so entries that
 * match nothing can be reported with their file and line.
 */
#ifndef _FLOWPIC_USER_LABELS_H
#define _FLOWPIC_USER_LABELS_H

#include <stddef.h>
#include <stdio.h>

#include "flowpic.h"

#define LABEL_NAME_MAX		63
#define LABEL_OTHER		"other"

struct labels;

struct labels *labels_new(void);
void labels_free(struct labels *l);

/*
 * The nDPI category -> class map. The default is the table of the
 * datasets' README (voip, video, file-transfer, chat, browsing; the rest
 * "other"). A map file holds lines "class: Category, Category" or
 * Markdown table rows "| class | Category, Category |"; text in
 * parentheses is a comment. In a file named *.md only table rows count,
 * so the README itself is a map file. Names compare without case, and a map name
 * "Long-Name-Parts" also matches nDPI's short name "Long". One
 * parenthesis is not a comment: "Cloud (file sync)" maps only the file
 * synchronisation applications of nDPI's Cloud category (Dropbox, Google
 * Drive, OneDrive...; not the cloud platforms, AWS or Azure, that serve
 * everything).
 */
int labels_map_load(struct labels *l, const char *path, char *err,
		    size_t errlen);
/*
 * The class of a flow of nDPI category @category and protocol @proto
 * ("TLS.GoogleDrive", or NULL): LABEL_OTHER when unmapped.
 */
const char *labels_map_class(const struct labels *l, const char *category,
			     const char *proto);
/* Writes the map as "class: Category, ..." lines. */
void labels_map_print(const struct labels *l, FILE *f);

/* A labels CSV. 0, or -1 with the file and line in @err. */
int labels_load_csv(struct labels *l, const char *path, char *err,
		    size_t errlen);
/*
 * An nDPI result file. 0, or -1 with the file and line in @err. Flow
 * lines whose endpoints cannot be read are skipped and counted (see
 * labels_skipped()).
 */
int labels_load_ndpi(struct labels *l, const char *path, char *err,
		     size_t errlen);
/* One rule "PATTERN=LABEL"; @where names it in messages. */
int labels_add_rule(struct labels *l, const char *rule, const char *where,
		    char *err, size_t errlen);
/* A file of rules, one per line, '#' comments. */
int labels_load_rules(struct labels *l, const char *path, char *err,
		      size_t errlen);

/*
 * The label of flow @key (canonical; family 0 for sessions) read from
 * input file @source, or NULL. Marks what matched.
 */
const char *labels_lookup(struct labels *l, const char *source,
			  const struct flowpic_key *key);
/* nDPI flow lines skipped so far, and where the first one was. */
const char *labels_skipped(const struct labels *l, size_t *count);
/* Number of flow entries and rules loaded. */
size_t labels_count(const struct labels *l);
/*
 * Prints up to @max entries that matched no window ("FILE:LINE: flow ...
 * matched no window"), returns how many there are.
 */
size_t labels_report_unmatched(const struct labels *l, FILE *f, size_t max);

#endif /* _FLOWPIC_USER_LABELS_H */
