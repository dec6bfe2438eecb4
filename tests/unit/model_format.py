#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reads a flowpic model file from docs/model-format.md alone (no flowpic
code), checks it, and prints one line:

    ok ARCH N CLASSES PARAMETERS SUM

SUM being the sum of every weight and bias in file order, as %.6e. With
--torch it also builds the network in PyTorch and loads the weights.
Exits 1 with a message on a bad file.
"""
import struct
import sys
import zlib


def fail(msg):
    print("bad " + msg)
    sys.exit(1)


def read(path):
    data = open(path, "rb").read()
    if len(data) < 28 or data[:8] != b"FLOWPICM":
        fail("magic")
    version, nsec, size = struct.unpack_from("<IIQ", data, 8)
    if version != 1:
        fail("version %d" % version)
    if size != len(data):
        fail("size %d, file %d" % (size, len(data)))
    if zlib.crc32(data[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        fail("crc")
    at, sections = 24, {}
    for _ in range(nsec):
        tag, length = struct.unpack_from("<4sI", data, at)
        if at + 8 + length > len(data) - 4:
            fail("section past the end")
        sections[tag.decode("ascii")] = data[at + 8:at + 8 + length]
        at += 8 + length
    if at != len(data) - 4:
        fail("bytes before the CRC")
    for t in ("ARCH", "GEOM", "CLAS", "PROV", "WGHT"):
        if t not in sections:
            fail("missing " + t)

    lines = sections["ARCH"].decode("utf-8").split("\n")
    arch = lines[0].split()[1]
    layers = [l.split() for l in lines[1:] if l.strip()]
    window_ns, n, max_size, channels = struct.unpack_from("<QHHB", sections["GEOM"])
    scale, clip = struct.unpack_from("<fI", sections["GEOM"], 16)

    c = sections["CLAS"]
    k = struct.unpack_from("<I", c)[0]
    at, classes = 4, []
    for _ in range(k):
        ln = struct.unpack_from("<H", c, at)[0]
        classes.append(c[at + 2:at + 2 + ln].decode("utf-8"))
        at += 2 + ln

    prov = dict(l.split("=", 1) for l in
                sections["PROV"].decode("utf-8").split("\n") if l)

    w = sections["WGHT"]
    count = struct.unpack_from("<I", w)[0]
    at, tensors = 4, []
    for _ in range(count):
        ln = struct.unpack_from("<H", w, at)[0]
        name = w[at + 2:at + 2 + ln].decode("ascii")
        ndim, dtype = w[at + 2 + ln], w[at + 3 + ln]
        if dtype != 0:
            fail("dtype")
        dims = struct.unpack_from("<%dI" % ndim, w, at + 4 + ln)
        at += 4 + ln + 4 * ndim
        total = 1
        for d in dims:
            total *= d
        values = struct.unpack_from("<%df" % total, w, at)
        at += 4 * total
        tensors.append((name, dims, values))
    if at != len(w):
        fail("bytes after the last tensor")
    return dict(arch=arch, layers=layers, n=n, channels=channels,
                window_ns=window_ns, scale=scale, clip=clip,
                classes=classes, prov=prov, tensors=tensors)


def torch_model(m):
    import torch
    from torch import nn
    mods = []
    shape = None
    for l in m["layers"]:
        if l[0] == "input":
            shape = [int(l[1]), int(l[2]), int(l[3])]
        elif l[0] == "conv":
            out, k, s, p = int(l[1]), int(l[2]), int(l[4]), int(l[6])
            mods.append(nn.Conv2d(shape[0], out, k, stride=s, padding=p))
            shape = [out, (shape[1] + 2 * p - k) // s + 1,
                     (shape[2] + 2 * p - k) // s + 1]
        elif l[0] == "maxpool":
            k = int(l[1])
            mods.append(nn.MaxPool2d(k))
            shape = [shape[0], shape[1] // k, shape[2] // k]
        elif l[0] == "relu":
            mods.append(nn.ReLU())
        elif l[0] == "dropout":
            mods.append(nn.Dropout(float(l[1])))
        elif l[0] == "flatten":
            mods.append(nn.Flatten())
            shape = [shape[0] * shape[1] * shape[2]]
        elif l[0] == "dense":
            mods.append(nn.Linear(shape[0], int(l[1])))
            shape = [int(l[1])]
        elif l[0] == "softmax":
            mods.append(nn.Softmax(dim=1))
    net = nn.Sequential(*mods)
    net.load_state_dict({name: torch.tensor(v, dtype=torch.float32).reshape(d)
                         for name, d, v in m["tensors"]})
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
