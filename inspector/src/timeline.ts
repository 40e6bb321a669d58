import { follow, page, sandboxPath, type HiveEvent } from "./api";
import { clock, h } from "./dom";
import { isAllowed, isDenied, KINDS, kindOf, summary } from "./kinds";

const ROW = 22;
const PAGE = 5000;
const OVERSCAN = 12;

type Access = "all" | "allowed" | "denied";

/**
 * Every event of one sandbox: stored pages first, then live over SSE from the last id (no gap, no repeat). Newest at the
 * bottom; follow mode keeps the bottom in view until the user scrolls up. Only the rows in view exist in the DOM.
 */
export function timelineTab(root: HTMLElement, sandbox: string): () => void {
  const events: HiveEvent[] = [];
  const text: (string | undefined)[] = [];
  let shown: number[] = [];
  let selected = -1; // index into events
  let followMode = true;
  const kinds = new Set<string>();
  let access: Access = "all";
  let query = "";

  const matches = (i: number): boolean => {
    const e = events[i];
    if (kinds.size && !kinds.has(kindOf(e.type))) return false;
    if (access === "denied" && !isDenied(e)) return false;
    if (access === "allowed" && !isAllowed(e)) return false;
    if (query) {
      const t = (text[i] ??= JSON.stringify(e).toLowerCase());
      if (!t.includes(query)) return false;
    }
    return true;
  };

  // ---- toolbar ----
  const count = h("span", { class: "count", id: "timeline-count" });
  const kindButtons = Object.keys(KINDS).map((k) => {
    const b = h("button", { "data-kind": k, title: `Only ${k} events (toggle)` }, k);
    b.addEventListener("click", () => {
      if (kinds.has(k)) kinds.delete(k);
      else kinds.add(k);
      b.classList.toggle("on", kinds.has(k));
      refilter();
    });
    return b;
  });
  const accessButtons = (["all", "allowed", "denied"] as Access[]).map((a) => {
    const b = h("button", { "data-access": a, class: a === "all" ? "on" : "" }, a);
    b.addEventListener("click", () => {
      access = a;
      for (const x of accessButtons) x.classList.toggle("on", x === b);
      refilter();
    });
    return b;
  });
  const search = h("input", { type: "search", id: "timeline-search", placeholder: "filter text  ( / )", size: 28 });
  let searchTimer: number | undefined;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      query = search.value.trim().toLowerCase();
      refilter();
    }, 120);
  });
  const followButton = h("button", { id: "follow", class: "on", title: "Keep the newest event in view (f)" }, "Follow");
  followButton.addEventListener("click", () => setFollow(!followMode));
  const toolbar = h("div", { class: "toolbar" }, ...kindButtons, h("span", { class: "muted" }, "│"), ...accessButtons, search,
    h("span", { class: "spacer" }), count, followButton);

  // ---- list and detail ----
  const rows = h("div", { class: "rows" });
  const list = h("div", { class: "list", id: "timeline", tabindex: 0 }, rows);
  const detail = h("pre", { id: "event-detail" }, "Select an event to see all of it.");
  root.replaceChildren(toolbar, h("div", { class: "split" }, list, h("aside", { class: "detail" }, detail)));

  const setFollow = (on: boolean) => {
    followMode = on;
    followButton.classList.toggle("on", on);
    if (on) list.scrollTop = list.scrollHeight;
  };

  let frame = 0;
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };

  function draw() {
    frame = 0;
    rows.style.height = `${shown.length * ROW}px`;
    if (followMode) list.scrollTop = list.scrollHeight;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(shown.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW) + OVERSCAN);
    const nodes: HTMLElement[] = [];
    for (let r = first; r < last; r++) {
      const i = shown[r];
      const e = events[i];
      const denied = isDenied(e);
      const row = h("div", { class: `row${i === selected ? " sel" : ""}`, "data-id": e.id, "data-type": e.type, "data-i": i },
        h("span", { class: "t" }, clock(e.ts)),
        h("span", { class: "k" }, e.type),
        h("span", { class: `a ${denied ? "denied" : isAllowed(e) ? "allowed" : ""}` }, denied ? "denied" : isAllowed(e) ? "allowed" : ""),
        summary(e));
      row.style.top = `${r * ROW}px`;
      nodes.push(row);
    }
    rows.replaceChildren(...nodes);
    count.textContent = shown.length === events.length ? `${events.length.toLocaleString("en-US")} events` : `${shown.length.toLocaleString("en-US")} of ${events.length.toLocaleString("en-US")}`;
  }

  function refilter() {
    shown = [];
    for (let i = 0; i < events.length; i++) if (matches(i)) shown.push(i);
    schedule();
  }

  const select = (i: number) => {
    selected = i;
    detail.textContent = i >= 0 ? JSON.stringify(events[i], null, 2) : "Select an event to see all of it.";
    schedule();
  };

  rows.addEventListener("click", (ev) => {
    const row = (ev.target as HTMLElement).closest<HTMLElement>(".row");
    if (row) select(Number(row.dataset.i));
  });
  list.addEventListener("scroll", () => {
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - ROW;
    if (followMode !== atBottom) {
      followMode = atBottom;
      followButton.classList.toggle("on", atBottom);
    }
    schedule();
  });

  const move = (delta: number) => {
    if (!shown.length) return;
    let r = shown.indexOf(selected);
    r = r < 0 ? (delta > 0 ? 0 : shown.length - 1) : Math.min(shown.length - 1, Math.max(0, r + delta));
    select(shown[r]);
    setFollow(false);
    const top = r * ROW;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (top + ROW > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW - list.clientHeight;
  };
  const key = (ev: KeyboardEvent) => {
    const typing = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement;
    if (typing) {
      if (ev.key === "Escape") (ev.target as HTMLElement).blur();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    switch (ev.key) {
      case "j": case "ArrowDown": move(1); break;
      case "k": case "ArrowUp": move(-1); break;
      case "PageDown": move(Math.floor(list.clientHeight / ROW)); break;
      case "PageUp": move(-Math.floor(list.clientHeight / ROW)); break;
      case "g": case "Home": setFollow(false); list.scrollTop = 0; break;
      case "G": case "End": setFollow(true); break;
      case "f": setFollow(!followMode); break;
      case "/": search.focus(); break;
      case "Escape": select(-1); break;
      default: return;
    }
    ev.preventDefault();
  };
  document.addEventListener("keydown", key);

  const add = (e: HiveEvent) => {
    const i = events.push(e) - 1;
    if (matches(i)) shown.push(i);
    schedule();
  };

  // Stored pages first (fast, JSON), then live from the last id.
  let stop: (() => void) | undefined;
  let closed = false;
  const path = `${sandboxPath(sandbox)}/events`;
  (async () => {
    let after = 0;
    for (;;) {
      const batch = await page(path, after, PAGE);
      if (closed) return;
      for (const e of batch) add(e);
      if (batch.length) after = batch[batch.length - 1].id;
      if (batch.length < PAGE) break;
    }
    stop = follow(path, after, add);
  })().catch((e) => (detail.textContent = `could not load events: ${(e as Error).message}`));
  schedule();

  return () => {
    closed = true;
    stop?.();
    document.removeEventListener("keydown", key);
    cancelAnimationFrame(frame);
  };
}
