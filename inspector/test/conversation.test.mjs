// Decoding a model call's bodies into its conversation (src/conversation.ts), for each API shape the Inspector knows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildSync } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "hive-ui-conv-"));
const out = join(dir, "conversation.mjs");
buildSync({ entryPoints: [new URL("../src/conversation.ts", import.meta.url).pathname], bundle: true, format: "esm", outfile: out, logLevel: "warning" });
const { decodeCall, parseSse } = await import(out);
rmSync(dir, { recursive: true, force: true });

const json = (v) => ({ body: JSON.stringify(v), contentType: "application/json" });
const sse = (events, named = true) => ({
  body: events.map((e) => (named && e.type ? `event: ${e.type}\r\n` : "") + `data: ${typeof e === "string" ? e : JSON.stringify(e)}\r\n\r\n`).join(""),
  contentType: "text/event-stream",
});
/** A turn as role and compact parts, for comparing. */
const flat = (turns) => turns.map((t) => [t.role, ...t.parts.map((p) => p.kind === "tool_call" ? `call ${p.name} ${JSON.stringify(JSON.parse(p.input))}` : p.kind === "tool_result" ? `result ${p.id ?? p.name}: ${p.text}` : `${p.kind}: ${p.text}`)]);

test("server-sent events: names, multi-line data, comments, CRLF; a cut last event is kept (its JSON then fails to parse and is skipped)", () => {
  assert.deepEqual(parseSse(": hi\r\nevent: a\r\ndata: 1\r\ndata: 2\r\n\r\ndata: x\n\ndata: cu"), [{ event: "a", data: "1\n2" }, { event: undefined, data: "x" }, { event: undefined, data: "cu" }]);
});

test("Anthropic: system, tool use and result in the request; a streamed answer with text and a tool call reassembled", () => {
  const request = json({
    model: "claude-sonnet-4-20250514", max_tokens: 100, stream: true,
    system: [{ type: "text", text: "You are terse." }],
    tools: [{ name: "read_file", input_schema: {} }],
    messages: [
      { role: "user", content: "What is in notes.txt?" },
      { role: "assistant", content: [{ type: "tool_use", id: "tu_1", name: "read_file", input: { path: "notes.txt" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "tu_1", content: [{ type: "text", text: "buy milk" }] }] },
    ],
  });
  const response = sse([
    { type: "message_start", message: { model: "claude-sonnet-4-20250514", usage: { input_tokens: 10 } } },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "It says " } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "buy milk." } },
    { type: "content_block_stop", index: 0 },
    { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "tu_2", name: "write_file", input: {} } },
    { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "{\"path\": \"do" } },
    { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "ne.txt\"}" } },
    { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 5 } },
    { type: "message_stop" },
  ]);
  const c = decodeCall(request, response, "anthropic");
  assert.equal(c.shape, "anthropic");
  assert.deepEqual(c.system, ["You are terse."]);
  assert.deepEqual(c.tools, ["read_file"]);
  assert.deepEqual(flat(c.messages), [
    ["user", "text: What is in notes.txt?"],
    ["assistant", 'call read_file {"path":"notes.txt"}'],
    ["user", "result tu_1: buy milk"],
  ]);
  assert.deepEqual(flat(c.answer), [["assistant", "text: It says buy milk.", 'call write_file {"path":"done.txt"}']]);
  assert.equal(c.stopReason, "tool_use");
  assert.equal(c.model, "claude-sonnet-4-20250514");
});

test("Anthropic: a JSON answer, and an error answer", () => {
  const request = json({ model: "claude-3-5-haiku-latest", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
  const ok = decodeCall(request, json({ type: "message", model: "claude-3-5-haiku-latest", content: [{ type: "thinking", thinking: "hm" }, { type: "text", text: "hello" }], stop_reason: "end_turn" }), "anthropic");
  assert.deepEqual(flat(ok.answer), [["assistant", "thinking: hm", "text: hello"]]);
  const bad = decodeCall(request, json({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }), "anthropic");
  assert.equal(bad.error, "Overloaded");
});

test("OpenAI chat: system and developer messages, tool calls and tool results; streamed tool-call arguments reassembled", () => {
  const request = json({
    model: "gpt-4o", stream: true,
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "Weather in Paris?" }, { type: "image_url", image_url: { url: "data:..." } }] },
      { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "weather", arguments: "{\"city\":\"Paris\"}" } }] },
      { role: "tool", tool_call_id: "c1", content: "18C" },
    ],
    tools: [{ type: "function", function: { name: "weather" } }],
  });
  const response = sse([
    { choices: [{ index: 0, delta: { role: "assistant", content: "It is " } }], model: "gpt-4o-2024-08-06" },
    { choices: [{ index: 0, delta: { content: "18C." } }] },
    { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "c2", function: { name: "remember", arguments: "{\"k\":" } }] } }] },
    { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "\"v\"}" } }] }, finish_reason: "tool_calls" }] },
    "[DONE]",
  ], false);
  const c = decodeCall(request, response, "openai");
  assert.equal(c.shape, "openai-chat");
  assert.deepEqual(c.system, ["Be brief."]);
  assert.deepEqual(c.tools, ["weather"]);
  assert.deepEqual(flat(c.messages), [
    ["user", "text: Weather in Paris?", "other: [image]"],
    ["assistant", 'call weather {"city":"Paris"}'],
    ["tool", "result c1: 18C"],
  ]);
  assert.deepEqual(flat(c.answer), [["assistant", "text: It is 18C.", 'call remember {"k":"v"}']]);
  assert.equal(c.stopReason, "tool_calls");
  // Not streamed.
  const plain = decodeCall(json({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
    json({ object: "chat.completion", model: "gpt-4o", choices: [{ message: { role: "assistant", content: "hello" }, finish_reason: "stop" }] }), "groq");
  assert.deepEqual(flat(plain.answer), [["assistant", "text: hello"]]);
});

