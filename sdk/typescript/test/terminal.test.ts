// sandbox.terminal(): an interactive terminal in a real sandbox over the daemon's WebSocket (a pty from hive-init).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { AuthError, Terminal, ValidationError, type Hive, type Sandbox } from "hive";
import { TestDaemon } from "./helpers/daemon.js";

let daemon: TestDaemon;
let client: Hive;
let sandbox: Sandbox;

before(async () => {
  daemon = await TestDaemon.start();
  client = daemon.client();
  sandbox = await client.getOrCreateSandbox("term", { image: "hive/minimal" });
});

after(async () => {
  client?.close();
  await daemon?.stop();
});

async function waitFor(t: Terminal, text: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!t.output.includes(text)) {
    if (Date.now() > deadline) assert.fail(`"${text}" never showed; the terminal showed:\n${t.output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("terminal(): a shell on a pty of the given size; typed input, resize and the exit status", async () => {
  const seen: Uint8Array[] = [];
  const t = await sandbox.terminal({ command: "sh -i", rows: 30, cols: 100, env: { PS1: "$ " }, onData: (d) => seen.push(d) });
  t.write("tty; stty size\n");
  await waitFor(t, "30 100");
  assert.match(t.output, /\/dev\/pts\/\d+/);
  t.resize(50, 160);
  t.write("stty size\n");
  await waitFor(t, "50 160");
  t.write("sleep 1000\n");
  await new Promise((r) => setTimeout(r, 300));
  t.write("\x03"); // Ctrl-C stops the foreground job, the shell goes on
  t.write("echo back-$((1+1)); exit 3\n");
  assert.equal(await t.exited, 3);
  assert.match(t.output, /back-2/);
  assert.ok(seen.length > 0, "onData saw the output");
});

test("terminal(): a refused start message rejects `exited` with the field's error", async () => {
  const t = await sandbox.terminal({ command: "true", rows: 0 });
  await assert.rejects(t.exited, (e: unknown) => e instanceof ValidationError && e.errors.some((x) => x.path === "rows"));
});

test("terminal(): without the right token the daemon refuses the handshake, and nothing runs", async () => {
  for (const token of [undefined, "0".repeat(64)]) {
    await assert.rejects(
      Terminal.open(daemon.url, "/v1/sandboxes/term/terminal", token, { command: "touch /tmp/should-not-exist" }),
      (e: unknown) => e instanceof AuthError && e.status === 401,
    );
  }
  assert.equal((await sandbox.exec("test -e /tmp/should-not-exist")).exitCode, 1);
});
