import { ApiError, api, loadThenFollow, sandboxPath, type HiveEvent, type SandboxInfo } from "./api";
import { addChange, type Change } from "./changes";
import { clock, h } from "./dom";
import { bytes, decodeText, hexDump, imageTypeOf } from "./filekind";
import { languageOf, tokenize } from "./highlight";

/** How much of a file the viewer reads; the rest is for Download. */
export const VIEW_LIMIT = 256 * 1024;
/** Images larger than this are not previewed. */
const IMAGE_LIMIT = 16 * 1024 * 1024;

interface Entry { name: string; type: string; size: number; mtime: string }

const filePath = (sandbox: string, path: string) =>
  `${sandboxPath(sandbox)}/files/${path.split("/").filter(Boolean).map(encodeURIComponent).join("/")}`;
const join = (dir: string, name: string) => (dir.endsWith("/") ? dir : dir + "/") + name;
const parentOf = (path: string) => path.slice(0, Math.max(1, path.lastIndexOf("/")));

/** The files API's problem detail, or the status. */
async function failure(r: Response): Promise<Error> {
  if (r.status === 401) location.href = "/login";
  const text = await r.text().catch(() => "");
  try {
    return new ApiError(JSON.parse(text));
  } catch {
    return new Error(`${r.status} ${r.statusText}`);
  }
}

/** The first `limit` bytes of a file (reading stops there) and whether there was more. */
async function readHead(url: string, limit: number): Promise<{ data: Uint8Array; truncated: boolean }> {
  const r = await fetch(url, { credentials: "same-origin" });
  if (!r.ok) throw await failure(r);
  const reader = r.body!.getReader();
  const chunks: Uint8Array[] = [];
  let got = 0, truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    if (got > limit) {
      truncated = true;
      await reader.cancel();
      break;
    }
  }
  const data = new Uint8Array(Math.min(got, limit));
  let o = 0;
  for (const c of chunks) {
    const n = Math.min(c.length, data.length - o);
    data.set(c.subarray(0, n), o);
    o += n;
    if (o >= data.length) break;
  }
  return { data, truncated };
}

/** The code view: a line-number gutter and the highlighted text, each token put in as text. */
export function codeView(text: string, path: string): HTMLElement {
  const code = h("code", { class: "hl" });
  for (const t of tokenize(text, languageOf(path))) code.append(t.cls ? h("span", { class: `tok-${t.cls}` }, t.text) : document.createTextNode(t.text));
  const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  const gutter = h("pre", { class: "gutter", "aria-hidden": "true" }, Array.from({ length: Math.max(1, lines) }, (_, i) => i + 1).join("\n"));
  return h("div", { class: "code" }, gutter, h("pre", { class: "text", id: "file-text", "data-lang": languageOf(path) ?? "plain" }, code));
}

/**
 * The Files tab: each mount's tree as the owner sees it (directories listed when opened), a viewer (highlighted text, an
 * image preview, a hex dump of binary files, the first 256 KiB of big ones), download, and what changed in the sandbox.
 */
