#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""check: does a lab run show what makes each class that class?

    check.py MANIFEST.json CAPTURE.pcap

For every class of the run: labelled flows exist, each has packets, and
the class's mark is in the capture (per session; a class passes when one
of its sessions shows it, and every session is reported):
  voip           RTP at the codec's packet time: median gap of the
                 busiest direction within 5 ms of ptime (20 or 30 ms),
                 packets under 400 bytes
  video          segment bursts (adaptive: at least 3 runs of busy
                 seconds with idle seconds between) or a steady frame rate
                 (RTP: packets in at least 90% of 1 s bins, CV < 0.8)
  file-transfer  sustained bulk: at least 8 Mbit in one direction, at
                 least 1 Mbit/s over 5 s, median size there > 1000 bytes
  chat           small messages with long gaps: median packet < 300
                 bytes, a silence over 2 s, mean rate < 20 kbit/s
  browsing       many short parallel connections: at least 4 TCP
                 connections, 2 or more open at once (through the VPN:
                 page bursts, at least 2 busy runs split by think time)
Prints one line per session and "ok CLASS" / "not ok CLASS"; exits 1 if a
class fails.
"""
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flows import packets  # noqa: E402


def runs(bins):
    """Number of runs of non-zero bins."""
    n, prev = 0, 0
    for b in bins:
        if b and not prev:
            n += 1
        prev = b
    return n


def per_second(ts, sizes, t0, t1):
    n = max(1, int(t1 - t0) + 1)
    b = [0] * n
    for t, s in zip(ts, sizes):
        b[min(n - 1, int(t - t0))] += s
    return b


def main():
    man = json.load(open(sys.argv[1]))
    vpn = man["vpn"]
    flows = {}
    for f in man["flows"]["labelled"]:
        key = (6 if f["proto"] == "tcp" else 17, f["addr_a"], f["port_a"],
               f["addr_b"], f["port_b"])
        flows[key] = dict(f, pk=[[], []])
    for t, proto, src, sp, dst, dp, tot in packets(sys.argv[2]):
        k = (proto, src, sp, dst, dp)
        d = 0
        if k not in flows:
            k, d = (proto, dst, dp, src, sp), 1
        if k in flows:
            flows[k]["pk"][d].append((t, tot))
    by_session = {}
    for f in flows.values():
        by_session.setdefault(f["session"], []).append(f)
    sessions = {s["id"]: s for s in man["sessions"]}
    verdict = {c: False for c in man["classes"]}
    for c in man["classes"]:
        if not any(f["label"] == c for f in flows.values()):
            print("# %s: no labelled flow" % c)
    for sid, fl in sorted(by_session.items()):
        s = sessions[sid]
        cls, what, ok = s["class"], "", False
        for f in fl:
            if not (f["pk"][0] or f["pk"][1]):
                print("# session %d: flow %s:%d has no packets" %
                      (sid, f["addr_a"], f["port_a"]))
                verdict[cls] = None
        big = max(fl, key=lambda f: len(f["pk"][0]) + len(f["pk"][1]))
        d = 0 if len(big["pk"][0]) >= len(big["pk"][1]) else 1
        pk = big["pk"][d]
        ts = [t for t, _ in pk]
        sz = [s_ for _, s_ in pk]
        allts = sorted(t for f in fl for x in f["pk"] for t, _ in x)
        allsz = [s_ for f in fl for x in f["pk"] for _, s_ in x]
        if len(ts) < 10:
            print("# session %d %s: %d packets only" % (sid, cls, len(ts)))
            continue
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        if cls == "voip":
            ptime = s["params"]["ptime_ms"] / 1000
            med = statistics.median(gaps)
            ok = abs(med - ptime) <= 0.005 and statistics.median(sz) < 400
            what = "median gap %.1f ms (ptime %d), median %d B" % (
                med * 1000, ptime * 1000, statistics.median(sz))
        elif cls == "video":
            b = per_second(ts, sz, ts[0], ts[-1])
            if s["app"] in ("gst-dash", "gst-hls"):
                idle = sum(1 for x in b if x < 2000)
                r = runs([x >= 2000 for x in b])
                ok = r >= 3 and idle >= 2
                what = "%d bursts, %d idle s of %d" % (r, idle, len(b))
            else:
                cnt = per_second(ts, [1] * len(ts), ts[0], ts[-1])[1:-1] or [0]
                m = statistics.mean(cnt)
                cv = statistics.pstdev(cnt) / m if m else 9
                busy = sum(1 for x in cnt if x) / len(cnt)
                ok = busy >= 0.9 and cv < 0.8
                what = "%.0f pkt/s, CV %.2f, busy %.0f%%" % (m, cv, busy * 100)
        elif cls == "file-transfer":
            bits = sum(sz) * 8
            dur = max(ts[-1] - ts[0], 1e-3)
            ok = bits >= 8e6 and bits / dur >= 1e6 and dur >= 5 and \
                statistics.median(sz) > 1000
            what = "%.1f Mbit in %.1f s, median %d B" % (
                bits / 1e6, dur, statistics.median(sz))
        elif cls == "chat":
            g = [b - a for a, b in zip(allts, allts[1:])]
            rate = sum(allsz) * 8 / max(allts[-1] - allts[0], 1e-3)
            ok = statistics.median(allsz) < 300 and max(g) > 2 and rate < 20000
            what = "median %d B, longest silence %.1f s, %.1f kbit/s" % (
                statistics.median(allsz), max(g), rate / 1000)
        elif cls == "browsing":
            if vpn:
                b = per_second(allts, allsz, allts[0], allts[-1])
                r = runs([x >= 3000 for x in b])
                ok = r >= 2
                what = "%d page bursts" % r
            else:
                tcp = [f for f in fl if f["proto"] == "tcp"]
                ev = sorted([(f["first"], 1) for f in tcp] +
                            [(f["last"], -1) for f in tcp])
                cur = peak = 0
                for _, e in ev:
                    cur += e
                    peak = max(peak, cur)
                ok = len(tcp) >= 4 and peak >= 2
                what = "%d TCP connections, %d at once" % (len(tcp), peak)
        print("# session %d %s %s/%s: %s: %s" % (sid, cls, s["app"], s["mode"],
                                                 what, "yes" if ok else "no"))
        if ok and verdict[cls] is not None:
            verdict[cls] = True
    bad = 0
    for c in man["classes"]:
        print("%s %s" % ("ok" if verdict[c] else "not ok", c))
        bad += not verdict[c]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
