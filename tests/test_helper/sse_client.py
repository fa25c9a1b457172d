#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# sse_client.py - Server-Sent Events clients for tests/sse.bats, written
# from the WHATWG HTML standard's parsing rules (section 9.2.6), with the
# Python standard library only.
#
# Usage:
#   sse_client.py read URL N [TIMEOUT]
#       reads N events, as EventSource does: reconnects when the stream
#       ends, sending Last-Event-ID, after the retry: the server gave;
#       prints each event as "ID<TAB>DATA", one a line, then
#       "reconnects: K" on stderr.  Status 1 if TIMEOUT seconds pass.
#   sse_client.py idle URL N READY COUNT TIMEOUT
#       opens N streams at once, waits for each to start (its retry:),
#       touches READY, then waits until every stream has COUNT events;
#       prints one line of JSON: opened, started, done.
#   sse_client.py noread URL SECONDS
#       sends a GET and never reads (a small receive buffer) for SECONDS;
#       prints its own address first.
import json
import os
import resource
import selectors
import socket
import sys
import time
import urllib.parse


def connect(url, last_id):
    u = urllib.parse.urlsplit(url)
    s = socket.create_connection((u.hostname, u.port or 80), timeout=10)
    path = u.path + ("?" + u.query if u.query else "")
    head = "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n" \
        "Cache-Control: no-cache\r\n" % (path, u.netloc)
    if last_id:
        head += "Last-Event-ID: %s\r\n" % last_id
    s.sendall((head + "\r\n").encode())
    return s


class Stream:
    """One connection: the HTTP head, chunked framing, then SSE lines."""

    def __init__(self, sock):
        self.sock = sock
        self.raw = b""
        self.head = None
        self.body = b""
        self.lines = b""
        self.data = []
        self.event_id = None
        self.last_id = ""
        self.retry = None
        self.events = []
        self.ended = False

    def feed(self, chunk):
        if not chunk:
            self.ended = True
            return
        self.raw += chunk
        if self.head is None:
            i = self.raw.find(b"\r\n\r\n")
            if i < 0:
                return
            self.head = self.raw[:i].decode("latin-1")
            self.raw = self.raw[i + 4:]
            status = self.head.split(" ", 2)[1]
            if status != "200":
                raise SystemExit("status %s: %s" % (status, self.head))
        # Chunked transfer coding: size line, data, CRLF.  An offset,
        # not a slice a chunk: a slice copies what is left each time.
        raw, pos = self.raw, 0
        while True:
            i = raw.find(b"\r\n", pos)
            if i < 0:
                break
            size = int(raw[pos:i].split(b";")[0], 16)
            if size == 0:
                self.ended = True
                break
            if len(raw) < i + 2 + size + 2:
                break
            self.parse(raw[i + 2:i + 2 + size])
            pos = i + 2 + size + 2
        self.raw = raw[pos:]

    def parse(self, b):
        # Lines end at CRLF, LF or CR; each found from an offset.
        buf, pos = self.lines + b, 0
        while True:
            i = buf.find(b"\n", pos)
            j = buf.find(b"\r", pos, i if i >= 0 else len(buf))
            end = j if j >= 0 else i
            if end < 0:
                break
            line = buf[pos:end].decode("utf-8")
            pos = end + 2 if buf[end:end + 2] == b"\r\n" else end + 1
            self.line(line)
        self.lines = buf[pos:]

    def line(self, line):
        if line == "":
            if self.event_id is not None:
                self.last_id = self.event_id
            if self.data:
                self.events.append((self.last_id, "\n".join(self.data)))
            self.data = []
            return
        if line.startswith(":"):
            return
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            self.data.append(value)
        elif field == "id" and "\0" not in value:
            self.event_id = value
        elif field == "retry" and value.isdigit():
            self.retry = int(value)


def read(url, n, timeout):
    deadline = time.time() + timeout
    got = []
    last_id = ""
    retry = 3000
    reconnects = -1
    while len(got) < n and time.time() < deadline:
        reconnects += 1
        try:
            s = connect(url, last_id)
        except OSError:
            time.sleep(retry / 1000)
            continue
        st = Stream(s)
        st.last_id = last_id
        s.settimeout(1)
        while len(got) < n and time.time() < deadline and not st.ended:
            try:
                st.feed(s.recv(65536))
            except socket.timeout:
                continue
            except OSError:
                break
            if st.events:
                sys.stdout.write("".join("%s\t%s\n" % e for e in st.events))
                sys.stdout.flush()
            got += st.events
            st.events = []
        last_id = st.last_id
        if st.retry is not None:
            retry = st.retry
        s.close()
        if len(got) < n:
            time.sleep(retry / 1000)
    print("reconnects: %d" % reconnects, file=sys.stderr)
    return 0 if len(got) >= n else 1


def idle(url, n, ready, count, timeout):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    streams = []
    for _ in range(n):
        s = connect(url, "")
        s.setblocking(False)
        st = Stream(s)
        streams.append(st)
        sel.register(s, selectors.EVENT_READ, st)
    deadline = time.time() + timeout
    touched = False
    while time.time() < deadline:
        for key, _ in sel.select(0.2):
            st = key.data
            try:
                st.feed(st.sock.recv(65536))
            except BlockingIOError:
                pass
            except OSError:
                st.ended = True
            if st.ended:
                sel.unregister(st.sock)
        started = sum(1 for st in streams if st.retry is not None)
        done = sum(1 for st in streams if len(st.events) >= count)
        if started == n and not touched:
            open(ready, "w").close()
            touched = True
        if touched and done == n:
            break
    print(json.dumps({"opened": n, "started": started, "done": done}))
    return 0


def noread(url, seconds):
    u = urllib.parse.urlsplit(url)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((u.hostname, u.port))
    s.sendall(("GET %s?%s HTTP/1.1\r\nHost: x\r\n\r\n" %
               (u.path, u.query)).encode())
    print("%s:%d" % s.getsockname(), flush=True)
    time.sleep(seconds)
    return 0


def main():
    mode = sys.argv[1]
    if mode == "read":
        return read(sys.argv[2], int(sys.argv[3]),
                    float(sys.argv[4]) if len(sys.argv) > 4 else 30)
    if mode == "idle":
        return idle(sys.argv[2], int(sys.argv[3]), sys.argv[4],
                    int(sys.argv[5]), float(sys.argv[6]))
    if mode == "noread":
        return noread(sys.argv[2], float(sys.argv[3]))
    raise SystemExit("usage: sse_client.py read|idle|noread ...")


if __name__ == "__main__":
    sys.exit(main())
