// A model call's request and response bodies decoded into one conversation: system prompt, messages with their text,
// tool calls and tool results, and the answer. Pure functions (no DOM), by the body's shape rather than the provider:
// Anthropic Messages, OpenAI Chat Completions (also Groq, Mistral, xAI, OpenRouter), OpenAI Responses, Gemini
// generateContent; streamed answers (server-sent events, or Gemini's JSON array) are reassembled.

export type Part =
  | { kind: "text"; text: string }
  | { kind: "thinking"; text: string }
  | { kind: "tool_call"; name: string; id?: string; input: string }
  | { kind: "tool_result"; id?: string; name?: string; text: string; error?: boolean }
  | { kind: "other"; text: string };

export interface Turn { role: string; parts: Part[] }

export interface Conversation {
  shape: "anthropic" | "openai-chat" | "openai-responses" | "gemini" | "unknown";
  model?: string;
  system: string[];
  tools: string[];
  messages: Turn[];
  answer: Turn[];
  stopReason?: string;
  error?: string;
  /** What could not be decoded (a truncated body, a shape this does not know). */
  notes: string[];
}

type J = Record<string, any>;

const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v, null, 2));
const pretty = (v: unknown): string => {
  if (typeof v !== "string") return str(v);
  try { return JSON.stringify(JSON.parse(v), null, 2); } catch { return v; }
};

function parseJson(text: string): { ok: true; value: any } | { ok: false } {
  try { return { ok: true, value: JSON.parse(text) }; } catch { return { ok: false }; }
}

/** Server-sent events: each event's name and data (data lines joined by newlines). A cut last event is kept as it is. */
export function parseSse(text: string): { event?: string; data: string }[] {
  const out: { event?: string; data: string }[] = [];
  for (const block of text.replace(/\r\n?/g, "\n").split("\n\n")) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length) out.push({ event, data: data.join("\n") });
  }
  return out;
}

/** The API shape of a call, from its request (else its answer; else the provider: Anthropic's, or OpenAI chat's that most others copy). */
export function shapeOf(request: J | undefined, response?: J, provider?: string): Conversation["shape"] {
  if (request) {
    if (Array.isArray(request.contents) || request.systemInstruction) return "gemini";
    if (request.input !== undefined && request.messages === undefined) return "openai-responses";
    if (Array.isArray(request.messages)) {
      const msgs = request.messages as J[];
      if (request.system !== undefined) return "anthropic";
      if (msgs.some((m) => m.role === "system" || m.role === "developer" || m.role === "tool" || m.tool_calls)) return "openai-chat";
      if (msgs.some((m) => Array.isArray(m.content) && m.content.some((b: J) => ["tool_use", "tool_result", "thinking"].includes(b?.type)))) return "anthropic";
    }
  }
  if (response) {
    if (response.type === "message" || response.type === "message_start" || response.type === "error" && provider === "anthropic") return "anthropic";
    if (response.object === "response" || typeof response.type === "string" && response.type.startsWith("response.")) return "openai-responses";
    if (Array.isArray(response.choices)) return "openai-chat";
    if (Array.isArray(response.candidates)) return "gemini";
  }
  if (request && Array.isArray(request.messages)) return provider === "anthropic" ? "anthropic" : "openai-chat";
  return "unknown";
}

// ---- requests ----

/** Anthropic and OpenAI chat content: a string, or blocks of text, images, tool uses and results. */
function contentParts(content: unknown): Part[] {
  if (typeof content === "string") return content ? [{ kind: "text", text: content }] : [];
  if (!Array.isArray(content)) return content === undefined || content === null ? [] : [{ kind: "other", text: str(content) }];
  const parts: Part[] = [];
  for (const b of content as J[]) {
    switch (b?.type) {
      case "text": case "input_text": case "output_text":
        parts.push({ kind: "text", text: str(b.text) });
        break;
      case "thinking": case "redacted_thinking":
        parts.push({ kind: "thinking", text: str(b.thinking ?? "[redacted thinking]") });
        break;
      case "tool_use": case "server_tool_use":
        parts.push({ kind: "tool_call", name: str(b.name), id: b.id, input: pretty(b.input) });
        break;
      case "tool_result":
        parts.push({ kind: "tool_result", id: b.tool_use_id, text: Array.isArray(b.content) ? contentParts(b.content).map(partText).join("\n") : str(b.content), error: b.is_error === true });
        break;
      case "image": case "image_url": case "input_image":
        parts.push({ kind: "other", text: "[image]" });
        break;
      default:
        parts.push({ kind: "other", text: str(b) });
    }
  }
  return parts;
}

