// The SDK's surface against a live daemon: exec (plain and streamed), files, errors, listing, applyConfig.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  AuthError, ConflictError, HiveError, NotFoundError, UnavailableError, ValidationError, createClient,
  type Hive, type Sandbox,
} from "hive";
import { TestDaemon, freePort } from "./helpers/daemon.js";

let daemon: TestDaemon;
let client: Hive;
let sandbox: Sandbox;

before(async () => {
  daemon = await TestDaemon.start();
  client = daemon.client();
  sandbox = await client.getOrCreateSandbox("sdk", { image: "hive/minimal", env: { GREETING: "hello" } });
});

after(async () => {
  client?.close();
  await daemon?.stop();
});

test("getOrCreateSandbox: 201 then 200, the existing config is kept", async () => {
  assert.equal(sandbox.created, true);
  assert.equal(sandbox.name, "sdk");
  assert.equal(sandbox.status, "running");
  assert.equal(sandbox.url, `${daemon.url}/sandboxes/sdk/`);
  assert.ok(!Number.isNaN(Date.parse(sandbox.createdAt)));
  const again = await client.getOrCreateSandbox("sdk", { image: "hive/minimal", ttl: 99 });
  assert.equal(again.created, false);
  assert.equal(again.config.ttl, 0, "an existing sandbox keeps its config");
  assert.deepEqual(again.config.env, { GREETING: "hello" });
  const got = await client.getSandbox("sdk");
  assert.equal(got.status, "running");
  assert.deepEqual((await client.listSandboxes()).map((s) => s.name), ["sdk"]);
  assert.equal((await client.health()).status, "ok");
});

test("exec without callbacks: one JSON answer with cwd, env, stdin and exit code", async () => {
  const r = await sandbox.exec(["/bin/sh", "-c", 'pwd; echo "$GREETING $EXTRA"; cat; echo oops >&2; exit 3'], {
    cwd: "/tmp", env: { EXTRA: "world" }, stdin: "from stdin\n",
  });
  assert.equal(r.exitCode, 3);
  assert.equal(r.stdout, "/tmp\nhello world\nfrom stdin\n");
  assert.equal(r.stderr, "oops\n");
  assert.equal(r.timedOut, false);
  assert.ok(r.durationMs >= 0);
  const shell = await sandbox.exec("echo $((6 * 7))");
  assert.equal(shell.stdout, "42\n");
});

test("exec streams stdout and stderr to the callbacks in the order they were written, as they come", async () => {
  const frames: string[] = [];
  const started = Date.now();
  let firstAt = 0;
  const r = await sandbox.exec(
    "for i in 1 2 3; do echo out$i; sleep 0.15; echo err$i >&2; sleep 0.15; done; echo done",
    {
      onStdout: (chunk) => { firstAt ||= Date.now(); frames.push(`out:${chunk}`); },
      onStderr: (chunk) => { frames.push(`err:${chunk}`); },
    },
  );
  const ended = Date.now();
  assert.deepEqual(frames, ["out:out1\n", "err:err1\n", "out:out2\n", "err:err2\n", "out:out3\n", "err:err3\n", "out:done\n"]);
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout, "out1\nout2\nout3\ndone\n");
  assert.equal(r.stderr, "err1\nerr2\nerr3\n");
  assert.ok(ended - firstAt >= 600, `the first chunk arrived ${ended - firstAt} ms before the end: not streamed`);
  assert.ok(firstAt - started < ended - started);
});

test("exec with timeoutMs reports timedOut", async () => {
  // The timeout covers starting the command (a runc exec: a few hundred ms on a loaded 2-core machine), so it must
  // leave room for `echo start` to run before it strikes.
  const r = await sandbox.exec("echo start; sleep 30", { timeoutMs: 2500, onStdout: () => {} });
  assert.equal(r.timedOut, true);
  assert.equal(r.stdout, "start\n");
  const plain = await sandbox.exec(["sleep", "30"], { timeoutMs: 300 });
  assert.equal(plain.timedOut, true);
});

test("exec refuses an empty command before sending; the daemon's 400 names the field", async () => {
  await assert.rejects(sandbox.exec(""), TypeError);
  await assert.rejects(sandbox.exec([]), TypeError);
  const err = await sandbox.exec("true", { cwd: "relative" }).then(() => null, (e) => e);
  assert.ok(err instanceof ValidationError);
  assert.equal(err.status, 400);
  assert.deepEqual(err.errors.map((e: { path: string }) => e.path), ["cwd"]);
});

test("files: write, read, readText, list, delete; 404 after delete", async () => {
  await sandbox.files.write("/workspace/notes/a.txt", "hello ✓\n");
  await sandbox.files.write("/workspace/notes/b.bin", new Uint8Array([0, 1, 2, 255]));
  assert.equal(await sandbox.files.readText("/workspace/notes/a.txt"), "hello ✓\n");
  assert.deepEqual([...await sandbox.files.read("/workspace/notes/b.bin")], [0, 1, 2, 255]);
  const list = await sandbox.files.list("/workspace/notes");
  assert.deepEqual(list.map((e) => [e.name, e.type, e.size]).sort(), [["a.txt", "file", 10], ["b.bin", "file", 4]]);
  assert.equal((await sandbox.exec("cat /workspace/notes/a.txt")).stdout, "hello ✓\n", "the agent sees the file");
  await assert.rejects(sandbox.files.read("/workspace/notes"), /is a directory/);
  await sandbox.files.delete("/workspace/notes/a.txt");
  await assert.rejects(sandbox.files.readText("/workspace/notes/a.txt"), NotFoundError);
  const events = await sandbox.getEvents({ types: "fs.request" });
  assert.ok(events.some((e) => e.path === "/workspace/notes/a.txt" && e.op === "unlink"), "file access is recorded");
});

