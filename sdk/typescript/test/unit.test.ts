// Client-side behaviour that a live daemon cannot provoke on demand, against a local fake of its HTTP API:
// problem+json mapping (409 included), request shapes, the SSE parser, stream resume and idle reconnect,
// connection settings from the environment.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AuthError, ConflictError, Connection, HiveError, NotFoundError, SseParser, UnavailableError, ValidationError,
  createClient, resolveConnection, streamTiming, type HiveEvent, type SseFrame,
} from "hive";
import { startFake, json, problem, sandboxInfo, sseEvent, type FakeServer } from "./helpers/fake.js";

const fakes: FakeServer[] = [];
after(async () => {
  for (const f of fakes) await f.close();
});

async function fake(handler: Parameters<typeof startFake>[0]): Promise<FakeServer> {
  const f = await startFake(handler);
  fakes.push(f);
  return f;
}

test("applyConfig: 409 from the daemon is a ConflictError carrying the problem details", async () => {
  const f = await fake((req, res) => {
    if (req.method === "PUT" && req.url === "/v1/sandboxes/s1") return json(res, 201, sandboxInfo(f.url, "s1"));
    problem(res, 409, "Conflict", 'another config apply for sandbox "s1" is in progress; retry when it finishes');
  });
  const sandbox = await createClient({ url: f.url, token: "t" }).getOrCreateSandbox("s1", {});
  assert.equal(sandbox.created, true);
  const err = await sandbox.applyConfig({ egress: [] }).then(() => null, (e) => e);
  assert.ok(err instanceof ConflictError);
  assert.ok(err instanceof HiveError && err instanceof Error);
  assert.equal(err.name, "ConflictError");
  assert.equal(err.status, 409);
  assert.equal(err.title, "Conflict");
  assert.equal(err.type, "https://hive.dev/problems/409");
  assert.equal(err.detail, 'another config apply for sandbox "s1" is in progress; retry when it finishes');
  assert.equal(err.message, err.detail);
  assert.deepEqual(err.errors, []);
  const put = f.requests.at(-1)!;
  assert.equal(put.method, "PUT");
  assert.equal(put.url, "/v1/sandboxes/s1/config");
});

test("every status maps to its error class", async () => {
  const cases: [number, unknown, string | undefined, typeof HiveError, string][] = [
    [400, { title: "Invalid configuration", status: 400, detail: "egress[0].host: is required", errors: [{ path: "egress[0].host", message: "is required" }] }, "application/problem+json", ValidationError, "egress[0].host: is required"],
    [422, { title: "Immutable field changed", status: 422, detail: "image: cannot change" }, "application/problem+json", ValidationError, "image: cannot change"],
    [401, { title: "Unauthorized", detail: "missing or wrong bearer token" }, "application/problem+json", AuthError, "missing or wrong bearer token"],
    [403, { title: "Forbidden" }, "application/problem+json", AuthError, "Forbidden"],
    [404, { title: "Not found", detail: 'sandbox "x" does not exist' }, "application/problem+json", NotFoundError, 'sandbox "x" does not exist'],
    [500, { title: "Internal error", detail: "boom" }, "application/problem+json", HiveError, "boom"],
    [503, "daemon is shutting down", "text/plain", UnavailableError, "daemon is shutting down"],
    [502, "<html>bad gateway</html>", "text/html", UnavailableError, "answered 502"],
  ];
  for (const [status, body, type, cls, message] of cases) {
    const f = await fake((_req, res) => {
      res.writeHead(status, { "content-type": type! });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    });
    const err: any = await createClient({ url: f.url, token: "t" }).listSandboxes().then(() => null, (e) => e);
    assert.ok(err instanceof cls, `${status}: ${err}`);
    assert.equal(err.constructor, cls, `${status}: exactly ${cls.name}`);
    assert.equal(err.status, status);
    assert.ok(err.message.includes(message), `${status}: ${err.message}`);
  }
  const f = await fake((_req, res) => problem(res, 400, "Invalid configuration", "2 errors", [
    { path: "fs[0].mount", message: "must be absolute" }, { path: "ttl", message: "must be ≥ 0" },
  ]));
  const err = await createClient({ url: f.url, token: "t" }).getOrCreateSandbox("x", {}).then(() => null, (e) => e);
  assert.ok(err instanceof ValidationError);
  assert.deepEqual(err.errors, [{ path: "fs[0].mount", message: "must be absolute" }, { path: "ttl", message: "must be ≥ 0" }]);
});

