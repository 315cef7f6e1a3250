// The chunk grid: one cell per chunk, coloured by state, details on hover or focus, and the
// per-worker totals beside it. Cells are made once per job and then only restyled, so a poll
// of 2,048 chunks changes a few class names rather than rebuilding the grid.

import { $, count, el, si, time } from "./format.js";

const STATES = [
  ["SUCCESS", "done"],
  ["PROGRESS", "running"],
  ["WAITING", "waiting"],
  ["FAILURE", "failed"],
  ["REVOKED", "cancelled"],
];
const WORDS = Object.fromEntries(STATES);

let chunks = [];
let cells = [];
let focused = 0;

function cellSize(n) {
  // Big enough to point at when there are few, small enough to fit 2,048 on a phone.
  if (n <= 64) return "1.75rem";
  if (n <= 400) return "1rem";
  return "0.625rem";
}

function describe(chunk) {
  const share = chunk.stop > chunk.start ? (100 * chunk.terms_done) / (chunk.stop - chunk.start) : 0;
  const parts = [
    `Chunk ${chunk.index} (${chunk.kind}${chunk.round > 1 ? `, round ${chunk.round}` : ""}): ${WORDS[chunk.status] ?? chunk.status}`,
    `terms ${count(chunk.start)}–${count(chunk.stop)}, ${share.toFixed(0)}% done`,
    chunk.worker ? `worker ${chunk.worker}` : "no worker yet",
    `${chunk.attempts} attempt${chunk.attempts === 1 ? "" : "s"}`,
  ];
  if (chunk.starttime) parts.push(`started ${time(chunk.starttime)}`);
  if (chunk.stoptime) {
    const seconds = (new Date(chunk.stoptime) - new Date(chunk.starttime)) / 1000;
    parts.push(`finished ${time(chunk.stoptime)} after ${seconds.toFixed(1)} s`);
  }
  return parts.join(" · ");
}

function paint(cell, chunk) {
  const name = `cell ${chunk.status}`;
  if (cell.className !== name) cell.className = name;
  const label = `Chunk ${chunk.index}: ${WORDS[chunk.status] ?? chunk.status}`;
  if (cell.getAttribute("aria-label") !== label) cell.setAttribute("aria-label", label);
  if (chunk.status === "PROGRESS") {
    const size = Math.max(1, chunk.stop - chunk.start);
    cell.style.setProperty("--done", `${Math.min(100, (100 * chunk.terms_done) / size).toFixed(0)}%`);
  } else if (cell.style.length) {
    cell.removeAttribute("style");
  }
}

function show(index) {
  const chunk = chunks[index];
  if (chunk) $("chunk-detail").textContent = describe(chunk);
}

function build(n) {
  const grid = $("chunk-grid");
  grid.style.setProperty("--cell", cellSize(n));
  const fragment = document.createDocumentFragment();
  cells = [];
  for (let i = 0; i < n; i += 1) {
    const cell = document.createElement("span");
    cell.setAttribute("role", "listitem");
    cell.tabIndex = i === 0 ? 0 : -1;
    cell.dataset.i = i;
    cells.push(cell);
    fragment.append(cell);
  }
  focused = 0;
  grid.replaceChildren(fragment);
}

function totals() {
  const byState = Object.fromEntries(STATES.map(([state]) => [state, 0]));
  const byWorker = new Map();
  for (const chunk of chunks) {
    byState[chunk.status] = (byState[chunk.status] ?? 0) + 1;
    if (!chunk.worker) continue;
    const row = byWorker.get(chunk.worker) ?? { done: 0, running: 0, terms: 0 };
    if (chunk.status === "SUCCESS") row.done += 1;
    if (chunk.status === "PROGRESS") row.running += 1;
    row.terms += chunk.terms_done;
    byWorker.set(chunk.worker, row);
  }
  $("chunk-legend").replaceChildren(
    ...STATES.filter(([state]) => byState[state] || state !== "REVOKED").map(([state, word]) =>
      el("li", {}, el("span", { className: `cell ${state}` }), `${count(byState[state])} ${word}`),
    ),
  );
  const rows = [...byWorker].sort(([a], [b]) => a.localeCompare(b)).map(([worker, row]) =>
    el("tr", {}, el("th", { scope: "row", textContent: worker }), el("td", { textContent: count(row.done) }),
      el("td", { textContent: count(row.running) }), el("td", { textContent: si(row.terms) })));
  $("per-worker").replaceChildren(...rows);
  $("per-worker-empty").hidden = rows.length > 0;
}

const HELP = "Point at a chunk, or Tab into the grid and move with the arrow keys, to see its details here.";

export function clearGrid() {
  chunks = [];
  cells = [];
  $("chunk-grid").replaceChildren();
  $("chunk-legend").replaceChildren();
  $("per-worker").replaceChildren();
  $("chunk-detail").textContent = HELP;
}

export function renderGrid(list) {
  // Measured (performance.measure "chunk grid") including the layout it causes.
  performance.mark("chunk-grid-start");
  chunks = list;
  if (cells.length !== list.length) build(list.length);
  list.forEach((chunk, i) => paint(cells[i], chunk));
  totals();
  void $("chunk-grid").offsetHeight;
  performance.measure("chunk grid", "chunk-grid-start");
  if (document.activeElement?.parentElement === $("chunk-grid")) show(focused);
}

function move(to) {
  const next = Math.max(0, Math.min(cells.length - 1, to));
  cells[focused].tabIndex = -1;
  cells[next].tabIndex = 0;
  focused = next;
  cells[next].focus();
}

function perRow() {
  const grid = $("chunk-grid");
  const first = cells[0]?.getBoundingClientRect();
  if (!first) return 1;
  return Math.max(1, Math.floor(grid.clientWidth / (first.width + 2)));
}

const grid = $("chunk-grid");
grid.addEventListener("mouseover", (event) => {
  if (event.target.dataset.i !== undefined) show(Number(event.target.dataset.i));
});
grid.addEventListener("focusin", (event) => {
  if (event.target.dataset.i === undefined) return;
  focused = Number(event.target.dataset.i);
  show(focused);
});
grid.addEventListener("keydown", (event) => {
  const steps = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: perRow(), ArrowUp: -perRow() };
  if (event.key in steps) move(focused + steps[event.key]);
  else if (event.key === "Home") move(0);
  else if (event.key === "End") move(cells.length - 1);
  else return;
  event.preventDefault();
});
