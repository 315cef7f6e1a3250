"use strict";
// The dashboard: plain DOM and fetch, polling the JSON API (about 3 requests a second while a
// job is shown, fewer otherwise).

const $ = (id) => document.getElementById(id);
const FINISHED = ["SUCCESS", "FAILURE", "REVOKED"];
const PAGE = 10;
let currentJob = null;
let jobTimer = null;
let offset = 0;

const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("pichord-token") || "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("pichord-token", tokenInput.value));

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (tokenInput.value) headers.Authorization = `Bearer ${tokenInput.value}`;
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    throw new Error(`${response.status}: ${detail}`);
  }
  return body;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

// ---- submitting ----------------------------------------------------------------------
function updateLimit() {
  const option = $("method").selectedOptions[0];
  $("digits").max = option.dataset.max;
  $("digits-limit").textContent = `Between 0 and ${Number(option.dataset.max).toLocaleString("en")} for ${option.value}.`;
}
$("method").addEventListener("change", updateLimit);
updateLimit();

$("submit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { method: $("method").value, digits: Number($("digits").value) };
  try {
    const created = await api("/tasks", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    $("submit-message").textContent = `Started job ${created.id}.`;
    showJob(created.id);
    refreshList();
  } catch (error) {
    $("submit-message").textContent = error.message;
  }
});

// ---- one job -------------------------------------------------------------------------
function showJob(id) {
  currentJob = id;
  $("job").hidden = false;
  $("job-id").textContent = id;
  $("result").hidden = true;
  $("job-error").textContent = "";
  $("chunks").replaceChildren();
  $("plot").replaceChildren();
  clearTimeout(jobTimer);
  pollJob(id, 0);
}

async function pollJob(id, round) {
  if (id !== currentJob) return;
  try {
    const [task, chunks] = await Promise.all([api(`/tasks/${id}`), api(`/tasks/${id}/chunks`)]);
    renderJob(task);
    renderChunks(chunks.chunks);
    const finished = FINISHED.includes(task.status);
    if (round % 2 === 0 || finished) plot(await api(`/tasks/${id}/convergence`));
    if (finished) {
      refreshList();
      return;
    }
  } catch (error) {
    $("job-error").textContent = error.message;
  }
  jobTimer = setTimeout(() => pollJob(id, round + 1), 1000);
}

function renderJob(task) {
  const status = $("job-status");
  status.textContent = task.status;
  status.className = `status ${task.status}`;
  $("job-method").textContent = `${task.method}, ${task.digits} digits`;
  const percent = task.progress ? task.progress.percent : 0;
  $("job-progress").value = percent;
  $("job-percent").textContent = `${percent.toFixed(1)}%`;
  const running = task.result && typeof task.result === "object" ? task.result : null;
  $("job-intermediate").textContent = (running && running.intermediate) || (task.status === "SUCCESS" ? "done" : "—");
  $("cancel").disabled = FINISHED.includes(task.status);
  $("job-error").textContent = task.error || "";
  if (task.status === "SUCCESS") renderResult(task);
}

function renderResult(task) {
  $("result").hidden = false;
  $("digits-out").textContent = task.result;
  $("download").href = `/tasks/${task.id}/digits`;
  $("verdict").textContent = task.verified ? "mpmath agrees with every digit." : "mpmath DISAGREES.";
  const rows = Object.entries(task.certificate || {}).flatMap(([key, value]) => [
    el("dt", { textContent: key.replaceAll("_", " ") }),
    el("dd", { textContent: String(value) }),
  ]);
  $("certificate").replaceChildren(...rows);
}

function renderChunks(chunks) {
  const items = chunks.map((chunk) => {
    const size = Math.max(1, chunk.stop - chunk.start);
    const share = Math.min(100, (100 * chunk.terms_done) / size);
    const label = `${chunk.kind} ${chunk.index}: ${chunk.status}${chunk.worker ? ` on ${chunk.worker}` : ""}`;
    const bar = el("div", { className: `bar ${chunk.status}`, title: label });
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", label);
    bar.setAttribute("aria-valuenow", share.toFixed(0));
    bar.append(el("span", { style: `width:${share}%` }));
    return el("li", {}, el("span", { textContent: `${chunk.kind} ${chunk.index} · ${chunk.worker || "waiting"}` }), bar);
  });
  $("chunks").replaceChildren(...items);
}