const partText = (p: Part): string => (p.kind === "tool_call" ? `${p.name}(${p.input})` : p.text);

function anthropicRequest(r: J, c: Conversation): void {
  if (typeof r.system === "string") c.system.push(r.system);
  else if (Array.isArray(r.system)) c.system.push(...contentParts(r.system).map(partText));
  for (const t of r.tools ?? []) c.tools.push(str(t.name ?? t.type));
  for (const m of r.messages ?? []) c.messages.push({ role: str(m.role), parts: contentParts(m.content) });
}

function openaiChatRequest(r: J, c: Conversation): void {
  for (const t of r.tools ?? []) c.tools.push(str(t.function?.name ?? t.name ?? t.type));
  for (const m of r.messages ?? []) {
    if (m.role === "system" || m.role === "developer") {
      c.system.push(contentParts(m.content).map(partText).join("\n"));
      continue;
    }
    if (m.role === "tool") {
      c.messages.push({ role: "tool", parts: [{ kind: "tool_result", id: m.tool_call_id, name: m.name, text: contentParts(m.content).map(partText).join("\n") }] });
      continue;
    }
    const parts = contentParts(m.content);
    for (const call of m.tool_calls ?? []) parts.push({ kind: "tool_call", name: str(call.function?.name), id: call.id, input: pretty(call.function?.arguments) });
    if (m.function_call) parts.push({ kind: "tool_call", name: str(m.function_call.name), input: pretty(m.function_call.arguments) });
    c.messages.push({ role: str(m.role), parts });
  }
}

/** Items of the Responses API: messages, function calls and their outputs, reasoning. */
function responsesItems(items: J[]): Turn[] {
  const turns: Turn[] = [];
  const push = (role: string, part: Part) => {
    const last = turns[turns.length - 1];
    if (last && last.role === role) last.parts.push(part);
    else turns.push({ role, parts: [part] });
  };
  for (const it of items) {
    if (it.type === "function_call" || it.type === "custom_tool_call") push("assistant", { kind: "tool_call", name: str(it.name), id: it.call_id, input: pretty(it.arguments ?? it.input) });
    else if (it.type === "function_call_output" || it.type === "custom_tool_call_output") push("tool", { kind: "tool_result", id: it.call_id, text: str(it.output) });
    else if (it.type === "reasoning") {
      const text = (it.summary ?? []).map((s: J) => str(s.text)).join("\n");
      if (text) push("assistant", { kind: "thinking", text });
    } else if (it.type === "message" || it.role) {
      for (const p of contentParts(it.content)) push(str(it.role ?? "assistant"), p);
    } else push("other", { kind: "other", text: str(it) });
  }
  return turns;
}

function openaiResponsesRequest(r: J, c: Conversation): void {
  if (r.instructions) c.system.push(str(r.instructions));
  for (const t of r.tools ?? []) c.tools.push(str(t.name ?? t.type));
  if (typeof r.input === "string") c.messages.push({ role: "user", parts: [{ kind: "text", text: r.input }] });
  else if (Array.isArray(r.input)) {
    for (const turn of responsesItems(r.input)) {
      if (turn.role === "system" || turn.role === "developer") c.system.push(turn.parts.map(partText).join("\n"));
      else c.messages.push(turn);
    }
  }
}

function geminiParts(parts: J[] | undefined): Part[] {
  const out: Part[] = [];
  for (const p of parts ?? []) {
    if (typeof p.text === "string") out.push({ kind: p.thought ? "thinking" : "text", text: p.text });
    else if (p.functionCall) out.push({ kind: "tool_call", name: str(p.functionCall.name), id: p.functionCall.id, input: pretty(p.functionCall.args ?? {}) });
    else if (p.functionResponse) out.push({ kind: "tool_result", name: str(p.functionResponse.name), id: p.functionResponse.id, text: pretty(p.functionResponse.response) });
    else if (p.inlineData || p.fileData) out.push({ kind: "other", text: `[${p.inlineData?.mimeType ?? p.fileData?.mimeType ?? "file"}]` });
    else out.push({ kind: "other", text: str(p) });
  }
  return out;
}

function geminiRequest(r: J, c: Conversation): void {
  const sys = r.systemInstruction ?? r.system_instruction;
  if (sys) c.system.push(geminiParts(sys.parts).map(partText).join("\n"));
  for (const t of r.tools ?? []) for (const f of t.functionDeclarations ?? t.function_declarations ?? []) c.tools.push(str(f.name));
  for (const m of r.contents ?? []) c.messages.push({ role: m.role === "model" ? "assistant" : str(m.role ?? "user"), parts: geminiParts(m.parts) });
}

