// Client-shape tests of the secrets API: what the SDK sends (method, path, headers, body) and how it reads answers,
// against a local fake server. The same routes against a live daemon are at the end of this file.
//
// Reference 003's `Secret.create` snippet runs verbatim; its import line is the allowed change:
// `from "@superserve/sdk"` became `from "hive"`. (Its `Sandbox.create` snippets are superserve's API, not ours.)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Secret, createClient, ValidationError, NotFoundError, type SecretInfo } from "hive";
import { startFake, json, problem, type FakeServer } from "./helpers/fake.js";
import { verbatimProblems } from "./helpers/verbatim.js";
import { TestDaemon } from "./helpers/daemon.js";

const REAL_VALUE = "sk-ant-api03-REAL-looking-FAKE-value-0123456789abcdef";
let f: FakeServer;
let nextAnswer: ((res: import("node:http").ServerResponse) => void) | undefined;

const info: SecretInfo = { name: "anthropic-prod", provider: "anthropic", hosts: ["api.anthropic.com"], createdAt: "2026-01-01T00:00:00Z" };

before(async () => {
  f = await startFake((_req, res) => {
    const answer = nextAnswer ?? ((r) => json(r, 200, info));
    nextAnswer = undefined;
    answer(res);
  });
  process.env.HIVE_URL = f.url;
  process.env.HIVE_TOKEN = "secret-test-token";
  process.env.ANTHROPIC_API_KEY = REAL_VALUE;
});

after(async () => {
  await f?.close();
});

const last = () => f.requests.at(-1)!;

test("the snippet block in this file is verbatim from the reference", (t) => {
  const problems = verbatimProblems("secrets.test.ts");
  if (problems === null) return t.skip("../shared/reference is not on this machine");
  assert.deepEqual(problems, []);
});

test("003 (client shape): Secret.create sends PUT /v1/secrets/{name} with the value and provider", async () => {
  // >>> 003_d881b10c1b1ec2d2.txt
  await Secret.create({
    name: "anthropic-prod",
    value: process.env.ANTHROPIC_API_KEY,
    provider: "anthropic",
  })
  // <<<
  const r = last();
  assert.equal(r.method, "PUT");
  assert.equal(r.url, "/v1/secrets/anthropic-prod");
  assert.equal(r.headers.authorization, "Bearer secret-test-token");
  assert.equal(r.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(r.body), { value: REAL_VALUE, provider: "anthropic" });
});

test("client shape: a custom secret with hosts, auth scheme and scope", async () => {
  const created = await Secret.create({
    name: "my-api", value: "v-123456", hosts: ["api.example.com"], auth: { type: "header", name: "X-Api-Key" }, sandbox: "research",
  });
  assert.deepEqual(created, info, "the daemon's answer is returned as is");
  assert.deepEqual(JSON.parse(last().body), { value: "v-123456", hosts: ["api.example.com"], auth: { type: "header", name: "X-Api-Key" }, sandbox: "research" });
  await Secret.create({ name: "gh", value: "ghp_x", provider: "github", global: true });
  assert.deepEqual(JSON.parse(last().body), { value: "ghp_x", provider: "github", global: true });
});

