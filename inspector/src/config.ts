import { api, ApiError, sandboxPath } from "./api";
import { lineDiff } from "./diff";
import { h } from "./dom";

interface ApplyResult { applied: boolean; changes: string[]; warnings: string[]; config: unknown }

/**
 * The config in force (redacted) in an editor; Apply sends it as PUT …/config. A refused config changes nothing and its
 * errors are listed at their JSON paths (click one to find it in the text).
 */
export function configTab(root: HTMLElement, sandbox: string): () => void {
  const editor = h("textarea", { id: "config-editor", spellcheck: "false", "aria-label": "Sandbox config (JSON)" });
  const out = h("div", { id: "config-result" });
  let current = "";
  const load = async () => {
    const config = await api("GET", `${sandboxPath(sandbox)}/config`);
    current = JSON.stringify(config, null, 2);
    editor.value = current;
  };
  const apply = async () => {
    out.replaceChildren();
    let parsed: unknown;
    try {
      parsed = JSON.parse(editor.value);
    } catch (e) {
      out.replaceChildren(h("div", { class: "errors" }, h("div", {}, h("code", {}, "(document)"), `: ${(e as Error).message}`)));
      return;
    }
    try {
      const r = await api<ApplyResult>("PUT", `${sandboxPath(sandbox)}/config`, parsed);
      out.replaceChildren(h("div", { class: "result" },
        h("div", {}, r.changes.length ? `Applied: ${r.changes.length} change${r.changes.length > 1 ? "s" : ""}` : "Applied: nothing changed"),
        ...r.changes.map((c) => h("div", { class: "mono" }, `• ${c}`)),
        ...r.warnings.map((w) => h("div", { class: "mono" }, `⚠ ${w}`))));
      current = JSON.stringify(r.config, null, 2);
      editor.value = current;
    } catch (e) {
      const p = e instanceof ApiError ? e.problem : undefined;
      out.replaceChildren(h("div", { class: "errors" },
        h("div", {}, `${p?.title ?? "Error"} — nothing was changed`),
        ...(p?.errors?.length
          ? p.errors.map((x) => h("div", { class: "config-error", "data-path": x.path },
              h("a", { href: "#", onclick: (ev: Event) => { ev.preventDefault(); reveal(x.path); } }, h("code", {}, x.path || "(document)")), `: ${x.message}`))
          : [h("div", {}, (e as Error).message)])));
    }
  };
  // The proposed change against the config in force, both normalised the same way, changed lines with 2 of context.
  const diff = () => {
    let proposed: string;
    try {
      proposed = JSON.stringify(JSON.parse(editor.value), null, 2);
    } catch (e) {
      out.replaceChildren(h("div", { class: "errors" }, h("div", {}, h("code", {}, "(document)"), `: ${(e as Error).message}`)));
      return;
    }
    const lines = lineDiff(current, proposed);
    const near = (k: number) => lines.slice(Math.max(0, k - 2), k + 3).some(([t]) => t !== " ");
    const shown = lines.map((l, k) => [l, near(k)] as const).filter(([, keep]) => keep);
    out.replaceChildren(h("pre", { class: "diff", id: "config-diff" },
      ...(shown.length ? shown.map(([[t, line]]) => h("div", { class: t === "+" ? "add" : t === "-" ? "del" : "" }, `${t} ${line}`)) : ["No change."])));
  };
  // Selects the last property name of a JSON path (egress[0].ports → "ports") in the text: a guide, not a parser.
  const reveal = (path: string) => {
    const key = path.replace(/\[\d+\]/g, "").split(".").filter(Boolean).pop();
    if (!key) return;
    const at = editor.value.indexOf(`"${key}"`);
    if (at < 0) return;
    editor.focus();
    editor.setSelectionRange(at, at + key.length + 2);
  };
  const key = (ev: KeyboardEvent) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") {
      ev.preventDefault();
      void apply();
    }
  };
  editor.addEventListener("keydown", key);
  root.replaceChildren(h("div", { class: "editor" },
    h("div", { class: "head" }, h("h2", {}, "Config"), h("span", { class: "muted" }, "in force, override values shown as ***"), h("span", { class: "spacer" }),
      h("button", { id: "config-reset", onclick: () => { editor.value = current; out.replaceChildren(); } }, "Reset"),
      h("button", { id: "config-diff-button", title: "Show the proposed change", onclick: diff }, "Diff"),
      h("button", { id: "config-apply", class: "primary", title: "Apply (Ctrl+Enter)", onclick: () => void apply() }, "Apply")),
    out, editor));
  load().catch((e) => out.replaceChildren(h("div", { class: "errors" }, (e as Error).message)));
  return () => {};
}