export function filesTab(root: HTMLElement, sandbox: string): () => void {
  const tree = h("div", { class: "tree", id: "file-tree", role: "tree" });
  const changedBody = h("div", { class: "chlist" });
  const changedCount = h("span", { class: "count", id: "changed-count" }, "0");
  const changed = h("div", { class: "changed", id: "changed", hidden: true }, changedBody);
  const viewer = h("section", { class: "viewer", id: "file-viewer" }, h("div", { class: "empty" }, "Choose a file."));
  const treeBtn = h("button", { class: "on", id: "show-tree", title: "Each mount as the owner sees it" }, "Tree");
  const changedBtn = h("button", { id: "show-changed", title: "Paths written, created, deleted or renamed in this sandbox" }, "Changed ", changedCount);
  const refresh = h("button", { id: "refresh-tree", title: "List the open directories again" }, "Refresh");
  const side = h("div", { class: "side" }, h("div", { class: "toolbar" }, treeBtn, changedBtn, h("span", { class: "spacer" }), refresh), tree, changed);
  root.replaceChildren(h("div", { class: "split files" }, side, viewer));

  const show = (which: "tree" | "changed") => {
    tree.hidden = which !== "tree";
    changed.hidden = which !== "changed";
    treeBtn.classList.toggle("on", which === "tree");
    changedBtn.classList.toggle("on", which === "changed");
  };
  treeBtn.addEventListener("click", () => show("tree"));
  changedBtn.addEventListener("click", () => show("changed"));

  // --- the tree: one node per entry; a directory's children are listed when it is opened.
  const dirs = new Map<string, { children: HTMLElement; open: boolean }>();
  let selected: HTMLElement | undefined;

  const node = (path: string, name: string, type: string, entry?: Entry): HTMLElement => {
    const isDir = type === "dir";
    const label = h("div", {
      class: `tn ${type}`, role: "treeitem", tabindex: "0", "data-path": path, "data-type": type,
      title: entry ? `${type} · ${bytes(entry.size)} · ${entry.mtime}` : path,
    }, h("span", { class: "caret" }, isDir ? "▸" : ""), h("span", { class: "name" }, name));
    const el = h("div", { class: "tnode" }, label);
    if (isDir) {
      const children = h("div", { class: "children", hidden: true });
      el.append(children);
      const d = { children, open: false };
      dirs.set(path, d);
      label.addEventListener("click", () => toggle(path, label));
    } else if (type === "file") {
      label.addEventListener("click", () => {
        selected?.classList.remove("sel");
        (selected = label).classList.add("sel");
        void openFile(path, entry);
      });
    } else {
      label.classList.add("muted");
      label.title = `${type}: not readable through the files API`;
    }
    label.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        label.click();
      }
    });
    return el;
  };

  const list = async (path: string) => {
    const d = dirs.get(path);
    if (!d) return;
    try {
      const entries = await api<Entry[]>("GET", filePath(sandbox, path));
      entries.sort((a, b) => (a.type === "dir" ? 0 : 1) - (b.type === "dir" ? 0 : 1) || a.name.localeCompare(b.name));
      // Directories that were open stay open (and are listed again).
      const wasOpen = [...dirs.entries()].filter(([p, x]) => x.open && p.startsWith(join(path, ""))).map(([p]) => p);
      for (const p of [...dirs.keys()]) if (p.startsWith(join(path, ""))) dirs.delete(p);
      d.children.replaceChildren(...(entries.length ? entries.map((e) => node(join(path, e.name), e.name, e.type, e))
        : [h("div", { class: "tn muted" }, "(empty)")]));
      for (const p of wasOpen) {
        const label = tree.querySelector<HTMLElement>(`[data-path="${CSS.escape(p)}"]`);
        if (label) await toggle(p, label);
      }
    } catch (e) {
      d.children.replaceChildren(h("div", { class: "tn errors-inline" }, (e as Error).message));
    }
  };

  const toggle = async (path: string, label: HTMLElement) => {
    const d = dirs.get(path);
    if (!d) return;
    d.open = !d.open;
    d.children.hidden = !d.open;
    label.querySelector(".caret")!.textContent = d.open ? "▾" : "▸";
    label.setAttribute("aria-expanded", String(d.open));
    if (d.open) await list(path);
  };

  // --- the viewer.
  let blobUrl: string | undefined;
  let opened = 0;
  const openFile = async (path: string, entry?: Entry) => {
    const ticket = ++opened;
    if (blobUrl) URL.revokeObjectURL(blobUrl);
    blobUrl = undefined;
    const url = filePath(sandbox, path);
    const name = path.slice(path.lastIndexOf("/") + 1);
    const info = h("span", { class: "muted", id: "file-info" }, entry ? `${bytes(entry.size)} · modified ${entry.mtime.slice(0, 19).replace("T", " ")}` : "");
    // Same origin: the session cookie goes with it; the daemon answers application/octet-stream, so it is saved, never shown.
    const download = h("a", { href: url, download: name, class: "button", id: "file-download" }, "Download");
    const head = h("div", { class: "toolbar" }, h("code", { id: "file-path" }, path), info, h("span", { class: "spacer" }), download);
    const body = h("div", { class: "viewbody" }, h("div", { class: "empty" }, "Loading…"));
    viewer.replaceChildren(head, body);
    try {
      const image = imageTypeOf(path);
      if (image && (entry?.size ?? 0) <= IMAGE_LIMIT) {
        const { data, truncated } = await readHead(url, IMAGE_LIMIT);
        if (ticket !== opened) return;
        if (truncated) throw new Error(`larger than ${bytes(IMAGE_LIMIT)}: not previewed (download it)`);
        // A blob of the image type shown by an <img>: an SVG's scripts never run there, and it is no document of this origin.
        blobUrl = URL.createObjectURL(new Blob([data as BlobPart], { type: image }));
        const img = h("img", { src: blobUrl, alt: name, id: "file-image" });
        img.addEventListener("error", () => body.replaceChildren(h("div", { class: "empty" }, "Not an image this browser can show.")));
        body.replaceChildren(h("div", { class: "imagebox" }, img));
        info.textContent = `${bytes(data.length)} · ${image}`;
        return;
      }
      const { data, truncated } = await readHead(url, VIEW_LIMIT);
      if (ticket !== opened) return;
      const note = truncated
        ? h("div", { class: "note", id: "file-truncated" }, `Showing the first ${bytes(VIEW_LIMIT)}${entry ? ` of ${bytes(entry.size)}` : ""}. Download it for the whole file.`)
        : null;
      const text = decodeText(data, truncated);
      if (text === null) {
        body.replaceChildren(...([note, h("div", { class: "note", id: "file-binary" }, `Binary file${entry ? ` (${bytes(entry.size)})` : ""}: the first ${bytes(Math.min(1024, data.length))} as hex.`),
          h("pre", { class: "hex" }, hexDump(data))] as (HTMLElement | null)[]).filter((x): x is HTMLElement => !!x));
        return;
      }
      body.replaceChildren(...([note, codeView(text, path)] as (HTMLElement | null)[]).filter((x): x is HTMLElement => !!x));
    } catch (e) {
      if (ticket === opened) body.replaceChildren(h("div", { class: "errors", id: "file-error" }, (e as Error).message));
    }
  };

  // --- what changed, from fs.request events; a change in an open directory lists it again.
  const changes = new Map<string, Change>();
  const render = () => {
    const rows = [...changes.values()].sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : 0)).slice(0, 2000).map((c) => {
      const link = h("a", { href: "#", "data-path": c.path, class: c.gone ? "deleted" : "" }, c.path);
      link.addEventListener("click", (ev) => {
        ev.preventDefault();
        void openFile(c.path);
      });
      const what = Object.entries(c.counts).map(([k, n]) => `${k} ${n}`).join(" · ") + (c.renamed ? ` (↔ ${c.renamed})` : "") + (c.via === "api" ? " · via API" : "");
      return h("div", { class: "ch", title: `${c.path}\nlast change ${c.last}` }, link, h("div", { class: "muted" }, `${what} · ${clock(c.last)}`));
    });
    changedBody.replaceChildren(...(rows.length ? rows : [h("div", { class: "empty" }, "Nothing changed yet.")]));
    changedCount.textContent = String(changes.size);
  };
  const stale = new Set<string>();
  let relist: number | undefined;
  const onEvent = (e: HiveEvent) => {
    const touched = addChange(changes, e);
    if (!touched.length) return;
    for (const p of touched) if (dirs.get(parentOf(p))?.open) stale.add(parentOf(p));
    if (relist === undefined) {
      relist = window.setTimeout(() => {
        relist = undefined;
        render();
        for (const d of stale) void list(d);
        stale.clear();
      }, 250);
    }
  };
  const stop = loadThenFollow(`${sandboxPath(sandbox)}/events`, {
    types: "fs.request",
    pageSize: 5000,
    onStored: (batch) => batch.forEach((e) => addChange(changes, e)),
    onLoaded: render,
    onEvent,
    onError: (e) => changedBody.replaceChildren(h("div", { class: "errors" }, e.message)),
  });
  render();

  refresh.addEventListener("click", () => {
    // Each open directory without an open ancestor: listing it lists its open descendants again.
    const open = [...dirs].filter(([, d]) => d.open).map(([p]) => p);
    for (const p of open) if (!open.some((q) => q !== p && p.startsWith(join(q, "")))) void list(p);
  });

  // --- the mounts, from the sandbox's config.
  api<SandboxInfo>("GET", sandboxPath(sandbox)).then((s) => {
    const fs = (s.config.fs as { mount?: string }[] | undefined) ?? [];
    const mounts = fs.map((m) => m.mount).filter((m): m is string => typeof m === "string");
    tree.replaceChildren(...(mounts.length ? mounts.map((m) => node(m, m, "dir")) : [h("div", { class: "empty" }, "This sandbox has no mounts.")]));
    // The first mount opens by itself.
    const first = tree.querySelector<HTMLElement>(".tn.dir");
    if (first) void toggle(first.dataset.path!, first);
  }).catch((e) => tree.replaceChildren(h("div", { class: "errors" }, (e as Error).message)));

  return () => {
    stop();
    clearTimeout(relist);
    if (blobUrl) URL.revokeObjectURL(blobUrl);
  };
}
