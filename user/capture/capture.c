// SPDX-License-Identifier: GPL-2.0
/* Reading pcap and pcapng files with libpcap. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "capture/packet.h"

#define CAPTURE_IOBUF	(1 << 20)

struct capture {
	pcap_t *pcap;
	char *name;
	int linktype;
	int classic;		/* pcap, not pcapng: records are 16 + caplen */
	char *iobuf;		/* the stream's buffer, freed after it closes */
	void *map;		/* the file, when mapped */
	size_t map_len;
	uint64_t offset;	/* classic: where the next record starts */
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
	c->classic = pcap_major_version(p) == 2;
	c->offset = 24;
	return c;
}

static struct capture *open_stream(FILE *fp, char *iobuf, const char *name,
				   char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct capture *c;
	pcap_t *p;

	p = pcap_fopen_offline_with_tstamp_precision(fp,
			PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!p) {
		fclose(fp);	/* libpcap leaves it open when it refuses it */
		free(iobuf);
		snprintf(err, errlen, "%s: %s", name, perr);
		return NULL;
	}
	c = capture_setup(p, name, err, errlen);	/* closes p on failure */
	if (c)
		c->iobuf = iobuf;
	else
		free(iobuf);
	return c;
}

struct capture *capture_open(const char *path, char *err, size_t errlen)
{
	struct capture *c;
	struct stat st;
	char *iobuf;
	void *map;
	FILE *fp;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	/*
	 * libpcap reads through stdio record by record. Reading the file
	 * through a mapping spares the kernel copying it into stdio's
	 * buffer, the largest cost of reading a capture.
	 */
	map = st.st_size > 0 && S_ISREG(st.st_mode) ?
	      mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) :
	      MAP_FAILED;
	if (map != MAP_FAILED) {
		madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
		fp = fmemopen(map, (size_t)st.st_size, "rb");
		close(fd);
		if (!fp) {
			munmap(map, (size_t)st.st_size);
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
		c = open_stream(fp, NULL, path, err, errlen);
		if (!c) {
			munmap(map, (size_t)st.st_size);
			return NULL;
		}
		c->map = map;
		c->map_len = (size_t)st.st_size;
		return c;
	}
	fp = fdopen(fd, "rb");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	/* not mappable (a pipe): at least no read() every few packets */
	iobuf = malloc(CAPTURE_IOBUF);
	if (iobuf)
		setvbuf(fp, iobuf, _IOFBF, CAPTURE_IOBUF);
	return open_stream(fp, iobuf, path, err, errlen);
}

struct capture *capture_open_stream(FILE *fp, const char *name, char *err,
				    size_t errlen)
{
	return open_stream(fp, NULL, name, err, errlen);
}

int capture_next(struct capture *c, struct capture_frame *f)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	FILE *fp;
	int rc;

	rc = pcap_next_ex(c->pcap, &h, &data);
	if (rc == 1) {
		c->frames++;
		c->offset += 16 + (uint64_t)h->caplen;
		f->ts_ns = (__u64)h->ts.tv_sec * 1000000000ULL +
			   (__u64)h->ts.tv_usec;	/* ns: nano precision */
		f->data = data;
		f->caplen = h->caplen;
		f->wirelen = h->len;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	/*
	 * Where: a pcap record's start is known by counting (no ftell() per
	 * packet, it costs a system call); pcapng blocks vary, so there it is
	 * how far the reader got.
	 */
	fp = pcap_file(c->pcap);
	if (c->classic)
		snprintf(c->err, sizeof(c->err),
			 "%s: record %" PRIu64 " at byte offset %" PRIu64 ": %s",
			 c->name, c->frames + 1, c->offset, pcap_geterr(c->pcap));
	else
		snprintf(c->err, sizeof(c->err),
			 "%s: block of record %" PRIu64 ", read up to byte offset %ld: %s",
			 c->name, c->frames + 1, fp ? ftell(fp) : -1L,
			 pcap_geterr(c->pcap));
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
	free(c->iobuf);
	if (c->map)
		munmap(c->map, c->map_len);
	free(c->name);
	free(c);
}
