// A small line chart in SVG (no library): one series over time, its maximum as the top line.

const SVG = "http://www.w3.org/2000/svg";

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export interface Point { t: number; v: number }

/** The polyline's points for `points` in a w×h box: time from `from` to `to` left to right, 0..max bottom to top. */
export function polyline(points: Point[], from: number, to: number, max: number, w: number, h: number): string {
  const span = Math.max(1, to - from);
  const top = max > 0 ? max : 1;
  return points.map((p) => {
    const x = ((p.t - from) / span) * w;
    const y = h - (Math.min(p.v, top) / top) * h;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  }).join(" ");
}

/** An SVG chart of `points` from `from` to `to`, scaled to `max` (labelled with `label(max)`), with an area under the line. */
export function lineChart(id: string, points: Point[], from: number, to: number, max: number, label: (v: number) => string): SVGSVGElement {
  const w = 600, h = 120;
  const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, preserveAspectRatio: "none", class: "chart", id, role: "img" });
  for (const f of [0.25, 0.5, 0.75]) svg.append(el("line", { x1: 0, x2: w, y1: h * f, y2: h * f, class: "grid" }));
  if (points.length) {
    const line = polyline(points, from, to, max, w, h);
    const first = line.split(" ")[0].split(",")[0], last = line.split(" ").at(-1)!.split(",")[0];
    svg.append(el("polygon", { points: `${first},${h} ${line} ${last},${h}`, class: "area" }), el("polyline", { points: line, class: "line" }));
  }
  const top = el("text", { x: 4, y: 12, class: "axis" });
  top.textContent = label(max);
  svg.append(top);
  return svg;
}
