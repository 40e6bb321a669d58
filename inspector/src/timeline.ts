import { loadThenFollow, sandboxPath, type HiveEvent } from "./api";
import { clock, h } from "./dom";
import { isAllowed, isDenied, KINDS, kindOf, summary } from "./kinds";

const ROW = 22;
const PAGE = 10000; // the events API's largest page
const NEWEST = 1000; // read first: enough to fill the view and scroll a little while the rest loads
const OVERSCAN = 12;

type Access = "all" | "allowed" | "denied";

/** How a request ended, in a few words: status or exit code, duration, bytes. */
export function outcome(r: HiveEvent): string {
  const ms = typeof r.durationMs === "number" ? ` ${r.durationMs} ms` : "";
  switch (r.type) {
    case "egress.response":
      return `${r.status}${ms}  ↓${r.bytesIn ?? 0} B ↑${r.bytesOut ?? 0} B${r.error ? `  ${r.error}` : ""}`;
    case "exec.response":
      return `exit ${r.exitCode}${ms}${r.timedOut ? " (timed out)" : ""}`;
    case "fs.response":
      return `${r.error ?? "ok"}${ms}${typeof r.bytes === "number" ? ` ${r.bytes} B` : ""}`;
    default:
      return ms.trim();
  }
}

// A bar whose width grows with the duration (log scale: 1 ms to a minute fit in 80 px), like a network panel's waterfall.
function waterfall(r: HiveEvent): HTMLElement {
  const ms = typeof r.durationMs === "number" ? r.durationMs : 0;
  const bar = h("span", { class: "bar", title: `${ms} ms` });
  bar.style.width = `${Math.max(2, Math.min(80, Math.round(Math.log2(1 + ms) * 5)))}px`;
  return h("span", { class: "wf" }, bar);
}

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
  // A request and its response as one row: response events are folded into their request's row.
  let pairing = true;
  const indexById = new Map<number, number>();
  const responseOf = new Map<number, HiveEvent>(); // request index → its response
  const folded = new Set<number>(); // indexes of responses whose request is in the list

  const filtering = () => kinds.size > 0 || access !== "all" || query !== "";

  const matches = (i: number): boolean => {
    const e = events[i];
    if (pairing && folded.has(i)) return false;
    if (kinds.size && !kinds.has(kindOf(e.type))) return false;
    if (access === "denied" && !isDenied(e)) return false;
    if (access === "allowed" && !isAllowed(e)) return false;
    if (query) {
      const response = responseOf.get(i);
      const t = (text[i] ??= (JSON.stringify(e) + (response ? JSON.stringify(response) : "")).toLowerCase());
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
  const groupSelect = h("select", { id: "group", title: "Group the events shown by host or path" },
    h("option", { value: "" }, "no grouping"), h("option", { value: "host" }, "group by host"), h("option", { value: "path" }, "group by path"));
  groupSelect.addEventListener("change", () => {
    list.hidden = groupSelect.value !== "";
    groups.hidden = groupSelect.value === "";
    schedule();
  });
  const pairButton = h("button", { id: "pair", class: "on", title: "Show a request and its response as one row, with a bar for its duration (p)" }, "Pair");
  const togglePair = () => {
    pairing = !pairing;
    pairButton.classList.toggle("on", pairing);
    refilter();
  };
  pairButton.addEventListener("click", togglePair);
  const followButton = h("button", { id: "follow", class: "on", title: "Keep the newest event in view (f)" }, "Follow");
  followButton.addEventListener("click", () => setFollow(!followMode));
  const toolbar = h("div", { class: "toolbar" }, ...kindButtons, h("span", { class: "muted" }, "│"), ...accessButtons, search,
    groupSelect, h("span", { class: "spacer" }), count, pairButton, followButton);

  // ---- list and detail ----
  const rows = h("div", { class: "rows" });
  const list = h("div", { class: "list", id: "timeline", tabindex: 0 }, rows);
  const detail = h("pre", { id: "event-detail" }, "Select an event to see all of it.");
  const detailResponse = h("pre", { id: "event-response" });
  const groups = h("div", { class: "list groups", id: "timeline-groups", hidden: true });
  root.replaceChildren(toolbar, h("div", { class: "split" }, list, groups, h("aside", { class: "detail" }, detail, detailResponse)));

  const setFollow = (on: boolean) => {
    followMode = on;
    followButton.classList.toggle("on", on);
    if (on) list.scrollTop = list.scrollHeight;
  };

  let frame = 0;
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };

  function drawGroups() {
    const by = groupSelect.value;
    const agg = new Map<string, { n: number; allowed: number; denied: number; bytesIn: number; bytesOut: number; ms: number }>();
    for (const i of shown) {
      const e = events[i];
      const key = by === "host" ? (e.host ?? (e.type === "dns.query" ? e.name : undefined)) : e.path;
      if (key === undefined || key === null) continue;
      const k = String(key);
      let g = agg.get(k);
      if (!g) agg.set(k, (g = { n: 0, allowed: 0, denied: 0, bytesIn: 0, bytesOut: 0, ms: 0 }));
      g.n++;
      if (isDenied(e)) g.denied++;
      else if (isAllowed(e)) g.allowed++;
      const r = responseOf.get(i);
      if (r) {
        g.bytesIn += typeof r.bytesIn === "number" ? r.bytesIn : typeof r.bytes === "number" ? r.bytes : 0;
        g.bytesOut += typeof r.bytesOut === "number" ? r.bytesOut : 0;
        g.ms += typeof r.durationMs === "number" ? r.durationMs : 0;
      }
    }
    const sorted = [...agg.entries()].sort((a, b) => b[1].n - a[1].n).slice(0, 1000);
    groups.replaceChildren(h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, h("th", {}, by), h("th", { class: "num" }, "events"), h("th", { class: "num" }, "allowed"), h("th", { class: "num" }, "denied"),
        h("th", { class: "num" }, "bytes in"), h("th", { class: "num" }, "bytes out"), h("th", { class: "num" }, "total ms"))),
      h("tbody", {}, ...sorted.map(([k, g]) => h("tr", { "data-group": k, title: "Show these events (filter by this text)" },
        h("td", { class: "mono" }, k), h("td", { class: "num" }, g.n.toLocaleString("en-US")), h("td", { class: "num allowed" }, g.allowed || ""),
        h("td", { class: `num ${g.denied ? "denied" : ""}` }, g.denied || ""), h("td", { class: "num" }, g.bytesIn || ""),
        h("td", { class: "num" }, g.bytesOut || ""), h("td", { class: "num" }, g.ms ? Math.round(g.ms) : ""))))));
  }

  groups.addEventListener("click", (ev) => {
    const tr = (ev.target as HTMLElement).closest<HTMLElement>("tr[data-group]");
    if (!tr) return;
    search.value = tr.dataset.group!;
    query = search.value.toLowerCase();
    groupSelect.value = "";
    list.hidden = false;
    groups.hidden = true;
    refilter();
  });

  function draw() {
    frame = 0;
    if (groupSelect.value) drawGroups();
    rows.style.height = `${shown.length * ROW}px`;
    if (followMode) list.scrollTop = list.scrollHeight;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(shown.length, Math.ceil((list.scrollTop + list.clientHeight) / ROW) + OVERSCAN);
    const nodes: HTMLElement[] = [];
    for (let r = first; r < last; r++) {
      const i = shown[r];
      const e = events[i];
      const denied = isDenied(e);
      const response = pairing ? responseOf.get(i) : undefined;
      const row = h("div", { class: `row${i === selected ? " sel" : ""}`, "data-id": e.id, "data-type": e.type, "data-i": i },
        h("span", { class: "t" }, clock(e.ts)),
        h("span", { class: "k" }, e.type),
        h("span", { class: `a ${denied ? "denied" : isAllowed(e) ? "allowed" : ""}` }, denied ? "denied" : isAllowed(e) ? "allowed" : ""),
        pairing ? (response ? waterfall(response) : h("span", { class: "wf" })) : null,
        summary(e),
        response ? h("span", { class: "resp" }, `  → ${outcome(response)}`) : null);
      row.style.top = `${r * ROW}px`;
      nodes.push(row);
    }
    rows.replaceChildren(...nodes);
    count.textContent = !filtering() ? `${events.length.toLocaleString("en-US")} events` : `${shown.length.toLocaleString("en-US")} of ${events.length.toLocaleString("en-US")}`;
  }

  function refilter() {
    shown = [];
    for (let i = 0; i < events.length; i++) if (matches(i)) shown.push(i);
    schedule();
  }

  const select = (i: number) => {
    selected = i;
    detail.textContent = i >= 0 ? JSON.stringify(events[i], null, 2) : "Select an event to see all of it.";
    const response = i >= 0 ? responseOf.get(i) : undefined;
    detailResponse.textContent = response ? `response\n${JSON.stringify(response, null, 2)}` : "";
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
      case "p": togglePair(); break;
      case "/": search.focus(); break;
      case "Escape": select(-1); break;
      default: return;
    }
    ev.preventDefault();
  };
  document.addEventListener("keydown", key);

  const add = (e: HiveEvent) => {
    const i = events.push(e) - 1;
    indexById.set(e.id, i);
    const request = e.type.endsWith(".response") && typeof e.requestId === "number" ? indexById.get(e.requestId) : undefined;
    if (request !== undefined) {
      responseOf.set(request, e);
      folded.add(i);
      text[request] = undefined;
    }
    if (matches(i)) shown.push(i);
    schedule();
  };

  // The newest page first (drawn at once), then every stored page in id order, kept aside and swapped in whole when
  // all have arrived (so the view does not jump back to the oldest meanwhile), then live from the last id.
  let preview = false;
  let loaded: HiveEvent[] = [];
  const reset = () => {
    events.length = 0;
    text.length = 0;
    shown = [];
    selected = -1;
    indexById.clear();
    responseOf.clear();
    folded.clear();
  };
  const stop = loadThenFollow(`${sandboxPath(sandbox)}/events`, {
    pageSize: PAGE,
    newestSize: NEWEST,
    onNewest: (batch) => {
      batch.forEach(add);
      preview = batch.length === NEWEST;
    },
    onStored: (batch) => {
      if (!preview) batch.forEach(add);
      else for (const e of batch) loaded.push(e);
    },
    onLoaded: () => {
      if (!preview) return;
      preview = false;
      reset();
      loaded.forEach(add);
      loaded = [];
    },
    onEvent: add,
    onError: (e) => (detail.textContent = `could not load events: ${e.message}`),
  });
  schedule();

  return () => {
    stop();
    document.removeEventListener("keydown", key);
    cancelAnimationFrame(frame);
  };
}
