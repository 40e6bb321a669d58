// The default MCP server of hive/base, through sandbox.url, driven by the official MCP TypeScript SDK as an agent
// framework would: tools and annotations, bash keeping its working directory per session, write → read → edit,
// glob, grep, ACLs (deny, ro) refused through every file tool as in the shell, and 10 MB of output capped.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Hive, Sandbox } from "hive";
import { TestDaemon } from "./helpers/daemon.js";

let daemon: TestDaemon;
let hive: Hive;
let sandbox: Sandbox;
let mcp: Client;

interface ToolResult {
  text: string;
  isError: boolean;
  structured?: Record<string, unknown>;
}

async function connect(): Promise<Client> {
  const client = new Client({ name: "hive-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(sandbox.url), {
    requestInit: { headers: { Authorization: `Bearer ${daemon.token}` } },
  });
  await client.connect(transport);
  return client;
}

async function call(name: string, args: Record<string, unknown>, client: Client = mcp): Promise<ToolResult> {
  const r = await client.callTool({ name, arguments: args });
  const content = r.content as Array<{ type: string; text?: string }>;
  return {
    text: content.filter((c) => c.type === "text").map((c) => c.text).join("\n"),
    isError: r.isError === true,
    structured: r.structuredContent as Record<string, unknown> | undefined,
  };
}

/** What the shell says went wrong (the text after the last ": " of its last stderr line), e.g. "No such file or directory". */
async function shellError(command: string): Promise<string> {
  const r = await call("bash", { command });
  assert.notEqual(r.structured?.exitCode, 0, `'${command}' should have failed in the shell: ${r.text}`);
  const stderr = r.text.split("[stderr]\n")[1]?.split("\n[exit code")[0] ?? "";
  const last = stderr.trim().split("\n").at(-1) ?? "";
  return last.slice(last.lastIndexOf(": ") + 2);
}

before(async () => {
  daemon = await TestDaemon.start({ baseImage: true });
  hive = daemon.client();
  sandbox = await hive.getOrCreateSandbox("mcp", {
    image: "hive/base",
    fs: [{
      backend: "local",
      mount: "/workspace",
      acls: [
        { path: "/workspace/secret/**", access: "deny" },
        { path: "/workspace/ro/**", access: "ro" },
        { path: "/workspace/**", access: "rw" },
      ],
    }],
  });
  // The owner puts files in place through the files API (not subject to the agent's ACLs).
  await sandbox.files.write("/workspace/secret/key.txt", "top-secret\n");
  await sandbox.files.write("/workspace/ro/file.txt", "read-only\n");
  mcp = await connect();
});

after(async () => {
  await mcp?.close();
  hive?.close();
  await daemon?.stop();
});

test("tools/list: the seven tools coding agents expect, with annotations", async () => {
  const { tools } = await mcp.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), ["bash", "edit", "glob", "grep", "ls", "read", "write"]);
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  for (const name of ["read", "glob", "grep", "ls"]) {
    assert.equal(byName[name].annotations?.readOnlyHint, true, `${name} is read-only`);
    assert.equal(byName[name].annotations?.idempotentHint, true, `${name} is idempotent`);
  }
  assert.equal(byName.bash.annotations?.destructiveHint, true);
  assert.equal(byName.bash.annotations?.readOnlyHint, false);
  assert.equal(byName.write.annotations?.idempotentHint, true);
  assert.equal(byName.edit.annotations?.idempotentHint, false);
  assert.deepEqual(byName.read.inputSchema.required, ["path"]);
  assert.ok("offset" in (byName.read.inputSchema.properties ?? {}));
  assert.ok("replaceAll" in (byName.edit.inputSchema.properties ?? {}));
});

test("bash runs as the agent user and keeps its working directory between calls of a session", async () => {
  const who = await call("bash", { command: "id -u; pwd" });
  assert.equal(who.isError, false);
  assert.match(who.text, /^1000\n\/workspace\n/);
  const first = await call("bash", { command: "mkdir -p /tmp/deep/er && cd /tmp/deep && echo moved" });
  assert.equal(first.structured?.exitCode, 0);
  assert.equal(first.structured?.cwd, "/tmp/deep");
  const second = await call("bash", { command: "pwd; cd er; echo oops >&2; exit 3" });
  assert.match(second.text, /^\/tmp\/deep\n\[stderr\]\noops\n\[exit code 3\]$/);
  assert.equal(second.structured?.exitCode, 3);
  assert.equal((await call("bash", { command: "pwd" })).text, "/tmp/deep/er\n[exit code 0]");
  // Another MCP session has its own working directory.
  const other = await connect();
  try {
    assert.equal((await call("bash", { command: "pwd" }, other)).text, "/workspace\n[exit code 0]");
  } finally {
    await other.close();
  }
});

