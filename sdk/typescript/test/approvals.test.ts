// Client-shape tests of the approvals API: how the SDK follows held requests (SSE) and what it sends to answer them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient, ValidationError, ConflictError, type ApprovalInfo } from "hive";
import { startFake, json, problem, type FakeServer } from "./helpers/fake.js";

const held: ApprovalInfo = {
  id: "apr_0123456789abcdef", sandbox: "demo", kind: "https", host: "api.github.com", port: 443, method: "GET",
  path: "/repos/acme/x", rule: 2, waiters: 1, createdAt: "2026-01-01T00:00:00Z", expiresAt: "2026-01-01T00:02:00Z",
};
let f: FakeServer;

before(async () => {
  f = await startFake((req, res) => {
    if (req.method === "GET" && req.url.startsWith("/v1/approvals") && req.headers.accept === "text/event-stream") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": hive approvals\n\n");
      res.write(`event: approval\ndata: ${JSON.stringify(held)}\n\n`);
      res.write(`event: approval.decided\ndata: {"id":"apr_0000000000000000","decision":"timeout"}\n\n`);
      res.write(`event: approval\ndata: ${JSON.stringify({ ...held, id: "apr_1111111111111111", kind: "tcp", method: "TCP", path: null, port: 5432 })}\n\n`);
      return; // left open, like the daemon's stream
    }
    if (req.method === "GET" && req.url.startsWith("/v1/approvals")) return json(res, 200, [held]);
    if (req.url === "/v1/approvals/apr_0123456789abcdef") {
      const body = JSON.parse(req.body);
      if (body.rule?.paths?.[0] === "no-slash") return problem(res, 400, "Invalid approval decision", "rule.paths[0]: must start with /", [{ path: "rule.paths[0]", message: "must start with /" }]);
      return json(res, 200, { id: held.id, decision: body.decision, by: "token", reason: `${body.decision} once`, scope: body.scope, waiters: 1 });
    }
    return problem(res, 409, "Conflict", "approval apr_1111111111111111 is no longer waiting: it ended with timeout");
  });
});

after(async () => {
  await f?.close();
});

test("for await over approvals() yields each held request and a.allow() answers it", async () => {
  const hive = createClient({ url: f.url, token: "t" });
  const seen: string[] = [];
  const controller = new AbortController();
  for await (const a of hive.approvals({ sandbox: "demo", signal: controller.signal })) {
    seen.push(`${a.id} ${a.method} ${a.host}:${a.port}${a.path ?? ""}`);
    if (a.id === held.id) {
      const answer = await a.allow({ sandboxWide: true, paths: ["/repos/**"] });
      assert.equal(answer.decision, "allow");
      const sent = f.requests.find((r) => r.method === "POST")!;
      assert.equal(sent.url, "/v1/approvals/apr_0123456789abcdef");
      assert.equal(sent.headers.authorization, "Bearer t");
      assert.deepEqual(JSON.parse(sent.body), { decision: "allow", scope: "sandbox", rule: { paths: ["/repos/**"] } });
    } else {
      await assert.rejects(a.deny(), ConflictError);
      break;
    }
  }
  assert.deepEqual(seen, ["apr_0123456789abcdef GET api.github.com:443/repos/acme/x", "apr_1111111111111111 TCP api.github.com:5432"]);
  const stream = f.requests.find((r) => r.headers.accept === "text/event-stream")!;
  assert.match(stream.url, /sandbox=demo/);
  assert.match(stream.url, /follow=true/);
  hive.close();
});

test("listApprovals() lists the waiting ones and deny() once sends scope once", async () => {
  const hive = createClient({ url: f.url, token: "t" });
  const list = await hive.listApprovals();
  assert.equal(list.length, 1);
  assert.equal(list[0].rule, 2);
  const answer = await list[0].deny();
  assert.equal(answer.scope, "once");
  assert.deepEqual(JSON.parse(f.requests.at(-1)!.body), { decision: "deny", scope: "once" });
});

test("a bad narrowed rule is a ValidationError naming the field", async () => {
  const hive = createClient({ url: f.url, token: "t" });
  const [a] = await hive.listApprovals();
  await assert.rejects(a.allow({ sandboxWide: true, paths: ["no-slash"] }), (e: unknown) => {
    assert.ok(e instanceof ValidationError);
    assert.equal(e.errors[0].path, "rule.paths[0]");
    return true;
  });
});
