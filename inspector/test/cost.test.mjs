// The price table (src/prices.json) as the LLM calls tab and the sandboxes page use it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildSync } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "hive-ui-cost-"));
const out = join(dir, "cost.mjs");
buildSync({ entryPoints: [new URL("../src/cost.ts", import.meta.url).pathname], bundle: true, format: "esm", outfile: out, logLevel: "warning" });
const { costOf, priceOf } = await import(out);
rmSync(dir, { recursive: true, force: true });

test("known models are priced by provider and longest name prefix; unknown ones have no price", () => {
  const cases = [
    // provider, model, input, output, expected USD (null: no price)
    ["anthropic", "claude-sonnet-4-20250514", 1_000_000, 0, 3],
    ["anthropic", "claude-3-5-haiku-latest", 1_000_000, 1_000_000, 4.8],
    ["openai", "gpt-4o-mini-2024-07-18", 1_000_000, 1_000_000, 0.75],
    ["openai", "gpt-4o-2024-08-06", 1_000_000, 0, 2.5],
    ["google", "models/gemini-2.5-flash", 0, 1_000_000, 2.5],
    ["google", "gemini-2.5-flash-lite", 1_000_000, 0, 0.1],
    ["anthropic", "claude-unknown", 10, 10, null],
    ["someone", "gpt-4o", 10, 10, null],
    ["openai", "gpt-4o", null, 10, null],
  ];
  for (const [provider, model, i, o, want] of cases) {
    const got = costOf(provider, model, i, o);
    if (want === null) assert.equal(got, null, `${provider} ${model}`);
    else assert.ok(Math.abs(got - want) < 1e-9, `${provider} ${model}: ${got} != ${want}`);
  }
  assert.equal(priceOf(undefined, "gpt-4o"), null);
});
