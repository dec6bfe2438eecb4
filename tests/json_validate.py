#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks JSON lines against one record of docs/json-schema.json, with
the standard library only: the schema keywords that file uses (type,
enum, const, minimum, maximum, minLength, pattern, properties, required,
additionalProperties, patternProperties, minProperties, items, minItems,
maxItems, $ref). A keyword it does not know is an error, so no part of a
schema is skipped unnoticed.

    json_validate.py RECORD [FILE...]      (stdin without FILE)

RECORD is a name under $defs: classify, eval, flowpicd, flows, stats.
Every non-empty line must be one JSON value that the record accepts.
Prints "RECORD: N valid" and exits 0, or one line per error
(FILE:LINE: where: what) and exits 1.
"""
import json
import os
import re
import sys

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                      "docs", "json-schema.json")
ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs"}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def resolve(root, ref):
    if not ref.startswith("#/"):
        raise ValueError("only local $ref: " + ref)
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def check(root, s, v, where, errs):
    """Appends to errs what is wrong with value v under schema s."""
    for key in s:
        if key in ANNOTATIONS:
            continue
        if key == "$ref":
            check(root, resolve(root, s[key]), v, where, errs)
        elif key == "type":
            types = s[key] if isinstance(s[key], list) else [s[key]]
            if not any(TYPES[t](v) for t in types):
                errs.append("%s: %s is not %s" % (where, json.dumps(v),
                                                  " or ".join(types)))
                return
        elif key == "enum":
            if v not in s[key] or isinstance(v, bool):
                errs.append("%s: %s is not one of %s" % (where, json.dumps(v),
                                                         s[key]))
        elif key == "const":
            if v != s[key] or type(v) is not type(s[key]):
                errs.append("%s: %s is not %s" % (where, json.dumps(v),
                                                  json.dumps(s[key])))
        elif key in ("minimum", "maximum"):
            if TYPES["number"](v) and (v < s[key] if key == "minimum"
                                       else v > s[key]):
                errs.append("%s: %s is %s %s" % (
                    where, v, "below" if key == "minimum" else "above",
                    s[key]))
        elif key == "minLength":
            if isinstance(v, str) and len(v) < s[key]:
                errs.append("%s: shorter than %d" % (where, s[key]))
        elif key == "pattern":
            if isinstance(v, str) and not re.search(s[key], v):
                errs.append("%s: %s does not match %s" % (
                    where, json.dumps(v), s[key]))
        elif key == "required":
            if isinstance(v, dict):
                for k in s[key]:
                    if k not in v:
                        errs.append("%s: no \"%s\"" % (where, k))
        elif key == "minProperties":
            if isinstance(v, dict) and len(v) < s[key]:
                errs.append("%s: fewer than %d members" % (where, s[key]))
        elif key in ("properties", "patternProperties",
                     "additionalProperties"):
            if isinstance(v, dict) and key == "properties":
                check_members(root, s, v, where, errs)
            elif isinstance(v, dict) and "properties" not in s and \
                    key == "additionalProperties":
                check_members(root, s, v, where, errs)
        elif key == "items":
            if isinstance(v, list):
                for i, item in enumerate(v):
                    check(root, s[key], item, "%s[%d]" % (where, i), errs)
        elif key in ("minItems", "maxItems"):
            if isinstance(v, list) and (len(v) < s[key] if key == "minItems"
                                        else len(v) > s[key]):
                errs.append("%s: %d items, %s %d" % (
                    where, len(v), "at least" if key == "minItems"
                    else "at most", s[key]))
        else:
            raise ValueError("schema keyword %s is not supported" % key)


def check_members(root, s, v, where, errs):
    props = s.get("properties", {})
    patterns = s.get("patternProperties", {})
    extra = s.get("additionalProperties", True)
    for k, item in v.items():
        at = "%s.%s" % (where, k)
        matched = False
        if k in props:
            check(root, props[k], item, at, errs)
            matched = True
        for p, ps in patterns.items():
            if re.search(p, k):
                check(root, ps, item, at, errs)
                matched = True
        if matched:
            continue
        if extra is False:
            errs.append("%s: member not in the schema" % at)
        elif isinstance(extra, dict):
            check(root, extra, item, at, errs)


def validate(root, record, value):
    """The errors of value as a RECORD, as a list of strings."""
    errs = []
    check(root, root["$defs"][record], value, record, errs)
    return errs


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    root = json.load(open(SCHEMA))
    record = sys.argv[1]
    if record not in root["$defs"]:
        sys.exit("json_validate: no record %s in %s" % (record, SCHEMA))
    files = sys.argv[2:] or ["-"]
    n, bad = 0, 0
    for name in files:
        f = sys.stdin.buffer if name == "-" else open(name, "rb")
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            n += 1
            try:
                errs = validate(root, record, json.loads(line))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                errs = ["not JSON: %s" % e]
            for e in errs:
                print("%s:%d: %s" % (name, i, e))
            bad += len(errs) > 0
    if bad or not n:
        print("%s: %d of %d invalid" % (record, bad, n))
        sys.exit(1)
    print("%s: %d valid" % (record, n))


if __name__ == "__main__":
    main()
