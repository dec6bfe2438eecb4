#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""flows: the labels of a lab capture, by construction.

    flows.py PLAN.json SESSIONS.tsv CAPTURE.pcap LABELS.csv FLOWS.json

Every session of the plan ran from its own client address (lab.sh sets
the route's source address, or binds the program to it, before it starts
the session's program), so a flow of the capture belongs to the session
whose client address it carries and within whose run time (from
SESSIONS.tsv: id, start and end in epoch seconds, exit code) its first
packet falls. Its label is that session's class, its app the session's
application and mode. Through the VPN the capture sees only the tunnel,
whose outer 5-tuple is the session's. No packet content is looked at.

Writes flowpic's labels CSV (capture,proto,addr_a,port_a,addr_b,port_b,
label,app; the client side first) and, for the manifest, every flow with
its session, first and last packet times, packets and bytes per
direction; flows no session claims are counted as unlabelled.
"""
import csv
import ipaddress
import json
import os
import struct
import sys

CLIENT_NET = ipaddress.ip_network("192.0.2.0/24")
GRACE_BEFORE, GRACE_AFTER = 1.0, 5.0
# flowpic dataset's defaults: a flow is in the CSV when one of its 15 s
# windows (from its first packet) has 10 packets; the manifest has all.
WINDOW_S, MIN_PACKETS = 15.0, 10


def packets(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            end = "<"
        else:
            end = ">"
        nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
        link = struct.unpack(end + "I", hdr[20:24])[0]
        while True:
            ph = f.read(16)
            if len(ph) < 16:
                return
            sec, frac, incl, _orig = struct.unpack(end + "IIII", ph)
            data = f.read(incl)
            t = sec + frac / (1e9 if nano else 1e6)
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
                ihl = (ip[0] & 15) * 4
                proto = ip[9]
                tot = struct.unpack(">H", ip[2:4])[0]
                src = str(ipaddress.IPv4Address(ip[12:16]))
                dst = str(ipaddress.IPv4Address(ip[16:20]))
                l4 = ip[ihl:]
            elif et == 0x86dd and len(ip) >= 40:
                proto = ip[6]
                tot = struct.unpack(">H", ip[4:6])[0] + 40
                src = str(ipaddress.IPv6Address(ip[8:24]))
                dst = str(ipaddress.IPv6Address(ip[24:40]))
                l4 = ip[40:]
            else:
                continue
            if proto not in (6, 17) or len(l4) < 4:
                continue
            sp, dp = struct.unpack(">HH", l4[:4])
            yield t, proto, src, sp, dst, dp, tot


def main():
    plan_p, sess_p, cap_p, labels_p, flows_p = sys.argv[1:6]
    with open(plan_p) as f:
        plan = json.load(f)
    sessions = {s["id"]: s for s in plan["sessions"]}
    ran = {}
    with open(sess_p) as f:
        for line in f:
            sid, start, end, rc, _ = line.split()
            ran[int(sid)] = (float(start), float(end), int(rc))
    by_client = {}
    for sid, (start, end, rc) in ran.items():
        s = sessions[sid]
        by_client.setdefault(s["client"], []).append((start, end, sid))

    flows = {}
    for t, proto, src, sp, dst, dp, tot in packets(cap_p):
        if ipaddress.ip_address(src) in CLIENT_NET:
            key, d = (proto, src, sp, dst, dp), 0
        else:
            key, d = (proto, dst, dp, src, sp), 1
        fl = flows.get(key)
        if fl is None:
            fl = flows[key] = {"first": t, "last": t, "pkts": [0, 0],
                               "bytes": [0, 0]}
        fl["last"] = t
        w = int((t - fl["first"]) // WINDOW_S)
        fl.setdefault("win", {})[w] = fl.get("win", {}).get(w, 0) + 1
        fl["pkts"][d] += 1
        fl["bytes"][d] += tot

    capture = os.path.basename(cap_p)
    out, unlabelled, leaked = [], 0, []
    for key, fl in sorted(flows.items(), key=lambda kv: kv[1]["first"]):
        proto, ca, cp, sa, spt = key
        sid = None
        for start, end, i in by_client.get(ca, []):
            if start - GRACE_BEFORE <= fl["first"] <= end + GRACE_AFTER:
                sid = i
        if sid is None:
            unlabelled += 1
            continue
        s = sessions[sid]
        if plan["vpn"] and (proto != 17 or spt != 1194 + s["lane"]):
            # Through the VPN only the tunnel may leave the client.
            leaked.append("%s %s:%d %s:%d" % (proto, ca, cp, sa, spt))
            continue
        out.append({"proto": "tcp" if proto == 6 else "udp",
                    "addr_a": ca, "port_a": cp, "addr_b": sa, "port_b": spt,
                    "label": s["class"],
                    "app": "%s/%s%s" % (s["app"], s["mode"],
                                        "+openvpn" if plan["vpn"] else ""),
                    "session": sid, "first": round(fl["first"], 6),
                    "last": round(fl["last"], 6),
                    "packets_c2s": fl["pkts"][0], "packets_s2c": fl["pkts"][1],
                    "bytes_c2s": fl["bytes"][0], "bytes_s2c": fl["bytes"][1],
                    "in_csv": max(fl["win"].values()) >= MIN_PACKETS})
    with open(labels_p, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["capture", "proto", "addr_a", "port_a", "addr_b",
                    "port_b", "label", "app"])
        for o in out:
            if not o["in_csv"]:
                continue
            w.writerow([capture, o["proto"], o["addr_a"], o["port_a"],
                        o["addr_b"], o["port_b"], o["label"], o["app"]])
    with open(flows_p, "w") as f:
        json.dump({"capture": capture, "labelled": out,
                   "unlabelled_flows": unlabelled,
                   "outside_tunnel": leaked}, f, indent=1)
    if leaked:
        print("flows: %d flows of VPN sessions outside the tunnel: %s" %
              (len(leaked), ", ".join(leaked[:5])), file=sys.stderr)
        sys.exit(1)
    print("flows: %d labelled (%d in the CSV), %d unlabelled" %
          (len(out), sum(o["in_csv"] for o in out), unlabelled))


if __name__ == "__main__":
    main()
