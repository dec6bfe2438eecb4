// SPDX-License-Identifier: GPL-2.0
/*
 * gso_split: a capture as the wire carries it.
 *
 *   gso_split MTU IN.pcap OUT.pcap
 *
 * A capture taken on a device with TSO/GSO/GRO holds TCP packets longer
 * than the MTU, which the wire carries as segments: each is cut into
 * segments of MTU minus its IP and TCP headers of payload (the stack's
 * gso_size), the last holding the remainder, headers copied and IP
 * lengths set, at the same timestamp. A capture cut short (tcpdump -s)
 * works as long as it holds the headers: each segment keeps what was
 * captured of its payload and the length it had on the wire. Everything
 * else is copied. Prints
 * how many packets were cut into how many segments. Ethernet, IPv4
 * without options' surprises and IPv6 without extension headers: what
 * datapath_gso.sh sends.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h, oh;
	const unsigned char *d;
	unsigned char seg[2048];
	unsigned long cut = 0, segs = 0;
	pcap_dumper_t *out;
	pcap_t *in;
	int mtu;

	if (argc != 4 || (mtu = atoi(argv[1])) < 576 || mtu > 1900) {
		fprintf(stderr, "usage: gso_split MTU IN.pcap OUT.pcap\n");
		return 2;
	}
	in = pcap_open_offline(argv[2], errbuf);
	if (!in) {
		fprintf(stderr, "gso_split: %s\n", errbuf);
		return 1;
	}
	out = pcap_dump_open(in, argv[3]);
	if (!out) {
		fprintf(stderr, "gso_split: %s\n", pcap_geterr(in));
		return 1;
	}
	while (pcap_next_ex(in, &h, &d) == 1) {
		unsigned int v4, iphl, iplen, thl, hdr, pay, gso, off, n, got;

		if (h->caplen < 14 + 40)
			goto copy;
		v4 = d[12] == 0x08 && d[13] == 0x00;
		if (v4 && d[14 + 9] == 6) {
			iphl = (d[14] & 15) * 4;
			iplen = d[16] << 8 | d[17];
		} else if (d[12] == 0x86 && d[13] == 0xdd && d[14 + 6] == 6) {
			iphl = 40;
			iplen = 40 + (d[18] << 8 | d[19]);
		} else {
			goto copy;
		}
		if (iplen <= (unsigned int)mtu || 14 + iplen > h->len ||
		    14 + iphl + 20 > h->caplen)
			goto copy;
		thl = (d[14 + iphl + 12] >> 4) * 4;
		hdr = iphl + thl;
		if (14 + hdr > h->caplen)
			goto copy;
		pay = iplen - hdr;
		gso = mtu - hdr;
		cut++;
		for (off = 0; off < pay; off += gso) {
			n = pay - off < gso ? pay - off : gso;
			/* what the capture holds of this segment's payload */
			got = h->caplen - 14 - hdr > off ?
			      h->caplen - 14 - hdr - off : 0;
			got = got < n ? got : n;
			memcpy(seg, d, 14 + hdr);
			memcpy(seg + 14 + hdr, d + 14 + hdr + off, got);
			if (v4) {
				seg[16] = (hdr + n) >> 8;
				seg[17] = (hdr + n) & 0xff;
			} else {
				seg[18] = (hdr + n - 40) >> 8;
				seg[19] = (hdr + n - 40) & 0xff;
			}
			oh = *h;
			oh.caplen = 14 + hdr + got;
			oh.len = 14 + hdr + n;
			pcap_dump((unsigned char *)out, &oh, seg);
			segs++;
		}
		continue;
copy:
		pcap_dump((unsigned char *)out, h, d);
	}
	pcap_dump_close(out);
	pcap_close(in);
	printf("%lu %lu\n", cut, segs);
	return 0;
}
