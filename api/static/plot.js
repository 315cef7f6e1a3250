// The convergence plot: the width of pi's bracket after N terms, both on log scales, with
// the width the requested digits need drawn as a line, so one sees where it will certify.

import { $, pow10, si } from "./format.js";

const NS = "http://www.w3.org/2000/svg";
const L = 62, R = 24, T = 14, B = 48;
// Drawn at the size it is shown, so the 13 px labels stay 13 px on a phone.
let W = 640, H = 300;

function size() {
  W = Math.round(Math.min(900, Math.max(300, $("plot").clientWidth || 640)));
  H = Math.round(Math.max(240, Math.min(340, W * 0.5)));
  $("plot").setAttribute("viewBox", `0 0 ${W} ${H}`);
}

function svg(tag, attributes = {}, text = "") {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

// Whole powers of ten inside [lo, hi], thinned to at most `most` of them.
function decades(lo, hi, most) {
  const first = Math.ceil(lo), last = Math.floor(hi);
  const step = Math.max(1, Math.ceil((last - first + 1) / most));
  const ticks = [];
  for (let k = first; k <= last; k += step) ticks.push(k);
  return ticks;
}

export function clearPlot(message) {
  last = null;
  size();
  $("plot").replaceChildren(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, message));
  $("plot-summary").textContent = message;
}

// points: [{terms, lower, upper, width_log10}]; digits: the requested digits; plannedTerms:
// where the x axis ends; axis: "terms" (series terms N) or "depth" (continued-fraction depth n).
let last = null;

const AXES = {
  terms: { label: "terms summed, N (log scale)", short: "N", what: "terms", empty: "No computed prefix of the series is recorded (yet)." },
  depth: { label: "continued-fraction depth, n (log scale)", short: "n", what: "depth", empty: "No depth chunk of the tail has finished (yet)." },
};

export function renderPlot(points, digits, plannedTerms, axis = "terms") {
  last = [points, digits, plannedTerms, axis];
  const names = AXES[axis] ?? AXES.terms;
  const shown = points.filter((p) => p.terms > 0 && Number.isFinite(p.width_log10));
  if (!shown.length) {
    clearPlot(names.empty);
    return;
  }
  size();
  const xs = shown.map((p) => Math.log10(p.terms));
  const ys = shown.map((p) => p.width_log10);
  const target = -digits;
  let x0 = Math.floor(Math.min(...xs)), x1 = Math.ceil(Math.max(...xs, Math.log10(plannedTerms || 1)));
  if (x1 - x0 < 1) x1 = x0 + 1;
  let y0 = Math.floor(Math.min(...ys)), y1 = Math.ceil(Math.max(...ys));
  // The target joins the picture when it is near the data; a leibniz-euler target of 10^-20000
  // is reached by the correction, not by the series, and would flatten everything else.
  const targetShown = target >= y0 - 8;
  if (targetShown) y0 = Math.min(y0, target - 1);
  if (y1 - y0 < 1) y1 = y0 + 1;
  const X = (v) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const Y = (v) => T + ((y1 - v) / (y1 - y0)) * (H - T - B);

  const nodes = [svg("rect", { x: L, y: T, width: W - L - R, height: H - T - B, class: "frame" })];
  for (const k of decades(x0, x1, Math.floor(W / 70))) {
    nodes.push(svg("line", { x1: X(k), x2: X(k), y1: T, y2: H - B, class: "grid" }),
      svg("text", { x: X(k), y: H - B + 18, "text-anchor": "middle" }, pow10(k)));
  }
  for (const k of decades(y0, y1, 7)) {
    nodes.push(svg("line", { x1: L, x2: W - R, y1: Y(k), y2: Y(k), class: "grid" }),
      svg("text", { x: L - 6, y: Y(k) + 4, "text-anchor": "end" }, pow10(k)));
  }
  nodes.push(
    svg("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", class: "axis" }, names.label),
    svg("text", { x: 14, y: (T + H - B) / 2, "text-anchor": "middle", class: "axis",
      transform: `rotate(-90 14 ${(T + H - B) / 2})` }, "bracket width (log scale)"),
  );
  if (targetShown) {
    nodes.push(svg("line", { x1: L, x2: W - R, y1: Y(target), y2: Y(target), class: "target" }),
      svg("text", { x: W - R - 4, y: Y(target) - 6, "text-anchor": "end", class: "target-label" },
        W < 500 ? `${pow10(target)}: ${digits} digits` : `${pow10(target)}: the widest bracket that can fix ${digits} digits`));
  }
  const coords = shown.map((p, i) => `${X(xs[i]).toFixed(1)},${Y(ys[i]).toFixed(1)}`).join(" ");
  nodes.push(svg("polyline", { points: coords, class: "width" }));
  // Dots only while they stay apart; hundreds would just thicken the line.
  if (shown.length <= 120) {
    shown.forEach((p, i) => {
      const dot = svg("circle", { cx: X(xs[i]).toFixed(1), cy: Y(ys[i]).toFixed(1), r: 3.5, class: "width" });
      const where = p.lower === null ? `bracket about ${pow10(Math.round(p.width_log10))} wide (estimated from the depth)` : `${p.lower} < π < ${p.upper}`;
      dot.append(svg("title", {}, `${names.short} = ${si(p.terms)}: ${where}`));
      nodes.push(dot);
    });
  }
  $("plot").replaceChildren(...nodes);
  const end = shown[shown.length - 1];
  const width = end.lower === null ? `about ${pow10(Math.round(end.width_log10))}` : (end.upper - end.lower).toExponential(2);
  const after = axis === "depth" ? `At depth ${si(end.terms)} the tail's` : `After ${si(end.terms)} terms the`;
  $("plot-summary").textContent = `${after} bracket is ${width} wide; `
    + `${digits} digits need it below ${pow10(target)}`
    + (targetShown ? "." : " (below this plot: the tail's correction closes that gap).");
}

let resizing = null;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => last && renderPlot(...last), 200);
});