// ---- responses ----

function anthropicAnswer(m: J, c: Conversation): void {
  c.model ??= m.model;
  c.stopReason = m.stop_reason ?? c.stopReason;
  const parts = contentParts(m.content);
  if (parts.length) c.answer.push({ role: "assistant", parts });
}

/** Anthropic's stream: content blocks opened, grown by deltas (text, tool input JSON, thinking) and closed. */
function anthropicStream(events: J[], c: Conversation): void {
  const blocks: J[] = [];
  for (const e of events) {
    switch (e.type) {
      case "message_start": c.model ??= e.message?.model; break;
      case "content_block_start": blocks[e.index] = { ...e.content_block, _json: "" }; break;
      case "content_block_delta": {
        const b = (blocks[e.index] ??= { type: e.delta?.type === "input_json_delta" ? "tool_use" : "text", text: "", _json: "" });
        if (e.delta?.type === "text_delta") b.text = (b.text ?? "") + e.delta.text;
        else if (e.delta?.type === "input_json_delta") b._json += e.delta.partial_json;
        else if (e.delta?.type === "thinking_delta") b.thinking = (b.thinking ?? "") + e.delta.thinking;
        break;
      }
      case "message_delta": c.stopReason = e.delta?.stop_reason ?? c.stopReason; break;
      case "error": c.error = str(e.error?.message ?? e.error); break;
    }
  }
  const content = blocks.filter(Boolean).map((b) => (b.type === "tool_use" || b.type === "server_tool_use") && b._json ? { ...b, input: b._json } : b);
  const parts = contentParts(content);
  if (parts.length) c.answer.push({ role: "assistant", parts });
}

function openaiChatAnswer(r: J, c: Conversation): void {
  c.model ??= r.model;
  for (const choice of r.choices ?? []) {
    const m = choice.message ?? {};
    const parts = contentParts(m.content);
    if (m.refusal) parts.push({ kind: "text", text: str(m.refusal) });
    for (const call of m.tool_calls ?? []) parts.push({ kind: "tool_call", name: str(call.function?.name), id: call.id, input: pretty(call.function?.arguments) });
    c.answer.push({ role: str(m.role ?? "assistant"), parts });
    c.stopReason = choice.finish_reason ?? c.stopReason;
  }
}

/** OpenAI chat chunks: per choice, content and tool-call arguments grown by deltas. */
function openaiChatStream(chunks: J[], c: Conversation): void {
  const choices: { text: string; calls: { id?: string; name: string; args: string }[] }[] = [];
  for (const ch of chunks) {
    c.model ??= ch.model;
    for (const choice of ch.choices ?? []) {
      const s = (choices[choice.index ?? 0] ??= { text: "", calls: [] });
      const d = choice.delta ?? {};
      if (typeof d.content === "string") s.text += d.content;
      for (const t of d.tool_calls ?? []) {
        const call = (s.calls[t.index ?? 0] ??= { name: "", args: "" });
        if (t.id) call.id = t.id;
        if (t.function?.name) call.name += t.function.name;
        if (t.function?.arguments) call.args += t.function.arguments;
      }
      if (choice.finish_reason) c.stopReason = choice.finish_reason;
    }
  }
  for (const s of choices.filter(Boolean)) {
    const parts: Part[] = s.text ? [{ kind: "text", text: s.text }] : [];
    for (const call of s.calls.filter(Boolean)) parts.push({ kind: "tool_call", name: call.name, id: call.id, input: pretty(call.args) });
    c.answer.push({ role: "assistant", parts });
  }
}

function openaiResponsesAnswer(r: J, c: Conversation): void {
  c.model ??= r.model;
  c.stopReason = r.status ?? c.stopReason;
  if (r.error) c.error = str(r.error.message ?? r.error);
  c.answer.push(...responsesItems(r.output ?? []));
}

