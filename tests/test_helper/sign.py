#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# sign.py sw SECRET ID TIMESTAMP FILE - prints the Standard Webhooks
#     signature "v1,BASE64" of the body in FILE.
# sign.py gh SECRET FILE... - prints GitHub's "sha256=HEX" of each FILE, one
#     a line.
# Python's hmac, so that the tests check the C code against another one.
import base64, hashlib, hmac, sys

if sys.argv[1] == "sw":
    secret, wid, ts, path = sys.argv[2:6]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    body = open(path, "rb").read()
    mac = hmac.new(key, wid.encode() + b"." + ts.encode() + b"." + body,
                   hashlib.sha256).digest()
    print("v1," + base64.b64encode(mac).decode())
else:
    secret = sys.argv[2]
    for path in sys.argv[3:]:
        mac = hmac.new(secret.encode(), open(path, "rb").read(),
                       hashlib.sha256)
        print("sha256=" + mac.hexdigest())
