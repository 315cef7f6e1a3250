// One job's view: status, progress, actions that apply, chunks, convergence and the result.
// Re-read on each of the job's server-sent events while it runs, or polled every second when
// the stream breaks; the chunk list is asked for less often the more chunks it has.

import { $, FINISHED, count } from "./format.js";
import { ApiError, api, streamEvents } from "./api.js";
import { clearGrid, renderGrid } from "./grid.js";
import { clearPlot, renderPlot } from "./plot.js";
import { clearResult, renderResult } from "./result.js";
import { methodInfo } from "./submit.js";

let current = null;
let timer = null;
let stream = null;
let onFinished = () => {};

export function whenFinished(action) {
  onFinished = action;
}

function state(name) {
  // One of: empty, loading, error, shown.
  $("job").dataset.state = name;
  $("job-empty").hidden = name !== "empty";
  $("job-loading").hidden = name !== "loading";
  $("job-body").hidden = name !== "shown";
  $("job").setAttribute("aria-busy", String(name === "loading"));
}

function stop() {
  clearTimeout(timer);
  stream?.abort();
  stream = null;
}

export function showNothing() {
  current = null;
  stop();
  $("job-id").textContent = "";
  $("job-error").textContent = "";
  state("empty");
}

export function showJob(id) {
  if (current === id) return;
  current = id;
  stop();
  $("job-id").textContent = id;
  $("job-error").textContent = "";
  clearGrid();
  clearPlot("Waiting for the first finished chunk.");
  clearResult();
  state("loading");
  follow(id);
}

function chunkEvery(chunks) {
  // Polls between two reads of the chunk list: a 2,048-chunk list costs the API a few hundred ms.
  return Math.min(5, Math.max(1, Math.ceil(chunks / 400)));
}

// Read the job once, then again on each of its events; polls take over if the stream breaks.
async function follow(id) {
  let round = 0;
  let outcome = await refresh(id, round++);
  if (outcome === "finished" || outcome === "gone") return;
  const controller = new AbortController();
  stream = controller;
  try {
    await streamEvents(`/tasks/${id}/events`, async () => {
      if (id === current) outcome = await refresh(id, round++);
    }, controller.signal);
  } catch {
    // Cut by a proxy, or an API without streams: polling still shows the job.
  }
  if (id !== current || controller.signal.aborted) return;
  if (outcome === "running" || outcome === "error") poll(id, round);
}

async function poll(id, round) {
  if (id !== current) return;
  const outcome = await refresh(id, round);
  if (outcome === "running" || outcome === "error") {
    timer = setTimeout(() => poll(id, round + 1), document.hidden ? 5000 : 1000);
  }
}

// Draw the job, its chunks and convergence: "running", "finished", "gone" or "error".
async function refresh(id, round) {
  if (id !== current) return "gone";
  let finished = false;
  try {
    const task = await api(`/tasks/${id}`);
    if (id !== current) return "gone";
    finished = FINISHED.includes(task.status);
    const chunkTotal = task.progress?.chunks_total ?? 0;
    const chunks = finished || round % chunkEvery(chunkTotal) === 0
      ? await api(`/tasks/${id}/chunks`) : null;
    const points = finished || round % 3 === 0 ? await api(`/tasks/${id}/convergence`) : null;
    if (id !== current) return "gone";
    // Drawn together once everything is read, so a job shown as ended has its final grid and
    // plot, never those of an earlier moment.
    renderTask(task);
    state("shown");
    if (chunks) renderGrid(chunks.chunks);
    if (points) {
      const axis = methodInfo.get(task.method)?.convergence_axis ?? "terms";
      const planned = axis === "terms" ? task.progress?.terms_total : task.certificate?.depth;
      renderPlot(points, task.digits, planned, axis);
    }
    $("job-error").textContent = "";
    if (finished) {
      onFinished();
      return "finished";
    }
    return "running";
  } catch (error) {
    if (id !== current) return "gone";
    $("job-error").textContent = error.message;
    if (error instanceof ApiError && error.status === 404) {
      $("job-error").textContent = `There is no job ${id} (it may have been removed by retention).`;
      state("error");
      return "gone";
    }
    if ($("job").dataset.state === "loading") state("error");
    return "error";
  }
}

function renderTask(task) {
  const status = $("job-status");
  status.textContent = task.status;
  status.className = `status ${task.status}`;
  $("job-method").textContent = task.method ? `${task.method}, ${count(task.digits)} digits` : "";
  const progress = task.progress;
  const percent = progress ? progress.percent : 0;
  $("job-progress").value = percent;
  $("job-percent").textContent = `${percent.toFixed(1)}%`;
  $("job-counts").textContent = progress
    ? `${count(progress.terms_done)} of ${count(progress.terms_total)} terms · ${count(progress.chunks_done)} of ${count(progress.chunks_total)} chunks done`
    : "";
  const running = task.result && typeof task.result === "object" ? task.result : null;
  $("intermediate-row").hidden = !running;
  if (running) $("job-intermediate").textContent = running.intermediate ?? "— (no computed prefix yet)";
  // Cancelling applies only while the job can still change.
  $("cancel").hidden = FINISHED.includes(task.status);
  $("job-failure").textContent = task.error || "";
  if (task.status === "SUCCESS") renderResult(task);
}

$("cancel").addEventListener("click", async () => {
  if (!current) return;
  const button = $("cancel");
  button.disabled = true;
  try {
    renderTask(await api(`/tasks/${current}`, { method: "DELETE" }));
    onFinished();
  } catch (error) {
    $("job-error").textContent = error.message;
  } finally {
    button.disabled = false;
  }
});

export function currentJob() {
  return current;
}
