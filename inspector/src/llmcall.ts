import { api, sandboxPath, type HiveEvent } from "./api";
import { decodeCall, type Body, type Part, type Turn } from "./conversation";
import { costOf } from "./cost";
import { append, h, num, usd, type Child } from "./dom";

interface CallBodies { call: HiveEvent; request: Body | null; response: Body | null }

/** One model call opened: its numbers, then the conversation decoded from the bodies the proxy kept, and the raw bodies. */
export function showCall(root: HTMLElement, sandbox: string, id: number): void {
  root.replaceChildren(h("div", { class: "empty" }, "Loading…"));
  api<CallBodies>("GET", `${sandboxPath(sandbox)}/llm-calls/${id}`)
    .then((b) => {
      root.replaceChildren();
      append(root, ...render(b));
    })
    .catch((e) => root.replaceChildren(h("div", { class: "errors" }, (e as Error).message)));
}

function render({ call, request, response }: CallBodies): Child[] {
  const c = decodeCall(request, response, call.provider as string);
  const cost = costOf(call.provider as string, call.model as string, call.inputTokens, call.outputTokens);
  const head = h("div", { class: "conv-head", id: "llm-call-head" },
    h("b", {}, String(call.model ?? c.model ?? "unknown model")), " · ", String(call.provider ?? ""),
    " · ", `${num(call.inputTokens as number)} in / ${num(call.outputTokens as number)} out tokens`,
    " · ", cost === null ? "no price" : `est. ${usd(cost)}`,
    " · ", `${num(call.durationMs as number)} ms`, call.stream ? " · streamed" : "", ` · status ${String(call.status ?? "")}`);
  if (!request && !response)
    return [head, h("div", { class: "empty" }, "No bodies were kept for this call (pruned with the event log, or recorded before the proxy kept them).")];
  const out: Child[] = [head];
  for (const n of c.notes) out.push(h("div", { class: "conv-note" }, n));
  if (c.system.length) out.push(section("system", "System", c.system.map((s) => h("div", { class: "conv-text" }, s))));
  if (c.tools.length) out.push(h("div", { class: "conv-tools muted" }, `Tools: ${c.tools.join(", ")}`));
  for (const t of c.messages) out.push(turn(t, "message"));
  for (const t of c.answer) out.push(turn(t, "answer"));
  if (c.stopReason) out.push(h("div", { class: "muted conv-stop" }, `stop: ${c.stopReason}`));
  if (c.error) out.push(h("div", { class: "errors" }, c.error));
  out.push(raw("Request body", request), raw("Response body", response));
  return out;
}

function turn(t: Turn, kind: "message" | "answer"): HTMLElement {
  const label = kind === "answer" ? `Response (${t.role})` : t.role;
  return section(kind === "answer" ? "answer" : `role-${t.role}`, label, t.parts.map(part));
}

function section(cls: string, label: string, body: Child[]): HTMLElement {
  return h("div", { class: `conv-turn ${cls}` }, h("div", { class: "conv-role" }, label), ...body);
}

function part(p: Part): HTMLElement {
  switch (p.kind) {
    case "text": return h("div", { class: "conv-text" }, p.text);
    case "thinking": return h("details", { class: "conv-thinking" }, h("summary", {}, "thinking"), h("div", { class: "conv-text" }, p.text));
    case "tool_call": return h("div", { class: "conv-tool-call" }, h("div", {}, "→ tool call ", h("code", {}, p.name), p.id ? h("span", { class: "muted" }, ` ${p.id}`) : null), h("pre", {}, p.input));
    case "tool_result": return h("div", { class: `conv-tool-result${p.error ? " bad" : ""}` }, h("div", {}, "← tool result ", h("code", {}, p.name ?? p.id ?? "")), h("pre", {}, p.text));
    default: return h("pre", { class: "conv-other" }, p.text);
  }
}

function raw(label: string, b: Body | null): HTMLElement {
  const info = b ? `${num(b.bytes)} bytes${b.truncated ? ", cut at 1 MiB" : ""}${b.contentType ? `, ${b.contentType}` : ""}` : "none kept";
  return h("details", { class: "conv-raw" }, h("summary", {}, `${label} (${info})`), h("pre", {}, b?.body ?? ""));
}
