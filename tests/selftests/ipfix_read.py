#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reads an IPFIX stream (RFC 7011: a TCP session's bytes, or a file of
messages) and prints one line per data record, field=value, written from
the RFCs alone, apart from libfixbuf, which encodes flowpicd's records.

Enterprise-specific fields are named and typed by the RFC 5610
information element type records in the same stream (a field no such
record describes prints as PEN/ID=hex). Usage: ipfix_read.py FILE
"""
import struct
import sys

# The IANA elements flowpicd sends: id -> (name, type).
IANA = {
    1: ("octetDeltaCount", "unsigned"), 2: ("packetDeltaCount", "unsigned"),
    4: ("protocolIdentifier", "unsigned"), 7: ("sourceTransportPort", "unsigned"),
    8: ("sourceIPv4Address", "ipv4"), 11: ("destinationTransportPort", "unsigned"),
    12: ("destinationIPv4Address", "ipv4"), 27: ("sourceIPv6Address", "ipv6"),
    28: ("destinationIPv6Address", "ipv6"), 94: ("applicationDescription", "string"),
    95: ("applicationId", "octets"), 96: ("applicationName", "string"),
    136: ("flowEndReason", "unsigned"), 149: ("observationDomainId", "unsigned"),
    152: ("flowStartMilliseconds", "unsigned"), 153: ("flowEndMilliseconds", "unsigned"),
}
# RFC 5610 informationElementDataType values used here.
RFC5610_TYPES = {0: "octets", 1: "unsigned", 2: "unsigned", 3: "unsigned",
                 4: "unsigned", 13: "string"}
REVERSE_PEN = 29305  # RFC 5103


def value(kind, raw):
    if kind == "unsigned":
        return str(int.from_bytes(raw, "big"))
    if kind == "ipv4":
        return ".".join(str(b) for b in raw)
    if kind == "ipv6":
        return ":".join(raw[i:i + 2].hex() for i in range(0, 16, 2))
    if kind == "string":
        return raw.rstrip(b"\0").decode()
    return raw.hex()


def main(path):
    data = open(path, "rb").read()
    templates = {}   # tid -> (scope count, [(pen, id, length)])
    pen_names = {}   # (pen, id) -> (name, type), from RFC 5610 records
    off = 0
    while off + 16 <= len(data):
        version, length = struct.unpack_from(">HH", data, off)
        if version != 10 or length < 16 or off + length > len(data):
            sys.exit(f"{path}: byte {off}: not an IPFIX message header")
        end, pos = off + length, off + 16
        while pos + 4 <= end:
            sid, slen = struct.unpack_from(">HH", data, pos)
            if slen < 4 or pos + slen > end:
                sys.exit(f"{path}: byte {pos}: set length {slen}")
            body, pos = data[pos + 4:pos + slen], pos + slen
            if sid in (2, 3):
                p = 0
                while p + 4 <= len(body):
                    tid, count = struct.unpack_from(">HH", body, p)
                    p += 4
                    scope = 0
                    if sid == 3:
                        scope, = struct.unpack_from(">H", body, p)
                        p += 2
                    fields = []
                    for _ in range(count):
                        fid, flen = struct.unpack_from(">HH", body, p)
                        p += 4
                        pen = 0
                        if fid & 0x8000:
                            pen, = struct.unpack_from(">I", body, p)
                            p += 4
                        fields.append((pen, fid & 0x7fff, flen))
                    templates[tid] = (scope, fields)
                    if len(body) - p < 4:
                        break
                continue
            if sid not in templates:
                continue
            scope, fields = templates[sid]
            p = 0
            while True:
                rec, q = [], p
                for pen, fid, flen in fields:
                    if flen == 0xffff:
                        if q >= len(body):
                            break
                        flen = body[q]
                        q += 1
                        if flen == 255:
                            flen, = struct.unpack_from(">H", body, q)
                            q += 2
                    if q + flen > len(body):
                        break
                    rec.append((pen, fid, body[q:q + flen]))
                    q += flen
                if len(rec) < len(fields):
                    break
                p = q
                ids = {(pen, fid): raw for pen, fid, raw in rec}
                # An RFC 5610 type record: learn, do not print.
                if (0, 303) in ids and (0, 346) in ids:
                    key = (int.from_bytes(ids[(0, 346)], "big"),
                           int.from_bytes(ids[(0, 303)], "big"))
                    kind = RFC5610_TYPES.get(
                        int.from_bytes(ids.get((0, 339), b"\0"), "big"), "octets")
                    pen_names[key] = (ids[(0, 341)].rstrip(b"\0").decode(), kind)
                    continue
                out = [f"tid={sid}"]
                for pen, fid, raw in rec:
                    if pen == 0:
                        name, kind = IANA.get(fid, (f"ie{fid}", "octets"))
                    elif pen == REVERSE_PEN and fid in IANA:
                        name = "reverse" + IANA[fid][0][0].upper() + IANA[fid][0][1:]
                        kind = IANA[fid][1]
                    elif (pen, fid) in pen_names:
                        name, kind = pen_names[(pen, fid)]
                    else:
                        name, kind = f"{pen}/{fid}", "octets"
                    out.append(f"{name}={value(kind, raw)}")
                print(" ".join(out))
        off = end
    if off != len(data):
        sys.exit(f"{path}: {len(data) - off} bytes after the last message")


if __name__ == "__main__":
    main(sys.argv[1])