function plot(points) {
  const svg = $("plot");
  const ns = "http://www.w3.org/2000/svg";
  const W = 600, H = 260, L = 40, R = 10, mid = H / 2;
  const shapes = [];
  const line = (cls, coords) => {
    const path = document.createElementNS(ns, "polyline");
    path.setAttribute("class", cls);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke-width", "2");
    path.setAttribute("points", coords.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" "));
    return path;
  };
  const text = (x, y, words) => {
    const node = document.createElementNS(ns, "text");
    node.setAttribute("x", x); node.setAttribute("y", y); node.textContent = words;
    return node;
  };
  shapes.push(line("pi", [[L, mid], [W - R, mid]]), text(4, mid + 4, "π"));
  if (points.length) {
    const xs = points.map((p) => Math.log10(p.terms));
    const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
    const X = (v) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
    // Distance to pi on a log scale: 1 at the edge, 1e-16 (a double's resolution) on the line.
    const Y = (d, side) => mid - side * (Math.max(0, 16 + Math.log10(Math.max(Math.abs(d), 1e-16))) / 16) * (mid - 10);
    const dot = (cls, x, y) => {
      const circle = document.createElementNS(ns, "circle");
      circle.setAttribute("class", cls);
      circle.setAttribute("cx", x.toFixed(1)); circle.setAttribute("cy", y.toFixed(1)); circle.setAttribute("r", "3");
      return circle;
    };
    const upper = points.map((p, i) => [X(xs[i]), Y(p.upper - Math.PI, 1)]);
    const lower = points.map((p, i) => [X(xs[i]), Y(Math.PI - p.lower, -1)]);
    shapes.push(
      line("upper", upper),
      line("lower", lower),
      ...upper.map(([x, y]) => dot("upper", x, y)),
      ...lower.map(([x, y]) => dot("lower", x, y)),
      text(L, H - 4, `N = 10^${x0.toFixed(1)}`),
      text(W - 110, H - 4, `N = 10^${x1.toFixed(1)}`),
      text(L + 4, 14, "upper − π (log)"),
      text(L + 4, H - 18, "π − lower (log)"),
    );
  }
  svg.replaceChildren(...shapes);
}

$("cancel").addEventListener("click", async () => {
  if (!currentJob) return;
  try {
    renderJob(await api(`/tasks/${currentJob}`, { method: "DELETE" }));
    refreshList();
  } catch (error) {
    $("job-error").textContent = error.message;
  }
});

// ---- job list ------------------------------------------------------------------------
async function refreshList() {
  const status = $("status-filter").value;
  const query = new URLSearchParams({ limit: PAGE, offset });
  if (status) query.set("status", status);
  try {
    const page = await api(`/tasks?${query}`);
    const rows = page.tasks.map((task) => {
      const link = el("a", { href: "#", textContent: task.id.slice(0, 8) });
      link.setAttribute("aria-label", `Show job ${task.id}`);
      link.addEventListener("click", (event) => { event.preventDefault(); showJob(task.id); });
      const percent = task.progress ? `${task.progress.percent.toFixed(1)}%` : "—";
      return el("tr", {}, el("td", {}, link), el("td", { textContent: task.method || "?" }),
        el("td", { textContent: task.digits ?? "?" }), el("td", { textContent: task.status }),
        el("td", { textContent: percent }));
    });
    $("jobs").replaceChildren(...rows);
    $("page").textContent = `${page.total ? offset + 1 : 0}–${offset + page.tasks.length} of ${page.total}`;
    $("prev").disabled = offset === 0;
    $("next").disabled = offset + PAGE >= page.total;
  } catch (error) {
    $("page").textContent = error.message;
  }
}
$("status-filter").addEventListener("change", () => { offset = 0; refreshList(); });
$("prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); refreshList(); });
$("next").addEventListener("click", () => { offset += PAGE; refreshList(); });

// ---- host and workers ----------------------------------------------------------------
const gib = (bytes) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

async function refreshHost() {
  try {
    const [summary, cpu, partitions] = await Promise.all([api("/"), api("/cpu/percent"), api("/partitions/usage")]);
    $("host-summary").textContent = `${summary.hostname} · ${summary.os} · load ${summary.load_average.map((v) => v.toFixed(2)).join(" ")}`;
    $("cpus").replaceChildren(...cpu.per_cpu.map((percent, index) => {
      const meter = el("meter", { min: 0, max: 100, value: percent });
      meter.setAttribute("aria-label", `CPU ${index}`);
      return el("li", {}, el("span", { textContent: `cpu${index}` }), meter, el("span", { textContent: `${percent.toFixed(0)}%` }));
    }));
    $("memory").textContent = `Memory: ${summary.memory.percent.toFixed(1)}% of ${gib(summary.memory.total)}`;
    $("disks").replaceChildren(...partitions.partitions.map((part) => el("li", {
      textContent: part.percent !== null ? `${part.mountpoint}: ${part.percent.toFixed(1)}% of ${gib(part.total)}` : `${part.mountpoint}: ${part.error}`,
    })));
  } catch (error) {
    $("host-summary").textContent = error.message;
  }
}

async function refreshWorkers() {
  try {
    const answer = await api("/workers");
    $("queue").textContent = `Queue depth: ${answer.queue_depth ?? "?"}`;
    $("workers").replaceChildren(...answer.workers.map((worker) => el("li", {
      textContent: `${worker.name}: ${worker.concurrency} processes, ${worker.active} running`,
    })));
    if (!answer.workers.length) $("workers").replaceChildren(el("li", { textContent: "No worker answers." }));
  } catch (error) {
    $("queue").textContent = error.message;
  }
}

function every(seconds, action) {
  action();
  setInterval(action, seconds * 1000);
}
every(5, refreshList);
every(5, refreshHost);
every(5, refreshWorkers);
