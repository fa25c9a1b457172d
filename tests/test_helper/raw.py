#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# raw.py - one connection's bytes, as written, to a receiver.
#
# Usage: raw.py PORT < REQUEST
#
# Connects to 127.0.0.1:PORT, sends what stdin holds at once (one or more
# requests, whatever their framing), then reads what comes back until the
# server closes the connection or 3 seconds pass with nothing more.  It
# prints the status line of each answer, one a line, then "closed" or
# "open" for what became of the connection.
import re
import socket
import sys

data = sys.stdin.buffer.read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(data)
s.settimeout(3)
got = b""
state = "open"
while True:
    try:
        b = s.recv(65536)
    except socket.timeout:
        break
    except ConnectionResetError:
        state = "closed"
        break
    if not b:
        state = "closed"
        break
    got += b
s.close()
for m in re.finditer(rb"^HTTP/1\.[01] [0-9]{3}[^\r\n]*", got, re.M):
    print(m.group(0).decode("latin-1"))
print(state)
