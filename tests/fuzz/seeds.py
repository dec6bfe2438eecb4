#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
Writes the seed corpus of flowpic's fuzz targets into DIR/<target>/:
frames of every link type, small pcap and pcapng files, session CSVs
(plain and gzip), label files of each kind and dataset files. The dataset
seeds are written from docs/dataset-format.md by this script, not by
flowpic, so the reader is also checked against the documented layout.
Documentation addresses only (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32).

usage: seeds.py DIR
"""
import gzip
import os
import struct
import sys
import zlib


def ipv4(proto, payload, src=b'\xc0\x00\x02\x01', dst=b'\xc6\x33\x64\x07',
         frag=0, ident=1, options=b''):
    ihl = 5 + len(options) // 4
    tot = ihl * 4 + len(payload)
    return struct.pack('>BBHHHBBH4s4s', 0x40 | ihl, 0, tot, ident, frag, 64,
                       proto, 0, src, dst) + options + payload


def ipv6(nxt, payload, ext=b''):
    src = bytes.fromhex('20010db8000000000000000000000001')
    dst = bytes.fromhex('20010db8000000000000000000000002')
    return struct.pack('>IHBB', 0x60000000, len(ext) + len(payload), nxt,
                       64) + src + dst + ext + payload


def tcp(sport, dport, flags=0x18, data=b'x' * 20):
    return struct.pack('>HHIIBBHHH', sport, dport, 1, 1, 0x50, flags, 1024,
                       0, 0) + data


def udp(sport, dport, data=b'y' * 30):
    return struct.pack('>HHHH', sport, dport, 8 + len(data), 0) + data


def eth(payload, etype=0x0800, tags=()):
    h = b'\x02' * 6 + b'\x04' * 6
    for tpid in tags:
        h += struct.pack('>HH', tpid, 7)
    return h + struct.pack('>H', etype) + payload


def frames():
    """(linktype, frame) pairs covering every reader path."""
    t = tcp(443, 51234)
    u = udp(53000, 443)
    hbh = bytes([60, 0]) + b'\x01\x04\0\0\0\0'      # hop-by-hop -> dst opts
    dst = bytes([44, 0]) + b'\x01\x04\0\0\0\0'      # dst opts -> fragment
    frag = bytes([17, 0, 0, 1]) + b'\0\0\0\x2a'     # first fragment, M=1
    return [
        (1, eth(ipv4(6, t))),
        (1, eth(ipv4(6, tcp(51234, 443, 0x11))) + b'\0' * 6),  # FIN, padded
        (1, eth(ipv4(17, u), tags=(0x88a8, 0x8100))),
        (1, eth(ipv6(0, u, hbh + dst + frag), etype=0x86dd)),
        (1, eth(ipv4(17, u, frag=0x2000, ident=9))),
        (1, eth(ipv4(17, b'z' * 16, frag=0x0003, ident=9))),
        (1, eth(ipv4(6, t, options=b'\x01\x01\x01\x00'))),
        (1, eth(ipv4(1, b'\x08\0' + b'\0' * 6))),
        (1, eth(b'\0' * 28, etype=0x0806)),
        (101, ipv4(6, t)),
        (101, ipv6(17, u)),
        (113, struct.pack('>HHH8sH', 0, 1, 6, b'\x02' * 8, 0x0800) + ipv4(17, u)),
        (276, struct.pack('>HHIHBB8s', 0x86dd, 0, 2, 1, 0, 6, b'\x02' * 8) + ipv6(6, t)),
        (0, struct.pack('<I', 2) + ipv4(6, t)),
        (0, struct.pack('<I', 30) + ipv6(17, u)),
        (9, b'\xff\x03\x00\x21' + ipv4(17, u)),
        (104, b'\x0f\x00\x08\x00' + ipv4(6, t)),
        (228, ipv4(17, u)),
        (229, ipv6(6, t)),
    ]


LINK_INDEX = {0: 0, 1: 1, 9: 2, 101: 3, 12: 4, 104: 5, 108: 6, 113: 7,
              228: 8, 229: 9, 276: 10}


def pcap(lt, frames, nano=False, big=False):
    e = '>' if big else '<'
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    out = struct.pack(e + 'IHHiIII', magic, 2, 4, 0, 0, 65535, lt)
    for i, f in enumerate(frames):
        sec, frac = 1700000000 + i * 7, (i * 123457) % (10**9 if nano else 10**6)
        out += struct.pack(e + 'IIII', sec, frac, len(f), len(f)) + f
    return out


def pcapng(lt, frames):
    def block(btype, body):
        body += b'\0' * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack('<II', btype, n) + body + struct.pack('<I', n)
    out = block(0x0a0d0d0a, struct.pack('<IHHq', 0x1a2b3c4d, 1, 0, -1))
    # tsresol 10^-9
    opts = struct.pack('<HH', 9, 1) + b'\x09\0\0\0' + struct.pack('<HH', 0, 0)
    out += block(1, struct.pack('<HHI', lt, 0, 65535) + opts)
    for i, f in enumerate(frames):
        ts = (1700000000 + i * 5) * 10**9 + i * 999
        out += block(6, struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff,
                                    len(f), len(f)) + f)
    return out


def sessions():
    lines = ['session,a', 'rel_ts_us,len']
    t = 0
    for i in range(60):
        t += (i * 7919) % 400000
        lines.append('%d,%d' % (t, (-1) ** i * (40 + (i * 97) % 1700)))
    lines += ['session,b', 'rel_ts_us,len', '0,66', '15000000,-1500',
              '14999999,1400']
    return ('\n'.join(lines) + '\n').encode()


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def record(rtype, payload):
    head = bytes([rtype]) + struct.pack('<I', len(payload))
    return head + payload + struct.pack('<I', zlib.crc32(head + payload))


def dataset(series):
    """A two-sample dataset file, as docs/dataset-format.md lays it out."""
    n, window = 32, 15 * 10**9
    out = b'FLOWPICD' + struct.pack('<HHI', 1, 32, 1 if series else 0)
    out += struct.pack('<QHHB3x', window, n, 1500, 1)
    strings = [(1, 1, b'capture.pcap'), (2, 2, b'video'), (3, 3, b'')]
    for sid, kind, s in strings[:2]:
        out += record(ord('S'), struct.pack('<IB', sid, kind) + s)
    key = bytes(10) + b'\xff\xff' + bytes([192, 0, 2, 1]) + bytes(10) + \
        b'\xff\xff' + bytes([198, 51, 100, 7]) + struct.pack('>HH', 443, 51234) + \
        bytes([6, 4, 0, 0])
    for w in range(2):
        pkts = [(1000 + 3 * 10**9 * i, 60 + 500 * i, i & 1) for i in range(4)]
        cells = sorted({(min(s, 1499) * n // 1500) * n + t * n // window
                        for t, s, d in pkts})
        body = struct.pack('<III', 1, 2, 0) + key
        body += struct.pack('<IQIIQQB', w, w * window, 2, 2, 620, 1120, 1)
        body += struct.pack('<I', len(cells))
        prev = -1
        for c in cells:
            body += varint(c - prev - 1) + b'\x01'
            prev = c
        if series:
            body += struct.pack('<I', len(pkts))
            t0 = 0
            for t, s, d in pkts:
                dt = t - t0
                body += varint((dt << 1) ^ (dt >> 63)) + varint(s << 1 | d)
                t0 = t
        out += record(ord('W'), body)
    return out + record(ord('E'), struct.pack('<Q', 2))


def main():
    root = sys.argv[1]

    def put(target, name, data):
        os.makedirs(os.path.join(root, target), exist_ok=True)
        with open(os.path.join(root, target, name), 'wb') as f:
            f.write(data)

    fr = frames()
    for i, (lt, f) in enumerate(fr):
        put('fuzz_packet', 'frame%02d' % i, bytes([LINK_INDEX[lt]]) + f)
    eth_frames = [f for lt, f in fr if lt == 1]
    put('fuzz_capture', 'eth.pcap', pcap(1, eth_frames))
    put('fuzz_capture', 'eth-nano-be.pcap', pcap(1, eth_frames, True, True))
    put('fuzz_capture', 'raw.pcapng', pcapng(101, [f for lt, f in fr if lt == 101]))
    put('fuzz_capture', 'sll2.pcap', pcap(276, [f for lt, f in fr if lt == 276]))
    put('fuzz_capture', 'truncated.pcap', pcap(1, eth_frames)[:-9])
    s = sessions()
    put('fuzz_session_csv', 'plain.csv', s)
    put('fuzz_session_csv', 'gzip.csv.gz', gzip.compress(s))
    put('fuzz_session_csv', 'cut.csv.gz', gzip.compress(s)[:-12])
    put('fuzz_labels', 'labels.csv', b'\0# c\ncapture,proto,addr_a,port_a,addr_b,'
        b'port_b,label\nx.pcap,TCP,192.0.2.1,443,198.51.100.7,51234,video\n'
        b',UDP,[2001:db8::1],53000,2001:db8::2,443,voip\n')
    put('fuzz_labels', 'ndpi.out', b'\x01\t1\tUDP 192.0.2.20:49282 <-> '
        b'198.51.100.49:60642 [proto: 78.38/STUN.Skype_TeamsCall]'
        b'[Confidence: DPI][FPC: 1, Confidence: DPI][cat: VoIP/10][133 pkts]\n'
        b'\t2\tTCP [2001:db8::1]:443 -> [2001:db8::2]:5000 [Confidence: DPI]'
        b'[cat: Download/7]\n')
    put('fuzz_labels', 'map.md', b'\x02| class | nDPI categories |\n| --- | --- |\n'
        b'| voip | VoIP |\n| file-transfer | Download-FileTransfer-P2P, Cloud (file sync) |\n')
    put('fuzz_labels', 'rules', b'\x03*/Youtube/*=youtube\n# x\n*.pcap=other\n')
    put('fuzz_dataset', 'series.fpd', dataset(True))
    put('fuzz_dataset', 'plain.fpd', dataset(False))


if __name__ == '__main__':
    main()
