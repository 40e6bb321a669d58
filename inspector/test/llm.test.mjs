// An llm.call made from inside a sandbox (curl in hive/base, through the egress proxy, to a loopback stand-in for
// api.anthropic.com that streams like the Messages API) shows in the LLM calls tab with model, tokens and cost.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { TestDaemon, hiveCli, repoRoot } from "./daemon.mjs";
import { FakeAnthropic, HOST } from "./fake-anthropic.mjs";

const run = promisify(execFile);
const shots = join(repoRoot, "out", "inspector-screenshots");
let daemon, fake, browser, page;
const sandbox = `llm-${Math.random().toString(36).slice(2, 8)}`;

before(async () => {
  mkdirSync(shots, { recursive: true });
  fake = await FakeAnthropic.start();
  daemon = await TestDaemon.start({ baseImage: true, upstream: { hosts: { [HOST]: "127.0.0.1" }, allowPrivate: ["127.0.0.0/8"], caBundle: fake.caPem } });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  page = await (await browser.newContext({ viewport: { width: 1400, height: 700 }, colorScheme: "light" })).newPage();
  const { stdout } = await run(hiveCli, ["inspector", "--no-open"], { env: { ...daemon.env(), HIVE_URL: daemon.url } });
  await page.goto(stdout.trim());
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
  await fake?.close();
});

test("a streamed Anthropic call from the sandbox shows with its model, tokens, latency and estimated cost", async () => {
  await daemon.api("PUT", `/v1/sandboxes/${sandbox}`, { image: "hive/base", egress: [{ access: "allow", host: HOST, ports: [fake.port] }] });
  await page.goto(`${daemon.url}/#/s/${sandbox}/llm`);
  await page.waitForSelector("#llm-calls");
  const body = JSON.stringify({ model: "claude-sonnet-4-20250514", max_tokens: 100, stream: true, messages: [{ role: "user", content: "hi" }] });
  const r = await daemon.api("POST", `/v1/sandboxes/${sandbox}/exec`, {
    command: ["curl", "-sS", "--max-time", "20", "-H", "content-type: application/json", "-H", "x-api-key: test", "--data", body, `https://${HOST}:${fake.port}/v1/messages`],
    timeoutMs: 30_000,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /message_stop/);
  const row = await page.waitForSelector("#llm-calls tbody tr[data-id]", { timeout: 10_000 });
  const text = await row.textContent();
  assert.match(text, /anthropic/);
  assert.match(text, /claude-sonnet-4-20250514/);
  assert.match(text, /1,200/);
  assert.match(text, /345/);
  assert.match(text, /streamed/);
  // 1,200 input tokens at $3 and 345 output tokens at $15 per million: $0.0036 + $0.005175 = $0.0088.
  assert.match(text, /\$0\.0088/);
  assert.match(await page.textContent("#llm-totals"), /1 calls/);
  await page.screenshot({ path: join(shots, "5b-llm-call.png") });

  // The sandboxes page adds the call's tokens and cost to the sandbox's row.
  await page.goto(`${daemon.url}/#/`);
  // The row is redrawn as counts arrive: wait on the live row, then read it afresh (not through a handle to an old one).
  await page.waitForFunction((name) => { const t = document.querySelector(`tr[data-name="${name}"]`)?.textContent ?? ""; return /1,200/.test(t) && /\$0\.0088/.test(t); }, sandbox,
    { timeout: 10_000 });
  assert.match(await page.textContent(`tr[data-name="${sandbox}"]`), /\$0\.0088/);
});
