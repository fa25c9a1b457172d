#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# natsrefuse.py - a NATS server that refuses the first REFUSE connections
# as a server does a bad signature of its nonce, and relays the others.
#
# Usage: natsrefuse.py PORTFILE UPSTREAMPORT REFUSE
#
# Listens on a free loopback port, written to PORTFILE once it listens.
# Each connection is relayed to 127.0.0.1:UPSTREAMPORT, a nats-server;
# of the first REFUSE, the server's INFO is passed on, then the client's
# CONNECT is answered "-ERR 'Authorization Violation'" and the connection
# closed, as nats-server answers a signature it cannot verify (Debian's
# libnats before 3.8 sent none for one nonce in 256: a client must try
# again).  Each connection is said on stdout: "refused N" or "relayed N".
import os
import socket
import sys
import threading

portfile, upstream, refuse = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def pipe(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def line(s):
    got = b""
    while not got.endswith(b"\r\n"):
        b = s.recv(1)
        if not b:
            break
        got += b
    return got


ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % ls.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
n = 0
while True:
    c, _ = ls.accept()
    n += 1
    u = socket.create_connection(("127.0.0.1", upstream))
    if n <= refuse:
        c.sendall(line(u))
        line(c)
        # Said before the client can know it: a test reads this as soon
        # as the client has ended.
        print("refused", n, flush=True)
        c.sendall(b"-ERR 'Authorization Violation'\r\n")
        c.close()
        u.close()
        continue
    print("relayed", n, flush=True)
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