test("write creates parents, read numbers lines, edit replaces a unique string and says when it cannot", async () => {
  const w = await call("write", { path: "/workspace/notes/today/plan.md", content: "# Plan\nstep one\nstep two\nstep one\n" });
  assert.equal(w.isError, false, w.text);
  assert.match(w.text, /^Created \/workspace\/notes\/today\/plan\.md/);
  await call("bash", { command: "cd /workspace/notes" });
  const r = await call("read", { path: "today/plan.md" }); // relative to the session's working directory
  assert.equal(r.text, "     1\t# Plan\n     2\tstep one\n     3\tstep two\n     4\tstep one");
  assert.equal((await call("read", { path: "/workspace/notes/today/plan.md", offset: 2, limit: 1 })).text,
    "     2\tstep one\n[more lines follow: call read with offset=3 to continue]");

  const ambiguous = await call("edit", { path: "/workspace/notes/today/plan.md", oldString: "step one", newString: "step 1" });
  assert.equal(ambiguous.isError, true);
  assert.match(ambiguous.text, /occurs 2 times/);
  const absent = await call("edit", { path: "/workspace/notes/today/plan.md", oldString: "step three", newString: "x" });
  assert.equal(absent.isError, true);
  assert.match(absent.text, /was not found/);
  const unique = await call("edit", { path: "/workspace/notes/today/plan.md", oldString: "step two", newString: "step 2" });
  assert.equal(unique.isError, false, unique.text);
  const all = await call("edit", { path: "/workspace/notes/today/plan.md", oldString: "step one", newString: "step 1", replaceAll: true });
  assert.match(all.text, /replaced 2 occurrences/);
  assert.equal(await sandbox.files.readText("/workspace/notes/today/plan.md"), "# Plan\nstep 1\nstep 2\nstep 1\n");

  await sandbox.files.write("/workspace/bin.dat", new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]));
  const binary = await call("read", { path: "/workspace/bin.dat" });
  assert.match(binary.text, /is a binary file \(8 bytes\)/);
});

test("glob finds files newest first; grep searches with regex, glob filter and context", async () => {
  await call("write", { path: "/workspace/src/old.ts", content: "export const a = 1;\n" });
  await call("bash", { command: "touch -d '2001-01-01' /workspace/src/old.ts" });
  await call("write", { path: "/workspace/src/lib/new.ts", content: "// TODO: fix\nexport function f() {\n  return 42;\n}\n" });
  await call("write", { path: "/workspace/src/readme.md", content: "TODO in markdown\n" });
  const g = await call("glob", { pattern: "src/**/*.ts", path: "/workspace" });
  assert.equal(g.text, "/workspace/src/lib/new.ts\n/workspace/src/old.ts");
  assert.equal((await call("glob", { pattern: "**/*.rs" })).text, "No files found");

  const files = await call("grep", { pattern: "TODO", path: "/workspace/src" });
  assert.equal(files.text, "/workspace/src/readme.md\n/workspace/src/lib/new.ts");
  const content = await call("grep", { pattern: "todo", path: "/workspace/src", glob: "*.ts", outputMode: "content", ignoreCase: true, after: 1 });
  assert.equal(content.text, "/workspace/src/lib/new.ts:1:// TODO: fix\n/workspace/src/lib/new.ts-2-export function f() {");
  assert.equal((await call("grep", { pattern: "return \\d+", path: "/workspace/src", outputMode: "count" })).text, "/workspace/src/lib/new.ts:1");
  const ls = await call("ls", { path: "/workspace/src" });
  assert.equal(ls.text, "/workspace/src/\n  lib/\n  old.ts (20 bytes)\n  readme.md (17 bytes)");
});

