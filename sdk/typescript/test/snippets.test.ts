// The TypeScript snippets of ../shared/reference/, verbatim, against a live daemon. Each block between
// `// >>> <reference>` and `// <<<` is copied unchanged (checked by the first test); each snippet's import line
// sits at the top of this file, and variables a snippet takes from its surrounding document (`sandbox`,
// `rotatedKey`) are provided by the test around it.
//
// Not run here: 001's two fragments that are only the `egress: [...]` property (wildcard examples, not
// statements), 002 (shell commands of another tool), 003's `Sandbox.create` snippets (superserve's API, not
// ours; its `Secret.create` snippet runs in secrets.test.ts), 004's shell/Dockerfile blocks. Two 001 snippets
// elide part of the object with a literal `...`, which is not valid TypeScript; they run below with only that
// line removed, marked "adapted".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
// >>> 000_e95f8bce2a11ff0a.txt
import { getOrCreateSandbox } from "hive";
// <<<
// >>> 004_11794abf9107c6bf.txt
import * as hive from "hive";
// <<<
import { TestDaemon } from "./helpers/daemon.js";
import { verbatimProblems } from "./helpers/verbatim.js";

let daemon: TestDaemon;
let admin: hive.Hive;

before(async () => {
  daemon = await TestDaemon.start({ images: ["hive/base", "hive/claude-code:latest", "custom-node-hive-bundle:latest"] });
  // The snippets use the default client, which reads these on first use.
  process.env.HIVE_URL = daemon.url;
  process.env.HIVE_TOKEN = daemon.token;
  process.env.ANTHROPIC_API_KEY = "sk-ant-api03-FAKE-test-key-0123456789";
  process.env.GITHUB_TOKEN = "ghp_FAKEtesttoken0123456789";
  process.env.FINNHUB_API_KEY = "finnhub-FAKE-key-4242";
  admin = daemon.client();
});

after(async () => {
  admin?.close();
  hive.getDefaultClient().close();
  await daemon?.stop();
});

/** Removes the sandboxes a snippet is about to create, so each snippet creates its own. */
async function fresh(...names: string[]): Promise<void> {
  for (const name of names) {
    try {
      await admin.deleteSandbox(name);
    } catch (e) {
      if (!(e instanceof hive.NotFoundError)) throw e;
    }
  }
}

async function shell(sandbox: hive.Sandbox, line: string): Promise<string> {
  const r = await sandbox.exec(["/bin/sh", "-c", line]);
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout.trim();
}

test("the snippet blocks in this file are verbatim copies of the reference", (t) => {
  const problems = verbatimProblems("snippets.test.ts");
  if (problems === null) return t.skip("../shared/reference is not on this machine");
  assert.deepEqual(problems, []);
});

test("000 #1: env and a custom image (hive/claude-code:latest)", async () => {
  await fresh("my-sandbox");
  // >>> 000_e95f8bce2a11ff0a.txt
  const sandbox = await getOrCreateSandbox("my-sandbox", {
    image: "hive/claude-code:latest",
    env: {
      ANTHROPIC_API_KEY: process.env.ANTHROPIC_API_KEY!,
      GITHUB_TOKEN: process.env.GITHUB_TOKEN!,
    },
    fs: [{ backend: "local", mount: "/workspace", acls: [{ path: "/workspace/**", access: "rw" }] }],
    egress: [{ access: "allow", host: "api.anthropic.com" }],
  });
  // Inside the sandbox: process.env.ANTHROPIC_API_KEY is available
  // <<<
  assert.equal(sandbox.created, true);
  assert.equal(sandbox.status, "running");
  assert.equal(sandbox.config.image, "hive/claude-code:latest");
  assert.deepEqual(sandbox.config.egress, [{ access: "allow", host: "api.anthropic.com" }]);
  assert.equal(await shell(sandbox, 'echo "$ANTHROPIC_API_KEY"'), process.env.ANTHROPIC_API_KEY);
  assert.equal(await shell(sandbox, 'echo "$GITHUB_TOKEN"'), process.env.GITHUB_TOKEN);
});

