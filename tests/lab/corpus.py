#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""corpus: a generated web of sites for the browsing class.

    corpus.py DIR SEED

12 sites (www.siteN.lab), each with 4-10 pages linking within the site
and to other sites. Pages differ in size and structure: 1-6 style
sheets, 1-8 scripts, 2-40 images of 1-300 kB, web fonts, served from
three origins (www.siteN.lab, static.lab, cdn.lab) so that a page opens
connections to several hosts. Contents are random bytes of the right
size (the lab measures transfer, not rendering); HTML and CSS are real
and refer to every resource, so the browser fetches them all.
"""
import os
import random
import sys

SITES = 12


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def main():
    out, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    pages = {s: rng.randint(4, 10) for s in range(SITES)}
    for s in range(SITES):
        site = "www.site%d.lab" % s
        for p in range(pages[s]):
            css, js, imgs = [], [], []
            for i in range(rng.randint(1, 6)):
                origin = rng.choice([site, "static.lab"])
                name = "css/s%d-p%d-%d.css" % (s, p, i)
                fonts = ""
                if i == 0:
                    font = "fonts/f%d.woff2" % (s % 4)
                    write(os.path.join(out, "static.lab", font),
                          rng.randbytes(rng.randint(20, 80) * 1024))
                    fonts = ("@font-face{font-family:F%d;src:url(https://static.lab/%s)}"
                             "body{font-family:F%d}\n" % (s, font, s))
                write(os.path.join(out, origin, name), fonts + "".join(
                    ".c%d{margin:%dpx;color:#%06x}\n" % (k, k % 17, rng.getrandbits(24))
                    for k in range(rng.randint(50, 3000))))
                css.append("https://%s/%s" % (origin, name))
            for i in range(rng.randint(1, 8)):
                origin = rng.choice([site, "static.lab", "cdn.lab"])
                name = "js/s%d-p%d-%d.js" % (s, p, i)
                write(os.path.join(out, origin, name), "".join(
                    "var v%d=%d;\n" % (k, rng.getrandbits(30))
                    for k in range(rng.randint(100, 8000))))
                js.append("https://%s/%s" % (origin, name))
            for i in range(rng.randint(2, 40)):
                origin = rng.choice([site, "cdn.lab", "cdn.lab"])
                name = "img/s%d-p%d-%d.jpg" % (s, p, i)
                write(os.path.join(out, origin, name),
                      rng.randbytes(int(rng.paretovariate(1.2) * 4096) % 307200 + 1024))
                imgs.append("https://%s/%s" % (origin, name))
            links = ["https://%s/p%d.html" % (site, rng.randrange(pages[s]))
                     for _ in range(rng.randint(3, 8))]
            links += ["https://www.site%d.lab/p0.html" % rng.randrange(SITES)
                      for _ in range(rng.randint(1, 3))]
            body = "".join("<p class=c%d>%s</p>\n" % (k, "lorem ipsum " * rng.randint(5, 80))
                           for k in range(rng.randint(3, 40)))
            html = ("<!doctype html><html><head><title>site %d page %d</title>\n%s%s"
                    "</head><body>\n%s%s\n%s</body></html>\n") % (
                s, p,
                "".join('<link rel=stylesheet href="%s">\n' % u for u in css),
                "".join('<script src="%s"></script>\n' % u for u in js),
                "".join('<img src="%s" width=64 height=64>\n' % u for u in imgs),
                body,
                "".join('<a href="%s">link</a>\n' % u for u in links))
            write(os.path.join(out, site, "p%d.html" % p), html)


if __name__ == "__main__":
    main()
