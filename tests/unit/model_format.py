#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reads a flowpic model file with models/torch_fpm.py, the Python reader
and writer written from docs/model-format.md alone (no flowpic code),
and prints one line:

    ok ARCH N CLASSES PARAMETERS SUM

SUM being the sum of every weight and bias in file order, as %.6e. With
--torch it also builds the network in PyTorch and loads the weights.
Exits 1 with "bad REASON" on a bad file.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "models"))
import torch_fpm  # noqa: E402


def read(path):
    try:
        return torch_fpm.read(path)
    except torch_fpm.FpmError as e:
        print("bad %s" % e)
        sys.exit(1)


def torch_model(m):
    """The model's nn.Sequential with its weights, in eval mode."""
    net = torch_fpm.network(m["layers"])
    net.load_state_dict(torch_fpm.state_dict(m))
    return net.eval()


def main():
    if len(sys.argv) < 2:
        print("usage: model_format.py MODEL [--torch]")
        sys.exit(2)
    m = read(sys.argv[1])
    total = sum(len(v) for _, _, v in m["tensors"])
    s = 0.0
    for _, _, v in m["tensors"]:
        for x in v:
            s += x
    print("ok %s %d %d %d %.6e" % (m["arch"], m["n"], len(m["classes"]),
                                   total, s))
    if "--torch" in sys.argv[2:]:
        torch_model(m)
        print("torch ok")


if __name__ == "__main__":
    main()
