// The Inspector in a real browser (Debian's chromium, headless, driven by playwright-core) against a live daemon with
// real sandboxes. Screenshots of each page go to out/inspector-screenshots/ for a reviewer.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { TestDaemon, hiveCli, repoRoot } from "./daemon.mjs";

const run = promisify(execFile);
const shots = join(repoRoot, "out", "inspector-screenshots");
let daemon, browser, context, page;
const sandbox = `ui-${Math.random().toString(36).slice(2, 8)}`;

before(async () => {
  mkdirSync(shots, { recursive: true });
  daemon = await TestDaemon.start();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  context = await browser.newContext({ viewport: { width: 1400, height: 800 }, colorScheme: "dark" });
  page = await context.newPage();
  page.on("dialog", (d) => d.accept());
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

async function loginLink() {
  const { stdout } = await run(hiveCli, ["inspector", "--no-open"], { env: { ...daemon.env(), HIVE_URL: daemon.url } });
  const url = stdout.trim().split("\n").pop();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/login\?code=[0-9a-f]{64}$/);
  return url;
}

const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });

test("without logging in, pages send the browser to the login page and the API answers 401", async () => {
  const r = await page.goto(daemon.url + "/");
  assert.equal(new URL(page.url()).pathname, "/login");
  assert.equal(r.status(), 200);
  assert.match(await page.textContent("body"), /hive inspector/);
  await shot("0-login-required");
  const api = await fetch(daemon.url + "/v1/sandboxes");
  assert.equal(api.status, 401);
  assert.equal(api.headers.get("content-type"), "application/problem+json");
  const asset = await fetch(daemon.url + "/assets/app.js", { redirect: "manual" });
  assert.equal(asset.status, 302);
  assert.equal(asset.headers.get("location"), "/login");
});

test("the one-time link from `hive inspector` logs in once; the sandboxes page shows", async () => {
  const link = await loginLink();
  await page.goto(link);
  assert.equal(new URL(page.url()).pathname, "/");
  await page.waitForSelector("#sandboxes");
  const cookie = (await context.cookies()).find((c) => c.name === "hive_session");
  assert.ok(cookie, "session cookie set");
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Strict");
  assert.equal(cookie.path, "/");

  // The same link a second time, in a fresh browser context: refused.
  const other = await browser.newContext();
  const p2 = await other.newPage();
  const again = await p2.goto(link);
  assert.equal(again.status(), 401);
  assert.match(await p2.textContent("body"), /used or expired/);
  await other.close();
});

test("a mutating call from the page without the CSRF token is refused", async () => {
  const status = await page.evaluate(async () => (await fetch("/v1/sandboxes/nope", { method: "DELETE" })).status);
  assert.equal(status, 403);
});

test("a sandbox created through the API appears on the sandboxes page without a reload", async () => {
  await page.goto(daemon.url + "/#/");
  await page.waitForSelector("#sandboxes");
  await daemon.api("PUT", `/v1/sandboxes/${sandbox}`, { image: "hive/minimal", egress: [{ access: "allow", host: "allowed.test", ports: [80] }] });
  // It shows as soon as it is created, then turns running when it has started, both from the live event stream.
  await page.waitForSelector(`tr[data-name="${sandbox}"]`, { timeout: 10_000 });
  await page.waitForSelector(`tr[data-name="${sandbox}"] .status.running`, { timeout: 15_000 });
  await shot("1-sandboxes");
});

