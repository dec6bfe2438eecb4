#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
An independent FlowPic oracle for flowpic's tests: reads pcap, pcapng and
session CSV (plain or gzip) with the Python standard library only, and
prints what `flowpic pictures` must print, one window per line:

    PROTO LO:PORT <-> HI:PORT w=INDEX p=PACKETS CELL:COUNT ...
    SESSION NAME w=INDEX p=PACKETS CELL:COUNT ...

It shares no code with flowpic: it is written from the rules in
include/flowpic_geom.h, include/flowpic_key.h and user/flow/flow_table.h, so a
mistake has to be made twice to go unnoticed. Lines come out sorted;
compare with sorted `flowpic pictures` output.

usage: oracle_pictures.py [--n N] [--window-ns NS] [--channels C]
                          [--min-packets K] [--idle-ns NS] [--gap-cap-ns NS]
                          [--stats] FILE...
"""
import argparse
import gzip
import heapq
import ipaddress
import struct
import sys

MAX_SIZE = 1500


class Geometry:
    def __init__(self, n, window_ns, channels):
        self.n, self.window_ns, self.channels = n, window_ns, channels

    def cell(self, size, dt, ch):
        """Cell index of a packet, None when past the window."""
        if dt >= self.window_ns:
            return None
        col = max(dt, 0) * self.n // self.window_ns
        row = self.n - 1 if size >= MAX_SIZE else size * self.n // MAX_SIZE
        return (ch * self.n + row) * self.n + col


class Flows:
    """Bidirectional flows, windows tiling each from its first packet."""

    def __init__(self, geom, min_packets, idle_ns, gap_cap_ns, out, stats):
        self.g, self.min_packets = geom, min_packets
        self.idle, self.cap = idle_ns, gap_cap_ns
        self.flows, self.out, self.stats = {}, out, stats
        self.heap, self.seq = [], 0

    def close(self, name, f):
        pkts = f['pkts']
        if not pkts:
            return
        if len(pkts) < self.min_packets:
            self.stats['windows_short'] += 1
        else:
            cells = {}
            for t, size, d in pkts:
                c = self.g.cell(size, t, d if self.g.channels == 2 else 0)
                cells[c] = min(cells.get(c, 0) + 1, 255)
            text = ' '.join('%d:%d' % (c, cells[c]) for c in sorted(cells))
            self.out.append('%s w=%d p=%d%s' % (name, f['win'], len(pkts),
                                               ' ' + text if text else ''))
            self.stats['windows'] += 1
        f['pkts'] = []

    def end(self, name):
        f = self.flows.pop(name, None)
        if f:
            self.close(name, f)

    def packet(self, name, ts, size, d, flags, proto, init=None):
        # two channels hold roles: 0 from the side that sent the flow's
        # first packet (or init, when the caller knows the client)
        # every flow idle at this packet's time ends first
        while self.idle and self.heap and ts - self.heap[0][0] > self.idle:
            last, seq, old = heapq.heappop(self.heap)
            g = self.flows.get(old)
            if g and g['seq'] == seq:
                self.end(old)
        f = self.flows.get(name)
        if f:
            gap = ts - f['last']
            if self.idle and gap > self.idle:
                self.end(name)
                f = None
            elif self.cap and gap > self.cap:
                f['shift'] += gap - self.cap
            elif self.cap and gap < -self.cap:
                f['shift'] += gap
        if not f:
            f = {'first': ts, 'shift': 0, 'win': 0, 'pkts': [], 'fin': 0,
                 'init': d if init is None else init}
            self.flows[name] = f
            self.stats['flows'] += 1
        f['last'] = ts
        self.seq += 1
        f['seq'] = self.seq
        if self.idle:
            heapq.heappush(self.heap, (ts, self.seq, name))
        ft = ts - f['first'] - f['shift']
        w = ft // self.g.window_ns if ft > 0 else 0
        if w > f['win']:
            self.close(name, f)
            f['win'] = w
        f['pkts'].append((ft - f['win'] * self.g.window_ns, size,
                          d ^ f['init']))
        if proto != 6:
            return
        if flags & 4:
            self.end(name)
        elif flags & 1:
            f['fin'] |= 1 << d
            if f['fin'] == 3:
                self.end(name)

    def flush(self):
        for name in list(self.flows):
            self.end(name)


def key_text(proto, src, sport, dst, dport):
    """Canonical text and the packet's direction."""
    a, b = (src, sport), (dst, dport)
    d = 0
    if (int.from_bytes(src, 'big'), sport) > (int.from_bytes(dst, 'big'),
                                              dport):
        a, b, d = b, a, 1

    def ep(addr, port):
        ip = ipaddress.ip_address(addr)
        if ip.version == 6 and ip.ipv4_mapped is not None and \
                len(addr) == 16 and addr[:12] == b'\0' * 10 + b'\xff\xff':
            return '%s:%d' % (ip.ipv4_mapped, port)
        return ('[%s]:%d' if ip.version == 6 else '%s:%d') % (ip, port)
    return '%s %s <-> %s' % ({6: 'TCP', 17: 'UDP'}[proto], ep(*a), ep(*b)), d


