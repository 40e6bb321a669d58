// Asking a person, in a real browser: a curl in a real sandbox is held by the egress proxy, the Inspector's Approvals
// queue shows it live (with a badge and the sandbox's recent commands and requests), and one click lets it finish.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { TestDaemon, hiveCli, repoRoot } from "./daemon.mjs";

const run = promisify(execFile);
const shots = join(repoRoot, "out", "inspector-screenshots");
const HOST = "approve.test";
let daemon, upstream, port, browser, page;
const seen = [];
const sandbox = `ask-${Math.random().toString(36).slice(2, 8)}`;

before(async () => {
  mkdirSync(shots, { recursive: true });
  upstream = createServer((req, res) => {
    seen.push(req.url);
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`hello from upstream ${req.url}\n`);
  });
  await new Promise((ok) => upstream.listen(0, "127.0.0.1", ok));
  port = upstream.address().port;
  daemon = await TestDaemon.start({ baseImage: true, upstream: { hosts: { [HOST]: "127.0.0.1" }, allowPrivate: ["127.0.0.0/8"] } });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  page = await (await browser.newContext({ viewport: { width: 1400, height: 800 }, colorScheme: "dark" })).newPage();
  const { stdout } = await run(hiveCli, ["inspector", "--no-open"], { env: { ...daemon.env(), HIVE_URL: daemon.url } });
  await page.goto(stdout.trim());
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
  await new Promise((ok) => upstream?.close(ok));
});

test("a held curl shows in the live Approvals queue with a badge and its context, and one click lets it finish", async () => {
  await daemon.api("PUT", `/v1/sandboxes/${sandbox}`, { image: "hive/base", egress: [{ access: "ask", host: HOST, ports: [port] }] });
  await daemon.api("POST", `/v1/sandboxes/${sandbox}/exec`, { command: ["echo", "warming up"], timeoutMs: 30_000 });
  await page.goto(`${daemon.url}/#/approvals`);
  await page.waitForSelector("#approvals-empty:not([hidden])");
  assert.equal(await page.textContent("#approvals-badge"), "0");

  const curl = daemon.api("POST", `/v1/sandboxes/${sandbox}/exec`, {
    command: ["curl", "-sS", "--max-time", "60", "-w", "\n%{http_code}", `http://${HOST}:${port}/held/by/inspector`],
    timeoutMs: 90_000,
  });
  const card = await page.waitForSelector(".held[data-id]", { timeout: 30_000 });
  assert.match(await card.textContent(), new RegExp(`GET http://${HOST}:${port}/held/by/inspector`));
  assert.match(await card.textContent(), new RegExp(sandbox));
  assert.equal(await page.textContent("#approvals-badge"), "1");
  // Context: the sandbox's last command is there.
  await page.waitForFunction(() => /echo warming up/.test(document.querySelector(".held .context")?.textContent ?? ""), null, { timeout: 10_000 });
  assert.deepEqual(seen, [], "nothing reached the upstream while held");
  await page.screenshot({ path: join(shots, "7-approvals-queue.png") });

  await page.click('.held button[data-answer="allow-once"]');
  const r = await curl;
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /hello from upstream \/held\/by\/inspector\n+200$/);
  assert.deepEqual(seen, ["/held/by/inspector"]);
  await page.waitForSelector("#approvals-empty:not([hidden])");
  assert.equal(await page.textContent("#approvals-badge"), "0");

  // Who decided: this Inspector session, in the event log.
  const events = await daemon.api("GET", `/v1/sandboxes/${sandbox}/events?follow=false&types=egress.approval.decided`);
  assert.equal(events.length, 1);
  assert.equal(events[0].decision, "allow");
  assert.match(events[0].by, /^inspector:/);
});
