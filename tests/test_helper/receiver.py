#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# receiver.py PORTFILE LOG [ANSWER ...] - a webhook endpoint for the tests.
#
# Listens on a free loopback port (written to PORTFILE once it listens),
# and answers each POST with the next ANSWER: "500", "200", "429:1" (with
# Retry-After: 1), "302" (with a Location), "sleep:2" (answers 200 after 2
# seconds); the last ANSWER repeats (200 when none).  Each request becomes
# one line of LOG, a JSON object: when it came, the status answered, the
# headers (names in lower case) and the body in base64.
import base64, http.server, json, sys, time

portfile, log, answers = sys.argv[1], sys.argv[2], sys.argv[3:] or ["200"]
n = 0

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global n
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        a = answers[min(n, len(answers) - 1)]
        n += 1
        code, extra = a, {}
        if a.startswith("429:"):
            code, extra = "429", {"Retry-After": a[4:]}
        elif a == "302":
            extra = {"Location": "http://127.0.0.1:9/elsewhere"}
        elif a.startswith("sleep:"):
            time.sleep(float(a[6:]))
            code = "200"
        rec = {"t": time.time(), "status": int(code), "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "body": base64.b64encode(body).decode()}
        with open(log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.send_response(int(code))
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
