#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# sse_server.py - an event stream as Wikimedia EventStreams serves one, for
# evpub --sse to read: JSON data: that is not a CloudEvent, and an opaque
# JSON id: ([{"topic":"demo","partition":0,"offset":N}]) that resumes the
# stream when it comes back as Last-Event-ID.  Python's standard library
# only.
#
# Usage: sse_server.py PORTFILE N [options]
#   PORTFILE      where the port goes once listening (0: any free port,
#                 or --port)
#   N             the stream holds the events 1..N, then stays open
#   --port P      listen on P
#   --every S     seconds between two events (default 0.005)
#   --close K     end each connection after K events (a server restart)
#   --retry MS    send retry: MS first
#   --token T     answer 401 unless Authorization: Bearer T
#   --log FILE    append each request's Last-Event-ID and headers as JSON
#   --event NAME  an event: NAME line in each message
#   --text        the data is text, not JSON
import argparse
import json
import socketserver
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("portfile")
ap.add_argument("n", type=int)
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--every", type=float, default=0.005)
ap.add_argument("--close", type=int, default=0)
ap.add_argument("--retry", type=int)
ap.add_argument("--token")
ap.add_argument("--log")
ap.add_argument("--event")
ap.add_argument("--text", action="store_true")
args = ap.parse_args()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *a):
        pass

    def do_GET(self):
        last = self.headers.get("Last-Event-ID")
        if args.log:
            with open(args.log, "a") as f:
                f.write(json.dumps({"last": last,
                                    "headers": dict(self.headers)}) + "\n")
        if args.token and self.headers.get("Authorization") != \
                "Bearer " + args.token:
            self.send_response(401)
            self.end_headers()
            return
        start = 1
        if last:
            start = json.loads(last)[0]["offset"] + 1
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        out = self.wfile
        if args.retry is not None:
            out.write(b"retry: %d\n\n" % args.retry)
        sent = 0
        try:
            for i in range(start, args.n + 1):
                if args.close and sent == args.close:
                    return
                eid = json.dumps([{"topic": "demo", "partition": 0,
                                   "offset": i}], separators=(",", ":"))
                msg = "id: %s\n" % eid
                if args.event:
                    msg += "event: %s\n" % args.event
                if args.text:
                    msg += "data: line %d\n\n" % i
                else:
                    data = {"$schema": "/demo/1.0.0", "n": i,
                            "meta": {"offset": i}}
                    msg += "data: %s\n\n" % json.dumps(data)
                out.write(msg.encode())
                out.flush()
                sent += 1
                time.sleep(args.every)
            while True:
                out.write(b":\n\n")
                out.flush()
                time.sleep(1)
        except (BrokenPipeError, ConnectionResetError):
            return


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", args.port), Handler)
with open(args.portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
import os  # noqa: E402
os.rename(args.portfile + ".tmp", args.portfile)
try:
    srv.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