test("000 #2: a fresh sandbox with a rotated key", async () => {
  await fresh("my-sandbox-v2");
  const rotatedKey = "sk-ant-api03-ROTATED-fake-key";
  // >>> 000_e95f8bce2a11ff0a.txt
  // To rotate a key, provision a fresh sandbox
  const sandbox = await getOrCreateSandbox("my-sandbox-v2", {
    image: "hive/claude-code:latest",
    env: {
      ANTHROPIC_API_KEY: rotatedKey,
    },
    fs: [{ backend: "local", mount: "/workspace", acls: [{ path: "/workspace/**", access: "rw" }] }],
    egress: [{ access: "allow", host: "api.anthropic.com" }],
  });
  // <<<
  assert.equal(sandbox.created, true);
  assert.deepEqual((await sandbox.getConfig()).env, { ANTHROPIC_API_KEY: rotatedKey });
  assert.equal(await shell(sandbox, 'echo "$ANTHROPIC_API_KEY"'), rotatedKey);
  // env is immutable: applying a changed env is refused with 422 and the field's path.
  const err = await sandbox.applyConfig({ ...(await sandbox.getConfig()), env: { ANTHROPIC_API_KEY: "other" } }).then(() => null, (e) => e);
  assert.ok(err instanceof hive.ValidationError, String(err));
  assert.equal(err.status, 422);
  assert.ok(err.errors.some((e: hive.FieldError) => e.path === "env"), JSON.stringify(err.errors));
  await sandbox.shutdown();
});

test("000 #3: egress override values are stored and read back redacted", async () => {
  await fresh("my-sandbox");
  // >>> 000_e95f8bce2a11ff0a.txt
  const sandbox = await getOrCreateSandbox("my-sandbox", {
    fs: [{ backend: "local", mount: "/workspace", acls: [{ path: "/workspace/**", access: "rw" }] }],
    egress: [{
      access: "allow",
      host: "api.finnhub.io",
      override: {
        headers: { "X-Finnhub-Token": process.env.FINNHUB_API_KEY! },
        // or query params:
        // query: { api_key: process.env.API_KEY! },
      },
    }],
  });
  // <<<
  const config = await sandbox.getConfig();
  assert.equal(config.image, "hive/base");
  assert.deepEqual(config.egress, [{ access: "allow", host: "api.finnhub.io", override: { headers: { "X-Finnhub-Token": "***" }, query: {} } }]);
  assert.equal(sandbox.config.egress[0]!.override!.headers!["X-Finnhub-Token"], "***");
  const key = process.env.FINNHUB_API_KEY!;
  assert.ok(!JSON.stringify(config).includes(key));
  assert.ok(!JSON.stringify(sandbox.info).includes(key));
  assert.ok(!JSON.stringify(await sandbox.getEvents()).includes(key), "the override value is in an event");
});

test("001 #1: no egress rules: the config has none (all outbound denied)", async () => {
  await fresh("my-sandbox");
  // >>> 001_5e45544786faa9c4.txt
  // No egress rules — all outbound traffic is denied
  const sandbox = await getOrCreateSandbox("my-sandbox", {
    fs: [{ backend: "local", mount: "/workspace", acls: [{ path: "/workspace/**", access: "rw" }] }],
  });
  // <<<
  assert.equal(sandbox.created, true);
  assert.deepEqual((await sandbox.getConfig()).egress, []);
});

test("001 #2 (adapted: the elided `...` line removed): allow everything with host *", async () => {
  await fresh("my-sandbox");
  const sandbox = await getOrCreateSandbox("my-sandbox", {
    egress: [{ access: "allow", host: "*" }],
  });
  assert.deepEqual((await sandbox.getConfig()).egress, [{ access: "allow", host: "*" }]);
});

test("001 #3: rules narrowed by port, method and path are stored in order", async () => {
  await fresh("my-sandbox");
  // >>> 001_5e45544786faa9c4.txt
  const sandbox = await getOrCreateSandbox("my-sandbox", {
    fs: [{ backend: "local", mount: "/workspace", acls: [{ path: "/workspace/**", access: "rw" }] }],
    egress: [
      { access: "allow", host: "api.anthropic.com" },
      { access: "allow", host: "pypi.org", ports: [443] },
      { access: "allow", host: "api.github.com", methods: ["GET", "POST"] },
      { access: "allow", host: "api.example.com", paths: ["/v1/*"] },
    ],
  });
  // <<<
  assert.deepEqual((await sandbox.getConfig()).egress, [
    { access: "allow", host: "api.anthropic.com" },
    { access: "allow", host: "pypi.org", ports: [443] },
    { access: "allow", host: "api.github.com", methods: ["GET", "POST"] },
    { access: "allow", host: "api.example.com", paths: ["/v1/*"] },
  ]);
});