test("client shape: list, delete, rotate, activity", async () => {
  nextAnswer = (res) => json(res, 200, [info]);
  assert.deepEqual(await Secret.list(), [info]);
  assert.equal(last().method, "GET");
  assert.equal(last().url, "/v1/secrets");

  nextAnswer = (res) => void res.writeHead(204).end();
  await Secret.delete("anthropic-prod");
  assert.equal(last().method, "DELETE");
  assert.equal(last().url, "/v1/secrets/anthropic-prod");

  await Secret.rotate("anthropic-prod", "sk-ant-api03-new");
  assert.equal(last().method, "POST");
  assert.equal(last().url, "/v1/secrets/anthropic-prod/rotate");
  assert.deepEqual(JSON.parse(last().body), { value: "sk-ant-api03-new" });

  await Secret.delete("openai", { sandbox: "research" });
  assert.equal(last().url, "/v1/secrets/openai?sandbox=research");
  await Secret.rotate("openai", "sk-new", { sandbox: "research" });
  assert.deepEqual(JSON.parse(last().body), { value: "sk-new", sandbox: "research" });

  const activity = [{ id: 7, ts: "2026-01-01T00:00:01Z", secret: "anthropic-prod", kind: "used" as const, sandbox: "research", method: "POST", host: "api.anthropic.com", path: "/v1/messages", status: 200, upstreamStatus: 200, durationMs: 812 }];
  nextAnswer = (res) => json(res, 200, activity);
  assert.deepEqual(await Secret.activity("anthropic-prod", { status: "4xx", limit: 20 }), activity);
  assert.equal(last().method, "GET");
  assert.equal(last().url, "/v1/secrets/anthropic-prod/activity?status=4xx&limit=20");
  await Secret.activity("anthropic-prod", { before: 7, sandbox: "research" });
  assert.equal(last().url, "/v1/secrets/anthropic-prod/activity?before=7&sandbox=research");
  await Secret.activity("a/b");
  assert.equal(last().url, "/v1/secrets/a%2Fb/activity", "names are escaped");

  // The same on an explicit client.
  const client = createClient({ url: f.url, token: "other" });
  await client.secrets.list();
  assert.equal(last().headers.authorization, "Bearer other");
});

test("client shape: a missing value is refused before anything is sent, and values never appear in errors", async () => {
  const before = f.requests.length;
  await assert.rejects(Secret.create({ name: "x", value: process.env.NOT_SET_ANYWHERE, provider: "openai" }), /needs a non-empty string value/);
  await assert.rejects(Secret.create({ name: "x", value: "v", hosts: [] }), /needs a provider or custom hosts/);
  await assert.rejects(Secret.create({ name: "x", value: "v", provider: "openai", global: true, sandbox: "s" }), /global or scoped to one sandbox/);
  await assert.rejects(Secret.rotate("x", ""), /needs a non-empty string value/);
  assert.equal(f.requests.length, before, "nothing was sent");

  nextAnswer = (res) => problem(res, 400, "Invalid secret", "provider: unknown provider \"nope\"", [{ path: "provider", message: "unknown provider \"nope\"" }]);
  const err = await Secret.create({ name: "x", value: REAL_VALUE, provider: "nope" }).then(() => null, (e) => e);
  assert.ok(err instanceof ValidationError);
  assert.deepEqual(err.errors, [{ path: "provider", message: "unknown provider \"nope\"" }]);
  assert.ok(!String(err.stack).includes(REAL_VALUE) && !JSON.stringify(err).includes(REAL_VALUE));

  nextAnswer = (res) => problem(res, 404, "Not found", "secret \"gone\" does not exist");
  await assert.rejects(Secret.rotate("gone", REAL_VALUE), NotFoundError);
});

test("live daemon: store, list masked, rotate, activity, delete; validation names the field", async () => {
  const daemon = await TestDaemon.start();
  const client = daemon.client();
  try {
    const value = "sk-proj-" + "live0123456789abcdefghijklmnopqrstuvwxyz";
    const created = await client.secrets.create({ name: "openai", value, provider: "openai", global: true });
    assert.equal(created.scope, "global");
    assert.deepEqual(created.hosts, ["api.openai.com"]);
    assert.equal(created.masked, "sk-p****wxyz");
    const listed = await client.secrets.list();
    assert.equal(listed.length, 1);
    assert.ok(!JSON.stringify(listed).includes(value));
    const rotated = await client.secrets.rotate("openai", value + "x");
    assert.ok(rotated.rotatedAt);
    assert.deepEqual(await client.secrets.activity("openai", { status: "4xx", limit: 5 }), []);
    const bad = await client.secrets.create({ name: "custom", value, hosts: ["*"], auth: { type: "bearer" } }).then(() => null, (e) => e);
    assert.ok(bad instanceof ValidationError);
    assert.deepEqual(bad.errors.map((e: { path: string }) => e.path), ["hosts[0]"]);
    assert.ok(!JSON.stringify(bad.errors).includes(value) && !String(bad.message).includes(value));
    await client.secrets.delete("openai");
    await assert.rejects(client.secrets.delete("openai"), NotFoundError);
  } finally {
    client.close();
    await daemon.stop();
  }
});