/** The Responses API's stream: the whole response comes with response.completed; else items and deltas are put together. */
function openaiResponsesStream(events: J[], c: Conversation): void {
  const done = events.find((e) => (e.type === "response.completed" || e.type === "response.incomplete" || e.type === "response.failed") && e.response);
  if (done && (done.response.output ?? []).length) return openaiResponsesAnswer(done.response, c);
  const items: J[] = [];
  for (const e of events) {
    if (e.type === "response.created") c.model ??= e.response?.model;
    else if (e.type === "response.output_item.added" || e.type === "response.output_item.done") items[e.output_index] = { ...(items[e.output_index] ?? {}), ...e.item };
    else if (e.type === "response.output_text.delta") {
      const it = (items[e.output_index] ??= { type: "message", role: "assistant", content: [] });
      it.content ??= [];
      const part = (it.content[e.content_index ?? 0] ??= { type: "output_text", text: "" });
      part.text = (part.text ?? "") + e.delta;
    } else if (e.type === "response.function_call_arguments.delta") {
      const it = (items[e.output_index] ??= { type: "function_call", name: "", arguments: "" });
      it.arguments = (it.arguments ?? "") + e.delta;
    } else if (e.type === "error") c.error = str(e.message ?? e.error);
  }
  if (done) c.stopReason = done.response.status;
  c.answer.push(...responsesItems(items.filter(Boolean)));
}

function geminiAnswer(chunks: J[], c: Conversation): void {
  const parts: Part[] = [];
  for (const ch of chunks) {
    c.model ??= ch.modelVersion;
    if (ch.error) c.error = str(ch.error.message ?? ch.error);
    const cand = (ch.candidates ?? [])[0];
    if (!cand) continue;
    for (const p of geminiParts(cand.content?.parts)) {
      const last = parts[parts.length - 1];
      // Streamed text arrives in pieces: one text part per kind.
      if ((p.kind === "text" || p.kind === "thinking") && last?.kind === p.kind) last.text += p.text;
      else parts.push(p);
    }
    c.stopReason = cand.finishReason ?? c.stopReason;
  }
  if (parts.length) c.answer.push({ role: "assistant", parts });
}

export interface Body { body: string; contentType?: string | null; truncated?: boolean; bytes?: number }

/** The conversation of one call from its stored bodies (either may be missing). */
export function decodeCall(request: Body | null | undefined, response: Body | null | undefined, provider?: string): Conversation {
  const c: Conversation = { shape: "unknown", system: [], tools: [], messages: [], answer: [], notes: [] };
  let req: J | undefined;
  if (request?.body) {
    const parsed = parseJson(request.body);
    if (parsed.ok && parsed.value && typeof parsed.value === "object") req = parsed.value;
    else c.notes.push(request.truncated ? "The request body was cut at its size limit: its messages are not decoded." : "The request body is not JSON.");
  }
  if (req?.model) c.model = str(req.model);

  // The answer: an event stream, a JSON array (Gemini's stream without alt=sse) or one JSON object.
  let events: J[] | undefined;
  let single: J | undefined;
  const text = response?.body ?? "";
  const sse = (response?.contentType ?? "").startsWith("text/event-stream") || /^(event|data):/m.test(text.slice(0, 200));
  if (text && sse) {
    events = [];
    for (const e of parseSse(text)) {
      if (e.data === "[DONE]") continue;
      const p = parseJson(e.data);
      if (p.ok && p.value && typeof p.value === "object") events.push(e.event && !p.value.type ? { type: e.event, ...p.value } : p.value);
    }
  } else if (text) {
    const p = parseJson(text);
    if (p.ok && Array.isArray(p.value)) events = p.value;
    else if (p.ok && p.value && typeof p.value === "object") single = p.value;
    else if (!response?.truncated) c.notes.push("The response body is not JSON.");
  }
  if (response?.truncated) c.notes.push("The response body was cut at its size limit: the answer may be incomplete.");

  c.shape = shapeOf(req, single ?? events?.[0], provider);
  switch (c.shape) {
    case "anthropic":
      if (req) anthropicRequest(req, c);
      if (events) anthropicStream(events, c);
      else if (single) single.type === "error" ? (c.error = str(single.error?.message ?? single.error)) : anthropicAnswer(single, c);
      break;
    case "openai-chat":
      if (req) openaiChatRequest(req, c);
      if (events) openaiChatStream(events, c);
      else if (single) openaiChatAnswer(single, c);
      break;
    case "openai-responses":
      if (req) openaiResponsesRequest(req, c);
      if (events) openaiResponsesStream(events, c);
      else if (single) openaiResponsesAnswer(single, c);
      break;
    case "gemini":
      if (req) geminiRequest(req, c);
      if (events) geminiAnswer(events, c);
      else if (single) geminiAnswer([single], c);
      break;
    default:
      if (req || single || events) c.notes.push("This call's shape is not one the Inspector decodes: see the raw bodies.");
  }
  if (!c.error && single?.error) c.error = str(single.error.message ?? single.error);
  return c;
}
