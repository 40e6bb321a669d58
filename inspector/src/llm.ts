import { loadThenFollow, sandboxPath, type HiveEvent } from "./api";
import { clock, h, num, usd } from "./dom";
import { costOf } from "./cost";
import { showCall } from "./llmcall";

/**
 * Every llm.call of one sandbox: provider, model, tokens, latency, streamed or not, estimated cost; totals on top.
 * Clicking a call opens its conversation beside the list.
 */
export function llmTab(root: HTMLElement, sandbox: string): () => void {
  const calls: HiveEvent[] = [];
  let selected: number | undefined;
  const body = h("tbody", {
    onclick: ((ev: MouseEvent) => {
      const row = (ev.target as Element).closest("tr[data-id]") as HTMLElement | null;
      if (!row) return;
      selected = Number(row.dataset.id);
      for (const r of body.querySelectorAll("tr.sel")) r.classList.remove("sel");
      row.classList.add("sel");
      detail.hidden = false;
      showCall(detail, sandbox, selected);
    }) as EventListener,
  });
  const totals = h("div", { class: "head", id: "llm-totals" });
  const detail = h("div", { class: "detail conv", id: "llm-call", hidden: true });
  root.replaceChildren(h("div", { class: "split" }, h("div", { class: "page" }, totals,
    h("table", { class: "grid", id: "llm-calls" },
      h("thead", {}, h("tr", {}, h("th", {}, "Time"), h("th", {}, "Provider"), h("th", {}, "Model"),
        h("th", { class: "num" }, "Input tokens"), h("th", { class: "num" }, "Output tokens"), h("th", { class: "num" }, "Latency"),
        h("th", {}, "Stream"), h("th", { class: "num" }, "Status"), h("th", { class: "num" }, "Est. cost"))),
      body)), detail));

  const render = () => {
    let inTok = 0, outTok = 0, cost = 0, unknown = 0;
    const rows = calls.map((e) => {
      const c = costOf(e.provider as string, e.model as string, e.inputTokens, e.outputTokens);
      inTok += typeof e.inputTokens === "number" ? e.inputTokens : 0;
      outTok += typeof e.outputTokens === "number" ? e.outputTokens : 0;
      if (c === null) unknown++;
      else cost += c;
      return h("tr", { "data-id": e.id, class: e.id === selected ? "sel" : undefined, title: "open the conversation" },
        h("td", { class: "mono" }, clock(e.ts)), h("td", {}, String(e.provider ?? "")), h("td", { class: "mono" }, String(e.model ?? "")),
        h("td", { class: "num" }, num(e.inputTokens as number)), h("td", { class: "num" }, num(e.outputTokens as number)),
        h("td", { class: "num" }, e.durationMs === undefined ? "" : `${num(e.durationMs as number)} ms`),
        h("td", {}, e.stream ? "streamed" : "—"), h("td", { class: "num" }, String(e.status ?? "")),
        h("td", { class: "num", title: c === null ? "model not in the price table" : "" }, c === null ? "—" : usd(c)));
    });
    body.replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 9, class: "empty" }, "No model calls yet."))]));
    totals.replaceChildren(h("h2", {}, "LLM calls"),
      h("span", { class: "count" }, `${calls.length} calls · ${num(inTok)} in / ${num(outTok)} out tokens · est. ${usd(cost)}${unknown ? ` (+${unknown} of unknown price)` : ""}`));
  };

  const stop = loadThenFollow(`${sandboxPath(sandbox)}/events`, {
    types: "llm.call",
    pageSize: 5000,
    onStored: (batch) => calls.push(...batch),
    onLoaded: render,
    onEvent: (e) => {
      calls.push(e);
      render();
    },
    onError: (e) => totals.replaceChildren(h("div", { class: "errors" }, e.message)),
  });
  render();
  return stop;
}
