import { api, ApiError, sandboxPath, type HiveEvent } from "./api";
import { age, clear, clock, h } from "./dom";

/** A request the egress proxy holds for a person (GET /v1/approvals). */
export interface Held {
  id: string;
  sandbox: string;
  kind: string;
  host: string;
  port: number;
  method: string;
  path: string | null;
  rule: number | null;
  waiters: number;
  createdAt: string;
  expiresAt: string;
}

// One live queue for the whole page: the header's badge and the Approvals page read it.
const waiting = new Map<string, Held>();
const listeners = new Set<() => void>();
let source: EventSource | undefined;

function changed(): void {
  for (const f of listeners) f();
}

function connect(): void {
  const s = (source = new EventSource("/v1/approvals?follow=true"));
  s.addEventListener("open", () => {
    // The stream starts with every request waiting now: start from a clean slate on each (re)connection.
    waiting.clear();
    changed();
  });
  s.addEventListener("approval", ((m: MessageEvent) => {
    const held = JSON.parse(m.data) as Held;
    waiting.set(held.id, held);
    changed();
  }) as EventListener);
  s.addEventListener("approval.decided", ((m: MessageEvent) => {
    waiting.delete((JSON.parse(m.data) as { id: string }).id);
    changed();
  }) as EventListener);
  s.onerror = () => {
    s.close();
    window.setTimeout(connect, 1000);
  };
}

/** The header's "Approvals" link with a badge counting the requests waiting; starts the live queue. */
export function approvalsBadge(header: Element, before: Element | null): void {
  const badge = h("span", { class: "badge zero", id: "approvals-badge" }, "0");
  const link = h("a", { class: "approvals-link", href: "#/approvals", id: "approvals-link", title: "Requests waiting for your decision" }, "Approvals", badge);
  header.insertBefore(link, before);
  const update = () => {
    badge.textContent = String(waiting.size);
    badge.className = waiting.size === 0 ? "badge zero" : "badge";
  };
  listeners.add(update);
  if (!source) connect();
}

/** The Approvals page: the live queue, each request with its sandbox's recent commands and requests and one-click answers. */
export function approvalsPage(app: HTMLElement): () => void {
  const list = h("div", { id: "approvals" });
  const empty = h("p", { class: "muted", id: "approvals-empty" }, "No request is waiting for a decision. Requests an ask rule (or egressDefault: ask) holds appear here live.");
  clear(app);
  app.append(h("section", { class: "page" }, h("h2", {}, "Approvals"), empty, list));
  const cards = new Map<string, HTMLElement>();
  const render = () => {
    for (const [id, card] of cards) if (!waiting.has(id)) { card.remove(); cards.delete(id); }
    for (const held of [...waiting.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt)))
      if (!cards.has(held.id)) {
        const card = heldCard(held);
        cards.set(held.id, card);
        list.append(card);
      }
    empty.hidden = waiting.size > 0;
  };
  const tick = window.setInterval(() => {
    for (const [id, card] of cards) {
      const left = card.querySelector(".left");
      const held = waiting.get(id);
      if (left && held) left.textContent = secondsLeft(held);
    }
  }, 1000);
  listeners.add(render);
  render();
  return () => {
    listeners.delete(render);
    clearInterval(tick);
  };
}

function secondsLeft(held: Held): string {
  return `${Math.max(0, Math.round((Date.parse(held.expiresAt) - Date.now()) / 1000))} s left`;
}

function heldCard(held: Held): HTMLElement {
  const what = held.path === null ? `${held.method} ${held.host}:${held.port}` : `${held.method} ${held.kind}://${held.host}:${held.port}${held.path}`;
  const error = h("div", { class: "error" });
  const buttons: HTMLButtonElement[] = [];
  const answer = (decision: "allow" | "deny", scope: "once" | "sandbox") => async () => {
    buttons.forEach((b) => (b.disabled = true));
    error.textContent = "";
    try {
      await api("POST", `/v1/approvals/${encodeURIComponent(held.id)}`, { decision, scope });
      waiting.delete(held.id);
      changed();
    } catch (e) {
      error.textContent = e instanceof ApiError ? e.message : String(e);
      buttons.forEach((b) => (b.disabled = false));
    }
  };
  buttons.push(
    h("button", { class: "primary", "data-answer": "allow-once", onclick: answer("allow", "once") }, "Allow once"),
    h("button", { "data-answer": "allow-sandbox", title: `Also add an allow rule for ${held.host}:${held.port} to ${held.sandbox}'s config`, onclick: answer("allow", "sandbox") }, "Allow for this sandbox"),
    h("button", { class: "danger", "data-answer": "deny", onclick: answer("deny", "once") }, "Deny"),
  );
  const commands = h("ol", {});
  const requests = h("ol", {});
  const card = h("div", { class: "held", "data-id": held.id },
    h("div", { class: "what" }, what),
    h("div", { class: "meta" },
      h("a", { href: `#/s/${encodeURIComponent(held.sandbox)}` }, held.sandbox), " · ",
      held.rule === null ? "egressDefault: ask" : `ask rule ${held.rule}`, " · ",
      `held ${age(held.createdAt)} ago`, " · ", h("span", { class: "left" }, secondsLeft(held)),
      held.waiters > 1 ? ` · ${held.waiters} identical requests waiting` : ""),
    h("div", { class: "answers" }, ...buttons),
    error,
    h("div", { class: "context" },
      h("div", {}, h("strong", {}, "Last commands"), commands),
      h("div", {}, h("strong", {}, "Last requests"), requests)));
  void context(held.sandbox, commands, requests);
  return card;
}

/** The sandbox's last commands and outbound requests: what the agent was doing when it asked. */
async function context(sandbox: string, commands: HTMLElement, requests: HTMLElement): Promise<void> {
  try {
    const events = await api<HiveEvent[]>("GET", `${sandboxPath(sandbox)}/events?follow=false&before=latest&limit=200&types=exec.request,egress.request`);
    const last = (type: string) => events.filter((e) => e.type === type).slice(-5);
    const line = (e: HiveEvent): string => {
      const d = e as unknown as Record<string, unknown>;
      if (e.type === "exec.request") return `${clock(e.ts)}  ${Array.isArray(d.command) ? (d.command as string[]).join(" ") : String(d.command)}`;
      return `${clock(e.ts)}  ${d.access} ${d.method} ${d.host}:${d.port}${d.path ?? ""}`;
    };
    for (const e of last("exec.request")) commands.append(h("li", {}, line(e)));
    for (const e of last("egress.request")) requests.append(h("li", {}, line(e)));
    if (!commands.firstChild) commands.append(h("li", {}, "none"));
    if (!requests.firstChild) requests.append(h("li", {}, "none"));
  } catch {
    commands.append(h("li", {}, "(could not load)"));
  }
}