test("validation errors: 400 with the JSON path of each invalid field", async () => {
  const err = await sandbox.applyConfig({
    image: "hive/minimal",
    egress: [{ access: "allow", host: "api.github.com", ports: [0] }, { access: "allow", host: "" }],
  }).then(() => null, (e) => e);
  assert.ok(err instanceof ValidationError, String(err));
  assert.ok(err instanceof HiveError);
  assert.equal(err.status, 400);
  assert.equal(err.title, "Invalid configuration");
  assert.deepEqual(err.errors.map((e: { path: string }) => e.path).sort(), ["egress[0].ports[0]", "egress[1].host"]);
  assert.match(err.message, /egress\[0\]\.ports\[0\]/);

  // Unknown fields are refused with their path, at creation too.
  const unknown = await client.getOrCreateSandbox("bad", { image: "hive/minimal", fs: [{ backend: "local", mount: "/w", colour: "red" }] } as never)
    .then(() => null, (e) => e);
  assert.ok(unknown instanceof ValidationError);
  assert.deepEqual(unknown.errors.map((e: { path: string }) => e.path), ["fs[0].colour"]);
  await assert.rejects(client.getSandbox("bad"), NotFoundError);
});

test("an immutable field changed: ValidationError with status 422", async () => {
  const err = await sandbox.applyConfig({ ...(await sandbox.getConfig()), image: "hive/other" }).then(() => null, (e) => e);
  assert.ok(err instanceof ValidationError);
  assert.equal(err.status, 422);
  assert.deepEqual(err.errors.map((e: { path: string }) => e.path), ["image"]);
});

test("applyConfig returns { applied, config, changes, warnings }", async () => {
  const r = await sandbox.applyConfig({ ...(await sandbox.getConfig()), egress: { deny: [{ host: "evil.example" }], allow: [{ host: "*.example" }] } });
  assert.equal(r.applied, true);
  assert.deepEqual(r.config.egress, [{ access: "deny", host: "evil.example" }, { access: "allow", host: "*.example" }]);
  assert.ok(Array.isArray(r.changes) && r.changes.length > 0, JSON.stringify(r.changes));
  assert.ok(Array.isArray(r.warnings));
  assert.deepEqual(sandbox.config.egress, r.config.egress);
});

test("concurrent applies: each succeeds or fails with ConflictError, and the last success is in force", async () => {
  const hosts = Array.from({ length: 12 }, (_, i) => `h${i}.example`);
  const base = await sandbox.getConfig();
  const outcomes = await Promise.allSettled(hosts.map((host) => sandbox.applyConfig({ ...base, egress: [{ access: "allow", host }] })));
  const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
  for (const r of rejected) assert.ok(r.reason instanceof ConflictError && r.reason.status === 409, String(r.reason));
  const applied = outcomes.flatMap((o, i) => (o.status === "fulfilled" ? [hosts[i]] : []));
  assert.ok(applied.length >= 1);
  const now = (await sandbox.getConfig()).egress;
  assert.equal(now.length, 1);
  assert.ok(applied.includes(now[0]!.host), `${now[0]!.host} was never applied successfully`);
  const events = await sandbox.getEvents({ types: "config.apply", limit: 1000 });
  assert.ok(events.filter((e) => e.success === true).length >= applied.length);
});

test("NotFoundError, AuthError and UnavailableError carry the daemon's problem details", async () => {
  const missing = await client.getSandbox("nope").then(() => null, (e) => e);
  assert.ok(missing instanceof NotFoundError);
  assert.equal(missing.status, 404);
  assert.equal(missing.type, "https://hive.dev/problems/404");
  assert.match(missing.detail, /nope/);

  const wrong = createClient({ url: daemon.url, token: "wrong" });
  const auth = await wrong.listSandboxes().then(() => null, (e) => e);
  assert.ok(auth instanceof AuthError);
  assert.equal(auth.status, 401);
  assert.match(auth.message, /bearer token/);

  const none = createClient({ url: daemon.url });
  const noToken = await none.listSandboxes().then(() => null, (e) => e);
  assert.ok(noToken instanceof AuthError);

  const port = await freePort(); // nothing listens there any more
  const dead = createClient({ url: `http://127.0.0.1:${port}`, token: "x" });
  const down = await dead.listSandboxes().then(() => null, (e) => e);
  assert.ok(down instanceof UnavailableError);
  assert.equal(down.status, 0);
  assert.equal(down.message, `The Hive daemon is not running at http://127.0.0.1:${port} (connection refused). Start it with \`hive up\`, or set HIVE_URL to where it runs.`);
});

test("getEvents pages by type and after; shutdown removes the sandbox", async () => {
  const all = await sandbox.getEvents({ after: 0 });
  assert.ok(all.length > 3);
  assert.equal(all[0]!.type, "sandbox.created");
  const page = await sandbox.getEvents({ after: all[0]!.id, limit: 2 });
  assert.deepEqual(page.map((e) => e.id), all.slice(1, 3).map((e) => e.id));
  const execs = await client.getEvents({ types: ["exec.request", "exec.response"] });
  assert.ok(execs.length > 0 && execs.every((e) => e.type.startsWith("exec.")));

  const doomed = await client.getOrCreateSandbox("doomed", { image: "hive/minimal" });
  await doomed.shutdown();
  await assert.rejects(client.getSandbox("doomed"), NotFoundError);
  const destroyed = await client.getEvents({ types: "sandbox.destroyed" });
  assert.ok(destroyed.some((e) => e.sandbox === "doomed"));
});
