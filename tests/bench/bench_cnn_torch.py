#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""PyTorch peer of tests/bench/bench_cnn.c: the same networks (the layer
lists of docs/model-format.md), the same FlowPics (the files bench_cnn
--export writes), the same thread count, measured the same way (model time
only, best of several runs), so bench_cnn.sh can print ratios.

    bench_cnn_torch.py PREFIX [--threads T] [--min-time S] [--runs R]
                       [--only LIST] [--learn ARCH EPOCHS]

PREFIX.mini.bin and PREFIX.full.bin: u32 magic "FPBX", N, channels, count;
per picture u32 label, u32 cells, then cells x (u32 index, u32 count).
--learn trains ARCH on 80% of the pictures and prints the accuracy on the
rest per epoch (a check that the task is learnable, not a benchmark).
Prints "name value unit" lines like bench_cnn.
"""
import argparse
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

# BENCH_CLOCK=cpu: the process's CPU time, as bench_cnn measures with it
# on a machine others share; otherwise the wall clock.
clock = time.process_time if os.environ.get("BENCH_CLOCK") == "cpu" \
    else time.perf_counter

TRAIN_IMAGES = 1214


def read(path):
    data = open(path, "rb").read()
    magic, n, channels, count = struct.unpack_from("<4I", data, 0)
    if magic != 0x58425046:
        sys.exit("bench_cnn_torch: %s: not a bench_cnn export" % path)
    at, pics = 16, []
    for _ in range(count):
        label, ncells = struct.unpack_from("<2I", data, at)
        at += 8
        cells = np.frombuffer(data, dtype="<u4", count=2 * ncells,
                              offset=at).reshape(-1, 2) if ncells else \
            np.zeros((0, 2), dtype="<u4")
        at += 8 * ncells
        pics.append((label, cells))
    return n, channels, pics


def dense(pics, n, channels):
    x = np.zeros((len(pics), channels * n * n), dtype=np.float32)
    for i, (_, cells) in enumerate(pics):
        if len(cells):
            x[i, cells[:, 0]] = np.minimum(cells[:, 1], 255) / 255.0
    return torch.from_numpy(x.reshape(len(pics), channels, n, n))


def network(arch, channels, n, classes):
    if arch == "mini":
        h = ((n - 4) // 2 - 4) // 2
        return nn.Sequential(
            nn.Conv2d(channels, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.Dropout(0.25), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * h * h, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(84, classes), nn.Softmax(dim=1))
    h1 = (n + 6 - 10) // 5 + 1
    h2 = (h1 // 2 + 6 - 10) // 5 + 1
    return nn.Sequential(
        nn.Conv2d(channels, 10, 10, stride=5, padding=3), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(10, 20, 10, stride=5, padding=3), nn.ReLU(),
        nn.Dropout(0.25), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(20 * (h2 // 2) ** 2, 64), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(64, classes), nn.Softmax(dim=1))


def scripted(net, x, batch):
    """net as TorchScript: traced at this batch size in eval mode, then
    frozen (weights folded in as constants) and, where PyTorch has oneDNN
    (mkldnn), optimised for inference: torch.jit.optimize_for_inference
    freezes and moves the convolutions to oneDNN, the fastest of these
    on this network."""
    net.eval()
    with torch.no_grad():
        traced = torch.jit.trace(net, x[:batch])
        if torch.backends.mkldnn.is_available():
            torch.backends.mkldnn.enabled = True
            return torch.jit.optimize_for_inference(traced)
        return torch.jit.freeze(traced)


def infer_rate(net, x, batch, runs, min_s, jit=False):
    """Best of runs of images/s, each run at least min_s of model time;
    jit: the TorchScript of net (scripted()) instead of eager."""
    net.eval()
    if jit:
        net = scripted(net, x, batch)
    best = 0.0
    with torch.no_grad():
        net(x[:batch])
        net(x[:batch])
        for _ in range(runs):
            images, t, i = 0, 0.0, 0
            while t < min_s:
                if i + batch > len(x):
                    i = 0
                b = x[i:i + batch]
                i += batch
                t0 = clock()
                net(b)
                t += clock() - t0
                images += batch
            best = max(best, images / t)
    return best


def epoch_seconds(net, pics, n, channels, batch, runs):
    """Fastest of runs epochs over 1,214 images: forward, backward, Adam.
    Densifying a batch is left out of the time, as bench_cnn reads its
    pictures sparse."""
    pics = pics[:TRAIN_IMAGES]
    labels = torch.tensor([p[0] for p in pics])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    # the softmax layer is for classifying; the loss takes the logits
    body = net[:-1]
    loss_fn = nn.CrossEntropyLoss()
    body.train()
    best = None
    g = torch.Generator().manual_seed(1)
    for _ in range(runs):
        order = torch.randperm(len(pics), generator=g)
        t = 0.0
        for i in range(0, len(pics), batch):
            idx = order[i:i + batch]
            xb = dense([pics[j] for j in idx.tolist()], n, channels)
            yb = labels[idx]
            t0 = clock()
            opt.zero_grad()
            loss = loss_fn(body(xb), yb)
            loss.backward()
            opt.step()
            t += clock() - t0
        best = t if best is None else min(best, t)
    return best


def learn(arch, pics, n, channels, epochs, batch):
    rng = np.random.default_rng(1)
    order = rng.permutation(len(pics))
    cut = int(0.8 * len(pics))
    tr = [pics[i] for i in order[:cut]]
    te = [pics[i] for i in order[cut:]]
    classes = max(p[0] for p in pics) + 1
    net = network(arch, channels, n, classes)
    body = net[:-1]
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    ytr = torch.tensor([p[0] for p in tr])
    for e in range(epochs):
        body.train()
        perm = torch.randperm(len(tr))
        total = 0.0
        for i in range(0, len(tr), batch):
            idx = perm[i:i + batch]
            xb = dense([tr[j] for j in idx.tolist()], n, channels)
            opt.zero_grad()
            loss = loss_fn(body(xb), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        body.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(te), 64):
                xb = dense(te[i:i + 64], n, channels)
                pred = body(xb).argmax(1)
                correct += int((pred == torch.tensor(
                    [p[0] for p in te[i:i + 64]])).sum())
        print("epoch %d train loss %.4f test acc %.4f" %
              (e + 1, total / len(tr), correct / len(te)), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefix")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default=None)
    ap.add_argument("--learn", nargs=2, default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    want = (lambda k: a.only is None or k in a.only.split(","))

    if a.learn:
        n, ch, pics = read(a.prefix + ".%s.bin" % a.learn[0])
        learn(a.learn[0], pics, n, ch, int(a.learn[1]),
              64 if a.learn[0] == "mini" else 32)
        return

    print("torch %s, %d thread%s, mkldnn %s" %
          (torch.__version__, a.threads, "s" if a.threads > 1 else "",
           "available" if torch.backends.mkldnn.is_available() else
           "unavailable"))
    if any(want(k) for k in ("mini_b1", "mini_b64", "train_mini",
                             "mini_b1_jit", "mini_b64_jit")):
        n, ch, mini = read(a.prefix + ".mini.bin")
        x = dense(mini, n, ch)
        net = network("mini", ch, n, 3)
        if want("mini_b1"):
            print("mini_b1 %.1f images/s" %
                  infer_rate(net, x, 1, a.runs, a.min_time), flush=True)
        if want("mini_b64"):
            print("mini_b64 %.1f images/s" %
                  infer_rate(net, x, 64, a.runs, a.min_time), flush=True)
        for b in (1, 64):
            if want("mini_b%d_jit" % b):
                print("mini_b%d_jit %.1f images/s" %
                      (b, infer_rate(net, x, b, a.runs, a.min_time, True)),
                      flush=True)
        if want("train_mini"):
            print("train_mini %.4f s/epoch" %
                  epoch_seconds(network("mini", ch, n, 3), mini, n, ch, 64,
                                a.runs), flush=True)
    if want("full_b1") or want("full_b1_jit") or want("train_full"):
        n, ch, full = read(a.prefix + ".full.bin")
        if want("full_b1") or want("full_b1_jit"):
            x = dense(full[:64], n, ch)
            net = network("full", ch, n, 3)
            for k, jit in (("full_b1", False), ("full_b1_jit", True)):
                if want(k):
                    print("%s %.1f images/s" %
                          (k, infer_rate(net, x, 1, a.runs, a.min_time,
                                         jit)), flush=True)
            del x
        if want("train_full"):
            # one epoch: PyTorch takes minutes over 1500x1500 pictures
            print("train_full %.4f s/epoch" %
                  epoch_seconds(network("full", ch, n, 3), full, n, ch, 32,
                                1), flush=True)


if __name__ == "__main__":
    main()
