#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# sse_sub.py URL N READY SECONDS - N Server-Sent Events subscribers for
# bench/sse: opens N streams of URL at once (Accept: text/event-stream),
# touches READY when all have answered, then reads every stream for
# SECONDS and, for each message whose data holds "t":NANOSECONDS (when it
# was published), takes the time from then to now.  Prints one line of
# JSON: subscribers, messages received in all, and the p50, p99 and max
# of those delays in milliseconds.
import json
import re
import resource
import selectors
import socket
import sys
import time
import urllib.parse

url, n, ready, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    float(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
u = urllib.parse.urlsplit(url)
path = u.path + ("?" + u.query if u.query else "")
head = ("GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n"
        % (path, u.netloc)).encode()
T = re.compile(rb'"t":(\d+)')
sel = selectors.DefaultSelector()
socks = []
for _ in range(n):
    s = socket.create_connection((u.hostname, u.port))
    s.sendall(head)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, [b"", False])
    socks.append(s)
answered = 0
deadline = time.time() + 60
while answered < n and time.time() < deadline:
    for key, _ in sel.select(0.5):
        st = key.data
        try:
            b = key.fileobj.recv(65536)
        except BlockingIOError:
            continue
        if not b:
            sys.exit("a stream closed before it started")
        if not st[1]:
            st[0] += b
            if b"\r\n\r\n" in st[0]:
                st[1] = True
                answered += 1
                st[0] = b""
open(ready, "w").close()
delays = []
got = 0
end = time.time() + secs
while time.time() < end:
    for key, _ in sel.select(0.2):
        try:
            b = key.fileobj.recv(262144)
        except BlockingIOError:
            continue
        now = time.time_ns()
        st = key.data
        buf = st[0] + b
        # Only whole lines: a message cut between two reads waits.
        cut = buf.rfind(b"\n")
        st[0] = buf[cut + 1:]
        for m in T.finditer(buf, 0, cut + 1):
            delays.append((now - int(m.group(1))) / 1e6)
            got += 1
delays.sort()


def pct(p):
    return round(delays[min(len(delays) - 1, int(len(delays) * p))], 2) \
        if delays else None


print(json.dumps({"subscribers": answered, "received": got,
                  "p50_ms": pct(0.50), "p99_ms": pct(0.99),
                  "max_ms": round(delays[-1], 2) if delays else None}))
