#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""browse: web browsing for the demo lab, as a browser does it over
HTTP/1.1: persistent (keep-alive) connections, a page then its images,
style and script fetched over a few parallel connections, then reading
for a while, and the next page over the same connections.

    browse.py serve PORT DIR          HTTP/1.1 server with keep-alive
    browse.py browse HOST PORT SECS   pages for SECS seconds
"""
import http.client
import http.server
import random
import re
import socketserver
import sys
import threading
import time


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"	# keep-alive

    def log_message(self, *a):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(port, root):
    Server(("", port), lambda *a: Handler(*a, directory=root)).serve_forever()


def get(pool, i, host, port, path):
    for _ in range(2):
        c = pool[i]
        if c is None:
            c = pool[i] = http.client.HTTPConnection(host, port, timeout=10)
        try:
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            return body
        except (OSError, http.client.HTTPException):
            c.close()
            pool[i] = None
    return b""


def browse(host, port, secs):
    rnd = random.Random()
    end = time.time() + secs
    pool = [None] * 3	# a browser keeps a few connections per site
    while time.time() < end:
        page = "/page%d.html" % rnd.randint(1, 8)
        html = get(pool, 0, host, port, page).decode("latin-1")
        parts = re.findall(r'(?:src|href)=([^ >]+)', html)
        threads = []
        for k, p in enumerate(parts):
            t = threading.Thread(target=get, args=(
                pool, k % len(pool), host, port, "/" + p.strip('"')))
            # requests on one connection go one after the other
            if k >= len(pool):
                threads[k - len(pool)].join()
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        time.sleep(rnd.uniform(2, 8))	# reading


def main():
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        browse(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))


if __name__ == "__main__":
    main()
