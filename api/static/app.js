// The dashboard: plain DOM and fetch over the JSON API, no build step. Each job has its own
// URL (#/jobs/<id>), so it can be linked and reloaded, and back/forward move between jobs.

import { onTokenChange } from "./api.js";
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

loadMethods();
route(false);
every(2, refreshRunning);
let quiet = 0;
every(5, () => {
  quiet = runningCount() ? 0 : quiet + 1;
  if (quiet % 6 === 0) refreshList();
});
every(5, refreshHost);
every(5, refreshWorkers);