def v4mapped(a):
    return b'\0' * 10 + b'\xff\xff' + a


class Parser:
    """Frames to (key text, dir, size, tcp flags), with fragment memory."""

    def __init__(self, stats):
        self.stats = stats
        self.frags = {}

    def l4(self, proto, src, dst, data, ts, frag, fid):
        if proto not in (6, 17):
            return 'not_tcp_udp'
        if frag == 'later':
            k = (src, dst, proto, fid)
            hit = self.frags.get(k)
            if hit and ts <= hit[2]:
                return hit[0], hit[1], 0
            return 'fragment'
        if proto == 6:
            if len(data) < 20 or data[12] >> 4 < 5:
                return 'malformed'
            flags = data[13] & 7
        else:
            if len(data) < 8:
                return 'malformed'
            flags = 0
        sport, dport = struct.unpack('>HH', data[:4])
        name, d = key_text(proto, src, sport, dst, dport)
        if frag == 'first':
            # one slot per hash in flowpic; collisions are rare in tests
            self.frags[(src, dst, proto, fid)] = (name, d, ts + 30 * 10**9)
        return name, d, flags

    def ipv4(self, ip, wire, ts):
        if len(ip) < 20 or ip[0] >> 4 != 4:
            return 'malformed', 0
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack('>H', ip[2:4])[0]
        if ihl < 20 or tot < ihl or tot > wire or len(ip) < ihl:
            return 'malformed', 0
        fid = struct.unpack('>H', ip[4:6])[0]
        off = struct.unpack('>H', ip[6:8])[0]
        frag = 'later' if off & 0x1fff else 'first' if off & 0x2000 else None
        r = self.l4(ip[9], v4mapped(ip[12:16]), v4mapped(ip[16:20]),
                    ip[ihl:tot], ts, frag, fid)
        return r, tot

    def ipv6(self, ip, wire, ts):
        if len(ip) < 40 or ip[0] >> 4 != 6:
            return 'malformed', 0
        tot = 40 + struct.unpack('>H', ip[4:6])[0]
        if tot > wire:
            return 'malformed', 0
        ip = ip[:tot]
        nxt, off, frag, fid = ip[6], 40, None, 0
        for hops in range(9):
            if nxt in (0, 43, 60, 135, 139, 140, 51, 44):
                if len(ip) < off + 8:
                    return 'malformed', 0
                if nxt == 51:
                    ln = (ip[off + 1] + 2) * 4
                elif nxt == 44:
                    ln = 8
                    fid = struct.unpack('>I', ip[off + 4:off + 8])[0]
                    fo = struct.unpack('>H', ip[off + 2:off + 4])[0]
                    if fo & 0xfff8:
                        frag = 'later'
                    elif ip[off + 3] & 1:
                        frag = 'first'
                else:
                    ln = (ip[off + 1] + 1) * 8
                if hops == 8 or len(ip) < off + ln:
                    return 'malformed', 0
                nxt = ip[off]
                off += ln
                if frag == 'later':
                    break
                continue
            break
        if frag == 'later':
            if nxt not in (6, 17):
                return 'not_tcp_udp', 0
        return self.l4(nxt, ip[8:24], ip[24:40], ip[off:], ts, frag,
                       fid), tot

    def frame(self, lt, data, wire, ts):
        """Result tuple, or a counter name."""
        wire = max(wire, len(data))
        off, v = 0, None
        if lt == 1:
            off = 12
            for tags in range(5):
                if len(data) < off + 2:
                    return 'malformed', 0
                et = struct.unpack('>H', data[off:off + 2])[0]
                off += 2
                if et not in (0x8100, 0x88a8, 0x9100):
                    break
                if tags == 4:
                    return 'malformed', 0
                off += 2
            if et == 0x8864:
                if len(data) < off + 8:
                    return 'malformed', 0
                pp = struct.unpack('>H', data[off + 6:off + 8])[0]
                v = {0x21: 4, 0x57: 6}.get(pp)
                off += 8
            else:
                v = {0x800: 4, 0x86dd: 6}.get(et)
        elif lt == 101:
            v = 0
        elif lt in (228, 229):
            v = 4 if lt == 228 else 6
        elif lt in (0, 108):
            if len(data) < 4:
                return 'malformed', 0
            fams = {2: 4, 10: 6, 24: 6, 28: 6, 30: 6}
            af = struct.unpack('>I', data[:4])[0]
            v = fams.get(af, fams.get(struct.unpack('<I', data[:4])[0]))
            off = 4
        elif lt == 113:
            if len(data) < 16:
                return 'malformed', 0
            v = {0x800: 4, 0x86dd: 6}.get(struct.unpack('>H', data[14:16])[0])
            off = 16
        elif lt == 276:
            if len(data) < 20:
                return 'malformed', 0
            v = {0x800: 4, 0x86dd: 6}.get(struct.unpack('>H', data[0:2])[0])
            off = 20
        elif lt == 9 and len(data) >= 4 and data[0] in (0x0f, 0x8f):
            v = {0x800: 4, 0x86dd: 6}.get(struct.unpack('>H', data[2:4])[0])
            off = 4
        elif lt == 9:
            if data[:2] == b'\xff\x03':
                off = 2
            if len(data) < off + 2:
                return 'malformed', 0
            v = {0x21: 4, 0x57: 6}.get(struct.unpack('>H', data[off:off + 2])[0])
            off += 2
        elif lt == 104:
            if len(data) < 4:
                return 'malformed', 0
            v = {0x800: 4, 0x86dd: 6}.get(struct.unpack('>H', data[2:4])[0])
            off = 4
        if v is None:
            return 'not_ip', 0
        if len(data) <= off:
            return 'malformed', 0
        if v == 0:
            v = data[off] >> 4
        if v == 4:
            return self.ipv4(data[off:], wire - off, ts)
        if v == 6:
            return self.ipv6(data[off:], wire - off, ts)
        return 'not_ip', 0