test("a denied request from inside the sandbox shows in the timeline within seconds, and the denied filter keeps it", async () => {
  await page.goto(`${daemon.url}/#/s/${sandbox}/timeline`);
  await page.waitForSelector('#timeline .row[data-type="sandbox.started"]');
  const started = Date.now();
  // 203.0.113.7 (TEST-NET-3) is denied by the proxy before any connection is made: nothing leaves the machine.
  // busybox's static wget crashes in its resolver; nc with a hand-written request is enough for the proxy to decide.
  await daemon.api("POST", `/v1/sandboxes/${sandbox}/exec`, {
    command: "printf 'GET /secret HTTP/1.1\\r\\nHost: 203.0.113.7\\r\\n\\r\\n' | nc -w 3 203.0.113.7 80; true",
    timeoutMs: 20_000,
  });
  await page.waitForSelector('#timeline .row[data-type="egress.request"]:has-text("203.0.113.7")', { timeout: 5_000 });
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds < 5, `shown after ${seconds} s`);
  await page.click('button[data-access="denied"]');
  await page.waitForFunction(() => / of /.test(document.querySelector("#timeline-count")?.textContent ?? ""));
  const denied = await page.$$eval("#timeline .row", (rows) => rows.map((r) => r.textContent));
  assert.ok(denied.length >= 1);
  assert.ok(denied.every((t) => t.includes("denied")), denied.join("\n"));
  assert.ok(denied.some((t) => t.includes("203.0.113.7")));
  await page.click('#timeline .row[data-type="egress.request"]');
  const detail = JSON.parse(await page.textContent("#event-detail"));
  assert.equal(detail.access, "denied");
  assert.equal(detail.host, "203.0.113.7");
  await shot("2-timeline-denied");
  // The request and the proxy's 403 are one row, with the response's status in it and in the detail pane.
  assert.match(await page.textContent('#timeline .row[data-type="egress.request"]'), /→ 403/);
  assert.equal(JSON.parse((await page.textContent("#event-response")).replace(/^response\n/, "")).status, 403);
  await page.click('button[data-access="all"]');
  await page.click('button[data-kind="exec"]');
  await page.waitForFunction(() => [...document.querySelectorAll("#timeline .row")].every((r) => r.dataset.type.startsWith("exec.")));
  const exec = await page.$$eval("#timeline .row", (rows) => rows.map((r) => [r.dataset.type, r.textContent]));
  assert.ok(exec.length >= 1 && exec.every(([t, text]) => t === "exec.request" && /→ exit 0/.test(text)), JSON.stringify(exec));
  // Unpaired (p), each response is a row of its own.
  await page.keyboard.press("p");
  await page.waitForSelector('#timeline .row[data-type="exec.response"]');
  await page.keyboard.press("p");
  await page.click('button[data-kind="exec"]');
  // Grouped by host: the denied name is one group; clicking it filters the list by it.
  await page.selectOption("#group", "host");
  const group = await page.waitForSelector('#timeline-groups tr[data-group="203.0.113.7"]');
  assert.match(await group.textContent(), /^203\.0\.113\.71\s*1/);
  await shot("2d-timeline-by-host");
  await group.click();
  await page.waitForFunction(() => document.querySelector("#timeline-search").value === "203.0.113.7" && !document.querySelector("#timeline").hidden);
  await page.fill("#timeline-search", "");
});

test("the sandboxes page counts the sandbox's denied requests and commands from its events, live", async () => {
  await page.goto(daemon.url + "/#/");
  const cell = (col) => `tr[data-name="${sandbox}"] td[data-col="${col}"]`;
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "1", cell("denied"));
  const commands = Number(await page.textContent(cell("commands")));
  await daemon.api("POST", `/v1/sandboxes/${sandbox}/exec`, { command: "true" });
  await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel)?.textContent) === n, [cell("commands"), commands + 1]);
});

test("thousands of events: the timeline keeps only the rows in view in the page, and filters them all", async () => {
  const r = await daemon.api("POST", `/v1/sandboxes/${sandbox}/exec`, {
    command: "i=0; while [ $i -lt 1500 ]; do echo x > /workspace/f$i; i=$((i+1)); done; echo done",
    timeoutMs: 120_000,
  });
  assert.equal(r.stdout, "done\n");
  await page.goto(`${daemon.url}/#/s/${sandbox}/timeline`);
  await page.waitForFunction(() => parseInt((document.querySelector("#timeline-count")?.textContent ?? "0").replace(/,/g, ""), 10) > 3000, null, { timeout: 20_000 });
  const inDom = await page.$$eval("#timeline .row", (rows) => rows.length);
  assert.ok(inDom > 10 && inDom < 120, `${inDom} rows in the DOM`);
  // Follow mode: the newest event is in view.
  const newest = await page.$$eval("#timeline .row", (rows) => Math.max(...rows.map((r) => Number(r.dataset.id))));
  // A response is shown on its request's row: the newest row is the newest event that is not such a response.
  const all = await daemon.api("GET", `/v1/sandboxes/${sandbox}/events?follow=false&limit=10000`);
  const ids = new Set(all.map((e) => e.id));
  assert.equal(newest, all.filter((e) => !(e.type.endsWith(".response") && ids.has(e.requestId))).at(-1).id);
  await page.fill("#timeline-search", "/workspace/f1499");
  await page.waitForFunction(() => /of/.test(document.querySelector("#timeline-count")?.textContent ?? ""));
  const hits = await page.$$eval("#timeline .row", (rows) => rows.map((r) => r.textContent));
  assert.ok(hits.length >= 1 && hits.every((t) => t.includes("f1499")), hits.join("\n"));
  await page.fill("#timeline-search", "");
  await page.waitForFunction(() => !/of/.test(document.querySelector("#timeline-count")?.textContent ?? "x"));
  await shot("2b-timeline-many");
});

