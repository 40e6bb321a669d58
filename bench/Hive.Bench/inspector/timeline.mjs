// Drives Debian's chromium headless (playwright-core from inspector/node_modules) for the inspector suite.
//   paint URL LINK SANDBOX RUNS NEWEST -> one JSON line: { firstRowMs: [...], newestRowMs: [...] } (page opened afresh each run)
//   flood URL LINK SANDBOX -> prints "ready" once the timeline follows live, then samples [[ms, events shown], ...] every
//                             50 ms until the count read from stdin is shown (or 30 s after it came), as one JSON line
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "..", "..", "inspector", "package.json"));
const { chromium } = require("playwright-core");
const [mode, url, link, sandbox, n, newestId] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 800 } })).newPage();
  await page.goto(link);
  await page.waitForSelector("#sandboxes");
  const count = () => page.evaluate(() => parseInt((document.querySelector("#timeline-count")?.textContent ?? "0").replace(/,/g, ""), 10) || 0);
  if (mode === "paint") {
    const newest = Number(newestId ?? 0);
    const firstRowMs = [], newestRowMs = [];
    for (let i = 0; i < Number(n); i++) {
      await page.goto(`${url}/#/`);
      await page.waitForSelector("#sandboxes");
      const t = Date.now();
      await page.goto(`${url}/#/s/${sandbox}/timeline`);
      if (newest) {
        await page.waitForSelector("#timeline .row", { timeout: 60_000 });
        firstRowMs.push(Date.now() - t);
        await page.waitForSelector(`#timeline .row[data-id="${newest}"]`, { timeout: 60_000 });
      } else {
        await page.waitForSelector("#timeline-count", { timeout: 60_000 });
        await page.waitForFunction(() => /^0 events$/.test(document.querySelector("#timeline-count")?.textContent ?? ""), null, { timeout: 60_000 });
        firstRowMs.push(Date.now() - t);
      }
      newestRowMs.push(Date.now() - t);
    }
    console.log(JSON.stringify({ firstRowMs, newestRowMs }));
  } else if (mode === "flood") {
    await page.goto(`${url}/#/s/${sandbox}/timeline`);
    await page.waitForSelector("#timeline .row");
    // Loaded and following when the count stops changing.
    let last = -1;
    for (let c = await count(); c !== last; c = await count()) { last = c; await new Promise((ok) => setTimeout(ok, 300)); }
    console.log("ready");
    // Sampled until stdin names the count to reach (the events the daemon stored), then until it is shown or 30 s pass.
    let target = Infinity, deadline = Infinity;
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (d) => { target = Number(d.trim()); deadline = Date.now() + 30_000; });
    const samples = [];
    const t = Date.now();
    for (;;) {
      const c = await count();
      samples.push([Date.now() - t, c]);
      if (c >= target || Date.now() > deadline) break;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    process.stdin.pause();
    console.log(JSON.stringify(samples));
  } else throw new Error(`mode: paint or flood, not ${mode}`);
} finally {
  await browser.close();
}
