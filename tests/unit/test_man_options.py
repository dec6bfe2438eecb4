#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The man pages against the programs' own --help: every option that
`flowpic CMD --help` names must appear in the "flowpic CMD" subsection of
docs/flowpic.1, and every option of `flowpicd --help` in the OPTIONS
section of docs/flowpicd.8. A failure names the options missing and where.
The commands are the ones `flowpic --help` lists, so a new command or
option without its documentation fails here.
"""
import re
import subprocess
import sys

FLOWPIC, FLOWPICD = "build/flowpic", "build/flowpicd"
MAN1, MAN8 = "docs/flowpic.1", "docs/flowpicd.8"
LONG = re.compile(r"(?<![\w-])--[a-z0-9][a-z0-9-]*")
SHORT = re.compile(r"(?:^|(?<=[\s\[(,]))-[a-zA-Z](?=[\s,\]]|$)", re.M)
n = 0
failed = 0


def ok(good, what):
    global n, failed
    n += 1
    print("%sok %d - %s" % ("" if good else "not ", n, what))
    failed += not good


def helptext(*argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("%s: exit %d" % (" ".join(argv), p.returncode))
    return p.stdout


def options(text):
    """Every option a --help text names, but --help itself."""
    found = set(LONG.findall(text)) | set(SHORT.findall(text))
    return sorted(found - {"--help", "-h"})


def plain(roff):
    """The text of a man page: no font changes, \\- as -."""
    roff = re.sub(r"\\f(\[[A-Z]*\]|[BIRP])", "", roff)
    roff = roff.replace("\\-", "-").replace("\\(dq", '"')
    return roff


def mentions(text, opt):
    return re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), text)


def subsections(text):
    """{command: its .SS "flowpic COMMAND ..." text}."""
    out, name = {}, None
    for line in text.split("\n"):
        m = re.match(r'\.S[SH]\s+"?([^"]*)"?', line)
        if m:
            words = m.group(1).split()
            name = words[1] if line.startswith(".SS") and len(words) > 1 \
                and words[0] == "flowpic" else None
            if name:
                out.setdefault(name, "")
            continue
        if name:
            out[name] += line + "\n"
    return out


def section(text, title):
    m = re.search(r"^\.SH %s\n(.*?)(?=^\.SH |\Z)" % title, text, re.M | re.S)
    return m.group(1) if m else ""


def main():
    print("TAP version 13")
    top = helptext(FLOWPIC, "--help")
    commands = re.findall(r"^  ([a-z]+) ", top.split("commands:")[1], re.M)
    print("1..%d" % (len(commands) + 2))
    man1 = plain(open(MAN1).read())
    subs = subsections(man1)
    for cmd in commands:
        want = options(helptext(FLOWPIC, cmd, "--help"))
        body = subs.get(cmd)
        if body is None:
            missing = [o for o in want if not mentions(man1, o)]
            ok(False, "%s: no subsection .SS \"flowpic %s\"; of its %d "
               "options the whole page lacks %s" % (
                   MAN1, cmd, len(want), " ".join(missing) or "none"))
            continue
        missing = [o for o in want if not mentions(body, o)]
        ok(not missing, "%s, flowpic %s: %d options of --help%s" % (
            MAN1, cmd, len(want),
            ", missing: " + " ".join(missing) if missing else ""))
    man8 = plain(open(MAN8).read())
    want = options(helptext(FLOWPICD, "--help"))
    body = section(man8, "OPTIONS")
    missing = [o for o in want if not mentions(body, o)]
    ok(not missing, "%s, OPTIONS: %d options of flowpicd --help%s" % (
        MAN8, len(want), ", missing: " + " ".join(missing) if missing else ""))
    ok(mentions(section(man1, "DESCRIPTION"), "--help") and
       mentions(body, "--help"),
       "--help described in %s DESCRIPTION and %s OPTIONS" % (MAN1, MAN8))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