test("OpenAI responses: instructions, input items and function call outputs; a streamed answer from its deltas or from response.completed", () => {
  const request = json({
    model: "gpt-5", instructions: "Use tools.", stream: true,
    input: [
      { role: "user", content: [{ type: "input_text", text: "List files" }] },
      { type: "function_call", call_id: "fc1", name: "ls", arguments: "{\"dir\":\".\"}" },
      { type: "function_call_output", call_id: "fc1", output: "a.txt" },
    ],
    tools: [{ type: "function", name: "ls" }],
  });
  const deltas = sse([
    { type: "response.created", response: { model: "gpt-5-2025-08-07" } },
    { type: "response.output_item.added", output_index: 0, item: { type: "message", role: "assistant", content: [] } },
    { type: "response.output_text.delta", output_index: 0, content_index: 0, delta: "One file: " },
    { type: "response.output_text.delta", output_index: 0, content_index: 0, delta: "a.txt" },
    { type: "response.output_item.added", output_index: 1, item: { type: "function_call", call_id: "fc2", name: "cat", arguments: "" } },
    { type: "response.function_call_arguments.delta", output_index: 1, delta: "{\"f\":\"a.txt\"}" },
  ]);
  const c = decodeCall(request, deltas, "openai");
  assert.equal(c.shape, "openai-responses");
  assert.deepEqual(c.system, ["Use tools."]);
  assert.deepEqual(flat(c.messages), [["user", "text: List files"], ["assistant", 'call ls {"dir":"."}'], ["tool", "result fc1: a.txt"]]);
  assert.deepEqual(flat(c.answer), [["assistant", "text: One file: a.txt", 'call cat {"f":"a.txt"}']]);
  const completed = sse([{ type: "response.completed", response: { model: "gpt-5", status: "completed", output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "done" }] }] } }]);
  assert.deepEqual(flat(decodeCall(request, completed, "openai").answer), [["assistant", "text: done"]]);
  const single = decodeCall(json({ model: "gpt-5", input: "hi" }), json({ object: "response", status: "completed", output: [{ type: "reasoning", summary: [{ text: "think" }] }, { type: "message", role: "assistant", content: [{ type: "output_text", text: "yo" }] }] }), "openai");
  assert.deepEqual(flat(single.messages), [["user", "text: hi"]]);
  assert.deepEqual(flat(single.answer), [["assistant", "thinking: think", "text: yo"]]);
});

test("Gemini: system instruction, contents with function calls and responses; a streamed answer (SSE or JSON array) joined", () => {
  const request = json({
    systemInstruction: { parts: [{ text: "Answer in French." }] },
    contents: [
      { role: "user", parts: [{ text: "Time?" }] },
      { role: "model", parts: [{ functionCall: { name: "now", args: {} } }] },
      { role: "user", parts: [{ functionResponse: { name: "now", response: { t: "12:00" } } }] },
    ],
    tools: [{ functionDeclarations: [{ name: "now" }] }],
  });
  const chunks = [
    { candidates: [{ content: { role: "model", parts: [{ text: "Il est " }] } }], modelVersion: "gemini-2.5-flash" },
    { candidates: [{ content: { role: "model", parts: [{ text: "midi." }] }, finishReason: "STOP" }] },
  ];
  for (const response of [sse(chunks, false), json(chunks)]) {
    const c = decodeCall(request, response, "google");
    assert.equal(c.shape, "gemini");
    assert.deepEqual(c.system, ["Answer in French."]);
    assert.deepEqual(c.tools, ["now"]);
    assert.deepEqual(flat(c.messages), [["user", "text: Time?"], ["assistant", "call now {}"], ["user", 'result now: {\n  "t": "12:00"\n}']]);
    assert.deepEqual(flat(c.answer), [["assistant", "text: Il est midi."]]);
    assert.equal(c.stopReason, "STOP");
    assert.equal(c.model, "gemini-2.5-flash");
  }
});

test("cut or missing bodies: what can be decoded is, with a note; nothing throws", () => {
  const cut = decodeCall({ body: '{"model":"x","messages":[{"role":"us', truncated: true }, { body: "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\"}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"par\"}}\n\ndata: {\"ty", contentType: "text/event-stream", truncated: true }, "anthropic");
  assert.equal(cut.shape, "anthropic");
  assert.deepEqual(flat(cut.answer), [["assistant", "text: par"]]);
  assert.equal(cut.notes.length, 2);
  const none = decodeCall(null, null, "openai");
  assert.equal(none.messages.length + none.answer.length, 0);
  assert.equal(decodeCall({ body: "not json" }, { body: "<html>" }, "openai").notes.length, 2);
});
