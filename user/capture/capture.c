// SPDX-License-Identifier: GPL-2.0
/*
 * Reading pcap and pcapng files with libpcap, and classic pcap files in
 * memory (a mapped file) directly.
 *
 * libpcap copies every record out of its stream into its own buffer, two
 * fread()s a record. A classic pcap file in memory is a run of 16-byte
 * headers and their bytes, so its ordinary records are read in place: the
 * frame points into the file. Any record that is not ordinary (cut short,
 * longer than the snapshot length, a time field out of range) is handed
 * to libpcap, positioned on it, so what flowpic accepts, truncates and
 * refuses, and every message it gives, stays libpcap's.
 */
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
#define CAPTURE_AHEAD	8192	/* bytes prefetched ahead of the reader */

struct capture {
	pcap_t *pcap;
	char *name;
	int linktype;
	int classic;		/* pcap, not pcapng: records are 16 + caplen */
	char *iobuf;		/* the stream's buffer, freed after it closes */
	void *map;		/* the file, when mapped */
	size_t map_len;
	uint64_t offset;	/* classic: where the next record starts */
	const uint8_t *mem;	/* direct: the whole file */
	uint64_t mem_len;
	int direct;		/* classic 2.4 records read from mem */
	int swapped;		/* direct: the file's byte order is not ours */
	int nano;		/* direct: nanosecond time fields */
	uint32_t snap;		/* classic: libpcap's snapshot length */
	uint64_t prefetched;	/* direct: bytes of mem asked for ahead */
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
	c->snap = (uint32_t)pcap_snapshot(p);
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

/*
 * Classic pcap 2.4 in memory: its records are read in place from now on
 * (libpcap has read the file header and stands at the first record).
 */
static void direct_setup(struct capture *c, const uint8_t *mem, uint64_t len)
{
	uint32_t magic;

	if (!c->classic || len < 24 || pcap_major_version(c->pcap) != 2 ||
	    pcap_minor_version(c->pcap) != 4)
		return;
	memcpy(&magic, mem, sizeof(magic));
	switch (magic) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		c->swapped = 0;
		break;
	case 0xd4c3b2a1:
	case 0x4d3cb2a1:
		c->swapped = 1;
		break;
	default:
		return;		/* the variants with longer record headers */
	}
	if (pcap_is_swapped(c->pcap) != c->swapped)
		return;
	c->nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	c->mem = mem;
	c->mem_len = len;
	c->prefetched = 24 & ~63ULL;
	c->direct = 1;
}

struct capture *capture_open_mem(const void *data, size_t len,
				 const char *name, char *err, size_t errlen)
{
	struct capture *c;
	FILE *fp;

	fp = len ? fmemopen((void *)data, len, "rb") : NULL;
	if (!fp) {
		snprintf(err, errlen, "%s: %s", name,
			 len ? strerror(errno) : "empty file");
		return NULL;
	}
	c = open_stream(fp, NULL, name, err, errlen);
	if (c)
		direct_setup(c, data, len);
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
	 * A regular file is mapped: classic pcap records are then read in
	 * place, and libpcap reads the rest without the kernel copying the
	 * file into stdio's buffer.
	 */
	map = st.st_size > 0 && S_ISREG(st.st_mode) ?
	      mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) :
	      MAP_FAILED;
	if (map != MAP_FAILED) {
		close(fd);
		madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
		c = capture_open_mem(map, (size_t)st.st_size, path, err,
				     errlen);
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

/* The next record through libpcap; where it starts is c->offset. */
static int pcap_record(struct capture *c, struct capture_frame *f)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	FILE *fp;
	off_t pos;
	int rc;

	fp = pcap_file(c->pcap);
	if (c->direct && (!fp || fseeko(fp, (off_t)c->offset, SEEK_SET))) {
		snprintf(c->err, sizeof(c->err),
			 "%s: record %" PRIu64 " at byte offset %" PRIu64 ": cannot seek there",
			 c->name, c->frames + 1, c->offset);
		return -1;
	}
	rc = pcap_next_ex(c->pcap, &h, &data);
	if (rc == 1) {
		c->frames++;
		/*
		 * A record longer than the snapshot length is cut to it and
		 * the rest skipped: then where libpcap stopped is the next
		 * record's start (a pipe cannot tell; counting is all there
		 * is there).
		 */
		pos = fp && (c->direct || (c->classic && h->caplen >= c->snap)) ?
		      ftello(fp) : -1;
		if (pos >= 0)
			c->offset = (uint64_t)pos;
		else
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

int capture_next(struct capture *c, struct capture_frame *f)
{
	uint64_t off = c->offset, left;
	uint32_t v[4];

	if (!c->direct)
		return pcap_record(c, f);
	/*
	 * Each record says where the next one starts, so reading them is a
	 * chain of loads through memory: every cache line up to
	 * CAPTURE_AHEAD bytes on is asked for before it is needed.
	 */
	for (left = off + CAPTURE_AHEAD < c->mem_len ? off + CAPTURE_AHEAD :
		    c->mem_len; c->prefetched < left; c->prefetched += 64)
		__builtin_prefetch(c->mem + c->prefetched);
	left = c->mem_len - off;
	if (left >= 16) {
		memcpy(v, c->mem + off, sizeof(v));
		if (c->swapped) {
			v[0] = __builtin_bswap32(v[0]);
			v[1] = __builtin_bswap32(v[1]);
			v[2] = __builtin_bswap32(v[2]);
			v[3] = __builtin_bswap32(v[3]);
		}
		/*
		 * An ordinary record: whole, within the snapshot length, its
		 * time fields in range (libpcap reads seconds as signed).
		 */
		if (v[2] <= c->snap && v[2] <= left - 16 && v[0] <= INT32_MAX &&
		    v[1] < (c->nano ? 1000000000U : 1000000U)) {
			c->frames++;
			c->offset = off + 16 + v[2];
			f->ts_ns = (__u64)v[0] * 1000000000ULL +
				   (c->nano ? v[1] : (__u64)v[1] * 1000);
			f->data = c->mem + off + 16;
			f->caplen = v[2];
			f->wirelen = v[3];
			return 1;
		}
	} else if (!left) {
		return 0;
	}
	return pcap_record(c, f);
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