def pcap_frames(b):
    """(linktype, data, wirelen, ts_ns) of a pcap or pcapng file."""
    magic = b[:4]
    if magic == b'\x0a\x0d\x0d\x0a':
        yield from pcapng_frames(b)
        return
    e = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
    lt = struct.unpack(e + 'I', b[20:24])[0] & 0x03ffffff
    pos = 24
    while pos + 16 <= len(b):
        sec, frac, cap, wire = struct.unpack(e + 'IIII', b[pos:pos + 16])
        pos += 16
        yield lt, b[pos:pos + cap], wire, sec * 10**9 + frac * (1 if nano else 1000)
        pos += cap


def pcapng_frames(b):
    pos, e, ifs = 0, '<', []
    while pos + 12 <= len(b):
        btype = struct.unpack(e + 'I', b[pos:pos + 4])[0]
        if btype == 0x0a0d0d0a:
            e = '<' if b[pos + 8:pos + 12] == b'\x4d\x3c\x2b\x1a' else '>'
            ifs = []
        blen = struct.unpack(e + 'I', b[pos + 4:pos + 8])[0]
        body = b[pos + 8:pos + blen - 4]
        if btype == 1:
            lt = struct.unpack(e + 'H', body[0:2])[0]
            res, offs, o = 10**6, 0, 8
            while o + 4 <= len(body):
                code, ln = struct.unpack(e + 'HH', body[o:o + 4])
                if code == 0:
                    break
                val = body[o + 4:o + 4 + ln]
                if code == 9:
                    r = val[0]
                    res = 2 ** (r & 0x7f) if r & 0x80 else 10 ** r
                elif code == 14:
                    offs = struct.unpack(e + 'q', val[:8])[0]
                o += 4 + ((ln + 3) & ~3)
            ifs.append((lt, res, offs))
        elif btype == 6:
            iid, hi, lo, cap, wire = struct.unpack(e + 'IIIII', body[:20])
            lt, res, offs = ifs[iid]
            ts = hi << 32 | lo
            ns = (ts // res) * 10**9 + (ts % res) * 10**9 // res + offs * 10**9
            yield lt, body[20:20 + cap], wire, ns
        elif btype == 3:
            wire = struct.unpack(e + 'I', body[:4])[0]
            lt, res, offs = ifs[0]
            yield lt, body[4:4 + min(wire, len(body) - 4)], wire, 0
        pos += blen


def run_capture(path, flows, parser, stats):
    with open(path, 'rb') as f:
        b = f.read()
    for lt, data, wire, ts in pcap_frames(b):
        stats['frames'] += 1
        stats['packets'] += 1
        r, size = parser.frame(lt, data, wire, ts)
        if isinstance(r, str):
            stats[{'fragment': 'fragments_unattributed'}.get(r, r)] += 1
            continue
        name, d, flags = r
        proto = 6 if name.startswith('TCP') else 17
        flows.packet(name, ts, size, d, flags, proto)
    flows.flush()


def run_sessions(path, flows, stats):
    with open(path, 'rb') as f:
        b = f.read()
    if b[:2] == b'\x1f\x8b':
        b = gzip.decompress(b)
    name = None
    for line in b.decode().splitlines():
        if line.startswith('session,'):
            if name:
                flows.end(name)
            name = 'SESSION ' + line[8:]
            stats['sessions'] += 1
            continue
        if not line or line == 'rel_ts_us,len':
            continue
        t, ln = line.split(',')
        t, ln = int(t), int(ln)
        stats['packets'] += 1
        flows.packet(name, t * 1000, abs(ln), 1 if ln < 0 else 0, 0, 17, 0)
    if name:
        flows.end(name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=32)
    ap.add_argument('--window-ns', type=int, default=None)
    ap.add_argument('--channels', type=int, default=1)
    ap.add_argument('--min-packets', type=int, default=1)
    ap.add_argument('--idle-ns', type=int, default=120 * 10**9)
    ap.add_argument('--gap-cap-ns', type=int, default=120 * 10**9)
    ap.add_argument('--stats', action='store_true')
    ap.add_argument('files', nargs='+')
    a = ap.parse_args()
    w = a.window_ns or (15 if a.n <= 64 else 60) * 10**9
    stats = dict.fromkeys(('frames', 'sessions', 'packets', 'not_ip',
                           'not_tcp_udp', 'malformed',
                           'fragments_unattributed', 'flows', 'windows',
                           'windows_short'), 0)
    out = []
    for path in a.files:
        flows = Flows(Geometry(a.n, w, a.channels), a.min_packets, a.idle_ns,
                      a.gap_cap_ns, out, stats)
        with open(path, 'rb') as f:
            head = f.read(4)
        if head in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\x4d\x3c\xb2\xa1',
                    b'\xa1\xb2\x3c\x4d', b'\x0a\x0d\x0d\x0a'):
            run_capture(path, flows, Parser(stats), stats)
        else:
            run_sessions(path, flows, stats)
    for line in sorted(out):
        print(line)
    if a.stats:
        for k, v in stats.items():
            print(k, v, file=sys.stderr)


if __name__ == '__main__':
    main()
