// The CommonJS build: require("hive") gives the same surface as the ES module, with its own type declarations.
const { test } = require("node:test");
const assert = require("node:assert/strict");
const { existsSync } = require("node:fs");
const { join } = require("node:path");

test("require('hive') loads the CommonJS build with the whole surface", async () => {
  const hive = require("hive");
  assert.match(require.resolve("hive"), /dist\/cjs\/index\.js$/);
  for (const name of ["getOrCreateSandbox", "getSandbox", "listSandboxes", "createClient", "Hive", "Sandbox", "EventStream",
    "HiveError", "NotFoundError", "ConflictError", "ValidationError", "AuthError", "UnavailableError"]) {
    assert.equal(typeof hive[name], "function", name);
  }
  for (const name of ["create", "list", "delete", "rotate", "activity"]) assert.equal(typeof hive.Secret[name], "function", `Secret.${name}`);
  assert.equal(hive.default.getOrCreateSandbox, hive.getOrCreateSandbox);
  const client = hive.createClient({ url: "http://127.0.0.1:9000/", token: "t" });
  assert.ok(client instanceof hive.Hive);
  assert.equal(client.url, "http://127.0.0.1:9000");
  assert.ok(new hive.ConflictError("x", { status: 409 }) instanceof hive.HiveError);
  assert.ok(existsSync(join(__dirname, "..", "dist", "cjs", "index.d.ts")));

  const esm = await import("hive");
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(hive).sort(), "the ES module exports the same names");
});
