#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""flowpic models to and from PyTorch.

A flowpic model file (.fpm, docs/model-format.md) holds a layer list that
is exactly a PyTorch nn.Sequential of Conv2d, MaxPool2d, ReLU, Dropout,
Flatten, Linear and Softmax(dim=1), and weights named as that
Sequential's state_dict() keys. This script moves weights across:

    torch_fpm.py export MODEL.fpm -o STATE.pt
        the model's weights as a state_dict (torch.save of an ordered
        dict of float32 tensors), which network(layers) loads.

    torch_fpm.py import STATE.pt -o MODEL.fpm LAYERS GEOMETRY CLASSES
        a state_dict (or a whole saved nn.Sequential) as a model file
        that flowpic classify, eval and flowpicd read. LAYERS is
        --arch mini|full (docs/model-format.md's two networks), or
        --layers FILE (any layer list the engine takes, one layer a
        line, starting with "input C N N"). GEOMETRY is --n N
        --channels 1|2 --window DUR [--scale X] [--clip K], CLASSES
        --classes a,b,...; or --like MODEL.fpm takes all three from a
        model file (its provenance is not copied). --prov KEY=VALUE adds
        provenance lines.

The network the weights are for is built by network(layers), here or
from Python:

    import torch_fpm
    layers = torch_fpm.arch_layers("mini", channels=1, n=32, classes=5)
    net = torch_fpm.network(layers)      # nn.Sequential, softmax last
    ... train net[:-1] on logits ...
    torch.save(net.state_dict(), "state.pt")

The input of the network is a FlowPic laid out C x N x N (row = size,
column = time), each cell min(count, clip) * scale.

Every tensor is checked before anything is written: a missing or
unexpected key, a shape that is not the layer's, a non-float tensor or a
NaN or infinite value is an error naming the key, its shape and the
layer. The output is written to a temporary file beside it and renamed,
so an error or an interruption leaves no partial file. Exit status 0, 1
on bad input (with the message on stderr), 2 for a usage error.
"""
import argparse
import collections
import datetime
import math
import os
import struct
import sys
import tempfile
import zlib

MAGIC = b"FLOWPICM"
MAX_SIZE = 1500
CLASSES_MAX = 64
NAME_MAX = 63


class FpmError(Exception):
    """Bad input: the message names the file, key, shape or layer."""


# --- layer lists ---------------------------------------------------------

def arch_layers(arch, channels, n, classes):
    """docs/model-format.md's mini or full network, as a layer list."""
    if arch == "mini":
        text = ("conv 6 5 stride 1 pad 0\nrelu\nmaxpool 2\n"
                "conv 16 5 stride 1 pad 0\nrelu\ndropout 0.25\nmaxpool 2\n"
                "flatten\ndense 120\nrelu\ndense 84\nrelu\ndropout 0.5\n"
                "dense %d\nsoftmax" % classes)
    elif arch == "full":
        text = ("conv 10 10 stride 5 pad 3\nrelu\nmaxpool 2\n"
                "conv 20 10 stride 5 pad 3\nrelu\ndropout 0.25\nmaxpool 2\n"
                "flatten\ndense 64\nrelu\ndropout 0.5\ndense %d\nsoftmax"
                % classes)
    else:
        raise FpmError("architecture %s: mini or full (or --layers FILE)"
                       % arch)
    return parse_layers("input %d %d %d\n%s" % (channels, n, n, text))


def parse_layers(text):
    """A layer list (docs/model-format.md, ARCH) as lists of words,
    conv always with its stride and pad; FpmError naming the line."""
    layers = []
    for i, line in enumerate(text.split("\n"), 1):
        w = line.split()
        if not w:
            continue
        try:
            if w[0] == "conv":
                opts = dict(zip(w[3::2], (int(v) for v in w[4::2])))
                if len(w) not in (3, 5, 7) or set(opts) - {"stride", "pad"}:
                    raise ValueError
                w = ["conv", str(int(w[1])), str(int(w[2])), "stride",
                     str(opts.get("stride", 1)), "pad", str(opts.get("pad", 0))]
            elif w[0] in ("input",):
                if len(w) != 4:
                    raise ValueError
                [int(v) for v in w[1:]]
            elif w[0] in ("maxpool", "dense"):
                if len(w) != 2 or int(w[1]) < 1:
                    raise ValueError
            elif w[0] == "dropout":
                if len(w) != 2 or not 0 <= float(w[1]) < 1:
                    raise ValueError
            elif w[0] in ("relu", "flatten", "softmax"):
                if len(w) != 1:
                    raise ValueError
            else:
                raise FpmError("layer list line %d: unknown layer '%s'"
                               % (i, w[0]))
        except ValueError:
            raise FpmError("layer list line %d: '%s' does not parse"
                           % (i, line.strip()))
        layers.append(w)
    if not layers or layers[0][0] != "input":
        raise FpmError("layer list: the first line must be 'input C H W'")
    return layers


def describe(layers):
    """Per layer (input not counted): (words, input shape, params), params
    a list of (state_dict key, shape). FpmError when shapes do not fit."""
    shape = [int(v) for v in layers[0][1:]]
    out = []
    for i, w in enumerate(layers[1:]):
        params = []
        where = "layer %d (%s) on input %s" % (i, " ".join(w),
                                                "x".join(map(str, shape)))
        if w[0] == "conv":
            o, k, s, p = int(w[1]), int(w[2]), int(w[4]), int(w[6])
            if len(shape) != 3 or shape[1] + 2 * p < k or shape[2] + 2 * p < k:
                raise FpmError(where + ": does not fit")
            params = [("%d.weight" % i, (o, shape[0], k, k)),
                      ("%d.bias" % i, (o,))]
            new = [o, (shape[1] + 2 * p - k) // s + 1,
                   (shape[2] + 2 * p - k) // s + 1]
        elif w[0] == "maxpool":
            k = int(w[1])
            if len(shape) != 3 or k > shape[1] or k > shape[2]:
                raise FpmError(where + ": does not fit")
            new = [shape[0], shape[1] // k, shape[2] // k]
        elif w[0] == "flatten":
            if len(shape) != 3:
                raise FpmError(where + ": flatten twice")
            new = [shape[0] * shape[1] * shape[2]]
        elif w[0] == "dense":
            if len(shape) != 1:
                raise FpmError(where + ": dense needs a flatten before it")
            params = [("%d.weight" % i, (int(w[1]), shape[0])),
                      ("%d.bias" % i, (int(w[1]),))]
            new = [int(w[1])]
        else:
            new = shape
        out.append((w, shape, params))
        shape = new
    return out


def layer_text(layers):
    return "".join(" ".join(w) + "\n" for w in layers)


def outputs(layers):
    """The number of outputs of the last dense layer."""
    dense = [w for w in layers if w[0] == "dense"]
    return int(dense[-1][1]) if dense else 0


# --- PyTorch -------------------------------------------------------------

def network(layers):
    """The nn.Sequential of a layer list: module i is layer i."""
    from torch import nn
    mods = []
    for w, shape, _ in describe(layers):
        if w[0] == "conv":
            mods.append(nn.Conv2d(shape[0], int(w[1]), int(w[2]),
                                  stride=int(w[4]), padding=int(w[6])))
        elif w[0] == "maxpool":
            mods.append(nn.MaxPool2d(int(w[1])))
        elif w[0] == "relu":
            mods.append(nn.ReLU())
        elif w[0] == "dropout":
            mods.append(nn.Dropout(float(w[1])))
        elif w[0] == "flatten":
            mods.append(nn.Flatten())
        elif w[0] == "dense":
            mods.append(nn.Linear(shape[0], int(w[1])))
        elif w[0] == "softmax":
            mods.append(nn.Softmax(dim=1))
    return nn.Sequential(*mods)


def state_dict(m):
    """A model's weights as a state_dict of float32 tensors."""
    import torch
    return collections.OrderedDict(
        (name, torch.tensor(values, dtype=torch.float32).reshape(dims))
        for name, dims, values in m["tensors"])


def tensors_of(sd, layers):
    """The (key, shape, values) the layer list needs, in order, from a
    state_dict; FpmError naming the key, its shape and the layer."""
    import torch
    want, errs = [], []
    for w, shape, params in describe(layers):
        for key, dims in params:
            want.append((key, dims, "%s on input %s" % (
                " ".join(w), "x".join(map(str, shape)))))
    keys = {k for k, _, _ in want}
    errs += ["unexpected key '%s' (shape %s): the layer list has no such "
             "parameter" % (k, list(getattr(v, "shape", [])))
             for k, v in sd.items() if k not in keys]
    out = []
    for key, dims, layer in want:
        if key not in sd:
            errs.append("missing key '%s': %s needs shape %s"
                        % (key, layer, list(dims)))
            continue
        t = sd[key]
        if not isinstance(t, torch.Tensor) or not t.is_floating_point():
            errs.append("key '%s': not a float tensor (%s)"
                        % (key, getattr(t, "dtype", type(t).__name__)))
            continue
        if tuple(t.shape) != tuple(dims):
            errs.append("key '%s': shape %s, expected %s for %s"
                        % (key, list(t.shape), list(dims), layer))
            continue
        t = t.detach().to(torch.float32).cpu().contiguous()
        bad = ~torch.isfinite(t.reshape(-1))
        if bad.any():
            errs.append("key '%s': %d of %d values are NaN or infinite "
                        "(first at flat index %d)"
                        % (key, int(bad.sum()), t.numel(),
                           int(bad.nonzero()[0])))
            continue
        out.append((key, dims, t.reshape(-1).numpy().astype("<f4").tobytes()))
    if errs:
        raise FpmError("; ".join(errs))
    return out


def load_state(path):
    """A state_dict from torch.save of one, of a module, or of a dict
    holding one under "state_dict"."""
    import torch
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:
        raise FpmError("%s: not a PyTorch file (%s)" % (path, e))
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict) and "state_dict" in obj and \
            isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise FpmError("%s: holds a %s, not a state_dict"
                       % (path, type(obj).__name__))
    return obj


# --- model files ---------------------------------------------------------

def read(path):
    """A model file as a dict (arch, layers, n, channels, window_ns, scale,
    clip, classes, prov, tensors as (key, dims, values)); FpmError naming
    what is wrong."""
    try:
        data = open(path, "rb").read()
    except OSError as e:
        raise FpmError("%s: %s" % (path, e.strerror))

    def bad(msg):
        return FpmError("%s: %s" % (path, msg))
    if len(data) < 28 or data[:8] != MAGIC:
        raise bad("not a flowpic model (magic)")
    version, nsec, size = struct.unpack_from("<IIQ", data, 8)
    if version != 1:
        raise bad("version %d (this reads 1)" % version)
    if size != len(data):
        raise bad("size %d in the header, %d on disk" % (size, len(data)))
    if zlib.crc32(data[:-4]) != struct.unpack_from("<I", data, len(data) - 4)[0]:
        raise bad("CRC mismatch")
    at, sections = 24, {}
    for _ in range(nsec):
        if at + 8 > len(data) - 4:
            raise bad("section header at byte %d past the end" % at)
        tag, length = struct.unpack_from("<4sI", data, at)
        if at + 8 + length > len(data) - 4:
            raise bad("section at byte %d runs past the end" % at)
        sections[tag.decode("ascii", "replace")] = data[at + 8:at + 8 + length]
        at += 8 + length
    if at != len(data) - 4:
        raise bad("bytes between the last section and the CRC")
    for t in ("ARCH", "GEOM", "CLAS", "PROV", "WGHT"):
        if t not in sections:
            raise bad("no %s section" % t)

    lines = sections["ARCH"].decode("utf-8").split("\n")
    if not lines[0].startswith("arch "):
        raise bad("ARCH does not start with 'arch NAME'")
    arch = lines[0].split()[1]
    layers = parse_layers("\n".join(lines[1:]))
    window_ns, n, max_size, channels = struct.unpack_from(
        "<QHHB", sections["GEOM"])
    scale, clip = struct.unpack_from("<fI", sections["GEOM"], 16)

    c = sections["CLAS"]
    k = struct.unpack_from("<I", c)[0]
    at, classes = 4, []
    for _ in range(k):
        ln = struct.unpack_from("<H", c, at)[0]
        classes.append(c[at + 2:at + 2 + ln].decode("utf-8", "surrogateescape"))
        at += 2 + ln

    prov = dict(line.split("=", 1) for line in
                sections["PROV"].decode("utf-8").split("\n") if line)

    w = sections["WGHT"]
    count = struct.unpack_from("<I", w)[0]
    at, tensors = 4, []
    for _ in range(count):
        ln = struct.unpack_from("<H", w, at)[0]
        name = w[at + 2:at + 2 + ln].decode("ascii")
        ndim, dtype = w[at + 2 + ln], w[at + 3 + ln]
        if dtype != 0:
            raise bad("tensor %s: element type %d (0: float32)" % (name, dtype))
        dims = struct.unpack_from("<%dI" % ndim, w, at + 4 + ln)
        at += 4 + ln + 4 * ndim
        total = math.prod(dims)
        values = struct.unpack_from("<%df" % total, w, at)
        at += 4 * total
        tensors.append((name, dims, values))
    if at != len(w):
        raise bad("bytes after the last tensor")
    return dict(arch=arch, layers=layers, n=n, channels=channels,
                window_ns=window_ns, max_size=max_size, scale=scale,
                clip=clip, classes=classes, prov=prov, tensors=tensors)


def encode(arch, layers, geom, classes, prov, tensors):
    """The bytes of a model file; tensors as (key, dims, float32 bytes)."""
    def section(tag, payload):
        return tag + struct.pack("<I", len(payload)) + payload
    arch_s = ("arch %s\n" % arch + layer_text(layers[0:])).encode()
    geom_s = struct.pack("<QHHB3xfI", geom["window_ns"], geom["n"], MAX_SIZE,
                         geom["channels"], geom["scale"], geom["clip"])
    clas = struct.pack("<I", len(classes))
    for c in classes:
        b = c.encode("utf-8", "surrogateescape")
        clas += struct.pack("<H", len(b)) + b
    prov_s = "".join("%s=%s\n" % kv for kv in prov.items()).encode()
    wght = struct.pack("<I", len(tensors))
    for key, dims, raw in tensors:
        wght += struct.pack("<H", len(key)) + key.encode("ascii")
        wght += struct.pack("<BB", len(dims), 0)
        wght += struct.pack("<%dI" % len(dims), *dims) + raw
    body = b"".join([section(b"ARCH", arch_s), section(b"GEOM", geom_s),
                     section(b"CLAS", clas), section(b"PROV", prov_s),
                     section(b"WGHT", wght)])
    size = 24 + len(body) + 4
    head = MAGIC + struct.pack("<IIQ", 1, 5, size)
    data = head + body
    return data + struct.pack("<I", zlib.crc32(data))


def check_model(layers, geom, classes, prov):
    """What flowpic's reader refuses, refused here first."""
    first = [int(v) for v in layers[0][1:]]
    if first != [geom["channels"], geom["n"], geom["n"]]:
        raise FpmError("the layer list reads input %s, the geometry gives "
                       "%d %d %d" % (" ".join(layers[0][1:]), geom["channels"],
                                     geom["n"], geom["n"]))
    if not 8 <= geom["n"] <= 1500 or geom["channels"] not in (1, 2):
        raise FpmError("geometry: N %d (8..1500), channels %d (1 or 2)"
                       % (geom["n"], geom["channels"]))
    if not (math.isfinite(geom["scale"]) and geom["scale"] > 0) or \
            not 1 <= geom["clip"] <= 255 or geom["window_ns"] <= 0:
        raise FpmError("geometry: scale %g, clip %d, window %d ns"
                       % (geom["scale"], geom["clip"], geom["window_ns"]))
    if layers[-1][0] != "softmax":
        raise FpmError("the layer list must end in softmax")
    if not 2 <= len(classes) <= CLASSES_MAX or outputs(layers) != len(classes):
        raise FpmError("%d classes, the last dense layer has %d outputs "
                       "(2..%d)" % (len(classes), outputs(layers), CLASSES_MAX))
    for c in classes:
        b = c.encode("utf-8", "surrogateescape")
        if not 1 <= len(b) <= NAME_MAX or b"\0" in b:
            raise FpmError("class name %r: 1 to %d bytes, no NUL"
                           % (c, NAME_MAX))
    if len(set(classes)) != len(classes):
        raise FpmError("class names repeat: %s" % ",".join(classes))
    for k, v in prov.items():
        if not 1 <= len(k.encode()) <= 31 or "=" in k or "\n" in k or \
                len(v.encode()) > 511 or "\n" in v:
            raise FpmError("provenance %s=%s: key 1..31 bytes, value at most "
                           "511, no newline" % (k, v))


def replace_atomically(path, write):
    """Calls write(f) on a temporary file beside path, then renames it."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path),
                               dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# --- the commands ----------------------------------------------------------

def duration_ns(s):
    units = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
    for u in sorted(units, key=len, reverse=True):
        if s.endswith(u):
            try:
                return int(float(s[:-len(u)]) * units[u])
            except ValueError:
                break
    raise FpmError("--window %s: a duration such as 15s or 500ms" % s)


def number(s):
    if "/" in s:
        a, b = s.split("/", 1)
        return float(a) / float(b)
    return float(s)


def cmd_export(a):
    import torch
    m = read(a.model)
    sd = state_dict(m)
    tensors_of(sd, m["layers"])         # the file's weights fit its layers
    replace_atomically(a.output, lambda f: torch.save(sd, f))
    print("%s: %d tensors of %s (%s, %d classes) to %s"
          % (a.model, len(sd), m["arch"], "x".join(m["layers"][0][1:]),
             len(m["classes"]), a.output))


def cmd_import(a):
    sd = load_state(a.state)
    if a.like:
        like = read(a.like)
        geom = dict(window_ns=like["window_ns"], n=like["n"],
                    channels=like["channels"], scale=like["scale"],
                    clip=like["clip"])
        classes, layers, arch = like["classes"], like["layers"], like["arch"]
    else:
        if not (a.n and a.channels and a.window and a.classes and
                (a.arch or a.layers)):
            raise FpmError("import needs --like MODEL, or --arch or --layers "
                           "with --n, --channels, --window and --classes")
        classes = a.classes.split(",")
        arch = a.arch or "custom"
        scale = number(a.scale) if a.scale else \
            (1 / 255 if arch == "mini" else 1.0)
        geom = dict(window_ns=duration_ns(a.window), n=a.n,
                    channels=a.channels, scale=scale, clip=a.clip)
        if a.layers:
            try:
                layers = parse_layers(open(a.layers).read())
            except OSError as e:
                raise FpmError("%s: %s" % (a.layers, e.strerror))
        else:
            layers = arch_layers(arch, a.channels, a.n, len(classes))
    prov = collections.OrderedDict([
        ("created", datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("flowpic", " ".join(["models/torch_fpm.py"] + sys.argv[1:])[:511]),
        ("source", "PyTorch state_dict %s" % os.path.basename(a.state))])
    for kv in a.prov or []:
        if "=" not in kv:
            raise FpmError("--prov %s: KEY=VALUE" % kv)
        k, v = kv.split("=", 1)
        prov[k] = v
    check_model(layers, geom, classes, prov)
    try:
        tensors = tensors_of(sd, layers)
    except FpmError as e:
        raise FpmError("%s: %s" % (a.state, e))
    data = encode(arch, layers, geom, classes, prov, tensors)
    replace_atomically(a.output, lambda f: f.write(data))
    print("%s: %s, %d classes, %d tensors to %s"
          % (a.state, arch, len(classes), len(tensors), a.output))


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="torch_fpm.py", description="flowpic models to and from "
        "PyTorch state_dicts (docs/model-format.md)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="MODEL.fpm to a state_dict")
    e.add_argument("model")
    e.add_argument("-o", "--output", required=True)
    i = sub.add_parser("import", help="a state_dict to MODEL.fpm")
    i.add_argument("state")
    i.add_argument("-o", "--output", required=True)
    i.add_argument("--like", help="layers, geometry and classes of a model")
    i.add_argument("--arch", choices=["mini", "full"])
    i.add_argument("--layers", help="a layer list file")
    i.add_argument("--n", type=int)
    i.add_argument("--channels", type=int)
    i.add_argument("--window", help="window length, e.g. 15s")
    i.add_argument("--scale", help="input scale, e.g. 1/255 (mini) or 1")
    i.add_argument("--clip", type=int, default=255)
    i.add_argument("--classes", help="comma-separated class names")
    i.add_argument("--prov", action="append", help="KEY=VALUE")
    a = ap.parse_args(argv)
    try:
        (cmd_export if a.cmd == "export" else cmd_import)(a)
    except FpmError as err:
        print("torch_fpm: %s" % err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
