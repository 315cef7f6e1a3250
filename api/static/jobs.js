// The job list, newest first, with status and owner filters and pages; each row links to its job's URL.

import { $, count, el } from "./format.js";
import { api } from "./api.js";

const PAGE = 10;
let offset = 0;
// Requests sent so far: an answer to an older one (a timer's refresh that was still on its way
// when the filter or page changed) is dropped, so the list always shows the latest choice.
let sent = 0;

export async function refreshList() {
  const status = $("status-filter").value;
  const owner = $("owner-filter").checkValidity() ? $("owner-filter").value.trim() : "";
  const query = new URLSearchParams({ limit: PAGE, offset });
  if (status) query.set("status", status);
  if (owner) query.set("owner", owner);
  const request = ++sent;
  try {
    const page = await api(`/tasks?${query}`);
    if (request !== sent) return;
    const rows = page.tasks.map((task) => {
      const link = el("a", { href: `#/jobs/${task.id}`, textContent: task.id.slice(0, 8) });
      link.setAttribute("aria-label", `Open job ${task.id}`);
      const percent = task.progress ? `${task.progress.percent.toFixed(1)}%` : "—";
      return el("tr", {}, el("td", {}, link), el("td", { textContent: task.method || "?" }),
        el("td", { textContent: task.digits === null ? "?" : count(task.digits) }),
        el("td", { textContent: task.owner || "—" }),
        el("td", {}, el("span", { className: `status ${task.status}`, textContent: task.status })),
        el("td", { textContent: percent }));
    });
    $("jobs").replaceChildren(...rows);
    $("jobs-empty").hidden = rows.length > 0;
    const whose = owner ? ` of ${owner}` : "";
    $("jobs-empty").textContent = status || owner
      ? `No ${status ? `${status} ` : ""}jobs${whose}.` : "No jobs yet: start one with the form.";
    $("page").textContent = `${page.total ? offset + 1 : 0}–${offset + page.tasks.length} of ${count(page.total)}`;
    $("prev").disabled = offset === 0;
    $("next").disabled = offset + PAGE >= page.total;
    $("jobs-error").textContent = "";
  } catch (error) {
    $("jobs-error").textContent = error.message;
  } finally {
    $("list").setAttribute("aria-busy", "false");
  }
}

$("status-filter").addEventListener("change", () => { offset = 0; refreshList(); });
$("owner-filter").addEventListener("change", () => { offset = 0; refreshList(); });
$("prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); refreshList(); });
$("next").addEventListener("click", () => { offset += PAGE; refreshList(); });
