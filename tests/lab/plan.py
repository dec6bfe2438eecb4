#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""plan: every choice of a lab run, drawn from its seed.

The run's network conditions, and per class (one lane per class, lanes
run side by side) a sequence of sessions: which application, in which
mode, with which parameters, for how long, from which client address.
The same arguments give the same plan, byte for byte; lab.sh only
executes it.

    plan.py --seed N --minutes M --classes a,b --vpn 0|1 [--quick]
"""
import argparse
import json
import random
import sys

CLASSES = ["voip", "video", "file-transfer", "chat", "browsing"]

# Application modes per class: (app, mode, weight).
APPS = {
    "voip": [("baresip", "opus", 3), ("baresip", "opus-dtx", 2),
             ("baresip", "pcmu", 2), ("baresip", "g722", 2),
             ("gst-rtp", "opus", 1)],
    "video": [("gst-dash", "dash", 3), ("gst-hls", "hls", 2),
              ("gst-rtp-video", "vp8", 2), ("gst-rtp-video", "h264", 2)],
    "file-transfer": [("scp", "download", 2), ("sftp", "upload", 1),
                      ("rsync", "ssh", 2), ("curl", "download", 2),
                      ("curl", "upload", 1), ("lftp", "ftp", 2),
                      ("aria2", "bittorrent", 2), ("curl", "limited", 3)],
    "chat": [("slixmpp", "xmpp", 3), ("irc", "irc", 2)],
    "browsing": [("chromium", "h2", 4), ("chromium", "h1", 1),
                 ("python", "keepalive", 3)],
}

# Conditions drawn once per run.
RATES_MBIT = [4, 8, 16, 32, 64]
DELAYS_MS = [2, 5, 10, 20, 40]
JITTER_FRAC = [0, 0.1, 0.25]
LOSS_PCT = [0, 0, 0.1, 0.5, 1.0]

SERVER_BASE = 10	# 198.51.100.(10 + lane)
CLIENT_BASE = 10	# 192.0.2.(10 + session index mod CLIENT_SPAN)
CLIENT_SPAN = 190


def draw_session(rng, cls, app, mode, quick, remaining):
    """Duration and parameters of one session (seconds bounded by remaining)."""
    p = {}
    if cls == "voip":
        dur = rng.randint(20, 30) if quick else rng.randint(30, 240)
        p["ptime_ms"] = 20 if mode != "g722" else rng.choice([20, 30])
        p["talk"] = rng.choice(["both", "one-way"])
    elif cls == "video":
        dur = rng.randint(25, 40) if quick else rng.randint(60, 300)
        if mode in ("dash", "hls"):
            p["segment_s"] = rng.choice([2, 4])
            p["ladder_kbit"] = [300, 800, 1600, 3000]
        else:
            p["fps"] = rng.choice([15, 25, 30])
            p["kbit"] = rng.choice([500, 1000, 2000])
            p["size"] = rng.choice(["640x360", "1280x720"])
    elif cls == "file-transfer":
        dur = rng.randint(15, 25) if quick else rng.randint(30, 180)
        p["mbytes"] = rng.choice([16, 64]) if quick else rng.choice(
            [16, 64, 256, 512])
        if mode == "limited":	# held to a rate: the largest file, so
            # that it lasts the session at every rate but the highest
            p["limit_kbyte_s"] = rng.choice([250, 500, 1000, 2000, 4000, 8000])
            p["mbytes"] = 512
    elif cls == "chat":
        dur = rng.randint(40, 60) if quick else rng.randint(120, 600)
        p["msg_len_lognormal"] = [3.2, 0.9]	# mu, sigma of ln(chars)
        p["gap_s_exp_mean"] = rng.choice([4, 8, 15]) if not quick else 3
        p["file_prob"] = 0.05
        p["typing"] = True
    else:
        dur = rng.randint(40, 60) if quick else rng.randint(60, 300)
        p["think_s"] = [2, 12] if not quick else [1, 4]
        p["start_site"] = rng.randint(0, 11)
    dur = min(dur, remaining)
    p["seed"] = rng.randint(1, 2**31 - 1)
    return dur, p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--classes", required=True)
    ap.add_argument("--vpn", type=int, default=0)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()

    classes = a.classes.split(",")
    for c in classes:
        if c not in CLASSES:
            sys.exit("plan: unknown class '%s' (known: %s)" %
                     (c, ",".join(CLASSES)))
    rng = random.Random(a.seed)
    rate = rng.choice(RATES_MBIT)
    delay = rng.choice(DELAYS_MS)
    jitter = round(delay * rng.choice(JITTER_FRAC), 1)
    loss = rng.choice(LOSS_PCT)
    if a.quick:
        rate, delay, jitter, loss = max(rate, 16), min(delay, 10), 0, 0
    plan = {
        "seed": a.seed, "minutes": a.minutes, "vpn": bool(a.vpn),
        "quick": a.quick, "classes": classes,
        "conditions": {"rate_mbit": rate, "delay_ms": delay,
                       "jitter_ms": jitter, "loss_pct": loss},
        "sessions": [],
    }
    budget = int(a.minutes * 60)
    idx = 0
    for lane, cls in enumerate(CLASSES):
        if cls not in classes:
            continue
        lrng = random.Random("%d/%s" % (a.seed, cls))
        t = 0
        # Through the VPN, BitTorrent's peers would find each other by
        # their outer addresses (the tracker sees those): left out.
        apps = [x for x in APPS[cls] if not (a.vpn and x[0] == "aria2")]
        # Every mode once before repeats (so short runs still vary),
        # then weighted draws.
        order = lrng.sample(apps, len(apps))
        k = 0
        while budget - t >= 15:
            if k < len(order):
                app, mode, _ = order[k]
            else:
                app, mode, _ = lrng.choices(apps, [w for _, _, w in apps])[0]
            k += 1
            dur, p = draw_session(lrng, cls, app, mode, a.quick, budget - t)
            plan["sessions"].append({
                "id": idx, "class": cls, "lane": lane, "app": app,
                "mode": mode, "start_s": t, "duration_s": dur,
                "client": "192.0.2.%d" % (CLIENT_BASE + idx % CLIENT_SPAN),
                "server": "198.51.100.%d" % (SERVER_BASE + lane),
                "params": p,
            })
            idx += 1
            t += dur + 2
    json.dump(plan, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
