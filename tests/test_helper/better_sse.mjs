// SPDX-License-Identifier: ISC
// better_sse.mjs PORTFILE N [PORT] - an SSE server made with the npm
// better-sse library, for evpub --sse to read: the events 1..N, each with
// its number as id: and {"n":K} as JSON data, one every 5 ms, resumed
// after the Last-Event-ID a client sends; then the stream stays open.
// Listens on PORT (0: any free port) and writes the port into PORTFILE.
import http from "node:http";
import fs from "node:fs";
import { createSession } from "better-sse";

const [portfile, nstr, pstr] = process.argv.slice(2);
const n = Number(nstr);
const server = http.createServer(async (req, res) => {
  const session = await createSession(req, res);
  let k = Number(session.lastId || 0) + 1;
  const timer = setInterval(() => {
    if (!session.isConnected || k > n) {
      clearInterval(timer);
      return;
    }
    session.push({ n: k }, "message", String(k));
    k++;
  }, 5);
});
server.listen(Number(pstr || 0), "127.0.0.1", () => {
  fs.writeFileSync(portfile + ".tmp", server.address().port + "\n");
  fs.renameSync(portfile + ".tmp", portfile);
});