test("100,000 stored events: the timeline pages them in, paints quickly and scrolls by rendering only what is in view", async () => {
  // The stored pages are served by the test (synthetic events, in the daemon's JSON shape); the live stream is the daemon's.
  const total = 100_000;
  const synthetic = (id) => (id % 3 === 0
    ? { id, ts: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, id)).toISOString(), sandbox: "big", type: "egress.request", access: id % 10 === 0 ? "denied" : "allowed", host: `h${id % 50}.test`, port: 443, method: "GET", path: `/p/${id}` }
    : { id, ts: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, id)).toISOString(), sandbox: "big", type: "fs.request", access: "allowed", op: "open", path: `/workspace/f${id}`, mount: "/workspace" });
  await page.route(/\/v1\/sandboxes\/big\/events\?.*follow=false/, (route) => {
    const q = new URL(route.request().url()).searchParams;
    const limit = Number(q.get("limit"));
    // ?before=latest: the newest page (the timeline reads it first); else the page after ?after.
    const after = q.get("before") === "latest" ? Math.max(0, total - limit) : Number(q.get("after"));
    const body = [];
    for (let id = after + 1; id <= Math.min(total, after + limit); id++) body.push(synthetic(id));
    route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(body) });
  });
  const started = Date.now();
  await page.goto(`${daemon.url}/#/s/big/timeline`);
  await page.waitForSelector("#timeline .row");
  const firstPaintMs = Date.now() - started;
  await page.waitForFunction((n) => (document.querySelector("#timeline-count")?.textContent ?? "") === `${n.toLocaleString("en-US")} events`, total, { timeout: 30_000 });
  const loadedMs = Date.now() - started;
  const rows = await page.$$eval("#timeline .row", (r) => r.map((x) => Number(x.dataset.id)));
  assert.ok(rows.length < 120, `${rows.length} rows in the DOM`);
  assert.ok(rows.includes(total), "follow mode shows the newest event");
  // Jump to the middle: the rows there are rendered, and only those.
  const frameMs = await page.evaluate(async () => {
    const list = document.querySelector("#timeline");
    const t = performance.now();
    list.scrollTop = list.scrollHeight / 2;
    await new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)));
    return performance.now() - t;
  });
  const middle = await page.$$eval("#timeline .row", (r) => r.map((x) => Number(x.dataset.id)));
  assert.ok(middle.some((id) => Math.abs(id - total / 2) < 200), `rows ${middle[0]}..${middle.at(-1)}`);
  const filterStart = Date.now();
  await page.click('button[data-access="denied"]');
  await page.waitForFunction(() => / of /.test(document.querySelector("#timeline-count")?.textContent ?? ""));
  const filterMs = Date.now() - filterStart;
  assert.match(await page.textContent("#timeline-count"), /^3,333 of 100,000$/);
  await page.click('button[data-access="all"]');
  console.log(`# 100,000 events: first rows painted in ${firstPaintMs} ms, all pages loaded and painted in ${loadedMs} ms, a jump to the middle drawn in ${frameMs.toFixed(0)} ms, the denied filter in ${filterMs} ms`);
  await shot("2c-timeline-100k");
  await page.unroute(/\/v1\/sandboxes\/big\/events\?.*follow=false/);
  assert.ok(loadedMs < 10_000, `loaded in ${loadedMs} ms`);
});

test("a sandbox created from a template in the form opens on its timeline", async () => {
  const name = `${sandbox}-form`;
  await page.goto(daemon.url + "/#/");
  await page.click("#new-sandbox");
  await page.fill("#create-name", name);
  await page.selectOption("#create-template", "minimal");
  assert.match(await page.inputValue("#create-config"), /hive\/minimal/);
  await shot("1b-create-form");
  await page.click('#create-form button[type="submit"]');
  await page.waitForSelector('#timeline .row[data-type="sandbox.started"]', { timeout: 20_000 });
  assert.equal(new URL(page.url()).hash, `#/s/${name}/timeline`);
  await daemon.api("DELETE", `/v1/sandboxes/${name}`);
});

