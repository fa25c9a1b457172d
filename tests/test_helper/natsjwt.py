#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""natsjwt.py DIR - an operator, an account with JetStream and two users,
as NATS decentralized authentication has them (JWTs signed with nkeys),
for the tests of --creds; Debian has no nsc to make them.

Writes into DIR:
  server.conf   the lines that put a nats-server in operator mode with
                the account preloaded (the caller adds listen, jetstream)
  user.creds    a user of the account: its JWT and its seed
  other.creds   a user signed by another account, which the server does
                not know: refused

nkeys (github.com/nats-io/nkeys): a key is base32 of a prefix byte, the
32 bytes of the ed25519 key and a CRC-16/XMODEM, little-endian; a seed
has two prefix bytes.  The signatures are ed25519, made by openssl(1).
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import time

OPERATOR, ACCOUNT, USER, SEED = 14 << 3, 0, 20 << 3, 18 << 3


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def b32(raw):
    raw += crc16(raw).to_bytes(2, "little")
    return base64.b32encode(raw).decode().rstrip("=")


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Key:
    """An ed25519 key made by openssl, with its nkey names."""

    def __init__(self, d, name, prefix):
        self.pem = os.path.join(d, name + ".pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519",
                        "-out", self.pem], check=True)
        priv = subprocess.run(["openssl", "pkey", "-in", self.pem,
                               "-outform", "DER"], check=True,
                              capture_output=True).stdout[-32:]
        pub = subprocess.run(["openssl", "pkey", "-in", self.pem, "-pubout",
                              "-outform", "DER"], check=True,
                             capture_output=True).stdout[-32:]
        self.public = b32(bytes([prefix]) + pub)
        self.seed = b32(bytes([SEED | prefix >> 5, (prefix & 31) << 3]) +
                        priv)

    def sign(self, msg):
        # ed25519 signs in one shot: openssl needs a file's size.
        path = self.pem + ".msg"
        with open(path, "wb") as f:
            f.write(msg)
        return subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin",
                               "-inkey", self.pem, "-in", path], check=True,
                              capture_output=True).stdout


def jwt(issuer, subject, name, nats):
    claims = {"iat": int(time.time()), "iss": issuer.public, "name": name,
              "sub": subject.public, "nats": dict(nats, version=2)}
    body = json.dumps(claims, sort_keys=True).encode()
    claims["jti"] = base64.b32encode(hashlib.sha256(body).digest()) \
        .decode().rstrip("=")
    head = b64url(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    msg = (head + "." + b64url(json.dumps(claims).encode())).encode()
    return msg.decode() + "." + b64url(issuer.sign(msg))


def creds(path, token, user):
    with open(path, "w") as f:
        f.write("-----BEGIN NATS USER JWT-----\n%s\n"
                "------END NATS USER JWT------\n\n"
                "-----BEGIN USER NKEY SEED-----\n%s\n"
                "------END USER NKEY SEED------\n" % (token, user.seed))


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    op = Key(d, "op", OPERATOR)
    acct = Key(d, "acct", ACCOUNT)
    stranger = Key(d, "stranger", ACCOUNT)
    system = Key(d, "system", ACCOUNT)
    user = Key(d, "user", USER)
    other = Key(d, "other", USER)
    unlimited = {"subs": -1, "data": -1, "payload": -1, "imports": -1,
                 "exports": -1, "wildcards": True, "conn": -1, "leaf": -1,
                 "mem_storage": -1, "disk_storage": -1, "streams": -1,
                 "consumer": -1}
    user_claims = {"pub": {}, "sub": {}, "subs": -1, "data": -1,
                   "payload": -1, "type": "user"}
    opjwt = jwt(op, op, "evop", {"type": "operator",
                                 "system_account": system.public})
    sysjwt = jwt(op, system, "SYS", {"type": "account"})
    acctjwt = jwt(op, acct, "evacct", {"type": "account",
                                       "limits": unlimited})
    with open(os.path.join(d, "server.conf"), "w") as f:
        f.write('operator: "%s"\nsystem_account: %s\nresolver: MEMORY\n'
                'resolver_preload: { %s: "%s", %s: "%s" }\n' %
                (opjwt, system.public, acct.public, acctjwt, system.public,
                 sysjwt))
    creds(os.path.join(d, "user.creds"),
          jwt(acct, user, "evuser", user_claims), user)
    creds(os.path.join(d, "other.creds"),
          jwt(stranger, other, "other", user_claims), other)


if __name__ == "__main__":
    main()
