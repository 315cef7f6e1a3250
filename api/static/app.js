// The dashboard: plain DOM and fetch over the JSON API, no build step. Each job has its own
// URL (#/jobs/<id>), so it can be linked and reloaded, and back/forward move between jobs.

import { onTokenChange, streamEvents } from "./api.js";
import { $ } from "./format.js";
import { refreshHost, refreshWorkers } from "./host.js";
import { showJob, showNothing, whenFinished } from "./job.js";
import { refreshList } from "./jobs.js";
import { refreshRunning, runningCount, whenJobsChange } from "./running.js";
import { loadMethods, whenSubmitted } from "./submit.js";

const JOB_ROUTE = /^#\/jobs\/([0-9a-f-]{36})$/;

function route(moveFocus) {
  const match = JOB_ROUTE.exec(location.hash);
  if (match) {
    showJob(match[1]);
    document.title = `Job ${match[1].slice(0, 8)} · pichord`;
    // Whoever followed a link lands on what it opened, not back at the top of the page.
    if (moveFocus) $("job-title").focus();
  } else {
    showNothing();
    document.title = "pichord dashboard";
  }
}

window.addEventListener("hashchange", () => route(true));
whenSubmitted((id) => {
  location.hash = `#/jobs/${id}`;
  refreshRunning();
  refreshList();
});
whenFinished(() => {
  refreshRunning();
  refreshList();
});
// The list is re-read every 5 s while jobs run and when one starts or ends; when all is
// still, every 30 s (a page of finished jobs carries their digits, up to megabytes).
whenJobsChange(refreshList);
onTokenChange(() => {
  fleet?.abort();
  loadMethods();
  refreshRunning();
  refreshList();
  refreshHost();
  refreshWorkers();
  const id = JOB_ROUTE.exec(location.hash)?.[1];
  showNothing();
  if (id) showJob(id);
});

function every(seconds, action) {
  action();
  setInterval(() => {
    if (!document.hidden) action();
  }, seconds * 1000);
}

// The running panel follows GET /events: re-read at most once a second after an event, every
// 10 s for what changes without one (busy share, queue), and every 2 s while the stream is
// down, which is retried every 5 s.
let fleet = null;
let lastRunning = 0;
let runningTimer = null;

function runningSoon() {
  if (runningTimer) return;
  runningTimer = setTimeout(() => {
    runningTimer = null;
    lastRunning = Date.now();
    refreshRunning();
  }, Math.max(0, lastRunning + 1000 - Date.now()));
}

async function followFleet() {
  for (;;) {
    const controller = new AbortController();
    fleet = controller;
    try {
      await streamEvents("/events", runningSoon, controller.signal);
    } catch {
      // Down, cut by a proxy, or aborted for a new token: polling covers the gap.
    }
    fleet = null;
    // Aborted for a new token: open it again at once.
    if (!controller.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

loadMethods();
route(false);
followFleet();
let ticks = 0;
every(2, () => {
  ticks += 1;
  if (!fleet || ticks % 5 === 0) refreshRunning();
});
let quiet = 0;
every(5, () => {
  quiet = runningCount() ? 0 : quiet + 1;
  if (quiet % 6 === 0) refreshList();
});
every(5, refreshHost);
every(5, refreshWorkers);
