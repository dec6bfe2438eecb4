#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""lab-split: one capture per lab session, so that held-out files are
held-out sessions.

    lab-split.py RUN.pcap RUN.labels.csv OUTDIR

A tests/lab run is one capture of every session side by side; each
session ran from its own client address (docs/lab.md), and every flow of
it carries that address (through the VPN: its tunnel). This writes
OUTDIR/RUN-<client>.pcap per client address that has a labelled flow,
and OUTDIR/labels.csv, the run's labels with the capture column pointing
at those files. flowpic's split by file then holds out whole sessions
(whole application runs), never windows of one flow on both sides.
Packets of unlabelled flows are dropped. Reads classic pcap (as tcpdump
writes), Ethernet or Linux cooked.
"""
import csv
import ipaddress
import os
import struct
import sys


def main():
    pcap, labels, out = sys.argv[1:4]
    run = os.path.basename(pcap)[:-len(".pcap")]
    os.makedirs(out, exist_ok=True)
    rows, clients = [], set()
    with open(labels) as f:
        for r in csv.DictReader(f):
            rows.append(r)
            clients.add(r["addr_a"])
    files = {}
    with open(pcap, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
        link = struct.unpack(end + "I", hdr[20:24])[0]
        while True:
            ph = f.read(16)
            if len(ph) < 16:
                break
            incl = struct.unpack(end + "IIII", ph)[2]
            data = f.read(incl)
            if link == 1:
                et, off = struct.unpack(">H", data[12:14])[0], 14
                if et == 0x8100:
                    et, off = struct.unpack(">H", data[16:18])[0], 18
            elif link == 113:
                et, off = struct.unpack(">H", data[14:16])[0], 16
            else:
                continue
            ip = data[off:]
            if et == 0x0800 and len(ip) >= 20:
                a, b = ip[12:16], ip[16:20]
            elif et == 0x86dd and len(ip) >= 40:
                a, b = ip[8:24], ip[24:40]
            else:
                continue
            for x in (a, b):
                c = str(ipaddress.ip_address(x))
                if c in clients:
                    break
            else:
                continue
            w = files.get(c)
            if w is None:
                w = files[c] = open(os.path.join(out, "%s-%s.pcap" %
                                                 (run, c)), "wb")
                w.write(hdr)
            w.write(ph)
            w.write(data)
    for w in files.values():
        w.close()
    new = not os.path.exists(os.path.join(out, "labels.csv"))
    with open(os.path.join(out, "labels.csv"), "a", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        if new:
            w.writerow(["capture", "proto", "addr_a", "port_a", "addr_b",
                        "port_b", "label", "app"])
        for r in rows:
            w.writerow(["%s-%s.pcap" % (run, r["addr_a"]), r["proto"],
                        r["addr_a"], r["port_a"], r["addr_b"], r["port_b"],
                        r["label"], r["app"]])
    print("lab-split: %s: %d sessions" % (run, len(files)))


if __name__ == "__main__":
    main()
