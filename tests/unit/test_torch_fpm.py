#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""models/torch_fpm.py both ways, on real FlowPics (the shared datasets
through `flowpic dataset`), against flowpic's engine:

- a mini network trained a few steps in PyTorch, its state_dict
  imported, gives PyTorch's probabilities through flowpic's engine within
  1e-5 (build/tests/unit/test_torch_forward on a fixture written here),
  and `flowpic eval` the accuracy PyTorch computes;
- models/categories-mini.fpm exported, loaded into PyTorch, gives
  flowpic's probabilities (the same check, the other way), and imported
  back holds the same weights;
- malformed state_dicts (wrong shape, missing or unexpected key, NaN
  weight, not a state_dict, classes that do not match) and a corrupt model
  are refused with a message naming the key and shapes; the file they
  were to replace stays as it was, and no temporary file is left.

Skips (exit 4) without python3-torch or the datasets.
"""
import contextlib
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOL = os.path.join(ROOT, "models", "torch_fpm.py")
FLOWPIC = os.path.join(ROOT, "build", "flowpic")
FORWARD = os.path.join(ROOT, "build", "tests", "unit", "test_torch_forward")
DATA = os.environ.get("FLOWPIC_DATA", os.path.join(ROOT, "..", "shared",
                                                   "datasets"))
CLASSES = ["youtube", "twitch", "bilibili"]
INPUTS = ["video-platforms/%s/480/480_merged_00%d.csv.gz" % (c, i)
          for c in ("Youtube", "Twitch", "Bilibili") for i in (1, 2)]
PICS = 8            # real FlowPics per model through both engines
PLAN = 16
n = 0
failed = 0


def ok(good, what):
    global n, failed
    n += 1
    print("%sok %d - %s" % ("" if good else "not ", n, what), flush=True)
    failed += not good
    return good


def skip_all(why):
    print("TAP version 13\n1..1\nok 1 - torch_fpm # SKIP %s" % why)
    sys.exit(4)


def run(*argv):
    return subprocess.run(argv, capture_output=True, text=True)


def varint(b, at):
    v = shift = 0
    while True:
        c = b[at]
        at += 1
        v |= (c & 0x7f) << shift
        shift += 7
        if c < 0x80:
            return v, at


def read_dataset(path):
    """(label, [(cell, count)]) per window, from docs/dataset-format.md."""
    data = open(path, "rb").read()
    assert data[:8] == b"FLOWPICD", path
    at, strings, out = 32, {}, []
    while at < len(data):
        kind, length = data[at], struct.unpack_from("<I", data, at + 1)[0]
        p = data[at + 5:at + 5 + length]
        at += 5 + length + 4
        if kind == ord("E"):
            break
        if kind == ord("S"):
            strings[struct.unpack_from("<I", p)[0]] = p[5:].decode()
        elif kind == ord("W"):
            label = strings.get(struct.unpack_from("<I", p, 4)[0])
            q = 12 + 40 + 4 + 8 + 8 + 16 + 1
            ncells = struct.unpack_from("<I", p, q)[0]
            q += 4
            cells, prev = [], -1
            for _ in range(ncells):
                gap, q = varint(p, q)
                prev += gap + 1
                cells.append((prev, p[q]))
                q += 1
            out.append((label, cells))
    return out


def dense(torch, pics, m):
    """The network's input: min(count, clip) * scale, C x N x N."""
    x = torch.zeros(len(pics), m["channels"] * m["n"] * m["n"])
    for i, (_, cells) in enumerate(pics):
        for idx, count in cells:
            x[i, idx] = min(count, m["clip"])
    x = x * torch.tensor(m["scale"], dtype=torch.float32)
    return x.reshape(len(pics), m["channels"], m["n"], m["n"])


def fixture_lines(torch, net, path, pics, m):
    with torch.no_grad():
        probs = net.eval()(dense(torch, pics, m))
    out = ["model %s %d" % (path, len(pics))]
    for (label, cells), p in zip(pics, probs):
        out.append("pic %s %d %s" % (label, len(cells), " ".join(
            "%d:%d" % c for c in cells)))
        out.append("probs " + " ".join("%.9e" % v for v in p.tolist()))
    return out


def refused(tmp, argv, want, what):
    """torch_fpm.py exits 1 naming every string of want, and leaves the
    file it was to replace as it was, with no temporary file beside it."""
    out = os.path.join(tmp, "refused.out")
    open(out, "wb").write(b"old")
    before = set(os.listdir(tmp))
    # in this process: the command line's own main(), without paying
    # for another import of torch per case
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = sys.modules["torch_fpm"].main([*argv, "-o", out])
    err = err.getvalue()
    after = set(os.listdir(tmp))
    good = rc == 1 and all(w in err for w in want) and \
        open(out, "rb").read() == b"old" and after == before
    ok(good, "%s: refused, nothing written: %s" % (what, err.strip()))
    if not good:
        print("# exit %s, new files %s, wanted %s" % (
            rc, sorted(after - before), want))


