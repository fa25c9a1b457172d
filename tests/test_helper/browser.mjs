// SPDX-License-Identifier: ISC
// browser.mjs BASE N [TIMEOUT] - a real browser reads evsub --serve: headless
// Chromium (Debian's /usr/bin/chromium, driven by npm puppeteer-core) opens
// BASE/ (the projector page) and, once the page's own stream is open, says
// "ready" on stderr and opens an EventSource on BASE/events?from=1; prints
// each message as "ID<TAB>DATA" as it comes, until N, then "errors: K"
// (the times the browser saw the stream fail and reconnected on its own)
// and what the page showed, on stderr.
import puppeteer from "puppeteer-core";

const [base, nstr, tstr] = process.argv.slice(2);
const n = Number(nstr), timeout = Number(tstr || 90) * 1000;
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let status = 1;
try {
  const page = await browser.newPage();
  await page.goto(base + "/", { waitUntil: "domcontentloaded" });
  // The page's own stream is live (from the end) before ours opens:
  // "ready" on stderr tells the test it may publish.
  await page.waitForFunction(() =>
    document.getElementById("state").textContent === "live", { timeout });
  await page.evaluate(() => {
    window.got = [];
    window.errors = 0;
    const es = new EventSource("events?from=1");
    es.onmessage = (m) => window.got.push([m.lastEventId, m.data]);
    es.onerror = () => window.errors++;
  });
  process.stderr.write("ready\n");
  const start = Date.now();
  let printed = 0;
  while (printed < n && Date.now() - start < timeout) {
    const more = await page.evaluate((k) => window.got.slice(k), printed);
    for (const [id, data] of more) {
      process.stdout.write(id + "\t" + data + "\n");
    }
    printed += more.length;
    if (more.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  const errors = await page.evaluate(() => window.errors);
  // The page's own stream reconnects on its own clock: give it until
  // the timeout to show what came after the restart.
  const count = () => page.evaluate(() =>
    document.getElementById("count").textContent);
  let shown = await count();
  while (shown === "0" && Date.now() - start < timeout) {
    await new Promise((r) => setTimeout(r, 100));
    shown = await count();
  }
  process.stderr.write("errors: " + errors + "\npage count: " + shown + "\n");
  status = printed >= n ? 0 : 1;
} finally {
  await browser.close();
}
process.exit(status);
