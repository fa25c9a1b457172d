#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# post_range.py URL FIRST LAST - POSTs {"n":K} to URL for K from FIRST to
# LAST, one request each on one kept-alive connection, as Nchan's
# publishers do; fails on any answer but 2xx.
import http.client
import sys
import urllib.parse

u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
for k in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
    c.request("POST", u.path, body=('{"n":%d}' % k).encode(),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status // 100 != 2:
        sys.exit("POST %d: %d" % (k, r.status))