def main():
    try:
        import torch
    except ImportError:
        skip_all("python3-torch is not installed")
    sys.path.insert(0, os.path.dirname(TOOL))
    import torch_fpm
    missing = [p for p in [FLOWPIC, FORWARD] +
               [os.path.join(DATA, i) for i in INPUTS] if not os.path.exists(p)]
    if missing:
        skip_all("missing %s" % missing[0])
    print("TAP version 13\n1..%d" % PLAN, flush=True)
    torch.manual_seed(1)
    torch.set_num_threads(1)
    tmp = tempfile.mkdtemp(prefix="flowpic-torch-")
    try:
        test(torch, torch_fpm, tmp)
    finally:
        shutil.rmtree(tmp)
    if n != PLAN:
        print("# %d checks made, %d planned" % (n, PLAN))
    sys.exit(1 if failed or n != PLAN else 0)


def test(torch, torch_fpm, tmp):
    data = os.path.join(tmp, "d.fpd")
    rules = sum((["--rule", "*%s*=%s" % (d, c)] for d, c in
                 zip(("Youtube", "Twitch", "Bilibili"), CLASSES)), [])
    r = run(FLOWPIC, "dataset", "-o", data, "--n", "32", "--window", "15s",
            *rules, *[os.path.join(DATA, i) for i in INPUTS])
    pics = read_dataset(data) if r.returncode == 0 else []
    ok(len(pics) >= 100 and {p[0] for p in pics} == set(CLASSES),
       "flowpic dataset: %d real FlowPics of %s" % (len(pics), CLASSES))
    if len(pics) < 100:
        print("# %s" % r.stderr)
        return

    # Trained in PyTorch, imported, classified by flowpic.
    layers = torch_fpm.arch_layers("mini", 1, 32, len(CLASSES))
    net = torch_fpm.network(layers)
    geom = dict(n=32, channels=1, clip=255,
                scale=struct.unpack("<f", struct.pack("<f", 1 / 255))[0])
    x = dense(torch, pics, geom)
    y = torch.tensor([CLASSES.index(p[0]) for p in pics])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_f = torch.nn.CrossEntropyLoss()
    net.train()
    for step in range(40):
        i = torch.randint(0, len(pics), (32,))
        opt.zero_grad()
        loss = loss_f(net[:-1](x[i]), y[i])   # logits: softmax left out
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        acc = float((net(x).argmax(1) == y).float().mean())
    sd_path = os.path.join(tmp, "trained.pt")
    torch.save(net.state_dict(), sd_path)
    model = os.path.join(tmp, "trained.fpm")
    r = run(sys.executable, TOOL, "import", sd_path, "-o", model, "--arch",
            "mini", "--n", "32", "--channels", "1", "--window", "15s",
            "--classes", ",".join(CLASSES))
    info = run(FLOWPIC, "model", "info", model)
    ok(r.returncode == 0 and info.returncode == 0 and
       "classes       3: youtube twitch bilibili" in info.stdout,
       "a mini network trained 40 steps in PyTorch (loss %.3f), imported: "
       "flowpic model info reads it" % float(loss))
    if r.returncode:
        print("# %s" % r.stderr)

    step = max(1, len(pics) // PICS)
    some = pics[::step][:PICS]
    fixture = fixture_lines(torch, net, model, some, geom)

    # A flowpic model exported, run in PyTorch.
    shipped = os.path.join(ROOT, "models", "categories-mini.fpm")
    cm_pt = os.path.join(tmp, "categories-mini.pt")
    r = run(sys.executable, TOOL, "export", shipped, "-o", cm_pt)
    m = torch_fpm.read(shipped)
    sd = torch.load(cm_pt) if r.returncode == 0 else {}
    ok(r.returncode == 0 and list(sd) == [t[0] for t in m["tensors"]],
       "models/categories-mini.fpm exported: %d tensors %s" % (
           len(sd), " ".join(sd)))
    cm = torch_fpm.network(m["layers"])
    cm.load_state_dict(sd)
    fixture += fixture_lines(torch, cm, shipped, some, m)

    # Any layer list the engine takes: strided, padded, no dropout.
    text = ("input 1 32 32\nconv 4 3 stride 2 pad 1\nrelu\nmaxpool 2\n"
            "conv 8 3 pad 1\nrelu\nflatten\ndense 16\nrelu\ndense 3\n"
            "softmax\n")
    open(os.path.join(tmp, "custom.layers"), "w").write(text)
    custom = torch_fpm.network(torch_fpm.parse_layers(text))
    custom_pt = os.path.join(tmp, "custom.pt")
    torch.save(custom, custom_pt)        # a whole module, not a state_dict
    custom_fpm = os.path.join(tmp, "custom.fpm")
    r = run(sys.executable, TOOL, "import", custom_pt, "-o", custom_fpm,
            "--layers", os.path.join(tmp, "custom.layers"), "--n", "32",
            "--channels", "1", "--window", "15s", "--scale", "1/255",
            "--classes", ",".join(CLASSES))
    ok(r.returncode == 0 and run(FLOWPIC, "model", "info",
                                 custom_fpm).returncode == 0,
       "a custom layer list (strided, padded conv; a saved nn.Sequential) "
       "imported with --layers")
    fixture += fixture_lines(torch, custom, custom_fpm, some, geom)
    fx = os.path.join(tmp, "fixture.txt")
    open(fx, "w").write("\n".join(fixture) + "\n")

    r = run(FORWARD, fx)
    worst = {}
    for line in r.stdout.splitlines():
        if " within " in line and " on a FlowPic " in line:
            path = line.split(" - ", 1)[1].split(" on a FlowPic")[0]
            d = float(line.split(" within ")[1].split()[0])
            if line.startswith("ok "):
                worst[path] = max(worst.get(path, 0), d)
            else:
                worst[path] = float("inf")
    ok(r.returncode == 0 and worst.get(model, 1) <= 1e-5,
       "the imported network through flowpic's engine: PyTorch's "
       "probabilities within %.1e on %d real FlowPics (sparse and dense "
       "paths)" % (worst.get(model, float("inf")), len(some)))
    ok(r.returncode == 0 and worst.get(custom_fpm, 1) <= 1e-5,
       "the custom network through flowpic's engine: PyTorch's "
       "probabilities within %.1e" % worst.get(custom_fpm, float("inf")))
    ok(r.returncode == 0 and worst.get(shipped, 1) <= 1e-5,
       "categories-mini exported to PyTorch: flowpic's probabilities within "
       "%.1e on %d real FlowPics" % (worst.get(shipped, float("inf")),
                                     len(some)))
    if r.returncode:
        print("\n".join("# " + line for line in r.stdout.splitlines()
                        if line.startswith("not ok")))

    r = run(FLOWPIC, "eval", model, data, "--json")
    got = __import__("json").loads(r.stdout)["accuracy"] \
        if r.returncode == 0 else -1
    ok(abs(got - acc) < 5e-6,
       "flowpic eval of the imported model on all %d FlowPics: accuracy "
       "%.6f, PyTorch's %.6f" % (len(pics), got, acc))

    back = os.path.join(tmp, "back.fpm")
    r = run(sys.executable, TOOL, "import", cm_pt, "-o", back, "--like",
            shipped)
    ok(r.returncode == 0 and torch_fpm.read(back)["tensors"] == m["tensors"]
       and torch_fpm.read(back)["classes"] == m["classes"],
       "categories-mini exported and imported back: the same weights, bit "
       "for bit, and classes")

    # Bad input.
    good = dict(net.state_dict())

    def saved(name, obj):
        p = os.path.join(tmp, name)
        torch.save(obj, p)
        return p
    args = ["--arch", "mini", "--n", "32", "--channels", "1", "--window",
            "15s", "--classes", ",".join(CLASSES)]
    bad = dict(good, **{"0.weight": torch.zeros(6, 2, 5, 5)})
    refused(tmp, ["import", saved("shape.pt", bad)] + args,
            ["'0.weight'", "[6, 2, 5, 5]", "[6, 1, 5, 5]"],
            "a conv weight of the wrong shape")
    bad = {k: v for k, v in good.items() if k != "13.bias"}
    refused(tmp, ["import", saved("missing.pt", bad)] + args,
            ["missing key '13.bias'", "[3]"], "a missing bias")
    bad = dict(good)
    bad["8.weight"] = good["8.weight"].clone()
    bad["8.weight"][3, 7] = float("nan")
    refused(tmp, ["import", saved("nan.pt", bad)] + args,
            ["'8.weight'", "NaN", "flat index %d" % (3 * 400 + 7)],
            "a NaN weight")
    bad = dict(good, **{"14.weight": torch.zeros(2, 2)})
    refused(tmp, ["import", saved("extra.pt", bad)] + args,
            ["unexpected key '14.weight'"], "an unexpected key")
    refused(tmp, ["import", saved("list.pt", [1, 2])] + args,
            ["not a state_dict"], "a file that holds no state_dict")
    refused(tmp, ["import", sd_path] + args[:-1] + ["a,b"],
            ["'13.weight'", "[3, 84]", "[2, 84]"],
            "two class names for a network of three outputs")
    broken = os.path.join(tmp, "broken.fpm")
    raw = bytearray(open(shipped, "rb").read())
    raw[100] ^= 0xff
    open(broken, "wb").write(raw)
    refused(tmp, ["export", broken], ["CRC"], "exporting a corrupt model")


if __name__ == "__main__":
    main()