test("a 401 without any token says where the token comes from", async () => {
  const f = await fake((_req, res) => problem(res, 401, "Unauthorized", "missing or wrong bearer token"));
  const home = mkdtempSync(join(tmpdir(), "hive-ts-unit-"));
  try {
    const c = new Connection({ url: f.url, tokenFile: join(home, "token") });
    const err = await c.json("GET", "/v1/sandboxes").then(() => null, (e) => e);
    assert.ok(err instanceof AuthError);
    assert.match(err.message, /No token was found: set HIVE_TOKEN, or run as a user who can read .*\/token/);
    assert.equal(f.requests[0]!.headers.authorization, undefined);
    // The token file is read on use once it exists (a client made before the daemon's first start).
    writeFileSync(join(home, "token"), "late-token\n");
    await c.request("GET", "/v1/sandboxes").catch(() => {});
    assert.equal(f.requests[1]!.headers.authorization, "Bearer late-token");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("request shapes: get-or-create, exec, files, events page", async () => {
  const f = await fake((req, res) => {
    if (req.url === "/v1/sandboxes/my%20box") return json(res, 200, sandboxInfo("", "my box"));
    if (req.url.endsWith("/exec")) return json(res, 200, { exitCode: 0, stdout: "x", stderr: "", durationMs: 1 });
    if (req.url.includes("/files/")) {
      if (req.method === "GET") return void res.writeHead(200, { "content-type": "application/octet-stream" }).end("data");
      return void res.writeHead(204).end();
    }
    if (req.url.includes("/events")) return json(res, 200, []);
    res.writeHead(404).end();
  });
  const client = createClient({ url: f.url + "/", token: " tok " });
  assert.equal(client.url, f.url);
  const s = await client.getOrCreateSandbox("my box", { egress: { allow: [{ host: "api.github.com" }] } });
  assert.equal(s.created, false);
  assert.equal(s.url, `${f.url}/sandboxes/my%20box/`, "a relative sandbox url is made absolute");
  let r = f.requests.at(-1)!;
  assert.equal(r.method, "PUT");
  assert.equal(r.headers.authorization, "Bearer tok");
  assert.equal(r.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(r.body), { egress: { allow: [{ host: "api.github.com" }] } });

  const result = await s.exec(["ls", "-la"], { cwd: "/workspace" });
  assert.equal(result.timedOut, false, "timedOut defaults to false");
  r = f.requests.at(-1)!;
  assert.equal(r.method, "POST");
  assert.equal(r.url, "/v1/sandboxes/my%20box/exec");
  assert.equal(r.headers.accept, "application/json");
  assert.deepEqual(JSON.parse(r.body), { command: ["ls", "-la"], cwd: "/workspace" });

  await s.files.write("/workspace/a b/c#d.txt", "hi");
  r = f.requests.at(-1)!;
  assert.equal(r.method, "PUT");
  assert.equal(r.url, "/v1/sandboxes/my%20box/files/workspace/a%20b/c%23d.txt");
  assert.equal(r.headers["content-type"], "application/octet-stream");
  assert.equal(r.body, "hi");
  assert.equal(await s.files.readText("/workspace/x"), "data");
  await s.files.delete("/workspace/x");
  assert.equal(f.requests.at(-1)!.method, "DELETE");

  await s.getEvents({ types: ["egress.*", "fs.request"], after: 3, limit: 2 });
  assert.equal(f.requests.at(-1)!.url, "/v1/sandboxes/my%20box/events?follow=false&types=egress.*%2Cfs.request&after=3&limit=2");
  await client.getEvents();
  assert.equal(f.requests.at(-1)!.url, "/v1/events?follow=false");
});

test("exec streaming: frames in order, an error frame becomes a typed error, a cut stream is an error", async () => {
  let mode = "ok";
  const f = await fake((req, res) => {
    if (req.url === "/v1/sandboxes/s") return json(res, 200, sandboxInfo("", "s"));
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write('event: stdout\ndata: {"data":"a"}\n\nevent: stderr\ndata: {"data":"b"}\n\n');
    if (mode === "ok") res.write('event: stdout\r\ndata: {"data":"c"}\r\n\r\nevent: exit\ndata: {"exitCode":7,"durationMs":5,"timedOut":false}\n\n');
    if (mode === "error") res.write('event: error\ndata: {"status":404,"title":"Not found","detail":"sandbox \\"s\\" does not exist"}\n\n');
    res.end();
  });
  const sandbox = await createClient({ url: f.url, token: "t" }).getSandbox("s");
  const seen: string[] = [];
  const r = await sandbox.exec("x", { onStdout: (c) => void seen.push("out:" + c), onStderr: (c) => void seen.push("err:" + c) });
  assert.deepEqual(seen, ["out:a", "err:b", "out:c"]);
  assert.deepEqual(r, { exitCode: 7, stdout: "ac", stderr: "b", durationMs: 5, timedOut: false, stdoutTruncated: false, stderrTruncated: false });
  assert.equal(f.requests.at(-1)!.headers.accept, "text/event-stream");
  mode = "error";
  await assert.rejects(sandbox.exec("x", { onStdout: () => {} }), NotFoundError);
  mode = "cut";
  await assert.rejects(sandbox.exec("x", { onStdout: () => {} }), /ended before the command's exit status arrived/);
  mode = "ok";
  await assert.rejects(sandbox.exec("x", { onStdout: () => { throw new Error("callback failed"); } }), /callback failed/);
});

test("SseParser: CR, LF and CRLF, split chunks, comments, multi-line data, ids, retry", () => {
  const p = new SseParser();
  const frames: SseFrame[] = [];
  const text = ": hello\r\nid: 1\r\nevent: a\r\ndata: x\r\ndata:  y\r\n\r\nid: 2\rdata: z\r\rdata\n\nevent: lone\n\nretry: 1500\nid\n: c\ndata: é\n\n";
  // Feed it one character at a time: every split point, including inside CRLF.
  for (const ch of text) frames.push(...p.feed(ch));
  assert.deepEqual(frames, [
    { event: "a", data: "x\n y", id: "1" },
    { event: "message", data: "z", id: "2" },
    { event: "message", data: "", id: "2" },
    { event: "message", data: "é", id: "" },
  ]);
  assert.equal(p.retry, 1500);
});

function eventsServer(script: (attempt: number, req: { url: string; headers: Record<string, unknown> }, res: import("node:http").ServerResponse) => void) {
  let attempt = 0;
  return fake((req, res) => {
    if (req.url.startsWith("/v1/sandboxes/s/events")) return script(attempt++, req, res);
    if (req.url === "/v1/sandboxes/s") return json(res, 200, sandboxInfo("", "s"));
    res.writeHead(404).end();
  });
}

const ev = (id: number, type = "exec.request", extra: Record<string, unknown> = {}) => ({ id, ts: "2026-01-01T00:00:00Z", sandbox: "s", type, ...extra });

test("getEventsStream resumes with Last-Event-ID after a dropped connection and a 503, without repeats", async () => {
  const f = await eventsServer((attempt, _req, res) => {
    if (attempt === 0) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const id of [1, 2, 3]) sseEvent(res, ev(id));
      res.write("id: 4\nevent: exec.request\ndata: {\"id\":4,"); // half an event, then the connection breaks
      setTimeout(() => res.socket?.destroy(), 50);
    } else if (attempt === 1) {
      problem(res, 503, "Unavailable", "starting");
    } else {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const id of [2, 3, 4, 5]) sseEvent(res, ev(id)); // a daemon that repeats: the client drops repeats
    }
  });
  const client = createClient({ url: f.url, token: "t" });
  const sandbox = await client.getSandbox("s");
  const got: number[] = [];
  for await (const e of sandbox.getEventsStream({ types: "exec.*" })) {
    got.push(e.id);
    if (e.id === 5) break;
  }
  assert.deepEqual(got, [1, 2, 3, 4, 5]);
  const attempts = f.requests.filter((r) => r.url.includes("/events"));
  assert.equal(attempts.length, 3);
  assert.equal(attempts[0]!.url, "/v1/sandboxes/s/events?types=exec.*");
  assert.equal(attempts[0]!.headers["last-event-id"], undefined);
  assert.equal(attempts[0]!.headers.accept, "text/event-stream");
  for (const a of attempts.slice(1)) {
    assert.equal(a.url, "/v1/sandboxes/s/events?types=exec.*&after=3");
    assert.equal(a.headers["last-event-id"], "3");
  }
});

test("getEventsStream: a silent connection is dropped after idleMs and resumed", async () => {
  const saved = streamTiming.idleMs;
  streamTiming.idleMs = 300;
  try {
    const f = await eventsServer((attempt, _req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      sseEvent(res, ev(attempt + 10)); // then silence: no keep-alives
    });
    const sandbox = await createClient({ url: f.url, token: "t" }).getSandbox("s");
    const stream = sandbox.getEventsStream({ after: 9 });
    assert.equal((await stream.next()).value?.id, 10);
    assert.equal((await stream.next()).value?.id, 11);
    await stream.return();
    assert.equal(f.requests.filter((r) => r.url.includes("/events")).at(-1)!.headers["last-event-id"], "10");
  } finally {
    streamTiming.idleMs = saved;
  }
});

test("getEventsStream: close() ends it normally, an aborted signal with AbortError, errors on first connect throw", async () => {
  const f = await eventsServer((attempt, _req, res) => {
    if (attempt === 2) return problem(res, 401, "Unauthorized", "wrong token");
    res.writeHead(200, { "content-type": "text/event-stream" });
    sseEvent(res, ev(1));
  });
  const client = createClient({ url: f.url, token: "t" });
  const sandbox = await client.getSandbox("s");

  const stream = sandbox.getEventsStream();
  const seen: HiveEvent[] = [];
  const loop = (async () => { for await (const e of stream) seen.push(e); })();
  while (seen.length === 0) await new Promise((ok) => setTimeout(ok, 10));
  client.close();
  await loop;
  assert.deepEqual(seen.map((e) => e.id), [1]);

  const controller = new AbortController();
  const aborted = sandbox.getEventsStream({ signal: controller.signal });
  assert.equal((await aborted.next()).value?.id, 1);
  const pending = aborted.next();
  controller.abort();
  await assert.rejects(pending, { name: "AbortError" });

  await assert.rejects(sandbox.getEventsStream().next(), AuthError);
});

test("001 #8 verbatim against a daemon that reports denied egress: each blocked request is printed once", async () => {
  const f = await eventsServer((attempt, _req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    if (attempt > 0) return void res.end(); // the loop ends when the test closes the client
    sseEvent(res, ev(1, "egress.request", { access: "allowed", host: "api.anthropic.com", method: "POST", path: "/v1/messages" }));
    sseEvent(res, ev(2, "egress.request", { access: "denied", host: "evil.example", method: "GET", path: "/exfil" }));
    sseEvent(res, ev(3, "dns.query", { name: "evil.example", access: "denied" }));
    sseEvent(res, ev(4, "egress.request", { access: "denied", host: "pypi.org", method: "TLS", path: null }));
    res.end();
  });
  const client = createClient({ url: f.url, token: "t" });
  const sandbox = await client.getSandbox("s");
  const logged: unknown[][] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void logged.push(args);
  try {
    const loop = (async () => {
      // >>> 001_5e45544786faa9c4.txt
      for await (const event of sandbox.getEventsStream()) {
        if (event.type === "egress.request" && event.access === "denied") {
          console.log("blocked:", event.host, event.method, event.path);
        }
      }
      // <<<
    })();
    while (logged.length < 2) await new Promise((ok) => setTimeout(ok, 10));
    await new Promise((ok) => setTimeout(ok, 400)); // a reconnect or two: nothing is printed twice
    client.close();
    await loop;
  } finally {
    console.log = original;
  }
  assert.deepEqual(logged, [["blocked:", "evil.example", "GET", "/exfil"], ["blocked:", "pypi.org", "TLS", null]]);
});

test("connection settings come from HIVE_URL / HIVE_TOKEN, else HIVE_LISTEN or daemon.json, and $HIVE_HOME/token", () => {
  assert.deepEqual(resolveConnection({ HIVE_URL: "http://10.0.0.1:9999", HIVE_TOKEN: "abc" }), { url: "http://10.0.0.1:9999", token: "abc", tokenFile: undefined });
  assert.deepEqual(resolveConnection({}), { url: "http://127.0.0.1:9000", token: undefined, tokenFile: "/var/lib/hive/token" });
  assert.equal(resolveConnection({ HIVE_LISTEN: "0.0.0.0:9100" }).url, "http://127.0.0.1:9100");
  assert.equal(resolveConnection({ HIVE_LISTEN: ":9200" }).url, "http://127.0.0.1:9200");
  assert.equal(resolveConnection({ HIVE_LISTEN: "[::]:9300" }).url, "http://[::1]:9300");
  const home = mkdtempSync(join(tmpdir(), "hive-ts-unit-"));
  try {
    writeFileSync(join(home, "daemon.json"), JSON.stringify({ listen: "127.0.0.1:9444" }));
    writeFileSync(join(home, "token"), "file-token\n");
    assert.deepEqual(resolveConnection({ HIVE_HOME: home }), { url: "http://127.0.0.1:9444", token: undefined, tokenFile: join(home, "token") });
    assert.equal(resolveConnection({ HIVE_HOME: home, HIVE_LISTEN: "127.0.0.1:9555" }).url, "http://127.0.0.1:9555", "HIVE_LISTEN wins");
    const saved = { ...process.env };
    try {
      delete process.env.HIVE_URL;
      delete process.env.HIVE_TOKEN;
      delete process.env.HIVE_LISTEN;
      process.env.HIVE_HOME = home;
      const c = createClient();
      assert.equal(c.url, "http://127.0.0.1:9444");
      assert.equal(c.connection.token, "file-token");
      assert.equal(createClient({ url: "http://127.0.0.1:1234" }).connection.token, undefined, "a given url never gets the local token");
    } finally {
      process.env = saved;
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  assert.throws(() => resolveConnection({ HIVE_URL: "localhost:9000" }), HiveError);
});
