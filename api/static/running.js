// Running now: every unfinished job with its progress, rate, worker processes and time left,
// how the busy processes are shared between the jobs, how busy the worker processes were over
// the last seconds, and the queue (GET /running).

import { $, count, duration, el, si } from "./format.js";
import { api } from "./api.js";

// Distinct on white and in grey scale alike; a job keeps its colour while it stays listed.
const PALETTE = ["#0b57d0", "#b3261e", "#146c2e", "#8a5a00", "#6a1b9a", "#00677f"];
const colours = new Map();
let lastIds = "";
let unfinished = 0;
let onChange = () => {};

export function runningCount() {
  return unfinished;
}

export function whenJobsChange(action) {
  onChange = action;
}

function colour(id) {
  if (!colours.has(id)) {
    const used = new Set(colours.values());
    colours.set(id, PALETTE.find((c) => !used.has(c)) ?? PALETTE[colours.size % PALETTE.length]);
  }
  return colours.get(id);
}

function row(job, busy) {
  const processes = job.processes.length;
  const share = busy ? (100 * processes) / busy : 0;
  const swatch = el("span", { className: "swatch" });
  swatch.style.background = colour(job.id);
  const link = el("a", { href: `#/jobs/${job.id}`, textContent: job.id.slice(0, 8) });
  link.setAttribute("aria-label", `Open job ${job.id}`);
  const bar = el("progress", { max: 100, value: job.percent });
  bar.setAttribute("aria-label", `Job ${job.id.slice(0, 8)} progress`);
  const workers = [...new Set(job.processes.map((p) => p.worker))].join(", ");
  const rate = job.rate === null ? "measuring…" : `${si(job.rate)} terms/s`;
  const item = el("li", { className: "running-job" },
    el("p", { className: "running-title" }, swatch, link, ` ${job.method}, ${count(job.digits)} digits${job.owner ? `, ${job.owner}'s` : ""} `,
      el("span", { className: `status ${job.status}`, textContent: job.status })),
    el("div", { className: "running-bar" }, bar, el("span", { textContent: `${job.percent.toFixed(1)}%` })),
    el("p", { className: "running-facts" },
      el("span", { className: "processes", textContent: `${processes} process${processes === 1 ? "" : "es"} (${share.toFixed(0)}%)` }),
      ` · ${rate} · ${duration(job.eta_seconds)} left · ${count(job.chunks_done)}/${count(job.chunks_total)} chunks`),
  );
  item.dataset.id = job.id;
  item.dataset.processes = processes;
  if (workers) item.title = `on ${workers}`;
  return item;
}

function shares(jobs, busy) {
  const bar = $("shares");
  const segments = jobs.filter((job) => job.processes.length).map((job) => {
    const segment = el("span", { title: `${job.id.slice(0, 8)}: ${job.processes.length} of ${busy}` });
    segment.style.flexGrow = job.processes.length;
    segment.style.background = colour(job.id);
    return segment;
  });
  bar.replaceChildren(...segments);
  bar.hidden = !segments.length;
  bar.setAttribute("aria-label", `Busy worker processes by job: ${jobs.filter((j) => j.processes.length)
    .map((j) => `${j.id.slice(0, 8)} ${j.processes.length}`).join(", ")}`);
}

// The share of process time over the workers' window, not the processes busy at this instant:
// between two chunks a process is idle for milliseconds, and an instant often falls there.
function busyText(answer) {
  if (answer.busy_share === null) return "no worker online";
  const online = `${answer.processes_online} process${answer.processes_online === 1 ? "" : "es"} online`;
  return `workers ${(100 * answer.busy_share).toFixed(0)}% busy over ${answer.busy_window_seconds.toFixed(0)} s (${online})`;
}

export async function refreshRunning() {
  const panel = $("running");
  try {
    const answer = await api("/running");
    const { jobs } = answer;
    for (const id of colours.keys()) if (!jobs.some((job) => job.id === id)) colours.delete(id);
    $("running-jobs").replaceChildren(...jobs.map((job) => row(job, answer.processes_busy)));
    $("running-empty").hidden = jobs.length > 0;
    shares(jobs, answer.processes_busy);
    const depth = answer.queue_depth === null ? "not known yet" : `${count(answer.queue_depth)} message${answer.queue_depth === 1 ? "" : "s"}`;
    $("running-summary").textContent = `${jobs.length} unfinished job${jobs.length === 1 ? "" : "s"} · `
      + `${busyText(answer)} · queue ${answer.queue}: ${depth}`;
    $("running-error").textContent = "";
    unfinished = jobs.length;
    const ids = jobs.map((job) => job.id).join();
    if (ids !== lastIds) {
      lastIds = ids;
      onChange();
    }
  } catch (error) {
    $("running-error").textContent = error.message;
  } finally {
    panel.setAttribute("aria-busy", "false");
  }
}