test("a denied path does not exist for any tool, exactly as in the shell", async () => {
  const enoent = await shellError("cat /workspace/secret/key.txt");
  assert.equal(enoent, "No such file or directory");
  const read = await call("read", { path: "/workspace/secret/key.txt" });
  assert.equal(read.isError, true);
  assert.equal(read.text, "read: /workspace/secret/key.txt: No such file or directory");

  const shellEdit = await shellError("sed -i s/top/x/ /workspace/secret/key.txt");
  const edit = await call("edit", { path: "/workspace/secret/key.txt", oldString: "top", newString: "x" });
  assert.equal(edit.isError, true);
  assert.ok(edit.text.endsWith(": " + shellEdit), `edit said '${edit.text}', the shell '${shellEdit}'`);

  const shellWrite = await shellError("mkdir -p /workspace/secret && echo x > /workspace/secret/new.txt");
  const write = await call("write", { path: "/workspace/secret/new.txt", content: "x" });
  assert.equal(write.isError, true);
  assert.ok(write.text.endsWith(": " + shellWrite), `write said '${write.text}', the shell '${shellWrite}'`);

  assert.equal(await shellError("ls /workspace/secret"), "No such file or directory");
  const ls = await call("ls", { path: "/workspace/secret" });
  assert.equal(ls.isError, true);
  assert.equal(ls.text, "ls: /workspace/secret: No such file or directory");
  assert.doesNotMatch((await call("ls", { path: "/workspace" })).text, /secret/);

  const glob = await call("glob", { pattern: "**/*", path: "/workspace" });
  assert.doesNotMatch(glob.text, /secret|key\.txt/);
  assert.equal((await call("glob", { pattern: "*", path: "/workspace/secret" })).text, "glob: /workspace/secret: No such file or directory");
  assert.doesNotMatch((await call("grep", { pattern: "top-secret", path: "/workspace", outputMode: "content" })).text, /top-secret/);
  assert.equal((await call("grep", { pattern: "x", path: "/workspace/secret/key.txt" })).text,
    "grep: /workspace/secret/key.txt: No such file or directory");

  // Nothing leaked, nothing written, and the owner still has the file.
  assert.equal(await sandbox.files.readText("/workspace/secret/key.txt"), "top-secret\n");
});

test("a read-only path can be read but every write tool fails with EROFS, as in the shell", async () => {
  assert.equal((await call("read", { path: "/workspace/ro/file.txt" })).text, "     1\tread-only");
  const shellWrite = await shellError("echo x > /workspace/ro/file.txt");
  assert.equal(shellWrite, "Read-only file system");
  const write = await call("write", { path: "/workspace/ro/file.txt", content: "changed" });
  assert.equal(write.isError, true);
  assert.equal(write.text, "write: /workspace/ro/file.txt: Read-only file system");
  const edit = await call("edit", { path: "/workspace/ro/file.txt", oldString: "read", newString: "write" });
  assert.equal(edit.isError, true);
  assert.equal(edit.text, "edit: /workspace/ro/file.txt: Read-only file system");
  const create = await call("write", { path: "/workspace/ro/new.txt", content: "x" });
  assert.equal(create.isError, true);
  assert.ok(create.text.endsWith(": " + await shellError("echo x > /workspace/ro/new.txt")), create.text);
  assert.equal(await sandbox.files.readText("/workspace/ro/file.txt"), "read-only\n");
});

test("10 MB of output is truncated with a note, and the server carries on", async () => {
  const r = await call("bash", { command: "head -c 10485760 /dev/zero | tr '\\0' a; echo; echo THE-END" });
  assert.equal(r.isError, false);
  assert.equal(r.structured?.truncated, true);
  assert.ok(r.text.length < 40_000, `${r.text.length} characters came back`);
  assert.match(r.text, /stdout truncated: \d+ of 10485769 bytes not shown/);
  assert.match(r.text, /THE-END\n\[exit code 0\]$/);
  assert.equal((await call("bash", { command: "echo still here" })).text, "still here\n[exit code 0]");
});

test("every tool call is an exec.request / exec.response event recorded by the daemon", async () => {
  await call("bash", { command: "echo evented" });
  const events = await sandbox.getEvents({ types: "exec.*" });
  const request = [...events].reverse().find((e) => e.type === "exec.request" && (e as Record<string, unknown>).tool === "bash");
  assert.ok(request, "an exec.request for the bash call");
  assert.deepEqual((request as Record<string, unknown>).command, ["bash", "-c", "echo evented"]);
  const response = events.find((e) => e.type === "exec.response" && (e as Record<string, unknown>).requestId === request.id);
  assert.ok(response, "its exec.response");
  assert.equal((response as Record<string, unknown>).exitCode, 0);
  for (const tool of ["read", "write", "edit", "glob", "grep", "ls"]) {
    assert.ok(events.some((e) => e.type === "exec.request" && (e as Record<string, unknown>).tool === tool), `${tool} evented`);
  }
});
