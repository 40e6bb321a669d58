import { api, ApiError, sandboxPath, type SandboxInfo } from "./api";
import { age, clear, h, num, usd } from "./dom";
import { emptyStats, stats } from "./stats";
import { TEMPLATES } from "./templates";

/** The sandboxes page: every sandbox with its counts, live; create and delete. Returns its cleanup. */
export function sandboxesPage(root: HTMLElement): () => void {
  let list: SandboxInfo[] = [];
  const body = h("tbody");
  const message = h("div");
  const table = h("table", { class: "grid", id: "sandboxes" },
    h("thead", {}, h("tr", {},
      h("th", {}, "Name"), h("th", {}, "Status"), h("th", {}, "Image"), h("th", {}, "Age"), h("th", {}, "Last activity"),
      h("th", { class: "num", title: "egress requests allowed" }, "Allowed"), h("th", { class: "num", title: "requests, names and files refused" }, "Denied"),
      h("th", { class: "num" }, "Files written"), h("th", { class: "num" }, "Commands"),
      h("th", { class: "num" }, "Tokens in/out"), h("th", { class: "num" }, "Est. cost"), h("th", {}, ""))),
    body);

  const render = () => {
    clear(body);
    if (list.length === 0) {
      body.append(h("tr", {}, h("td", { colspan: 12, class: "empty" }, "No sandboxes yet. Create one above, or with hive sandbox create NAME.")));
      return;
    }
    const now = Date.now();
    for (const s of list) {
      const st = stats.bySandbox.get(s.name) ?? emptyStats();
      body.append(h("tr", { "data-name": s.name },
        h("td", {}, h("a", { href: `#/s/${encodeURIComponent(s.name)}/timeline` }, s.name)),
        h("td", {}, h("span", { class: `status ${s.status}`, title: s.error ?? "" }, s.status)),
        h("td", { class: "mono" }, s.image),
        h("td", { title: s.createdAt }, age(s.createdAt, now)),
        h("td", { class: "muted", title: st.lastActivity ?? "" }, st.lastActivity ? `${age(st.lastActivity, now)} ago` : ""),
        h("td", { class: "num allowed", "data-col": "allowed" }, num(st.allowed)),
        h("td", { class: `num ${st.denied ? "denied" : ""}`, "data-col": "denied" }, num(st.denied)),
        h("td", { class: "num", "data-col": "files" }, num(st.filesWritten)),
        h("td", { class: "num", "data-col": "commands" }, num(st.commands)),
        h("td", { class: "num" }, st.inputTokens || st.outputTokens ? `${num(st.inputTokens)} / ${num(st.outputTokens)}` : ""),
        h("td", { class: "num" }, st.costKnown ? usd(st.cost) : ""),
        h("td", {}, h("button", { class: "danger", title: `Delete ${s.name}`, onclick: () => remove(s.name) }, "Delete"))));
    }
  };

  const refresh = async () => {
    try {
      list = (await api<SandboxInfo[]>("GET", "/v1/sandboxes")).sort((a, b) => a.name.localeCompare(b.name));
      render();
    } catch (e) {
      message.replaceChildren(h("div", { class: "errors" }, String((e as Error).message)));
    }
  };

  const remove = async (name: string) => {
    if (!confirm(`Delete sandbox ${name}? Its volumes stay.`)) return;
    try {
      await api("DELETE", sandboxPath(name));
    } catch (e) {
      message.replaceChildren(h("div", { class: "errors" }, `delete ${name}: ${(e as Error).message}`));
    }
    await refresh();
  };

  // ---- the create form ----
  const nameInput = h("input", { id: "create-name", placeholder: "my-sandbox", required: true, pattern: "[a-z0-9][a-z0-9-]*", autocomplete: "off" });
  const templateSelect = h("select", { id: "create-template" },
    ...Object.entries(TEMPLATES).map(([k, t]) => h("option", { value: k }, t.label)));
  const configText = h("textarea", { id: "create-config", spellcheck: "false" });
  const createErrors = h("div");
  const fill = () => (configText.value = JSON.stringify(TEMPLATES[templateSelect.value].config, null, 2));
  templateSelect.addEventListener("change", fill);
  fill();
  const form = h("form", { class: "form", id: "create-form", hidden: true },
    h("label", { for: "create-name" }, "Name"), nameInput,
    h("label", { for: "create-template" }, "Template"), templateSelect,
    h("label", { for: "create-config" }, "Config"), configText,
    h("span"), h("div", {}, h("button", { class: "primary", type: "submit" }, "Create"), " ", h("button", { type: "button", onclick: () => (form.hidden = true) }, "Cancel")),
    h("span"), createErrors);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    createErrors.replaceChildren();
    let config: unknown;
    try {
      config = JSON.parse(configText.value || "{}");
    } catch (e) {
      createErrors.replaceChildren(h("div", { class: "errors" }, `config: ${(e as Error).message}`));
      return;
    }
    try {
      await api("PUT", sandboxPath(nameInput.value.trim()), config);
      form.hidden = true;
      location.hash = `#/s/${encodeURIComponent(nameInput.value.trim())}/timeline`;
    } catch (e) {
      const p = e instanceof ApiError ? e.problem : undefined;
      createErrors.replaceChildren(h("div", { class: "errors" }, p?.title ?? "Error",
        ...(p?.errors?.length ? p.errors.map((x) => h("div", {}, h("code", {}, x.path || "(document)"), `: ${x.message}`)) : [h("div", {}, (e as Error).message)])));
    }
  });

  root.replaceChildren(h("div", { class: "page" },
    h("div", { class: "head" },
      h("h2", {}, "Sandboxes"), h("span", { class: "spacer" }),
      h("button", { class: "primary", id: "new-sandbox", title: "New sandbox (n)", onclick: () => { form.hidden = false; nameInput.focus(); } }, "New sandbox")),
    form, message, table));

  stats.start();
  let timer: number | undefined;
  const off = stats.on((batch) => {
    // A lifecycle event changes the list; any event changes the counts.
    if (batch.some((e) => e.type.startsWith("sandbox.") || e.type === "config.apply")) {
      clearTimeout(timer);
      timer = window.setTimeout(refresh, 100);
    } else render();
  });
  const key = (ev: KeyboardEvent) => {
    if (ev.key === "n" && !(ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement)) {
      ev.preventDefault();
      form.hidden = false;
      nameInput.focus();
    }
  };
  document.addEventListener("keydown", key);
  const tick = window.setInterval(render, 10_000);
  void refresh();
  return () => {
    off();
    stats.stop();
    clearTimeout(timer);
    clearInterval(tick);
    document.removeEventListener("keydown", key);
  };
}