test("001 #6 (adapted: the elided `...` line removed): override header, redacted on read", async () => {
  await fresh("my-sandbox");
  const sandbox = await getOrCreateSandbox("my-sandbox", {
    egress: [{
      access: "allow",
      host: "api.finnhub.io",
      override: {
        headers: { "X-Finnhub-Token": process.env.FINNHUB_API_KEY! },
      },
    }],
  });
  assert.equal((await sandbox.getConfig()).egress[0]!.override!.headers!["X-Finnhub-Token"], "***");
});

test("001 #7: applyConfig with the current config and new egress rules", async () => {
  await fresh("my-sandbox");
  const sandbox = await getOrCreateSandbox("my-sandbox", {
    fs: [{ backend: "local", mount: "/workspace", acls: [{ path: "/workspace/**", access: "rw" }] }],
    egress: [{ access: "allow", host: "pypi.org", ports: [443] }],
    ttl: 600,
  });
  // >>> 001_5e45544786faa9c4.txt
  await sandbox.applyConfig({
    ...(await sandbox.getConfig()),
    egress: [
      { access: "allow", host: "api.anthropic.com" },
    ],
  });
  // <<<
  const config = await sandbox.getConfig();
  assert.deepEqual(config.egress, [{ access: "allow", host: "api.anthropic.com" }]);
  assert.equal(config.ttl, 600, "the other settings are kept");
  assert.equal(config.fs[0]!.volume, "my-sandbox-workspace");
  assert.deepEqual(sandbox.config.egress, config.egress, "sandbox.config follows the applied config");
  const applies = await sandbox.getEvents({ types: "config.apply" });
  assert.equal(applies.at(-1)?.success, true);
});

test("001 #8: for await over getEventsStream(), ended by closing the client", async () => {
  await fresh("my-sandbox");
  const client = daemon.client();
  const sandbox = await client.getOrCreateSandbox("my-sandbox", {});
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
    await sandbox.exec("true");
    await new Promise((ok) => setTimeout(ok, 300));
    client.close();
    await loop; // the loop ends (normally) when the client is closed
  } finally {
    console.log = original;
  }
  // The daemon records no egress.request events yet (no egress proxy), so nothing is reported as blocked.
  // The same loop against a daemon that does report them: unit.test.ts.
  assert.deepEqual(logged, []);
});

test("004 #1: import * as hive, egress in { allow } form, normalised to the list form", async () => {
  await fresh("my-sandbox");
  // >>> 004_11794abf9107c6bf.txt
  const sandbox = await hive.getOrCreateSandbox("my-sandbox", {
    fs: [
      {
        backend: "local",
        mount: "/workspace",
        acls: [{ path: "/workspace/**", access: "rw" }],
      },
    ],
    egress: {
      allow: [{ host: "api.github.com", methods: ["GET"], paths: ["/repos/*"] }],
    },
  });
  // <<<
  assert.equal(sandbox.created, true);
  assert.deepEqual((await sandbox.getConfig()).egress, [{ access: "allow", host: "api.github.com", methods: ["GET"], paths: ["/repos/*"] }]);
  assert.equal(sandbox.url, `${daemon.url}/sandboxes/my-sandbox/`);
});

test("004 #2: a custom image; sandbox.url points at the sandbox", async () => {
  await fresh("my-sandbox");
  // >>> 004_11794abf9107c6bf.txt
  const sandbox = await hive.getOrCreateSandbox("my-sandbox", {
    image: 'custom-node-hive-bundle:latest'
    // the rest
  });
  // `sandbox.url` points to the port `:8080`
  // <<<
  assert.equal(sandbox.created, true);
  assert.equal(sandbox.status, "running");
  assert.equal(sandbox.config.image, "custom-node-hive-bundle:latest");
  assert.equal(sandbox.url, `${daemon.url}/sandboxes/my-sandbox/`);
  const listed = await hive.listSandboxes();
  assert.ok(listed.some((s) => s.name === "my-sandbox" && s.image === "custom-node-hive-bundle:latest"));
});
