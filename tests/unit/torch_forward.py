#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Makes tests/vectors/torch_forward.txt, the fixture test_torch_forward.c
compares flowpic's CNN engine against: the class probabilities PyTorch
(Debian's python3-torch) computes with the weights of each shipped model,
read by model_format.py from docs/model-format.md alone, on a few real
FlowPics of the shared datasets (made by `build/flowpic pictures`).

The engine is not involved in the numbers, so the fixture is an oracle
independent of it; the unit test needs neither torch nor the datasets.
Run from the repository root, once, when a model changes:

    /usr/bin/python3 tests/unit/torch_forward.py [DATASETS] > tests/vectors/torch_forward.txt
"""
import os
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_format  # noqa: E402

PICS = 3	# per model
# model -> inputs (relative to DATASETS), windows taken in order
MODELS = [
    ("models/ndpi-mini.fpm",
     ["ndpi/pcap/skype-conference-call.pcap", "ndpi/pcap/netflix.pcap",
      "ndpi/pcap/teams.pcap"]),
    ("models/video-platforms-mini.fpm",
     ["video-platforms/Youtube/480/480_merged_001.csv.gz",
      "video-platforms/Twitch/480/480_merged_001.csv.gz"]),
    ("models/video-platforms-resolution-mini.fpm",
     ["video-platforms/Twitch/720/720_merged_010.csv.gz"]),
    ("models/categories-mini.fpm",
     ["ndpi/pcap/whatsapp_voice_and_message.pcap", "ndpi/pcap/netflix.pcap",
      "ndpi/pcap/teams.pcap"]),
    ("models/video-platforms-full.fpm",
     ["video-platforms/Youtube/480/480_merged_001.csv.gz"]),
]


def pictures(data, m, inputs):
    """The first PICS windows of 20 packets or more, as (source, cells)."""
    out = []
    for rel in inputs:
        cmd = ["build/flowpic", "pictures", "--n", str(m["n"]),
               "--window", "%ds" % (m["window_ns"] // 10**9),
               "--channels", str(m["channels"]), "--min-packets", "20",
               os.path.join(data, rel)]
        text = subprocess.run(cmd, check=True, capture_output=True,
                              text=True).stdout
        for line in text.splitlines():
            cells = [tuple(map(int, t.split(":"))) for t in line.split()
                     if ":" in t and t.replace(":", "").isdigit()]
            if cells:
                out.append((os.path.basename(rel), cells))
            if len(out) == PICS:
                return out
    sys.exit("torch_forward: fewer than %d pictures for %s" % (PICS, inputs))


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets"
    torch.set_num_threads(1)
    print("# tests/unit/torch_forward.py, torch %s: class probabilities of"
          % torch.__version__)
    print("# each shipped model on real FlowPics; input min(count, clip) * scale")
    for path, inputs in MODELS:
        m = model_format.read(path)
        net = model_format.torch_model(m)
        size = m["channels"] * m["n"] * m["n"]
        print("model %s %d" % (path, PICS))
        for src, cells in pictures(data, m, inputs):
            x = torch.zeros(size, dtype=torch.float32)
            for idx, count in cells:
                x[idx] = min(count, m["clip"]) * m["scale"]
            with torch.no_grad():
                p = net(x.reshape(1, m["channels"], m["n"], m["n"]))[0]
            print("pic %s %d %s" % (src, len(cells),
                                    " ".join("%d:%d" % c for c in cells)))
            print("probs " + " ".join("%.9e" % v for v in p.tolist()))


if __name__ == "__main__":
    main()
