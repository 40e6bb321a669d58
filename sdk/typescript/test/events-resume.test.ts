// The event stream survives a daemon crash: kill -9 mid-stream, restart on the same home, and the iterator
// continues with every event exactly once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { HiveEvent, Hive } from "hive";
import { TestDaemon, eventually, freePort } from "./helpers/daemon.js";

let daemon: TestDaemon;
let client: Hive;

before(async () => {
  daemon = await TestDaemon.start();
  client = daemon.client();
});

after(async () => {
  client?.close();
  await daemon?.stop();
});

const ids = (events: HiveEvent[]) => events.map((e) => e.id);

test("getEventsStream resumes after kill -9 and restart: no duplicates, no gaps", { timeout: 60_000 }, async () => {
  const sandbox = await client.getOrCreateSandbox("ev", { image: "hive/minimal" });

  // Stream A is pulled continuously: it is retrying while the daemon is down.
  const a: HiveEvent[] = [];
  const streamA = sandbox.getEventsStream();
  const consumerA = (async () => {
    for await (const e of streamA) a.push(e);
  })();
  // Stream B (only exec events, across all sandboxes) is not pulled while the daemon is down: the events
  // appended after the restart reach it only through the resume.
  const streamB = client.getEventsStream({ types: "exec.*" });
  const b: HiveEvent[] = [];
  const pullB = async (until: (e: HiveEvent) => boolean) => {
    const deadline = Date.now() + 20_000;
    while (true) {
      assert.ok(Date.now() < deadline, "stream B did not deliver the expected event in time");
      const r = await streamB.next();
      assert.ok(!r.done, "stream B ended");
      b.push(r.value);
      if (until(r.value)) return;
    }
  };

  const first = await sandbox.exec("echo one");
  assert.equal(first.stdout, "one\n");
  await eventually(() => a.some((e) => e.type === "exec.response"), "stream A to see the first exec");
  await pullB((e) => e.type === "exec.response");
  const beforeCrash = a.at(-1)!.id;

  await daemon.kill9();
  await new Promise((ok) => setTimeout(ok, 700)); // stream A fails to reconnect a few times meanwhile
  await daemon.restart();

  // Appended while stream B is disconnected.
  const second = await sandbox.exec(["sh", "-c", "echo two"]);
  assert.equal(second.stdout, "two\n");
  await pullB((e) => e.type === "exec.response" && e.id > beforeCrash);
  await eventually(() => a.some((e) => e.type === "exec.response" && e.id > beforeCrash), "stream A to resume");

  // And live again after the resume.
  await sandbox.exec("echo three");
  await pullB((e) => e.type === "exec.response" && b.filter((x) => x.type === "exec.response").length >= 3);
  const log = await sandbox.getEvents({ after: 0, limit: 10_000 });
  await eventually(() => a.length >= log.length, "stream A to see every stored event");

  streamA.close();
  await consumerA;
  await streamB.return();

  assert.deepEqual(ids(a), ids(log), "stream A = the stored log, in order, each event once");
  const execLog = (await client.getEvents({ after: 0, types: "exec.*", limit: 10_000 }));
  assert.deepEqual(ids(b), ids(execLog), "stream B = the stored exec events, in order, each once");
  assert.ok(ids(a).every((id, i, all) => i === 0 || id > all[i - 1]!), "ids strictly increase");
  assert.equal(streamA.lastEventId, log.at(-1)!.id);
  assert.ok(log.some((e) => e.id > beforeCrash && e.type === "exec.request"), "events after the crash are in the log");
});

test("a stream to a daemon that is not running fails at once with UnavailableError", async () => {
  const { createClient, UnavailableError } = await import("hive");
  const dead = createClient({ url: `http://127.0.0.1:${await freePort()}`, token: "x" });
  const stream = dead.getEventsStream();
  await assert.rejects(stream.next(), UnavailableError);
});
