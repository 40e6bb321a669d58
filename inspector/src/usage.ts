import { api, loadThenFollow, sandboxPath, type HiveEvent } from "./api";
import { lineChart, type Point } from "./chart";
import { costOf } from "./cost";
import { h, num, usd } from "./dom";
import { bytes } from "./filekind";

export interface UsageSample { ts: string; cpuUsec: number; cpuPercent: number | null; memoryBytes: number; memoryPeakBytes: number | null; pids: number }
export interface Usage {
  sandbox: string;
  status: string;
  intervalSeconds: number;
  capacity: number;
  limits: { cpus: number; memoryMb: number; pids: number };
  samples: UsageSample[];
}

/** Egress bytes and model tokens of one sandbox, counted from its events. */
export interface Traffic { requests: number; bytesIn: number; bytesOut: number; calls: number; inputTokens: number; outputTokens: number; cost: number; unpriced: number }

export function countTraffic(t: Traffic, e: HiveEvent): void {
  if (e.type === "egress.response") {
    t.requests++;
    t.bytesIn += typeof e.bytesIn === "number" ? e.bytesIn : 0;
    t.bytesOut += typeof e.bytesOut === "number" ? e.bytesOut : 0;
  } else if (e.type === "llm.call") {
    t.calls++;
    t.inputTokens += typeof e.inputTokens === "number" ? e.inputTokens : 0;
    t.outputTokens += typeof e.outputTokens === "number" ? e.outputTokens : 0;
    const c = costOf(e.provider as string, e.model as string, e.inputTokens, e.outputTokens);
    if (c === null) t.unpriced++;
    else t.cost += c;
  }
}

/** The Usage tab: CPU and memory over time from the daemon's samples of the sandbox's cgroup; egress bytes, tokens, cost. */
export function usageTab(root: HTMLElement, sandbox: string): () => void {
  const cards = h("div", { class: "cards", id: "usage-cards" });
  const cpu = h("div", { class: "chartbox", id: "usage-cpu" });
  const mem = h("div", { class: "chartbox", id: "usage-memory" });
  const note = h("div", { class: "muted", id: "usage-note" });
  const traffic = h("div", { class: "cards", id: "usage-traffic" });
  root.replaceChildren(h("div", { class: "page usage" }, h("div", { class: "head" }, h("h2", {}, "Usage"), note), cards,
    h("h3", {}, "CPU"), cpu, h("h3", {}, "Memory"), mem, h("h3", {}, "Egress and models"), traffic));

  const card = (label: string, value: string, sub = "", id = "") => h("div", { class: "card", id: id || undefined }, h("div", { class: "muted" }, label), h("div", { class: "big" }, value), h("div", { class: "muted" }, sub));

  let timer: number | undefined;
  let closed = false;
  const poll = async () => {
    try {
      const u = await api<Usage>("GET", `${sandboxPath(sandbox)}/usage`);
      if (closed) return;
      draw(u);
      timer = window.setTimeout(poll, Math.max(1000, u.intervalSeconds * 1000));
    } catch (e) {
      if (closed) return;
      note.textContent = (e as Error).message;
      timer = window.setTimeout(poll, 5000);
    }
  };

  const draw = (u: Usage) => {
    const s = u.samples;
    const last = s.at(-1);
    const to = last ? Date.parse(last.ts) : Date.now();
    const from = Math.min(s.length ? Date.parse(s[0].ts) : to, to - u.intervalSeconds * 1000 * Math.min(u.capacity, 60));
    const cpuPoints: Point[] = s.filter((x) => x.cpuPercent !== null).map((x) => ({ t: Date.parse(x.ts), v: x.cpuPercent! }));
    const memPoints: Point[] = s.map((x) => ({ t: Date.parse(x.ts), v: x.memoryBytes }));
    const cpuMax = Math.max(100 * (u.limits.cpus || 1), ...cpuPoints.map((p) => p.v));
    const memLimit = u.limits.memoryMb * 1024 * 1024;
    const memMax = Math.max(memLimit || 0, ...memPoints.map((p) => p.v), 1);
    const peak = Math.max(0, ...s.map((x) => x.memoryPeakBytes ?? x.memoryBytes));
    cpu.replaceChildren(lineChart("cpu-chart", cpuPoints, from, to, cpuMax, (v) => `${Math.round(v)} %`));
    mem.replaceChildren(lineChart("memory-chart", memPoints, from, to, memMax, bytes));
    cards.replaceChildren(
      card("CPU", last?.cpuPercent == null ? "—" : `${last.cpuPercent.toFixed(1)} %`, `limit ${u.limits.cpus} CPU${u.limits.cpus === 1 ? "" : "s"} (100 % = one core)`, "usage-cpu-now"),
      card("Memory", last ? bytes(last.memoryBytes) : "—", `peak ${bytes(peak)} · limit ${bytes(memLimit)}`, "usage-memory-now"),
      card("Tasks", last ? num(last.pids) : "—", `limit ${num(u.limits.pids)}`, "usage-pids-now"),
      card("CPU time", last ? `${(last.cpuUsec / 1e6).toFixed(2)} s` : "—", "since the sandbox started"));
    note.textContent = s.length
      ? `${u.status} · ${s.length} of ${u.capacity} samples, every ${u.intervalSeconds} s`
      : `${u.status} · no samples yet (the daemon samples running sandboxes every ${u.intervalSeconds} s)`;
  };

  const t: Traffic = { requests: 0, bytesIn: 0, bytesOut: 0, calls: 0, inputTokens: 0, outputTokens: 0, cost: 0, unpriced: 0 };
  const drawTraffic = () => traffic.replaceChildren(
    card("Egress in", bytes(t.bytesIn), `${num(t.requests)} responses`, "usage-egress-in"),
    card("Egress out", bytes(t.bytesOut), "request bodies", "usage-egress-out"),
    card("Model tokens", `${num(t.inputTokens)} / ${num(t.outputTokens)}`, `in / out · ${num(t.calls)} calls`, "usage-tokens"),
    card("Est. cost", usd(t.cost), t.unpriced ? `+${t.unpriced} calls of unknown price` : "from the price table", "usage-cost"));
  let scheduled = false;
  const stop = loadThenFollow(`${sandboxPath(sandbox)}/events`, {
    types: "egress.response,llm.call",
    pageSize: 5000,
    onStored: (batch) => batch.forEach((e) => countTraffic(t, e)),
    onLoaded: drawTraffic,
    onEvent: (e) => {
      countTraffic(t, e);
      if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(() => {
          scheduled = false;
          drawTraffic();
        });
      }
    },
    onError: (e) => traffic.replaceChildren(h("div", { class: "errors" }, e.message)),
  });
  drawTraffic();
  void poll();
  return () => {
    closed = true;
    clearTimeout(timer);
    stop();
  };
}