test("an invalid config edit shows the error at its path and changes nothing; a valid one applies", async () => {
  await page.goto(`${daemon.url}/#/s/${sandbox}/config`);
  await page.waitForFunction(() => document.querySelector("#config-editor")?.value.includes('"image"'));
  const before = await daemon.api("GET", `/v1/sandboxes/${sandbox}/config`);
  const edit = async (change) => {
    const config = JSON.parse(await page.inputValue("#config-editor"));
    change(config);
    await page.fill("#config-editor", JSON.stringify(config, null, 2));
    await page.click("#config-apply");
  };
  await edit((c) => { c.ttl = "soon"; });
  const error = await page.waitForSelector('.config-error[data-path="ttl"]');
  assert.match(await error.textContent(), /ttl/);
  assert.deepEqual(await daemon.api("GET", `/v1/sandboxes/${sandbox}/config`), before);
  await shot("3-config-error");

  await page.click("#config-reset");
  const config = JSON.parse(await page.inputValue("#config-editor"));
  config.ttl = 600;
  await page.fill("#config-editor", JSON.stringify(config));
  await page.click("#config-diff-button");
  const diff = await page.$$eval("#config-diff div", (d) => d.map((x) => [x.className, x.textContent]));
  assert.deepEqual(diff.filter(([c]) => c).map(([c, t]) => [c, t.replace(/\s+/g, " ")]), [["del", '- "ttl": 0,'], ["add", '+ "ttl": 600,']]);
  await shot("3b-config-diff");
  await page.click("#config-apply");
  await page.waitForSelector("#config-result .result");
  assert.match(await page.textContent("#config-result"), /Applied/);
  assert.equal((await daemon.api("GET", `/v1/sandboxes/${sandbox}/config`)).ttl, 600);
  await shot("4-config-applied");
});

test("the LLM calls tab lists the sandbox's model calls with totals", async () => {
  await page.goto(`${daemon.url}/#/s/${sandbox}/llm`);
  await page.waitForSelector("#llm-calls");
  assert.match(await page.textContent("#llm-totals"), /0 calls/);
  await shot("5-llm-calls");
});

test("t toggles between dark and light, and the choice is kept", async () => {
  await page.goto(daemon.url + "/#/");
  await page.waitForSelector("#sandboxes");
  await page.keyboard.press("t");
  assert.equal(await page.getAttribute("html", "data-theme"), "light");
  await shot("6-sandboxes-light");
  await page.reload();
  await page.waitForSelector("#sandboxes");
  assert.equal(await page.getAttribute("html", "data-theme"), "light");
});

test("across a daemon restart the page stays logged in and its timeline resumes without a reload", async () => {
  await page.goto(`${daemon.url}/#/s/${sandbox}/timeline`);
  await page.waitForSelector("#timeline .row"); // the newest rows: the sandbox has thousands of events by now
  const t = Date.now();
  await daemon.restart(); // the page's open event streams must not hold the daemon's exit
  assert.ok(Date.now() - t < 10_000, `restart took ${Date.now() - t} ms`);
  await daemon.api("POST", `/v1/sandboxes/${sandbox}/exec`, { command: "echo after-restart" });
  await page.waitForSelector('#timeline .row[data-type="exec.request"]:has-text("after-restart")', { timeout: 15_000 });
  assert.equal(new URL(page.url()).pathname, "/");
  const ids = await page.$$eval("#timeline .row", (rows) => rows.map((r) => Number(r.dataset.id)));
  assert.equal(new Set(ids).size, ids.length, "no event shown twice");
  await page.goto(daemon.url + "/#/");
  await page.waitForSelector(`tr[data-name="${sandbox}"]`);
});

test("deleting from the sandboxes page removes the sandbox", async () => {
  await page.click(`tr[data-name="${sandbox}"] button.danger`);
  await page.waitForSelector(`tr[data-name="${sandbox}"]`, { state: "detached", timeout: 15_000 });
  const list = await daemon.api("GET", "/v1/sandboxes");
  assert.ok(!list.some((s) => s.name === sandbox));
});
