// SPDX-License-Identifier: ISC
// eventsource.mjs URL N [TIMEOUT] - the npm eventsource client reads
// evsub --serve: prints each message as "ID<TAB>DATA" until N, reconnecting
// on its own with Last-Event-ID, then "errors: K" on stderr.
import * as mod from "eventsource";

const ES = mod.EventSource || mod.default;
const [url, nstr, tstr] = process.argv.slice(2);
const n = Number(nstr), timeout = Number(tstr || 90) * 1000;
let got = 0, errors = 0;
const es = new ES(url);
es.onmessage = (m) => {
  process.stdout.write(m.lastEventId + "\t" + m.data + "\n");
  if (++got >= n) {
    es.close();
    process.stderr.write("errors: " + errors + "\n");
    process.exit(0);
  }
};
es.onerror = () => errors++;
setTimeout(() => {
  process.stderr.write("timed out after " + got + " events, errors: " +
    errors + "\n");
  process.exit(1);
}, timeout);
