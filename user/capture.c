// SPDX-License-Identifier: GPL-2.0
/* Reading pcap and pcapng files with libpcap. */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "packet.h"

struct capture {
	pcap_t *pcap;
	char *name;
	int linktype;
	uint64_t frames;
	char err[PCAP_ERRBUF_SIZE + 256];
};

int capture_sniff(const uint8_t *h, size_t len)
{
	static const uint8_t magic[][4] = {
		{ 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 },
		{ 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d },
		{ 0x0a, 0x0d, 0x0d, 0x0a },
	};
	size_t i;

	if (len < 4)
		return 0;
	for (i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if (!memcmp(h, magic[i], 4))
			return 1;
	return 0;
}

static struct capture *capture_setup(pcap_t *p, const char *name, char *err,
				     size_t errlen)
{
	struct capture *c;
	int lt = pcap_datalink(p);

	if (!packet_link_supported(lt)) {
		const char *ln = pcap_datalink_val_to_name(lt);

		snprintf(err, errlen,
			 "%s: link-layer type %d (%s) is not read by flowpic",
			 name, lt, ln ? ln : "unknown");
		pcap_close(p);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->name = strdup(name);
	if (!c || !c->name) {
		snprintf(err, errlen, "%s: out of memory", name);
		if (c)
			free(c);
		pcap_close(p);
		return NULL;
	}
	c->pcap = p;
	c->linktype = lt;
	return c;
}

struct capture *capture_open(const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	p = pcap_open_offline_with_tstamp_precision(path,
			PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!p) {
		/* libpcap names the file itself when it cannot open it */
		if (!strncmp(perr, path, strlen(path)))
			snprintf(err, errlen, "%s", perr);
		else
			snprintf(err, errlen, "%s: %s", path, perr);
		return NULL;
	}
	return capture_setup(p, path, err, errlen);
}

struct capture *capture_open_stream(FILE *fp, const char *name, char *err,
				    size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	p = pcap_fopen_offline_with_tstamp_precision(fp,
			PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!p) {
		snprintf(err, errlen, "%s: %s", name, perr);
		return NULL;
	}
	return capture_setup(p, name, err, errlen);
}

int capture_next(struct capture *c, struct capture_frame *f)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	FILE *fp = pcap_file(c->pcap);
	long off = fp ? ftell(fp) : -1;
	int rc;

	rc = pcap_next_ex(c->pcap, &h, &data);
	if (rc == 1) {
		c->frames++;
		f->ts_ns = (__u64)h->ts.tv_sec * 1000000000ULL +
			   (__u64)h->ts.tv_usec;	/* ns: nano precision */
		f->data = data;
		f->caplen = h->caplen;
		f->wirelen = h->len;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	snprintf(c->err, sizeof(c->err),
		 "%s: record %" PRIu64 " at byte offset %ld: %s", c->name,
		 c->frames + 1, off, pcap_geterr(c->pcap));
	return -1;
}

const char *capture_error(const struct capture *c)
{
	return c->err;
}

int capture_linktype(const struct capture *c)
{
	return c->linktype;
}

uint64_t capture_frames(const struct capture *c)
{
	return c->frames;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	pcap_close(c->pcap);
	free(c->name);
	free(c);
}
