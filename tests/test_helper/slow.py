#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# slow.py - clients that hold a receiver's connections, as an attacker would.
#
# Usage: slow.py PORT MODE N SRC READY LIMIT
#
# Opens N connections to 127.0.0.1:PORT from the address SRC (127.0.0.2,
# say: every 127/8 address is the loopback), then, by MODE:
#   head       sends a request line, then a header line every second and
#              never ends the head;
#   trickle    sends the head one byte every 2 seconds: never idle for
#              long, never done;
#   body       sends a whole head announcing a body of 1 MB, then a byte of
#              it every half second;
#   keepalive  sends one whole request, reads its answer, then sends
#              nothing more on the open connection;
#   bigbody    sends a whole head announcing a body of 1,000,000 bytes
#              and 900,000 of them at once, then a byte now and then;
#   silent     sends nothing (a TLS client that never greets, say).
# Half a second after the last is opened, those the server has closed are
# counted as refused ("early"); then it touches READY and watches them until the server has closed them all or LIMIT
# seconds have passed, and prints one line of JSON: how many were opened,
# refused, closed later, still open at the end, answered 200 (keepalive),
# answered 503, the seconds from READY to the first and the last later
# close, and the shortest time one of those lived (open to close: a
# deadline counts from a connection's own start, and opening them all
# takes a while on a loaded machine).
import json
import resource
import selectors
import socket
import sys
import time

port, mode, n, src, ready, limit = (int(sys.argv[1]), sys.argv[2],
                                    int(sys.argv[3]), sys.argv[4],
                                    sys.argv[5], float(sys.argv[6]))
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

HEAD = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
sel = selectors.DefaultSelector()
opened = {}         # socket -> when it was opened
early = late = ok = busy = 0
closes = []
lives = []          # of those closed later: seconds from open to close
watching = False


def closed(s, now):
    global early, late
    sel.unregister(s)
    if watching:
        late += 1
        closes.append(now)
        lives.append(now - opened[s])
    else:
        early += 1
    del opened[s]
    s.close()


def drain(timeout):
    """Closes what the server closed; returns the sockets with data."""
    busy = []
    for key, _ in sel.select(timeout):
        s = key.fileobj
        try:
            got = s.recv(4096)
        except BlockingIOError:
            continue
        except OSError:
            got = b""
        if got:
            busy.append((s, got))
        else:
            closed(s, time.monotonic())
    return busy


for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    opened[s] = time.monotonic()
    try:
        if mode == "head":
            s.sendall(b"POST / HTTP/1.1\r\n")
        elif mode == "trickle":
            s.sendall(b"P")
        elif mode == "body":
            s.sendall(HEAD + b"Content-Length: 1000000\r\n\r\n[")
        elif mode == "silent":
            pass
        elif mode == "bigbody":
            s.sendall(HEAD + b"Content-Length: 1000000\r\n\r\n[" +
                      b" " * 899999)
        else:
            body = b'{"n":%d}' % i
            s.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % len(body) +
                      body)
    except OSError:
        pass
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)

if mode == "keepalive":
    # Each answer is read before the watch begins.
    pending = dict((s, b"") for s in opened)
    end = time.monotonic() + 10
    while time.monotonic() < end and any(s in opened for s in pending):
        for s, got in drain(0.2):
            if s in pending:
                pending[s] += got
                if b"\r\n\r\n" in pending[s]:
                    ok += pending[s].startswith(b"HTTP/1.1 200")
                    del pending[s]

def answered(busy_socks):
    global busy
    for s, got in busy_socks:
        busy += got.startswith(b"HTTP/1.1 503")


end = time.monotonic() + 0.5
while time.monotonic() < end:
    answered(drain(0.1))

watching = True
open(ready, "w").close()
t0ready = time.monotonic()
tick = t0ready
while opened and time.monotonic() - t0ready < limit:
    answered(drain(0.1))
    now = time.monotonic()
    step = 1.0 if mode == "head" else 2.0 if mode == "trickle" else 0.5
    if mode not in ("keepalive", "silent") and now - tick >= step:
        tick = now
        for s in list(opened):
            try:
                s.send(b"X-Slow: %d\r\n" % int(now) if mode == "head"
                       else b"O" if mode == "trickle" else b" ")
            except BlockingIOError:
                pass
            except OSError:
                closed(s, now)

print(json.dumps({
    "opened": n, "early": early, "late": late, "open": len(opened),
    "ok": ok, "busy": busy,
    "first": round(min(closes) - t0ready, 1) if closes else None,
    "last": round(max(closes) - t0ready, 1) if closes else None,
    "shortest": round(min(lives), 1) if lives else None}))
