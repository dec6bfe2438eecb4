#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""chat: two people chatting, for the lab's chat class.

    chat.py irc  --server HOST --port 6667 --seconds S --seed N
    chat.py xmpp --server HOST --domain D --seconds S --seed N --password P

Two clients (alice, bob) log in to a real server (ngircd or prosody) and
take turns. Human-like by stated distributions:
  message length   ln(chars) ~ Normal(3.2, 0.9), clipped to 1..400
  gap              Exponential(mean --gap) seconds, at least 0.5 s
  typing           XMPP: a <composing/> chat state, then the message after
                   length / 6 chars per second; <paused/> now and then
  presence         XMPP: away/back every few minutes
  small file       with probability --file-prob a message carries a
                   2-12 kB base64 "file" (IRC: split into 400-char lines)
  keepalive        IRC: PING every 30 s; XMPP: whitespace keepalive
Every loop is bounded by --seconds.
"""
import argparse
import asyncio
import base64
import math
import random
import socket
import ssl
import sys
import time

WORDS = ("the a to and of i you it is that in we for this on be have are "
         "not with so but do was can what just at like no if my your get "
         "all me about one will there up out know think when time go how "
         "meeting lunch later today tomorrow fine ok thanks sure yes build "
         "test push review link call coffee done see soon great").split()


def message(rng, mu, sigma):
    n = int(min(400, max(1, math.exp(rng.gauss(mu, sigma)))))
    words = []
    while sum(len(w) + 1 for w in words) < n:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:n]


def small_file(rng):
    return base64.b64encode(rng.randbytes(rng.randint(2048, 12288))).decode()


def irc(a):
    rng = random.Random(a.seed)
    deadline = time.monotonic() + a.seconds
    socks = []
    for nick in ("alice%d" % (a.seed % 1000), "bob%d" % (a.seed % 1000)):
        s = socket.create_connection((a.server, a.port), timeout=10)
        s.sendall(("NICK %s\r\nUSER %s 0 * :%s\r\n" % (nick, nick, nick)).encode())
        socks.append(s)
    time.sleep(1)
    for s in socks:
        s.sendall(b"JOIN #lab\r\n")
        s.setblocking(False)
    last_ping = time.monotonic()
    turn = 0
    while time.monotonic() < deadline:
        gap = max(0.5, rng.expovariate(1.0 / a.gap))
        end = min(deadline, time.monotonic() + gap)
        while time.monotonic() < end:
            for s in socks:
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    continue
                for line in data.split(b"\r\n"):
                    if line.startswith(b"PING"):
                        s.sendall(b"PONG" + line[4:] + b"\r\n")
            if time.monotonic() - last_ping > 30:
                for s in socks:
                    s.sendall(b"PING :keepalive\r\n")
                last_ping = time.monotonic()
            time.sleep(0.2)
        if time.monotonic() >= deadline:
            break
        s = socks[turn % 2]
        turn += rng.choice([1, 1, 1, 2])	# sometimes one says two things
        if rng.random() < a.file_prob:
            blob = small_file(rng)
            for i in range(0, len(blob), 400):
                s.sendall(("PRIVMSG #lab :%s\r\n" % blob[i:i + 400]).encode())
        else:
            s.sendall(("PRIVMSG #lab :%s\r\n" %
                       message(rng, a.mu, a.sigma)).encode())
    for s in socks:
        try:
            s.setblocking(True)
            s.sendall(b"QUIT :bye\r\n")
            s.close()
        except OSError:
            pass


def xmpp(a):
    import slixmpp

    rng = random.Random(a.seed)
    users = ["alice", "bob"]

    class Person(slixmpp.ClientXMPP):
        def __init__(self, me):
            slixmpp.ClientXMPP.__init__(self, "%s@%s/lab" % (me, a.domain),
                                        a.password)
            self.register_plugin("xep_0085")	# chat states
            self.register_plugin("xep_0199", {"keepalive": True,
                                              "interval": 30})
            self.ready = asyncio.Event()
            self.add_event_handler("session_start", self.start)

        async def start(self, event):
            self.send_presence()
            await self.get_roster()
            self.ready.set()

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    people = []
    for u in users:
        p = Person(u)
        p.ssl_context = ctx
        p.connect((a.server, 5222))
        people.append(p)
    loop = asyncio.get_event_loop()

    async def talk():
        await asyncio.wait_for(asyncio.gather(*(p.ready.wait()
                                                for p in people)), 20)
        deadline = time.monotonic() + a.seconds
        turn = 0
        next_presence = time.monotonic() + rng.uniform(60, 240)
        while time.monotonic() < deadline:
            gap = max(0.5, rng.expovariate(1.0 / a.gap))
            await asyncio.sleep(min(gap, max(0, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                break
            me = people[turn % 2]
            peer = "%s@%s/lab" % (users[(turn + 1) % 2], a.domain)
            turn += rng.choice([1, 1, 1, 2])
            if time.monotonic() > next_presence:
                me.send_presence(pshow=rng.choice(["away", "chat"]))
                next_presence = time.monotonic() + rng.uniform(60, 240)
            if rng.random() < a.file_prob:
                body = "file:" + small_file(rng)
            else:
                body = message(rng, a.mu, a.sigma)
            st = me.make_message(mto=peer, mtype="chat")
            st["chat_state"] = "composing"
            st.send()
            typing = min(len(body) / 6.0, 20)
            if rng.random() < 0.2:
                await asyncio.sleep(typing / 2)
                st = me.make_message(mto=peer, mtype="chat")
                st["chat_state"] = "paused"
                st.send()
            await asyncio.sleep(typing)
            msg = me.make_message(mto=peer, mbody=body, mtype="chat")
            msg["chat_state"] = "active"
            msg.send()
        for p in people:
            p.disconnect()
        await asyncio.sleep(1)

    loop.run_until_complete(talk())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["irc", "xmpp"])
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=6667)
    ap.add_argument("--domain", default="lab")
    ap.add_argument("--password", default="labpass")
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gap", type=float, default=8)
    ap.add_argument("--mu", type=float, default=3.2)
    ap.add_argument("--sigma", type=float, default=0.9)
    ap.add_argument("--file-prob", type=float, default=0.05)
    a = ap.parse_args()
    if not 0 < a.seconds <= 7200:
        sys.exit("chat: --seconds out of range")
    irc(a) if a.mode == "irc" else xmpp(a)


if __name__ == "__main__":
    main()
