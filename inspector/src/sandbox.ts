import { api, sandboxPath, type SandboxInfo } from "./api";
import { age, h } from "./dom";
import { configTab } from "./config";
import { llmTab } from "./llm";
import { terminalTab } from "./terminal";
import { timelineTab } from "./timeline";
import { filesTab } from "./files";
import { usageTab } from "./usage";

const TABS: Record<string, { label: string; key: string; open: (root: HTMLElement, name: string) => () => void }> = {
  timeline: { label: "Timeline", key: "1", open: timelineTab },
  llm: { label: "LLM calls", key: "2", open: llmTab },
  config: { label: "Config", key: "3", open: configTab },
  files: { label: "Files", key: "4", open: filesTab },
  usage: { label: "Usage", key: "5", open: usageTab },
  terminal: { label: "Terminal", key: "6", open: terminalTab },
};

/** One sandbox: its header and tabs. */
export function sandboxPage(root: HTMLElement, name: string, tab: string): () => void {
  if (!TABS[tab]) tab = "timeline";
  const info = h("span", { class: "muted", id: "sandbox-info" });
  const tabs = h("nav", { class: "tabs" }, ...Object.entries(TABS).map(([k, t]) =>
    h("a", { href: `#/s/${encodeURIComponent(name)}/${k}`, class: k === tab ? "active" : "", "data-tab": k, title: `${t.label} (${t.key})` }, t.label)));
  const body = h("section", { class: "tabbody", id: "tab" });
  root.replaceChildren(tabs, body);
  api<SandboxInfo>("GET", sandboxPath(name))
    .then((s) => (info.textContent = `${s.status} · ${s.image} · created ${age(s.createdAt)} ago`))
    .catch((e) => (info.textContent = (e as Error).message));
  tabs.append(h("span", { class: "spacer" }), info);
  const close = TABS[tab].open(body, name);
  const key = (ev: KeyboardEvent) => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const hit = Object.entries(TABS).find(([, t]) => t.key === ev.key);
    if (hit) location.hash = `#/s/${encodeURIComponent(name)}/${hit[0]}`;
  };
  document.addEventListener("keydown", key);
  return () => {
    close();
    document.removeEventListener("keydown", key);
  };
}
