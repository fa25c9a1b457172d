#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# sse_pub.py MODE RATE SECONDS [URL] - publishes for bench/sse, RATE
# events a second for SECONDS, each {"k":K,"t":NANOSECONDS} with the time
# it was sent: MODE lines writes them, one a line, to stdout (for evpub
# -T ... -l); MODE post POSTs each to URL on one kept-alive connection (as
# Nchan is published to).  Prints how many it sent on stderr.
import http.client
import sys
import time
import urllib.parse

mode, rate, secs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
conn = None
if mode == "post":
    u = urllib.parse.urlsplit(sys.argv[4])
    conn = http.client.HTTPConnection(u.hostname, u.port)
start = time.time()
k = 0
while True:
    due = start + k / rate
    now = time.time()
    if now - start >= secs:
        break
    if due > now:
        time.sleep(due - now)
    body = '{"k":%d,"t":%d}' % (k, time.time_ns())
    if conn is not None:
        conn.request("POST", u.path, body=body.encode(),
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
    else:
        sys.stdout.write(body + "\n")
        sys.stdout.flush()
    k += 1
print(k, file=sys.stderr)
