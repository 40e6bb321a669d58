import { api, follow, type HiveEvent } from "./api";
import { age, clock, h, num } from "./dom";

interface SecretInfo {
  name: string;
  provider?: string;
  hosts: string[];
  auth?: { type: string; name?: string; prefix?: string; basicUser?: string };
  scope?: "global" | { sandbox: string };
  masked?: string;
  createdAt: string;
  rotatedAt?: string;
  sandboxes?: { name: string; env: string[] }[];
}

interface Activity {
  id: number; ts: string; secret: string; sandbox: string; kind: string; method: string; host: string; path: string;
  status: number; upstreamStatus?: number; durationMs: number; error?: string;
}

const scopeOf = (s: SecretInfo) => (s.scope === "global" ? "global" : s.scope ? `sandbox ${s.scope.sandbox}` : "—");
const keyOf = (s: SecretInfo) => `${typeof s.scope === "object" ? s.scope.sandbox : ""}/${s.name}`;

/**
 * The secrets page: every stored secret, masked (the API never returns a value), where it goes (provider or hosts, auth),
 * which sandboxes bind it and through which env vars; clicking one shows its activity, which updates live (secret.* events).
 */
export function secretsPage(root: HTMLElement): () => void {
  let secrets: SecretInfo[] = [];
  let selected: string | undefined;
  const body = h("tbody");
  const message = h("div");
  const activity = h("div", { id: "secret-activity" });
  root.replaceChildren(h("div", { class: "page" },
    h("div", { class: "head" }, h("h2", {}, "Secrets"), h("span", { class: "count", id: "secrets-count" })),
    message,
    h("table", { class: "grid", id: "secrets" },
      h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Value"), h("th", {}, "Provider / hosts"), h("th", {}, "Auth"),
        h("th", {}, "Scope"), h("th", {}, "Bound to"), h("th", {}, "Created"), h("th", {}, "Rotated"))),
      body),
    activity));

  const render = () => {
    document.getElementById("secrets-count")!.textContent = `${secrets.length} stored · values are never shown`;
    if (!secrets.length) {
      body.replaceChildren(h("tr", {}, h("td", { colspan: 8, class: "empty" }, "No secrets yet. Store one with hive secret set NAME.")));
      return;
    }
    body.replaceChildren(...secrets.map((s) => h("tr", {
      "data-name": s.name, "data-key": keyOf(s), class: keyOf(s) === selected ? "sel" : undefined, title: "show its activity",
      onclick: () => select(s),
    },
      h("td", {}, h("b", {}, s.name)),
      h("td", { class: "mono", "data-col": "masked" }, s.masked ?? "(cannot be opened)"),
      h("td", { class: "mono" }, s.provider ? `${s.provider} (${s.hosts.join(", ")})` : s.hosts.join(", ")),
      h("td", { class: "mono" }, s.auth ? [s.auth.type, s.auth.name, s.auth.prefix && `prefix ${s.auth.prefix}`, s.auth.basicUser && `user ${s.auth.basicUser}`].filter(Boolean).join(" ") : ""),
      h("td", {}, scopeOf(s)),
      h("td", { "data-col": "bound" }, ...(s.sandboxes?.length ? s.sandboxes.flatMap((b, i) => [i ? ", " : "",
        h("a", { href: `#/s/${encodeURIComponent(b.name)}/timeline` }, b.name), b.env.length ? h("span", { class: "muted" }, ` as ${b.env.join(", ")}`) : ""])
        : [h("span", { class: "muted" }, "no sandbox")])),
      h("td", { title: s.createdAt }, `${age(s.createdAt)} ago`),
      h("td", { title: s.rotatedAt ?? "" }, s.rotatedAt ? `${age(s.rotatedAt)} ago` : "—"))));
  };

  const select = (s: SecretInfo) => {
    selected = keyOf(s);
    render();
    void loadActivity();
  };

  const loadActivity = async () => {
    const s = secrets.find((x) => keyOf(x) === selected);
    if (!s) {
      activity.replaceChildren();
      return;
    }
    const q = typeof s.scope === "object" ? `&sandbox=${encodeURIComponent(s.scope.sandbox)}` : "";
    try {
      const list = await api<Activity[]>("GET", `/v1/secrets/${encodeURIComponent(s.name)}/activity?limit=200${q}`);
      activity.replaceChildren(
        h("div", { class: "head" }, h("h2", {}, `Activity of ${s.name}`), h("span", { class: "count" }, `${num(list.length)} newest requests`)),
        h("table", { class: "grid", id: "secret-activity-list" },
          h("thead", {}, h("tr", {}, h("th", {}, "Time"), h("th", {}, "Sandbox"), h("th", {}, "Kind"), h("th", {}, "Request"),
            h("th", { class: "num" }, "Status"), h("th", { class: "num" }, "Upstream"), h("th", { class: "num" }, "Duration"), h("th", {}, "Error"))),
          h("tbody", {}, ...(list.length ? list.map((a) => h("tr", { "data-id": a.id, "data-kind": a.kind },
            h("td", { class: "mono", title: a.ts }, clock(a.ts)), h("td", {}, a.sandbox),
            h("td", { class: a.kind === "used" ? "allowed" : "denied" }, a.kind),
            h("td", { class: "mono" }, `${a.method} ${a.host}${a.path}`),
            h("td", { class: "num" }, String(a.status)), h("td", { class: "num" }, a.upstreamStatus === undefined ? "" : String(a.upstreamStatus)),
            h("td", { class: "num" }, `${num(a.durationMs)} ms`), h("td", { class: "muted" }, a.error ?? "")))
            : [h("tr", {}, h("td", { colspan: 8, class: "empty" }, "Not used yet."))]))));
    } catch (e) {
      activity.replaceChildren(h("div", { class: "errors" }, (e as Error).message));
    }
  };

  const refresh = async () => {
    try {
      secrets = (await api<SecretInfo[]>("GET", "/v1/secrets")).sort((a, b) => a.name.localeCompare(b.name) || scopeOf(a).localeCompare(scopeOf(b)));
      message.replaceChildren();
      if (!selected && secrets.length) selected = keyOf(secrets[0]);
      render();
      await loadActivity();
    } catch (e) {
      message.replaceChildren(h("div", { class: "errors" }, (e as Error).message));
    }
  };

  // Live: each secret.* event (used, misuse, revoked) and each sandbox created, applied or destroyed may change what
  // is shown; bursts are coalesced into one refresh.
  let pending: number | undefined;
  const later = () => {
    clearTimeout(pending);
    pending = window.setTimeout(() => void refresh(), 300);
  };
  let stop: (() => void) | undefined;
  let closed = false;
  (async () => {
    await refresh();
    const newest = await api<HiveEvent[]>("GET", "/v1/events?follow=false&before=latest&limit=1").catch(() => []);
    if (closed) return;
    stop = follow("/v1/events", newest[0]?.id ?? 0, later, "secret.*,sandbox.created,sandbox.destroyed,config.apply");
  })();
  return () => {
    closed = true;
    clearTimeout(pending);
    stop?.();
  };
}
