#!/usr/bin/env node
// A stateful Claude agent in a Hive sandbox.
//
//   node dist/agent.js "Summarise the CSV files in /workspace/data into report.md"
//
// It keeps its memory in the sandbox's persistent workspace (/workspace/.agent/notes.md): each run reads the notes of
// the runs before it, works with the sandbox's tools (the MCP server at sandbox.url: bash, read, write, edit, glob,
// grep, ls), and adds what it did. Its Anthropic key is a Hive secret: the agent and the sandbox only ever hold a
// stand-in, and every model call goes out through the sandbox's egress proxy (see sandbox-fetch.ts), which swaps in
// the real key for api.anthropic.com and records an llm.call event.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Anthropic from "@anthropic-ai/sdk";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import * as hive from "hive";
import { sandboxFetch } from "./sandbox-fetch.js";

const NOTES = "/workspace/.agent/notes.md";
const system = (notes: string) => `You are an agent working in a Linux sandbox through tools. Your files live in /workspace, which
persists between runs. Use the tools to do the task, then answer with a short summary of what you did.
Notes from your earlier runs (oldest first):
${notes || "(none: this is the first run)"}`;

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sandbox: { type: "string", default: "claude-agent" },
    secret: { type: "string", default: "anthropic" },
    model: { type: "string", default: process.env.ANTHROPIC_MODEL ?? "claude-sonnet-4-5" },
    "max-turns": { type: "string", default: "20" },
  },
});
const task = positionals.join(" ");
if (!task) {
  console.error('usage: node dist/agent.js "task" [--sandbox NAME] [--secret NAME] [--model MODEL] [--max-turns N]');
  process.exit(2);
}

const baseURL = process.env.ANTHROPIC_BASE_URL ?? "https://api.anthropic.com";
const sandbox = await hive.getOrCreateSandbox(options.sandbox!, {
  image: "hive/base",
  secrets: { ANTHROPIC_API_KEY: options.secret! },
  // Only the Messages API on the model's host: nothing else leaves the sandbox.
  egress: { allow: [{ host: new URL(baseURL).hostname, methods: ["POST"], paths: ["/v1/messages"] }] },
});
console.log(`sandbox ${sandbox.name} (${sandbox.created ? "created" : "existing"}), tools at ${sandbox.url}`);

const standIn = (await sandbox.exec(["printenv", "ANTHROPIC_API_KEY"])).stdout.trim();
if (!standIn) {
  console.error(`the sandbox has no ANTHROPIC_API_KEY: create the secret first (hive secret create ${options.secret} --provider anthropic)`);
  process.exit(2);
}

const notes = await readNotes();
const runNumber = (notes.match(/^## Run /gm) ?? []).length + 1;
const anthropic = new Anthropic({ apiKey: standIn, baseURL, fetch: sandboxFetch(sandbox) });
const mcp = new Client({ name: "hive-example-agent", version: "1.0.0" });
await mcp.connect(new StreamableHTTPClientTransport(new URL(sandbox.url), {
  requestInit: { headers: { Authorization: `Bearer ${hiveToken()}` } },
}));

const tools: Anthropic.Tool[] = (await mcp.listTools()).tools.map((t) => ({
  name: t.name,
  description: t.description ?? "",
  input_schema: t.inputSchema as Anthropic.Tool.InputSchema,
}));
const messages: Anthropic.MessageParam[] = [{ role: "user", content: task }];
const calls: string[] = [];
const usage = { input: 0, output: 0 };
let answer = `(stopped after ${options["max-turns"]} turns)`;

for (let turn = 0; turn < Number(options["max-turns"]); turn++) {
  const stream = anthropic.messages.stream({ model: options.model!, max_tokens: 4096, system: system(notes), messages, tools });
  stream.on("text", (text) => process.stdout.write(text));
  const reply = await stream.finalMessage();
  usage.input += reply.usage.input_tokens;
  usage.output += reply.usage.output_tokens;
  messages.push({ role: "assistant", content: reply.content });
  const uses = reply.content.filter((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
  if (reply.stop_reason !== "tool_use" || uses.length === 0) {
    answer = reply.content.filter((b): b is Anthropic.TextBlock => b.type === "text").map((b) => b.text).join("");
    break;
  }
  const results: Anthropic.ToolResultBlockParam[] = [];
  for (const use of uses) {
    console.log(`\n→ ${use.name} ${short(JSON.stringify(use.input))}`);
    const result = await mcp.callTool({ name: use.name, arguments: use.input as Record<string, unknown> });
    const text = (result.content as Array<{ type: string; text?: string }>).filter((c) => c.type === "text").map((c) => c.text).join("\n");
    console.log((result.isError ? "  ✗ " : "  ") + short(text));
    calls.push(use.name);
    results.push({ type: "tool_result", tool_use_id: use.id, content: text, is_error: result.isError === true });
  }
  messages.push({ role: "user", content: results });
}
await mcp.close();

const stamp = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
await sandbox.files.write(NOTES, `${notes}## Run ${runNumber} (${stamp})\nTask: ${task}\nTools: ${calls.join(", ") || "none"}\nResult: ${answer.trim()}\n\n`);
console.log(`\nrun ${runNumber} done: ${calls.length} tool calls, ${usage.input} input and ${usage.output} output tokens; notes in ${NOTES}`);

async function readNotes(): Promise<string> {
  try {
    return await sandbox.files.readText(NOTES);
  } catch (e) {
    if (e instanceof hive.NotFoundError) return "";
    throw e;
  }
}

/** The bearer token the MCP server behind sandbox.url wants: the daemon's, found as the SDK finds it. */
function hiveToken(): string {
  return process.env.HIVE_TOKEN || readFileSync(join(process.env.HIVE_HOME ?? "/var/lib/hive", "token"), "utf8").trim();
}

function short(text: string, limit = 160): string {
  const flat = text.replaceAll("\n", "⏎ ");
  return flat.length <= limit ? flat : flat.slice(0, limit - 1) + "…";
}
